"""The one registry of generation modes (`pasdeux.generate.modes`): the studio's request schema, provenance, worker
and page, and the CLI all read it, so a new setting or mode is one entry there."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest
from pydantic import ValidationError

import pasdeux
from pasdeux.generate import modes
from pasdeux.studio import provenance, schemas

CLI_COMMANDS = {"variations": ("generate", "variations"), "prior": ("generate", "prior"),
                "interpolate": ("generate", "interpolate"), "transition": ("generate", "transition"),
                "long": ("generate", "long"), "partner": ("duet", "partner"), "duet_prior": ("duet", "prior"),
                "duet_variations": ("duet", "vary")}


def test_the_registry_reads_without_torch():
    import subprocess
    import sys

    code = "import sys, pasdeux.generate.modes, pasdeux.studio.app, pasdeux.cli; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_every_mode_is_a_request_and_nothing_else_is():
    for name in modes.MODES:
        assert schemas.GenerateBody(mode=name, model="runs/m").mode == name
    with pytest.raises(ValidationError, match="mode"):
        schemas.GenerateBody(mode="dance", model="runs/m")


@pytest.mark.parametrize("name", [n for n, s in modes.SETTINGS.items() if s.maximum is not None])
def test_the_api_holds_each_setting_to_the_registry_bounds(name):
    s = modes.SETTINGS[name]
    assert getattr(schemas.GenerateBody(mode="variations", model="m", **{name: s.maximum}), name) == s.maximum
    with pytest.raises(ValidationError, match=name):
        schemas.GenerateBody(mode="variations", model="m", **{name: s.maximum + 1})
    lowest = s.above if s.above is not None else s.minimum - 1
    with pytest.raises(ValidationError, match=name):
        schemas.GenerateBody(mode="variations", model="m", **{name: lowest})


def test_a_word_setting_takes_only_its_choices():
    assert schemas.GenerateBody(mode="partner", model="m", direction="b2a").direction == "b2a"
    with pytest.raises(ValidationError, match="direction"):
        schemas.GenerateBody(mode="partner", model="m", direction="sideways")


def test_provenance_keeps_the_settings_the_registry_lists_for_the_mode():
    record = {"mode": "transition", "bridge_seconds": 1.5, "seed": 3, "sigma": 0.9, "n": 2}
    assert provenance.settings(record) == {"bridge_seconds": 1.5, "seed": 3}
    assert provenance.settings({"mode": "unknown", "seed": 1}) == {}


def test_every_mode_has_a_cli_command_whose_options_say_what_the_registry_says():
    from typer.main import get_command

    from pasdeux.cli import app

    root = get_command(app)
    for mode, (group, name) in CLI_COMMANDS.items():
        command = root.commands[group].commands[name]
        for param in command.params:
            # the leader's default is a CLI flag of its own (--lead-dancer), so direction says so in its words
            if param.name in modes.MODES[mode].settings and param.name != "direction":
                assert param.help == modes.help_for(param.name, mode), (mode, param.name)
    assert set(CLI_COMMANDS) == set(modes.MODES)


def test_the_page_catalogue_lists_every_mode_and_setting():
    cat = modes.catalogue()
    assert [m["name"] for m in cat["modes"]] == list(modes.MODES)
    for m in cat["modes"]:
        assert m["kind"] in ("solo", "duet") and set(m["settings"]) <= set(cat["settings"])
    assert cat["settings"]["bridge_seconds"]["unit"] == "s" and cat["settings"]["seed"]["default"] is None
    assert {c["value"] for c in cat["settings"]["direction"]["choices"]} == {"", "a2b", "b2a"}


def _echo(model, phrases, dancers, s):
    """A mode for the test: the phrase itself, recording its tempo setting and the cue file's name."""
    from pasdeux.generate.provenance import made_by

    cue = open(s["cue"]).read().strip() if s.get("cue") else None
    return dataclasses.replace(phrases[0].dancer(dancers[0]),
                               provenance=made_by(model, "echo", tempo=s["tempo"], cue_text=cue))


@pytest.fixture
def echo_mode(monkeypatch):
    """A new mode with two new settings, each added as one entry of the registry."""
    monkeypatch.setitem(modes.SETTINGS, "tempo", modes.Setting("tempo", float, 1.0, "tempo", "how fast, as a "
                                                               "multiple of the phrase", above=0.0, maximum=4.0))
    monkeypatch.setitem(modes.SETTINGS, "cue", modes.Setting("cue", modes.FILE, None, "cue", "a cue sheet",
                                                             suffixes=(".txt",)))
    monkeypatch.setitem(modes.MODES, "echo", modes.Mode("echo", "solo", "the phrase again", 1, ("tempo", "cue"),
                                                        _echo))


def test_a_new_mode_and_settings_reach_the_schema_provenance_page_and_worker(echo_mode, tiny_run, duet, tmp_path):
    from pasdeux.studio import tasks

    body = schemas.generate_body()
    assert body(mode="echo", model="m", tempo=2.0, cue="cues/a.txt").tempo == 2.0
    with pytest.raises(ValidationError, match="tempo"):
        body(mode="echo", model="m", tempo=5.0)
    assert any(m["name"] == "echo" and m["settings"] == ["tempo", "cue"] for m in modes.catalogue()["modes"])
    shutil.copytree(tiny_run, tmp_path / "runs" / "tiny")
    pasdeux.save(duet, tmp_path / "duet.npz")
    (tmp_path / "cue.txt").write_text("enter on 5\n")
    spec = {"path": "duet.npz", "file": str(tmp_path / "duet.npz"), "dancer": 1, "start": 10, "frames": 64}
    out = tmp_path / "echo.npz"
    tasks.generate({"mode": "echo", "params": {"tempo": 2.0, "cue": "cue.txt"}, "model": "runs/tiny",
                    "model_file": str(tmp_path / "runs" / "tiny"), "phrases": [spec], "out": str(out),
                    "title": "echo", "names": {str(tmp_path) + "/": ""},
                    "files": {"cue": {"path": "cue.txt", "file": str(tmp_path / "cue.txt")}}})
    result = pasdeux.load(out)
    np.testing.assert_array_equal(result.positions[0], duet.positions[1, 10:74])
    record = result.provenance
    assert record["cue_text"] == "enter on 5" and record["cue"] == "cue.txt" and len(record["cue_sha256"]) == 64
    assert provenance.settings(record) == {"tempo": 2.0, "cue": "cue.txt"}  # what makes it again
    assert provenance.digests(record)["cue.txt"] == record["cue_sha256"]


def test_a_duet_result_splits_into_couples_in_the_real_couples_order(duet):
    lead, p1, p2 = duet.positions[1, :64], duet.positions[0, :64] + 1, duet.positions[0, :64] + 2
    made = duet.with_positions(np.stack([lead, p1, p2]), labels=("lead", "partner 1", "partner 2"))
    result = dataclasses.replace(made, provenance={"mode": "partner", "direction": "b2a"})  # dancer B led
    pairs = modes.couples(result)
    assert len(pairs) == 2 and all(c.n_dancers == 2 for c in pairs)
    np.testing.assert_array_equal(pairs[1].positions, np.stack([p2, lead]))  # A (the partner) first, as in real
    side = dataclasses.replace(made.with_positions(np.stack([lead, p1, p2, lead]), labels=()),
                               provenance={"mode": "duet_prior", "direction": "b2a"})
    np.testing.assert_array_equal(modes.couples(side)[1].positions, np.stack([lead, p2]))
    assert modes.couples(dataclasses.replace(made, provenance={"mode": "variations"})) is None


def test_a_file_setting_is_checked_inside_the_library_like_every_path(echo_mode, tmp_path):
    from pasdeux.studio.library import LibraryError, OutsideLibrary
    from pasdeux.studio.service import Studio

    lib, outside = tmp_path / "lib", tmp_path / "private.txt"
    lib.mkdir()
    (lib / "cue.txt").write_text("enter on 5\n")
    (lib / "cue.wav").write_bytes(b"RIFF")
    outside.write_text("secret\n")
    (lib / "leak.txt").symlink_to(outside)
    studio = Studio(lib)
    try:
        assert studio._setting_files({"tempo": 2.0, "cue": "cue.txt"}) == \
            {"cue": {"path": "cue.txt", "file": str(lib / "cue.txt")}}
        assert studio._setting_files({"tempo": 2.0, "cue": None}) == {}
        with pytest.raises(OutsideLibrary):
            studio._setting_files({"cue": "leak.txt"})
        with pytest.raises(LibraryError, match=r"\.txt"):
            studio._setting_files({"cue": "cue.wav"})
    finally:
        studio.close()

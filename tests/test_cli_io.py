"""`pasdeux info` and `pasdeux convert` on the real data and on fixtures."""

from __future__ import annotations

import json

import numpy as np
import pytest

import pasdeux
from pasdeux.cli import main


def test_info_json_on_the_shared_duet(shared_data, capsys):
    assert main(["info", str(shared_data / "duet_ilya_hannah.npy"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["format"], info["dancers"], info["frames"], info["joints"]) == ("pose_npy", 2, 1800, 29)
    assert (info["skeleton"], info["fps"], info["duration_s"]) == ("hybrik29", 30.0, 60.0)
    assert info["missing"] == {"count": 0, "share": 0.0}
    assert any("interleaved" in n for n in info["notes"]) and any("y-up" in n for n in info["notes"])
    cvs = [b["cv"] for b in info["bones"]]
    assert len(cvs) == 28 and cvs == sorted(cvs, reverse=True) and cvs[0] > 0.3  # hands/toes worst, as measured
    p = info["pelvis_distance"]
    assert 0 <= p["min"] < p["mean"] < p["max"] < 3


def test_info_on_a_salsa_take_counts_joints_and_end_sites(shared_data, capsys):
    assert main(["info", "--json", str(shared_data / "cmu_salsa" / "60_02.bvh")]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["frames"], info["fps"]) == (2101, 120.0)
    assert (info["joints"] - info["end_sites"], info["end_sites"]) == (43, 14)
    assert main(["info", str(shared_data / "cmu_salsa" / "60_02.bvh")]) == 0
    assert "43 joints + 14 end sites" in capsys.readouterr().out


def test_info_prints_lengths_in_the_units_of_a_centimetre_file(shared_data, tmp_path, capsys):
    """A BVH file whose body says centimetres: lengths are printed as stored, in cm, never labelled metres."""
    take = pasdeux.load(shared_data / "cmu_salsa" / "60_02.bvh").frames(0, 60)
    pasdeux.save(take, tmp_path / "cm.bvh", scale=100)
    assert main(["info", "--json", str(tmp_path / "cm.bvh")]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["length_unit"] == "cm" and "probably centimetres" in info["units"]
    thigh = next(b for b in info["bones"] if b["bone"] == "lThigh-lShin")
    assert 20 < thigh["mean"] < 40  # the file's own numbers (a 0.6-scale body's thigh, in cm)
    assert main(["info", str(tmp_path / "cm.bvh")]) == 0
    table = capsys.readouterr().out
    bones = table.split("bone lengths")[1].splitlines()[1:]
    assert bones and all(" cm " in line and " m " not in line for line in bones)
    assert main(["info", str(shared_data / "cmu_salsa" / "60_02.bvh")]) == 0  # a file in metres keeps "m"
    assert " m  cv" in capsys.readouterr().out


def test_info_table_for_several_files(shared_data, tmp_path, capsys):
    solo = tmp_path / "solo.npy"
    np.save(solo, np.load(shared_data / "duet_ilya_hannah.npy")[0::2][:100])
    assert main(["info", str(shared_data / "duet_ilya_hannah.npy"), str(solo), "--no-interleaved"]) == 0
    out = capsys.readouterr().out
    assert "dancers         2" not in out  # --no-interleaved: the duet file is read as one long solo
    assert out.count("skeleton hybrik29") == 2 and "frames          3600" in out and "frames          100" in out
    assert "bone lengths, least consistent first" in out


def test_convert_npy_to_npz_and_csv_round_trip(shared_data, tmp_path):
    src = shared_data / "duet_ilya_hannah.npy"
    assert main(["convert", str(src), str(tmp_path / "duet.npz")]) == 0
    assert main(["convert", str(tmp_path / "duet.npz"), str(tmp_path / "duet.csv")]) == 0
    original = pasdeux.load(src)
    for name in ("duet.npz", "duet.csv"):
        back = pasdeux.load(tmp_path / name)
        assert back.skeleton == original.skeleton and back.fps == 30
        np.testing.assert_array_equal(back.positions, original.positions)


def test_convert_reader_options(tmp_path):
    poses = np.random.default_rng(0).normal(size=(40, 53, 3)).astype(np.float32)
    np.save(tmp_path / "markers.npy", poses)
    assert main(["convert", str(tmp_path / "markers.npy"), str(tmp_path / "out.npz"), "--skeleton", "mariel53",
                 "--axes", "y_up", "--fps", "35", "--no-interleaved"]) == 0
    m = pasdeux.load(tmp_path / "out.npz")
    assert (m.skeleton.name, m.fps, m.n_frames) == ("mariel53", 35, 40)
    np.testing.assert_array_equal(m.positions[0], poses)


def test_convert_a_salsa_pair(shared_data, tmp_path):
    pytest.importorskip("pasdeux.io.bvh")
    a, b = shared_data / "cmu_salsa" / "60_02.bvh", shared_data / "cmu_salsa" / "61_02.bvh"
    assert main(["convert", str(a), str(tmp_path / "salsa.npz"), "--pair", str(b)]) == 0
    m = pasdeux.load(tmp_path / "salsa.npz")
    assert m.n_dancers == 2 and m.fps == pytest.approx(120, rel=1e-3)


@pytest.mark.parametrize("argv, message", [
    (["convert", "{duet}", "{tmp}/out.mp4"], "cannot write 'out.mp4'"),
    (["convert", "{duet}", "{tmp}/out.npz", "--skeleton", "nope"], "unknown skeleton 'nope'"),
    (["info", "{tmp}/missing.npy"], "no such file"),
    (["info", "{duet}", "--axes", "sideways"], "axes must be one of"),
])
def test_user_errors_exit_2_with_one_line(shared_data, tmp_path, capsys, argv, message):
    argv = [a.format(duet=shared_data / "duet_ilya_hannah.npy", tmp=tmp_path) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out.npz").exists() and not list(tmp_path.glob(".*part*"))  # nothing half-written


def test_option_that_a_format_does_not_take(tmp_path, capsys):
    np.savez(tmp_path / "plain.npz", positions=np.zeros((5, 24, 3), np.float32))
    assert main(["info", str(tmp_path / "plain.npz"), "--axes", "z_up"]) == 2
    assert "format 'npz' takes no option 'axes'" in capsys.readouterr().err


def test_describe_from_python(duet):
    from pasdeux.io.info import describe

    solo = describe(duet.dancer(0).frames(0, 300), "pose_npy")
    assert solo["dancers"] == 1 and solo["pelvis_distance"] is None and solo["frames"] == 300
    rigid = duet.frames(0, 1).with_positions(np.repeat(duet.positions[:, :1], 50, axis=1))
    assert max(b["cv"] for b in describe(rigid)["bones"]) < 1e-6  # a frozen pose has rigid bones
    gappy = duet.frames(0, 10)
    gappy.positions[0, :5] = np.nan
    info = describe(gappy)
    assert info["missing"]["count"] == 5 * 29 and info["missing"]["share"] == pytest.approx(0.25)


def test_format_options_from_the_command_line(tmp_path, capsys):
    from io_fixtures import mariel_array

    path = tmp_path / "mariel.npy"
    np.save(path, mariel_array(1500))
    assert main(["info", str(path), "--json", "-o", "trim=100", "-o", "drop_points=[26,53]"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["format"], info["frames"], info["joints"]) == ("mariel_npy", 1300, 53)
    assert main(["info", str(path), "-o", "trim=many"]) == 2
    assert "option trim='many' of format 'mariel_npy' must be int" in capsys.readouterr().err
    assert main(["info", str(path), "-o", "trim"]) == 2

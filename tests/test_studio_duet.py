"""Duets in the studio: a partner for a chosen leader (its real partner as the ghost), whole duets, duet
variations, each kept with provenance and made again exactly, and the influence heatmap beside them."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import pasdeux

PORT = 8425
DUET_NAME = "duet_ilya_hannah.npy"
PHRASE = {"path": DUET_NAME, "dancer": 1, "start": 600, "frames": 96}


@pytest.fixture(scope="module")
def library(tmp_path_factory, tiny_duet_run, tiny_run, shared_data):
    lib = tmp_path_factory.mktemp("library")
    shutil.copytree(tiny_duet_run, lib / "runs" / "duet")
    shutil.copytree(tiny_run, lib / "runs" / "solo")
    shutil.copy(shared_data / DUET_NAME, lib / DUET_NAME)
    return lib


def generate(client, **body):
    return client.post("/api/generate", json={"mode": "partner", "model": "runs/duet", "sigma": 0.5, "n": 2,
                                              "seed": 3, "source": PHRASE, **body})


def test_the_duet_model_is_listed_as_one(client):
    model = next(m for m in client.get("/api/library").json()["models"] if m["path"] == "runs/duet")
    assert model["family"] == "duet" and model["trained"]


def test_a_partner_answers_the_chosen_leader_beside_its_real_partner(client, library, duet):
    r = generate(client)
    assert r.status_code == 200, r.text
    out = r.json()
    result = pasdeux.load(library / out["motion"]["path"])
    assert result.positions.shape == (3, 96, 29, 3) and result.labels == ("lead", "partner 1", "partner 2")
    np.testing.assert_allclose(result.positions[0], duet.positions[1, 600:696], atol=1e-4)  # dancer 2 leads
    assert not np.allclose(result.positions[1], result.positions[2])  # two different answers
    prov = out["provenance"]
    assert (prov["mode"], prov["direction"], prov["lead_dancer"], prov["sigma"], prov["seed"]) == \
        ("partner", "b2a", 1, 0.5, 3)
    assert (prov["source"], prov["source_dancer"], prov["source_start"], prov["model"]) == \
        (DUET_NAME, 1, 600, "runs/duet")
    ghosts = [f for f in out["payload"]["figures"] if f["ghost"]]
    assert [f["label"] for f in ghosts] == ["real partner"]
    again = client.post("/api/generate/again", json={"path": out["motion"]["path"]}).json()
    assert again["identical"] is True
    shown = client.get("/api/motions/payload", params={"path": out["motion"]["path"], "with_source": True}).json()
    assert [f["label"] for f in shown["figures"] if f["ghost"]] == ["real partner"]  # also when opened later


def test_the_leader_can_be_named_explicitly(client, library, duet):
    r = generate(client, direction="a2b", source={**PHRASE, "dancer": 0}, n=1)
    assert r.status_code == 200, r.text
    result = pasdeux.load(library / r.json()["motion"]["path"])
    np.testing.assert_allclose(result.positions[0], duet.positions[0, 600:696], atol=1e-4)
    assert r.json()["provenance"]["direction"] == "a2b"


@pytest.mark.parametrize("body, dancers", [({"mode": "duet_prior", "n": 2, "seconds": 3}, 4),
                                           ({"mode": "duet_variations", "n": 2}, 4)])
def test_whole_duets_and_duet_variations(client, library, body, dancers):
    r = generate(client, **body)
    assert r.status_code == 200, r.text
    motion = pasdeux.load(library / r.json()["motion"]["path"])
    assert motion.n_dancers == dancers and np.isfinite(motion.positions).all()
    assert client.post("/api/generate/again", json={"path": r.json()["motion"]["path"]}).json()["identical"]


def test_a_partner_result_is_scored_beside_the_real_couple(client, library):
    r = generate(client, n=2)  # dancer 2 leads (b2a): two partners, scored as two couples in the real order
    assert r.status_code == 200, r.text
    report = client.post("/api/compare", json={"result": r.json()["motion"]["path"]})
    assert report.status_code == 200, report.text
    rows = report.json()["rows"]
    couples = ["couple 1", "couple 2"]
    assert set(couples) <= set(rows)
    floor = next(name for name in rows if "first half" in name)  # the real couple, scored the same way
    for name in (*couples, floor):
        assert {"fid_cd", "responsiveness", "bed", "contact_rate"} <= set(rows[name]), name
    assert report.json()["meanings"]["fid_cd"]["better"] == "lower"


def test_solo_and_duet_models_refuse_each_others_modes(client):
    r = generate(client, model="runs/solo")
    assert r.status_code == 400 and "duet model" in r.json()["detail"]
    r = generate(client, mode="variations")
    assert r.status_code == 400 and "is a duet model" in r.json()["detail"]
    assert generate(client, n=1).status_code == 200  # and the server keeps serving


def test_the_influence_heatmap_of_the_duet_model(client):
    r = client.post("/api/influence", json={"model": "runs/duet", "path": DUET_NAME, "direction": "b2a"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["direction"] == "b2a" and out["windows"] > 0 and len(out["top"]) >= 5
    parts = {"head", "torso", "pelvis", "left_hand", "right_hand", "left_foot", "right_foot"}
    assert {t["leader"] for t in out["top"]} <= parts | {"left_arm", "right_arm", "left_leg", "right_leg"}
    assert out["units"] == "metres"  # body parts, not joints: a dancer reads the map by parts
    assert len(out["leader_importance"]) == 29 and max(out["leader_importance"]) == pytest.approx(1.0)
    png = client.get("/api/influence/plot", params={"id": out["id"]})
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    again = client.post("/api/influence", json={"model": "runs/duet", "path": DUET_NAME, "direction": "b2a"})
    assert again.json()["id"] == out["id"] and again.json()["top"] == out["top"]  # computed once per version
    assert client.post("/api/influence", json={"model": "runs/solo", "path": DUET_NAME}).status_code == 400
    assert client.get("/api/influence/plot", params={"id": "0" * 16}).status_code == 404


# --- videos: `pasdeux extract` from the studio ---------------------------------------------------------
def _wait_extraction(client, job: str) -> dict:
    import time

    deadline, seen = time.monotonic() + 300, []
    while time.monotonic() < deadline:
        st = client.get("/api/videos/status", params={"job": job}).json()
        seen.append(st)
        if st["state"] != "running":
            return {**st, "seen": seen}
        time.sleep(0.3)
    raise AssertionError(f"the extraction did not end: {seen[-1]}")


def test_a_video_is_extracted_with_progress_and_joins_the_library(client, library, tmp_path):
    from pasdeux.extract import synthetic

    video = synthetic.write(tmp_path / "rehearsal.mp4", synthetic.frames(24, people=1))
    with open(video, "rb") as f:
        r = client.post("/api/videos", files={"file": ("rehearsal.mp4", f)}, data={"dancers": "1", "model": "lite"})
    assert r.status_code == 202, r.text
    done = _wait_extraction(client, r.json()["job"])
    assert done["state"] == "done", done
    assert done["motion"] == "extracted/rehearsal.npz" and done["video"] == "videos/rehearsal.mp4"
    motion = pasdeux.load(library / done["motion"])
    assert motion.skeleton.name == "mediapipe33" and motion.n_frames == 24 and motion.n_dancers == 1
    assert done["entry"]["skeleton"] == "mediapipe33" and done["entry"]["kind"] == "extracted"
    assert (library / "videos" / "rehearsal.mp4").is_file()
    assert motion.source == "videos/rehearsal.mp4" and motion.provenance["extract"]["video"] == "videos/rehearsal.mp4"
    assert all(s["state"] in ("running", "done") for s in done["seen"])
    # no note names the staged copy (upload-xxxx.mp4) or a folder of this machine: the user's own file name
    text = json.dumps([motion.source, motion.notes, motion.provenance])
    assert "upload-" not in text and str(library) not in text and "rehearsal.mp4" in text
    assert list((library / ".pasdeux-studio" / "uploads").iterdir()) == []  # staging is emptied
    # the photograph shows head and shoulders only: the made-up legs are said to be made up, first in the notes
    assert len(done["warnings"]) == 1 and "dancer 1's legs were seen in only" in done["warnings"][0]
    assert motion.notes[0] == f"warning: {done['warnings'][0]}"
    assert motion.provenance["extract"]["warnings"] == done["warnings"]


def test_pasdeux_extract_warns_about_a_head_and_shoulders_video_as_the_studio_does(tmp_path, capsys):
    from pasdeux.cli import main
    from pasdeux.extract import synthetic

    video = synthetic.write(tmp_path / "close-up.mp4", synthetic.frames(24, people=1))
    out = tmp_path / "close-up.npz"
    assert main(["extract", str(video), "-o", str(out), "--model", "lite", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "warning: dancer 1's legs were seen in only" in err and "film the whole body" in err
    motion = pasdeux.load(out)  # the file says it too, first in its notes and in its record, as the studio's do
    assert motion.notes[0].startswith("warning: dancer 1's legs were seen in only")
    assert motion.provenance["extract"]["warnings"] == [motion.notes[0].removeprefix("warning: ")]


def test_legs_are_called_unseen_only_when_the_video_hid_them():
    from pasdeux.extract.unseen import warnings
    from pasdeux.skeletons import BLAZEPOSE33

    vis, found = np.full((2, 50, 33), 0.9), np.ones((2, 50), bool)
    assert warnings(vis, found) == []  # a whole body in view
    legs = [BLAZEPOSE33.index(j) for j in ("left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
                                          "right_heel", "left_foot_index", "right_foot_index")]
    vis[1, :40, legs] = 0.1  # dancer 2's legs out of the frame for 40 of 50 frames
    out = warnings(vis, found)
    assert len(out) == 1 and out[0].startswith("dancer 2's legs were seen in only 20 %")
    found[1, :40] = False  # ... but dancer 2 was not there then: in the frames it was found, its legs were seen
    assert warnings(vis, found) == []


def test_a_video_that_cannot_be_read_is_reported_and_nothing_is_added(client, library):
    before = sorted(p.relative_to(library) for p in library.rglob("*") if ".pasdeux-studio" not in p.parts)
    r = client.post("/api/videos", files={"file": ("broken.mp4", b"\x00\x00\x00\x18ftypmp42 not a video")})
    assert r.status_code == 202
    failed = _wait_extraction(client, r.json()["job"])
    assert failed["state"] == "failed" and "broken.mp4" in failed["message"] and "upload-" not in failed["message"]
    assert list((library / ".pasdeux-studio" / "uploads").iterdir()) == []
    after = sorted(p.relative_to(library) for p in library.rglob("*") if ".pasdeux-studio" not in p.parts)
    assert after == before
    assert client.post("/api/videos", files={"file": ("clip.txt", b"x")}).status_code == 400
    assert client.post("/api/videos", files={"file": ("a.mp4", b"x")}, data={"dancers": "9"}).status_code == 400
    assert client.post("/api/videos", files={"file": ("a.mp4", b"x")}, data={"dancers": "0"}).status_code == 400
    three = client.post("/api/videos", files={"file": ("trio.mp4", b"x")}, data={"dancers": "3"})
    assert three.status_code == 202  # a trio is accepted as by `pasdeux extract` (this file fails to decode)
    assert _wait_extraction(client, three.json()["job"])["state"] == "failed"
    assert client.get("/api/videos/status", params={"job": "../../x"}).status_code == 404


SALSA = "cmu_salsa"


def test_two_files_of_one_couple_are_paired_into_a_duet_checked_first(client, library, shared_data):
    for name in ("60_02.bvh", "61_02.bvh", "60_03.bvh"):
        shutil.copy(shared_data / SALSA / name, library / name)
    r = client.post("/api/library/pair", json={"a": "60_02.bvh", "b": "61_02.bvh"})
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["path"] == "duets/60_02+61_02.npz" and entry["dancers"] == 2
    duet = pasdeux.load(library / entry["path"])
    a, b = pasdeux.load(library / "60_02.bvh"), pasdeux.load(library / "61_02.bvh")
    np.testing.assert_allclose(duet.positions[0], a.positions[0], atol=1e-5)
    np.testing.assert_allclose(duet.positions[1], b.positions[0], atol=1e-5)
    assert str(library) not in json.dumps([duet.source, duet.notes, entry])
    # two takes of different lengths are not one couple: a 400 naming both lengths, and nothing written
    before = sorted((library / "duets").iterdir())
    r = client.post("/api/library/pair", json={"a": "60_02.bvh", "b": "60_03.bvh"})
    assert r.status_code == 400 and "frames" in r.json()["detail"] and "60_03.bvh" in r.json()["detail"]
    r = client.post("/api/library/pair", json={"a": "60_02.bvh", "b": "60_02.bvh"})
    assert r.status_code == 400 and "two different files" in r.json()["detail"]
    r = client.post("/api/library/pair", json={"a": entry["path"], "b": "61_02.bvh"})
    assert r.status_code == 400 and "already holds 2 dancers" in r.json()["detail"]
    assert sorted((library / "duets").iterdir()) == before


def test_two_dancers_of_a_group_file_are_picked_as_a_couple_checked_first(client, library, duet):
    # a trio: the video duet and a third dancer who is there only for the first 40 frames
    third = duet.positions[:1].copy()
    third[:, 40:] = np.nan
    trio = duet.with_positions(np.concatenate([duet.positions, third]), labels=("A", "B", "C"))
    pasdeux.save(trio, library / "trio.npz")
    r = client.post("/api/library/pick", json={"path": "trio.npz", "dancers": [1, 0]})
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["path"] == "duets/trio-dancers2+1.npz" and entry["dancers"] == 2
    picked = pasdeux.load(library / entry["path"])
    np.testing.assert_array_equal(picked.positions, duet.positions[[1, 0]])  # in the order picked
    assert str(library) not in json.dumps([picked.source, picked.notes, entry])
    # checked before anything is written: a 400 that says what is wrong, and no file
    before = sorted((library / "duets").iterdir())
    for dancers, words in (([0, 0], "chosen twice"), ([0, 5], "there is no dancer 6"),
                           ([0, 2], "both present in only 40 frames")):
        r = client.post("/api/library/pick", json={"path": "trio.npz", "dancers": dancers})
        assert r.status_code == 400 and words in r.json()["detail"], r.text
    assert client.post("/api/library/pick", json={"path": "../trio.npz", "dancers": [0, 1]}).status_code == 403
    assert sorted((library / "duets").iterdir()) == before
    # the duet recipe takes the picked couple, and refuses the trio as it is, naming what to do
    r = client.post("/api/runs", json={"recipe": "duet", "files": ["trio.npz"], "epochs": 1})
    assert r.status_code == 400 and "pick two dancers" in r.json()["detail"]


def test_a_duet_recipe_on_solo_files_is_refused_before_it_starts(client, library, shared_data):
    shutil.copy(shared_data / SALSA / "60_02.bvh", library / "60_02.bvh")
    runs = sorted((library / "runs").iterdir())
    r = client.post("/api/runs", json={"recipe": "duet", "files": ["60_02.bvh"], "budget_s": 20})
    assert r.status_code == 400 and "Pair two files into a duet" in r.json()["detail"]
    assert "--pair" not in r.json()["detail"] and sorted((library / "runs").iterdir()) == runs  # no failed run left


def test_pairing_reads_nothing_through_a_link_that_points_out(client, library, shared_data, tmp_path):
    shutil.copy(shared_data / SALSA / "60_02.bvh", library / "60_02.bvh")
    outside = tmp_path / "private" / "61_02.bvh"
    outside.parent.mkdir()
    shutil.copy(shared_data / SALSA / "61_02.bvh", outside)
    (library / "linked.bvh").symlink_to(outside)
    try:
        r = client.post("/api/library/pair", json={"a": "60_02.bvh", "b": "linked.bvh", "name": "leak"})
        assert r.status_code == 403 and "outside the library" in r.json()["detail"]
        assert str(tmp_path) not in r.text and not (library / "duets" / "leak.npz").exists()
    finally:
        (library / "linked.bvh").unlink()

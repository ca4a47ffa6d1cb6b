"""AlphaPose 3D results: two dancers out of the tracks, with every repair reported."""

from __future__ import annotations

import json

import numpy as np
import pytest

import pasdeux
from io_fixtures import alphapose_duet, alphapose_entry, smpl_pose


@pytest.fixture
def duet_json(tmp_path):
    entries, truth = alphapose_duet()
    path = tmp_path / "alphapose-results.json"
    path.write_text(json.dumps(entries))
    return path, truth


def test_two_continuous_dancers_despite_swap_third_person_and_gaps(duet_json):
    path, truth = duet_json
    m = pasdeux.load(path)
    assert (m.n_dancers, m.n_frames, m.n_joints, m.skeleton.name) == (2, 60, 24, "smpl24")
    assert m.n_missing == 0
    root = m.positions[:, :, 0]  # y-up
    steps = np.linalg.norm(np.diff(root, axis=1), axis=-1)
    assert steps.max() < 0.05  # each dancer's track is continuous: no jump across the id swap
    # dancer 1 stays on the left (true x -0.8 + ...), dancer 2 on the right, 1.6 m apart at the start
    gap = root[1, :, 0] - root[0, :, 0]
    np.testing.assert_allclose(gap, truth[1, :, 0] - truth[0, :, 0], atol=0.02)
    # the arm sway of dancer 2 is larger, so the poses are not exchanged after frame 41 either
    assert np.ptp(m.positions[1, :, 21, 1]) > np.ptp(m.positions[0, :, 21, 1])


def test_every_repair_is_in_the_notes(duet_json):
    notes = "\n".join(pasdeux.load(duet_json[0]).notes)
    assert "frame 41: the tracker swapped ids 3 and 7; swapped them back" in notes
    assert "dropped person (track 9) in 11 frame(s)" in notes
    assert "no detection at all: 20" in notes
    assert "filled 4 missing frame(s) of dancer 2 by interpolation: 20, 30-32" in notes
    assert "converted y-down camera axes to y-up" in notes


def test_head_above_pelvis_after_conversion(duet_json):
    m = pasdeux.load(duet_json[0])
    assert (m.positions[..., 15, 1] > m.positions[..., 0, 1] + 0.4).all()


def test_long_gap_stays_missing_and_is_reported(tmp_path):
    entries, _ = alphapose_duet(gap=(10, 40))
    path = tmp_path / "a.json"
    path.write_text(json.dumps(entries))
    m = pasdeux.load(path, max_gap=15)
    assert np.isnan(m.positions[1, 10:40]).all() and not np.isnan(m.positions[0]).any()
    assert any("dancer 2 missing in 30 frame(s) left as NaN" in n for n in m.notes)


def test_frame_numbers_sort_numerically_and_one_dancer_option(tmp_path):
    entries = [alphapose_entry(f, 1, smpl_pose(f / 30), np.array([0.0, 0.3, 4.0])) for f in (10, 9, 2, 1)]
    entries = [dict(e, image_id=f"img_{e['image_id']}") for e in entries]
    path = tmp_path / "solo.json"
    path.write_text(json.dumps(entries))
    m = pasdeux.load(path, dancers=1, fps=25)
    assert (m.n_dancers, m.n_frames, m.fps) == (1, 10, 25)  # images 1..10
    assert not np.isnan(m.positions[0, [0, 1, 8, 9]]).any()  # images 1, 2, 9, 10 are present
    assert not np.isnan(m.positions).any()  # images 3-8 are a 6-frame gap, filled (max_gap 15)
    assert any("filled 6 missing frame(s) of dancer 1 by interpolation: 3-8" in n for n in m.notes)


@pytest.mark.parametrize("content, message", [
    ('{"image_id": "1.jpg"}', "expected a JSON list"),
    ("[]", "no detections"),
    ('[{"image_id": "1.jpg", "box": [0, 0, 1, 1], "idx": 1}]', "lacks pred_xyz_jts"),
    ('[{"image_id": "1.jpg", "box": [0, 0, 1, 1], "idx": 1, "pred_xyz_jts": [[0, 0]]}]', "24x3"),
    ('[{"image_id": "x.jpg", "box": [0, 0, 1, 1], "idx": 1, "pred_xyz_jts": ' + json.dumps([[0, 0, 0]] * 24)
     + "}]", "names no frame number"),
    ('[{"image_id": "1.jpg", "box": [0, 0, 1, 1], "idx": "a", "pred_xyz_jts": ' + json.dumps([[0, 0, 0]] * 24)
     + "}]", "not a track id"),
    ("[{", "not valid JSON"),
])
def test_wrong_structure_is_a_format_error(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(pasdeux.FormatError, match=message):
        pasdeux.load(path, format="alphapose")


def test_poses_with_their_own_translation_are_used_as_given(tmp_path):
    entries, truth = alphapose_duet(frames=30, swap_at=15)
    for e in entries:  # as if AlphaPose kept the root translation: shift each pose by its track's true root
        k = 0 if e["box"][0] + e["box"][2] / 2 < 960 else 1  # box centre: left or right dancer
        f = int(e["image_id"].split(".")[0])
        e["pred_xyz_jts"] = (np.array(e["pred_xyz_jts"]) + truth[k, f]).tolist()
    path = tmp_path / "absolute.json"
    path.write_text(json.dumps([e for e in entries if e["idx"] != 9]))
    m = pasdeux.load(path)
    assert any("used as given" in n for n in m.notes)
    np.testing.assert_allclose(m.positions[:, :, 0, 0], truth[:, :, 0], atol=1e-5)  # x untouched by y-down -> y-up


def test_dancers_numbered_left_to_right_even_when_ids_swap_early(tmp_path):
    entries, _ = alphapose_duet(swap_at=5)  # track 3 is the right-hand dancer for most of the take
    path = tmp_path / "early.json"
    path.write_text(json.dumps(entries))
    m = pasdeux.load(path)
    assert (m.positions[0, :, 0, 0] < m.positions[1, :, 0, 0] - 1).all()
    assert np.ptp(m.positions[1, :, 21, 1]) > np.ptp(m.positions[0, :, 21, 1])  # the big arm sway stays dancer 2
    assert "frame 5: the tracker swapped ids 3 and 7; swapped them back (nearest-pose matching)" in m.notes

"""Plain position files: pose .npy with any built-in skeleton, pasdeux .npz and CSV round trips."""

from __future__ import annotations

import numpy as np
import pytest

import pasdeux
from pasdeux.io import detect_format
from pasdeux.motion import Motion, Skeleton


def test_shared_duet_is_two_dancers_head_above_pelvis(duet):
    assert (duet.n_dancers, duet.n_frames, duet.n_joints, duet.skeleton.name) == (2, 1800, 29, "hybrik29")
    head, pelvis = duet.skeleton.index("head"), duet.skeleton.index("pelvis")
    assert (duet.positions[..., head, 1] > duet.positions[..., pelvis, 1]).all()


def test_npz_round_trip_is_exact(tmp_path, duet):
    m = duet.frames(0, 300)
    m.positions[1, 10:15, 3] = np.nan  # missing data survives too
    out = pasdeux.load(pasdeux.save(m, tmp_path / "duet.npz"))
    assert np.array_equal(out.positions, m.positions, equal_nan=True)
    assert (out.skeleton, out.fps, out.source, out.notes) == (m.skeleton, m.fps, m.source, m.notes)


def test_csv_round_trip(tmp_path, duet):
    m = duet.frames(0, 120)
    m.positions[0, 5, 7] = np.nan
    path = pasdeux.save(m, tmp_path / "duet.csv")
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# pasdeux ")
    assert lines[1].startswith("frame,dancer,pelvis_x,pelvis_y,pelvis_z,left_hip_x")
    assert lines[2].startswith("0,0,") and lines[3].startswith("0,1,")
    out = pasdeux.load(path)
    assert detect_format(path) == "csv"
    assert np.array_equal(out.positions, m.positions, equal_nan=True)  # 9 digits: float32 exact
    assert out.skeleton == m.skeleton and out.fps == m.fps and out.notes[: len(m.notes)] == m.notes


def test_csv_from_elsewhere_with_own_joint_names(tmp_path):
    header = "frame,dancer," + ",".join(f"{j}_{a}" for j in ("hip", "knee") for a in "xyz")
    body = "\n".join(f"{f},0,{f},1,0,{f},0.5,0" for f in range(4))
    path = tmp_path / "mine.csv"
    path.write_text(header + "\n" + body + "\n")
    m = pasdeux.load(path, fps=50)
    assert m.skeleton.joints == ("hip", "knee") and m.fps == 50 and m.positions.shape == (1, 4, 2, 3)
    np.testing.assert_array_equal(m.positions[0, 3, 1], [3, 0.5, 0])


def test_headerless_csv_needs_a_skeleton_and_reads_rows_as_frames(tmp_path, duet):
    path = tmp_path / "plain.csv"
    solo = duet.positions[0, :50, :24]
    np.savetxt(path, solo.reshape(50, -1), delimiter=",", fmt="%.9g")
    m = pasdeux.load(path, skeleton="smpl24")
    assert m.skeleton.name == "smpl24"
    np.testing.assert_array_equal(m.positions[0], solo)
    with pytest.raises(pasdeux.ShapeError, match="skeleton 'mariel53' has 53"):
        pasdeux.load(path, skeleton="mariel53")


@pytest.mark.parametrize("name, joints", [("smpl24", 24), ("hybrik29", 29), ("mariel53", 53)])
def test_pose_npy_takes_any_builtin_skeleton(tmp_path, name, joints):
    path = tmp_path / "poses.npy"
    np.save(path, np.random.default_rng(0).normal(size=(40, joints, 3)).astype(np.float32))
    m = pasdeux.load(path, skeleton=name, axes="y_up", interleaved=False)
    assert (m.skeleton.name, m.n_dancers, m.n_frames) == (name, 1, 40)


def test_pose_npy_wrong_skeleton_says_which_fits(tmp_path):
    path = tmp_path / "poses.npy"
    np.save(path, np.zeros((10, 24, 3), np.float32))
    with pytest.raises(pasdeux.ShapeError, match="24 joints but skeleton 'hybrik29' has 29"):
        pasdeux.load(path, skeleton="hybrik29")


def test_pose_npy_four_dimensional_duet(tmp_path, duet):
    path = tmp_path / "duet4d.npy"
    np.save(path, duet.positions[:, :30] * np.array([1, -1, -1], np.float32))
    m = pasdeux.load(path)
    np.testing.assert_allclose(m.positions, duet.positions[:, :30], atol=1e-6)


def test_unknown_option_names_the_accepted_ones(tmp_path):
    m = Motion(np.zeros((3, 2, 3)), Skeleton("two", ("a", "b"), ((0, 1),)), 30)
    path = pasdeux.save(m, tmp_path / "m.npz")
    with pytest.raises(pasdeux.ConfigError, match="takes no option 'axes'; its options are: skeleton, fps"):
        pasdeux.load(path, axes="z_up")


def test_npz_options_override_the_stored_metadata(tmp_path, duet):
    path = pasdeux.save(duet.frames(0, 10).dancer(0), tmp_path / "solo.npz")
    m = pasdeux.load(path, fps=25)
    assert m.fps == 25 and m.notes[-1] == "frame rate set to 25 fps (option)"
    with pytest.raises(pasdeux.ShapeError, match="29 joints but skeleton 'smpl24' has 24"):
        pasdeux.load(path, skeleton="smpl24")


@pytest.mark.parametrize("ext", ["npz", "csv"])
def test_labels_and_provenance_survive_the_file(tmp_path, duet, ext):
    made = duet.frames(0, 20).with_positions(duet.positions[:, :20], labels=("lead", "partner"),
                                             provenance={"mode": "partner", "sigma": 0.5, "seed": 3})
    back = pasdeux.load(pasdeux.save(made, tmp_path / f"gen.{ext}"))
    assert back.labels == ("lead", "partner")
    assert back.provenance == {"mode": "partner", "sigma": 0.5, "seed": 3}
    assert back.dancer(1).labels == ("partner",)


def test_provenance_must_be_json_and_labels_one_per_dancer(duet):
    with pytest.raises(pasdeux.ShapeError, match="JSON"):
        duet.with_positions(duet.positions, provenance={"model": object()})
    with pytest.raises(pasdeux.ShapeError, match="one label per dancer"):
        duet.with_positions(duet.positions, labels=("lead",))

"""Data preparation on the real duet: canonical frame, centring, gaps, windows, splits, augmentation."""

from __future__ import annotations

import numpy as np
import pytest

from pasdeux import ConfigError, Motion, ShapeError, get_skeleton
from pasdeux import data as D
from pasdeux.body import facing_angle


def test_shared_duet_loads_as_two_upright_dancers(duet):
    assert (duet.n_dancers, duet.n_frames, duet.n_joints, duet.fps) == (2, 1800, 29, 30.0)
    head, pelvis = duet.skeleton.index("head"), duet.skeleton.index("pelvis")
    assert (duet.positions[..., head, 1] > duet.positions[..., pelvis, 1]).all()
    # hip-to-knee about 0.47 m: the data is in metres
    knee = duet.skeleton.bone_lengths(duet.positions)[..., duet.skeleton.bones.index((1, 4))]
    assert 0.35 < np.median(knee) < 0.6


def test_time_split_is_70_15_15_without_overlap(duet):
    parts = D.time_split(duet)
    assert [parts[k].n_frames for k in ("train", "val", "test")] == [1260, 270, 270]
    np.testing.assert_array_equal(parts["test"].positions[:, 0], duet.positions[:, 1530])
    with pytest.raises(ConfigError):
        D.time_split(duet, (0.5, 0.5, 0.5))


def test_benchmark_test_windows_count_is_52(duet):
    test = D.time_split(duet)["test"]
    w = D.solo_windows([test], 64, 8)
    assert w.shape == (52, 64, 29, 3)
    pelvis = w[..., 0, :]
    assert np.abs(pelvis[..., [0, 2]]).max() < 1e-6  # centred per frame in x and z
    assert np.abs(pelvis[..., 1]).max() > 0.05  # height untouched


def test_windows_are_views_at_the_requested_stride():
    x = np.arange(100, dtype=np.float32)[:, None]
    w = D.windows(x, 10, 5)
    assert w.shape == (19, 10, 1)
    assert w[3, 0, 0] == 15 and w[3, -1, 0] == 24
    assert D.windows(x[:5], 10, 1).shape[0] == 0


def test_centring_modes(duet):
    w = D.solo_windows([duet.frames(0, 64)], 64, 64, centring="window")
    root = w[0, :, 0, [0, 2]]
    assert np.abs(root.mean(-1)).max() < 1e-5
    with pytest.raises(ConfigError, match="centring mode"):
        D.center(w, duet.skeleton, "sideways")


def test_fill_gaps_interpolates_short_and_reports_long(duet):
    pos = duet.positions[:1, :200].copy()
    truth = pos.copy()
    pos[0, 50:55, 7] = np.nan  # short gap in left ankle
    pos[0, 100:180, 20] = np.nan  # 80-frame gap in left wrist
    filled = D.fill_gaps(Motion(pos, duet.skeleton, 30), max_gap=30)
    assert not np.isnan(filled.positions[0, 50:55, 7]).any()
    assert np.abs(filled.positions[0, 50:55, 7] - truth[0, 50:55, 7]).max() < 0.05
    assert np.isnan(filled.positions[0, 100:180, 20]).all()
    assert "left_wrist" in filled.notes[-1] and "frames 100-179" in filled.notes[-1]


def test_solo_windows_refuse_missing_data(duet):
    pos = duet.positions[:1, :100].copy()
    pos[0, 10, 3] = np.nan
    with pytest.raises(ShapeError, match="fill_gaps"):
        D.solo_windows([Motion(pos, duet.skeleton, 30)], 64, 8)


def test_face_forward_turns_first_frame_to_plus_z(duet):
    turned = D.face_forward(duet)
    angle = facing_angle(turned.positions[:, 0], duet.skeleton)
    np.testing.assert_allclose(angle, 0, atol=1e-4)
    # a rotation about y: bone lengths and heights do not change
    np.testing.assert_allclose(turned.skeleton.bone_lengths(turned.positions),
                               duet.skeleton.bone_lengths(duet.positions), atol=1e-4)
    np.testing.assert_allclose(turned.positions[..., 1], duet.positions[..., 1], atol=1e-5)


def test_facing_angle_points_where_the_body_faces():
    sk = get_skeleton("smpl24")
    pose = np.zeros((24, 3), np.float32)
    # SMPL convention: a body facing +z has its left side at +x
    pose[sk.index("left_hip")], pose[sk.index("right_hip")] = (0.1, 0, 0), (-0.1, 0, 0)
    pose[sk.index("left_shoulder")], pose[sk.index("right_shoulder")] = (0.2, 0.5, 0), (-0.2, 0.5, 0)
    assert facing_angle(pose, sk) == pytest.approx(0.0)
    turned = D.rotate_y(pose, np.pi / 2)  # a quarter turn to the left: now facing +x
    assert facing_angle(turned, sk) == pytest.approx(np.pi / 2)


def test_rotation_and_mirror_augmentation_keep_the_body(duet):
    sk = duet.skeleton
    w = D.solo_windows([duet.frames(0, 128)], 64, 32)
    out = D.augment(w, sk, np.random.default_rng(0), rotate=True, mirror_p=1.0)
    # mirroring swaps left and right bones, so compare each frame's set of bone lengths
    np.testing.assert_allclose(np.sort(sk.bone_lengths(out), -1), np.sort(sk.bone_lengths(w), -1), atol=1e-4)
    mirrored = D.mirror(w, sk)
    left, right = sk.index("left_wrist"), sk.index("right_wrist")
    np.testing.assert_allclose(mirrored[..., left, 0], -w[..., right, 0], atol=1e-6)
    np.testing.assert_allclose(D.mirror(mirrored, sk), w, atol=1e-6)
    # mirroring flips which way the body turns
    np.testing.assert_allclose(facing_angle(mirrored[:, 0], sk), -facing_angle(w[:, 0], sk), atol=1e-4)


def test_norm_stats_round_trip(tmp_path, duet):
    x = duet.positions.reshape(-1, 87)
    stats = D.NormStats.fit(x)
    z = stats.normalize(x)
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-3)
    stats.save(tmp_path / "stats.json")
    again = D.NormStats.load(tmp_path / "stats.json")
    np.testing.assert_allclose(again.denormalize(z), x, atol=1e-5)
    with pytest.raises(ShapeError):
        D.NormStats.from_dict({"mean": [0.0, 1.0], "std": [1.0, -1.0]})


def test_leader_centred_windows_put_leader_pelvis_at_origin(duet):
    w = D.duet_windows(D.time_split(duet)["test"])
    assert w.shape == (26, 2, 64, 29, 3)
    np.testing.assert_allclose(w[:, 0, :, 0, [0, 2]], 0, atol=1e-6)
    swapped = D.duet_windows(D.time_split(duet)["test"], leader=1)
    np.testing.assert_allclose(swapped[:, 1, :, 0, 1], w[:, 0, :, 0, 1], atol=1e-6)
    with pytest.raises(ShapeError, match="2 dancers"):
        D.duet_windows(duet.dancer(0))


def test_duet_windows_turn_and_mirror_together(duet):
    w = D.duet_windows(D.time_split(duet)["train"], 64, 32)
    gap = np.linalg.norm(w[:, 0, :, 0] - w[:, 1, :, 0], axis=-1)  # pelvis to pelvis
    rng = np.random.default_rng(0)
    out = D.augment(w, duet.skeleton, rng, rotate=True, mirror_p=0.5)
    np.testing.assert_allclose(np.linalg.norm(out[:, 0, :, 0] - out[:, 1, :, 0], axis=-1), gap, atol=1e-5)
    np.testing.assert_allclose(out[:, 0, :, 0, 1], w[:, 0, :, 0, 1], atol=1e-6)  # heights never change

"""Forward/inverse kinematics and bone-length fixing, on synthetic poses with known rotations and the real duet."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from pasdeux import kinematics as K
from pasdeux.errors import ShapeError, SkeletonError
from pasdeux.skeletons import get_skeleton

HYBRIK = get_skeleton("hybrik29")


def _rest(skeleton, rng) -> np.ndarray:
    """A plausible rest pose: random offsets of 5-40 cm, root at the origin."""
    offsets = rng.normal(size=(skeleton.n_joints, 3))
    offsets *= rng.uniform(0.05, 0.4, size=(skeleton.n_joints, 1)) / np.linalg.norm(offsets, axis=1, keepdims=True)
    offsets[0] = 0
    return offsets


def _random_motion(skeleton, rng, frames=40):
    offsets = _rest(skeleton, rng)
    rotations = Rotation.random(frames * skeleton.n_joints, random_state=1).as_matrix()
    rotations = rotations.reshape(frames, skeleton.n_joints, 3, 3)
    root = rng.normal(size=(frames, 3))
    return K.forward_kinematics(rotations, offsets, skeleton.parents, root_positions=root), rotations, offsets


def test_euler_to_matrix_matches_scipy_for_every_order():
    angles = np.random.default_rng(0).uniform(-180, 180, size=(50, 3))
    for order in ("XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX"):
        expected = Rotation.from_euler(order, angles, degrees=True).as_matrix()
        assert np.allclose(K.euler_to_matrix(angles, order), expected, atol=1e-12)


def test_forward_kinematics_of_a_chain_by_hand():
    parents = (-1, 0, 1)
    offsets = np.array([[0, 0, 0], [0, 1.0, 0], [0, 1.0, 0]])
    rot = np.broadcast_to(np.eye(3), (1, 3, 3, 3)).copy()
    rot[0, 0] = Rotation.from_euler("z", 90, degrees=True).as_matrix()  # root turns y into -x
    rot[0, 1] = Rotation.from_euler("z", -90, degrees=True).as_matrix()  # elbow turns it back
    pos = K.forward_kinematics(rot, offsets, parents, root_positions=np.array([[1.0, 2.0, 3.0]]))
    assert np.allclose(pos[0], [[1, 2, 3], [0, 2, 3], [0, 3, 3]])


def test_swing_and_kabsch_recover_known_rotations():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(100, 3)), rng.normal(size=(100, 3))
    r = K.swing(a, b)
    turned = np.einsum("nab,nb->na", r, a)
    assert np.allclose(turned / np.linalg.norm(turned, axis=1, keepdims=True),
                       b / np.linalg.norm(b, axis=1, keepdims=True), atol=1e-9)
    assert np.allclose(K.swing(a[:1], -a[:1])[0] @ a[0], -a[0], atol=1e-9)  # opposite directions: a half turn
    truth = Rotation.random(20, random_state=2).as_matrix()
    rest = rng.normal(size=(3, 3))
    assert np.allclose(K.kabsch(rest, np.einsum("nab,kb->nka", truth, rest)), truth, atol=1e-9)


def test_inverse_kinematics_reproduces_positions_and_branching_rotations():
    rng = np.random.default_rng(3)
    positions, rotations, offsets = _random_motion(HYBRIK, rng)
    pose = K.inverse_kinematics(positions, HYBRIK, offsets=offsets, exact=False)
    rebuilt = K.forward_kinematics(pose.rotations, pose.offsets, HYBRIK.parents, translations=pose.translations)
    assert np.abs(rebuilt - positions).max() < 1e-9
    assert pose.moving.tolist() == [True] + [False] * (HYBRIK.n_joints - 1)  # a rigid skeleton needs only the root
    truth, found = _world(rotations, HYBRIK.parents), _world(pose.rotations, HYBRIK.parents)
    for j in (0, 9):  # pelvis and spine3 have three non-collinear children: their orientation is determined
        assert np.allclose(found[:, j], truth[:, j], atol=1e-9)


def _world(local, parents):
    world = local.copy()
    for j, p in enumerate(parents):
        if p >= 0:
            world[:, j] = world[:, p] @ local[:, j]
    return world


def test_inverse_kinematics_with_its_own_rest_pose():
    rng = np.random.default_rng(4)
    positions, _, _ = _random_motion(HYBRIK, rng)
    pose = K.inverse_kinematics(positions, HYBRIK)  # rest pose estimated from the data
    assert np.allclose(np.linalg.norm(pose.offsets[1:], axis=1), HYBRIK.bone_lengths(positions).mean(0), atol=1e-9)
    rebuilt = K.forward_kinematics(pose.rotations, pose.offsets, HYBRIK.parents, translations=pose.translations)
    assert np.abs(rebuilt - positions).max() < 1e-6


def test_fix_bone_lengths_makes_bones_constant_and_keeps_directions(duet):
    raw = duet.positions.astype(np.float64)  # [2, T, 29, 3]
    fixed = K.fix_bone_lengths(raw, duet.skeleton)
    before, after = duet.skeleton.bone_lengths(raw), duet.skeleton.bone_lengths(fixed)
    assert before.std(axis=1).max() > 0.01  # the video estimate really does stretch
    assert after.std(axis=1).max() < 1e-9  # per dancer, every bone now has one length: its mean
    assert np.allclose(after[:, 0], before.mean(axis=1), atol=1e-9)
    assert np.allclose(fixed[..., 0, :], raw[..., 0, :])  # the root stays where it was
    a, b = np.asarray(duet.skeleton.bones).T
    cos = np.sum(_unit(fixed[..., b, :] - fixed[..., a, :]) * _unit(raw[..., b, :] - raw[..., a, :]), axis=-1)
    assert cos.min() > 1 - 1e-9
    lengths = np.full(len(duet.skeleton.bones), 0.2)
    assert np.allclose(duet.skeleton.bone_lengths(K.fix_bone_lengths(raw[0], duet.skeleton, lengths)), 0.2)


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def test_duet_inverse_kinematics_reproduces_fixed_and_raw_data(duet):
    sk = duet.skeleton
    raw = duet.positions[0, :600].astype(np.float64)
    fixed = K.fix_bone_lengths(raw, sk)
    for target in (fixed, raw):  # exact mode: stretchy bones and moving siblings keep translations
        pose = K.inverse_kinematics(target, sk)
        rebuilt = K.forward_kinematics(pose.rotations, pose.offsets, sk.parents, translations=pose.translations)
        assert np.linalg.norm(rebuilt - target, axis=-1).max() < 1e-6
    pose = K.inverse_kinematics(fixed, sk, exact=False)  # rotations only: single-child joints stay exact
    rebuilt = K.forward_kinematics(pose.rotations, pose.offsets, sk.parents, translations=pose.translations)
    err = np.linalg.norm(rebuilt - fixed, axis=-1)
    assert err.mean() < 0.005
    assert np.allclose(np.linalg.norm(rebuilt[:, 4] - rebuilt[:, 1], axis=-1), np.linalg.norm(pose.offsets[4]))


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(SkeletonError, match="tree"):
        K.inverse_kinematics(np.zeros((2, 53, 3)), get_skeleton("mariel53"))
    nan = np.zeros((2, 29, 3))
    nan[1, 3] = np.nan
    with pytest.raises(ShapeError, match="fill_gaps"):
        K.inverse_kinematics(nan, HYBRIK)
    with pytest.raises(ShapeError, match="frames"):
        K.inverse_kinematics(np.zeros((29, 3)), HYBRIK)
    with pytest.raises(ShapeError):
        K.fix_bone_lengths(np.zeros((4, 28, 3)), HYBRIK)


def test_matrix_to_euler_is_continuous_through_gimbal_lock_and_exact():
    t = np.linspace(0, 1, 200)
    # a smooth turn whose middle (X) angle crosses 90 degrees and whose Z angle winds past 180
    angles = np.stack([400 * t - 100, 60 + 60 * t, 50 * np.sin(6 * t)], axis=1)
    rotations = K.euler_to_matrix(angles, "ZXY")[:, None]  # [T, 1, 3, 3]
    euler = K.matrix_to_euler(rotations, "ZXY")
    assert np.allclose(K.euler_to_matrix(euler, "ZXY"), rotations, atol=1e-9)
    assert np.abs(np.diff(euler, axis=0)).max() < 10  # no 180 or 360 degree jumps between frames

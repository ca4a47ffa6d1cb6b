"""Motion and Skeleton: shapes, checks, slicing, joining, resampling, built-in skeletons."""

from __future__ import annotations

import numpy as np
import pytest

from pasdeux import Motion, ShapeError, Skeleton, SkeletonError, get_skeleton
from pasdeux.skeletons import BUILTIN, skeleton_for_joint_count


def _motion(dancers=1, frames=40, fps=30.0, name="smpl24") -> Motion:
    sk = get_skeleton(name)
    rng = np.random.default_rng(0)
    return Motion(rng.normal(size=(dancers, frames, sk.n_joints, 3)), sk, fps, "synthetic")


def test_positions_are_float32_dancers_frames_joints_xyz():
    m = _motion(dancers=2, frames=10)
    assert m.positions.dtype == np.float32
    assert (m.n_dancers, m.n_frames, m.n_joints) == (2, 10, 24)
    assert m.duration == pytest.approx(10 / 30)


def test_solo_given_without_dancer_axis_becomes_one_dancer():
    sk = get_skeleton("smpl24")
    assert Motion(np.zeros((5, 24, 3)), sk, 30).n_dancers == 1


@pytest.mark.parametrize("shape", [(1, 5, 23, 3), (1, 5, 24, 2), (5,)])
def test_wrong_shape_is_refused_with_a_message(shape):
    with pytest.raises(ShapeError, match="joints|dancers"):
        Motion(np.zeros(shape), get_skeleton("smpl24"), 30)


def test_inf_and_bad_fps_are_refused():
    sk = get_skeleton("smpl24")
    bad = np.zeros((1, 5, 24, 3))
    bad[0, 2, 3, 1] = np.inf
    with pytest.raises(ShapeError, match="inf"):
        Motion(bad, sk, 30)
    with pytest.raises(ShapeError, match="fps"):
        Motion(np.zeros((1, 5, 24, 3)), sk, 0)


def test_slicing_by_frames_seconds_and_dancers():
    m = _motion(dancers=2, frames=60)
    assert m.frames(10, 20).n_frames == 10
    np.testing.assert_array_equal(m.frames(10, 20).positions, m.positions[:, 10:20])
    assert m.seconds(0.5, 1.0).n_frames == 15
    np.testing.assert_array_equal(m.dancer(1).positions[0], m.positions[1])
    assert [s.n_dancers for s in m.solos()] == [1, 1]
    with pytest.raises(ShapeError, match="dancer 2 does not exist"):
        m.dancer(2)


def test_concat_time_and_dancers_and_mismatch():
    a, b = _motion(frames=10), _motion(frames=15)
    assert Motion.concat([a, b]).n_frames == 25
    assert Motion.concat([a, a], axis="dancers").n_dancers == 2
    with pytest.raises(ShapeError, match="fps"):
        Motion.concat([a, _motion(fps=60)])
    with pytest.raises(SkeletonError):
        Motion.concat([a, _motion(name="hybrik29")])


def test_resample_interpolates_smoothly_and_keeps_duration():
    t = np.arange(120) / 120.0
    sk = get_skeleton("smpl24")
    pos = np.zeros((1, 120, 24, 3))
    pos[..., 0] = np.sin(2 * np.pi * 1.0 * t)[None, :, None]  # a 1 Hz sway
    m = Motion(pos, sk, 120.0)
    down = m.resample(30)
    assert down.fps == 30 and down.n_frames == 30
    expected = np.sin(2 * np.pi * np.arange(30) / 30.0)
    # interior frames follow the true curve (frame dropping would too; the point is no aliasing or drift)
    np.testing.assert_allclose(down.positions[0, 3:-3, 0, 0], expected[3:-3], atol=0.02)
    up = m.resample(240)
    assert up.n_frames == 240
    np.testing.assert_allclose(up.positions[0, 20:-20:2, 0, 0], pos[0, 10:-10, 0, 0], atol=0.02)
    assert "resampled 120 -> 30 fps" in down.notes[-1]


def test_resample_averages_away_aliasing_noise():
    rng = np.random.default_rng(1)
    sk = get_skeleton("smpl24")
    noise = rng.normal(scale=0.01, size=(1, 400, 24, 3))
    down = Motion(noise, sk, 120).resample(30)
    # an anti-aliased resampler low-passes white noise; frame dropping would keep its full variance
    assert down.positions.std() < 0.7 * noise.std()


@pytest.mark.parametrize("name", list(BUILTIN))
def test_builtin_skeletons_are_consistent(name):
    sk = get_skeleton(name)
    assert len(sk.mirror) == sk.n_joints
    assert all(sk.mirror[sk.mirror[j]] == j for j in range(sk.n_joints))
    assert skeleton_for_joint_count(sk.n_joints).name == name
    # every joint is drawn by at least one bone: nothing floats free in an animation
    used = {j for bone in sk.bones for j in bone}
    assert used == set(range(sk.n_joints))


def test_mariel53_draws_one_connected_body():
    sk = get_skeleton("mariel53")
    adj = {j: set() for j in range(sk.n_joints)}
    for a, b in sk.bones:
        adj[a].add(b)
        adj[b].add(a)
    seen, todo = set(), [0]
    while todo:
        j = todo.pop()
        if j not in seen:
            seen.add(j)
            todo.extend(adj[j])
    assert len(seen) == 53
    assert sk.mirror[sk.index("LANK")] == sk.index("RANK")
    assert sk.mirror[sk.index("STRN")] == sk.index("STRN")


def test_skeleton_dict_round_trip_and_validation():
    sk = get_skeleton("hybrik29")
    assert Skeleton.from_dict(sk.to_dict()) == sk
    with pytest.raises(SkeletonError, match="duplicate"):
        Skeleton("x", ("a", "a"), ())
    with pytest.raises(SkeletonError, match="one tree"):
        Skeleton.from_parents("x", ("a", "b"), (-1, -1))
    with pytest.raises(SkeletonError, match="not in skeleton"):
        sk.index("tail")
    with pytest.raises(SkeletonError, match="unknown skeleton"):
        get_skeleton("nope")

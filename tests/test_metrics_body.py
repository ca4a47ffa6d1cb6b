"""Skeleton-aware metrics: joint roles and geometric features / fid_g (the feet are in test_metrics_feet)."""

from __future__ import annotations

import numpy as np
import pytest

from pasdeux.data import rotate_y, solo_windows, time_split
from pasdeux.errors import ShapeError, SkeletonError
from pasdeux.metrics import (
    fid_g,
    foot_skating_ratio,
    geometric_feature_names,
    geometric_features,
    role_indices,
)
from pasdeux.motion import Skeleton
from pasdeux.skeletons import get_skeleton


@pytest.fixture(scope="module")
def test_windows(duet):
    return solo_windows([time_split(duet)["test"]], 64, 2)


CMU_NAMES = ("hip abdomen chest neck head lCollar lShldr lForeArm lHand rCollar rShldr rForeArm rHand "
             "lButtock lThigh lShin lFoot lFoot_end rButtock rThigh rShin rFoot rFoot_end").split()


@pytest.mark.parametrize("skeleton, expected", [
    (get_skeleton("smpl24"), {"left_ankle": ["left_ankle"], "left_foot": ["left_foot"], "pelvis": ["pelvis"]}),
    (get_skeleton("hybrik29"), {"left_foot": ["left_toe"], "right_wrist": ["right_wrist"]}),
    (get_skeleton("mariel53"), {"left_wrist": ["LIWR", "LOWR"], "pelvis": ["LFWT", "RFWT", "LBWT", "RBWT"],
                                "left_knee": ["LKNE"]}),
    (Skeleton("cmu", tuple(CMU_NAMES), ()), {"pelvis": ["hip"], "left_knee": ["lShin"], "left_ankle": ["lFoot"],
                                            "left_elbow": ["lForeArm"], "right_wrist": ["rHand"]}),
])
def test_roles_map_by_joint_names(skeleton, expected):
    for role, names in expected.items():
        assert [skeleton.joints[i] for i in role_indices(skeleton, role)] == names


def test_missing_joints_are_named():
    sk = Skeleton("arms", ("pelvis", "left_shoulder", "left_elbow"), ((0, 1), (1, 2)))
    with pytest.raises(SkeletonError, match="left_ankle"):
        foot_skating_ratio(np.zeros((1, 8, 3, 3)), sk)
    with pytest.raises(SkeletonError, match="geometric features needs"):
        geometric_features(np.zeros((1, 8, 3, 3)), sk)


def test_body_metrics_refuse_duet_shaped_windows(duet):
    pairs = np.zeros((2, 2, 64, 29, 3), np.float32)  # [N, dancers, T, J, 3]: the dancer axis is not time
    with pytest.raises(ShapeError, match=r"\[N, T, J, 3\]"):
        geometric_features(pairs, duet.skeleton)
    with pytest.raises(ShapeError, match=r"\[N, T, J, 3\]"):
        foot_skating_ratio(pairs, duet.skeleton)


def test_geometric_features_are_shares_and_vary_on_real_dance(duet, test_windows):
    f = geometric_features(test_windows, duet.skeleton)
    assert f.shape == (len(test_windows), len(geometric_feature_names()))
    assert f.min() >= 0 and f.max() <= 1
    # Real dance exercises most relations: few features are constant across the test windows.
    assert (f.std(0) > 0).mean() > 0.9


def test_geometric_features_invariant_to_turning_and_travel(duet, test_windows):
    sub = test_windows[::10].astype(np.float64)
    moved = rotate_y(sub, 1.1) + np.array([2.0, 0.0, -1.0])
    np.testing.assert_allclose(geometric_features(moved, duet.skeleton), geometric_features(sub, duet.skeleton),
                               atol=0.02)


def test_hands_up_is_detected(duet, test_windows):
    """Lifting both wrists 0.6 m turns on 'wrist above head' in (almost) every frame."""
    sk = duet.skeleton
    names = geometric_feature_names()
    raised = test_windows.copy()
    for j in ("left_wrist", "right_wrist", "left_hand", "right_hand", "left_fingertip", "right_fingertip"):
        raised[..., sk.index(j), 1] = raised[..., sk.index("head"), 1] + 0.3
    f = geometric_features(raised, sk).mean(0)
    assert f[names.index("left_wrist_above_head")] > 0.99
    assert f[names.index("right_wrist_above_head")] > 0.99


def test_fid_g_self_zero_and_noise_raises(duet, test_windows):
    sk = duet.skeleton
    assert fid_g(test_windows, test_windows, sk) == pytest.approx(0.0, abs=1e-6)
    frozen = np.repeat(test_windows[:, :1], 64, axis=1)
    assert fid_g(frozen, test_windows, sk) > 100

"""One joint-role vocabulary for every skeleton users bring (pasdeux.body)."""

from __future__ import annotations

import numpy as np
import pytest

import pasdeux
from pasdeux import SkeletonError, get_skeleton
from pasdeux.body import (
    ROLES,
    effectors,
    foot_joints,
    head_joints,
    resolve,
    role_indices,
    root_joints,
    root_trajectory,
)
from pasdeux.motion import Skeleton

SALSA = "../shared/data/cmu_salsa/60_02.bvh"
BODY = ("pelvis", "head", "left_hip", "right_knee", "left_ankle", "right_foot", "left_shoulder",
        "right_elbow", "left_wrist")


def _names(sk: Skeleton, role: str) -> list[str]:
    return [sk.joints[i] for i in role_indices(sk, role)]


def _chain(name: str, joints: list[str]) -> Skeleton:
    return Skeleton.from_parents(name, joints, [-1] + list(range(len(joints) - 1)))


def test_cmu_salsa_bvh_names_every_role_the_metrics_need():
    sk = pasdeux.load(SALSA).skeleton
    assert _names(sk, "pelvis") == ["hip"]
    assert _names(sk, "left_hip") == ["lThigh"] and _names(sk, "left_knee") == ["lShin"]
    assert _names(sk, "left_ankle") == ["lFoot"] and _names(sk, "left_foot") == ["lFoot_end"]
    assert _names(sk, "right_shoulder") == ["rShldr"] and _names(sk, "right_wrist") == ["rHand"]
    assert _names(sk, "spine") == ["chest"]


def test_lower_case_mixamo_smpl_h36m_and_mediapipe_names_are_found():
    pirouette = _chain("pirouette", ["hip", "abdomen", "chest", "neck", "head", "lthigh", "lshin", "lfoot"])
    assert _names(pirouette, "left_ankle") == ["lfoot"] and _names(pirouette, "spine") == ["chest"]
    mixamo = _chain("mixamo", ["mixamorig:Hips", "mixamorig:Spine2", "mixamorig:LeftUpLeg", "mixamorig:LeftLeg",
                               "mixamorig:LeftFoot", "mixamorig:LeftToeBase", "mixamorig:LeftArm"])
    assert _names(mixamo, "pelvis") == ["mixamorig:Hips"] and _names(mixamo, "left_knee") == ["mixamorig:LeftLeg"]
    assert _names(mixamo, "left_foot") == ["mixamorig:LeftToeBase"]
    assert _names(mixamo, "left_shoulder") == ["mixamorig:LeftArm"]
    h36m = _chain("h36m", ["Hip", "LHip", "LKnee", "LAnkle", "LShoulder", "LElbow", "LWrist"])
    assert _names(h36m, "left_elbow") == ["LElbow"]
    mp = Skeleton("mp", ("nose", "left_ear", "right_ear", "left_hip", "right_hip", "left_heel", "left_foot_index",
                         "left_forearm_marker"), ())
    assert _names(mp, "pelvis") == ["left_hip", "right_hip"]  # no pelvis joint: the hips' midpoint
    assert _names(mp, "left_foot") == ["left_foot_index"] and _names(mp, "left_heel") == ["left_heel"]
    assert [mp.joints[i] for i in head_joints(mp)] == ["nose", "left_ear", "right_ear"]  # not the forearm


def test_marker_roles_are_means_and_the_root_is_the_waist_centre():
    sk = get_skeleton("mariel53")
    assert _names(sk, "left_wrist") == ["LIWR", "LOWR"]
    pos = np.zeros((3, 53, 3), np.float32)
    for name, x in zip(("LFWT", "RFWT", "LBWT", "RBWT"), (1.0, -1.0, 1.0, -1.0)):
        pos[:, sk.index(name)] = (x, 1.0, 2.0)
    np.testing.assert_allclose(root_trajectory(pos, sk), [[0, 1, 2]] * 3)


@pytest.mark.parametrize("name", ["smpl24", "hybrik29", "mariel53"])
def test_builtin_skeletons_name_the_whole_body(name):
    sk = get_skeleton(name)
    assert all(role_indices(sk, r) is not None for r in BODY)
    assert len(foot_joints(sk)) >= 4 and len(effectors(sk)) == 4 and head_joints(sk)


def test_a_tree_without_a_pelvis_name_is_rooted_at_its_tree_root_and_a_missing_role_is_named():
    sk = _chain("odd", ["base", "mid", "tip"])
    assert root_joints(sk) == (0,)
    with pytest.raises(SkeletonError, match="left_knee"):
        resolve(sk, ("pelvis", "left_knee"), "the test")
    with pytest.raises(SkeletonError, match="unknown body role"):
        role_indices(sk, "left_tail")
    assert "left_knee" in ROLES

"""Built-in skeletons: `smpl24`, `hybrik29` (SMPL + 5 HybrIK end points), `mariel53` markers and `mediapipe33`."""

from __future__ import annotations

from pasdeux.errors import SkeletonError
from pasdeux.motion import Skeleton


def _mirror_by_prefix(joints: tuple[str, ...], left: str, right: str) -> tuple[int, ...]:
    """Pair joints whose names differ only in a left/right prefix; others mirror to themselves."""
    index = {j: i for i, j in enumerate(joints)}
    out = []
    for j in joints:
        if j.startswith(left):
            out.append(index.get(right + j[len(left):], index[j]))
        elif j.startswith(right):
            out.append(index.get(left + j[len(right):], index[j]))
        else:
            out.append(index[j])
    return tuple(out)


SMPL24_JOINTS = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
    "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar",
    "right_collar", "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hand", "right_hand",
)
SMPL24_PARENTS = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21)

HYBRIK29_JOINTS = SMPL24_JOINTS + ("head_top", "left_fingertip", "right_fingertip", "left_toe", "right_toe")
HYBRIK29_PARENTS = SMPL24_PARENTS + (15, 22, 23, 10, 11)

MARIEL53_JOINTS = tuple(
    "ARIEL C7 CLAV LANK LBHD LBSH LBWT LELB LFHD LFRM LFSH LFWT LHEL LIEL LIHAND LIWR LKNE "
    "LKNI LMT1 LMT5 LOHAND LOWR LSHN LTHI LTOE LUPA MBWT MFWT RANK RBHD RBSH RBWT RELB RFHD "
    "RFRM RFSH RFWT RHEL RIEL RIHAND RIWR RKNE RKNI RMT1 RMT5 ROHAND ROWR RSHN RTHI RTOE RUPA "
    "STRN T10".split()
)

# Marker pairs that draw a readable body; "L*" entries are mirrored to the right side.
_MARIEL_SIDED = (
    "LFHD-LBHD LFHD-ARIEL LBHD-ARIEL LBHD-C7 LFHD-CLAV "        # head ring and neck
    "CLAV-LFSH C7-LBSH LFSH-LBSH LFSH-LUPA LBSH-LUPA "            # shoulders
    "LUPA-LELB LELB-LIEL LELB-LFRM LIEL-LFRM LFRM-LOWR LFRM-LIWR LIWR-LOWR "  # arm
    "LOWR-LOHAND LIWR-LIHAND LIHAND-LOHAND "                     # hand
    "LFWT-MFWT LBWT-MBWT LFWT-LBWT "                             # pelvis ring
    "LFWT-LTHI LBWT-LTHI LTHI-LKNE LKNE-LKNI LKNE-LSHN LKNI-LSHN LSHN-LANK "  # leg
    "LANK-LHEL LANK-LMT1 LHEL-LMT5 LMT5-LTOE LMT1-LTOE LHEL-LMT1"  # foot
).split()
_MARIEL_MIDLINE = "LFHD-RFHD LBHD-RBHD CLAV-STRN C7-T10 STRN-MFWT T10-MBWT".split()


def _mariel53() -> Skeleton:
    index = {j: i for i, j in enumerate(MARIEL53_JOINTS)}
    pairs = list(_MARIEL_MIDLINE)
    for p in _MARIEL_SIDED:
        pairs.append(p)
        pairs.append("-".join(("R" + m[1:]) if m.startswith("L") else m for m in p.split("-")))
    bones = tuple(dict.fromkeys((index[a], index[b]) for a, b in (p.split("-") for p in pairs)))
    return Skeleton("mariel53", MARIEL53_JOINTS, bones, None, _mirror_by_prefix(MARIEL53_JOINTS, "L", "R"))


def _smpl(name: str, joints: tuple[str, ...], parents: tuple[int, ...]) -> Skeleton:
    return Skeleton.from_parents(name, joints, parents, mirror=_mirror_by_prefix(joints, "left_", "right_"))


# BlazePose's 33 landmarks in MediaPipe's own order (what the landmark model outputs).
BLAZEPOSE33 = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
    "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)
# mediapipe33: those 33 landmarks plus two midpoints, `pelvis` (of the hips, the root) and `neck` (of the
# shoulders), so the body is a tree rooted at the pelvis (BVH export, inverse kinematics) whose bones draw
# a readable figure. Joints are ordered so every parent comes before its children.
_MEDIAPIPE_TREE = (
    ("pelvis", None), ("left_hip", "pelvis"), ("right_hip", "pelvis"), ("left_knee", "left_hip"),
    ("right_knee", "right_hip"), ("left_ankle", "left_knee"), ("right_ankle", "right_knee"),
    ("left_heel", "left_ankle"), ("right_heel", "right_ankle"), ("left_foot_index", "left_ankle"),
    ("right_foot_index", "right_ankle"), ("neck", "pelvis"), ("left_shoulder", "neck"), ("right_shoulder", "neck"),
    ("left_elbow", "left_shoulder"), ("right_elbow", "right_shoulder"), ("left_wrist", "left_elbow"),
    ("right_wrist", "right_elbow"), ("left_pinky", "left_wrist"), ("right_pinky", "right_wrist"),
    ("left_index", "left_wrist"), ("right_index", "right_wrist"), ("left_thumb", "left_wrist"),
    ("right_thumb", "right_wrist"), ("nose", "neck"), ("left_eye_inner", "nose"), ("right_eye_inner", "nose"),
    ("left_eye", "left_eye_inner"), ("right_eye", "right_eye_inner"), ("left_eye_outer", "left_eye"),
    ("right_eye_outer", "right_eye"), ("left_ear", "left_eye_outer"), ("right_ear", "right_eye_outer"),
    ("mouth_left", "nose"), ("mouth_right", "nose"),
)
MEDIAPIPE33_JOINTS = tuple(j for j, _ in _MEDIAPIPE_TREE)


def _mediapipe33() -> Skeleton:
    index = {j: i for i, j in enumerate(MEDIAPIPE33_JOINTS)}
    parents = tuple(-1 if p is None else index[p] for _, p in _MEDIAPIPE_TREE)
    mirror = list(_mirror_by_prefix(MEDIAPIPE33_JOINTS, "left_", "right_"))
    mirror[index["mouth_left"]], mirror[index["mouth_right"]] = index["mouth_right"], index["mouth_left"]
    return Skeleton.from_parents("mediapipe33", MEDIAPIPE33_JOINTS, parents, mirror=tuple(mirror))


BUILTIN = {
    "smpl24": lambda: _smpl("smpl24", SMPL24_JOINTS, SMPL24_PARENTS),
    "hybrik29": lambda: _smpl("hybrik29", HYBRIK29_JOINTS, HYBRIK29_PARENTS),
    "mariel53": _mariel53,
    "mediapipe33": _mediapipe33,
}


def get_skeleton(name: str) -> Skeleton:
    """A built-in skeleton by name."""
    try:
        return BUILTIN[name]()
    except KeyError:
        raise SkeletonError(f"unknown skeleton {name!r}; built-in skeletons are: {', '.join(BUILTIN)}") from None


def skeleton_for_joint_count(n: int) -> Skeleton:
    """The built-in skeleton with `n` joints, for plain arrays that name none."""
    for make in BUILTIN.values():
        sk = make()
        if sk.n_joints == n:
            return sk
    raise SkeletonError(
        f"no built-in skeleton has {n} joints (built-in: "
        + ", ".join(f"{k}={v().n_joints}" for k, v in BUILTIN.items())
        + "); pass skeleton=... naming one, or use a format that carries its skeleton (BVH, npz)"
    )

"""Body points by role (pelvis, left_ankle, ...) for any skeleton that names them.

A role is found by joint name: SMPL/HybrIK names, common BVH names (CMU `hip`, `lThigh`,
`lShin`, `lFoot`, `lShldr`, `lForeArm`, `lHand`; Mixamo-style `LeftUpLeg`, ...), or Mariel
marker sets, where some roles are the mean of two markers (e.g. the wrist between LIWR and
LOWR). Metrics ask for the roles they need and raise `SkeletonError` naming what is missing.
"""

from __future__ import annotations

import numpy as np

from pasdeux.errors import SkeletonError
from pasdeux.motion import Skeleton

# Each candidate is one joint name or a tuple of names whose mean stands for the role.
# Names are matched case-insensitively; the first candidate present wins.
_MIDLINE: dict[str, tuple] = {
    "pelvis": ("pelvis", "hip", "hips", "root", ("LFWT", "RFWT", "LBWT", "RBWT")),
    "spine": ("spine3", "chest", "spine2", "Spine2", "Spine1", "STRN"),
    "neck": ("neck", "Neck", "C7"),
    "head": ("head", "Head", ("LFHD", "RFHD", "LBHD", "RBHD")),
}
# Sided roles, written for the left side; `{l}` is replaced by each naming style's side prefix.
_SIDED: dict[str, tuple] = {
    "hip": ("{s}_hip", "{c}Thigh", "{m}UpLeg", "{c}hip", ("{M}FWT", "{M}BWT")),
    "knee": ("{s}_knee", "{c}Shin", "{m}Leg", "{c}knee", "{M}KNE"),
    "ankle": ("{s}_ankle", "{c}Foot", "{m}Foot", "{c}ankle", "{M}ANK"),
    "foot": ("{s}_toe", "{s}_foot", "{c}Foot_end", "{c}Foot_End", "{c}FootEnd", "{c}Toe", "{m}ToeBase",
             "{m}Toe", "{m}Foot_End", "{M}TOE"),
    "shoulder": ("{s}_shoulder", "{c}Shldr", "{m}Arm", "{c}shoulder", ("{M}FSH", "{M}BSH")),
    "elbow": ("{s}_elbow", "{c}ForeArm", "{m}ForeArm", "{c}elbow", "{M}ELB"),
    "wrist": ("{s}_wrist", "{c}Hand", "{m}Hand", "{c}wrist", ("{M}IWR", "{M}OWR")),
}
_SIDES = {"left": {"s": "left", "c": "l", "m": "Left", "M": "L"},
          "right": {"s": "right", "c": "r", "m": "Right", "M": "R"}}


def _candidates(role: str) -> tuple:
    if role in _MIDLINE:
        return _MIDLINE[role]
    side, _, part = role.partition("_")
    if side not in _SIDES or part not in _SIDED:
        known = list(_MIDLINE) + [f"{s}_{p}" for p in _SIDED for s in _SIDES]
        raise SkeletonError(f"unknown body role {role!r}; roles are: {', '.join(known)}")
    fill = _SIDES[side]
    return tuple(tuple(n.format(**fill) for n in c) if isinstance(c, tuple) else c.format(**fill)
                 for c in _SIDED[part])


def role_indices(skeleton: Skeleton, role: str) -> tuple[int, ...] | None:
    """Joint indices whose mean is the body point `role`, or None if the skeleton lacks it."""
    for cand in _candidates(role):
        names = cand if isinstance(cand, tuple) else (cand,)
        idx = [skeleton.find(n) for n in names]
        if None not in idx:
            return tuple(idx)
    return None


def resolve(skeleton: Skeleton, roles: tuple[str, ...], purpose: str) -> list[tuple[int, ...]]:
    """Indices for every role, or `SkeletonError` naming the missing roles and what needs them."""
    found = {r: role_indices(skeleton, r) for r in roles}
    missing = [r for r, i in found.items() if i is None]
    if missing:
        raise SkeletonError(
            f"{purpose} needs the joints {', '.join(missing)}, which skeleton {skeleton.name!r} does not name "
            f"(looked for e.g. {', '.join(str(_candidates(r)[0]) for r in missing)}); "
            "rename the joints or use a skeleton such as smpl24 or hybrik29")
    return [found[r] for r in roles]


def body_points(x: np.ndarray, skeleton: Skeleton, roles: tuple[str, ...], purpose: str) -> np.ndarray:
    """Positions `[..., len(roles), 3]` of the named body points of `x` `[..., J, 3]`."""
    idx = resolve(skeleton, roles, purpose)
    if all(len(i) == 1 for i in idx):
        return x[..., [i[0] for i in idx], :]
    return np.stack([x[..., list(i), :].mean(-2) for i in idx], axis=-2)

"""The one vocabulary of body parts: which joints of any skeleton are the pelvis, the knees, the feet...

A role is found by joint name, so every skeleton users bring works without a table of its own:
SMPL/HybrIK (`left_knee`), MediaPipe (`left_foot_index`), CMU and Daz-style BVH (`hip`, `abdomen`,
`chest`, `lThigh`, `lShin`, `lFoot`, `lShldr`; lower-case `lfoot` too), Mixamo and CMU asf exports
(`mixamorig:LeftUpLeg`, `LeftLeg`, `LeftToeBase`), Human3.6M-style (`LHip`, `LKnee`), and Mariel's
Vicon markers, where some roles are the mean of several markers (the wrist between LIWR and LOWR).
Names match case-insensitively and without a namespace prefix (`mixamorig:`). Data preparation,
models, metrics and drawing all ask this module, and a missing role raises `SkeletonError` naming it.
"""

from __future__ import annotations

import numpy as np

from pasdeux.errors import ShapeError, SkeletonError
from pasdeux.geometry import forward, root_point
from pasdeux.motion import Skeleton

# Each candidate is one joint name or a tuple of names whose mean stands for the role; the first present wins.
MIDLINE: dict[str, tuple] = {
    "pelvis": ("pelvis", "hip", "hips", "root", ("LFWT", "RFWT", "LBWT", "RBWT"), ("left_hip", "right_hip")),
    "spine": ("spine3", "chest", "spine2", "Spine2", "Spine1", "thorax", "STRN",
              ("left_shoulder", "right_shoulder", "left_hip", "right_hip")),
    "neck": ("neck", "Neck", "C7", ("left_shoulder", "right_shoulder")),
    "head": ("head", "Head", ("LFHD", "RFHD", "LBHD", "RBHD"), ("left_ear", "right_ear")),
    "head_top": ("head_top", "HeadTop_End", "Head_end", "ARIEL"),
}
# Sided roles, written once: `{s}` is left/right, `{c}` l/r, `{m}` Left/Right, `{M}` L/R.
SIDED: dict[str, tuple] = {
    "hip": ("{s}_hip", "{c}Thigh", "{m}UpLeg", "{c}hip", "{M}Hip", ("{M}FWT", "{M}BWT")),
    "knee": ("{s}_knee", "{c}Shin", "{m}Leg", "{c}knee", "{M}Knee", "{M}KNE"),
    "ankle": ("{s}_ankle", "{c}Foot", "{m}Foot", "{c}ankle", "{M}Ankle", "{M}ANK"),
    "heel": ("{s}_heel", "{M}HEL"),
    "foot": ("{s}_toe", "{s}_foot_index", "{s}_foot", "{c}Foot_end", "{c}Foot_End", "{c}FootEnd", "{c}Toe",
             "{m}ToeBase", "{m}Toe", "{m}Foot_End", "{M}TOE"),
    "shoulder": ("{s}_shoulder", "{c}Shldr", "{m}Arm", "{c}shoulder", "{M}Shoulder", ("{M}FSH", "{M}BSH")),
    "elbow": ("{s}_elbow", "{c}ForeArm", "{m}ForeArm", "{c}elbow", "{M}Elbow", "{M}ELB"),
    "wrist": ("{s}_wrist", "{c}Hand", "{m}Hand", "{c}wrist", "{M}Wrist", ("{M}IWR", "{M}OWR")),
    "hand": ("{s}_hand", "{s}_fingertip", "{s}_index", "{c}Mid1", "{m}HandMiddle1", "{m}HandIndex1",
             "{c}Hand_end", "{m}Hand_End", ("{M}IHAND", "{M}OHAND")),
}
SIDES = {"left": {"s": "left", "c": "l", "m": "Left", "M": "L"},
         "right": {"s": "right", "c": "r", "m": "Right", "M": "R"}}
ROLES = tuple(MIDLINE) + tuple(f"{side}_{part}" for part in SIDED for side in SIDES)

FOOT_PARTS = ("ankle", "heel", "foot")  # the points of a foot that can touch the floor
HEAD_WORDS = ("head", "eye", "nose", "mouth")  # name fragments of joints around the head
HEAD_MARKERS = ("lfhd", "lbhd", "rfhd", "rbhd", "ariel")


def candidates(role: str) -> tuple:
    """The names (or tuples of names averaged) that stand for `role`, in order of preference."""
    if role in MIDLINE:
        return MIDLINE[role]
    side, _, part = role.partition("_")
    if side not in SIDES or part not in SIDED:
        raise SkeletonError(f"unknown body role {role!r}; roles are: {', '.join(ROLES)}")
    fill = SIDES[side]
    return tuple(tuple(n.format(**fill) for n in c) if isinstance(c, tuple) else c.format(**fill)
                 for c in SIDED[part])


def _bare(name: str) -> str:
    return name.rsplit(":", 1)[-1].lower()


def _lookup(skeleton: Skeleton) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, name in enumerate(skeleton.joints):
        out.setdefault(_bare(name), i)
    return out


def role_indices(skeleton: Skeleton, role: str) -> tuple[int, ...] | None:
    """Joint indices whose mean is the body point `role`, or None if the skeleton lacks it."""
    index = _lookup(skeleton)
    for cand in candidates(role):
        names = cand if isinstance(cand, tuple) else (cand,)
        idx = [index.get(n.lower()) for n in names]
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
            f"(looked for e.g. {', '.join(str(candidates(r)[0]) for r in missing)}); "
            "rename the joints or use a skeleton such as smpl24 or hybrik29")
    return [found[r] for r in roles]


def body_points(x: np.ndarray, skeleton: Skeleton, roles: tuple[str, ...], purpose: str) -> np.ndarray:
    """Positions `[..., len(roles), 3]` of the named body points of `x` `[..., J, 3]`."""
    idx = resolve(skeleton, roles, purpose)
    if all(len(i) == 1 for i in idx):
        return x[..., [i[0] for i in idx], :]
    return np.stack([x[..., list(i), :].mean(-2) for i in idx], axis=-2)


# --- the body's size -----------------------------------------------------------------------------
LEG_ROLES = ("left_hip", "left_ankle", "right_hip", "right_ankle")


def leg_length(positions: np.ndarray, skeleton: Skeleton) -> float:
    """Mean hip-to-ankle distance over both legs and every complete frame of positions `[..., J, 3]`: the
    body's size that every threshold of `pasdeux.metrics` is relative to (BENCHMARK.md)."""
    p = np.asarray(positions, dtype=np.float64)
    if p.ndim < 2 or p.shape[-1] != 3:
        raise ShapeError(f"positions must be [..., joints, 3]; got shape {p.shape}")
    p = p.reshape(-1, *p.shape[-2:])
    pts = body_points(p[np.isfinite(p).all(axis=(-1, -2))], skeleton, LEG_ROLES, "the leg length")  # [M, 4, 3]
    if len(pts) == 0:
        raise ShapeError("the leg length needs at least one frame without missing joints")
    out = 0.5 * float(np.mean(np.linalg.norm(pts[:, 0] - pts[:, 1], axis=-1) + np.linalg.norm(pts[:, 2] - pts[:, 3],
                                                                                               axis=-1)))
    if not out > 0:
        raise ShapeError("the hips and ankles coincide (leg length 0); the positions are degenerate")
    return out


def leg_extension(positions: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """How straight each leg is `[..., 2]` (left, right): the hip-to-ankle distance over thigh plus shin, 1 for
    a straight leg (a knee bent by 30 degrees: 0.97)."""
    p = np.asarray(positions, dtype=np.float64)
    out = []
    for side in ("left", "right"):
        hip, knee, ankle = (p[..., role_indices(skeleton, f"{side}_{part}")[0], :] for part in ("hip", "knee", "ankle"))
        bones = np.linalg.norm(knee - hip, axis=-1) + np.linalg.norm(ankle - knee, axis=-1)
        out.append(np.linalg.norm(ankle - hip, axis=-1) / np.maximum(bones, 1e-12))
    return np.stack(out, -1)


# --- the root and the facing direction -----------------------------------------------------------
def root_joints(skeleton: Skeleton) -> tuple[int, ...]:
    """The joints whose mean is the root (the pelvis role, else the tree's root); SkeletonError if none."""
    idx = role_indices(skeleton, "pelvis")
    if idx is not None:
        return idx
    if skeleton.parents is not None:
        return (skeleton.parents.index(-1),)
    raise SkeletonError(f"skeleton {skeleton.name!r} has no root: name a joint 'pelvis' or give parents")


def has_root(skeleton: Skeleton) -> bool:
    """Whether motion of this skeleton can be centred (it has a pelvis or a tree root)."""
    return role_indices(skeleton, "pelvis") is not None or skeleton.parents is not None


def root_trajectory(positions: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Root (pelvis) positions `[..., 3]` of `[..., J, 3]`."""
    return root_point(positions, root_joints(skeleton))


def facing_angle(positions: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Heading about +y (radians) of each pose `[..., J, 3]`: 0 when the body faces +z."""
    pairs = [(role_indices(skeleton, f"left_{p}"), role_indices(skeleton, f"right_{p}")) for p in ("hip", "shoulder")]
    pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
    if not pairs:
        raise SkeletonError(f"skeleton {skeleton.name!r} names no left/right hips or shoulders to find facing")
    fwd = forward(np.asarray(positions, np.float64), pairs)
    return np.arctan2(fwd[..., 0], fwd[..., 1])


# --- what drawing needs ------------------------------------------------------------------------------
def foot_joints(skeleton: Skeleton) -> list[int]:
    """Every joint of both feet that can touch the floor (ankles, heels, toes); empty if none is named."""
    found = {j for part in FOOT_PARTS for side in SIDES
             for j in (role_indices(skeleton, f"{side}_{part}") or ())}
    return sorted(found)


def effectors(skeleton: Skeleton) -> list[int]:
    """One joint per hand and foot (hands, else wrists; toes, else ankles), for trails; those the skeleton has."""
    out = []
    for parts in (("hand", "wrist"), ("foot", "ankle")):
        for side in SIDES:
            idx = next((i for p in parts if (i := role_indices(skeleton, f"{side}_{p}")) is not None), None)
            if idx is not None:
                out.append(idx[0])
    return out


def head_joints(skeleton: Skeleton) -> list[int]:
    """Joints whose centroid is the centre of the head (head and head top, eyes and ears, or Mariel's head
    markers)."""
    lower = [_bare(j) for j in skeleton.joints]
    return [i for i, j in enumerate(lower) if j in HEAD_MARKERS or "ear" in j.replace("-", "_").split("_")
            or (any(w in j for w in HEAD_WORDS) and "forehead" not in j)]


# --- what partners' holds need -------------------------------------------------------------------------
def hand_joints(skeleton: Skeleton, side: str) -> list[int] | None:
    """The joints of one hand: the wrist, the hand and every joint below them in the tree (the fingers);
    None if the side has neither a wrist nor a hand."""
    inside = {j for part in ("wrist", "hand") for j in (role_indices(skeleton, f"{side}_{part}") or ())}
    if not inside:
        return None
    for j, p in enumerate(skeleton.parents or ()):  # parents come before children
        if p in inside:
            inside.add(j)
    return sorted(inside)


# --- body parts, for reading which parts drive a duet ------------------------------------------------
# Each part is claimed by its roles; parts claim in this order, so a role that falls back to other joints
# (the neck as the mean of the shoulders) cannot take joints a limb has already claimed. The pelvis claims
# before the legs: where a skeleton has no pelvis joint, the markers or hips standing for it are the pelvis.
PART_ROLES: dict[str, tuple[str, ...]] = {
    **{f"{s}_hand": (f"{s}_wrist", f"{s}_hand") for s in SIDES},
    **{f"{s}_foot": (f"{s}_ankle", f"{s}_heel", f"{s}_foot") for s in SIDES},
    **{f"{s}_arm": (f"{s}_shoulder", f"{s}_elbow") for s in SIDES},
    "pelvis": ("pelvis",),
    **{f"{s}_leg": (f"{s}_hip", f"{s}_knee") for s in SIDES},
    "head": ("neck", "head", "head_top"),
    "torso": ("spine",),
}
PARTS = ("head", "torso", "pelvis", "left_arm", "left_hand", "right_arm", "right_hand", "left_leg", "left_foot",
         "right_leg", "right_foot")  # the order a body is read in, head to feet


def body_parts(skeleton: Skeleton, positions: np.ndarray | None = None) -> dict[str, list[int]]:
    """Every joint of `skeleton` grouped into the body parts of `PARTS` it has (in that order): the joints of
    a part's roles, then each other joint with the part of its nearest claimed descendant in the tree (a
    collar goes with the arm, an abdomen with the torso), else of its nearest claimed ancestor (fingers with
    the hand, eyes with the head). Without a tree, unnamed head joints join the head and, given
    `positions` `[..., J, 3]`, every other joint the part of the claimed joint nearest it on average."""
    owner: dict[int, str] = {}
    for part, roles in PART_ROLES.items():
        for role in roles:
            for j in role_indices(skeleton, role) or ():
                owner.setdefault(j, part)
    parents = skeleton.parents
    if parents is None:
        for j in head_joints(skeleton):
            owner.setdefault(j, "head")
        if positions is not None:
            owner.update(_nearest_in_space(np.asarray(positions, np.float64), owner))
    else:
        children: dict[int, list[int]] = {}
        for j, p in enumerate(parents):
            children.setdefault(p, []).append(j)
        found = {j: _nearest_below(j, children, owner) or _nearest_above(j, parents, owner)
                 for j in range(skeleton.n_joints) if j not in owner}
        owner.update({j: part for j, part in found.items() if part is not None})
    return {part: sorted(j for j, p in owner.items() if p == part) for part in PARTS if part in owner.values()}


def _nearest_below(joint: int, children: dict[int, list[int]], owner: dict[int, str]) -> str | None:
    """The part of the nearest claimed joint below `joint` in the tree (breadth first), or None."""
    level = children.get(joint, [])
    while level:
        hit = next((owner[j] for j in level if j in owner), None)
        if hit is not None:
            return hit
        level = [c for j in level for c in children.get(j, [])]
    return None


def _nearest_above(joint: int, parents: tuple[int, ...] | list[int], owner: dict[int, str]) -> str | None:
    """The part of the nearest claimed joint above `joint` in the tree, or None."""
    j = parents[joint]
    while j >= 0:
        if j in owner:
            return owner[j]
        j = parents[j]
    return None


def _nearest_in_space(positions: np.ndarray, owner: dict[int, str]) -> dict[int, str]:
    """The part of the claimed joint nearest each unclaimed joint, by mean distance over the finite frames."""
    p = positions.reshape(-1, *positions.shape[-2:])
    p = p[np.isfinite(p).all(axis=(-1, -2))]
    claimed = sorted(owner)
    if len(p) == 0 or not claimed:
        return {}
    out = {}
    for j in range(p.shape[1]):
        if j not in owner:
            dist = np.linalg.norm(p[:, claimed] - p[:, j:j + 1], axis=-1).mean(0)
            out[j] = owner[claimed[int(dist.argmin())]]
    return out

"""Joint positions <-> joint rotations on a tree skeleton: forward and inverse kinematics.

Conventions (the BVH ones): a joint's local rotation `R_j` turns its parent's frame into its
own; its world rotation is `G_j = G_parent @ R_j`; a child sits at
`x_child = x_joint + G_joint @ offset_child`, where `offset_child` is the child's rest offset
from its parent (a rest pose has every local rotation equal to the identity).

Inverse kinematics recovers rotations from positions alone, so each joint's rotation is
fixed by where its child bones point:
- a joint whose child bones are not collinear (pelvis, chest, hand) gets the rotation that best
  aligns all its rest child bones with the observed ones at once (Kabsch), twist included;
- a joint with one child bone (a knee, an elbow) gets the smallest rotation (swing) that
  points the bone where it is observed; twist about the bone is not visible in positions,
  so none is added relative to the parent;
- the root, if it has a single child, swings from the body's heading (hips and shoulders).
Bones are aimed from the already reconstructed parent, so errors never accumulate down a chain:
with bone lengths equal to the rest lengths and rigid sibling geometry, `forward_kinematics`
of the result reproduces the positions to float precision.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from scipy.spatial.transform import Rotation

from pasdeux.body import facing_angle
from pasdeux.errors import ShapeError, SkeletonError
from pasdeux.geometry import fit_bone_lengths
from pasdeux.motion import Skeleton

COLLINEAR_SIN = 0.05  # child bones closer than ~3 degrees to collinear cannot pin down a twist
_EPS = 1e-9


# --- helpers ---------------------------------------------------------------------------------
def _tree(skeleton: Skeleton) -> tuple[int, ...]:
    if skeleton.parents is None:
        raise SkeletonError(
            f"skeleton {skeleton.name!r} is a marker set without a parent tree; joint rotations need a tree "
            "skeleton (store marker sets as .npz or .csv, which hold any joints)"
        )
    return skeleton.parents


def children_of(parents: Sequence[int]) -> list[list[int]]:
    """For each joint, the list of its children."""
    kids: list[list[int]] = [[] for _ in parents]
    for j, p in enumerate(parents):
        if p >= 0:
            kids[p].append(j)
    return kids


def _depth_levels(parents: Sequence[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Joints grouped by depth (roots excluded): `[(joints, their parents), ...]` from the top down."""
    depth = np.zeros(len(parents), dtype=int)
    for j, p in enumerate(parents):  # parents come before children
        depth[j] = depth[p] + 1 if p >= 0 else 0
    levels = []
    for d in range(1, depth.max(initial=0) + 1):
        js = np.nonzero(depth == d)[0]
        levels.append((js, np.asarray(parents)[js]))
    return levels


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, _EPS)


def heading_rotations(positions: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Rotation matrices `[..., 3, 3]` about +y turning +z into each pose's facing (identity if unknown)."""
    try:
        angle = facing_angle(positions, skeleton)
    except SkeletonError:  # no named hips or shoulders: no heading to follow
        angle = np.zeros(positions.shape[:-2])
    c, s = np.cos(np.nan_to_num(angle)), np.sin(np.nan_to_num(angle))
    zero, one = np.zeros_like(c), np.ones_like(c)
    return np.stack([c, zero, s, zero, one, zero, -s, zero, c], axis=-1).reshape(c.shape + (3, 3))


def swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotations `[..., 3, 3]` turning directions `a` into directions `b` (any lengths)."""
    a, b = np.broadcast_arrays(_unit(np.asarray(a, float)), _unit(np.asarray(b, float)))
    b = np.where(np.linalg.norm(b, axis=-1, keepdims=True) < 0.5, a, b)  # zero-length target: stay put
    w = 1.0 + np.sum(a * b, axis=-1)
    xyz = np.cross(a, b)
    opposite = w < 1e-8
    if opposite.any():  # half turn about any axis perpendicular to a
        perp = np.cross(a[opposite], np.array([1.0, 0.0, 0.0]))
        weak = np.linalg.norm(perp, axis=-1) < 1e-3
        perp[weak] = np.cross(a[opposite][weak], np.array([0.0, 1.0, 0.0]))
        xyz[opposite], w[opposite] = _unit(perp), 0.0
    quat = np.concatenate([xyz, w[..., None]], axis=-1)
    flat = Rotation.from_quat(quat.reshape(-1, 4)).as_matrix()
    return flat.reshape(a.shape[:-1] + (3, 3))


def kabsch(rest: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Rotations `[N, 3, 3]` best turning rest vectors `[K, 3]` into observed vectors `[N, K, 3]`."""
    h = np.einsum("ka,nkb->nab", rest, observed)  # covariance, one per frame
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(vt.transpose(0, 2, 1) @ u.transpose(0, 2, 1)))
    d[d == 0] = 1.0
    fix = np.ones(u.shape[:-1])
    fix[:, -1] = d  # never a reflection
    return (vt.transpose(0, 2, 1) * fix[:, None, :]) @ u.transpose(0, 2, 1)


def _spans_plane(vectors: np.ndarray) -> bool:
    """Whether rest child bones `[K, 3]` are far enough from collinear to fix a twist."""
    u = _unit(vectors[np.linalg.norm(vectors, axis=-1) > _EPS])
    if len(u) < 2:
        return False
    return bool(np.linalg.norm(np.cross(u[:, None], u[None]), axis=-1).max() > COLLINEAR_SIN)


def euler_to_matrix(angles: np.ndarray, order: str, degrees: bool = True) -> np.ndarray:
    """Rotation matrices `[..., 3, 3]` of intrinsic Euler angles `[..., len(order)]` (BVH's convention).

    `order` such as "ZXY" means R = Rz(a0) @ Rx(a1) @ Ry(a2); several times faster than scipy here.
    """
    angles = np.asarray(angles, dtype=np.float64)
    if degrees:
        angles = np.deg2rad(angles)
    out = np.broadcast_to(np.eye(3), angles.shape[:-1] + (3, 3))
    for k, axis in enumerate(order.upper()):
        c, s = np.cos(angles[..., k]), np.sin(angles[..., k])
        i, j = {"X": (1, 2), "Y": (2, 0), "Z": (0, 1)}[axis]
        r = np.zeros(angles.shape[:-1] + (3, 3))
        r[..., "XYZ".index(axis), "XYZ".index(axis)] = 1.0
        r[..., i, i], r[..., j, j], r[..., i, j], r[..., j, i] = c, c, -s, s
        out = out @ r
    return out


def matrix_to_euler(rotations: np.ndarray, order: str) -> np.ndarray:
    """Intrinsic Euler angles in degrees `[T, ..., 3]` of rotations `[T, ..., 3, 3]`, continuous over time.

    Each rotation has two angle triples, (a, b, c) and (a+180, 180-b, c+180), each defined up to
    turns of 360; per frame the one nearest the previous frame is kept, so the curves never jump
    (as Blender's "Euler compatible" does), which keyframe interpolation needs.
    """
    shape = rotations.shape[:-2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # gimbal lock: the angles still give the rotation
        first = Rotation.from_matrix(rotations.reshape(-1, 3, 3)).as_euler(order.upper(), degrees=True)
    first = first.reshape(shape + (3,))
    second = first + np.array([180.0, 0.0, 180.0])
    second[..., 1] = 180.0 - first[..., 1]
    out = np.empty_like(first)
    previous = first[0]
    for t in range(len(first)):
        near = [c - 360.0 * np.round((c - previous) / 360.0) for c in (first[t], second[t])]
        pick = np.abs(near[0] - previous).sum(-1) <= np.abs(near[1] - previous).sum(-1)
        out[t] = previous = np.where(pick[..., None], near[0], near[1])
    return out


# --- forward kinematics ----------------------------------------------------------------------
def forward_kinematics(rotations: np.ndarray, offsets: np.ndarray, parents: Sequence[int],
                       root_positions: np.ndarray | None = None,
                       translations: np.ndarray | None = None) -> np.ndarray:
    """World positions `[..., J, 3]` from local rotation matrices `[..., J, 3, 3]` and rest offsets `[J, 3]`.

    `translations` `[..., J, 3]` replaces the offsets per frame (BVH position channels);
    `root_positions` `[..., 3]` places the root(s). Vectorised over frames and over joints of one depth.
    """
    rotations = np.asarray(rotations, dtype=np.float64)
    lead, n_joints = rotations.shape[:-3], rotations.shape[-3]
    if rotations.shape[-2:] != (3, 3) or len(parents) != n_joints:
        raise ShapeError(f"rotations must be [..., {len(parents)}, 3, 3]; got {rotations.shape}")
    rot = rotations.reshape(-1, n_joints, 3, 3)
    if translations is None:
        trans = np.broadcast_to(np.asarray(offsets, dtype=np.float64), (len(rot), n_joints, 3))
    else:
        trans = np.asarray(translations, dtype=np.float64).reshape(-1, n_joints, 3)
    glob = np.empty_like(rot)
    pos = np.empty((len(rot), n_joints, 3))
    roots = [j for j, p in enumerate(parents) if p < 0]
    glob[:, roots] = rot[:, roots]
    pos[:, roots] = trans[:, roots]
    if root_positions is not None:
        pos[:, roots] = np.asarray(root_positions, dtype=np.float64).reshape(-1, len(roots) if len(roots) > 1
                                                                             else 1, 3)
    for js, ps in _depth_levels(parents):
        pos[:, js] = pos[:, ps] + np.einsum("njab,njb->nja", glob[:, ps], trans[:, js])
        glob[:, js] = glob[:, ps] @ rot[:, js]
    return pos.reshape(lead + (n_joints, 3))


# --- rest pose and bone lengths --------------------------------------------------------------
def fix_bone_lengths(positions: np.ndarray, skeleton: Skeleton, lengths: np.ndarray | None = None) -> np.ndarray:
    """Positions `[..., T, J, 3]` with each bone rescaled to its length (default: its mean over frames).

    Works from the root outwards, keeping every bone's direction; `lengths` is `[..., bones]`
    in `skeleton.bones` order (per dancer if positions have a dancer axis).
    """
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim < 3 or pos.shape[-2:] != (skeleton.n_joints, 3):
        raise ShapeError(f"positions must be [..., frames, {skeleton.n_joints}, 3]; got {pos.shape}")
    if lengths is None:
        lengths = np.nanmean(skeleton.bone_lengths(pos), axis=-2)  # [..., bones]
    lengths = np.asarray(lengths, dtype=np.float64)
    if lengths.shape[-1] != len(skeleton.bones):
        raise ShapeError(f"lengths must end in {len(skeleton.bones)} bones; got {lengths.shape}")
    _tree(skeleton)  # a marker set has no bones to walk: say so
    out = fit_bone_lengths(pos, skeleton, lengths)
    return out.astype(np.asarray(positions).dtype if np.asarray(positions).dtype.kind == "f" else np.float64)


def _procrustes_template(vectors: np.ndarray, start: np.ndarray, iterations: int = 4) -> np.ndarray:
    """The rigid arrangement `[K, 3]` of child bones that best fits observed sets `[N, K, 3]`."""
    template = start
    for _ in range(iterations):
        rot = kabsch(template, vectors)  # template -> each frame
        aligned = np.einsum("nba,nkb->nka", rot, vectors)  # each frame back onto the template
        template = np.nanmean(aligned, axis=0)
    return template


def rest_offsets(positions: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Rest offsets `[J, 3]` for one dancer's positions `[T, J, 3]`: mean bone lengths along rest directions.

    Directions come from `skeleton.offsets` where it has them (so a skeleton read from BVH keeps
    its rest pose), else from the mean pose with the body's heading removed; child bones of
    branching joints get the rigid arrangement that best fits all frames (generalised Procrustes),
    which is what makes those joints' rotations reproduce the data.
    """
    parents = _tree(skeleton)
    pos = np.asarray(positions, dtype=np.float64)
    bones = pos - pos[:, [max(p, 0) for p in parents]]  # [T, J, 3]; the root's is zero
    lengths = np.linalg.norm(bones, axis=-1).mean(axis=0)
    facing = heading_rotations(pos, skeleton)  # [T, 3, 3]
    local = np.einsum("tba,tjb->tja", facing, bones)  # bones with the heading removed
    directions = _unit(_unit(local).mean(axis=0))
    if skeleton.offsets is not None and np.shape(skeleton.offsets) == (skeleton.n_joints, 3):
        given = np.asarray(skeleton.offsets, dtype=np.float64)
        has = np.linalg.norm(given, axis=-1) > _EPS
        directions[has] = _unit(given[has])
        fitted = set()
    else:
        fitted = {j for j, kids in enumerate(children_of(parents)) if _spans_plane(directions[kids])}
    offsets = directions * lengths[:, None]
    for j, kids in enumerate(children_of(parents)):
        if j in fitted:
            template = _procrustes_template(local[:, kids], offsets[kids])
            offsets[kids] = _unit(template) * lengths[kids, None]  # keep the data's bone lengths
    offsets[[j for j, p in enumerate(parents) if p < 0]] = 0.0
    return offsets


# --- inverse kinematics ----------------------------------------------------------------------
class Pose(NamedTuple):
    """Joint rotations of one dancer: what a BVH file stores."""

    rotations: np.ndarray  # [T, J, 3, 3] local rotation matrices
    translations: np.ndarray  # [T, J, 3] local translations: root = world position, others = offsets
    offsets: np.ndarray  # [J, 3] rest offsets
    moving: np.ndarray  # [J] bool: joints whose translation changes over time (the root, stretchy bones)


def inverse_kinematics(positions: np.ndarray, skeleton: Skeleton, offsets: np.ndarray | None = None,
                       exact: bool = True, tolerance: float = 1e-4) -> Pose:
    """Joint rotations reproducing one dancer's positions `[T, J, 3]` (see the module docstring).

    Rest offsets default to `rest_offsets(positions, skeleton)`. With `exact`, a joint whose
    observed offset from its parent departs from the rest offset by more than `tolerance`
    (a bone that stretches, or a sibling that moves against its siblings) keeps its observed
    local translation, so `forward_kinematics` reproduces the positions exactly; without it only
    the root translates and such joints are best fits.
    """
    parents = _tree(skeleton)
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim != 3 or pos.shape[1:] != (skeleton.n_joints, 3):
        raise ShapeError(f"positions must be [frames, {skeleton.n_joints}, 3] for one dancer; got {pos.shape}")
    if not np.isfinite(pos).all():
        raise ShapeError("positions have missing (NaN) values; fill them first with pasdeux.data.fill_gaps")
    offsets = rest_offsets(pos, skeleton) if offsets is None else np.asarray(offsets, dtype=np.float64)
    n, n_joints = pos.shape[:2]
    eye = np.broadcast_to(np.eye(3), (n, 3, 3))
    local, world = np.empty((n, n_joints, 3, 3)), np.empty((n, n_joints, 3, 3))
    trans = np.broadcast_to(offsets, (n, n_joints, 3)).copy()
    moving = np.array([p < 0 for p in parents])
    placed = pos.copy()  # joint positions as forward kinematics will rebuild them
    trans[:, moving] = pos[:, moving]
    kids_of = children_of(parents)
    for j, p in enumerate(parents):
        up = world[:, p] if p >= 0 else eye  # the parent's world rotation
        kids = [c for c in kids_of[j] if np.linalg.norm(offsets[c]) > _EPS]
        if kids and _spans_plane(offsets[kids]):
            world[:, j] = kabsch(offsets[kids], pos[:, kids] - placed[:, j, None])
        elif kids:
            c = max(kids, key=lambda k: np.linalg.norm(offsets[k]))
            frame = up if p >= 0 else heading_rotations(pos, skeleton)  # a lone root swings from the heading
            seen = np.einsum("nba,nb->na", frame, pos[:, c] - placed[:, j])  # aim from where j really lands
            world[:, j] = frame @ swing(offsets[c], seen)
        else:
            world[:, j] = up
        local[:, j] = up.transpose(0, 2, 1) @ world[:, j]
        for c in kids_of[j]:
            seen = np.einsum("nba,nb->na", world[:, j], pos[:, c] - placed[:, j])
            if exact and np.abs(seen - offsets[c]).max() > tolerance:
                trans[:, c], moving[c] = seen, True
            placed[:, c] = placed[:, j] + np.einsum("nab,nb->na", world[:, j], trans[:, c])
    return Pose(local, trans, offsets, moving)


# --- limbs -----------------------------------------------------------------------------------
def descendants(parents: Sequence[int], joint: int) -> list[int]:
    """`joint` and every joint below it in the tree (parents come before children)."""
    inside = {joint}
    for j, p in enumerate(parents):
        if p in inside:
            inside.add(j)
    return sorted(inside)


def reach_limb(positions: np.ndarray, skeleton: Skeleton, limb: tuple[int, int, int], target: np.ndarray,
               max_extension: float = 1.0) -> np.ndarray:
    """Move a limb (root, middle, end joints: hip, knee, ankle or shoulder, elbow, wrist) of bodies
    `[N, T, J, 3]` so that its end reaches `target` `[N, T, 3]`: two-bone IK from the fixed root, both bone
    lengths kept, the middle joint staying in the limb's bending plane, and everything below the end moved
    rigidly with it. A target out of reach gets the end as near as the limb allows, straightened to at most
    `max_extension` of its length (1: straight; less keeps a bend in the knee or elbow)."""
    if skeleton.parents is None:
        raise SkeletonError(f"skeleton {skeleton.name!r} has no joint tree; limbs need one")
    root, mid, end = limb
    w = positions
    h, k, a = w[:, :, root], w[:, :, mid], w[:, :, end]
    l1, l2 = np.linalg.norm(k - h, axis=-1), np.linalg.norm(a - k, axis=-1)
    to = target - h
    d = np.linalg.norm(to, axis=-1)
    reach = np.clip(d, np.abs(l1 - l2) + 1e-6, np.minimum(max_extension * (l1 + l2), l1 + l2 - 1e-6))
    u = to / np.maximum(d, _EPS)[..., None]
    along = (l1**2 - l2**2 + reach**2) / (2 * reach)
    up = np.sqrt(np.maximum(l1**2 - along**2, 0.0))
    pole = (k - h) - np.sum((k - h) * u, -1, keepdims=True) * u  # where the middle joint points now, across
    pole_n = np.linalg.norm(pole, axis=-1, keepdims=True)
    fallback = (a - h) - np.sum((a - h) * u, -1, keepdims=True) * u
    pole = np.where(pole_n > 1e-6 * np.maximum(l1, _EPS)[..., None], pole, -fallback)
    pole = pole / np.maximum(np.linalg.norm(pole, axis=-1, keepdims=True), _EPS)
    out = w.copy()
    out[:, :, mid] = h + along[..., None] * u + up[..., None] * pole
    out[:, :, descendants(skeleton.parents, end)] += (h + reach[..., None] * u - a)[:, :, None]
    return out

"""Putting generated poses back on a consistent skeleton: every bone gets its target length again.

A decoder fed latents from the prior can drift off the pose manifold, where bones stretch and
shrink from frame to frame. Walking the skeleton tree from the root, each child joint is moved
along its bone's current direction so the bone has (a blend towards) its mean training length;
directions, and so the motion itself, are kept. The pelvis real bodies hold rigid is given its real shape again
(`fit_girdles`), since the angle between two bones is not a bone's length.
"""

from __future__ import annotations

import numpy as np

from pasdeux.body import role_indices
from pasdeux.geometry import fit_bone_lengths
from pasdeux.motion import Skeleton

__all__ = ["fit_bone_lengths", "fit_girdles", "girdle_shapes", "girdles", "mean_bone_lengths",
           "relax_bone_lengths", "steady_extremities"]

RIGID_CV = 0.005  # a joint whose distances to a girdle's joints vary less than this (std over mean) is part of it
# (real salsa pelvis and shoulder girdle: at most 0.002; the head to the chest 0.012)
# The girdles held rigid: the pelvis (between the hips). Holding the shoulder girdle too (chest, neck, collars,
# shoulders: as rigid in the salsa mocap) made sampled salsa solos shake (jitter 1.02 -> 1.21, fid_k 116 -> 145,
# 3 seeds x 16 x 10 s): its turn, taken from a squeezed girdle, swings both arms.
GIRDLES = ("hip",)
GIRDLE_SMOOTH = 8.0  # frames: a squeezed girdle's turn is taken from this many frames either side
SURE_POWER = 8.0  # how fast a frame hands its turn to its neighbours as its girdle flattens


def mean_bone_lengths(positions: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Mean length of each bone `[bones]` over all frames of `[..., J, 3]`."""
    return skeleton.bone_lengths(positions).reshape(-1, len(skeleton.bones)).mean(0).astype(np.float32)


def steady_extremities(positions: np.ndarray, skeleton: Skeleton, lengths: np.ndarray, fraction: float = 0.15,
                       sigma: float = 2.0) -> np.ndarray:
    """Positions `[N, T, J, 3]` whose extremities (fingers, eyes, toe ends: bones whose whole chain to the tip is
    shorter than `fraction` of the body's reach from its root) point where they pointed on average over
    about `sigma` frames. A generated centimetre-long bone's direction is mostly noise; set to its full length
    by `fit_bone_lengths`, that noise would shake the fingers. Every other bone is left as it is."""
    from scipy.ndimage import gaussian_filter1d

    if skeleton.parents is None or positions.ndim != 4:
        return positions
    bone_of = {child: b for b, (_, child) in enumerate(skeleton.bones)}
    reach, below = np.zeros(skeleton.n_joints), np.zeros(skeleton.n_joints)
    for j, parent in enumerate(skeleton.parents):  # parents come before children
        if parent >= 0:
            reach[j] = reach[parent] + lengths[bone_of[j]]
    for j in reversed(range(skeleton.n_joints)):  # children come after parents
        parent = skeleton.parents[j]
        if parent >= 0:
            below[parent] = max(below[parent], below[j] + lengths[bone_of[j]])
    out = positions.copy()
    for j, parent in enumerate(skeleton.parents):
        if parent < 0 or lengths[bone_of[j]] + below[j] >= fraction * reach.max():
            continue
        local = gaussian_filter1d(positions[:, :, j] - positions[:, :, parent], sigma, axis=1, mode="nearest")
        out[:, :, j] = out[:, :, parent] + local
    return out


def relax_bone_lengths(positions: np.ndarray, skeleton: Skeleton, lengths: np.ndarray,
                       iterations: int = 12) -> np.ndarray:
    """Positions `[..., J, 3]` moved towards bones of `lengths` by sharing each bone's error between its two
    ends (the root stays), a few sweeps over all bones at once. Unlike walking the tree from the root, an
    error at the shoulder is not carried down to the wrist, so a noisy limb does not shake more once rigid;
    `fit_bone_lengths` afterwards makes the lengths exact with small moves."""
    if skeleton.parents is None:
        return positions
    a, b = np.asarray(skeleton.bones).T
    share = np.ones(skeleton.n_joints, np.float32)
    share[skeleton.parents.index(-1)] = 0.0  # the root keeps its place
    wa, wb = share[a], share[b]
    total = np.maximum(wa + wb, 1e-8)
    count = np.bincount(np.concatenate([a, b]), minlength=skeleton.n_joints).astype(np.float32)
    # Each bone's error goes to its ends: `spread` [J, bones] sends it (with sign and share) to the joints.
    spread = np.zeros((skeleton.n_joints, len(a)), np.float32)
    spread[a, np.arange(len(a))] = wa / total
    spread[b, np.arange(len(a))] = -wb / total
    spread /= count[:, None]
    import torch  # these sweeps run about ten times faster in torch than in numpy

    shape = positions.shape
    # Joints first ([J, poses, 3]): every sweep is then two gathers and one matrix product.
    out = torch.as_tensor(np.asarray(positions, np.float32).reshape(-1, *shape[-2:])).transpose(0, 1).contiguous()
    ia, ib = torch.as_tensor(a), torch.as_tensor(b)
    spread_t, target = torch.as_tensor(spread), torch.as_tensor(np.asarray(lengths, np.float32))[:, None, None]
    for _ in range(iterations):
        vec = out[ib] - out[ia]
        error = vec * (1 - target / vec.norm(dim=-1, keepdim=True).clamp_min(1e-8))  # child end too far out by
        out += (spread_t @ error.reshape(len(a), -1)).reshape(out.shape)
    return out.transpose(0, 1).reshape(shape).numpy().astype(positions.dtype)


def girdles(positions: np.ndarray, skeleton: Skeleton, max_frames: int = 1000) -> np.ndarray:
    """The girdles real bodies hold rigid in motion `[..., J, 3]`: `[J]`, for each joint the root joint of the
    girdle it belongs to, -1 for none.

    Bones keep their lengths, but the angle between two bones from one joint can change in a decoded pose while a
    real body keeps it: the salsa dancers' hips stay 0.137 m apart and their shoulders 0.179 m in every frame,
    while sampled salsa solos squeezed them under 0.05 and 0.09 m in a tenth of their frames, and a squeezed pelvis
    reads as a body whirling through itself. A girdle (`GIRDLES`; the pelvis: both hips) grows from the joint
    where its two sides meet, down the tree, while each new joint keeps its distance (`RIGID_CV`)
    to every joint already in it; it is left out unless it holds both sides (extracted video: hips and shoulders
    that move apart and together with the landmark noise)."""
    out = np.full(skeleton.n_joints, -1)
    if skeleton.parents is None:
        return out
    flat = np.asarray(positions, np.float64).reshape(-1, skeleton.n_joints, 3)
    flat = flat[np.linspace(0, len(flat) - 1, min(len(flat), max_frames)).round().astype(int)]
    dist = np.linalg.norm(flat[:, :, None] - flat[:, None], axis=-1)  # [F, J, J]
    rigid = dist.std(0) <= RIGID_CV * np.maximum(dist.mean(0), 1e-9)
    for part in GIRDLES:
        sides = [role_indices(skeleton, f"{side}_{part}") for side in ("left", "right")]
        if None in sides:
            continue
        root = _meeting(skeleton.parents, sides[0][0], sides[1][0])
        members, frontier = [root], [k for k, p in enumerate(skeleton.parents) if p == root]
        while frontier:
            j = frontier.pop(0)
            if out[j] < 0 and rigid[j, members].all():
                members.append(j)
                frontier += [k for k, p in enumerate(skeleton.parents) if p == j]
        if sides[0][0] in members and sides[1][0] in members:
            out[members] = root
    return out


def _meeting(parents: list[int], a: int, b: int) -> int:
    """The joint where the chains from the root to joints `a` and `b` part."""
    above = set()
    while a >= 0:
        above.add(a)
        a = parents[a]
    while b not in above:
        b = parents[b]
    return b


def girdle_shapes(positions: np.ndarray, skeleton: Skeleton, parts: np.ndarray, max_frames: int = 1000) -> np.ndarray:
    """The mean shape `[J, 3]` of each girdle (`girdles`) of real poses `[..., J, 3]`, about its root: every
    frame's girdle turned onto the first one's, then averaged, so that with several dancers its bones have their
    mean lengths, as `mean_bone_lengths` gives the rest (one dancer's pelvis on another's legs lifted the feet)."""
    shape = np.zeros((skeleton.n_joints, 3))
    flat = np.asarray(positions, np.float64).reshape(-1, skeleton.n_joints, 3)
    flat = flat[np.linspace(0, len(flat) - 1, min(len(flat), max_frames)).round().astype(int)]
    for root, members in _parts(parts):
        local = flat[:, members] - flat[:, root, None]  # [F, m, 3]
        u, _, vt = np.linalg.svd(np.einsum("fmi,mj->fij", local, local[0]))
        u[..., :, 2] *= np.sign(np.linalg.det(u @ vt))[..., None]
        shape[members] = np.einsum("fji,fmj->fmi", u @ vt, local).mean(0)  # each frame turned back onto the first
    return shape


def _parts(parts: np.ndarray) -> list[tuple[int, list[int]]]:
    """Each girdle's root and its other joints, the girdles nearest the root first (parents have lower indices)."""
    parts = np.asarray(parts)
    return [(int(r), [int(j) for j in np.flatnonzero(parts == r) if j != r]) for r in sorted(set(parts[parts >= 0]))]


def fit_girdles(positions: np.ndarray, skeleton: Skeleton, parts: np.ndarray, shapes: np.ndarray) -> np.ndarray:
    """Positions `[N, T, J, 3]` whose girdles (`girdles`) have their real shapes (`girdle_shapes`) again, each
    turned as the generated girdle is turned (least squares about its root); what hangs from a girdle (the pelvis:
    spine, legs) moves with the joint it hangs from, so every bone keeps its length.

    A squeezed, flat girdle does not show its turn: fitted frame by frame, the pelvis snapped round (sampled salsa
    solos: fid_k 141 -> 166). So each frame keeps its own turn as far as its girdle is as wide as a real one and
    takes the rest from its surer neighbours (`GIRDLE_SMOOTH`, `SURE_POWER`). Only girdles: holding the forearms
    with the hands rigid too, as the salsa mocap has them, made sampled solos shake; their turn, fitted from a few
    centimetres of finger, is mostly noise, and the arms swing with it."""
    if skeleton.parents is None or positions.ndim != 4:
        return positions
    out = np.array(positions, dtype=np.float64)
    for root, members in _parts(parts):
        moved = np.zeros(out.shape[:-2] + (len(members) + 1, 3))  # the root (last) stays
        moved[..., :-1, :] = _turned(out[..., members, :] - out[..., root, None, :],
                                     np.asarray(shapes, np.float64)[members] - shapes[root])
        out += moved[..., _hung_from(skeleton.parents, root, members), :]
    return out.astype(positions.dtype)


def _hung_from(parents: list[int], root: int, members: list[int]) -> np.ndarray:
    """For each joint `[J]`, which girdle joint it moves with (its index in `members`, or `len(members)` for
    the root and for joints that do not hang from the girdle): parents come before children."""
    at = np.full(len(parents), len(members))
    at[members] = np.arange(len(members))
    inside = set(members) | {root}
    for j, parent in enumerate(parents):
        if j not in inside and parent >= 0:
            at[j] = at[parent]
    return at


def _turned(given: np.ndarray, template: np.ndarray) -> np.ndarray:
    """How far each joint of a girdle `given` `[N, T, m, 3]` (about its root) moves to take the real `template`
    `[m, 3]`, turned the generated girdle's way."""
    from scipy.ndimage import gaussian_filter1d

    own = np.einsum("ntmi,mj->ntij", given, template)
    # How well a frame shows its own turn: its girdle's second extent over its first, as a share of the real
    # one's (a squeezed girdle is flat: near 0). Frames that show it keep their own turn; the others take their
    # neighbours'.
    spread = np.sqrt(np.maximum(np.linalg.eigvalsh(np.swapaxes(own, -1, -2) @ own), 0))  # singular values, rising
    ref = np.linalg.svd(template.T @ template, compute_uv=False)
    sure = np.clip(spread[..., 1] / np.maximum(spread[..., 2], 1e-12) / (ref[1] / ref[0]), 0, 1)[..., None, None]
    sure = sure ** SURE_POWER
    near = gaussian_filter1d(own * sure, GIRDLE_SMOOTH, axis=1, mode="nearest")
    u, _, vt = np.linalg.svd(sure * own + (1 - sure) * near)
    u[..., :, 2] *= np.sign(np.linalg.det(u @ vt))[..., None]  # a turn, never a mirror image
    return np.einsum("ntij,mj->ntmi", u @ vt, template) - given

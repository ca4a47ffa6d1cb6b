"""Putting generated poses back on a consistent skeleton: every bone gets its target length again.

A decoder fed latents from the prior can drift off the pose manifold, where bones stretch and
shrink from frame to frame. Walking the skeleton tree from the root, each child joint is moved
along its bone's current direction so the bone has (a blend towards) its mean training length;
directions, and so the motion itself, are kept. A pelvis that real bodies hold rigid is given its real shape
again (`fit_pelvis`), since the angle between two bones is not a bone's length.
"""

from __future__ import annotations

import numpy as np

from pasdeux.geometry import fit_bone_lengths
from pasdeux.motion import Skeleton

__all__ = ["fit_bone_lengths", "fit_pelvis", "mean_bone_lengths", "mean_pelvis", "pelvis_joints",
           "relax_bone_lengths", "steady_extremities"]

RIGID_CV = 0.01  # a joint whose distances to the pelvis's joints vary less than this (std over mean) is part of it
PELVIS_SMOOTH = 8.0  # frames: the pelvis's turn is fitted over about this many frames either side
SURE_POWER = 8.0  # how fast a frame hands its turn to its neighbours as its pelvis flattens


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



def pelvis_joints(positions: np.ndarray, skeleton: Skeleton, max_frames: int = 1000) -> np.ndarray:
    """The joints `[J]` (bool) that move as one rigid pelvis with the root in real motion `[..., J, 3]`.

    Bones keep their lengths, but the angle between two bones from the root can change in a decoded pose while
    a real pelvis keeps it: the salsa dancers' hips stay 0.137 m apart in every frame, while sampled salsa solos
    squeezed them under 0.05 m in a tenth of their frames, and a squeezed pelvis reads as a body spinning
    through itself. The pelvis grows from the root down the tree while each new joint keeps its distance to
    every joint already in it; none (all False) when fewer than three joints do (extracted video: hips that
    move apart and together with the landmark noise)."""
    keep = np.zeros(skeleton.n_joints, bool)
    if skeleton.parents is None:
        return keep
    flat = np.asarray(positions, np.float64).reshape(-1, skeleton.n_joints, 3)
    flat = flat[np.linspace(0, len(flat) - 1, min(len(flat), max_frames)).round().astype(int)]
    dist = np.linalg.norm(flat[:, :, None] - flat[:, None], axis=-1)  # [F, J, J]
    rigid = dist.std(0) <= RIGID_CV * np.maximum(dist.mean(0), 1e-9)
    root = skeleton.parents.index(-1)
    members, frontier = [root], [k for k, p in enumerate(skeleton.parents) if p == root]
    while frontier:
        j = frontier.pop(0)
        if rigid[j, members].all():
            members.append(j)
            frontier += [k for k, p in enumerate(skeleton.parents) if p == j]
    if len(members) >= 3:
        keep[members] = True
    return keep


def mean_pelvis(positions: np.ndarray, skeleton: Skeleton, pelvis: np.ndarray, max_frames: int = 1000) -> np.ndarray:
    """The mean shape `[J, 3]` of the pelvis (`pelvis_joints`) of real poses `[..., J, 3]`, about the root: every
    frame's pelvis turned onto the first one's, then averaged, so that with several dancers its bones have their
    mean lengths, as `mean_bone_lengths` gives the rest (one dancer's pelvis on another's legs lifted the feet)."""
    shape = np.zeros((skeleton.n_joints, 3))
    pelvis = np.asarray(pelvis, bool)
    if pelvis.sum() < 3:
        return shape
    root = skeleton.parents.index(-1)
    flat = np.asarray(positions, np.float64).reshape(-1, skeleton.n_joints, 3)
    flat = flat[np.linspace(0, len(flat) - 1, min(len(flat), max_frames)).round().astype(int)]
    parts = flat[:, pelvis] - flat[:, root, None]  # [F, m, 3]
    u, _, vt = np.linalg.svd(np.einsum("fmi,mj->fij", parts, parts[0]))
    u[..., :, 2] *= np.sign(np.linalg.det(u @ vt))[..., None]
    shape[pelvis] = np.einsum("fji,fmj->fmi", u @ vt, parts).mean(0)  # each frame turned back onto the first
    return shape


def fit_pelvis(positions: np.ndarray, skeleton: Skeleton, pelvis: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Positions `[N, T, J, 3]` whose pelvis (`pelvis_joints`) has its real `shape` (`[J, 3]`, a real pose)
    again, turned as the generated pelvis is turned (least squares about the root); what hangs from it (spine,
    legs) moves with the joint it hangs from, so every bone keeps its length.

    A squeezed, flat pelvis does not show its turn: fitted frame by frame, it snapped round (sampled salsa solos:
    fid_k 141 -> 166). So each frame keeps its own turn as far as its pelvis is as wide as a real one and takes
    the rest from its surer neighbours (`PELVIS_SMOOTH`, `SURE_POWER`): real salsa takes move by a median 0.1 mm
    (31 mm at most, in the fastest spin), sampled solos (3 seeds x 16 x 10 s) whirl through a squeezed pelvis
    (faster than 25 rad/s) 17 times a minute instead of 36 (real 2.6), fid_k 135 -> 134, jitter +0.8 %.
    Only the pelvis: holding the torso (abdomen to collars) and the forearms with the hands rigid too, as the
    salsa mocap has them, made sampled solos shake (jitter 1.08 -> 1.25, fid_k 141 -> 200); their turn, fitted
    from a few centimetres of collar or finger, is mostly noise, and the arms swing with it."""
    pelvis = np.asarray(pelvis, bool)
    if skeleton.parents is None or positions.ndim != 4 or pelvis.sum() < 3:
        return positions
    from scipy.ndimage import gaussian_filter1d

    root = skeleton.parents.index(-1)
    members = [j for j in np.flatnonzero(pelvis) if j != root]
    template = np.asarray(shape, np.float64)[members] - np.asarray(shape, np.float64)[root]  # [m, 3]
    out = np.array(positions, dtype=np.float64)
    given = out[..., members, :] - out[..., root, None, :]  # [N, T, m, 3]
    own = np.einsum("ntmi,mj->ntij", given, template)
    # How well a frame shows its own turn: its pelvis's second extent over its first, as a share of the real one's
    # (a squeezed pelvis is flat: near 0). Frames that show it keep their own turn; the others take their
    # neighbours'.
    spread = np.linalg.svd(own, compute_uv=False)
    ref = np.linalg.svd(template.T @ template, compute_uv=False)
    sure = np.clip(spread[..., 1] / np.maximum(spread[..., 0], 1e-12) / (ref[1] / ref[0]), 0, 1)[..., None, None]
    sure = sure ** SURE_POWER
    near = gaussian_filter1d(own * sure, PELVIS_SMOOTH, axis=1, mode="nearest")
    cov = sure * own + (1 - sure) * near
    u, _, vt = np.linalg.svd(cov)
    u[..., :, 2] *= np.sign(np.linalg.det(u @ vt))[..., None]  # a turn, never a mirror image
    moved = np.zeros_like(out)
    moved[..., members, :] = np.einsum("ntij,mj->ntmi", u @ vt, template) - given
    for j, parent in enumerate(skeleton.parents):  # parents come before children: what hangs from it follows
        if parent >= 0 and not pelvis[j]:
            moved[..., j, :] = moved[..., parent, :]
    return (out + moved).astype(positions.dtype)

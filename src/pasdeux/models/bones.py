"""Putting generated poses back on a consistent skeleton: every bone gets its target length again.

A decoder fed latents from the prior can drift off the pose manifold, where bones stretch and
shrink from frame to frame. Walking the skeleton tree from the root, each child joint is moved
along its bone's current direction so the bone has (a blend towards) its mean training length;
directions, and so the motion itself, are kept.
"""

from __future__ import annotations

import numpy as np

from pasdeux.geometry import fit_bone_lengths
from pasdeux.motion import Skeleton

__all__ = ["fit_bone_lengths", "mean_bone_lengths", "relax_bone_lengths", "steady_extremities"]


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

"""Putting generated poses back on a consistent skeleton: every bone gets its target length again.

A decoder fed latents from the prior can drift off the pose manifold, where bones stretch and
shrink from frame to frame. Walking the skeleton tree from the root, each child joint is moved
along its bone's current direction so the bone has (a blend towards) its mean training length;
directions, and so the motion itself, are kept.
"""

from __future__ import annotations

import numpy as np

from pasdeux.motion import Skeleton


def mean_bone_lengths(positions: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Mean length of each bone `[bones]` over all frames of `[..., J, 3]`."""
    return skeleton.bone_lengths(positions).reshape(-1, len(skeleton.bones)).mean(0).astype(np.float32)


def fit_bone_lengths(positions: np.ndarray, skeleton: Skeleton, lengths: np.ndarray,
                     strength: float = 1.0) -> np.ndarray:
    """Positions `[..., J, 3]` with every bone of a tree skeleton set to `lengths` (`strength` 1) or
    moved geometrically part of the way there (`0 < strength < 1`); non-tree skeletons are returned as they are."""
    if skeleton.parents is None or strength <= 0:
        return positions
    bone_of = {child: b for b, (_, child) in enumerate(skeleton.bones)}
    out = positions.copy()
    for j, parent in enumerate(skeleton.parents):  # parents come before children
        if parent < 0:
            continue
        vec = positions[..., j, :] - positions[..., parent, :]
        norm = np.linalg.norm(vec, axis=-1, keepdims=True)
        target = norm ** (1 - strength) * lengths[bone_of[j]] ** strength
        out[..., j, :] = out[..., parent, :] + vec / np.maximum(norm, 1e-8) * target
    return out

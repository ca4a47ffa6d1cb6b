"""Body geometry, one definition each, for numpy arrays and torch tensors alike.

Data preparation, metrics and generation work in numpy; the models work in torch on the same quantities.
Each function here takes either (and returns the same kind), so the root a model centres on, the heading
of its leader frame and the bone lengths it restores are exactly those the rest of pasdeux measures:

- the root point (the pelvis role, or the mean of several root joints) and horizontal centring on it;
- a body's forward direction from its hips and shoulders, and turning vectors into and out of a heading's
  frame (x to the right, z forward, y up);
- the walk from the root that sets every bone to its length.

y is up and never changed by centring or turning.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

from pasdeux.motion import Skeleton

Array = TypeVar("Array")  # np.ndarray or torch.Tensor: each function returns the kind it is given


def _is_torch(x) -> bool:
    return type(x).__module__.startswith("torch")


def _stack(parts: list, axis: int = -1):
    if _is_torch(parts[0]):
        import torch

        return torch.stack(parts, dim=axis)
    return np.stack(parts, axis=axis)


# --- the root and centring ----------------------------------------------------------------------------
def root_point(x: Array, root: tuple[int, ...]) -> Array:
    """The root `[..., 3]` of poses `[..., J, 3]`: joint `root[0]`, or the mean of the joints `root`."""
    return x[..., root[0], :] if len(root) == 1 else x[..., list(root), :].mean(-2)


def on_floor(xz: Array) -> Array:
    """Horizontal vectors `[..., 2]` (x, z) as 3-vectors `[..., 3]` with height 0."""
    return _stack([xz[..., 0], xz[..., 0] * 0, xz[..., 1]])


def centre_horizontally(x: Array, root_xz: Array) -> Array:
    """Poses `[..., J, 3]` moved so the horizontal point `root_xz` `[..., 2]` is at x = z = 0 (heights kept)."""
    return x - on_floor(root_xz)[..., None, :]


# --- facing and the heading's frame ------------------------------------------------------------------
def forward(x: Array, pairs: list[tuple[tuple[int, ...], tuple[int, ...]]]) -> Array:
    """A body's forward direction (x, z) `[..., 2]` from `(left, right)` joint groups of poses `[..., J, 3]`
    (hips, shoulders), as long as those are wide: the left-to-right line turned a quarter turn about +y."""
    across = sum(root_point(x, left) - root_point(x, right) for left, right in pairs)  # right -> left
    return _stack([-across[..., 2], across[..., 0]])  # (left - right) x up, in a right-handed y-up frame


def to_frame(v: Array, fwd: Array) -> Array:
    """Vectors `[..., 3]` (or `[..., 2]` as x, z) into the frame whose forward is `fwd` `[..., 2]` (broadcast)."""
    fx, fz = fwd[..., 0], fwd[..., 1]
    if v.shape[-1] == 2:
        return _stack([v[..., 0] * fz - v[..., 1] * fx, v[..., 0] * fx + v[..., 1] * fz])
    return _stack([v[..., 0] * fz - v[..., 2] * fx, v[..., 1], v[..., 0] * fx + v[..., 2] * fz])


def from_frame(v: Array, fwd: Array) -> Array:
    """The inverse of `to_frame`."""
    fx, fz = fwd[..., 0], fwd[..., 1]
    if v.shape[-1] == 2:
        return _stack([v[..., 0] * fz + v[..., 1] * fx, -v[..., 0] * fx + v[..., 1] * fz])
    return _stack([v[..., 0] * fz + v[..., 2] * fx, v[..., 1], -v[..., 0] * fx + v[..., 2] * fz])


# --- bone lengths ---------------------------------------------------------------------------------------
def fit_bone_lengths(positions: np.ndarray, skeleton: Skeleton, lengths: np.ndarray,
                     strength: float = 1.0) -> np.ndarray:
    """Positions `[..., J, 3]` with every bone of a tree skeleton set to `lengths` (`strength` 1) or moved
    geometrically part of the way there (`0 < strength < 1`), walking from the root and keeping each bone's
    direction; `lengths` is `[bones]`, or `[D, bones]` for positions `[D, T, J, 3]` (one set per dancer).
    Non-tree skeletons are returned as they are."""
    if skeleton.parents is None or strength <= 0:
        return positions
    lengths = np.asarray(lengths)
    bone_of = {child: b for b, (_, child) in enumerate(skeleton.bones)}
    out = positions.copy()
    for j, parent in enumerate(skeleton.parents):  # parents come before children
        if parent < 0:
            continue
        vec = positions[..., j, :] - positions[..., parent, :]
        norm = np.linalg.norm(vec, axis=-1, keepdims=True)
        length = lengths[bone_of[j]] if lengths.ndim == 1 else lengths[..., None, bone_of[j], None]
        target = norm ** (1 - strength) * length ** strength
        out[..., j, :] = out[..., parent, :] + vec / np.maximum(norm, 1e-8) * target
    return out

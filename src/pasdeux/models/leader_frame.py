"""The duet seen from the leader: each frame's leader pelvis at the origin, the leader's heading along +z.

A partner described in this frame (where it stands from the leader, which way it turns relative to
the leader, its pose) means the same whichever way the couple faces in the room, so a model of it needs
no rotation augmentation to generalise, and its answer turns when the leader turns.

The heading is the leader's facing (from its hips and shoulders) made slow: turns faster than a body can
turn in one frame are clipped (pose estimators sometimes swap left and right for a frame), then the
unwrapped angle is smoothed over about half a second. A spin of the leader then turns the frame gently
while the spin itself stays in the leader's pose, so a partner who does not spin is not made to whirl
around the leader in the frame.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from pasdeux.body import resolve
from pasdeux.motion import Skeleton

SMOOTH_S = 0.4  # std of the Gaussian that slows the heading, in seconds
MAX_TURN_PER_S = 15.7  # radians per second (900 degrees): faster changes are estimator flips, not turns
FACING_ROLES = ("left_hip", "right_hip", "left_shoulder", "right_shoulder")


def facing_joints(skeleton: Skeleton) -> list[tuple[int, ...]]:
    """Joint indices of the hips and shoulders that give a body's facing (SkeletonError if it lacks them)."""
    return resolve(skeleton, FACING_ROLES, "the duet model's leader frame")


def _point(world: Tensor, idx: tuple[int, ...]) -> Tensor:
    return world[..., idx[0], :] if len(idx) == 1 else world[..., list(idx), :].mean(-2)


def facing(world: Tensor, joints: list[tuple[int, ...]], fps: float) -> Tensor:
    """Slow heading directions `[B, T, 2]` (unit x, z) of poses `[B, T, J, 3]` (see the module doc)."""
    lh, rh, ls, rs = (_point(world, i) for i in joints)
    across = (lh - rh) + (ls - rs)  # right -> left, in a right-handed y-up frame
    angle = torch.atan2(-across[..., 2], across[..., 0])  # of the forward direction, 0 along +z
    turn = torch.remainder(angle.diff(dim=1) + math.pi, 2 * math.pi) - math.pi
    limit = MAX_TURN_PER_S / fps
    unwrapped = torch.cat([angle[:, :1], angle[:, :1] + torch.cumsum(turn.clamp(-limit, limit), dim=1)], dim=1)
    sigma = SMOOTH_S * fps
    radius = int(math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=world.dtype, device=world.device)
    kernel = torch.exp(-0.5 * (t / sigma) ** 2)
    x = F.pad(unwrapped[:, None], (radius, radius), mode="replicate")
    slow = F.conv1d(x, (kernel / kernel.sum()).view(1, 1, -1))[:, 0]
    return torch.stack([torch.sin(slow), torch.cos(slow)], dim=-1)


def to_frame(v: Tensor, fwd: Tensor) -> Tensor:
    """Vectors `[..., 3]` (or `[..., 2]` as x, z) into the frame whose forward is `fwd` `[..., 2]` (broadcast)."""
    fx, fz = fwd[..., 0], fwd[..., 1]
    if v.shape[-1] == 2:
        return torch.stack([v[..., 0] * fz - v[..., 1] * fx, v[..., 0] * fx + v[..., 1] * fz], dim=-1)
    return torch.stack([v[..., 0] * fz - v[..., 2] * fx, v[..., 1], v[..., 0] * fx + v[..., 2] * fz], dim=-1)


def from_frame(v: Tensor, fwd: Tensor) -> Tensor:
    """The inverse of `to_frame`."""
    fx, fz = fwd[..., 0], fwd[..., 1]
    if v.shape[-1] == 2:
        return torch.stack([v[..., 0] * fz + v[..., 1] * fx, -v[..., 0] * fx + v[..., 1] * fz], dim=-1)
    return torch.stack([v[..., 0] * fz + v[..., 2] * fx, v[..., 1], -v[..., 0] * fx + v[..., 2] * fz], dim=-1)

"""The duet seen from the leader: each frame's leader pelvis at the origin, the leader's heading along +z.

A partner described in this frame (where it stands from the leader, which way it turns relative to
the leader, its pose) means the same whichever way the couple faces in the room, so a model of it needs
no rotation augmentation to generalise, and its answer turns when the leader turns.

The heading is the leader's facing from its hips and shoulders, smoothed over a tenth of a second: the
forward vectors themselves are averaged, each as long as the hips and shoulders are wide, so a frame whose
hip line collapses counts little; a frame pointing away from its smoothed neighbourhood by more than a
right angle (pose estimators sometimes swap left and right for a frame or two) is left out and the
neighbourhood smoothed again. Both passes are local (a frame's heading depends only on its neighbours),
so a training window and a long lead see the same heading away from their ends.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from pasdeux.body import resolve
from pasdeux.geometry import forward, from_frame, to_frame
from pasdeux.motion import Skeleton

__all__ = ["facing", "facing_joints", "from_frame", "to_frame"]

SMOOTH_S = 0.1  # std of the Gaussian that smooths the heading, in seconds
FACING_ROLES = ("left_hip", "right_hip", "left_shoulder", "right_shoulder")


def facing_joints(skeleton: Skeleton) -> list[tuple[int, ...]]:
    """Joint indices of the hips and shoulders that give a body's facing (SkeletonError if it lacks them)."""
    return resolve(skeleton, FACING_ROLES, "the duet model's leader frame")


def facing(world: Tensor, joints: list[tuple[int, ...]], fps: float) -> Tensor:
    """Smoothed heading directions `[B, T, 2]` (unit x, z) of poses `[B, T, J, 3]` (see the module doc)."""
    lh, rh, ls, rs = joints
    fwd = forward(world, [(lh, rh), (ls, rs)])  # as long as the body is wide
    first = _smooth(fwd, SMOOTH_S * fps)
    agrees = ((fwd * first).sum(-1, keepdim=True) > 0).to(fwd.dtype)  # within a right angle of its neighbours
    smooth = _smooth(fwd * agrees, SMOOTH_S * fps)
    return smooth / smooth.norm(dim=-1, keepdim=True).clamp_min(1e-6)


def _smooth(v: Tensor, sigma: float) -> Tensor:
    """`[B, T, C]` smoothed over time by a Gaussian of `sigma` frames (edges replicated)."""
    radius = int(math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=v.dtype, device=v.device)
    kernel = torch.exp(-0.5 * (t / sigma) ** 2)
    x = F.pad(v.transpose(1, 2), (radius, radius), mode="replicate")
    channels = v.shape[-1]
    return F.conv1d(x, (kernel / kernel.sum()).view(1, 1, -1).repeat(channels, 1, 1), groups=channels).transpose(1, 2)

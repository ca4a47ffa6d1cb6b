"""Contacts for training: which feet of real windows are planted, and the losses that teach a model
to predict them and to keep planted feet still; and which hands of a real partner hold the leader's.

Labels follow `pasdeux.grounding.detect_contacts` (the same thresholds, relative to the leg length and per
second), computed in torch on the training batch after augmentation, so a mirrored window gets mirrored
labels. The floor of a window is the `FLOOR_PERCENTILE` of its lowest foot point, as in the metrics.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from pasdeux.body import hand_joints, role_indices
from pasdeux.grounding import CONTACT_HEIGHT, CONTACT_SPEED, FLOOR_PERCENTILE, FOOT_POINTS, MIN_CONTACT_S, SIDES
from pasdeux.motion import Skeleton

HOLD_TOUCH = 0.06  # leg lengths: a partner hand point this near a leader hand point holds it (the contact metric's)


def foot_index(skeleton: Skeleton) -> list[list[tuple[int, ...]]] | None:
    """Joint indices `[side][point]` (each a tuple whose mean is the point) of both feet; None if unnamed."""
    found = [[role_indices(skeleton, f"{s}_{p}") for p in FOOT_POINTS] for s in SIDES]
    return None if any(i is None for side in found for i in side) else found


def foot_points(x: Tensor, index: list[list[tuple[int, ...]]]) -> Tensor:
    """Foot points `[B, T, 2, P, 3]` of positions `[B, T, J, 3]`."""
    return torch.stack([torch.stack([x[..., list(i), :].mean(-2) for i in side], -2) for side in index], -3)


def _morph(mask: Tensor, k: int, grow: bool) -> Tensor:
    """Dilation (`grow`) or erosion of boolean runs `[B, T, 2]` over `k` frames (centred)."""
    x = mask.float().transpose(1, 2)
    if not grow:
        x = 1 - x
    pad = (k // 2, k - 1 - k // 2) if grow else (k - 1 - k // 2, k // 2)  # erosion mirrors the dilation
    y = F.max_pool1d(F.pad(x, pad, value=0.0), k, stride=1)
    return (y if grow else 1 - y).transpose(1, 2) > 0.5


def contact_labels(world: Tensor, index: list[list[tuple[int, ...]]], fps: float, leg: float) -> Tensor:
    """Planted feet `[B, T, 2]` (float 0/1) of uncentred real windows `[B, T, J, 3]`."""
    feet = foot_points(world, index)  # [B, T, 2, P, 3]
    height = feet[..., 1]
    floor = torch.quantile(height.amin((-1, -2)), FLOOR_PERCENTILE / 100, dim=1)[:, None, None]  # [B, 1, 1]
    low = height.min(-1).values  # [B, T, 2]: each foot's lowest point
    xz = feet[..., [0, 2]]
    vel = torch.cat([xz[:, 1:2] - xz[:, :1], (xz[:, 2:] - xz[:, :-2]) / 2, xz[:, -1:] - xz[:, -2:-1]], dim=1)
    speed = vel.norm(dim=-1).amin(-1) * fps / leg  # the foot's slowest point
    planted = (low - floor < CONTACT_HEIGHT * leg) & (speed < CONTACT_SPEED)
    k = max(1, int(round(MIN_CONTACT_S * fps)))
    if k > 1:  # as scipy's binary closing then opening: short gaps filled, short contacts dropped
        planted = _morph(_morph(planted, k, True), k, False) | planted
        planted = _morph(_morph(planted, k, False), k, True)
    return planted.float()


def planted_slide(centred: Tensor, root_vel: Tensor, labels: Tensor, index: list[list[tuple[int, ...]]],
                  fps: float, leg: float) -> Tensor:
    """Mean squared horizontal speed (leg lengths per second) of the feet labelled planted, in the world:
    the frame-to-frame move of each foot point relative to the root plus the root's own velocity."""
    feet = foot_points(centred, index)[..., [0, 2]]  # [B, T, 2, P, 2]
    move = feet.diff(dim=1) + root_vel[:, 1:, None, None, :]
    both = (labels[:, 1:] * labels[:, :-1])[..., None]  # planted over the frame pair [B, T-1, 2, 1]
    speed2 = (move * fps / leg).pow(2).sum(-1)  # [B, T-1, 2, P]
    return (speed2 * both).sum() / both.sum().clamp_min(1.0) / speed2.shape[-1]



def hand_index(skeleton: Skeleton) -> list[list[int]] | None:
    """Joint indices `[side]` of both hands (wrist and below, `body.hand_joints`); None if a side is unnamed."""
    found = [hand_joints(skeleton, s) for s in SIDES]
    return None if None in found else found


def hold_labels(lead: Tensor, partner: Tensor, index: list[list[int]], leg: float) -> Tensor:
    """Which hands of the partner hold one of the leader's, `[B, T, 2]` (float 0/1), in real pair windows
    `lead`, `partner` `[B, T, J, 3]`: some point of that hand within `HOLD_TOUCH` leg lengths of some point
    of either leader hand. (The duet contact metric, segments within 6 %, counts nearly the same frames.)"""
    leader = lead[..., index[0] + index[1], :]  # [B, T, H, 3]
    held = [torch.cdist(partner[..., side, :].flatten(0, 1), leader.flatten(0, 1)).amin((-1, -2))
            for side in index]
    return (torch.stack(held, -1) < HOLD_TOUCH * leg).float().unflatten(0, lead.shape[:2])

"""Hand holds: where a generated partner's hand comes near a hand of the leader, it takes it.

Partners in a couple dance hold hands much of the time, and a hand that misses the other by a few
centimetres reads as no hold at all. The model places the hands close; this finishes the gesture, as
foot planting finishes a step: each partner hand within `HOLD_RADIUS` leg lengths of a leader hand is
drawn towards it, fully from half that distance, until the two are `HOLD_GAP` apart; the whole hand moves
with it and the elbow half as far, and the body is made rigid again afterwards. The pull fades with
distance, so hands that part let go smoothly.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from pasdeux.body import role_indices
from pasdeux.motion import Skeleton

HOLD_RADIUS = 0.25  # leg lengths: a partner hand nearer a leader hand than this is drawn to it
HOLD_GAP = 0.03  # leg lengths: how far apart held hands end
HOLD_SMOOTH = 3.0  # frames: the pull is smoothed over time (a hand drawn frame by frame shakes with the gap)


def _hand(skeleton: Skeleton, side: str) -> int | None:
    idx = role_indices(skeleton, f"{side}_hand") or role_indices(skeleton, f"{side}_wrist")
    return None if idx is None else idx[0]


def _below(skeleton: Skeleton, joint: int) -> list[int]:
    """`joint` and every joint under it in the tree (the whole hand under a wrist)."""
    out = [joint]
    if skeleton.parents is not None:
        for j, p in enumerate(skeleton.parents):
            if p in out:
                out.append(j)
    return out


def hold_hands(lead: np.ndarray, partner: np.ndarray, skeleton: Skeleton, leg: float) -> np.ndarray:
    """The partner `[..., T, J, 3]` with its hands drawn to the leader's `[..., T, J, 3]` where they are close."""
    hands = {side: _hand(skeleton, side) for side in ("left", "right")}
    if None in hands.values():
        return partner
    leader_hands = lead[..., list(hands.values()), :]  # [..., T, 2, 3]
    out = partner.copy()
    for side, joint in hands.items():
        wrist = role_indices(skeleton, f"{side}_wrist")
        elbow = role_indices(skeleton, f"{side}_elbow")
        gap = partner[..., joint, None, :] - leader_hands  # [..., T, 2, 3]
        dist = np.linalg.norm(gap, axis=-1)
        k = dist.argmin(-1)[..., None, None]
        gap, d = np.take_along_axis(gap, k, -2)[..., 0, :], np.take_along_axis(dist, k[..., 0], -1)[..., 0]
        pull = np.clip((HOLD_RADIUS * leg - d) / (0.5 * HOLD_RADIUS * leg), 0.0, 1.0)
        pull = pull * pull * (3 - 2 * pull)  # smoothstep: no kink where a hold begins
        target = gap * np.minimum(1.0, HOLD_GAP * leg / np.maximum(d, 1e-9))[..., None]
        delta = pull[..., None] * (target - gap)  # [..., T, 3]
        if HOLD_SMOOTH > 0 and delta.shape[-2] > 1:  # a hand drawn frame by frame would shake with the gap
            delta = gaussian_filter1d(delta, HOLD_SMOOTH, axis=-2, mode="nearest")
        delta = delta.astype(out.dtype)
        moved = _below(skeleton, wrist[0] if wrist is not None and len(wrist) == 1 else joint)
        out[..., moved, :] += delta[..., None, :]
        if elbow is not None and len(elbow) == 1:
            out[..., elbow[0], :] += 0.5 * delta
    return out

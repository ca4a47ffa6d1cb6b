"""Hand holds: where the duet model says a partner's hand holds one of the leader's, it takes it.

Partners in a couple dance hold hands much of the time (the salsa couple in 0.07 to 0.43 of a take's
frames), and a hand that misses the other by a few centimetres reads as no hold at all. The duet model
predicts, with the partner's movement, which of its hands hold a leader hand (a head trained on the real
couple's holds, `models.contacts.hold_labels`), so holds come and go with the leader.
This finishes the gesture, as foot planting finishes a step: a hand the model holds is brought to the
nearest leader hand until the two are `HOLD_GAP` apart, by two-bone IK of the arm from the fixed
shoulder (`kinematics.reach_limb`), so the arm reaches with its own bone lengths instead of stretching;
the hand moves rigidly with the wrist. The pull is smoothed over `HOLD_SMOOTH` frames, so hands take and
let go smoothly, and fades for leader hands beyond `HOLD_REACH`, where a dancer would not lunge.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from pasdeux.body import role_indices
from pasdeux.kinematics import reach_limb
from pasdeux.motion import Skeleton

HOLD_GAP = 0.03  # leg lengths: how far apart held hands end
HOLD_FROM = 0.35  # hold probability where the pull begins; full from HOLD_FROM + HOLD_RAMP (0.5: above the
# calibrated threshold every hand holds, so partners hold as often as the model says)
HOLD_RAMP = 0.15
HOLD_REACH = 0.5  # leg lengths: leader hands farther than this are reached for less, not at all past 1.5x
HOLD_SMOOTH = 3.0  # frames: the pull is smoothed over time (a hand drawn frame by frame shakes with the gap)
SIDES = ("left", "right")


def _one(skeleton: Skeleton, role: str) -> int | None:
    idx = role_indices(skeleton, role)
    return idx[0] if idx is not None and len(idx) == 1 else None


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)  # no kink where a hold begins or ends


def hold_weight(held: np.ndarray, distance: np.ndarray, leg: float) -> np.ndarray:
    """How far (0 to 1) a hand is drawn to the leader's, from the model's hold probability and the gap."""
    sure = _smoothstep((held - HOLD_FROM) / HOLD_RAMP)
    near = _smoothstep((1.5 * HOLD_REACH * leg - distance) / (0.5 * HOLD_REACH * leg))
    return sure * near


def hold_hands(lead: np.ndarray, partner: np.ndarray, skeleton: Skeleton, leg: float,
               held: np.ndarray | None) -> np.ndarray:
    """The partner `[N, T, J, 3]` with the hands the model holds (`held`, probabilities `[N, T, 2]`, left and
    right) brought to the nearest hand of the leader `[N, T, J, 3]`; unchanged where the model predicts no
    holds (None) or the skeleton lacks hands or arms."""
    limbs = {side: tuple(_one(skeleton, f"{side}_{part}") for part in ("shoulder", "elbow", "wrist", "hand"))
             for side in SIDES}
    if held is None or skeleton.parents is None or any(None in limb for limb in limbs.values()):
        return partner
    leader_hands = lead[..., [limbs[side][3] for side in SIDES], :]  # [N, T, 2, 3]
    out = partner.copy()
    for s, side in enumerate(SIDES):
        shoulder, elbow, wrist, hand = limbs[side]
        gap = out[..., hand, None, :] - leader_hands  # [N, T, 2, 3]
        dist = np.linalg.norm(gap, axis=-1)
        k = dist.argmin(-1)[..., None, None]
        gap, d = np.take_along_axis(gap, k, -2)[..., 0, :], np.take_along_axis(dist, k[..., 0], -1)[..., 0]
        target = gap * np.minimum(1.0, HOLD_GAP * leg / np.maximum(d, 1e-9))[..., None]
        delta = hold_weight(held[..., s], d, leg)[..., None] * (target - gap)  # [N, T, 3]
        if HOLD_SMOOTH > 0 and delta.shape[-2] > 1:
            delta = gaussian_filter1d(delta, HOLD_SMOOTH, axis=-2, mode="nearest")
        moving = np.linalg.norm(delta, axis=-1) > 1e-6 * leg  # frames where this hand holds or lets go
        if moving.any():
            reached = reach_limb(out, skeleton, (shoulder, elbow, wrist), out[..., wrist, :] + delta.astype(out.dtype))
            out = np.where(moving[..., None, None], reached, out)
    return out

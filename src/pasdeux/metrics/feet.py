"""Feet on the floor: contact, sliding (skating) and floating, plus EDGE's physical foot contact (PFC).

Feet are measured with the travel kept (world positions, e.g. `solo_windows(..., centring="first")`):
a planted foot under a body that travels slides in per-frame centred coordinates, so centred windows
would make every real step look like skating.

The feet: each side's ankle, its toe or ball (`left_foot`) and its heel where the skeleton names one
(`pasdeux.body` roles). A foot's height is its **lowest point's** height above the floor, in leg
lengths (`leg_length`, mean hip-to-ankle distance). Each threshold below holds on any skeleton,
whatever its units or frame rate.

- **planted**: the foot's lowest point is under `CONTACT_HEIGHT` = 0.08 leg lengths (about 7 cm
  for an adult). This was settled on the real salsa mocap (training takes, 30 fps, travel kept, their
  own floor). Under 0.08 L a foot barely moves: the median horizontal speed of its slowest point is
  0.24-0.41 L/s in every 0.02-L band from 0 to 0.08 L. From 0.08 to 0.10 L it is 0.66 L/s, from 0.10
  to 0.12 L 1.9 L/s, and above 0.12 L 4-5 L/s (the swinging foot). The knee sits at 0.08 L, not at
  the 6 % a heeled skeleton would give, because the CMU and SMPL skeletons have no heel point: a
  flat foot's lowest point behind the toes is the ankle, 0.05-0.07 L above the floor.
- **sliding**: a planted foot (planted in both frames of a frame pair) whose slowest point moves
  horizontally faster than `SKATE_SPEED` = 1.0 L/s at 30 fps (about 0.85 m/s for an adult). Real
  planted feet move at a median 0.31 L/s, and 1.0 L/s is their 86th percentile: salsa's pivots and
  spins turn the foot on the ball, which moves the toe tip and the ankle on small circles. The real
  skating ratio is 0.13 on the salsa test takes and 0.10 on the video duet's test span. A body gliding
  at 1.5 L/s (the artefact) moves every planted foot at its own speed: salsa take 13 goes from 0.17 to
  0.90.
- `foot_contact_share`: share of frames with at least one foot planted.
- `foot_skating_ratio`: share of planted-foot frame pairs (per foot) in which that foot slides
  (BENCHMARK.md). It is 0 when no foot is ever planted; read it beside the contact share.
- `floating`: median over frames of the lowest foot point's height above the floor, in leg lengths.
  It is signed: a body sunk into the floor scores below 0.

**Where the floor comes from.** Pass `floor=` (a height in the data's units) whenever a real reference
exists. Estimate it once from the real data with `floor_height(real_world_windows, skeleton)` and
score real and generated motion against it (`pasdeux evaluate` does this with the reference span).
A generated body that floats would otherwise get its own raised floor and look grounded. With
`floor=None` each window's own floor is estimated (the 5th percentile of its lowest foot point per
frame). Use that only when no reference exists, for example when motion is scored alone. Generated
motion must share the reference's vertical frame, as pasdeux's models' output does.

Speeds are taken at the protocol's 30 fps (`units.at_protocol_rate`): at 120 fps a planted foot's
sensor noise alone moves it about 0.2 L/s (1 mm x 120 / 0.58). Heights need no resampling, but
one pass serves both.
"""

from __future__ import annotations

import numpy as np

from pasdeux.body import body_points, role_indices
from pasdeux.errors import ShapeError
from pasdeux.metrics import units
from pasdeux.metrics.basic import as_windows
from pasdeux.motion import Skeleton

CONTACT_HEIGHT = 0.08  # leg lengths above the floor: a foot whose lowest point is lower is planted
SKATE_SPEED = 1.0  # leg lengths per second (at 30 fps): a planted foot moving faster slides
FLOOR_PERCENTILE = 5.0  # the floor is this percentile of the lowest foot point over frames
SIDES = ("left", "right")
POINTS = ("ankle", "foot", "heel")  # heel only where the skeleton names one


def foot_points(x: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Foot points `[N, T, 2 feet, P, 3]` of windows `x` (left foot first; ankle, toe or ball, and heel
    where the skeleton names one); `SkeletonError` names missing ankles or toes."""
    a = as_windows(x)
    points = POINTS if all(role_indices(skeleton, f"{s}_heel") is not None for s in SIDES) else POINTS[:2]
    roles = tuple(f"{s}_{p}" for s in SIDES for p in points)
    return body_points(a, skeleton, roles, "the feet metrics").reshape(*a.shape[:2], 2, len(points), 3)


def _floor_of(feet: np.ndarray, percentile: float = FLOOR_PERCENTILE) -> np.ndarray:
    """Per-window floor `[N]`: a low percentile of the lowest foot point in each frame."""
    lowest = feet[..., 1].reshape(*feet.shape[:2], -1).min(-1)  # [N, T]
    return np.percentile(lowest, percentile, axis=1)


def floor_height(x: np.ndarray, skeleton: Skeleton, per_window: bool = False,
                 percentile: float = FLOOR_PERCENTILE) -> float | np.ndarray:
    """The floor under world-position windows `x` `[N, T, J, 3]`: a low percentile of the lowest foot point
    over all frames (one height), or each window's own (`per_window=True`, `[N]`)."""
    feet = foot_points(x, skeleton)
    if per_window:
        return _floor_of(feet, percentile)
    return float(np.percentile(feet[..., 1].reshape(-1, feet.shape[2] * feet.shape[3]).min(-1), percentile))


def _floor_array(feet: np.ndarray, floor: float | np.ndarray | None) -> np.ndarray:
    """The floor per window `[N, 1, 1]`: given (one height or one per window), else each window's own."""
    if floor is None:
        return _floor_of(feet)[:, None, None]
    f = np.asarray(floor, dtype=np.float64)
    if not (f.ndim == 0 or f.shape == (len(feet),)) or not np.isfinite(f).all():
        raise ShapeError(f"floor must be one finite height or one per window ({len(feet)}); got shape {f.shape}")
    return np.broadcast_to(f, (len(feet),))[:, None, None]


def foot_heights(x: np.ndarray, skeleton: Skeleton, floor: float | np.ndarray | None = None,
                 leg_length: float | None = None) -> np.ndarray:
    """Height of each foot's lowest point above the floor, in leg lengths: `[N, T, 2]` (left, right).

    `floor` as in the module doc (None: each window's own); `leg_length` defaults to the one of `x`."""
    a = as_windows(x)
    leg = units.resolve_leg(a, skeleton, leg_length)
    feet = foot_points(a, skeleton)
    return (feet[..., 1].min(-1) - _floor_array(feet, floor)) / leg


def foot_contacts(x: np.ndarray, skeleton: Skeleton, floor: float | np.ndarray | None = None,
                  leg_length: float | None = None, height: float = CONTACT_HEIGHT) -> np.ndarray:
    """Contact labels `[N, T, 2]`: each foot planted (lowest point under `height` leg lengths) per frame."""
    return foot_heights(x, skeleton, floor, leg_length) < height


def _slowest_speed(feet: np.ndarray, leg: float) -> np.ndarray:
    """Horizontal speed `[N, T-1, 2]` of each foot's slowest point between frames, in leg lengths per second
    (feet at 30 fps)."""
    step = np.linalg.norm(np.diff(feet[..., [0, 2]], axis=1), axis=-1)  # [N, T-1, 2, P]
    return step.min(-1) * units.PROTOCOL_FPS / leg


def foot_metrics(x: np.ndarray, skeleton: Skeleton, fps: float = 30.0, leg_length: float | None = None,
                 floor: float | np.ndarray | None = None, height: float = CONTACT_HEIGHT,
                 speed: float = SKATE_SPEED) -> dict[str, float]:
    """`foot_contact_share`, `foot_skating_ratio` and `floating` of world-position windows `x` from one pass.

    `leg_length` (default: measured from `x`) and `floor` (default: each window's own; pass the real
    reference's) as in the module doc; `height` in leg lengths, `speed` in leg lengths per second."""
    a = units.at_protocol_rate(as_windows(x), fps)
    leg = units.resolve_leg(a, skeleton, leg_length)
    feet = foot_points(a, skeleton)
    h = (feet[..., 1].min(-1) - _floor_array(feet, floor)) / leg  # [N, T, 2]
    planted = h < height
    pairs = planted[:, 1:] & planted[:, :-1]  # planted in both frames of a pair
    slides = pairs & (_slowest_speed(feet, leg) > speed)
    n_pairs = int(pairs.sum())
    return {"foot_contact_share": float(planted.any(-1).mean()),
            "foot_skating_ratio": float(slides.sum() / n_pairs) if n_pairs else 0.0,
            "floating": float(np.median(h.min(-1)))}


def foot_contact_share(x: np.ndarray, skeleton: Skeleton, fps: float = 30.0, leg_length: float | None = None,
                       floor: float | np.ndarray | None = None, height: float = CONTACT_HEIGHT) -> float:
    """Share of frames in which at least one foot is planted (floating or hovering motion scores low)."""
    return foot_metrics(x, skeleton, fps, leg_length, floor, height)["foot_contact_share"]


def foot_skating_ratio(x: np.ndarray, skeleton: Skeleton, fps: float = 30.0, leg_length: float | None = None,
                       floor: float | np.ndarray | None = None, height: float = CONTACT_HEIGHT,
                       speed: float = SKATE_SPEED) -> float:
    """Share of planted-foot frame pairs in which that foot slides faster than `speed` leg lengths per second."""
    return foot_metrics(x, skeleton, fps, leg_length, floor, height, speed)["foot_skating_ratio"]


def floating(x: np.ndarray, skeleton: Skeleton, fps: float = 30.0, leg_length: float | None = None,
             floor: float | np.ndarray | None = None) -> float:
    """Median over frames of the lowest foot point's height above the floor, in leg lengths."""
    return foot_metrics(x, skeleton, fps, leg_length, floor)["floating"]


def physical_foot_contact(x: np.ndarray, skeleton: Skeleton, fps: float = 30.0,
                          leg_length: float | None = None) -> float:
    """EDGE's physical foot contact score (lower is more plausible), times 10^4 as EDGE reports it.

    Per frame at 30 fps: the root's acceleration (upward part only, since the floor can only push up;
    normalised by its maximum in the window) times, for each foot, its slower point's horizontal step per
    frame. A body that accelerates must have a foot planted; one that floats or skates while accelerating
    scores high. Steps are in leg lengths, so the figure does not depend on units; for metre data it is
    EDGE's figure divided by the leg length squared.
    """
    a = units.at_protocol_rate(as_windows(x), fps)
    leg = units.resolve_leg(a, skeleton, leg_length)
    feet = foot_points(a, skeleton)
    root = body_points(a, skeleton, ("pelvis",), "physical foot contact")[..., 0, :]
    root_a = np.diff(root, n=2, axis=1)  # [N, T-2, 3]
    root_a[..., 1] = np.maximum(root_a[..., 1], 0)
    root_a = np.linalg.norm(root_a, axis=-1)
    root_a = root_a / np.maximum(root_a.max(1, keepdims=True), 1e-12)
    step = _slowest_speed(feet, leg)[:, 1:] / units.PROTOCOL_FPS  # leg lengths per frame, [N, T-2, 2]
    return float(np.mean(step[..., 0] * step[..., 1] * root_a) * 1e4)

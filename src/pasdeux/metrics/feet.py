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
- **skating**: in a frame pair in which some foot is planted (in both frames), the body skates when no
  planted foot holds its place: even the stillest one's **pivot** travels horizontally faster than
  `SKATE_SPEED` = 0.5 L/s over `SKATE_SPAN_S` = 1/6 s (5 frame steps at 30 fps around the pair, cut
  to the foot's planted run). A foot's pivot is its point (any point between ankle, toe and heel) that
  travelled least: a foot turning on its ball or heel has one that stays put, a sliding foot has none.
  Settled on the real salsa training takes (both dancers, 30 fps, glitches repaired, each take's own
  floor): the stillest planted foot's pivot moves at a median 0.18 L/s, and 0.5 L/s is its 86th
  percentile. Their ratio is 0.13 (0.10-0.17 per take). The evidence for each choice:
  - the shuffle: take 13 swayed sideways by 0.07 L at 2 Hz (peak 0.88 L/s) goes from 0.12 to 0.47
    (the earlier measure, each planted foot's slowest of ankle and toe over 1 L/s per frame pair: 0.23
    to 0.29); the video duet's test span from 0.20 to 0.60. Half that sway, or half its rate (peak
    0.44 L/s), stays near real (0.17, 0.20). A body gliding at 1.5 L/s: 0.96 (at 0.75 L/s 0.81);
  - the stillest foot, not each foot: salsa feet step low (the toe under 0.08 L while the heel lifts
    and the foot travels at 4-5 L/s beside a standing foot). Each planted foot alone passes 0.5 L/s in
    34 % of real pairs, and take 13 went from 0.36 to only 0.63 with the shuffle;
  - the pivot, not the slowest of ankle and toe: a one-foot pose of take 13 spun at 2 turns/s about the
    point 70 % of the way from ankle to toe scores 0; its toe moves at 0.6 L/s, so the slowest point at
    any threshold under that scored 1.0, and spun about the foot's middle, 1.0 even at 1 L/s. Real
    frames in which a planted foot turns faster than 360 deg/s skate in 0.25 of them (real spins drift
    on the ball), against 0.44 of their planted feet with the earlier measure;
  - the span: per frame pair (1 step) the video duet's pose noise puts its real test span at 0.30;
    over 9 steps (0.3 s) the 2 Hz shuffle averages out (take 13: 0.17 real, 0.28 swayed).
- `foot_contact_share`: share of frames with at least one foot planted.
- `foot_skating_ratio`: share of frame pairs with a foot planted in which the body skates. It is 0 when
  no foot is ever planted; read it beside the contact share. Real rows: salsa test windows 0.10
  (solo-mocap-v1; 0.135 with the earlier measure), the video duet's test span 0.195 (solo-v1; 0.103).
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
SKATE_SPEED = 0.5  # leg lengths per second: a body whose stillest planted foot's pivot travels faster skates
SKATE_SPAN_S = 1 / 6  # seconds (5 frame steps at 30 fps): the pivot's travel is taken over this span
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


def _hull_distance(d: np.ndarray) -> np.ndarray:
    """Distance `[...]` from the origin to the convex hull of 2 or 3 horizontal vectors `d` `[..., P, 2]`: the
    smallest travel of any point of a rigid foot whose points travelled by `d` (a rigid motion moves the
    points between them by the same weights, so a turn about a point of the foot gives 0)."""
    best = np.full(d.shape[:-2], np.inf)
    for i, j in ((0, 1), (1, 2), (0, 2))[: 1 if d.shape[-2] == 2 else 3]:
        a, ab = d[..., i, :], d[..., j, :] - d[..., i, :]
        w = np.clip(-(a * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-24), 0.0, 1.0)
        best = np.minimum(best, np.linalg.norm(a + w[..., None] * ab, axis=-1))
    if d.shape[-2] == 3:  # the origin inside the triangle: some point of the foot stayed put
        e, p = np.roll(d, -1, axis=-2) - d, -d  # each edge, and the origin seen from its first corner
        side = np.sign(e[..., 0] * p[..., 1] - e[..., 1] * p[..., 0])  # [..., 3]
        best = np.where((side > 0).all(-1) | (side < 0).all(-1), 0.0, best)  # strict: a translation is flat
    return best


def _run_ends(planted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last frame `[N, T, 2]` of the planted run that each planted frame belongs to."""
    t = np.arange(planted.shape[1])[None, :, None]
    edge = np.zeros_like(planted[:, :1])
    starts = planted & ~np.concatenate([edge, planted[:, :-1]], 1)
    ends = planted & ~np.concatenate([planted[:, 1:], edge], 1)
    first = np.maximum.accumulate(np.where(starts, t, 0), axis=1)
    last = np.minimum.accumulate(np.where(ends, t, planted.shape[1] - 1)[:, ::-1], axis=1)[:, ::-1]
    return first, last


def _pivot_speed(feet: np.ndarray, planted: np.ndarray, leg: float) -> np.ndarray:
    """Speed `[N, T-1, 2]` of each foot's pivot (its point that travels least) over `SKATE_SPAN_S` around each
    frame pair, cut to the foot's planted run, in leg lengths per second (feet at 30 fps); inf where the foot
    is not planted in both frames of the pair."""
    half = int(round((SKATE_SPAN_S * units.PROTOCOL_FPS - 1) / 2))  # frames either side of the pair
    pairs = planted[:, 1:] & planted[:, :-1]
    first, last = _run_ends(planted)
    t = np.arange(planted.shape[1] - 1)[None, :, None]
    start = np.where(pairs, np.maximum(t - half, first[:, :-1]), t)
    stop = np.where(pairs, np.minimum(t + 1 + half, last[:, 1:]), t + 1)
    flat = feet[..., [0, 2]]  # horizontal, [N, T, 2 feet, P, 2]
    travel = np.take_along_axis(flat, stop[..., None, None], 1) - np.take_along_axis(flat, start[..., None, None], 1)
    speed = _hull_distance(travel) * units.PROTOCOL_FPS / (stop - start) / leg
    return np.where(pairs, speed, np.inf)


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
    anchor = _pivot_speed(feet, planted, leg).min(-1)  # the stillest planted foot per frame pair, [N, T-1]
    stands = np.isfinite(anchor)  # some foot planted in both frames of the pair
    n_stands = int(stands.sum())
    return {"foot_contact_share": float(planted.any(-1).mean()),
            "foot_skating_ratio": float((stands & (anchor > speed)).sum() / n_stands) if n_stands else 0.0,
            "floating": float(np.median(h.min(-1)))}


def foot_contact_share(x: np.ndarray, skeleton: Skeleton, fps: float = 30.0, leg_length: float | None = None,
                       floor: float | np.ndarray | None = None, height: float = CONTACT_HEIGHT) -> float:
    """Share of frames in which at least one foot is planted (floating or hovering motion scores low)."""
    return foot_metrics(x, skeleton, fps, leg_length, floor, height)["foot_contact_share"]


def foot_skating_ratio(x: np.ndarray, skeleton: Skeleton, fps: float = 30.0, leg_length: float | None = None,
                       floor: float | np.ndarray | None = None, height: float = CONTACT_HEIGHT,
                       speed: float = SKATE_SPEED) -> float:
    """Share of frame pairs with a foot planted in which no planted foot holds: even the stillest one's pivot
    travels faster than `speed` leg lengths per second (module doc)."""
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

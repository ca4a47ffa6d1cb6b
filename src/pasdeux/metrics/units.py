"""What makes a figure mean the same on any data: the body's size and the protocol's frame rate.

- `leg_length`: the mean hip-to-ankle distance (BENCHMARK.md), measured from the data. Every length
  threshold in `pasdeux.metrics` is a fraction of it and every speed is in leg lengths per second, so
  the same dance in metres, centimetres or a BVH's own units (the CMU salsa takes have a 0.58-unit
  leg; the video duet 0.72 m) scores the same.
- `at_protocol_rate`: metrics that take derivatives (jitter, kinetic features, foot sliding,
  responsiveness, beats, geometric speed relations) are measured at the protocol's 30 fps. Data at
  another rate are first brought to it with the anti-aliased resampler of `Motion.resample`.
  Why not just scale per-frame derivatives by the frame rate? Because differences at 120 fps mostly
  measure what 30 fps filters out: sensor noise and marker glitches. On the salsa takes, one 0.1 s
  marker-tracking failure in 60_13 (frames 620-634: the root turns 100 degrees in five frames, a foot
  moves at 105 leg lengths per second) raised fid_k between the two halves of the take from 64 to
  20,051 at 120 fps. Resampled to 30 fps it gives 428, and 168 once `pasdeux.data.repair_glitches` has
  removed the failure. The same take's jitter ratio (first half against second half, 64-frame windows)
  was 1.28 at 120 fps and 1.01 at 30. Its foot-skating ratio, computed at 120 fps without resampling,
  was 0.06 against 0.17 at 30.
  Position-only metrics (contact_rate, penetration, floating, foot contact) do not depend on the rate
  and are not resampled.
"""

from __future__ import annotations

import numpy as np

from pasdeux import body
from pasdeux.errors import ShapeError
from pasdeux.motion import Motion, Skeleton, resample_positions

PROTOCOL_FPS = 30.0  # BENCHMARK.md: every protocol scores at 30 fps


def leg_length(x: np.ndarray | Motion, skeleton: Skeleton | None = None) -> float:
    """Mean hip-to-ankle distance over both legs and every frame (and dancer) of a Motion or of positions
    `[..., J, 3]`. Pass `skeleton` with an array; `SkeletonError` names missing hips or ankles."""
    if isinstance(x, Motion):
        return body.leg_length(x.positions, skeleton or x.skeleton)
    if skeleton is None:
        raise ShapeError("leg_length of an array needs its skeleton: leg_length(windows, skeleton)")
    return body.leg_length(x, skeleton)


def resolve_leg(x: np.ndarray, skeleton: Skeleton, leg: float | None) -> float:
    """`leg` if given (checked positive), else the leg length measured from `x` itself."""
    if leg is None:
        return leg_length(x, skeleton)
    if not (np.isfinite(leg) and leg > 0):
        raise ShapeError(f"leg_length must be a positive length; got {leg}")
    return float(leg)


def at_protocol_rate(x: np.ndarray, fps: float, axis: int = -3) -> np.ndarray:
    """Positions (time on `axis`, by default the frames of `[..., T, J, 3]`) brought from `fps` to the
    protocol's 30 fps with the anti-aliased resampler; unchanged (as float64) when already at 30 fps."""
    if not (np.isfinite(fps) and fps > 0):
        raise ShapeError(f"fps must be positive; got {fps}")
    a = np.asarray(x, dtype=np.float64)
    if abs(fps - PROTOCOL_FPS) < 1e-6:
        return a
    if a.shape[axis] < 4:
        raise ShapeError(f"need at least 4 frames to bring {fps:g} fps motion to {PROTOCOL_FPS:g} fps")
    return resample_positions(a, fps, PROTOCOL_FPS, axis=axis % a.ndim)

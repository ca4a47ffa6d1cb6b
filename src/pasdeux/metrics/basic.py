"""Pose-level metrics: reconstruction error, jitter (acceleration) and bone-length stability.

All functions take positions `[..., T, J, 3]` (y-up, any units), already centred per frame where
BENCHMARK.md asks for it (`pasdeux.data.center(x, skeleton, "frame")`). recon_mse and MPJPE are in
the data's units (BENCHMARK.md scores them so); jitter_ratio and bone_cv are ratios, free of units.
"""

from __future__ import annotations

import numpy as np

from pasdeux.errors import ShapeError
from pasdeux.metrics.units import at_protocol_rate
from pasdeux.motion import Skeleton


def as_positions(x: np.ndarray, name: str = "positions", min_frames: int = 1) -> np.ndarray:
    """`x` as float64 `[..., T, J, 3]`, checked for shape, frames and finite values."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim < 3 or a.shape[-1] != 3:
        raise ShapeError(f"{name} must be [..., frames, joints, 3]; got shape {a.shape}")
    if a.shape[-3] < min_frames:
        raise ShapeError(f"{name} need at least {min_frames} frames; got {a.shape[-3]}")
    if not np.isfinite(a).all():
        raise ShapeError(f"{name} contain NaN or inf; fill gaps (pasdeux.data.fill_gaps) before scoring")
    return a


def as_windows(x: np.ndarray) -> np.ndarray:
    """Windows `[N, T, J, 3]` (one `[T, J, 3]` is promoted) of at least 3 frames, as float arrays."""
    a = as_positions(x, "windows", min_frames=3)
    if a.ndim == 3:
        a = a[None]
    if a.ndim != 4:
        raise ShapeError(f"windows must be [N, T, J, 3] or one [T, J, 3]; got shape {a.shape}")
    return a


def _same_shape(pred: np.ndarray, true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p, t = as_positions(pred, "predictions"), as_positions(true, "ground truth")
    if p.shape != t.shape:
        raise ShapeError(f"predictions {p.shape} and ground truth {t.shape} must have the same shape")
    return p, t


def recon_mse(pred: np.ndarray, true: np.ndarray) -> float:
    """Mean squared error per coordinate between predictions and ground truth."""
    p, t = _same_shape(pred, true)
    return float(np.mean((p - t) ** 2))


def mpjpe(pred: np.ndarray, true: np.ndarray) -> float:
    """Mean per-joint position error: mean Euclidean distance between predicted and true joints."""
    p, t = _same_shape(pred, true)
    return float(np.mean(np.linalg.norm(p - t, axis=-1)))


def acceleration(x: np.ndarray) -> np.ndarray:
    """Acceleration magnitudes `|p[t+1] - 2 p[t] + p[t-1]|`, shaped `[..., T-2, J]` (per frame, unscaled)."""
    a = as_positions(x, min_frames=3)
    return np.linalg.norm(a[..., 2:, :, :] - 2 * a[..., 1:-1, :, :] + a[..., :-2, :, :], axis=-1)


def mean_acceleration(x: np.ndarray) -> float:
    """Mean over frames and joints of the acceleration magnitude `|p[t+1] - 2 p[t] + p[t-1]|`."""
    return float(acceleration(x).mean())


def jitter_ratio(gen: np.ndarray, real: np.ndarray, fps: float = 30.0) -> float:
    """Mean acceleration of `gen` over that of `real` (both at `fps`), measured at the protocol's 30 fps:
    1 is real, >1 shaking, <1 frozen or over-smoothed.

    The ratio is free of units; the frame rate is not: at 120 fps sensor noise and marker glitches
    dominate second differences (a real salsa take's two halves: 1.28 at 120 fps, 1.01 at 30), so other
    rates are first resampled to 30 fps (`units.at_protocol_rate`)."""
    gen = at_protocol_rate(as_positions(gen, "generated motion", 3), fps)
    real = at_protocol_rate(as_positions(real, "real motion", 3), fps)
    ours, ref = mean_acceleration(gen), mean_acceleration(real)
    if ref <= 0:
        raise ShapeError("the real motion does not move (zero acceleration); jitter_ratio needs moving motion")
    return ours / ref


def bone_cv(x: np.ndarray, skeleton: Skeleton) -> float:
    """Mean over bones of the coefficient of variation of each bone's length over all frames of all windows."""
    a = as_positions(x)
    if a.shape[-2] != skeleton.n_joints:
        raise ShapeError(f"positions have {a.shape[-2]} joints but skeleton {skeleton.name!r} has "
                         f"{skeleton.n_joints}")
    if not skeleton.bones:
        raise ShapeError(f"skeleton {skeleton.name!r} has no bones to measure")
    lengths = skeleton.bone_lengths(a).reshape(-1, len(skeleton.bones))  # [frames, bones]
    mean = lengths.mean(0)
    # Zero-length bones (coincident joints) have no meaningful relative variation.
    ok = mean > 1e-9
    if not ok.any():
        raise ShapeError("every bone has zero length; the positions are degenerate")
    return float(np.mean(lengths[:, ok].std(0) / mean[ok]))

"""Mariel mocap `.npy`: the solo Vicon marker data of the original research, `(55, frames, 3)` at 35 fps.

The research code transposed to `(frames, 55, 3)`, dropped the first and last 500 frames (calibration
and settling), dropped points 26 and 53 (leaving the 53 named markers) and negated z, after which z is
up. Those steps are the defaults here, each a named option; then z-up becomes pasdeux's y-up and
millimetres become metres.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pasdeux.errors import ConfigError, ShapeError
from pasdeux.io.common import as_positions, npy_header_shape, read_npy, require_frames
from pasdeux.io.pose_npy import to_y_up
from pasdeux.motion import Motion
from pasdeux.skeletons import get_skeleton

N_POINTS = 55
MIN_KEPT_FRAMES = 64  # trimming must leave at least one model window, or it is skipped
MM_HEIGHT = 10.0  # a body taller than this many units is not in metres: the data is millimetres


def sniff(head: bytes) -> bool:
    """A .npy whose header shape is `(55, frames, 3)`."""
    shape = npy_header_shape(head)
    return shape is not None and len(shape) == 3 and shape[0] == N_POINTS and shape[2] == 3


def read(path: Path, trim: int = 500, drop_points: Sequence[int] = (26, 53), negate_z: bool = True,
         scale: float | None = None, fps: float = 35.0, axes: str = "z_up", skeleton: str = "mariel53") -> Motion:
    """Read a Mariel marker array with the research's processing; `scale=None` detects millimetres."""
    a = as_positions(read_npy(path), str(path))
    if a.ndim != 3 or a.shape[0] != N_POINTS or a.shape[2] != 3:
        raise ShapeError(f"{path}: a Mariel array is (55 points, frames, 3); got {a.shape}. "
                         "For [frames, joints, 3] pose arrays use format='pose_npy'")
    require_frames(a, str(path))
    notes = [f"read Mariel marker array {a.shape} from {path.name}"]
    a = a.transpose(1, 0, 2)
    a, note = _trim(a, trim)
    notes.append(note)
    a = _drop(a, drop_points, path)
    if drop_points:
        notes.append(f"dropped points {', '.join(str(p) for p in drop_points)} (unnamed in the research data)")
    if negate_z:
        a = a * np.array([1, 1, -1], np.float32)
        notes.append("negated z as the research code does")
    a, note = to_y_up(a, axes)  # refuses an unknown axes convention
    if note:
        notes.append(note)
    a, note = _to_metres(a, scale)
    notes.append(note)
    sk = get_skeleton(skeleton)
    motion = Motion(a, sk, fps, str(path), notes)
    upside_down = _upside_down(motion)
    if upside_down:
        motion.notes.append(upside_down)
    return motion


def _trim(a: np.ndarray, trim: int) -> tuple[np.ndarray, str]:
    if trim < 0:
        raise ConfigError(f"trim must be >= 0 frames; got {trim}")
    if trim == 0:
        return a, "kept every frame (trim=0)"
    if len(a) - 2 * trim < MIN_KEPT_FRAMES:
        return a, (f"did not trim {trim} frames at each end: the take has only {len(a)} frames "
                   f"(trimming would leave fewer than {MIN_KEPT_FRAMES})")
    return a[trim:len(a) - trim], f"trimmed {trim} frames at the start and at the end ({len(a)} -> {len(a) - 2 * trim})"


def _drop(a: np.ndarray, drop_points: Sequence[int], path: Path) -> np.ndarray:
    bad = [p for p in drop_points if not 0 <= int(p) < a.shape[1]]
    if bad:
        raise ConfigError(f"drop_points {bad} are not point indices of {path.name} (0-{a.shape[1] - 1})")
    keep = [j for j in range(a.shape[1]) if j not in {int(p) for p in drop_points}]
    return a[:, keep]


def _to_metres(a: np.ndarray, scale: float | None) -> tuple[np.ndarray, str]:
    if scale is not None:
        if not (np.isfinite(scale) and scale > 0):
            raise ConfigError(f"scale must be a positive number; got {scale}")
        return a * np.float32(scale), f"scaled positions by {scale:g} (scale option)"
    with np.errstate(invalid="ignore"):
        height = float(np.nanmedian(np.nanmax(a[..., 1], axis=1) - np.nanmin(a[..., 1], axis=1)))
    if np.isfinite(height) and height > MM_HEIGHT:
        return a / np.float32(1000), f"body height {height:.0f} units: read as millimetres, converted to metres"
    return a, f"positions kept in their own units (body height {height:.2f}; not millimetres)"


def _upside_down(motion: Motion) -> str | None:
    """A warning note when the head markers sit below the ankles (wrong negate_z or axes)."""
    sk = motion.skeleton
    head = [sk.find(n) for n in ("LFHD", "RFHD", "LBHD", "RBHD")]
    feet = [sk.find(n) for n in ("LANK", "RANK", "LHEL", "RHEL")]
    if None in head or None in feet:
        return None
    with np.errstate(invalid="ignore"):
        gap = np.nanmedian(motion.positions[0][:, head, 1].mean(1) - motion.positions[0][:, feet, 1].mean(1))
    if gap < 0:
        return ("warning: the head markers are below the ankles after conversion; the file's vertical axis "
                "differs from the research data's: read it with negate_z=False (or another axes=)")
    return None

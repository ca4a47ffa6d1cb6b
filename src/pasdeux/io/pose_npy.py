"""Pose `.npy` of 24 (SMPL) or 29 (HybrIK) joints, solo `[T, J, 3]`, duet `[D, T, J, 3]` or the
interleaved duet layout `[2T, J, 3]` (even rows dancer 1, odd rows dancer 2) of the shared data.

Pose estimators give camera coordinates with y down; the default converts them to y-up by a
180-degree rotation about x (y -> -y, z -> -z), which keeps the frame right-handed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pasdeux.errors import ConfigError, ShapeError
from pasdeux.io.common import as_positions, npy_header_shape, read_npy, require_frames
from pasdeux.motion import Motion
from pasdeux.skeletons import get_skeleton, skeleton_for_joint_count

AXES = ("y_down", "y_up", "z_up")


def sniff(head: bytes) -> bool:
    """A .npy whose header shape is `[..., joints, 3]` and not the Mariel `(55, T, 3)` layout."""
    shape = npy_header_shape(head)
    if shape is None or len(shape) not in (3, 4) or shape[-1] != 3:
        return False
    return not (len(shape) == 3 and shape[0] == 55)


def to_y_up(positions: np.ndarray, axes: str) -> tuple[np.ndarray, str | None]:
    """Convert `[..., 3]` from the named axis convention to y-up; returns the note of what was done."""
    if axes == "y_up":
        return positions, None
    if axes == "y_down":
        return positions * np.array([1, -1, -1], np.float32), "converted y-down camera axes to y-up (y,z negated)"
    if axes == "z_up":
        out = positions[..., [0, 2, 1]] * np.array([1, 1, -1], np.float32)
        return out, "converted z-up axes to y-up (x, z, -y)"
    raise ConfigError(f"axes must be one of {', '.join(AXES)}; got {axes!r}")


def interleaved_score(a: np.ndarray) -> float:
    """How much smoother the data is read as two interleaved dancers than as one (>1 = interleaved)."""
    if len(a) < 8:
        return 0.0
    one = np.nanmean(np.abs(np.diff(a, axis=0)))
    two = np.nanmean([np.nanmean(np.abs(np.diff(a[k::2], axis=0))) for k in (0, 1)])
    return float(one / max(two, 1e-9))


def read(path: Path, skeleton: str | None = None, axes: str = "y_down", interleaved: bool | None = None,
         fps: float = 30.0, dancers: int | None = None) -> Motion:
    """Read a pose array; `interleaved=None` detects the interleaved duet layout from the motion."""
    a = as_positions(read_npy(path), str(path))
    if a.ndim not in (3, 4) or a.shape[-1] != 3:
        raise ShapeError(f"{path}: expected [frames, joints, 3] or [dancers, frames, joints, 3], got {a.shape}")
    require_frames(a, str(path))
    sk = get_skeleton(skeleton) if skeleton else skeleton_for_joint_count(a.shape[-2])
    notes = [f"read pose array {a.shape} from {path.name}"]
    if dancers is not None and dancers < 1:
        raise ConfigError(f"dancers must be >= 1; got {dancers}")
    if a.ndim == 3:
        if interleaved is None:
            interleaved = len(a) % 2 == 0 and interleaved_score(a) > 3.0
            if interleaved:
                notes.append("detected interleaved duet layout (even rows dancer 1, odd rows dancer 2)")
        if interleaved:
            n = dancers or 2
            if len(a) % n:
                raise ShapeError(f"{path}: {n} interleaved dancers need a multiple of {n} rows, got {len(a)}")
            a = np.stack([a[k::n] for k in range(n)])
        else:
            a = a[None]
    a, note = to_y_up(a, axes)
    if note:
        notes.append(note)
    return Motion(a, sk, fps, str(path), notes)

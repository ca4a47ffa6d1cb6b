"""C3D marker trajectories (optical motion capture), read with the `c3d` package.

Point labels become joint names; a file whose labels include all 53 Mariel markers gets the
`mariel53` skeleton, any other a bone-less marker skeleton. Invalid samples (negative residual,
or all three coordinates zero, as many systems write gaps) become NaN; gaps up to `max_gap` frames
are interpolated and longer ones reported in the notes. Units follow POINT:UNITS; axes default to
z-up, the convention of most mocap systems.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from pasdeux.data import fill_gaps
from pasdeux.errors import ConfigError, FormatError
from pasdeux.io.common import MAX_ELEMENTS, PARSE_ERRORS, as_positions
from pasdeux.io.pose_npy import AXES, to_y_up
from pasdeux.motion import Motion, Skeleton
from pasdeux.skeletons import MARIEL53_JOINTS, get_skeleton

# The c3d package also asserts on bad magic and hits NameErrors on unknown processor types.
C3D_ERRORS = (*PARSE_ERRORS, AssertionError, NameError)
UNITS = {"mm": 0.001, "cm": 0.01, "dm": 0.1, "m": 1.0, "in": 0.0254}
BLOCK = 512


def sniff(head: bytes) -> bool:
    """C3D's first word: the parameter block number (usually 2) and the magic byte 0x50."""
    return len(head) >= 2 and head[1] == 0x50 and head[0] >= 2


def read(path: Path, axes: str = "z_up", max_gap: int = 30, scale: float | None = None,
         fps: float | None = None) -> Motion:
    """Read the 3D points of a C3D file; `scale` (metres per file unit) overrides POINT:UNITS."""
    import c3d

    if axes not in AXES:
        raise ConfigError(f"axes must be one of {', '.join(AXES)}; got {axes!r}")
    size = path.stat().st_size
    if size < 2 * BLOCK:
        raise FormatError(f"{path}: {size} bytes is too short for a C3D file (header and parameters "
                          f"take {2 * BLOCK}); is it truncated?")
    with open(path, "rb") as f, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # c3d warns about oddities it tolerates; we check what matters
        try:
            reader = c3d.Reader(f)
            raw, labels, units, rate = _points(reader, path, size)
        except C3D_ERRORS as e:
            raise FormatError(f"{path}: not a readable C3D file ({type(e).__name__}: {e})") from None
    notes = [f"read {raw.shape[1]} markers x {raw.shape[0]} frames from C3D {path.name}"]
    pos, sk, note = _skeleton(raw, labels)
    if note:
        notes.append(note)
    pos, note = to_y_up(pos, axes)
    if note:
        notes.append(note)
    pos, note = _to_metres(pos, units, scale, path)
    notes.append(note)
    rate = fps if fps is not None else rate
    if not (np.isfinite(rate) and rate > 0):
        raise FormatError(f"{path}: POINT:RATE {rate} is not a frame rate; pass fps=")
    motion = Motion(pos, sk, rate, str(path), notes)
    missing = motion.n_missing
    if missing:
        motion.notes.append(f"{missing} marker samples were invalid (gaps) and are missing")
        motion = fill_gaps(motion, max_gap=max_gap)
    return motion


def _points(reader, path: Path, size: int) -> tuple[np.ndarray, list[str], str, float]:
    """Marker positions `[frames, markers, 3]` (NaN where invalid), labels, units and frame rate."""
    n_points, n_frames = int(reader.point_used), int(reader.frame_count)
    if n_points == 0 or n_frames <= 0:
        raise FormatError(f"{path}: holds no 3D points ({n_points} markers, {n_frames} frames)")
    word = 4 if reader.point_scale < 0 else 2  # float files store points and analog in 4 bytes, integer ones in 2
    frame_bytes = (4 * n_points + reader.analog_used * reader.analog_per_frame) * word
    expected = (int(reader.header.data_block) - 1) * BLOCK + n_frames * frame_bytes
    if n_frames * n_points * 3 > MAX_ELEMENTS or expected > size:
        raise FormatError(f"{path}: truncated or corrupt: the header promises {n_frames} frames of "
                          f"{n_points} markers ({expected} bytes) but the file has {size} bytes")
    out = np.empty((n_frames, n_points, 3), np.float32)
    got = 0
    for i, (_, points, _analog) in enumerate(reader.read_frames(copy=False, analog_transform=False)):
        xyz = points[:, :3]
        bad = (points[:, 3] < 0) | (xyz == 0).all(1) | ~np.isfinite(xyz).all(1)
        out[i] = np.where(bad[:, None], np.nan, xyz)
        got = i + 1
    if got < n_frames:
        raise FormatError(f"{path}: truncated: read {got} of {n_frames} frames")
    return out, _labels(reader, n_points), _units(reader), float(reader.point_rate)


def _labels(reader, n: int) -> list[str]:
    """Point labels (subject prefixes like 'Ariel:' removed when that keeps them unique), made unique."""
    param = reader.get("POINT:LABELS")
    labels = [s.strip() for s in param.string_array] if param is not None and param.dimensions else []
    labels = (labels + [""] * n)[:n]
    short = [s.rsplit(":", 1)[-1] for s in labels]
    if len(set(short)) == len(short):
        labels = short
    seen: dict[str, int] = {}
    out = []
    for i, s in enumerate(labels):
        s = s or f"M{i + 1:03d}"
        if s in seen:
            seen[s] += 1
            s = f"{s}_{seen[s]}"
        seen.setdefault(s, 0)
        out.append(s)
    return out


def _units(reader) -> str:
    param = reader.get("POINT:UNITS")
    if param is None:
        return ""
    return param.string_value.strip().lower() if param.dimensions else ""


def _skeleton(raw: np.ndarray, labels: list[str]) -> tuple[np.ndarray, Skeleton, str | None]:
    """Use mariel53 when every Mariel marker is present (reordered), else the labels as bone-less markers."""
    index = {name.upper(): i for i, name in enumerate(labels)}
    if all(m in index for m in MARIEL53_JOINTS):
        keep = [index[m] for m in MARIEL53_JOINTS]
        extra = len(labels) - len(keep)
        note = "labels match the Mariel marker set: using skeleton mariel53"
        return raw[:, keep], get_skeleton("mariel53"), note + (f" ({extra} extra markers dropped)" if extra else "")
    return raw, Skeleton("c3d-markers", tuple(labels), ()), None


def _to_metres(pos: np.ndarray, units: str, scale: float | None, path: Path) -> tuple[np.ndarray, str]:
    if scale is not None:
        if not (np.isfinite(scale) and scale > 0):
            raise ConfigError(f"scale must be a positive number; got {scale}")
        return as_positions(pos * scale, str(path)), f"scaled by {scale:g} (scale option)"
    if not units:
        return pos * np.float32(0.001), "POINT:UNITS missing: assumed millimetres, converted to metres"
    if units not in UNITS:
        raise FormatError(f"{path}: unknown POINT:UNITS {units!r}; pass scale= (metres per file unit)")
    if UNITS[units] == 1.0:
        return pos, "units are metres"
    return as_positions(pos * np.float32(UNITS[units]), str(path)), f"converted {units} to metres"

"""CSV of joint positions: one row per (frame, dancer), header `frame,dancer,<joint>_x,<joint>_y,<joint>_z,...`.

pasdeux writes a first comment line `# pasdeux {json}` holding fps, skeleton and source, so its own
files round-trip exactly; spreadsheets and pandas (`comment="#"`) read the rest as a plain table.
Also reads a headerless numeric CSV of `frames x (joints*3)` given `skeleton=` (or a joint count that
names a built-in skeleton).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np

from pasdeux.errors import ConfigError, FormatError, ShapeError, SkeletonError
from pasdeux.io.common import as_positions, read_text, require_frames
from pasdeux.io.pose_npy import AXES, to_y_up
from pasdeux.motion import Motion, Skeleton
from pasdeux.skeletons import BUILTIN, get_skeleton, skeleton_for_joint_count

META_PREFIX = "# pasdeux "
AXIS_SUFFIXES = ("_x", "_y", "_z")


def sniff(head: bytes) -> bool:
    """Text whose first table line is comma-separated and starts with `frame,` or a number."""
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        # the sniff window may cut a multi-byte character in two
        text = head[:-4].decode("utf-8-sig", "replace")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if not lines or "," not in lines[0] or "\x00" in text:
        return False
    first = lines[0].split(",")[0].strip().lower()
    return first == "frame" or _is_number(first)


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def read(path: Path, skeleton: str | None = None, fps: float | None = None, axes: str = "y_up") -> Motion:
    """Read a pasdeux/headed CSV, or a headerless `frames x (joints*3)` numeric CSV."""
    if axes not in AXES:
        raise ConfigError(f"axes must be one of {', '.join(AXES)}; got {axes!r}")
    text = read_text(path, "a CSV file")
    meta, rows = _parse(text, path)
    if not rows:
        raise FormatError(f"{path}: no data rows")
    if rows[0] and rows[0][0].strip().lower() == "frame":
        pos, sk, notes = _read_table(rows, path, skeleton, meta)
    else:
        pos, sk, notes = _read_headerless(rows, path, skeleton)
    require_frames(pos, str(path))
    pos, note = to_y_up(pos, axes)
    if note:
        notes.append(note)
    rate = fps if fps is not None else meta.get("fps", 30.0)
    dancers = pos.shape[0] if pos.ndim == 4 else 1
    labels = meta.get("labels", ()) if len(meta.get("labels", ())) == dancers else ()
    return Motion(pos, sk, rate, meta.get("source", str(path)), meta.get("notes", []) + notes, labels,
                  meta.get("provenance", {}))


def _parse(text: str, path: Path) -> tuple[dict, list[list[str]]]:
    """The metadata of a pasdeux comment line, and the non-comment rows."""
    meta: dict = {}
    lines = text.splitlines()
    if lines and lines[0].startswith(META_PREFIX):
        try:
            meta = json.loads(lines[0][len(META_PREFIX):])
        except json.JSONDecodeError as e:
            raise FormatError(f"{path}: the '# pasdeux' metadata line is not valid JSON ({e})") from None
        if not isinstance(meta, dict):
            raise FormatError(f"{path}: the '# pasdeux' metadata line must be a JSON object")
        meta = _clean_meta(meta, path)
    body = "\n".join(ln for ln in lines if ln.strip() and not ln.startswith("#"))
    try:
        return meta, list(csv.reader(io.StringIO(body)))
    except csv.Error as e:
        raise FormatError(f"{path}: malformed CSV ({e})") from None


def _clean_meta(meta: dict, path: Path) -> dict:
    """Keep the metadata fields pasdeux writes, checking their types."""
    out: dict = {}
    fps = meta.get("fps")
    if fps is not None:
        if not isinstance(fps, int | float) or isinstance(fps, bool) or not 0 < fps < 1e6:
            raise FormatError(f"{path}: metadata fps {fps!r} is not a frame rate")
        out["fps"] = float(fps)
    if isinstance(meta.get("skeleton"), dict):
        out["skeleton"] = meta["skeleton"]
    if isinstance(meta.get("notes"), list):
        out["notes"] = [str(n) for n in meta["notes"]]
    if isinstance(meta.get("source"), str):
        out["source"] = meta["source"]
    if isinstance(meta.get("labels"), list):
        out["labels"] = tuple(str(x) for x in meta["labels"])
    if isinstance(meta.get("provenance"), dict):
        out["provenance"] = meta["provenance"]
    return out


def _floats(rows: list[list[str]], width: int, path: Path, first_line: int) -> np.ndarray:
    """Rows of numbers (empty cells are missing data) as a float64 array, naming the first bad cell."""
    out = np.empty((len(rows), width), np.float64)
    for i, row in enumerate(rows):
        if len(row) != width:
            raise FormatError(f"{path}: row {i + first_line} of the table has {len(row)} values, expected {width}")
        try:
            out[i] = [float(c) if c.strip() else math.nan for c in row]
        except ValueError:
            bad = next(c for c in row if c.strip() and not _is_number(c))
            raise FormatError(f"{path}: row {i + first_line} of the table: {bad[:40]!r} is not a number") from None
    return out


def _read_table(rows: list[list[str]], path: Path, skeleton: str | None, meta: dict):
    header = [h.strip() for h in rows[0]]
    if len(header) < 5 or header[1].lower() != "dancer" or (len(header) - 2) % 3:
        raise FormatError(f"{path}: header must be frame,dancer,<joint>_x,<joint>_y,<joint>_z,...; got "
                          f"{','.join(header[:6])}...")
    cols = header[2:]
    joints = tuple(c[:-2] for c in cols[0::3])
    for k, j in enumerate(joints):
        if tuple(cols[3 * k:3 * k + 3]) != tuple(j + s for s in AXIS_SUFFIXES):
            raise FormatError(f"{path}: columns {cols[3 * k:3 * k + 3]} should be {j}_x,{j}_y,{j}_z")
    data = _floats(rows[1:], len(header), path, 2)
    if not len(data):
        raise FormatError(f"{path}: the table has a header but no data rows")
    if not np.isfinite(data[:, :2]).all() or (data[:, :2] != np.round(data[:, :2])).any():
        raise FormatError(f"{path}: frame and dancer columns must hold whole numbers")
    frame, dancer = data[:, 0].astype(np.int64), data[:, 1].astype(np.int64)
    if frame.min(initial=0) < 0 or dancer.min(initial=0) < 0 or frame.max(initial=0) > 10**8 \
            or dancer.max(initial=0) > 1000:
        raise FormatError(f"{path}: frame and dancer numbers must be small non-negative integers")
    n_d, n_t = int(dancer.max()) + 1, int(frame.max()) + 1
    if n_d * n_t > 2 * len(data) + 1000:
        raise FormatError(f"{path}: frame/dancer numbers up to {n_t - 1}/{n_d - 1} but only {len(data)} rows; "
                          "number frames from 0 and dancers from 0")
    pos = np.full((n_d, n_t, len(joints), 3), np.nan, np.float32)
    pos[dancer, frame] = as_positions(data[:, 2:], str(path)).reshape(len(data), len(joints), 3)
    notes = [f"read CSV table of {n_d} dancer(s) x {n_t} frames from {path.name}"]
    absent = n_d * n_t - len(set(zip(dancer.tolist(), frame.tolist(), strict=True)))
    if absent:
        notes.append(f"{absent} (dancer, frame) rows absent from the file: left as missing (NaN)")
    return pos, _table_skeleton(joints, skeleton, meta, path), notes


def _table_skeleton(joints: tuple[str, ...], skeleton: str | None, meta: dict, path: Path) -> Skeleton:
    """The skeleton named by option, metadata or matching built-in joint names, else bare markers."""
    if skeleton:
        sk = get_skeleton(skeleton)
    elif meta.get("skeleton"):
        try:
            sk = Skeleton.from_dict(meta["skeleton"])
        except OverflowError:  # a number like 1e309 where an index belongs
            raise FormatError(f"{path}: the metadata's skeleton holds impossible numbers") from None
    else:
        sk = next((b for b in (make() for make in BUILTIN.values()) if b.joints == joints),
                  Skeleton("csv-markers", joints, ()))
    if sk.joints != joints:
        raise SkeletonError(f"{path}: the columns name joints {', '.join(joints[:5])}... but skeleton "
                            f"{sk.name!r} has {', '.join(sk.joints[:5])}...; drop skeleton= to use the columns")
    return sk


def _read_headerless(rows: list[list[str]], path: Path, skeleton: str | None):
    width = len(rows[0])
    if width % 3:
        raise ShapeError(f"{path}: a headerless CSV needs joints*3 values per line; got {width}")
    data = as_positions(_floats(rows, width, path, 1), str(path))
    sk = get_skeleton(skeleton) if skeleton else skeleton_for_joint_count(width // 3)
    if sk.n_joints * 3 != width:
        raise ShapeError(f"{path}: {width} values per line is {width // 3} joints, but skeleton {sk.name!r} "
                         f"has {sk.n_joints}")
    notes = [f"read headerless CSV of {len(data)} frames x {width // 3} joints from {path.name}"]
    return data.reshape(1, len(data), sk.n_joints, 3), sk, notes


def write(motion: Motion, path: Path, precision: int = 9) -> None:
    """One row per (frame, dancer); missing positions are empty cells; metadata in the first comment line.

    The default 9 significant digits round-trip float32 exactly.
    """
    meta = {"fps": motion.fps, "skeleton": motion.skeleton.to_dict(), "source": motion.source,
            "notes": motion.notes, "labels": list(motion.labels), "provenance": motion.provenance}
    header = ["frame", "dancer"] + [j + s for j in motion.skeleton.joints for s in AXIS_SUFFIXES]
    d, t = np.meshgrid(np.arange(motion.n_dancers), np.arange(motion.n_frames))  # frame-major rows
    flat = motion.positions.transpose(1, 0, 2, 3).reshape(-1, motion.n_joints * 3)
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write(META_PREFIX + json.dumps(meta) + "\n")
        f.write(",".join(header) + "\n")
        fmt = f"%.{precision}g"
        for frame, dancer, row in zip(t.ravel(), d.ravel(), flat, strict=True):
            cells = ["" if math.isnan(v) else fmt % v for v in row.tolist()]
            f.write(f"{frame},{dancer}," + ",".join(cells) + "\n")

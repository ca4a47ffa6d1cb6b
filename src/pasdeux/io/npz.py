"""pasdeux `.npz`: positions plus JSON metadata (skeleton, fps, source, notes, labels, provenance); exact round trip.

Also reads plain `.npz` files holding a `positions` array, given `skeleton=`.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import numpy as np

from pasdeux.errors import FormatError, ShapeError
from pasdeux.io.common import MAX_ELEMENTS, PARSE_ERRORS, as_positions, npy_header_shape, require_frames
from pasdeux.motion import Motion, Skeleton
from pasdeux.skeletons import get_skeleton, skeleton_for_joint_count

FORMAT_TAG = "pasdeux-motion-1"


def sniff(head: bytes) -> bool:
    return head.startswith(b"PK")


def read(path: Path, skeleton: str | None = None, fps: float | None = None) -> Motion:
    """Read a pasdeux npz (metadata inside) or a plain npz with a `positions` array (30 fps unless `fps`).

    `skeleton` and `fps`, when given, override what a pasdeux npz stores.
    """
    _check_sizes(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            if "positions" not in z.files:
                raise FormatError(f"{path}: no 'positions' array (arrays: {', '.join(z.files) or 'none'})")
            pos = as_positions(z["positions"], str(path))
            meta = json.loads(z["meta"].astype(np.uint8).tobytes().decode()) if "meta" in z.files else None
    except (zipfile.BadZipFile, *PARSE_ERRORS) as e:
        raise FormatError(f"{path}: not a readable .npz ({type(e).__name__}: {e}); is it truncated?") from None
    if pos.ndim not in (3, 4) or pos.shape[-1] != 3:
        raise ShapeError(f"{path}: positions must be [frames, joints, 3] or [dancers, frames, joints, 3]; "
                         f"got {pos.shape}")
    require_frames(pos, str(path))
    if meta is None:
        sk = get_skeleton(skeleton) if skeleton else skeleton_for_joint_count(pos.shape[-2])
        return Motion(pos, sk, fps or 30.0, str(path), [f"read plain npz {path.name}"])
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_TAG:
        raise FormatError(f"{path}: metadata is not pasdeux's ({FORMAT_TAG})")
    try:
        motion = Motion(pos, Skeleton.from_dict(meta["skeleton"]), float(meta["fps"]), str(meta.get("source", "")),
                        [str(n) for n in meta.get("notes", [])], tuple(meta.get("labels", ())),
                        dict(meta.get("provenance", {})))
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, ShapeError) as e:
        raise FormatError(f"{path}: metadata is incomplete ({e})") from None
    if skeleton:
        motion = motion.with_positions(motion.positions, f"skeleton set to {skeleton} (option)",
                                       skeleton=get_skeleton(skeleton))
    if fps:
        motion = motion.with_positions(motion.positions, f"frame rate set to {fps:g} fps (option)", fps=fps)
    return motion


def _check_sizes(path: Path) -> None:
    """Refuse archives whose members would decompress to more than pasdeux reads (zip bombs)."""
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(info.file_size for info in zf.infolist())
            # A forged member header can claim any shape; numpy would allocate it before reading.
            shapes = [npy_header_shape(zf.open(info).read(4096)) for info in zf.infolist()
                      if info.filename.endswith(".npy")]
    except (zipfile.BadZipFile, *PARSE_ERRORS) as e:
        raise FormatError(f"{path}: not a readable .npz ({type(e).__name__}: {e}); is it truncated?") from None
    if total > MAX_ELEMENTS * 8 or any(s is not None and math.prod(s) > MAX_ELEMENTS for s in shapes):
        raise FormatError(f"{path}: its arrays claim sizes far larger than pasdeux reads")


def write(motion: Motion, path: Path) -> None:
    """Positions as float32 and metadata as UTF-8 JSON bytes (no pickle anywhere)."""
    meta = {"format": FORMAT_TAG, "skeleton": motion.skeleton.to_dict(), "fps": motion.fps,
            "source": motion.source, "notes": motion.notes, "labels": list(motion.labels),
            "provenance": motion.provenance}
    with open(path, "wb") as f:
        np.savez_compressed(f, positions=motion.positions,
                            meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))

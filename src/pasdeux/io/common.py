"""Safe low-level file access shared by the readers: size checks and pickle-free npy loading."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pasdeux.errors import FormatError, ShapeError

MAX_ELEMENTS = 2_000_000_000 // 8  # refuse arrays over ~2 GB before allocating them
NPY_MAGIC = b"\x93NUMPY"


def read_npy(path: Path) -> np.ndarray:
    """Load a .npy array without pickle, checking its header against the file size first."""
    with open(path, "rb") as f:
        try:
            version = np.lib.format.read_magic(f)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, _fortran, dtype = read_header(f, max_header_size=10_000)
        except (ValueError, EOFError, SyntaxError, TypeError) as e:
            raise FormatError(f"{path}: not a valid .npy file ({e}); re-save it with numpy.save") from None
        if dtype.hasobject:
            raise FormatError(f"{path}: holds Python objects, which would need pickle to load; pasdeux "
                              "refuses that for safety. Save a plain float array instead")
        count = int(np.prod(shape, dtype=np.int64))
        if count > MAX_ELEMENTS:
            raise FormatError(f"{path}: header claims shape {shape}, far larger than pasdeux reads")
        expected = f.tell() + count * dtype.itemsize
    if path.stat().st_size < expected:
        raise FormatError(f"{path}: truncated: header says {shape} {dtype} ({expected} bytes) but the file "
                          f"has {path.stat().st_size} bytes")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise FormatError(f"{path}: cannot read array ({e})") from None


def as_positions(array: np.ndarray, what: str) -> np.ndarray:
    """Check that an array holds finite-or-NaN real numbers; return it as float32."""
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise ShapeError(f"{what}: expected real numbers, got dtype {array.dtype}")
    a = array.astype(np.float32)
    if np.isinf(a).any():
        raise ShapeError(f"{what}: contains inf (or values too large for float32); fix or remove those frames")
    return a

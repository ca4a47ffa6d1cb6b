"""Safe low-level file access shared by the readers: size checks and pickle-free npy loading."""

from __future__ import annotations

import ast
import math
import struct
import tokenize
import zlib
from pathlib import Path

import numpy as np

from pasdeux.errors import FormatError, ShapeError

MAX_ELEMENTS = 2_000_000_000 // 8  # refuse arrays over ~2 GB before allocating them
MAX_TEXT_BYTES = 1_000_000_000  # text formats (JSON, CSV) are parsed in memory: refuse beyond ~1 GB
NPY_MAGIC = b"\x93NUMPY"

# What third-party parsers (numpy, zipfile, c3d) raise on malformed bytes; readers turn these into FormatError.
PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, EOFError, OSError, OverflowError, struct.error,
                zlib.error, UnicodeDecodeError, AttributeError, NotImplementedError, ZeroDivisionError,
                RuntimeError, MemoryError, SyntaxError, RecursionError, tokenize.TokenError)


def read_npy(path: Path) -> np.ndarray:
    """Load a .npy array without pickle, checking its header against the file size first."""
    with open(path, "rb") as f:
        try:
            version = np.lib.format.read_magic(f)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, _fortran, dtype = read_header(f, max_header_size=10_000)
        except PARSE_ERRORS as e:
            raise FormatError(f"{path}: not a valid .npy file ({e}); re-save it with numpy.save") from None
        if dtype.hasobject:
            raise FormatError(f"{path}: holds Python objects, which would need pickle to load; pasdeux "
                              "refuses that for safety. Save a plain float array instead")
        count = math.prod(shape)  # Python ints: a hostile header cannot overflow this check
        if count > MAX_ELEMENTS:
            raise FormatError(f"{path}: header claims shape {shape}, far larger than pasdeux reads")
        expected = f.tell() + count * dtype.itemsize
    if path.stat().st_size < expected:
        raise FormatError(f"{path}: truncated: header says {shape} {dtype} ({expected} bytes) but the file "
                          f"has {path.stat().st_size} bytes")
    try:
        return np.load(path, allow_pickle=False)
    except PARSE_ERRORS as e:
        raise FormatError(f"{path}: cannot read array ({e})") from None


def npy_header_shape(head: bytes) -> tuple[int, ...] | None:
    """The shape in a .npy header (from the file's first bytes), or None if it is not a readable header."""
    if not head.startswith(NPY_MAGIC) or len(head) < 10:
        return None
    start = 10 if head[6] == 1 else 12
    text = head[start:start + 4096].split(b"\n", 1)[0].decode("latin1", "replace")
    try:
        header = ast.literal_eval(text)
        shape = header["shape"]
    except PARSE_ERRORS:
        return None
    if not isinstance(shape, tuple) or not all(isinstance(n, int) for n in shape):
        return None
    return shape


def as_positions(array: np.ndarray, what: str) -> np.ndarray:
    """Check that an array holds finite-or-NaN real numbers; return it as float32."""
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise ShapeError(f"{what}: expected real numbers, got dtype {array.dtype}")
    with np.errstate(over="ignore", invalid="ignore"):
        a = array.astype(np.float32)
    if np.isinf(a).any():
        raise ShapeError(f"{what}: contains inf (or values too large for float32); fix or remove those frames")
    return a


def require_frames(positions: np.ndarray, what: str) -> None:
    """Refuse motion with no frames or no joints: nothing downstream can use it."""
    if positions.ndim >= 3 and (positions.shape[-3] == 0 or positions.shape[-2] == 0):
        raise ShapeError(f"{what}: holds no motion (shape {positions.shape}); it needs frames and joints")


def read_text(path: Path, what: str) -> str:
    """A text file's content as UTF-8, refusing huge or binary files with a clear message."""
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        raise FormatError(f"{path}: {size / 1e9:.1f} GB is too large to read as {what}")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise FormatError(f"{path}: not a UTF-8 text file ({e}); is it really {what}?") from None
    if "\x00" in text:
        raise FormatError(f"{path}: contains binary data (NUL bytes); is it really {what}?")
    return text

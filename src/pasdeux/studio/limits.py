"""How much motion the studio takes in one file, set from this machine's memory, and checked from a file's
headers before anything is loaded whole (a 0.7 MB npz can unpack to gigabytes of zeros: a zip bomb).

- unpacked size: at most 1/16 of the machine's memory, and never over 512 MiB (a 30-minute two-dancer take at
  120 fps with 60 joints is 0.6 GB as float64, 0.3 GB as the float32 the studio keeps);
- frames: at most 216,000 (30 minutes at 120 fps), so a viewer payload stays a few tens of MB.
"""

from __future__ import annotations

import math
import os
import zipfile
from pathlib import Path

from pasdeux.io.common import PARSE_ERRORS, npy_header_shape

MAX_FRAMES = 216_000  # 30 minutes at 120 fps
UNPACKED_CAP = 512 << 20  # the most one motion file may unpack to, on any machine
HEADER_BYTES = 4096  # a .npy header fits in this


def memory_bytes() -> int:
    """This machine's memory (MemTotal), or 4 GiB where it cannot be read."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 4 << 30


def max_unpacked_bytes() -> int:
    """The unpacked size a motion file may have here: 1/16 of memory, at most UNPACKED_CAP."""
    return min(UNPACKED_CAP, memory_bytes() // 16)


class TooBig(ValueError):
    """A motion file beyond the studio's limits (the message says which and by how much)."""


def check_motion_file(path: Path, name: str) -> None:
    """Refuse an .npz or .npy whose headers say it unpacks beyond the limits; reads headers only."""
    suffix = path.suffix.lower()
    if suffix == ".npz":
        total, shapes = _zip_sizes(path)
    elif suffix == ".npy":
        with open(path, "rb") as f:
            shape = npy_header_shape(f.read(HEADER_BYTES))
        total, shapes = path.stat().st_size, [shape] if shape is not None else []
    else:
        return
    limit = max_unpacked_bytes()
    if total > limit:
        raise TooBig(f"{name} unpacks to {total / 2**20:,.0f} MB, over the studio's limit of {limit / 2**20:,.0f} "
                     "MB per motion (1/16 of this machine's memory, at most 512 MB); split the take into parts")
    frames = max((s[-3] for s in shapes if len(s) >= 3), default=0)
    if frames > MAX_FRAMES:
        raise TooBig(f"{name} holds {frames:,} frames, over the studio's limit of {MAX_FRAMES:,} (30 minutes at "
                     "120 fps); split the take into parts")


def _zip_sizes(path: Path) -> tuple[int, list[tuple[int, ...]]]:
    """The unpacked size an archive's headers declare (largest of the zip's and the arrays' own), and the shapes
    of its arrays, read from each member's first bytes."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
            total = sum(m.file_size for m in members)
            shapes = []
            for m in members:
                if m.filename.endswith(".npy"):
                    with zf.open(m) as member:
                        shape = npy_header_shape(member.read(HEADER_BYTES))
                    if shape is not None:
                        shapes.append(shape)
    except (zipfile.BadZipFile, *PARSE_ERRORS):
        return 0, []  # not a readable archive: the reader says why
    declared = sum(math.prod(s) for s in shapes) * 4  # at least float32 per value, whatever the zip claims
    return max(total, declared), shapes

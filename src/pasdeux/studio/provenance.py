"""Where a generated motion came from, kept as data in the motion's own file.

Provenance is a JSON-safe dict (model, source file and span, mode, sigma, seed, pasdeux version).
It travels as `Motion.provenance`, which pasdeux's npz format stores and `pasdeux info` prints, so a
result found anywhere says how to make it again.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path

from pasdeux.motion import Motion


def attach(motion: Motion, record: dict) -> Motion:
    """A copy of `motion` carrying `record` on top of what the generate function recorded itself."""
    return replace(motion, provenance={**motion.provenance, **record})


def read(motion: Motion) -> dict | None:
    """The provenance a motion carries, or None for motion that was not generated."""
    return dict(motion.provenance) or None


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a file (of every file inside, for a folder), to tell whether a source changed since."""
    h = hashlib.sha256()
    path = Path(path)
    for f in sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]:
        if path.is_dir():
            h.update(f.relative_to(path).as_posix().encode())
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()

"""Where a studio result came from, as data in the motion's own file (`Motion.provenance`).

`pasdeux.generate` records how it made a result (pasdeux version, mode, model, settings, seed, dancers).
The studio adds what makes the record hold inside a library that may move: the model and the source files
as library paths with their SHA-256, and each phrase's span in its file (`source_start`, `source_frames`;
`source_a_...` and `source_b_...` for two phrases). `pasdeux info` prints the record, and the studio makes
the result again from it.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import replace
from pathlib import Path

from pasdeux.errors import FormatError
from pasdeux.generate.modes import MODES, file_settings
from pasdeux.motion import Motion


class BadRecord(FormatError):
    """A provenance record with a field of the wrong type (the file was edited, or written by something else)."""

    status = 422


PHRASE_KEYS = {1: ("source",), 2: ("source_a", "source_b")}  # phrases per mode, as generate names them


def attach(motion: Motion, record: dict) -> Motion:
    """A copy of `motion` carrying `record` on top of what the generate function recorded itself."""
    return replace(motion, provenance={**motion.provenance, **record})


def read(motion: Motion) -> dict | None:
    """The provenance a motion carries, or None for motion that was not generated."""
    return dict(motion.provenance) or None


def kind(record: dict | None) -> str:
    """What a motion is by its provenance: generated (by a model), extracted (from a video) or plain motion."""
    if not record:
        return "motion"
    return "extracted" if "extract" in record and "mode" not in record else "generated"


def studio_record(model: str, model_digest: str | None, phrases: list[dict], files: dict | None = None) -> dict:
    """The studio's part of a record: the model, the phrases (library path, span, digest of the file) and the
    files that settings name (`files`: setting -> {"path": library path, "file": where it is})."""
    out = {"tool": "pasdeux studio", "model": model, "model_sha256": model_digest,
           "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    for key, f in (files or {}).items():
        out.update({key: f["path"], f"{key}_sha256": file_digest(f["file"])})
    for key, p in zip(PHRASE_KEYS.get(len(phrases), ()), phrases):
        out.update({key: p["path"], f"{key}_dancer": int(p["dancer"]), f"{key}_start": int(p["start"]),
                    f"{key}_frames": int(p["frames"]), f"{key}_sha256": file_digest(p["file"])})
    return out


def sections(frames_a: int, frames_b: int, total: int) -> list[dict]:
    """Where a transition's phrase A, bridge and phrase B lie in the result: [start, end) frames each."""
    bridge_end = total - frames_b
    return [{"name": "phrase A", "start": 0, "end": frames_a},
            {"name": "bridge", "start": frames_a, "end": bridge_end},
            {"name": "phrase B", "start": bridge_end, "end": total}]


def phrases(record: dict) -> list[dict]:
    """The phrases a record names, as the studio's spans: path, dancer, start, frames."""
    out = []
    for key in ("source", "source_a", "source_b"):
        if f"{key}_start" in record:
            path = record.get(key)
            if not isinstance(path, str):
                raise BadRecord(f"the provenance field {key!r} is {path!r}, not a library path; the record cannot be "
                                "used (generate the result again from its source)")
            out.append({"path": path, "dancer": _whole(record, f"{key}_dancer", 0),
                        "start": _whole(record, f"{key}_start"), "frames": _whole(record, f"{key}_frames")})
    return out


def _whole(record: dict, key: str, default: int | None = None) -> int:
    """A whole-number field of a record; BadRecord naming it when it is missing or not a whole number >= 0."""
    value = record.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 0:
        raise BadRecord(f"the provenance field {key!r} is {value!r}, not a whole number of frames or a dancer; "
                        "the record cannot be used (generate the result again from its source)")
    return int(value)


def settings(record: dict) -> dict:
    """The settings of its mode (as the registry of modes lists them) that a record holds: what makes it again."""
    mode = MODES.get(record.get("mode"))
    return {k: record[k] for k in (mode.settings if mode else ()) if k in record}


def digests(record: dict) -> dict[str, str]:
    """Library path -> SHA-256 of every input the record names."""
    out = {record["model"]: record["model_sha256"]} if record.get("model_sha256") else {}
    for key in ("source", "source_a", "source_b", *file_settings()):
        if record.get(f"{key}_sha256"):
            out[record[key]] = record[f"{key}_sha256"]
    return out


_digests: dict[tuple, str] = {}  # (path, (name, size, mtime) of each file) -> digest: a source is hashed once


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a file (of every file inside, for a folder), to tell whether a source changed since."""
    path = Path(path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    key = (str(path), *((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files))
    if key not in _digests:
        h = hashlib.sha256()
        for f in files:
            if path.is_dir():
                h.update(f.relative_to(path).as_posix().encode())
            with open(f, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
        if len(_digests) > 256:
            _digests.clear()
        _digests[key] = h.hexdigest()
    return _digests[key]

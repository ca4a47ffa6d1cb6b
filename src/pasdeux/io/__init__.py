"""Reading and writing motion: `load()` and `save()` pick the format from extension and content.

Each format lives in its own module exposing `read(path, **options) -> Motion` and/or
`write(motion, path, **options)`, plus `sniff(head: bytes) -> bool` for detection.
"""

from __future__ import annotations

import importlib
import inspect
import os
from pathlib import Path
from types import ModuleType

from pasdeux.errors import ConfigError, FormatError
from pasdeux.files import atomic_path
from pasdeux.motion import Motion

# format name -> (module, file extensions)
FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "pose_npy": ("pasdeux.io.pose_npy", (".npy",)),
    "mariel_npy": ("pasdeux.io.mariel_npy", (".npy",)),
    "npz": ("pasdeux.io.npz", (".npz",)),
    "csv": ("pasdeux.io.csv", (".csv",)),
    "alphapose": ("pasdeux.io.alphapose", (".json",)),
    "bvh": ("pasdeux.io.bvh", (".bvh",)),
    "c3d": ("pasdeux.io.c3d", (".c3d",)),
}
WRITABLE = ("npz", "csv", "bvh")
SNIFF_BYTES = 4096


def format_module(name: str) -> ModuleType:
    """The module implementing format `name`."""
    if name not in FORMATS:
        raise ConfigError(f"unknown format {name!r}; formats are: {', '.join(FORMATS)}")
    return importlib.import_module(FORMATS[name][0])


def detect_format(path: str | os.PathLike) -> str:
    """Name of the format of the file at `path`, from its content first and extension second."""
    path = check_file(path)
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    ext = path.suffix.lower()
    candidates = [n for n, (_, exts) in FORMATS.items() if ext in exts] or list(FORMATS)
    for name in candidates:
        if format_module(name).sniff(head):
            return name
    if ext in {e for _, exts in FORMATS.values() for e in exts}:
        # The extension's own reader says best what is wrong (truncated, pickled objects, bad shape...).
        return candidates[0]
    raise FormatError(f"{path}: unrecognised format; pasdeux reads "
                      + ", ".join(sorted({e for _, exts in FORMATS.values() for e in exts})))


def check_file(path: str | os.PathLike) -> Path:
    """The path, if it names a non-empty readable file; otherwise a FormatError saying what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise FormatError(f"{path}: no such file" + (" (it is a folder)" if path.is_dir() else ""))
    if path.stat().st_size == 0:
        raise FormatError(f"{path}: the file is empty")
    if not os.access(path, os.R_OK):
        raise FormatError(f"{path}: no permission to read it")
    return path


def load(path: str | os.PathLike, format: str | None = None, pair: str | os.PathLike | None = None,
         **options) -> Motion:
    """Read a motion file; `pair` names a second file of the same take, loaded as another dancer."""
    fmt = format or detect_format(path)
    reader = format_module(fmt).read
    check_options(fmt, reader, options)
    motion = reader(check_file(path), **options)
    if pair is not None:
        other = load(pair, format=format, **options)
        if other.n_frames != motion.n_frames:
            raise FormatError(f"{path} has {motion.n_frames} frames but {pair} has {other.n_frames}; "
                              "a pair must be two dancers of the same take")
        motion = Motion.concat([motion, other], axis="dancers")
    return motion


def check_options(fmt: str, func, options: dict) -> None:
    """Refuse options a format does not take, naming the ones it does (instead of a TypeError)."""
    params = inspect.signature(func).parameters
    accepted = [n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY
                or (p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and p.default is not inspect.Parameter.empty)]
    unknown = [k for k in options if k not in accepted]
    if unknown:
        raise ConfigError(f"format {fmt!r} takes no option {', '.join(map(repr, unknown))}; "
                          f"its options are: {', '.join(accepted) or 'none'}")
    for name, value in options.items():
        annotation = params[name].annotation
        if isinstance(annotation, str) and not _fits(value, annotation):
            raise ConfigError(f"option {name}={value!r} of format {fmt!r} must be {annotation}")


_CHECKS = {
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
    "None": lambda v: v is None,
    "Sequence[int]": lambda v: isinstance(v, list | tuple) and all(_CHECKS["int"](x) for x in v),
}


def _fits(value: object, annotation: str) -> bool:
    """Whether `value` matches a simple annotation such as "float | None" (unknown kinds always fit)."""
    kinds = [k.strip() for k in annotation.split("|")]
    return any(_CHECKS.get(k, lambda v: True)(value) for k in kinds)


def save(motion: Motion, path: str | os.PathLike, format: str | None = None, **options) -> Path:
    """Write `motion` in the format its extension names; the file appears whole or not at all."""
    path = Path(path)
    fmt = format or next((n for n in WRITABLE if path.suffix.lower() in FORMATS[n][1]), None)
    if fmt not in WRITABLE:
        raise ConfigError(f"cannot write {path.name!r}: pasdeux writes "
                          + ", ".join(FORMATS[n][1][0] for n in WRITABLE))
    writer = format_module(fmt).write
    check_options(fmt, writer, options)
    try:
        with atomic_path(path) as tmp:
            writer(motion, tmp, **options)
    except OSError as e:  # no such folder, no permission, disk full: the user can fix these
        raise FormatError(f"{path}: cannot write ({e.strerror or e})") from None
    return path

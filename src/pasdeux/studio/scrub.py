"""The machine's folders taken out of what the studio shows and writes: responses, messages, and the source,
notes and provenance of the motion files it makes. A library file is named by its library path, an upload by
the name the user gave it."""

from __future__ import annotations

import dataclasses
from typing import Any

from pasdeux.motion import Motion


def text(value: str, names: dict[str, str]) -> str:
    """`value` with each absolute path in `names` replaced by what the user knows it as (longest first)."""
    for path in sorted(names, key=len, reverse=True):
        if path:
            value = value.replace(path, names[path])
    return value


def value(data: Any, names: dict[str, str]) -> Any:
    """A JSON-like value with every string scrubbed (keys included)."""
    if isinstance(data, str):
        return text(data, names)
    if isinstance(data, dict):
        return {value(k, names): value(v, names) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [value(v, names) for v in data]
    return data


def library_names(root: str) -> dict[str, str]:
    """The library folder's replacements: a file inside it by its library path, the folder itself as 'library'."""
    return {root + "/": "", root: "library"}


def motion(m: Motion, names: dict[str, str]) -> Motion:
    """A motion whose source, notes and provenance name no folder of this machine."""
    return dataclasses.replace(m, source=text(m.source, names), notes=[text(n, names) for n in m.notes],
                               provenance=value(m.provenance, names))

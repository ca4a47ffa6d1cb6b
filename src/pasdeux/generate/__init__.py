"""Generating dance with trained models, through their public API only.

- `solo`: variations of a phrase, prior samples, interpolation, transitions, long continuous solos.
- `partner`: a partner answering a given leader (any length, both directions, n alternatives).
- `duet`: whole duets from nothing, and variations of a given duet.
- `lead`: any motion as a lead for a duet model (resampled, completed onto the model's skeleton).
- `pipeline`: numpy windows to latents and back for any model (reconstruct, vary, sample).
- `timing`: time in seconds: a phrase of any motion at the model's rate (`phrase`), seconds as the model's
  frames (`frames_at`), a result at another frame rate (`at_fps`).
- `provenance`: how each result was made, kept in the result (`Motion.provenance`).
- `music_sync`: a motion played to a span of music by a smooth, bounded time warp (its stops onto the beats).
- `to_music`: fresh solos, long solos, fresh duets and partners generated to music (`--music`).
- `modes`: the one registry of generation modes (name, solo or duet, function, settings, ghost) that the CLI
  and the studio read.

Every result is a `Motion` placed in the world, so it can be animated, saved and measured. The functions are
imported when first used, so the registry (`pasdeux.generate.modes`) can be read without torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {"duet_prior": "duet", "duet_variations": "duet", "partner": "partners", "partner_windows": "partners",
          "reconstruct": "pipeline", "sample": "pipeline", "vary": "pipeline", "SPACING": "solo",
          "ghost_for_variations": "solo", "interpolate": "solo", "long_form": "solo", "place": "solo",
          "prior": "solo", "transition": "solo", "variations": "solo", "at_fps": "timing", "frames_at": "timing",
          "phrase": "timing"}

__all__ = ["variations", "ghost_for_variations", "prior", "interpolate", "transition", "long_form", "place",
           "phrase", "frames_at", "at_fps", "partner", "partner_windows", "duet_prior", "duet_variations",
           "reconstruct", "vary", "sample", "SPACING"]


def __getattr__(name: str) -> Any:
    """The public functions, imported from their modules on first use (PEP 562)."""
    if name not in _WHERE:
        raise AttributeError(f"module 'pasdeux.generate' has no attribute {name!r}")
    value = getattr(import_module(f"pasdeux.generate.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])

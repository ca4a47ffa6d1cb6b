"""Generating dance with trained models, through their public API only.

- `solo`: variations of a phrase, prior samples, interpolation, transitions, long continuous solos.
- `partner`: a partner answering a given leader (any length, both directions, n alternatives).
- `duet`: whole duets from nothing, and variations of a given duet.
- `lead`: any motion as a lead for a duet model (resampled, completed onto the model's skeleton).
- `pipeline`: numpy windows to latents and back for any model (reconstruct, vary, sample).
- `timing`: time in seconds: a phrase of any motion at the model's rate (`phrase`), seconds as the model's
  frames (`frames_at`), a result at another frame rate (`at_fps`).
- `provenance`: how each result was made, kept in the result (`Motion.provenance`).

Every result is a `Motion` placed in the world, so it can be animated, saved and measured.
"""

from pasdeux.generate.duet import duet_prior, duet_variations
from pasdeux.generate.partners import partner, partner_windows
from pasdeux.generate.pipeline import reconstruct, sample, vary
from pasdeux.generate.solo import (
    SPACING,
    ghost_for_variations,
    interpolate,
    long_form,
    place,
    prior,
    transition,
    variations,
)
from pasdeux.generate.timing import at_fps, frames_at, phrase

__all__ = ["variations", "ghost_for_variations", "prior", "interpolate", "transition", "long_form", "place",
           "phrase", "frames_at", "at_fps", "partner", "partner_windows", "duet_prior", "duet_variations",
           "reconstruct", "vary", "sample", "SPACING"]

"""Which body parts a video did not show: an extraction still returns a whole body, so a head-and-shoulders video
gets legs the landmark model made up. `pasdeux extract` and the studio both say so (one definition, here) instead
of passing them off as the dancer's: first in the motion's notes, in its provenance, and to the user."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from pasdeux.skeletons import BLAZEPOSE33

if TYPE_CHECKING:
    from pasdeux.extract.pipeline import Extraction
    from pasdeux.motion import Motion

PARTS = {"legs": ("left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel",
                  "left_foot_index", "right_foot_index")}
MIN_SEEN = 0.5  # a part seen in fewer than this share of the frames its dancer was found in is called unseen


def warnings(visibility: np.ndarray, found: np.ndarray, min_visibility: float = 0.5) -> list[str]:
    """One warning per dancer and part that the video hardly showed (`visibility` [D, T, 33], `found` [D, T])."""
    out = []
    for part, joints in PARTS.items():
        index = [BLAZEPOSE33.index(j) for j in joints]
        for d in range(visibility.shape[0]):
            frames = found[d]
            if not frames.any():
                continue
            # a frame shows the part when most of its landmarks are visible enough
            seen = (visibility[d][frames][:, index] >= min_visibility).mean(axis=1) >= 0.5
            share = float(seen.mean())
            if share < MIN_SEEN:
                out.append(f"dancer {d + 1}'s {part} were seen in only {100 * share:.0f} % of the frames: the video "
                           f"shows the upper body, so the {part} in this motion are the landmark model's guess, not "
                           f"the dancer's movement (film the whole body to capture them)")
    return out


def marked(found: Extraction) -> tuple[Motion, list[str]]:
    """The extracted motion with the parts its video hardly showed said first in its notes and kept in its record
    (`provenance["extract"]["warnings"]`), and those warnings."""
    warned = warnings(found.visibility, found.found)
    motion = found.motion
    if warned:
        record = dict(motion.provenance)
        record["extract"] = {**record.get("extract", {}), "warnings": warned}
        motion = dataclasses.replace(motion, notes=[*(f"warning: {w}" for w in warned), *motion.notes],
                                     provenance=record)
    return motion, warned

"""Which body parts a video did not show: an extraction still returns a whole body, so a head-and-shoulders video
gets legs the landmark model made up; the studio says so instead of showing them as the dancer's."""

from __future__ import annotations

import numpy as np

from pasdeux.skeletons import BLAZEPOSE33

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

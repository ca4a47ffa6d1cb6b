"""Cleaning extracted tracks: unreliable joints out, short holes interpolated, jitter smoothed.

Smoothing is a Savitzky-Golay filter (scipy) run over time: it fits a quadratic to every window
of frames, so it removes frame-to-frame jitter without the lag of a causal filter (extraction sees
the whole video at once) and flattens peaks far less than a moving average of the same length,
which matters for the sharp accents of dance. The window is the strength, in seconds.
"""

from __future__ import annotations

import numpy as np

from pasdeux.data import runs

POLYORDER = 2


def window_frames(seconds: float, fps: float) -> int:
    """The odd filter window (frames) closest to `seconds`; 0 or 1 means no smoothing."""
    n = int(round(seconds * fps))
    if n <= POLYORDER + 1:
        return 0
    return n if n % 2 else n + 1


def smooth(x: np.ndarray, seconds: float, fps: float) -> np.ndarray:
    """`x` `[D, T, ...]` smoothed along time over each run of finite frames (NaN frames stay NaN)."""
    from scipy.signal import savgol_filter

    win = window_frames(seconds, fps)
    if win == 0:
        return x.copy()
    out = x.copy()
    finite = np.isfinite(x).reshape(x.shape[0], x.shape[1], -1).all(-1)  # [D, T]
    for d in range(x.shape[0]):
        for start, stop in runs(finite[d]):
            n = stop - start
            w = min(win, n if n % 2 else n - 1)  # a short run gets the longest window it holds
            if w > POLYORDER + 1:
                out[d, start:stop] = savgol_filter(x[d, start:stop], w, POLYORDER, axis=0, mode="interp")
    return out


def drop_unreliable(points: np.ndarray, confidence: np.ndarray, threshold: float,
                    max_gap: int) -> tuple[np.ndarray, dict[int, int]]:
    """Joints `[D, T, J, 3]` whose confidence `[D, T, J]` falls below `threshold` for at most `max_gap`
    frames in a row become NaN (for interpolation); longer spells keep the model's own guess.

    Returns the points and how many samples of each joint were dropped.
    """
    out = points.copy()
    dropped: dict[int, int] = {}
    low = (confidence < threshold) & np.isfinite(points).all(-1)
    for d, j in zip(*np.nonzero(low.any(1))):
        for start, stop in runs(low[d, :, j]):
            if stop - start <= max_gap and start > 0 and stop < low.shape[1]:
                out[d, start:stop, j] = np.nan
                dropped[j] = dropped.get(j, 0) + stop - start
    return out, dropped

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


LEGS = ("left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel", "left_foot_index",
        "right_foot_index")
LEG_WINDOW = 5  # frames whose median stance a frame's stance is compared with
# Metres a frame's stance (the pelvis's height over the lower foot) may leave the median of the frames around it
# before its legs are taken for a bad estimate. A walk's own rise and fall moves it by a few centimetres over a
# step; on vtest.avi the landmark model bends or stretches the legs of one frame in ten by 10-40 cm. The floor's
# spread before the last step, largest of 9 people: 0.066 m unmended, 0.026 at 0.08 m, 0.031 at 0.1, 0.044 at 0.2.
LEG_JUMP = 0.1


def leg_outliers(stance: np.ndarray, jump: float = LEG_JUMP) -> np.ndarray:
    """Frames `[D, T]` whose stance `[D, T]` (the pelvis's height over the lower foot, m; NaN: not placed) lies
    more than `jump` from the median of the LEG_WINDOW frames around it: a frame (or every other frame) whose legs
    the landmark model bent or stretched, which standing the pose on the floor turns into a jump of the body.
    A ramp (a real plié or rise) keeps its median and is not flagged."""
    from scipy.ndimage import median_filter

    out = np.zeros(stance.shape, bool)
    for d, s in enumerate(stance):
        for start, stop in runs(np.isfinite(s)):
            if stop - start >= LEG_WINDOW:
                piece = s[start:stop]
                out[d, start:stop] = np.abs(piece - median_filter(piece, LEG_WINDOW, mode="nearest")) > jump
    return out


def mend_legs(positions: np.ndarray, leg_joints: list[int], bad: np.ndarray) -> np.ndarray:
    """Positions `[D, T, J, 3]` whose legs (`leg_joints`) in the `bad` `[D, T]` frames are interpolated, relative
    to the pelvis (joint 0), from the good frames around them in the same run of placed frames (their unknown leg
    joints too: the start of a run has no frame before to fill them from); a bad frame with no good one on a side
    keeps its legs."""
    out = positions.copy()
    for d in range(positions.shape[0]):
        rel = (positions[d][:, leg_joints] - positions[d][:, :1]).reshape(positions.shape[1], -1)  # [T, K * 3]
        for start, stop in runs(np.isfinite(positions[d, :, 0]).all(-1)):
            t = np.arange(start, stop)
            for k in range(rel.shape[1]):
                good = ~bad[d, start:stop] & np.isfinite(rel[start:stop, k])
                if good.sum() < 2:
                    continue
                mend = ~good & (t > t[good][0]) & (t < t[good][-1])
                rel[t[mend], k] = np.interp(t[mend], t[good], rel[t[good], k])
        mended = rel.reshape(positions.shape[1], len(leg_joints), 3) + positions[d][:, :1]
        out[d][:, leg_joints] = np.where(bad[d][:, None, None], mended, positions[d][:, leg_joints])
    return out

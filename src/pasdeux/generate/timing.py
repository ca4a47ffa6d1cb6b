"""Time in seconds for generation: a user gives lengths and positions in seconds, a model works in frames at
its own rate (`model.fps`), and output may be written at another rate.

- `frames_at(model, seconds)`: a length in seconds as frames at the model's rate, checked.
- `phrase(motion, model, start, seconds)`: a span of any motion (or motion file) at the model's rate,
  resampled with the anti-aliased `Motion.resample` when the motion has another rate; a filmed file's holes
  are interpolated up to 1 s, and around the span (`GAP_MARGIN_S`) it must have none.
- `at_fps(motion, fps)`: a result resampled to the frame rate the user asked for (same duration).
"""

from __future__ import annotations

import math
import os

import numpy as np

from pasdeux.errors import ConfigError
from pasdeux.models.base import MotionModel
from pasdeux.motion import Motion


def _positive(seconds: float, what: str) -> float:
    value = float(seconds)
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"{what} must be a positive number of seconds; got {seconds:g}")
    return value


def frames_at(model: MotionModel, seconds: float, what: str = "the length") -> int:
    """`seconds` as a number of frames at the model's rate; at least what the model can generate."""
    frames = int(round(_positive(seconds, what) * model.fps))
    if frames < max(1, model.min_frames):
        raise ConfigError(f"{what} of {float(seconds):g} s is too short: model {model.name!r} needs at least "
                          f"{max(1, model.min_frames) / model.fps:.2f} s ({max(1, model.min_frames)} frames at "
                          f"{model.fps:g} fps)")
    return frames


def phrase(motion: Motion | str | os.PathLike, model: MotionModel, start: float = 0.0,
           seconds: float | None = None) -> Motion:
    """`seconds` of a motion (default: the model's window) from `start` seconds, at the model's frame rate."""
    if not isinstance(motion, Motion):
        import pasdeux

        motion = pasdeux.load(motion)
    start = float(start)
    if not (math.isfinite(start) and start >= 0):
        raise ConfigError(f"the start must be 0 s or later; got {start:g} s")
    n = model.window if seconds is None else frames_at(model, seconds, "the phrase length")
    name = os.path.basename(motion.source) if motion.source else "the motion"
    motion, start = _without_holes(motion, name, start, n / model.fps)
    at_rate = motion.resample(model.fps) if abs(motion.fps - model.fps) > 1e-6 else motion
    first = int(round(start * model.fps))
    if first + n > at_rate.n_frames:
        latest = max(0.0, at_rate.n_frames - n) / model.fps
        raise ConfigError(f"{name} is {motion.duration:.2f} s long: {n / model.fps:.2f} s from {start:g} s runs past "
                          f"its end; start at {latest:.2f} s or earlier, or ask for a shorter phrase")
    return at_rate.frames(first, first + n)


GAP_MARGIN_S = 0.5  # seconds kept either side of a phrase cut from a file with holes (the resampling filter's reach)


def _without_holes(motion: Motion, name: str, start: float, seconds: float) -> tuple[Motion, float]:
    """A motion and start whose span has no holes: resampling needs a file without them, and a filmed one has
    them where a dancer was missed (interpolated here up to 1 s) or out of view (the file is then cut to the
    phrase and a margin, which must be whole: else a ConfigError says where every dancer was seen)."""
    from pasdeux.data import fill_gaps, runs

    if not np.isnan(motion.positions).any():
        return motion, start
    motion = fill_gaps(motion, max_gap=max(1, round(motion.fps)))
    first = max(0, int(np.floor((start - GAP_MARGIN_S) * motion.fps)))
    cut = motion.frames(first, int(np.ceil((start + seconds + GAP_MARGIN_S) * motion.fps)))
    if start + seconds > motion.duration + 0.5 / motion.fps:
        raise ConfigError(f"{name} is {motion.duration:.2f} s long: {seconds:.2f} s from {start:g} s runs past "
                          "its end; start earlier, or ask for a shorter phrase")
    holes = np.isnan(motion.positions).any(axis=(0, 2, 3))
    if not holes[first:first + cut.n_frames].any():
        return cut, start - first / motion.fps
    a, b = max(runs(~holes), key=lambda r: r[1] - r[0], default=(0, 0))
    hole = first + int(np.argmax(holes[first:first + cut.n_frames]))
    raise ConfigError(f"{name} has no data for some dancer at {hole / motion.fps:.2f} s (not seen for over 1 s, "
                      f"e.g. out of view), so {seconds:.2f} s from {start:g} s cannot be taken; every dancer is seen "
                      f"from {a / motion.fps:.2f} to {b / motion.fps:.2f} s: choose --start and --seconds inside that "
                      f"(with {GAP_MARGIN_S:g} s to spare), or extract the video again with fewer --dancers")


def at_fps(motion: Motion, fps: float | None) -> Motion:
    """A generated motion at `fps` (default: as it is, at the model's rate), resampled anti-aliased, same duration."""
    if fps is None:
        return motion
    if not (math.isfinite(float(fps)) and fps > 0):
        raise ConfigError(f"the output frame rate must be a positive number of frames per second; got {fps:g}")
    return motion.resample(float(fps))

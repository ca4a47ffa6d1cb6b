"""Time in seconds for generation: a user gives lengths and positions in seconds, a model works in frames at
its own rate (`model.fps`), and output may be written at another rate.

- `frames_at(model, seconds)`: a length in seconds as frames at the model's rate, checked.
- `phrase(motion, model, start, seconds)`: a span of any motion (or motion file) at the model's rate,
  resampled with the anti-aliased `Motion.resample` when the motion has another rate.
- `at_fps(motion, fps)`: a result resampled to the frame rate the user asked for (same duration).
"""

from __future__ import annotations

import math
import os

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
    at_rate = motion.resample(model.fps) if abs(motion.fps - model.fps) > 1e-6 else motion
    first = int(round(start * model.fps))
    if first + n > at_rate.n_frames:
        latest = max(0.0, at_rate.n_frames - n) / model.fps
        raise ConfigError(f"{name} is {motion.duration:.2f} s long: {n / model.fps:.2f} s from {start:g} s runs past "
                          f"its end; start at {latest:.2f} s or earlier, or ask for a shorter phrase")
    return at_rate.frames(first, first + n)


def at_fps(motion: Motion, fps: float | None) -> Motion:
    """A generated motion at `fps` (default: as it is, at the model's rate), resampled anti-aliased, same duration."""
    if fps is None:
        return motion
    if not (math.isfinite(float(fps)) and fps > 0):
        raise ConfigError(f"the output frame rate must be a positive number of frames per second; got {fps:g}")
    return motion.resample(float(fps))

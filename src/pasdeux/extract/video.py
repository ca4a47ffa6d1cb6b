"""Reading video frames with the ffmpeg of the `imageio-ffmpeg` wheel (no system ffmpeg needed).

Frames come out as RGB uint8 arrays, scaled down by ffmpeg (in its own process, so in parallel with
the models) so the long side is at most `max_side` pixels: the landmark model sees a 256-pixel crop
and the detector a 224-pixel frame, so larger frames only cost time. `fps` resamples in ffmpeg too.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pasdeux.errors import ConfigError, FormatError

MAX_SIDE = 1280


@dataclass
class VideoInfo:
    """What ffmpeg says of a video before decoding it."""

    path: Path
    width: int  # of the frames produced (after scaling)
    height: int
    source_size: tuple[int, int]
    fps: float  # of the frames produced
    duration: float  # seconds; 0 when ffmpeg does not know

    @property
    def n_frames_estimate(self) -> int | None:
        """Frames expected (for a progress bar); None when the duration is unknown."""
        return int(round(self.duration * self.fps)) or None


@contextmanager
def _quiet_imageio():
    # imageio-ffmpeg logs a warning whenever the output size differs from the source (we scale on purpose).
    log = logging.getLogger("imageio_ffmpeg")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def _filters(fps: float | None, max_side: int) -> list[str]:
    scale = (f"scale='min({max_side},iw)':'min({max_side},ih)':force_original_aspect_ratio=decrease,"
             "scale=trunc(iw/2)*2:trunc(ih/2)*2")
    return ["-vf", (f"fps={fps:g}," if fps else "") + scale]


def open_video(path: str | os.PathLike, fps: float | None = None,
               max_side: int = MAX_SIDE) -> tuple[VideoInfo, Iterator[np.ndarray]]:
    """Probe a video and return its info and an iterator over its frames `[H, W, 3]` uint8 (RGB)."""
    import imageio_ffmpeg

    path = Path(path)
    if not path.is_file():
        raise FormatError(f"{path}: no such video file")
    if path.stat().st_size == 0:
        raise FormatError(f"{path}: the video file is empty")
    if fps is not None and not (np.isfinite(fps) and fps > 0):
        raise ConfigError(f"fps must be a positive number; got {fps}")
    if max_side < 64:
        raise ConfigError(f"max_side must be at least 64 pixels; got {max_side}")
    gen = imageio_ffmpeg.read_frames(str(path), pix_fmt="rgb24", output_params=_filters(fps, max_side))
    try:
        with _quiet_imageio():
            meta = next(gen)
    except (OSError, RuntimeError, StopIteration, ValueError, IndexError) as e:
        gen.close()
        raise FormatError(f"{path}: not a readable video ({_reason(e)}); give a video file such as .mp4, "
                          ".mov, .avi or .webm") from None
    w, h = (int(v) for v in meta["size"])
    out_fps = float(fps or meta.get("fps") or 0)
    if not out_fps > 0:
        gen.close()
        raise FormatError(f"{path}: ffmpeg reports no frame rate for this video; give --fps")
    info = VideoInfo(path, w, h, tuple(meta.get("source_size") or (w, h)), out_fps, float(meta.get("duration") or 0))
    return info, _frames(gen, info)


def _frames(gen, info: VideoInfo) -> Iterator[np.ndarray]:
    try:
        for raw in gen:
            yield np.frombuffer(raw, np.uint8).reshape(info.height, info.width, 3)
    except (OSError, RuntimeError) as e:
        raise FormatError(f"{info.path}: the video is damaged ({_reason(e)})") from None
    finally:
        gen.close()


def _reason(e: Exception) -> str:
    text = " ".join(str(e).split())
    return text[-300:] if text else type(e).__name__

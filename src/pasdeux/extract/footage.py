"""Real footage of people for the tests and `pasdeux bench extract`: OpenCV's sample `vtest.avi`.

Debian's `opencv-doc` package (Apache-2.0 AND BSD-3-Clause, as its copyright file says of the whole
source tree) installs OpenCV's sample data, among it `vtest.avi`: 79.5 s at 10 fps, 768 x 576, a
fixed camera on a building looking down at people walking across a square, several of them in view
at once, each 80-120 pixels high (a sixth of the frame). It is read where the package puts it and
never copied into the repository; `scripts/setup.sh test` installs the package.

A clip is cut from it with ffmpeg into a temporary file: a span of time and, for the `window` clips,
a window of the square enlarged so that each person is about a third of the frame high, as a dancer
filmed from the back of a studio or a balcony is.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pasdeux.errors import ConfigError

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
INSTALL_HINT = "install Debian's opencv-doc package (apt-get install opencv-doc; `bash scripts/setup.sh test` does)"


@dataclass(frozen=True)
class Clip:
    """A cut of the sample: start and length in seconds, an optional crop `w:h:x:y` enlarged `zoom` times."""

    name: str
    start: float
    seconds: float
    crop: str | None = None
    zoom: float = 1.0
    dancers: int = 1  # the most dancers it is extracted with (by the bench: every number from 1 up)


CLIPS = {
    # The whole square from above: three to five people in view, each about a sixth of the frame high.
    "square": Clip("square", 0.0, 30.0, dancers=3),
    # A window of the square enlarged twice: people about a third of the frame high, walking in and out of it.
    "window": Clip("window", 0.0, 30.0, crop="432:324:256:110", zoom=2.0, dancers=2),
}


def source() -> Path | None:
    """The sample video where Debian's opencv-doc installs it, or None when the package is absent."""
    path = Path(os.environ.get("PASDEUX_VTEST") or VTEST)
    return path if path.is_file() else None


def cut(clip: Clip | str, folder: str | os.PathLike, seconds: float | None = None) -> Path:
    """Write the clip (optionally only its first `seconds`) as an H.264 MP4 in `folder`; returns its path."""
    import imageio_ffmpeg

    clip = CLIPS[clip] if isinstance(clip, str) else clip
    src = source()
    if src is None:
        raise ConfigError(f"the sample video {VTEST} is missing; {INSTALL_HINT}")
    length = clip.seconds if seconds is None else min(seconds, clip.seconds)
    out = Path(folder) / f"{clip.name}.mp4"
    filters = [] if clip.crop is None else [f"crop={clip.crop}", f"scale=iw*{clip.zoom:g}:ih*{clip.zoom:g}"]
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-ss", f"{clip.start:g}", "-i", str(src),
           "-t", f"{length:g}", *(["-vf", ",".join(filters)] if filters else []),
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise ConfigError(f"ffmpeg could not cut {clip.name} from {src}: {done.stderr.strip()[-300:]}")
    return out

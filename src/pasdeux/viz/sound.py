"""The music of an animation: the span of a song that plays with the frames shown, as a WAV for an MP4's
sound track and as a compressed data URI the offline viewer page carries.

The span starts at the music time of the first frame shown and lasts exactly as long as the frames
(`frames / fps`), padded with silence where the song ends first, so a sound track is as long as its video
and the viewer's audio clock and its frames share one time line. The viewer gets Ogg/Opus at
`OPUS_KBPS` (about 6 kB per second: a 3-minute song adds about 1.1 MB to a page, under `MAX_PAGE_SECONDS`
of music); the ffmpeg of the imageio-ffmpeg wheel encodes it, as it encodes the video.
"""

from __future__ import annotations

import base64
import math
import os
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pasdeux.errors import ConfigError, FormatError

OPUS_KBPS = 48  # mono music at 48 kb/s Opus is clean to the ear; 6 kB per second of page
MAX_PAGE_SECONDS = 600.0  # at most 10 minutes of music (3.6 MB) in one viewer page


@dataclass(frozen=True)
class Soundtrack:
    """Samples `[n, channels]` in -1..1 at `rate` Hz, the music `source` they come from and the `start`
    (seconds into the music) of the first one."""

    samples: np.ndarray
    rate: int
    source: str
    start: float

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate


@dataclass(frozen=True)
class Heard:
    """A sound file's samples as played (no beat analysis: playing needs none)."""

    samples: np.ndarray
    rate: int
    path: str


def as_music(music):
    """A `pasdeux.Music` (or anything with samples and a rate), reading the file when given a path."""
    if isinstance(music, (str, os.PathLike)):
        from pasdeux.music.decode import read_samples

        return Heard(*read_samples(music), str(music))
    if not hasattr(music, "samples") or not hasattr(music, "rate"):
        raise ConfigError(f"music must be a pasdeux.Music or a path to a sound file, not {type(music).__name__}")
    return music


def _channels_last(samples: np.ndarray) -> np.ndarray:
    s = np.asarray(samples, np.float32)
    if s.ndim == 1:
        return s[:, None]
    return s.T if s.shape[0] <= 8 < s.shape[1] else s  # [channels, n] as decoders give it, or [n, channels]


def soundtrack(music, start: float, seconds: float) -> Soundtrack:
    """`seconds` of `music` (a Music or a path) from `start` seconds, padded with silence past its end."""
    music = as_music(music)
    start, seconds = float(start), float(seconds)
    samples, rate = _channels_last(music.samples), int(music.rate)
    if not (math.isfinite(start) and 0 <= start < len(samples) / rate):
        raise ConfigError(f"the music starts within the song (0 to {len(samples) / rate:.2f} s); got {start:g} s")
    first, n = int(round(start * rate)), int(round(seconds * rate))
    span = samples[first:first + n]
    span = np.concatenate([span, np.zeros((n - len(span), samples.shape[1]), np.float32)])
    source = getattr(music, "path", None) or "music"
    return Soundtrack(np.clip(span, -1, 1), rate, os.path.basename(str(source)), start)


def write_wav(track: Soundtrack, path: Path) -> Path:
    """The track as 16-bit PCM WAV."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(track.samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(track.rate)
        w.writeframes(np.round(track.samples * 32767).astype("<i2").tobytes())
    return path


def ffmpeg(args: list[str]) -> None:
    """Run the ffmpeg of the imageio-ffmpeg wheel; a failure is a FormatError with its last words."""
    import imageio_ffmpeg

    run = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", *args], capture_output=True)
    if run.returncode != 0:
        raise FormatError(f"ffmpeg could not encode the music: {run.stderr.decode(errors='replace')[-400:]}")


def opus_data_uri(track: Soundtrack) -> str:
    """The track as an Ogg/Opus data URI (mono, `OPUS_KBPS`), for the offline viewer page."""
    if track.seconds > MAX_PAGE_SECONDS:
        raise ConfigError(f"{track.seconds:.0f} s of music is more than a viewer page carries "
                          f"({MAX_PAGE_SECONDS:.0f} s); show a shorter span (--start, --seconds)")
    with tempfile.TemporaryDirectory(prefix="pasdeux-sound-") as tmp:
        wav, ogg = Path(tmp) / "span.wav", Path(tmp) / "span.ogg"
        write_wav(track, wav)
        ffmpeg(["-i", str(wav), "-ac", "1", "-c:a", "libopus", "-b:a", f"{OPUS_KBPS}k", str(ogg)])
        return "data:audio/ogg;base64," + base64.b64encode(ogg.read_bytes()).decode("ascii")

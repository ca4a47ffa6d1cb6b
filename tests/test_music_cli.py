"""Music from the command line and from videos: `pasdeux info song.ogg`, `pasdeux music plot`, a video's
soundtrack, and the clear errors a user gets."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile
from PIL import Image

import pasdeux
from music_synth import RATE, rhythm, write_video
from pasdeux.cli import main
from pasdeux.errors import FormatError


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    """16 s at 116 BPM as OGG, and its true beats."""
    y, truth = rhythm([(116, 32)])
    path = tmp_path_factory.mktemp("music") / "song.ogg"
    soundfile.write(path, y, RATE)
    return path, truth


def test_info_prints_tempo_beats_bars_and_counts(song, capsys):
    path, truth = song
    assert main(["info", str(path)]) == 0
    text = capsys.readouterr().out
    assert "tempo           116.0 BPM" in text
    assert "bars" in text and "counts" in text
    assert main(["info", "--json", str(path)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["kind"] == "music" and info["rate"] == RATE
    assert abs(info["tempo_bpm"] - 116) < 116 * 0.02
    beats = np.array(info["beats"])
    ones = beats[np.array(info["counts"]) == 1]
    assert np.abs(ones[:, None] - truth[::8][None]).min(1).max() < 0.05  # count 1 on the eights' first beats


def test_music_plot_writes_a_picture_and_refuses_other_suffixes(song, tmp_path, capsys):
    path, _ = song
    out = tmp_path / "song.png"
    assert main(["music", "plot", str(path), "-o", str(out), "--start", "2", "--seconds", "8"]) == 0
    assert Image.open(out).size[0] >= 800
    assert main(["music", "info", str(path), "--plot", str(tmp_path / "song.jpg")]) == 2
    assert "PNG" in capsys.readouterr().err


def test_errors_exit_2_naming_the_problem(song, tmp_path, capsys):
    path, _ = song
    assert main(["music", "info", str(path), "--start", "10", "--seconds", "30"]) == 2
    assert "ends past it" in capsys.readouterr().err
    silent = tmp_path / "silent.wav"
    soundfile.write(silent, np.zeros(RATE * 2, np.float32), RATE)
    assert main(["info", str(silent)]) == 2
    assert "silent" in capsys.readouterr().err


def test_a_videos_soundtrack_is_read_and_a_silent_video_refused(tmp_path):
    y, truth = rhythm([(120, 16)], tail=0.5)
    video = tmp_path / "rehearsal.mp4"
    write_video(video, y, seconds=len(y) / RATE)
    music = pasdeux.load_music(video)
    assert music.rate == RATE and music.duration == pytest.approx(len(y) / RATE, abs=0.1)
    assert music.tempo == pytest.approx(120, rel=0.02)
    assert np.abs(music.beats[None] - truth[1:-1, None]).min(1).max() < 0.06  # AAC's priming delay included
    mute = tmp_path / "mute.mp4"
    write_video(mute, None)
    with pytest.raises(FormatError, match="no audio stream"):
        pasdeux.load_music(mute)

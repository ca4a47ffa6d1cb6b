"""The studio dances to music: a generate request names a song of the library (the registry's `music`
setting), the result keeps it in its record, and its viewer payload plays it, now and when reopened."""

from __future__ import annotations

import asyncio
import shutil

import numpy as np
import pytest

import pasdeux
from pasdeux.viz.sound import Soundtrack, write_wav


@pytest.fixture()
def library(tiny_run, tmp_path):
    """A library with a small solo model and a 10 s song at 120 BPM."""
    rate = 22050
    t = np.arange(10 * rate) / rate
    y = np.zeros_like(t)
    for b in np.arange(0.25, 10, 0.5):
        on = (t >= b) & (t < b + 0.05)
        y[on] = 0.6 * np.sin(2 * np.pi * 1500 * t[on]) * np.exp(-(t[on] - b) / 0.01)
    (tmp_path / "songs").mkdir()
    write_wav(Soundtrack(y[:, None].astype(np.float32), rate, "song", 0.0), tmp_path / "songs" / "song.wav")
    shutil.copytree(tiny_run, tmp_path / "runs" / "tiny")
    return tmp_path


def test_a_studio_result_plays_its_music(library):
    from pasdeux.studio import tasks
    from pasdeux.studio.service import Studio

    song = library / "songs" / "song.wav"
    made = tasks.generate({"mode": "long", "params": {"seconds": 4.0, "seed": 1, "music": "songs/song.wav",
                                                      "music_start": 1.0, "music_seconds": 3.0},
                           "model": "runs/tiny", "model_file": str(library / "runs" / "tiny"), "phrases": [],
                           "out": str(library / "long.npz"), "title": "long", "names": {str(library) + "/": ""},
                           "files": {"music": {"path": "songs/song.wav", "file": str(song)}}})
    audio = made["payload"]["audio"]
    assert audio["start"] == pytest.approx(1.0) and audio["seconds"] == pytest.approx(3.0)
    record = pasdeux.load(library / "long.npz").provenance
    assert (record["music"], record["music_start"], record["music_seconds"]) == ("songs/song.wav", 1.0, 3.0)
    assert len(record["music_sha256"]) == 64 and record["music_fit"]["warps"][0]["max_tempo_change"] <= 0.15
    studio = Studio(library)
    try:  # opened again later, the result still plays its music
        again = asyncio.run(studio.payload("long.npz"))
        assert again["audio"]["start"] == pytest.approx(1.0) and again["audio"]["seconds"] == pytest.approx(3.0)
        song.unlink()  # the song gone: the result is shown silent, not refused
        assert "audio" not in asyncio.run(studio.payload("long.npz"))
    finally:
        studio.close()


def test_the_studio_page_may_play_music_it_carries():
    """The page's content policy lets the viewer play the music inside a payload (a data URI), nothing more."""
    from pasdeux.studio.security import HEADERS

    policy = dict(HEADERS)[b"content-security-policy"].decode()
    assert "media-src 'self' data: blob:" in policy and "default-src 'self'" in policy

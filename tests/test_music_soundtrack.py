"""A rehearsal's sound kept with its extracted motion: beside the motion file, named in its provenance, timed
from the motion's first frame, and read back as music."""

from __future__ import annotations

import numpy as np
import pytest

import pasdeux
from pasdeux.music import Music
from pasdeux.music.decode import read_samples
from pasdeux.music.soundtrack import keep_soundtrack, soundtrack_of

RATE = 16000


@pytest.fixture(scope="module")
def rehearsal(duet, tmp_path_factory):
    """A 3 s video with a click at 0.5 s and 2.0 s of its sound (pasdeux's own MP4 with music)."""
    t = np.arange(5 * RATE) / RATE
    y = np.where(((t >= 0.5) & (t < 0.52)) | ((t >= 2.0) & (t < 2.02)), 0.8 * np.sin(2 * np.pi * 1000 * t), 0.0)
    music = Music(y.astype(np.float32), RATE, 60.0, np.array([0.5, 2.0]), np.array([1, 2]), np.array([0.5]),
                  np.zeros(1, np.float32), np.zeros(1), "clicks.wav")
    return pasdeux.animate(duet, out=tmp_path_factory.mktemp("video") / "rehearsal.mp4", frames=90,
                           size=(160, 120), music=music)


def test_the_sound_is_kept_beside_the_motion(duet, rehearsal, tmp_path):
    named = soundtrack_of(rehearsal)["soundtrack"]
    assert named["video"] == "rehearsal.mp4" and named["seconds"] == pytest.approx(3.0, abs=0.05)
    motion = duet.frames(0, 90).with_positions(duet.positions[:, :90], provenance=soundtrack_of(rehearsal))
    kept = keep_soundtrack(motion, rehearsal, tmp_path / "rehearsal.npz")
    sound = tmp_path / "rehearsal.soundtrack.ogg"
    assert kept.provenance["soundtrack"]["file"] == sound.name and sound.exists()
    y, rate = read_samples(sound)  # read back like any song (libsndfile)
    assert len(y) / rate == pytest.approx(3.0, abs=0.05)
    loud = np.flatnonzero(np.abs(y) > 0.2) / rate
    assert loud[0] == pytest.approx(0.5, abs=0.02) and loud[-1] == pytest.approx(2.02, abs=0.02)
    pasdeux.save(kept, tmp_path / "rehearsal.npz")
    assert pasdeux.load(tmp_path / "rehearsal.npz").provenance["soundtrack"]["file"] == sound.name


def test_a_silent_video_keeps_nothing(duet, tmp_path):
    video = pasdeux.animate(duet, out=tmp_path / "silent.mp4", frames=10, size=(160, 120))
    assert soundtrack_of(video) == {}
    motion = duet.frames(0, 10)
    assert keep_soundtrack(motion, video, tmp_path / "silent.npz") is motion
    assert not list(tmp_path.glob("*.ogg"))

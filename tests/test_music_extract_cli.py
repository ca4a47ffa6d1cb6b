"""A rehearsal's sound through the command line, end to end: `pasdeux extract` on a video with a soundtrack
writes NAME.soundtrack.ogg as long as the motion and names it in the provenance, and `pasdeux evaluate
--music` scores that extracted file against its own soundtrack, not the song given for the generated rows."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile

import pasdeux
from music_synth import RATE, rhythm
from pasdeux.cli import main
from pasdeux.extract import synthetic
from pasdeux.viz.sound import ffmpeg

pytestmark = pytest.mark.slow  # BlazePose on 180 frames and librosa on the sound: 20-40 s on 2 busy cores

FPS, SECONDS = 30, 6.0
OWN_BPM, OTHER_BPM = 120, 90  # the rehearsal's music, and another song given to `evaluate --music`


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """A 6 s video of a person (the synthetic photograph) with a 120 BPM rhythm as its AAC soundtrack,
    extracted by `pasdeux extract`: (motion file, video)."""
    folder = tmp_path_factory.mktemp("rehearsal")
    picture = synthetic.write(
        folder / "picture.mp4", synthetic.frames(int(SECONDS * FPS), size=(480, 270), travel=60), fps=FPS
    )
    y, _ = rhythm([(OWN_BPM, int(SECONDS * OWN_BPM / 60))], tail=0.0)
    soundfile.write(folder / "clicks.wav", y, RATE)
    video = folder / "rehearsal.mp4"
    ffmpeg(["-i", str(picture), "-i", str(folder / "clicks.wav"), "-c:v", "copy", "-c:a", "aac", str(video)])
    out = folder / "rehearsal.npz"
    assert main(["extract", str(video), "-o", str(out), "--model", "lite", "--no-progress"]) == 0
    return out, video


def test_extract_writes_the_soundtrack_as_long_as_the_motion_and_names_it(extracted):
    out, video = extracted
    sound = out.with_name("rehearsal.soundtrack.ogg")
    assert sound.is_file()
    motion = pasdeux.load(out)
    named = motion.provenance["soundtrack"]
    assert named["file"] == sound.name and named["video"] == video.name
    y, rate = soundfile.read(sound)
    assert len(y) / rate == pytest.approx(motion.n_frames / motion.fps, abs=0.1)  # AAC pads a frame or two
    assert named["seconds"] == pytest.approx(len(y) / rate, abs=0.01)
    music = pasdeux.load_music(sound)
    assert music.tempo == pytest.approx(OWN_BPM, rel=0.02)


def test_evaluate_music_scores_the_extracted_file_against_its_own_soundtrack(extracted, tmp_path, capsys):
    out, _ = extracted
    other = tmp_path / "other.wav"
    y, _ = rhythm([(OTHER_BPM, int(SECONDS * OTHER_BPM / 60) + 4)])
    soundfile.write(other, y, RATE)
    report = tmp_path / "eval"
    assert (
        main(
            [
                "evaluate",
                "--real",
                str(out),
                "--generated",
                str(out),
                "--music",
                str(other),
                "--no-plots",
                "--out",
                str(report),
            ]
        )
        == 0
    )
    said = capsys.readouterr().out
    assert "1 of 1 real file(s) against their own music" in said
    rows = json.loads((report / "report.json").read_text())["rows"]
    own, given = rows["real reference"], rows["rehearsal"]
    assert own["music_beats_per_s"] == pytest.approx(OWN_BPM / 60, rel=0.1)  # its own 120 BPM soundtrack
    assert given["music_beats_per_s"] <= OTHER_BPM / 60 + 0.01  # the song given, from 0 s
    assert 0 <= own["beat_hits"] <= own["beat_hits_ceiling"] <= 1
    assert np.isfinite(own["beat_hits_strong"])

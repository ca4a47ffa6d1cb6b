"""A motion scored against music: which span of the music it starts with, and its beat figures.

Generated motion keeps its music in its provenance (`{"music": {"path", "start", "seconds", ...}}`);
its frame 0 is played at `start` seconds into the song. A motion without that is taken to start with the
song (or with the span given).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pasdeux.metrics.music import music_alignment
from pasdeux.motion import Motion
from pasdeux.music.song import Music, load_music

KEYS = ("bas", "beat_hits", "beat_hits_ceiling", "beat_hits_strong", "beat_hits_strong_ceiling",
        "kinematic_beats_per_s", "music_beats_per_s")


def music_start(motion: Motion) -> float:
    """Where in its song the motion starts (seconds; 0 when its provenance names no music)."""
    music = motion.provenance.get("music") if isinstance(motion.provenance, dict) else None
    if isinstance(music, dict):
        return float(music.get("start", 0.0) or 0.0)
    return float(motion.provenance.get("music_start", 0.0) or 0.0)


def own_music(motion: Motion) -> Music | None:
    """The music the motion's provenance names, when that file is still there: a generation's song, or an
    extracted rehearsal's soundtrack (`music.soundtrack`: beside the motion file, from its first frame, so
    the motion's `music_start` is 0); None otherwise."""
    prov = motion.provenance if isinstance(motion.provenance, dict) else {}
    music, sound = prov.get("music"), prov.get("soundtrack")
    path = music.get("path") if isinstance(music, dict) else music if isinstance(music, str) else None
    if path is None and isinstance(sound, dict) and sound.get("file") and motion.source:
        path = str(Path(motion.source).parent / sound["file"])
    if not path or not Path(path).is_file():
        return None
    return load_music(path)


def score_to_music(motion: Motion, music: Music, offset: float | None = None) -> dict[str, float]:
    """BAS, beat hits (all, strong, their ceilings) and beat rates (`metrics.music`) of a motion played from
    `offset` seconds into `music` (default: its provenance's start, else 0)."""
    start = music_start(motion) if offset is None else offset
    beats = np.asarray(music.beats) - (start - music.start)
    ahead = beats >= 0
    out = music_alignment(motion.positions, motion.skeleton, beats[ahead], motion.fps,
                          counts=np.asarray(music.counts)[ahead])
    return {k: out[k] for k in KEYS}


def add_music_rows(rows: dict[str, dict], real: list[Motion], generated: list[tuple[str, Motion]],
                   music: Music) -> list[str]:
    """Put the beat figures into the report's rows (generated rows against `music` from the span their
    provenance names; the real reference row over the whole real files) and return notes saying how."""
    for name, motion in generated:
        rows[name].update(score_to_music(motion, music))
    own = [own_music(m) for m in real]
    figures = [score_to_music(m, mine or music, 0.0 if mine is None else None) for m, mine in zip(real, own)]
    rows["real reference"].update({k: float(np.mean([f[k] for f in figures])) for k in KEYS})
    n_own = sum(m is not None for m in own)
    how = (f"{n_own} of {len(real)} real file(s) against their own music" if n_own else
           "the real dance was not danced to this music, so its figures are the chance level to beat")
    return [f"music: {Path(music.path).name} ({music.tempo:.1f} BPM); bas (Bailando's beat alignment score), "
            "beat_hits (music beats with a kinematic beat within 0.1 s; beat_hits_ceiling: the most this many "
            "kinematic beats can hit; beat_hits_strong: on counts 1, 3, 5, 7) and kinematic_beats_per_s of each "
            f"generated motion from the span its provenance names; the real reference row over the whole real "
            f"files ({how})"]

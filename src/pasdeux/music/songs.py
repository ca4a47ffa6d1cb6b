"""Real songs with a known tempo, from a registry package: the Frets on Fire song packs of Debian.

`fretsonfire-songs-sectoid` (4 songs by Carlos Viola Iborra, MIT licence) and `fretsonfire-songs-muldjord`
(4 songs by El Senator of Muldjord, CC BY-SA 3.0) install each song as `song.ogg` (the band without the
lead guitar) beside `notes.mid`, the game's chart: a MIDI file whose tempo map is the song's tempo and whose
4/4 beat grid the chart's notes are written on. They are read where the package puts them
(`SONG_ROOT`), never copied. `scripts/setup.sh` installs the MIT pack where apt-get is there to do it.

The chart's grid is placed against the recording with an offset the packs do not state (song.ini gives no
delay), so beats are compared with the grid after removing its median offset (`grid_offset_s`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SONG_ROOT = Path("/usr/share/games/fretsonfire/data/songs")
PACKAGES = {"sectoid": "fretsonfire-songs-sectoid (MIT)", "muldjord": "fretsonfire-songs-muldjord (CC BY-SA 3.0)"}
INSTALL_HINT = "install them with: apt-get install fretsonfire-songs-sectoid (scripts/setup.sh does, as root)"


@dataclass(frozen=True)
class Song:
    name: str
    path: Path  # song.ogg
    package: str
    chart: Path  # notes.mid

    def known_tempo(self) -> float:
        """The chart's first tempo (BPM)."""
        return tempo_map(self.chart)[1][0][1]

    def grid(self, until_s: float) -> np.ndarray:
        """The chart's beat times (seconds from its start) up to `until_s`."""
        return beat_grid(self.chart, until_s)


def registry_songs(root: str | os.PathLike | None = None) -> list[Song]:
    """Every song with a chart under `root` (default `SONG_ROOT`), by pack and name; [] when none is installed."""
    base = Path(root) if root is not None else SONG_ROOT
    songs = []
    for ogg in sorted(base.glob("*/*/song.ogg")):
        chart = ogg.with_name("notes.mid")
        if chart.is_file():
            pack = ogg.parent.parent.name
            songs.append(Song(ogg.parent.name, ogg, PACKAGES.get(pack, pack), chart))
    return songs


def tempo_map(chart: Path) -> tuple[int, list[tuple[int, float]]]:
    """(ticks per beat, [(tick, BPM), ...] in order) of a MIDI file; 120 BPM from tick 0 when it sets none."""
    import mido

    midi = mido.MidiFile(chart)
    changes = {}
    for track in midi.tracks:
        tick = 0
        for message in track:
            tick += message.time
            if message.type == "set_tempo":
                changes[tick] = mido.tempo2bpm(message.tempo)
    if 0 not in changes:
        changes[0] = 120.0
    return midi.ticks_per_beat, sorted(changes.items())


def beat_grid(chart: Path, until_s: float) -> np.ndarray:
    """Seconds of every beat (each `ticks_per_beat` ticks) of a MIDI file's tempo map, up to `until_s`."""
    per_beat, changes = tempo_map(chart)
    times, tick, now, k = [], 0, 0.0, 0
    while now <= until_s:
        times.append(now)
        k += 1
        nxt = k * per_beat
        while tick < nxt:  # walk the tempo segments between two beats
            bpm = [b for t, b in changes if t <= tick][-1]
            later = [t for t, _ in changes if tick < t < nxt]
            step_to = later[0] if later else nxt
            now += (step_to - tick) / per_beat * 60.0 / bpm
            tick = step_to
    return np.array(times)


METRICAL_LEVELS = (0.5, 2 / 3, 1.0, 1.5, 2.0)
COUNTABLE_LEVELS = (0.5, 1.0, 2.0)  # half or double time a dancer can count in; 2/3 and 3/2 cut across bars
TEMPO_TOLERANCE = 0.02  # the check: tempo within 2 %
GRID_TOLERANCE_S = 0.05  # a beat within 50 ms of the chart's grid is on it


def tracking_scores(music, song: Song) -> dict:
    """How the beats found in `music` (a whole song or a span of it) agree with the song's chart: the tempo
    against the chart's, the metrical level found (1: the chart's beat; 0.5: half time; `tempo_ok_at_level`
    only for half, whole and double time), the share of beats
    on the chart's grid (after its offset) and the share of downbeats on its bar lines (4/4 from tick 0)."""
    known = song.known_tempo()
    ratio = music.tempo / known
    level = min(METRICAL_LEVELS, key=lambda lv: abs(np.log(ratio / lv)))
    grid = song.grid(music.start + music.duration + 2.0) - music.start
    out = {"song": song.name, "package": song.package, "tempo_known": round(known, 3),
           "tempo_found": round(music.tempo, 3), "tempo_error": round(ratio - 1, 4),
           "tempo_ok": bool(abs(ratio - 1) <= TEMPO_TOLERANCE), "metrical_level": round(level, 3),
           "tempo_ok_at_level": bool(level in COUNTABLE_LEVELS and abs(ratio / level - 1) <= TEMPO_TOLERANCE),
           "beats": len(music.beats)}
    if len(music.beats) == 0 or len(grid) == 0:
        return out
    d = music.beats[:, None] - grid[None, :]
    nearest = np.abs(d).argmin(1)
    signed = d[np.arange(len(music.beats)), nearest]
    offset = float(np.median(signed))
    out.update(grid_offset_s=round(offset, 3), beats_on_grid=round(float(np.mean(np.abs(signed - offset)
                                                                              <= GRID_TOLERANCE_S)), 3))
    if level == 1.0:
        down = np.isin(music.counts, (1, 5))
        out["downbeats_on_bars"] = round(float(np.mean(nearest[down] % 4 == 0)), 3) if down.any() else None
    return out

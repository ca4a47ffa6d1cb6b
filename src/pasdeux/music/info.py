"""What `pasdeux info song.ogg` prints: length, rate, tempo, beats, bars and counts of a song."""

from __future__ import annotations

import os
from pathlib import Path

from pasdeux.music.song import Music, load_music

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac", ".aiff", ".aif"}
VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v"}
SHOWN_BEATS = 16  # beats listed in the table (the JSON has them all)


def is_music_file(path: str | os.PathLike) -> bool:
    """Whether `pasdeux info` should read this file as sound (an audio file, or a video for its soundtrack)."""
    return Path(path).suffix.lower() in AUDIO_SUFFIXES | VIDEO_SUFFIXES


def describe_music(path: str | os.PathLike, start: float = 0.0, seconds: float | None = None) -> dict:
    """A JSON-safe summary of a song's span."""
    return summary(load_music(path, start, seconds))


def summary(music: Music) -> dict:
    return {
        "kind": "music",
        "source": music.path,
        "start_s": round(music.start, 3),
        "duration_s": round(music.duration, 3),
        "rate": music.rate,
        "tempo_bpm": round(music.tempo, 2),
        "n_beats": int(len(music.beats)),
        "n_bars": int(music.bars),
        "downbeat_contrast": round(music.downbeat_contrast, 3),
        "beats": [round(float(b), 3) for b in music.beats],
        "counts": [int(c) for c in music.counts],
        "downbeats": [round(float(b), 3) for b in music.downbeats],
    }


def format_music_table(info: dict) -> str:
    """The human-readable report of one song."""
    beats, counts = info["beats"], info["counts"]
    ones = [b for b, c in zip(beats, counts) if c == 1]
    clear = "clear" if info["downbeat_contrast"] >= 0.3 else "faint: the counts may start a beat or two off"
    rows = [
        ("kind", "music"),
        ("duration", f"{info['duration_s']:.2f} s" + (f" from {info['start_s']:g} s" if info["start_s"] else "")),
        ("rate", f"{info['rate']} Hz (mono)"),
        ("tempo", f"{info['tempo_bpm']:.1f} BPM"),
        ("beats", f"{info['n_beats']}" + (f" ({beats[0]:.2f} s to {beats[-1]:.2f} s)" if beats else "")),
        ("bars", f"{info['n_bars']} of 4 beats; bar lines {clear} (contrast {info['downbeat_contrast']:.2f})"),
        ("eights", f"{len(ones)} start(s) of an eight (count 1), the first at {ones[0]:.2f} s" if ones
         else "no count 1 in this span"),
    ]
    lines = [str(info["source"])] + [f"  {k:<16}{v}" for k, v in rows]
    if beats:
        lines.append(f"  counts (the first {min(SHOWN_BEATS, len(beats))} beats, seconds):")
        lines.append("    " + "  ".join(f"{c}@{b:.2f}" for b, c in list(zip(beats, counts))[:SHOWN_BEATS]))
    return "\n".join(lines)

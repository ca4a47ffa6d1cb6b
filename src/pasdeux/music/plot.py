"""A picture of a song: its waveform, the onset strength, its beats and the dancer's counts."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pasdeux.music.song import Music

MAX_POINTS = 20000  # waveform points drawn (min/max envelope per bin beyond that)


def plot_music(music: Music, out: str | os.PathLike, title: str | None = None) -> Path:
    """Write a PNG: waveform (grey) and onset strength (blue) with beats as lines, downbeats bold, and
    each beat's count above it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    width = float(np.clip(music.duration * 0.8, 8, 40))
    fig, ax = plt.subplots(figsize=(width, 3.2), dpi=100)
    t, low, high = _envelope(music)
    ax.fill_between(t, low, high, color="0.7", linewidth=0, label="waveform")
    if len(music.onset_strength):
        scale = np.abs(music.samples).max() / max(float(music.onset_strength.max()), 1e-9)
        ax.plot(music.onset_times, music.onset_strength * scale, color="tab:blue", linewidth=0.7,
                label="onset strength")
    for b, c in zip(music.beats, music.counts):
        down = c in (1, 5)
        ax.axvline(b, color="tab:red" if c == 1 else "tab:orange", linewidth=1.6 if down else 0.6,
                   alpha=0.9 if down else 0.6)
        ax.text(b, 1.02, str(c), transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                fontsize=8, fontweight="bold" if c == 1 else "normal")
    ax.set_xlim(0, music.duration)
    ax.set_xlabel("seconds" + (f" (from {music.start:g} s in the file)" if music.start else ""))
    ax.set_yticks([])
    ax.set_title(title or f"{Path(music.path).name}: {music.tempo:.1f} BPM, {len(music.beats)} beats, "
                 f"{music.bars} bars (counts above; red: 1, orange: 5)", fontsize=9, pad=14)
    ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(out)
    return out


def _envelope(music: Music) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times, minima and maxima of the waveform in at most MAX_POINTS bins."""
    y = music.samples
    bins = min(MAX_POINTS, len(y))
    edges = np.linspace(0, len(y), bins + 1).astype(int)
    low = np.minimum.reduceat(y, edges[:-1])
    high = np.maximum.reduceat(y, edges[:-1])
    return edges[:-1] / music.rate, low, high

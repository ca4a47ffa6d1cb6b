"""`python -m pasdeux.music.warm`: compile librosa's numba kernels once, at install time.

librosa compiles its onset, tempo and beat-tracking kernels on first use and caches them beside its own
files; on a busy machine the first `pasdeux info song.ogg` would otherwise spend a minute or more compiling.
scripts/setup.sh runs this after installing, on a few seconds of synthesised clicks.
"""

from __future__ import annotations

import time

import numpy as np


def warm() -> float:
    """Analyse 8 s of clicks at 120 BPM; returns the seconds it took."""
    from pasdeux.music.beats import ANALYSIS_RATE
    from pasdeux.music.song import analyse

    start = time.perf_counter()
    y = np.zeros(8 * ANALYSIS_RATE, np.float32)
    t = np.arange(int(0.05 * ANALYSIS_RATE)) / ANALYSIS_RATE
    for k in range(16):
        s = k * ANALYSIS_RATE // 2
        y[s: s + len(t)] += np.sin(2 * np.pi * 1000 * t) * np.exp(-t * 80)
    analyse(y, ANALYSIS_RATE)
    return time.perf_counter() - start


if __name__ == "__main__":
    print(f"music analysis ready ({warm():.1f} s, librosa's kernels compiled and cached)")

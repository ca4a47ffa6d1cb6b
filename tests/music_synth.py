"""Music made to order for the music tests: click tracks and simple rhythms at known tempos, with their
true beat times and counts. Written as WAV/FLAC/OGG by soundfile where a test needs a file."""

from __future__ import annotations

import numpy as np

RATE = 22050


def _hit(freq: float, decay_s: float, amp: float, rate: int) -> np.ndarray:
    t = np.arange(int(rate * 0.2)) / rate
    return amp * np.sin(2 * np.pi * freq * t) * np.exp(-t / decay_s)


def rhythm(sections: list[tuple[float, int]], rate: int = RATE, lead_silence: float = 0.0,
           tail: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """A drum-and-chord rhythm: (bpm, beats) per section. A hi-hat click on every beat, a kick on every
    downbeat (beats 1 and 5 of each eight) and a sustained chord that changes at every eight, as pop music
    changes chords at phrase starts. Returns (samples float32, true beat times); beat 0 is count 1."""
    times, t = [], lead_silence
    for bpm, n in sections:
        times += [t + k * 60.0 / bpm for k in range(n)]
        t += n * 60.0 / bpm
    times = np.array(times)
    y = np.zeros(int((t + tail) * rate))
    for i, tb in enumerate(times):
        hit = _hit(3000, 0.01, 0.25, rate) + (_hit(55, 0.06, 1.0, rate) if i % 4 == 0 else 0)
        s = int(round(tb * rate))
        y[s: s + len(hit)] += hit[: len(y) - s]
    chords = [(220.0, 277.2, 329.6), (146.8, 185.0, 220.0)]  # A major, D major
    for e, start in enumerate(times[::8]):
        end = times[8 * e + 8] if 8 * e + 8 < len(times) else t
        s, f = int(start * rate), int(end * rate)
        tt = np.arange(f - s) / rate
        y[s:f] += 0.05 * sum(np.sin(2 * np.pi * h * tt) for h in chords[e % 2])
    return y.astype(np.float32), times

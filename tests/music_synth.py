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


def write_video(path, samples: np.ndarray | None, rate: int = RATE, seconds: float = 4.0) -> None:
    """A small MP4 (grey frames at 10 fps) with `samples` as its AAC soundtrack, or with no audio stream."""
    import av

    with av.open(str(path), "w") as out:
        video = out.add_stream("mpeg4", rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = out.add_stream("aac", rate=rate, layout="mono") if samples is not None else None
        for i in range(int(seconds * 10)):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 8 * i % 255, np.uint8), format="rgb24")
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if audio is not None:
            block = 1024
            for s in range(0, len(samples) - block + 1, block):
                frame = av.AudioFrame.from_ndarray(samples[None, s: s + block].astype(np.float32), format="fltp",
                                                   layout="mono")
                frame.sample_rate, frame.pts = rate, s
                out.mux(audio.encode(frame))
            out.mux(audio.encode(None))

"""A rehearsal's sound kept with the motion extracted from its video.

`pasdeux extract` names the video's sound in the motion's provenance (`soundtrack_of`: where it lies and how
long it is, timed from the video's first frame, which is the motion's first frame), and the command writes it
beside the motion file as `<name>.soundtrack.ogg` (`keep_soundtrack`), so `--music`, `pasdeux evaluate
--music` and `pasdeux animate --music` take it like any song.

Beside the motion rather than inside the npz: every motion format pasdeux writes (.npz, .bvh, .csv) gets it,
any player or audio editor opens it, and a motion file stays a motion file that other tools and older
pasdeux read. Ogg/Vorbis at `VORBIS_QUALITY` (about 80 kb/s mono, 0.6 MB a minute): libsndfile reads it
back without FFmpeg, and beats and counts found in it match the original's (lossy coding moves no onset
by a measurable amount at 11.6 ms analysis frames).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from pasdeux.motion import Motion

SUFFIX = ".soundtrack.ogg"
VORBIS_QUALITY = 4  # libvorbis -q:a 4: about 80 kb/s mono


def _start(stream) -> float:
    return float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0


def soundtrack_of(video: str | os.PathLike) -> dict:
    """`{"soundtrack": {...}}` naming a video's sound for a motion extracted from it (the video's file name,
    the sound's offset from the first frame in seconds, its length), or `{}` when the video has no sound."""
    import av

    try:
        with av.open(str(video)) as box:
            if not box.streams.audio or not box.streams.video:
                return {}
            audio, picture = box.streams.audio[0], box.streams.video[0]
            lead = _start(picture) - _start(audio)  # seconds of sound before the first frame
            seconds = float(box.duration / av.time_base) if box.duration else None
    except av.FFmpegError:
        return {}
    return {"soundtrack": {"video": Path(video).name, "offset_s": round(lead, 6),
                           "seconds": None if seconds is None else round(seconds, 3)}}


def keep_soundtrack(motion: Motion, video: str | os.PathLike, out: str | os.PathLike) -> Motion:
    """Write the video's sound, from the motion's first frame on, beside the motion file `out`
    (`<name>.soundtrack.ogg`) and name the file in the motion's provenance; the motion as it is when the
    video has no sound."""
    from pasdeux.music.decode import read_samples
    from pasdeux.viz.sound import Soundtrack, ffmpeg, write_wav

    named = (motion.provenance.get("soundtrack") or soundtrack_of(video).get("soundtrack"))
    if not named:
        return motion
    samples, rate = read_samples(video)
    skip = int(round(named.get("offset_s", 0.0) * rate))
    samples = samples[skip:] if skip >= 0 else np.concatenate([np.zeros(-skip, np.float32), samples])
    path = Path(out).with_name(Path(out).name.rsplit(".", 1)[0] + SUFFIX)
    with tempfile.TemporaryDirectory(prefix=".pasdeux-", dir=path.parent) as tmp:
        wav = write_wav(Soundtrack(np.clip(samples, -1, 1)[:, None], rate, str(video), 0.0), Path(tmp) / "s.wav")
        part = Path(tmp) / "s.ogg"
        ffmpeg(["-i", str(wav), "-c:a", "libvorbis", "-q:a", str(VORBIS_QUALITY), str(part)])
        os.replace(part, path)
    sound = {**named, "file": path.name, "seconds": round(len(samples) / rate, 3)}
    return motion.with_positions(motion.positions, f"the video's sound kept beside it as {path.name}",
                                 provenance={**motion.provenance, "soundtrack": sound})

"""`pasdeux bench extract`: how fast extraction runs on this machine, and how well it holds on real footage.

Speed: videos made from a real photograph (`synthetic`), at 1280 x 720 and 30 fps, written to a
temporary folder; decoding is part of the timed run, as it is for a user. The target is a 60 s duet
at 30 fps (1800 frames) in under 3 minutes, i.e. at least 10 frames a second with two dancers.

Real footage (`footage`: OpenCV's vtest.avi, people walking across a square filmed from a building),
where Debian's opencv-doc package is installed: each clip extracted with 1, 2, ... dancers, with its
frames per second and `quality.report`'s figures (found share, identity switches, floor flatness,
bone-length variation) and the camera tilt, roll and height the extraction estimated. Found is given over the
frames a person's whole body is inside the frame (`found_visible`) and over those of them in which no other
person followed overlaps it from in front or beside (`found_unhidden`). The floor's spread is
given after the extraction's last step (0 by construction: it stands every frame's lower foot on the floor)
and before it (the honest figure).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from pasdeux.errors import ConfigError
from pasdeux.extract import footage, quality, synthetic
from pasdeux.extract.pipeline import run

FPS = 30.0
SIZE = (1280, 720)
TARGET_DUET_S = 180.0  # a 60 s, 30 fps duet video
TARGET_FRAMES = 1800


def bench_extract(seconds: float = 10.0, model: str = "full", out: str | os.PathLike | None = None,
                  say=print, real: bool = True) -> dict:
    """Extraction speed for one and two dancers on `seconds`-long videos; returns (and writes) the figures."""
    if not 1 <= seconds <= 600:
        raise ConfigError(f"seconds must be between 1 and 600; got {seconds}")
    n = int(round(seconds * FPS))
    result: dict = {"frames": n, "fps_video": FPS, "size": list(SIZE), "model": model,
                    "cpu_threads": os.cpu_count(), "load_before": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory(prefix="pasdeux-bench-") as tmp:
        for dancers in (1, 2):
            video = synthetic.write(Path(tmp) / f"{dancers}.mp4",
                                    synthetic.frames(n, people=dancers, size=SIZE, travel=160.0), FPS)
            start, cpu = time.perf_counter(), time.process_time()
            ex = run(video, dancers=dancers, model=model)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            key = "solo" if dancers == 1 else "duet"
            result[f"{key}_fps"] = round(n / elapsed, 2)
            result[f"{key}_seconds"] = round(elapsed, 2)
            # CPU seconds of this process (all its threads; ffmpeg decodes in a child): what the work costs
            # however busy the machine is, where wall time also counts other programs' turns.
            result[f"{key}_cpu_seconds"] = round(cpu, 2)
            result[f"{key}_found"] = [int(x) for x in ex.found.sum(1)]
            result[f"{key}_detector_runs"] = ex.detector_runs
            say(f"{key}: {n} frames in {elapsed:.1f} s = {n / elapsed:.1f} frames/s "
                f"(found {result[f'{key}_found']}, detector ran {ex.detector_runs} times)")
    result["duet_60s_seconds"] = round(TARGET_FRAMES / result["duet_fps"], 1)
    result["duet_60s_under_3_min"] = result["duet_60s_seconds"] < TARGET_DUET_S
    if real:
        result["real"] = bench_footage(model, say)
    if out is not None:
        from pasdeux.files import write_text_atomic

        write_text_atomic(out, json.dumps(result, indent=2))
    return result


def bench_footage(model: str = "full", say=print, clips=None) -> dict:
    """Each real clip extracted with 1 up to its number of dancers: speed, quality figures and camera."""
    if footage.source() is None:
        say(f"real footage skipped: {footage.VTEST} is missing; {footage.INSTALL_HINT}")
        return {"skipped": f"{footage.VTEST} missing"}
    out: dict = {"source": str(footage.source())}
    with tempfile.TemporaryDirectory(prefix="pasdeux-bench-real-") as tmp:
        for clip in clips or footage.CLIPS.values():
            video = footage.cut(clip, tmp)
            for dancers in range(1, clip.dancers + 1):
                start = time.perf_counter()
                ex = run(video, dancers=dancers, model=model)
                elapsed = time.perf_counter() - start
                cam = ex.motion.provenance["extract"]["camera"]
                row = {"frames": int(ex.found.shape[1]), "fps": round(ex.found.shape[1] / elapsed, 2),
                       **quality.report(ex), "tilt": cam["tilt"], "tilt_deg": cam["tilt_deg"],
                       "roll_deg": cam["roll_deg"], "camera_height_m": round(cam["position_m"][1], 3)}
                out[f"{clip.name}_{dancers}"] = row
                before = [f["std_m"] for f in row["floor_before_last_step"]]
                say(f"{clip.name}, {dancers} dancer(s): {row['fps']} frames/s, found {row['found_visible']} of the "
                    f"frames fully in view ({row['found_unhidden']} of those no one else followed may hide, "
                    f"{row['found_in_span']} of their span), switches "
                    f"{row['identity_switches']}, floor spread before the last step {before} m, bone cv "
                    f"{row['bone_cv']}, camera looking down {row['tilt_deg']} deg, roll {row['roll_deg']} deg "
                    f"({cam['roll_from']}) at {row['camera_height_m']} m ({row['tilt']})")
    return out

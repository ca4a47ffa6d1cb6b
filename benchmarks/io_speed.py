"""I/O speed: read and prepare 100k frames of Mariel markers into 64-frame windows, and load a salsa take.

Run as `python benchmarks/io_speed.py [--frames N] [--stride S]`; prints one JSON line.
Targets: Mariel read + windows < 1 s, salsa BVH take < 0.5 s (skipped if no BVH reader yet).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SALSA = ROOT.parent / "shared" / "data" / "cmu_salsa" / "60_02.bvh"
sys.path.insert(0, str(ROOT / "tests"))


def mariel_file(folder: Path, frames: int) -> Path:
    """A Mariel-layout file that keeps `frames` frames after the research's 500-frame trims."""
    from io_fixtures import mariel_array

    path = folder / "mariel_bench.npy"
    np.save(path, mariel_array(frames + 1000))
    return path


def time_mariel(path: Path, length: int, stride: int) -> dict:
    """Seconds to load the file and cut centred training windows from it."""
    import pasdeux
    from pasdeux.data import solo_windows

    t0 = time.perf_counter()
    motion = pasdeux.load(path)
    t1 = time.perf_counter()
    win = solo_windows([motion], length, stride)
    t2 = time.perf_counter()
    shape = list(win.shape)
    del win
    # A second call reuses memory the first made the kernel map: the first call is what a user waits for.
    t3 = time.perf_counter()
    solo_windows([motion], length, stride)
    warm = time.perf_counter() - t3
    return {"mariel_frames": motion.n_frames, "mariel_joints": motion.n_joints, "windows": shape[0],
            "window_shape": shape[1:], "mariel_load_s": round(t1 - t0, 4), "mariel_windows_s": round(t2 - t1, 4),
            "mariel_windows_warm_s": round(warm, 4), "mariel_total_s": round(t2 - t0, 4)}


def time_salsa() -> dict:
    """Seconds to load one salsa BVH take (None if the BVH reader or the data is missing)."""
    import importlib.util

    import pasdeux

    if importlib.util.find_spec("pasdeux.io.bvh") is None or not SALSA.exists():
        return {"salsa_load_s": None}
    t0 = time.perf_counter()
    motion = pasdeux.load(SALSA)
    return {"salsa_load_s": round(time.perf_counter() - t0, 4), "salsa_frames": motion.n_frames}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--length", type=int, default=64)
    parser.add_argument("--stride", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = mariel_file(Path(tmp), args.frames)
        result = {"stride": args.stride, **time_mariel(path, args.length, args.stride), **time_salsa()}
    result["targets_met"] = result["mariel_total_s"] < 1.0 and (result["salsa_load_s"] or 0) < 0.5
    print(json.dumps(result))


if __name__ == "__main__":
    main()

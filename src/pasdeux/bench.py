"""`pasdeux bench solo`: the solo protocol of BENCHMARK.md, implemented exactly.

The shared duet is split by time per dancer (70 / 15 / 15 %); models train on both dancers' train
spans as separate solos with the same wall-clock budget and are scored on the test spans, centred
per frame, beside the `mean_pose` and `window_mean` baselines and the real floors.

Which metrics apply to which model: the two baselines have no prior and no training, so they
report only `recon_mse` and `jitter_ratio_recon`. The `pose` model encodes single poses, but its
`sample` draws latent keyframes and interpolates them into phrases, so its prior samples are
scored like any other phrase model's. `time_to_seed_quality_s` is the first time in a model's
training history at which its validation recon_mse reached the seed's final one (`null` when it
never did within the budget; left out when `seed` is not in the run).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pasdeux import metrics
from pasdeux.data import solo_windows, time_split
from pasdeux.errors import ConfigError
from pasdeux.files import write_text_atomic
from pasdeux.motion import Motion
from pasdeux.validation import validation_metrics

PROTOCOL = "solo-v1"
DATA = Path("../shared/data/duet_ilya_hannah.npy")  # BENCHMARK.md's path, relative to the project root
WINDOW, TEST_STRIDE, REAL_STRIDE, TRAIN_STRIDE = 64, 8, 2, 8
N_PRIOR = 256
LONG_FORM_S = 60.0
MODELS = ("seed", "pose", "default")


@dataclass
class SoloData:
    """The solo protocol's split and the windows it scores on (all centred per frame)."""

    split: dict[str, Motion]
    test: np.ndarray  # 64 frames, stride 8: what models reconstruct and vary (52 on the shared duet)
    real: np.ndarray  # test spans at stride 2: the real set for fid_k and diversity
    train: np.ndarray  # train spans at stride 8: the floor for fid_k
    kinetic: metrics.KineticSpace  # both feature spaces are fitted on `real`, once per run
    geometric: metrics.GeometricSpace

    @property
    def fps(self) -> float:
        return self.split["test"].fps

    @property
    def skeleton(self):
        return self.split["test"].skeleton


def find_data(path: str | os.PathLike | None = None) -> Path:
    """The benchmark's duet: `path`, else ../shared/data from the working directory or the source tree."""
    if path is not None:
        return Path(path)
    for candidate in (DATA, Path(__file__).resolve().parents[2] / DATA):
        if candidate.is_file():
            return candidate
    raise ConfigError(f"the benchmark data {DATA} is not there (run from the project root); pass --data FILE")


def solo_data(path: str | os.PathLike | None = None) -> SoloData:
    """Load the duet and cut the protocol's split and windows."""
    import pasdeux

    motion = pasdeux.load(find_data(path))
    split = time_split(motion, (0.70, 0.15, 0.15))
    real = solo_windows([split["test"]], WINDOW, REAL_STRIDE)
    return SoloData(split, solo_windows([split["test"]], WINDOW, TEST_STRIDE), real,
                    solo_windows([split["train"]], WINDOW, TRAIN_STRIDE), metrics.KineticSpace.fit(real, motion.fps),
                    metrics.GeometricSpace.fit(real, motion.skeleton, motion.fps))


def real_floors(data: SoloData) -> dict[str, float]:
    """What real dance scores: the floors every model's numbers are read against."""
    out = {"fid_k_real": data.kinetic.fid(data.train, data.real), "diversity_real": data.kinetic.diversity(data.real),
           "bone_cv_real": metrics.bone_cv(data.test, data.skeleton),
           "mean_acceleration_real": metrics.mean_acceleration(data.test),
           "test_windows": len(data.test), "real_windows": len(data.real), "train_windows": len(data.train)}
    out["fid_g_real"] = data.geometric.fid(data.train, data.real)
    return out


def baselines(data: SoloData) -> dict[str, dict[str, float]]:
    """`mean_pose` (every frame the mean training pose) and `window_mean` (each window's own mean pose)."""
    train_frames = solo_windows([data.split["train"]], 1, 1)  # every centred training pose
    mean_pose = np.broadcast_to(train_frames.mean((0, 1)), data.test.shape)
    window_mean = np.broadcast_to(data.test.mean(1, keepdims=True), data.test.shape)
    return {name: {"recon_mse": metrics.recon_mse(pred, data.test),
                   "jitter_ratio_recon": metrics.jitter_ratio(pred, data.test)}
            for name, pred in (("mean_pose", mean_pose), ("window_mean", window_mean))}


def score_model(model: Any, data: SoloData, seed: int = 0) -> dict[str, float]:
    """Every solo metric of BENCHMARK.md for a trained model: reconstructions and sigma-0.5 variations of
    the test windows, and 256 prior samples against the real test windows at stride 2."""
    return validation_metrics(model, data.test, data.skeleton, data.fps, n_prior=N_PRIOR, seed=seed,
                              real=data.real, kinetic=data.kinetic, geometric=data.geometric)


def realtime_factor(model: Any, seconds: float = LONG_FORM_S, repeats: int = 5) -> float:
    """Seconds of motion generated per wall-clock second for one long-form solo: the median of `repeats`
    generations, because one generation takes only tens of milliseconds and a single timing is mostly
    scheduler noise on a shared machine."""
    import torch

    from pasdeux.generate import long_form

    times = []
    with torch.no_grad():
        long_form(model, seconds=2.0)  # warm-up: first-call allocations and kernel selection are not generation
        for k in range(repeats):
            start = time.perf_counter()
            long_form(model, seconds=seconds, seed=k)
            times.append(time.perf_counter() - start)
    return seconds / float(np.median(times))


def time_to_quality(history: Sequence[dict], target: float) -> float | None:
    """First `time_s` at which `val_recon_mse` reached `target` (None if it never did)."""
    for h in history:
        v = h.get("val_recon_mse")
        if v is not None and np.isfinite(v) and v <= target:
            return float(h["time_s"])
    return None


def final_val_recon(history: Sequence[dict]) -> float:
    """The last validation recon_mse in a training history."""
    vals = [h["val_recon_mse"] for h in history if h.get("val_recon_mse") is not None]
    if not vals:
        raise ConfigError("the training history holds no val_recon_mse; cannot compare with the seed")
    return float(vals[-1])


def machine() -> dict[str, Any]:
    """The device models trained on and the CPU threads torch uses."""
    import torch

    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    return {"device": device, "threads": torch.get_num_threads()}


def train_one(name: str, data: SoloData, budget_s: float, run_dir: Path, seed: int, progress: bool) -> Any:
    """Train model `name` with its shipped config for `budget_s` wall-clock seconds."""
    from pasdeux.config import load_config
    from pasdeux.training import train

    config = load_config(name)
    return train(config, [data.split["train"]], [data.split["val"]], budget_s=budget_s, run_dir=run_dir,
                 seed=seed, progress=progress)


def bench_solo(budget_s: float = 240.0, models: Sequence[str] = MODELS, out: str | os.PathLike | None = None,
               data_path: str | os.PathLike | None = None, runs: str | os.PathLike | None = None, seed: int = 0,
               progress: bool = False, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the solo protocol; returns (and writes to `out`) the BENCHMARK.md JSON object."""
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    if budget_s <= 0:
        raise ConfigError(f"--budget-s must be positive; got {budget_s}")
    models = _order(models)
    data = solo_data(data_path)
    result: dict[str, Any] = {"protocol": PROTOCOL, "machine": machine(), "budget_s": float(budget_s),
                              "real": real_floors(data), "models": baselines(data)}
    log(f"real floors: {_short(result['real'])}")
    seed_final = None
    with tempfile.TemporaryDirectory(prefix="pasdeux-bench-") as tmp:
        root = Path(runs) if runs is not None else Path(tmp)
        for name in models:
            log(f"training {name} for {budget_s:g} s ...")
            res = train_one(name, data, budget_s, root / name, seed, progress)
            scores = score_model(res.model, data, seed)
            scores["train_windows_per_s"] = float(res.train_windows_per_s)
            scores["gen_realtime_factor"] = realtime_factor(res.model)
            if name == "seed":
                seed_final = final_val_recon(res.history)
            if seed_final is not None:
                scores["time_to_seed_quality_s"] = time_to_quality(res.history, seed_final)
            result["models"][name] = scores
            log(f"{name}: {_short(scores)}")
    if out is not None:
        write_json(result, Path(out))
    return result


def _order(models: Sequence[str]) -> list[str]:
    """The seed first (the others are timed against its final quality), each model once."""
    names = list(dict.fromkeys(m.strip() for m in models if m.strip()))
    if not names:
        raise ConfigError("--models names no model; e.g. --models seed,pose,default")
    return sorted(names, key=lambda n: n != "seed")


def _short(d: dict) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in d.items())


def write_json(obj: dict, path: Path) -> Path:
    """Write JSON whole or not at all."""
    return write_text_atomic(path, json.dumps(obj, indent=1))

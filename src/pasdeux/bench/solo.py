"""`pasdeux bench solo`: the two solo protocols of BENCHMARK.md, implemented exactly.

- `video` ("solo-v1"): the shared duet extracted from video, each dancer split by time (70 / 15 / 15 %).
- `mocap` ("solo-mocap-v1"): the CMU salsa takes (optical mocap) as solos, each dancer of each take,
  resampled from 120 to 30 fps with the anti-aliased resampler: takes 02-07 and 09-11 train, 12
  validation, 13 and 14 test.

Models train on the training solos with the same wall-clock budget and are scored on the test solos,
centred per frame, beside the `mean_pose` and `window_mean` baselines and the real floors. Feet metrics
are measured with the travel kept (world positions) against the training data's floor.

Which metrics apply to which model: the two baselines have no prior, no travel and no training, so they
report only `recon_mse` and `jitter_ratio_recon`. The `pose` model encodes single poses, but its
`sample` draws latent keyframes and interpolates them into phrases, so its prior samples are scored
like any other phrase model's. `time_to_seed_quality_s` is the first time in a model's training history
at which its validation recon_mse reached the seed's final one (`null` when it never did within the
budget; left out when `seed` is not in the run).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pasdeux import metrics
from pasdeux.bench.common import (
    GEN_THREADS,
    Progress,
    final_val_recon,
    find_shared,
    generation_threads,
    machine,
    short,
    time_to_quality,
    write_json,
)
from pasdeux.data import solo_windows, time_split, windows
from pasdeux.errors import ConfigError, SkeletonError
from pasdeux.grounding import FloorModel
from pasdeux.motion import Motion
from pasdeux.validation import feet_scores, validation_metrics

PROTOCOLS = {"video": "solo-v1", "mocap": "solo-mocap-v1"}
VIDEO_DATA = "duet_ilya_hannah.npy"
MOCAP_DATA = "cmu_salsa"
MOCAP_TAKES = {"train": ("02", "03", "04", "05", "06", "07", "09", "10", "11"), "val": ("12",), "test": ("13", "14")}
MOCAP_DANCERS = ("60", "61")  # the two partners of each take, each scored as a solo
FPS = 30.0  # both protocols score at 30 fps
WINDOW, TEST_STRIDE, REAL_STRIDE, TRAIN_STRIDE = 64, 8, 2, 8
N_PRIOR = 256
LONG_FORM_S = 60.0
MODELS = ("seed", "pose", "default")
SCORE_GUESS_S = 40.0  # what scoring one model takes before the first one has been timed


@dataclass
class SoloData:
    """A solo protocol's split and the windows it scores on (centred per frame unless named world)."""

    protocol: str
    motions: dict[str, list[Motion]]  # train / val / test motions, each dancer a solo
    test: np.ndarray  # 64 frames, stride 8: what models reconstruct and vary (52 on the shared duet)
    test_world: np.ndarray  # the same windows with their travel kept, for the feet metrics
    real: np.ndarray  # test solos at stride 2: the real set for fid_k and diversity
    train: np.ndarray  # train solos at stride 8: the floor for fid_k
    kinetic: metrics.KineticSpace  # both feature spaces are fitted on `real`, once per run
    geometric: metrics.GeometricSpace | None  # None for skeletons without SMPL-like limbs
    floor: FloorModel  # the training data's floor, leg length and planted-foot clearance

    @property
    def fps(self) -> float:
        return self.motions["test"][0].fps

    @property
    def skeleton(self):
        return self.motions["test"][0].skeleton


def protocol_name(protocol: str) -> str:
    """The BENCHMARK.md name of a protocol given as `video` or `mocap` (or its own name)."""
    by_name = {v: k for k, v in PROTOCOLS.items()}
    key = by_name.get(protocol, protocol)
    if key not in PROTOCOLS:
        raise ConfigError(f"unknown solo protocol {protocol!r}; use video (solo-v1) or mocap (solo-mocap-v1)")
    return key


def find_data(path: str | os.PathLike | None = None) -> Path:
    """solo-v1's duet: `path`, else ../shared/data/duet_ilya_hannah.npy from the working directory or the source."""
    return find_shared(VIDEO_DATA, path)


def video_split(path: str | os.PathLike | None = None) -> dict[str, list[Motion]]:
    """solo-v1: the shared duet, each dancer split by time 70 / 15 / 15 %."""
    import pasdeux

    split = time_split(pasdeux.load(find_data(path)), (0.70, 0.15, 0.15))
    return {k: [m] for k, m in split.items()}


def mocap_split(path: str | os.PathLike | None = None) -> dict[str, list[Motion]]:
    """solo-mocap-v1: each salsa take as a two-dancer motion at 30 fps, by the protocol's takes."""
    import pasdeux

    folder = find_shared(MOCAP_DATA, path)
    if not folder.is_dir():
        raise ConfigError(f"--data for the mocap protocol is the folder of salsa takes (60_NN.bvh, 61_NN.bvh); "
                          f"got {folder}")
    out: dict[str, list[Motion]] = {}
    for part, takes in MOCAP_TAKES.items():
        files = [[folder / f"{d}_{take}.bvh" for d in MOCAP_DANCERS] for take in takes]
        missing = [str(f) for pair in files for f in pair if not f.is_file()]
        if missing:
            raise ConfigError(f"the mocap protocol needs {', '.join(missing)}; pass --data with the salsa folder")
        out[part] = [pasdeux.load(a, pair=b).resample(FPS) for a, b in files]
    return out


def world_windows(motions: list[Motion], length: int, stride: int) -> np.ndarray:
    """Uncentred windows `[N, length, J, 3]` of every dancer of every motion (travel kept)."""
    parts = [windows(m.positions[d], length, stride) for m in motions for d in range(m.n_dancers)]
    return np.concatenate([p for p in parts if len(p)]).astype(np.float32)


def solo_data(protocol: str = "video", path: str | os.PathLike | None = None) -> SoloData:
    """Load a protocol's data and cut its split and windows."""
    key = protocol_name(protocol)
    motions = video_split(path) if key == "video" else mocap_split(path)
    fps, skeleton = motions["test"][0].fps, motions["test"][0].skeleton
    real = solo_windows(motions["test"], WINDOW, REAL_STRIDE)
    try:
        geometric = metrics.GeometricSpace.fit(real, skeleton, fps)
    except SkeletonError:
        geometric = None
    train_world = world_windows(motions["train"], WINDOW, TRAIN_STRIDE)
    return SoloData(PROTOCOLS[key], motions, solo_windows(motions["test"], WINDOW, TEST_STRIDE),
                    world_windows(motions["test"], WINDOW, TEST_STRIDE), real,
                    solo_windows(motions["train"], WINDOW, TRAIN_STRIDE), metrics.KineticSpace.fit(real, fps),
                    geometric, FloorModel.measure(train_world, skeleton, fps))


def real_floors(data: SoloData) -> dict[str, float]:
    """What real dance scores: the floors every model's numbers are read against."""
    out = {"fid_k_real": data.kinetic.fid(data.train, data.real), "diversity_real": data.kinetic.diversity(data.real),
           "bone_cv_real": metrics.bone_cv(data.test, data.skeleton),
           "mean_acceleration_real": metrics.mean_acceleration(data.test),
           "test_windows": len(data.test), "real_windows": len(data.real), "train_windows": len(data.train)}
    if data.geometric is not None:
        out["fid_g_real"] = data.geometric.fid(data.train, data.real)
    out["leg_length"] = data.floor.leg_length
    out.update({f"{k}_real": v for k, v in feet_scores(data.test_world, data.skeleton, data.fps, data.floor).items()})
    return out


def baselines(data: SoloData) -> dict[str, dict[str, float]]:
    """`mean_pose` (every frame the mean training pose) and `window_mean` (each window's own mean pose)."""
    train_frames = solo_windows(data.motions["train"], 1, 1)  # every centred training pose
    mean_pose = np.broadcast_to(train_frames.mean((0, 1)), data.test.shape)
    window_mean = np.broadcast_to(data.test.mean(1, keepdims=True), data.test.shape)
    return {name: {"recon_mse": metrics.recon_mse(pred, data.test),
                   "jitter_ratio_recon": metrics.jitter_ratio(pred, data.test)}
            for name, pred in (("mean_pose", mean_pose), ("window_mean", window_mean))}


def score_model(model: Any, data: SoloData, seed: int = 0) -> dict[str, float]:
    """Every solo metric of BENCHMARK.md for a trained model: reconstructions and sigma-0.5 variations of
    the test windows, and 256 prior samples against the real test windows at stride 2, feet included."""
    return validation_metrics(model, data.test, data.skeleton, data.fps, n_prior=N_PRIOR, seed=seed,
                              real=data.real, kinetic=data.kinetic, geometric=data.geometric, floor=data.floor)


def realtime_factor(model: Any, seconds: float = LONG_FORM_S, repeats: int = 5) -> float:
    """Seconds of motion generated per wall-clock second for one long-form solo (grounded feet included):
    the median of `repeats` generations, because one takes only tens of milliseconds and a single timing is
    mostly scheduler noise on a shared machine."""
    import torch

    from pasdeux.generate import long_form

    times = []
    with torch.no_grad(), generation_threads():
        long_form(model, seconds=2.0)  # warm-up: first-call allocations and kernel selection are not generation
        for k in range(repeats):
            start = time.perf_counter()
            long_form(model, seconds=seconds, seed=k)
            times.append(time.perf_counter() - start)
    return seconds / float(np.median(times))


def train_one(name: str, data: SoloData, budget_s: float, run_dir: Path, seed: int, progress: bool) -> Any:
    """Train model `name` with its shipped config for `budget_s` wall-clock seconds."""
    from pasdeux.config import load_config
    from pasdeux.training import train

    return train(load_config(name), data.motions["train"], data.motions["val"], budget_s=budget_s,
                 run_dir=run_dir, seed=seed, progress=progress)


def bench_solo(budget_s: float = 240.0, models: Sequence[str] = MODELS, out: str | os.PathLike | None = None,
               data_path: str | os.PathLike | None = None, runs: str | os.PathLike | None = None, seed: int = 0,
               progress: bool = False, log: Callable[[str], None] | None = None,
               protocol: str = "video") -> dict[str, Any]:
    """Run a solo protocol (`video` or `mocap`); returns (and writes to `out`) the BENCHMARK.md JSON object.

    While it runs it prints one line per step on stderr (or to `log`): the step, the time so far and about
    how long is left."""
    if budget_s <= 0:
        raise ConfigError(f"--budget-s must be positive; got {budget_s}")
    key, models = protocol_name(protocol), order_models(models)
    steps = [("data", 20.0 if key == "video" else 60.0)]
    for _ in models:
        steps += [("train", float(budget_s) + 15.0), ("score", None)]  # training adds set-up and the final scoring
    say = Progress(steps, log)
    say.step(f"loading the {PROTOCOLS[key]} data")
    data = solo_data(key, data_path)
    result: dict[str, Any] = {"protocol": data.protocol, "machine": machine(), "budget_s": float(budget_s),
                              "real": real_floors(data), "models": baselines(data)}
    say.log(f"real floors: {short(result['real'])}")
    seed_final = None
    with tempfile.TemporaryDirectory(prefix="pasdeux-bench-") as tmp:
        root = Path(runs) if runs is not None else Path(tmp)
        for k, name in enumerate(models):
            say.step(f"model {k + 1} of {len(models)} ({name}): training for {budget_s:g} s")
            res = train_one(name, data, budget_s, root / name, seed, progress)
            say.step(f"model {k + 1} of {len(models)} ({name}): scoring", SCORE_GUESS_S)
            scores = score_model(res.model, data, seed)
            scores["train_windows_per_s"] = float(res.train_windows_per_s)
            scores["gen_realtime_factor"] = realtime_factor(res.model)
            scores["gen_threads"] = GEN_THREADS
            if name == "seed":
                seed_final = final_val_recon(res.history)
            if seed_final is not None:
                scores["time_to_seed_quality_s"] = time_to_quality(res.history, seed_final)
            result["models"][name] = scores
            say.log(f"{name}: {short(scores)}")
    say.end(f"{data.protocol} done")
    if out is not None:
        write_json(result, Path(out))
    return result


def order_models(models: Sequence[str]) -> list[str]:
    """The seed first (the others are timed against its final quality), each model once."""
    names = list(dict.fromkeys(m.strip() for m in models if m.strip()))
    if not names:
        raise ConfigError("--models names no model; e.g. --models seed,pose,default")
    return sorted(names, key=lambda n: n != "seed")

"""Training pasdeux models with Lightning (the only module that uses it).

`train(config, train, val, ...)` fits a model on solo windows of the given motions and leaves a run
folder: `config.yaml` (resolved), `ckpt/last.ckpt` (every `train.checkpoint_every_steps` steps and at
the end) and `ckpt/best.ckpt` (by `train.monitor`), `logs/` (CSV and TensorBoard), `history.json`,
`loss_curves.png` and the exported best model in `model/`. Runs stop after a wall-clock budget or a
number of epochs, resume from `last.ckpt` (even after SIGKILL) and scale through DDP.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from torch.utils.data import DataLoader, Dataset

from pasdeux.data import augment, solo_windows, windows
from pasdeux.errors import ConfigError, ShapeError
from pasdeux.files import write_text_atomic
from pasdeux.metrics.validation import validation_metrics
from pasdeux.models import MotionModel, build_model
from pasdeux.motion import Motion

__all__ = ["TrainResult", "train", "load_config", "resume_point", "parse_overrides"]


@dataclass
class TrainResult:
    """What a training run produced: the best model (eval mode), its folder, history and throughput."""

    model: MotionModel
    run_dir: Path
    history: list[dict[str, Any]] = field(default_factory=list)
    train_windows_per_s: float = 0.0


# --- configs ----------------------------------------------------------------------------------
CONFIG_DIR = Path(__file__).resolve().parent / "configs"  # shipped inside the package
NAMED_CONFIGS = {"default": "solo.yaml", "solo": "solo.yaml", "seed": "seed.yaml", "pose": "pose.yaml"}
DEFAULTS: dict[str, dict[str, Any]] = {
    "model": {"name": "default"},  # other keys: the fields of the model's config dataclass
    "data": {"files": [], "stride": 1, "val_stride": 4, "augment_rotate": True, "augment_mirror": 0.5},
    "train": {"batch_size": 64, "budget_s": None, "epochs": 30, "monitor": "recon_mse", "monitor_mode": "min",
              "checkpoint_every_steps": 100, "val_every_steps": None, "log_every_steps": 10, "prior_samples": 64,
              "accelerator": "auto", "devices": "auto", "num_nodes": 1, "grad_clip": 1.0},
    "optim": {"lr": 1e-3, "weight_decay": 0.0, "scheduler": "none", "milestones": [], "gamma": 0.5},
}


def load_config(name_or_path: str | os.PathLike, overrides: dict[str, Any] | None = None) -> dict:
    """A full config from a recipe name (default, seed, pose) or a YAML file, with dotted-key overrides."""
    import yaml

    path = Path(CONFIG_DIR / NAMED_CONFIGS[str(name_or_path)]) if str(name_or_path) in NAMED_CONFIGS \
        else Path(name_or_path)
    if not path.is_file():
        raise ConfigError(f"no config {str(name_or_path)!r}: give a YAML file or one of {', '.join(NAMED_CONFIGS)}")
    try:
        given = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({e})") from None
    config = {section: dict(values) for section, values in DEFAULTS.items()}
    for section, values in _as_mapping(given, str(path)).items():
        for key, value in _as_mapping(values, f"{path} section {section!r}").items():
            _set(config, f"{section}.{key}", value)
    for key, value in (overrides or {}).items():
        _set(config, key, value)
    model_options(config)  # validates the model section now, not halfway through a run
    return config


def _as_mapping(x: Any, where: str) -> dict:
    if not isinstance(x, dict):
        raise ConfigError(f"{where}: expected a mapping of option names to values")
    return x


def _set(config: dict, dotted: str, value: Any) -> None:
    section, _, key = dotted.partition(".")
    if section not in DEFAULTS or not key:
        raise ConfigError(f"unknown config key {dotted!r}; keys look like SECTION.NAME with SECTION one of "
                          f"{', '.join(DEFAULTS)}")
    if section != "model" and key not in DEFAULTS[section]:
        raise ConfigError(f"unknown config key {dotted!r}; valid {section} keys: "
                          + ", ".join(f"{section}.{k}" for k in DEFAULTS[section]))
    config[section][key] = _number(value)


def _number(value: Any) -> Any:
    """YAML 1.1 reads `3e-4` (no dot) as a string; read such strings as the numbers users meant."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def model_options(config: dict) -> dict[str, Any]:
    """The model section without its name, completed with the model's defaults and checked."""
    from dataclasses import asdict

    from pasdeux.models import MODELS
    from pasdeux.models.base import make_config

    name = config["model"].get("name")
    if name not in MODELS:
        raise ConfigError(f"unknown model.name {name!r}; models are: {', '.join(MODELS)}")
    options = {k: v for k, v in config["model"].items() if k != "name"}
    try:
        return asdict(make_config(MODELS[name].config_class, options))
    except ConfigError as e:
        raise ConfigError(f"{e} (as model.KEY)") from None


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """`KEY=VALUE` strings to a dict; values are read as YAML (numbers, booleans, lists, null)."""
    import yaml

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override {item!r} is not KEY=VALUE (e.g. optim.lr=3e-4)")
        try:
            out[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            out[key.strip()] = value
    return out


def save_config(config: dict, path: Path) -> None:
    """Write the resolved config as YAML, whole or not at all."""
    import yaml

    write_text_atomic(path, yaml.safe_dump(config, sort_keys=False))


# --- data -------------------------------------------------------------------------------------
def solo_sequences(motions: list[Motion]) -> list[np.ndarray]:
    """Every dancer of every motion as its own uncentred sequence `[T, J, 3]`."""
    out = [m.positions[d] for m in motions for d in range(m.n_dancers)]
    for s in out:
        if np.isnan(s).any():
            raise ShapeError("training motion still has missing data; run pasdeux.data.fill_gaps() first")
    return out


class WindowDataset(Dataset):
    """Uncentred training windows `[T, J, 3]` at a stride over solo sequences (centring happens in the model)."""

    def __init__(self, sequences: list[np.ndarray], length: int, stride: int) -> None:
        parts = [w for w in (windows(s, length, stride) for s in sequences) if len(w)]
        if not parts:
            raise ShapeError(f"no training window of {length} frames fits in the data; use a shorter data.window")
        self.windows = np.ascontiguousarray(np.concatenate(parts))

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, i: int) -> np.ndarray:
        return self.windows[i]


class WholeSet(Dataset):
    """One item holding the whole validation set: metrics like fid_k need all windows at once, and
    under DDP each rank then scores the full set (the distributed sampler repeats the single item)."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def __len__(self) -> int:
        return 1

    def __getitem__(self, i: int) -> np.ndarray:
        return self.array


# --- the Lightning module ---------------------------------------------------------------------
class MotionTask(pl.LightningModule):
    """Optimises a `MotionModel` and scores it on validation windows after each validation pass."""

    def __init__(self, model: MotionModel, config: dict, train_sequences: list[np.ndarray], seed: int) -> None:
        super().__init__()
        self.model, self.config, self.seed = model, config, seed
        self.train_sequences = train_sequences
        self.history: list[dict[str, Any]] = []
        self.elapsed_offset = 0.0  # wall-clock seconds of earlier sessions of a resumed run
        self.fit_started = time.monotonic()  # set by `train` to its own start: preparing data counts too
        self.windows_seen, self.step_time = 0, 0.0

    def elapsed(self) -> float:
        return self.elapsed_offset + time.monotonic() - self.fit_started

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        d = self.config["data"]
        if d["augment_rotate"] or d["augment_mirror"] > 0:
            # Seeded by (seed, step, rank): the same run sees the same augmentations, also after resuming.
            rng = np.random.default_rng([self.seed, self.global_step, self.global_rank])
            aug = augment(batch.cpu().numpy(), self.model.skeleton, rng, d["augment_rotate"], d["augment_mirror"])
            batch = torch.as_tensor(aug, device=self.device)
        losses = self.model.loss(batch, self.global_step)
        self.log_dict({f"train_{k}": v.detach() for k, v in losses.items()}, prog_bar=False, on_step=True)
        self.log("loss", losses["loss"].detach(), prog_bar=True, logger=False)
        return losses["loss"]

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        self._t0 = time.perf_counter()

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        self.step_time += time.perf_counter() - self._t0
        self.windows_seen += len(batch)

    def validation_step(self, batch: torch.Tensor, batch_idx: int) -> None:
        scores = validation_metrics(self.model, batch.cpu().numpy(), n_prior=self.config["train"]["prior_samples"],
                                    train_sequences=self.train_sequences)
        self.model.train()
        self.log_dict({f"val_{k}": v for k, v in scores.items() if k != "recon_mse"})
        self.log("val_recon_mse", scores["recon_mse"], prog_bar=True)  # every rank scores the same full set
        if not (self.trainer.sanity_checking and self.history):  # the sanity pass scores step 0 of a fresh run
            self.history.append({"time_s": round(self.elapsed(), 3), "step": self.global_step,
                                 "epoch": self.current_epoch, **{f"val_{k}": v for k, v in scores.items()}})

    def configure_optimizers(self) -> Any:
        o = self.config["optim"]
        opt = torch.optim.AdamW(self.model.parameters(), lr=o["lr"], weight_decay=o["weight_decay"])
        if o["scheduler"] == "none":
            return opt
        if o["scheduler"] == "multistep":
            sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=list(o["milestones"]), gamma=o["gamma"])
        elif o["scheduler"] == "exponential":
            sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=o["gamma"])
        else:
            raise ConfigError(f"optim.scheduler must be none, multistep or exponential; got {o['scheduler']!r}")
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["pasdeux"] = {"history": self.history, "elapsed_s": self.elapsed(),
                                 "windows_seen": self.windows_seen, "step_time": self.step_time}

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        state = checkpoint.get("pasdeux", {})
        self.history = list(state.get("history", []))
        self.elapsed_offset = float(state.get("elapsed_s", 0.0))
        self.windows_seen, self.step_time = int(state.get("windows_seen", 0)), float(state.get("step_time", 0.0))


# --- the run ----------------------------------------------------------------------------------
def _trainer(config: dict, run_dir: Path, budget_s: float | None, epochs: int | None, progress: bool,
             devices: Any, num_nodes: int, extra: list) -> pl.Trainer:
    t = config["train"]
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    last = ModelCheckpoint(dirpath=run_dir / "ckpt", filename="last", every_n_train_steps=t["checkpoint_every_steps"],
                           save_top_k=1, enable_version_counter=False)
    best = ModelCheckpoint(dirpath=run_dir / "ckpt", filename="best", monitor=f"val_{t['monitor']}",
                           mode=t["monitor_mode"], save_top_k=1, enable_version_counter=False)
    multi = int(num_nodes) * (int(devices) if str(devices).isdigit() else 1) > 1
    val_every = t["val_every_steps"]
    session = f"version_{len(list((run_dir / 'logs').glob('version_*')))}"
    return pl.Trainer(
        accelerator=t["accelerator"], devices=devices, num_nodes=num_nodes,
        strategy="ddp" if multi else "auto",
        max_epochs=epochs if epochs is not None else -1,  # `train` leaves epochs unset only under a budget
        max_time={"seconds": budget_s} if budget_s is not None else None,
        val_check_interval=val_every, check_val_every_n_epoch=None if val_every else 1,
        num_sanity_val_steps=1, callbacks=[last, best, *extra], deterministic="warn",
        # A new logs/version_N per session, so resuming never overwrites the logs of the interrupted one.
        logger=[CSVLogger(run_dir, name="logs", version=session),
                TensorBoardLogger(run_dir, name="logs", version=session)],
        log_every_n_steps=t["log_every_steps"], enable_progress_bar=progress, enable_model_summary=False,
        gradient_clip_val=t["grad_clip"] or None, default_root_dir=run_dir,
    )


def train(config: dict, train: list[Motion], val: list[Motion], budget_s: float | None = None,
          epochs: int | None = None, run_dir: Path | None = None, seed: int = 0, progress: bool = True,
          resume_from: Path | None = None, devices: Any = None, num_nodes: int | None = None,
          callbacks: list | None = None) -> TrainResult:
    """Train the model the config names on solo windows of `train`, scoring on `val`; see the module doc.

    `resume_from` continues from a checkpoint (see `resume_point`); `callbacks` are extra Lightning callbacks.
    """
    config = load_config(config) if not isinstance(config, dict) else config
    d, t = config["data"], config["train"]
    budget_s = budget_s if budget_s is not None else t["budget_s"]
    epochs = epochs if epochs is not None else (None if budget_s is not None else t["epochs"])
    run_dir = Path(run_dir or Path("runs") / f"{config['model']['name']}-{time.strftime('%Y%m%d-%H%M%S')}")
    started = time.monotonic()
    pl.seed_everything(seed, workers=True, verbose=False)
    sequences = solo_sequences(train)
    skeleton, fps = train[0].skeleton, train[0].fps
    window = int(model_options(config)["window"])
    train_set = WindowDataset(sequences, window, d["stride"])
    val_windows = solo_windows(val, window, d["val_stride"], "frame")
    stats = MotionModel.fit_stats(train_set.windows, skeleton)
    model = build_model(config["model"]["name"], model_options(config), skeleton, stats, fps)
    model.prepare(train_set.windows[::max(1, len(train_set) // 4096)])  # same on every rank: deterministic
    task = MotionTask(model, config, sequences, seed)
    task.fit_started = started
    trainer = _trainer(config, run_dir, budget_s, epochs, progress, devices or t["devices"],
                       num_nodes or t["num_nodes"], callbacks or [])
    if trainer.is_global_zero:
        run_dir.mkdir(parents=True, exist_ok=True)
        save_config(config, run_dir / "config.yaml")
    loader = DataLoader(train_set, batch_size=t["batch_size"], shuffle=True, drop_last=True, num_workers=0,
                        generator=torch.Generator().manual_seed(seed))
    ckpt = str(resume_from) if resume_from is not None else None
    trainer.fit(task, loader, DataLoader(WholeSet(val_windows), batch_size=None), ckpt_path=ckpt, weights_only=True)
    trainer.save_checkpoint(run_dir / "ckpt" / "last.ckpt", weights_only=False)  # full state, for resuming
    if not trainer.is_global_zero:
        return TrainResult(model, run_dir, task.history, 0.0)
    return _finish(task, trainer, run_dir, sequences, val_windows, config)


def _finish(task: MotionTask, trainer: pl.Trainer, run_dir: Path, sequences: list[np.ndarray],
            val_windows: np.ndarray, config: dict) -> TrainResult:
    """Score the final weights, keep them or the best checkpoint, export `model/`, write history and plots."""
    model = task.model.cpu().eval()
    t = config["train"]
    final = validation_metrics(model, val_windows, n_prior=t["prior_samples"], train_sequences=sequences)
    task.history.append({"time_s": round(task.elapsed(), 3), "step": trainer.global_step,
                         "epoch": trainer.current_epoch, "final": True, **{f"val_{k}": v for k, v in final.items()}})
    best_path = run_dir / "ckpt" / "best.ckpt"
    sign = 1 if t["monitor_mode"] == "min" else -1
    best_score = trainer.checkpoint_callbacks[1].best_model_score if len(trainer.checkpoint_callbacks) > 1 else None
    if best_path.is_file() and best_score is not None and sign * float(best_score) < sign * final[t["monitor"]]:
        state = torch.load(best_path, map_location="cpu", weights_only=True)["state_dict"]
        task.load_state_dict(state)  # its prior was fitted to those weights when they were validated
    model.save_pretrained(run_dir / "model")
    rate = task.windows_seen / task.step_time if task.step_time > 0 else 0.0
    summary = {"history": task.history, "train_windows_per_s": rate, "steps": trainer.global_step}
    write_text_atomic(run_dir / "history.json", json.dumps(summary, indent=1))
    _plot_losses(run_dir)
    return TrainResult(model.eval(), run_dir, task.history, rate)


def resume_point(run_dir: str | os.PathLike) -> tuple[dict, Path]:
    """The resolved config and `last.ckpt` of an interrupted run, to pass to `train(..., resume_from=)`."""
    run_dir = Path(run_dir)
    last = run_dir / "ckpt" / "last.ckpt"
    if not last.is_file():
        raise ConfigError(f"{run_dir}: no checkpoint to resume from (expected {last})")
    return load_config(run_dir / "config.yaml"), last


def _plot_losses(run_dir: Path) -> None:
    """The loss-curve PNG of the run's latest logging session."""
    from pasdeux.viz.plots import plot_loss_curves

    sessions = sorted((run_dir / "logs").glob("version_*/metrics.csv"), key=lambda p: p.stat().st_mtime)
    if sessions:
        plot_loss_curves(sessions[-1], run_dir / "loss_curves.png")

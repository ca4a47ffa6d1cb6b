"""Training pasdeux models with Lightning (this package is the only place that uses it).

`train(config, train, val, ...)` fits a model on windows of the given motions, brought to the recipe's
frame rate (`data.fps`), and leaves a run folder (its layout: `pasdeux.runs`): the resolved config,
`train.log`, `status.json`, checkpoints (last every `train.checkpoint_every_steps` steps and at the end;
best by `train.monitor`), CSV and TensorBoard logs, `history.json`, `loss_curves.png` and the exported
best model. Runs keep to a wall-clock budget for the whole run (preparing, validating, fitting the prior and
saving included: stepping stops early enough, see `callbacks.Budget`) or stop after a number of epochs, or on
SIGTERM / Ctrl-C (the model is still exported), resume from the last checkpoint (even after SIGKILL)
and scale through DDP.
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
from torch.utils.data import DataLoader

from pasdeux.config import load_config, model_options, save_config
from pasdeux.data import solo_windows
from pasdeux.errors import ConfigError
from pasdeux.files import write_text_atomic
from pasdeux.models import MODELS, MotionModel, build_model
from pasdeux.motion import Motion
from pasdeux.runs import Run
from pasdeux.training.callbacks import (
    FINISH_MARGIN_S,
    FITTING,
    SAVING,
    SCORING,
    Budget,
    GracefulStop,
    RunStatus,
    TimeProgress,
    quiet_lightning,
)
from pasdeux.training.task import MotionTask, WholeSet, WindowDataset, model_sequences, sequence_windows
from pasdeux.validation import model_scores

__all__ = ["TrainResult", "train", "resume_point"]


@dataclass
class TrainResult:
    """What a training run produced: the best model (eval mode), its folder, history and throughput."""

    model: MotionModel
    run_dir: Path
    history: list[dict[str, Any]] = field(default_factory=list)
    train_windows_per_s: float = 0.0


# --- the run ----------------------------------------------------------------------------------
def _trainer(config: dict, run: Run, epochs: int | None, devices: Any, num_nodes: int, callbacks: list) -> pl.Trainer:
    t = config["train"]
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    last = ModelCheckpoint(dirpath=run.ckpt_dir, filename="last", every_n_train_steps=t["checkpoint_every_steps"],
                           save_top_k=1, enable_version_counter=False)
    best = ModelCheckpoint(dirpath=run.ckpt_dir, filename="best", monitor=f"val_{t['monitor']}",
                           mode=t["monitor_mode"], save_top_k=1, enable_version_counter=False)
    multi = int(num_nodes) * (int(devices) if str(devices).isdigit() else 1) > 1
    val_every = t["val_every_steps"]
    session = run.next_log_version()  # resuming never overwrites the logs of the interrupted session
    return pl.Trainer(
        accelerator=t["accelerator"], devices=devices, num_nodes=num_nodes,
        strategy="ddp" if multi else "auto",
        max_epochs=epochs if epochs is not None else -1,  # `train` leaves epochs unset only under a budget (Budget)
        val_check_interval=val_every, check_val_every_n_epoch=None if val_every else 1,
        num_sanity_val_steps=1, callbacks=[last, best, *callbacks], deterministic="warn",
        logger=[CSVLogger(run.path, name="logs", version=session),
                TensorBoardLogger(run.path, name="logs", version=session)],
        log_every_n_steps=t["log_every_steps"],
        enable_progress_bar=any(isinstance(c, TimeProgress) for c in callbacks), enable_model_summary=False,
        gradient_clip_val=t["grad_clip"] or None, default_root_dir=run.path,
    )


def at_model_rate(motions: list[Motion], fps: float) -> tuple[list[Motion], list[str]]:
    """The motions resampled (anti-aliased) to the model's frame rate, and a line for each one that was."""
    out, notes = [], []
    for m in motions:
        if abs(m.fps - fps) > 1e-6:
            notes.append(f"resampled {m.source or 'a motion'} from {m.fps:g} to {fps:g} fps (the model's rate)")
            m = m.resample(fps)
        out.append(m)
    return out, notes


def train(config: dict, train: list[Motion], val: list[Motion], budget_s: float | None = None,
          epochs: int | None = None, run_dir: Path | None = None, seed: int = 0, progress: bool = True,
          resume_from: Path | None = None, devices: Any = None, num_nodes: int | None = None,
          callbacks: list | None = None, say: Any = None) -> TrainResult:
    """Train the model the config names on windows of `train`, scoring on `val`; see the module doc.

    `resume_from` continues from a checkpoint (see `resume_point`); `callbacks` are extra Lightning callbacks;
    `say` receives each line of the run's log (default: stderr when `progress`).
    """
    quiet_lightning()
    config = load_config(config) if not isinstance(config, dict) else config
    d, t = config["data"], config["train"]
    budget_s = budget_s if budget_s is not None else t["budget_s"]
    epochs = epochs if epochs is not None else (None if budget_s is not None else t["epochs"])
    run = Run(run_dir or Path("runs") / f"{config['model']['name']}-{time.strftime('%Y%m%d-%H%M%S')}")
    started = time.monotonic()
    pl.seed_everything(seed, workers=True, verbose=False)
    fps = float(d["fps"])
    (train, train_notes), (val, _) = at_model_rate(train, fps), at_model_rate(val, fps)
    dancers = MODELS[config["model"]["name"]].dancers
    sequences = model_sequences(train, dancers)
    skeleton = train[0].skeleton
    window = int(model_options(config)["window"])
    train_set = WindowDataset(sequences, window, d["stride"])
    if dancers == 2:  # duet models are scored on uncentred pairs: the leader's own travel is part of the input
        val_windows = np.concatenate([sequence_windows(s, window, d["val_stride"]) for s in model_sequences(val, 2)])
    else:
        val_windows = solo_windows(val, window, d["val_stride"], "frame")
    stats = MotionModel.fit_stats(train_set.windows, skeleton)
    model = build_model(config["model"]["name"], model_options(config), skeleton, stats, fps)
    model.prepare(train_set.windows[::max(1, len(train_set) // 4096)])  # same on every rank: deterministic
    model.measure_floor(train_set.windows[::max(1, len(train_set) // 4096)])  # what generation grounds on
    task = MotionTask(model, config, sequences, seed)
    task.fit_started = started
    status, stop = RunStatus(run, budget_s, task.elapsed), GracefulStop()
    shown = TimeProgress(config["model"]["name"], budget_s, task.elapsed) if progress else None
    extra = [status, stop] + ([Budget(budget_s, task.elapsed)] if budget_s is not None else []) + \
        ([shown] if shown else [])
    trainer = _trainer(config, run, epochs, devices or t["devices"], num_nodes or t["num_nodes"],
                       extra + list(callbacks or []))

    def phase(name: str) -> None:  # what the run does now that it does not step, for the page and the line
        status.set_phase(trainer, name)
        if shown is not None:
            shown.set_phase(trainer, name)

    log = _RunLog(run, say if say is not None else (_stderr if progress else None), trainer.is_global_zero)
    if trainer.is_global_zero:
        run.path.mkdir(parents=True, exist_ok=True)
        save_config(config, run.config_file)
    for line in [*train_notes, f"{len(train_set)} training windows of {window} frames ({window / fps:.2f} s at "
                 f"{fps:g} fps), {len(val_windows)} validation windows; skeleton {skeleton.name!r} "
                 f"({skeleton.n_joints} joints)", _limit(budget_s, epochs)]:
        log(line)
    loader = DataLoader(train_set, batch_size=t["batch_size"], shuffle=True, drop_last=True, num_workers=0,
                        generator=torch.Generator().manual_seed(seed))
    ckpt = str(resume_from) if resume_from is not None else None
    trainer.fit(task, loader, DataLoader(WholeSet(val_windows), batch_size=None), ckpt_path=ckpt, weights_only=True)
    phase(SAVING)
    trainer.save_checkpoint(run.last_checkpoint, weights_only=False)  # full state, for resuming
    if not trainer.is_global_zero:
        return TrainResult(model, run.path, task.history, 0.0)
    result = _finish(task, trainer, run, sequences, val_windows, config, phase)
    status.phase = ""
    status.write(trainer, "stopped" if stop.requested else "done")
    if shown is not None:
        shown.done(trainer)
    last = result.history[-1] if result.history else {}
    if budget_s is not None and task.elapsed() > budget_s + FINISH_MARGIN_S:
        log(f"the budget of {budget_s:g} s is shorter than preparing, validating once, one step and finishing take "
            f"here ({task.elapsed():.0f} s); give a longer budget for a trained model")
    log(f"{'stopped on request' if stop.requested else 'finished'} at step {trainer.global_step} after "
        f"{task.elapsed():.0f} s: val_recon_mse {last.get('val_recon_mse', float('nan')):.5g}, "
        f"{result.train_windows_per_s:.0f} training windows/s; model in {run.model_dir}")
    return result


def _limit(budget_s: float | None, epochs: int | None) -> str:
    if budget_s is None:
        return f"stops after {epochs} epochs"
    return (f"keeps to {budget_s:g} s of wall-clock time, validating, fitting the prior and saving included (it "
            "stops stepping early enough to finish in time)")


def _stderr(line: str) -> None:
    import sys

    print(line, file=sys.stderr, flush=True)


class _RunLog:
    """Lines for a person: appended to RUN/train.log and passed to `say`."""

    def __init__(self, run: Run, say: Any, writer: bool) -> None:
        self.run, self.say, self.writer = run, say, writer

    def __call__(self, line: str) -> None:
        if not self.writer:
            return
        with open(self.run.log_file, "a", encoding="utf-8") as f:
            f.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")
        if self.say is not None:
            self.say(line)


def _finish(task: MotionTask, trainer: pl.Trainer, run: Run, sequences: list[np.ndarray],
            val_windows: np.ndarray, config: dict, phase: Any = lambda name: None) -> TrainResult:
    """Score the final weights, keep them or the best checkpoint, export `model/`, write history and plots;
    `phase(words)` is told what it is doing."""
    model = task.model.cpu().eval()
    t = config["train"]
    phase(FITTING)
    model.fit_prior(sequences)
    phase(SCORING)
    final = model_scores(model, val_windows, n_prior=t["prior_samples"])
    task.history.append({"time_s": round(task.elapsed(), 3), "step": trainer.global_step,
                         "epoch": trainer.current_epoch, "final": True, **{f"val_{k}": v for k, v in final.items()}})
    sign = 1 if t["monitor_mode"] == "min" else -1
    best_score = trainer.checkpoint_callbacks[1].best_model_score if len(trainer.checkpoint_callbacks) > 1 else None
    better = best_score is not None and sign * float(best_score) < sign * final[t["monitor"]]
    if run.best_checkpoint.is_file() and better:
        state = torch.load(run.best_checkpoint, map_location="cpu", weights_only=True)["state_dict"]
        task.load_state_dict(state)  # its prior was fitted to those weights when they were validated
    phase(SAVING)
    model.save_pretrained(run.model_dir)
    rate = task.windows_seen / task.step_time if task.step_time > 0 else 0.0
    summary = {"history": task.history, "train_windows_per_s": rate, "steps": trainer.global_step}
    write_text_atomic(run.history_file, json.dumps(summary, indent=1))
    _plot_losses(run)
    return TrainResult(model.eval(), run.path, task.history, rate)


def resume_point(run_dir: str | os.PathLike) -> tuple[dict, Path]:
    """The resolved config and last checkpoint of an interrupted run, to pass to `train(..., resume_from=)`."""
    run = Run(run_dir)
    if not run.last_checkpoint.is_file():
        raise ConfigError(f"{run.path}: no checkpoint to resume from (expected {run.last_checkpoint})")
    return load_config(run.config_file), run.last_checkpoint


def _plot_losses(run: Run) -> None:
    """The loss-curve PNG of the run's latest logging session."""
    from pasdeux.viz.plots import plot_loss_curves

    metrics = run.metrics_csv()
    if metrics is not None:
        plot_loss_curves(metrics, run.loss_curves)

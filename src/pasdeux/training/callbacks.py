"""What a person (or the studio) sees of a run while it trains: a progress line in time, `status.json`, what
the run is doing when it is not stepping (validating, fitting the prior, saving), the wall-clock budget kept
for the whole run, a graceful stop on SIGTERM / Ctrl-C, and Lightning without its advertising and known-noise
warnings."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.callbacks import Callback, ProgressBar

from pasdeux.runs import Run

STATUS_EVERY_S = 2.0  # how often status.json is rewritten while training
FINISH_MARGIN_S = 3.0  # saving the model, the checkpoint and the loss-curve picture after the final scoring
# Phases a run reports while it is not stepping (the page and the progress line show them as they are).
VALIDATING = "validating (fitting the prior and scoring)"
FITTING, SCORING, SAVING = "fitting the prior and calibrating", "scoring the final model", "saving the model"
_NOISE = ("💡 Tip", "TPU available", "HPU available", "GPU available: False", "Time limit reached",
          "`Trainer.fit` stopped")  # a GPU that is there and used is still said


def quiet_lightning() -> None:
    """Drop Lightning's upsell tips and warnings that say nothing about the user's run (idempotent)."""
    log = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    if not any(isinstance(f, _DropNoise) for f in log.filters):
        log.addFilter(_DropNoise())
    for pattern in (r".*isinstance\(treespec, LeafSpec\)", r"The number of training batches .* logging interval",
                    r".*does not have many workers", r"Checkpoint directory .* exists and is not empty"):
        warnings.filterwarnings("ignore", message=pattern)


class _DropNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith(_NOISE)


def _clock(seconds: float) -> str:
    m, s = divmod(int(round(max(seconds, 0))), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}" if m >= 60 else f"{m}:{s:02d}"


class TimeProgress(ProgressBar):
    """One line, rewritten in place: elapsed and remaining time (or epochs), step, loss and validation."""

    def __init__(self, name: str, budget_s: float | None, elapsed: Callable[[], float], stream=None) -> None:
        super().__init__()
        self.name, self.budget_s, self.elapsed, self.stream = name, budget_s, elapsed, stream or sys.stderr
        self._enabled, self._last = True, 0.0
        self.phase = ""  # what the run does when it is not stepping

    def set_phase(self, trainer: pl.Trainer, phase: str) -> None:
        """Say what the run is doing now (empty: stepping)."""
        self.phase = phase
        self._show(trainer)

    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    def _line(self, trainer: pl.Trainer) -> str:
        t = self.elapsed()
        if self.budget_s is not None:
            span = f"{_clock(t)} of {_clock(self.budget_s)} ({_clock(self.budget_s - t)} left)"
        else:
            span = f"epoch {trainer.current_epoch + 1}/{trainer.max_epochs}, {_clock(t)}"
        metrics = trainer.progress_bar_metrics
        parts = [f"training {self.name}", *([self.phase] if self.phase else []), span, f"step {trainer.global_step}"]
        parts += [f"{k} {float(metrics[k]):.4g}" for k in ("loss", "val_recon_mse") if k in metrics]
        return " | ".join(parts)

    def _show(self, trainer: pl.Trainer, end: str = "") -> None:
        if self._enabled and trainer.is_global_zero:
            print("\r" + self._line(trainer).ljust(100), end=end, file=self.stream, flush=True)

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if time.monotonic() - self._last > 0.5:
            self._last = time.monotonic()
            self._show(trainer)

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.set_phase(trainer, VALIDATING)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.phase = ""

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._show(trainer)

    def done(self, trainer: pl.Trainer) -> None:
        """The last line, kept on screen."""
        self.phase = ""
        self._show(trainer, end="\n")


class RunStatus(Callback):
    """Keeps `status.json` of the run current (the studio and scripts watch it)."""

    def __init__(self, run: Run, budget_s: float | None, elapsed: Callable[[], float]) -> None:
        self.run, self.budget_s, self.elapsed = run, budget_s, elapsed
        self._last = 0.0
        self.phase = ""  # what the run does when it is not stepping

    def write(self, trainer: pl.Trainer, state: str, **extra: Any) -> None:
        if not trainer.is_global_zero:
            return
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if getattr(v, "numel", lambda: 1)() == 1}
        phase = {"phase": self.phase} if self.phase and state == "running" else {}
        self.run.write_status(state, step=trainer.global_step, epoch=trainer.current_epoch,
                              elapsed_s=round(self.elapsed(), 2), budget_s=self.budget_s, metrics=metrics,
                              **phase, **extra)

    def set_phase(self, trainer: pl.Trainer, phase: str) -> None:
        """Say what the run is doing now (empty: stepping), at once."""
        self.phase = phase
        self.write(trainer, "running")

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.write(trainer, "running")

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.sanity_checking:
            self.set_phase(trainer, VALIDATING)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.sanity_checking:
            self.set_phase(trainer, "")

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if time.monotonic() - self._last > STATUS_EVERY_S:
            self._last = time.monotonic()
            self.write(trainer, "running")

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        self.write(trainer, "failed", error=f"{type(exception).__name__}: {exception}")


class Budget(Callback):
    """Keeps a wall-clock budget for the whole run: stepping stops while what is left is what one more validation
    and the finish (fitting the prior, the final scoring, saving) take. Both are as long as a validation pass
    (it fits the prior and scores, as the finish does), measured on the sanity pass before the first step and on
    every pass after."""

    def __init__(self, budget_s: float, elapsed: Callable[[], float], margin_s: float = FINISH_MARGIN_S) -> None:
        self.budget_s, self.elapsed, self.margin_s = float(budget_s), elapsed, margin_s
        self.validation_s, self.step_s = 0.0, 0.0
        self._val_started = self._step_started = None

    def reserve(self) -> float:
        """Seconds kept back from stepping: a validation that may still come, the finish, the next step."""
        return 2.2 * self.validation_s + self.step_s + self.margin_s

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._val_started = time.monotonic()

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._val_started is not None:
            self.validation_s = max(self.validation_s, time.monotonic() - self._val_started)

    def on_train_batch_start(self, trainer: pl.Trainer, *args: Any) -> None:
        self._step_started = time.monotonic()

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if self._step_started is not None:
            self.step_s = max(0.9 * self.step_s, time.monotonic() - self._step_started)
        stop = self.elapsed() + self.reserve() >= self.budget_s
        if trainer.strategy.broadcast(stop):  # every process stops at the same step (rank 0's clock decides)
            trainer.should_stop = True

    # At least one step is taken: a budget shorter than preparing, a step and finishing overruns by that much (the
    # run's log says so) rather than exporting an untrained model.


class GracefulStop(Callback):
    """The first SIGTERM or Ctrl-C ends training after the current step, so the run still exports its model
    and can be resumed; a second one interrupts at once."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Any] = {}

    def _handler(self, signum: int, frame: Any) -> None:
        if self.requested:
            signal.signal(signum, self._previous.get(signum, signal.SIG_DFL))
            raise KeyboardInterrupt
        self.requested = True

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # Installed here, after Lightning has set its own SIGTERM handler (which would abort the run).
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._previous[sig] = signal.signal(sig, self._handler)

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if self.requested:
            trainer.should_stop = True

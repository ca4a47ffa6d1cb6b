"""The layout of a training run folder, known here and nowhere else.

    RUN/config.yaml          the resolved recipe
    RUN/train.log            what training did, for a person (data, resampling, windows, the result)
    RUN/status.json          state (running, done, failed, stopped), step, elapsed and budget, latest losses
    RUN/ckpt/last.ckpt       full training state, to resume from (also after SIGKILL)
    RUN/ckpt/best.ckpt       the best weights by train.monitor
    RUN/logs/version_N/      one CSV + TensorBoard log per training session
    RUN/history.json         validation history and throughput, written at the end
    RUN/loss_curves.png      the curves of the latest session
    RUN/model/               the exported model (config.json, model.safetensors, stats, skeleton)

Reading a run needs neither Lightning nor torch, so a web app or a script can watch one cheaply.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pasdeux.errors import FormatError
from pasdeux.files import write_text_atomic

# A model folder (RUN/model, or any folder `save_pretrained` wrote): these four files.
MODEL_CONFIG, MODEL_WEIGHTS, MODEL_STATS, MODEL_SKELETON = "config.json", "model.safetensors", "stats.json", \
    "skeleton.json"
STATES = ("running", "done", "failed", "stopped")


@dataclass(frozen=True)
class Run:
    """A training run folder (it need not exist yet)."""

    path: Path

    def __init__(self, path: str | os.PathLike) -> None:
        object.__setattr__(self, "path", Path(path))

    config_file = property(lambda self: self.path / "config.yaml")
    status_file = property(lambda self: self.path / "status.json")
    log_file = property(lambda self: self.path / "train.log")
    ckpt_dir = property(lambda self: self.path / "ckpt")
    last_checkpoint = property(lambda self: self.path / "ckpt" / "last.ckpt")
    best_checkpoint = property(lambda self: self.path / "ckpt" / "best.ckpt")
    logs_dir = property(lambda self: self.path / "logs")
    history_file = property(lambda self: self.path / "history.json")
    loss_curves = property(lambda self: self.path / "loss_curves.png")
    model_dir = property(lambda self: self.path / "model")

    def is_run(self) -> bool:
        """Whether the folder holds a training run (its resolved config is there)."""
        return self.config_file.is_file()

    def has_model(self) -> bool:
        return (self.model_dir / MODEL_WEIGHTS).is_file()

    def config(self) -> dict:
        """The run's resolved recipe."""
        from pasdeux.config import load_config

        return load_config(self.config_file)

    def next_log_version(self) -> str:
        """The name of a new logging session (`version_N`), so resuming never overwrites older logs."""
        return f"version_{len(list(self.logs_dir.glob('version_*')))}"

    def metrics_csv(self) -> Path | None:
        """The CSV log of the latest logging session, if any."""
        sessions = sorted(self.logs_dir.glob("version_*/metrics.csv"), key=lambda p: p.stat().st_mtime)
        return sessions[-1] if sessions else None

    def status(self) -> dict[str, Any] | None:
        """The last status training wrote, or None before the first."""
        return _read_json(self.status_file)

    def history(self) -> dict[str, Any] | None:
        """The validation history written at the end of training, or None before."""
        return _read_json(self.history_file)

    def write_status(self, state: str, **fields: Any) -> None:
        """Record the run's state and progress (whole or not at all)."""
        if state not in STATES:
            raise ValueError(f"state must be one of {STATES}")
        write_text_atomic(self.status_file, json.dumps({"state": state, "updated": time.time(), **fields}))


def model_folder(path: str | os.PathLike) -> Path | None:
    """The model folder a path names: itself, or a run's `model/`; None if neither holds a model."""
    path = Path(path)
    for candidate in (path, Run(path).model_dir):
        if (candidate / MODEL_WEIGHTS).is_file():
            return candidate
    return None


def _read_json(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise FormatError(f"{path}: unreadable ({e})") from None
    return data if isinstance(data, dict) else None

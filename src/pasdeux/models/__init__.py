"""pasdeux motion models: `seed` (the original LSTM-VAE), `pose` (single-pose VAE), `default`
(temporal-convolution VAE with a latent sequence) and `duet` (a partner that answers a leader). Build
one with `build_model`, load a trained one (run folder or model folder) with `load_model`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pasdeux.data import NormStats
from pasdeux.errors import ConfigError, FormatError
from pasdeux.models.base import MotionModel, make_config
from pasdeux.models.duet import DuetConfig, DuetVAE
from pasdeux.models.pose import PoseConfig, PoseVAE
from pasdeux.models.seed import SeedConfig, SeedVAE
from pasdeux.models.sequence import SequenceConfig, SequenceVAE
from pasdeux.motion import Skeleton

MODELS: dict[str, type[MotionModel]] = {m.name: m for m in (SeedVAE, PoseVAE, SequenceVAE, DuetVAE)}

__all__ = ["MODELS", "MotionModel", "build_model", "load_model", "SeedVAE", "SeedConfig", "PoseVAE", "PoseConfig",
           "SequenceVAE", "SequenceConfig", "DuetVAE", "DuetConfig"]


def build_model(name: str, options: dict[str, Any], skeleton: Skeleton, stats: NormStats,
                fps: float = 30.0) -> MotionModel:
    """A fresh model of family `name` with config `options` (unknown keys raise ConfigError)."""
    if name not in MODELS:
        raise ConfigError(f"unknown model {name!r}; models are: {', '.join(MODELS)}")
    cls = MODELS[name]
    return cls(make_config(cls.config_class, dict(options)), skeleton, stats, fps)


def load_model(path: str | os.PathLike) -> MotionModel:
    """Load a trained model from a model folder or a training run folder (its `model/`)."""
    from pasdeux.runs import MODEL_WEIGHTS, Run, model_folder

    path = Path(path)
    folder = model_folder(path)
    if folder is not None:
        return MotionModel.from_pretrained(folder)
    if not path.exists():
        raise FormatError(f"{path}: no such run or model folder")
    raise FormatError(f"{path}: holds no trained model (expected {MODEL_WEIGHTS} here or in {Run(path).model_dir}); "
                      "train one with `pasdeux train` first")

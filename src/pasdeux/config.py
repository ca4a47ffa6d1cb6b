"""Training recipes: the YAML files in `configs/`, their defaults, and `KEY=VALUE` overrides.

Reading a recipe needs neither Lightning nor a model in memory (the studio lists and checks recipes
in its own process); the model section is checked against the model's config dataclass.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pasdeux.errors import ConfigError
from pasdeux.files import write_text_atomic

CONFIG_DIR = Path(__file__).resolve().parent / "configs"  # shipped inside the package
NAMED_CONFIGS = {"default": "solo.yaml", "solo": "solo.yaml", "seed": "seed.yaml", "pose": "pose.yaml",
                 "duet": "duet.yaml"}
DEFAULTS: dict[str, dict[str, Any]] = {
    "model": {"name": "default"},  # other keys: the fields of the model's config dataclass
    # fps: the model's frame rate; training data at another rate are resampled to it.
    "data": {"files": [], "fps": 30.0, "stride": 1, "val_stride": 4, "augment_rotate": True, "augment_mirror": 0.5},
    "train": {"batch_size": 64, "budget_s": None, "epochs": 30, "monitor": "recon_mse", "monitor_mode": "min",
              "checkpoint_every_steps": 100, "val_every_steps": None, "log_every_steps": 10, "prior_samples": 64,
              "accelerator": "auto", "devices": "auto", "num_nodes": 1, "grad_clip": 1.0},
    "optim": {"lr": 1e-3, "weight_decay": 0.0, "scheduler": "none", "milestones": [], "gamma": 0.5},
}


def recipe_names() -> list[str]:
    """The names `load_config` takes besides file paths."""
    return list(NAMED_CONFIGS)


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
    _check_fps(config["data"]["fps"])
    return config


def _check_fps(fps: Any) -> None:
    if not isinstance(fps, int | float) or isinstance(fps, bool) or not 0 < fps <= 1000:
        raise ConfigError(f"data.fps must be the model's frame rate in frames per second (e.g. 30); got {fps!r}")


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


def save_config(config: dict, path: Path) -> Path:
    """Write the resolved config as YAML, whole or not at all."""
    import yaml

    return write_text_atomic(path, yaml.safe_dump(config, sort_keys=False))

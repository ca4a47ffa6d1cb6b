"""Reading recipes and training-run folders as plain YAML/JSON/CSV files, without Lightning or a model.

The studio lists runs, shows their progress and draws their loss curves from what training leaves on
disk: `config.yaml`, `history.json`, `status.json`, `logs/version_*/metrics.csv`, `model/`.
"""

from __future__ import annotations

import csv
import json
import math
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

# Recipe names `pasdeux train --config` accepts, and their files in the package.
RECIPES = {"default": "solo.yaml", "seed": "seed.yaml", "pose": "pose.yaml"}
LOG_FILE = "studio.log"  # what the studio's training process printed (stdout and stderr)
MAX_POINTS = 2000  # loss-curve points sent to the page per series


def recipes() -> list[dict]:
    """The named recipes with their YAML text."""
    folder = resources.files("pasdeux").joinpath("configs")
    out = []
    for name, file in RECIPES.items():
        text = folder.joinpath(file).read_text("utf-8")
        out.append({"name": name, "text": text, "model": _yaml(text).get("model", {}).get("name")})
    return out


def has_model(path: Path) -> bool:
    """Whether `path` is a model folder or a run folder with an exported model."""
    return (path / "model.safetensors").is_file() or (path / "model" / "model.safetensors").is_file()


def is_run_or_model(path: Path) -> bool:
    """Whether `path` is a trained model, a training run, or a run the studio has started."""
    if has_model(path):
        return True
    return any((path / f).exists() for f in ("config.yaml", "status.json", "history.json", LOG_FILE))


def model_dir(path: Path) -> Path | None:
    """The folder holding model.safetensors: `path` itself or its model/."""
    for candidate in (path, path / "model"):
        if (candidate / "model.safetensors").is_file():
            return candidate
    return None


def summary(path: Path, rel: str) -> dict:
    """A run or model folder as the library lists it: kind, model family, skeleton, window, state."""
    entry: dict[str, Any] = {"path": rel, "name": path.name, "kind": "run" if (path / "config.yaml").exists()
                             or (path / LOG_FILE).exists() else "model", "trained": has_model(path)}
    folder = model_dir(path)
    if folder is not None:
        meta = _json(folder / "config.json")
        skeleton = _json(folder / "skeleton.json")
        cfg = meta.get("config", {}) if isinstance(meta.get("config"), dict) else {}
        entry.update(family=meta.get("model"), fps=meta.get("fps"), window=cfg.get("window"),
                     skeleton=skeleton.get("name"), joints=len(skeleton.get("joints") or []) or None)
    config = run_config(path)
    if config:
        entry.setdefault("family", config.get("model", {}).get("name"))
        entry["data"] = list(config.get("data", {}).get("files") or [])
    entry["status"] = status(path)
    return entry


def run_config(path: Path) -> dict:
    """The resolved config.yaml of a run ({} when there is none yet)."""
    f = path / "config.yaml"
    return _yaml(f.read_text("utf-8")) if f.is_file() else {}


def status(path: Path) -> dict:
    """Progress of a run from its files: status.json when training writes one, else history and logs."""
    written = _json(path / "status.json")
    if written.get("state"):
        return written
    history = _json(path / "history.json")
    if history.get("history"):
        last = history["history"][-1]
        return {"state": "done" if has_model(path) else "unknown", "step": history.get("steps", last.get("step")),
                "elapsed_s": last.get("time_s")}
    rows = [r for r in _metric_rows(path) if _num(r.get("step")) is not None]
    if rows:
        return {"state": "unknown", "step": int(max(_num(r["step"]) for r in rows))}
    return {"state": "done" if has_model(path) else "unknown"}


def losses(path: Path) -> dict:
    """Loss-curve series `[[step, value], ...]`: training loss and validation recon_mse."""
    train, val = [], []
    for r in _metric_rows(path):
        step = _num(r.get("step"))
        if step is None:
            continue
        if (v := _num(r.get("train_loss"))) is not None:
            train.append([step, v])
        if (v := _num(r.get("val_recon_mse"))) is not None:
            val.append([step, v])
    status_losses = _json(path / "status.json").get("losses") or {}
    return {"train": _thin(train), "val": _thin(val), "latest": status_losses}


def checkpoint(path: Path) -> Path | None:
    """The checkpoint a run resumes from, if it has one."""
    last = path / "ckpt" / "last.ckpt"
    return last if last.is_file() else None


def log_tail(path: Path, lines: int = 40) -> str:
    """The last lines the studio's training process printed."""
    f = path / LOG_FILE
    if not f.is_file():
        return ""
    with open(f, "rb") as fh:
        fh.seek(max(0, f.stat().st_size - 65536))
        text = fh.read().decode("utf-8", "replace")
    return "\n".join(text.replace("\r", "\n").splitlines()[-lines:])


def _metric_rows(path: Path) -> list[dict]:
    rows: list[dict] = []
    for f in sorted((path / "logs").glob("version_*/metrics.csv"), key=lambda p: _version(p.parent.name)):
        try:
            with open(f, newline="", encoding="utf-8") as fh:
                rows.extend(csv.DictReader(fh))
        except (OSError, csv.Error, UnicodeDecodeError):
            continue  # a log being written may be cut mid-line; the next poll reads it whole
    return rows


def _version(name: str) -> int:
    tail = name.rpartition("_")[2]
    return int(tail) if tail.isdigit() else 0


def _num(text: Any) -> float | None:
    try:
        v = float(text)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _thin(points: list[list[float]]) -> list[list[float]]:
    if len(points) <= MAX_POINTS:
        return points
    step = math.ceil(len(points) / MAX_POINTS)
    return points[::step] + [points[-1]]


def _json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _yaml(text: str) -> dict:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}

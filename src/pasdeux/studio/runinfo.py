"""Recipes and training-run folders as the studio shows them, read through `pasdeux.config` (the recipe files)
and `pasdeux.runs` (the run-folder layout) without Lightning, torch or a model in the app process."""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path
from typing import Any

import yaml

from pasdeux.config import CONFIG_DIR, NAMED_CONFIGS
from pasdeux.errors import FormatError
from pasdeux.runs import MODEL_CONFIG, MODEL_SKELETON, Run, model_folder

MAX_LINK_SCAN = 20_000  # entries of a run folder looked at for links out (a run holds a few hundred)
LOG_FILE = "studio.log"  # what the studio's training process printed (stdout and stderr): errors before a run starts
MAX_POINTS = 2000  # loss-curve points sent to the page per series


def recipes() -> list[dict]:
    """The named recipes (one name per recipe file) with their YAML text."""
    out, seen = [], set()
    for name, file in NAMED_CONFIGS.items():
        if file in seen:  # "solo" is another name of "default"
            continue
        seen.add(file)
        text = (CONFIG_DIR / file).read_text("utf-8")
        out.append({"name": name, "text": text, "model": _yaml(text).get("model", {}).get("name")})
    return out


def links_out(folder: Path) -> list[str]:
    """The links inside a folder (at any depth) that point out of it, as paths relative to it; too many entries to
    look at counts as one (the folder is then refused whole, as with a link out)."""
    real = os.path.realpath(folder) + os.sep
    out, looked = [], 0
    for parent, dirs, files in os.walk(folder):  # does not descend through links: each is judged where it is
        for name in dirs + files:
            looked += 1
            path = os.path.join(parent, name)
            if looked > MAX_LINK_SCAN:
                return [f"more than {MAX_LINK_SCAN} entries"]
            if os.path.islink(path) and not (os.path.realpath(path) + os.sep).startswith(real):
                out.append(os.path.relpath(path, folder))
    return sorted(out)


def has_model(path: Path) -> bool:
    """Whether `path` is a model folder or a run folder with an exported model."""
    return model_folder(path) is not None


def is_run_or_model(path: Path) -> bool:
    """Whether `path` is a trained model, a training run, or a run the studio has started."""
    run = Run(path)
    return has_model(path) or run.is_run() or run.status_file.is_file() or (path / LOG_FILE).is_file()


def summary(path: Path, rel: str) -> dict:
    """A run or model folder as the library lists it: kind, model family, skeleton, window, state."""
    run = Run(path)
    is_run = run.is_run() or (path / LOG_FILE).is_file()
    entry: dict[str, Any] = {"path": rel, "name": path.name, "kind": "run" if is_run else "model",
                             "trained": has_model(path)}
    if links_out(path):  # nothing is read through them, not even for the listing
        return {**entry, "trained": False, "status": {"state": "refused", "message": "holds links that point out "
                                                      "of it; replace them with the files themselves"}}
    folder = model_folder(path)
    if folder is not None:
        meta, skeleton = _json(folder / MODEL_CONFIG), _json(folder / MODEL_SKELETON)
        cfg = meta.get("config", {}) if isinstance(meta.get("config"), dict) else {}
        entry.update(family=meta.get("model"), fps=meta.get("fps"), window=cfg.get("window"),
                     skeleton=skeleton.get("name"), joints=len(skeleton.get("joints") or []) or None)
    config = run_config(path)
    if config:
        entry.setdefault("family", config.get("model", {}).get("name"))
        entry["data"] = list(config.get("data", {}).get("files") or [])
    entry["status"] = status(path)
    return entry


def model_family(path: Path) -> str | None:
    """The model family (default, seed, pose, duet...) of a trained model or run folder."""
    folder = model_folder(path)
    return _json(folder / MODEL_CONFIG).get("model") if folder is not None else None


def run_config(path: Path) -> dict:
    """The resolved config.yaml of a run as written ({} when there is none yet)."""
    f = Run(path).config_file
    return _yaml(f.read_text("utf-8")) if f.is_file() else {}


def status(path: Path) -> dict:
    """Progress of a run from its files: the status.json training writes, else what it left at the end."""
    run = Run(path)
    try:
        written, history = run.status() or {}, run.history() or {}
    except FormatError:
        written, history = {}, {}  # caught mid-write: the next poll reads it whole
    if written.get("state"):
        return written
    if history.get("history"):
        last = history["history"][-1]
        return {"state": "done" if has_model(path) else "unknown", "step": history.get("steps", last.get("step")),
                "elapsed_s": last.get("time_s")}
    return {"state": "done" if has_model(path) else "unknown"}


def losses(path: Path) -> dict:
    """Loss-curve series `[[step, value], ...]` over every logging session: training loss, validation recon_mse."""
    train, val = [], []
    for r in _metric_rows(Run(path)):
        step = _num(r.get("step"))
        if step is None:
            continue
        if (v := _num(r.get("train_loss"))) is not None:
            train.append([step, v])
        if (v := _num(r.get("val_recon_mse"))) is not None:
            val.append([step, v])
    return {"train": _thin(train), "val": _thin(val)}


def checkpoint(path: Path) -> Path | None:
    """The checkpoint a run resumes from, if it has one."""
    last = Run(path).last_checkpoint
    return last if last.is_file() else None


def loss_curves(path: Path) -> Path:
    """Where a run's loss-curve PNG is."""
    return Run(path).loss_curves


def log_tail(path: Path, lines: int = 40, name: str | None = None) -> str:
    """The last lines of the run's log (train.log), or of what the studio's process printed (`name=LOG_FILE`)."""
    f = path / name if name else Run(path).log_file
    if not f.is_file():
        return ""
    with open(f, "rb") as fh:
        fh.seek(max(0, f.stat().st_size - 65536))
        text = fh.read().decode("utf-8", "replace")
    return "\n".join(text.replace("\r", "\n").splitlines()[-lines:])


def _metric_rows(run: Run) -> list[dict]:
    rows: list[dict] = []
    for f in sorted(run.logs_dir.glob("*/metrics.csv"), key=lambda p: p.stat().st_mtime):
        try:
            with open(f, newline="", encoding="utf-8") as fh:
                rows.extend(csv.DictReader(fh))
        except (OSError, csv.Error, UnicodeDecodeError):
            continue  # a log being written may be cut mid-line; the next poll reads it whole
    return rows


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

"""PNG plots for run folders: training curves from Lightning's `metrics.csv`, and any named series."""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from pasdeux.errors import FormatError, ShapeError
from pasdeux.files import atomic_path

_AXIS_COLUMNS = ("step", "epoch")
_SPLIT = re.compile(r"^(train|val|valid|validation|test)[_/]")
_SUFFIX = re.compile(r"[_/](step|epoch)$")


def read_metrics_csv(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Numeric columns of a Lightning CSVLogger `metrics.csv` as float arrays (empty cells are NaN)."""
    path = Path(path)
    if not path.is_file():
        raise FormatError(f"{path}: no such metrics file; Lightning's CSVLogger writes <run>/.../metrics.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2:
        raise FormatError(f"{path}: no metric rows yet (has training logged anything?)")
    header, body = rows[0], rows[1:]
    out = {}
    for i, name in enumerate(header):
        values = [r[i] if i < len(r) else "" for r in body]
        try:
            out[name] = np.array([float(v) if v.strip() else np.nan for v in values])
        except ValueError:
            continue  # a text column (e.g. a timestamp string) is not a curve
    return out


def _family(name: str) -> str:
    """Panel a column belongs in: `train_loss`, `val_loss` and `train_loss_epoch` all go to `loss`."""
    return _SUFFIX.sub("", _SPLIT.sub("", name)) or name


def _run_name(metrics_csv: Path) -> str:
    """The run a metrics.csv belongs to: RUN for RUN/logs/version_N/metrics.csv, else its folder."""
    folder = metrics_csv.resolve().parent
    if folder.name.startswith("version_") and folder.parent.name == "logs":
        return f"{folder.parent.parent.name} ({folder.name})"
    return folder.name


def _log_scale(values: Sequence[np.ndarray]) -> bool:
    """Log y when every value is positive and they span more than ~1.5 decades."""
    v = np.concatenate([np.asarray(a, float).ravel() for a in values])
    v = v[np.isfinite(v)]
    return v.size > 1 and bool((v > 0).all()) and v.max() / v.min() > 30


def _style(ax, title: str, xlabel: str, ylabel: str, log: bool) -> None:
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    ax.grid(True, which="major", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    if len(ax.get_lines()) > 1:
        ax.legend(frameon=False, fontsize=9)


def _plot_line(ax, x: np.ndarray, y: np.ndarray, label: str) -> None:
    ok = np.isfinite(x) & np.isfinite(y)
    marker = "o" if ok.sum() <= 30 else None  # few points (per-epoch metrics) read better as dots
    ax.plot(x[ok], y[ok], label=label, marker=marker, ms=3.5, lw=1.6)


def _save(fig, out_png: str | os.PathLike) -> Path:
    out = Path(out_png)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=120, facecolor="white")
    return out


def plot_loss_curves(metrics_csv: str | os.PathLike, out_png: str | os.PathLike) -> Path:
    """Every numeric metric of `metrics.csv` against step, one panel per metric family; returns the PNG."""
    from matplotlib.figure import Figure

    cols = read_metrics_csv(metrics_csv)
    x = cols.get("step", np.arange(len(next(iter(cols.values()), [])), dtype=float))
    curves = {k: v for k, v in cols.items() if k not in _AXIS_COLUMNS and np.isfinite(v).any()}
    if not curves:
        raise FormatError(f"{metrics_csv}: no numeric metric columns besides step/epoch to plot")
    families: dict[str, list[str]] = {}
    for name in curves:
        families.setdefault(_family(name), []).append(name)
    # The losses are what one looks at first; the other metrics follow in logging order.
    families = dict(sorted(families.items(), key=lambda kv: "loss" not in kv[0]))
    ncols = 1 if len(families) == 1 else 2 if len(families) <= 6 else 3
    nrows = math.ceil(len(families) / ncols)
    w, h = (6.4, 3.6) if ncols < 3 else (5.2, 3.1)
    fig = Figure(figsize=(w * ncols, h * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, (fam, names) in zip(axes, families.items()):
        for name in names:
            _plot_line(ax, x, curves[name], name)
        name = fam if len(names) > 1 else names[0]  # a lone curve keeps its full name (val_recon_mse)
        _style(ax, name, "step", name, _log_scale([curves[n] for n in names]))
    for ax in axes[len(families):]:
        ax.set_visible(False)
    fig.suptitle(f"training curves: {_run_name(Path(metrics_csv))}", fontsize=12)
    return _save(fig, out_png)


def plot_series(series: Mapping[str, tuple[Sequence[float], Sequence[float]]], out_png: str | os.PathLike,
                title: str = "", xlabel: str = "", ylabel: str = "") -> Path:
    """Named `(x, y)` series as lines on one labelled plot (log y when they span decades); returns the PNG."""
    from matplotlib.figure import Figure

    if not series:
        raise ShapeError("plot_series needs at least one named (x, y) series")
    fig = Figure(figsize=(7.2, 4.2), layout="constrained")
    ax = fig.subplots()
    ys = []
    for name, (x, y) in series.items():
        x, y = np.asarray(x, float).ravel(), np.asarray(y, float).ravel()
        if x.shape != y.shape:
            raise ShapeError(f"series {name!r}: x has {x.size} values but y has {y.size}")
        _plot_line(ax, x, y, str(name))
        ys.append(y)
    _style(ax, title, xlabel, ylabel, _log_scale(ys))
    return _save(fig, out_png)


def plot_influence(matrix: np.ndarray, leader_joints: Sequence[str], partner_joints: Sequence[str],
                   out_png: str | os.PathLike, title: str = "") -> Path:
    """A labelled heatmap of an influence matrix (rows: leader joints, columns: partner joints); returns the PNG."""
    from matplotlib.figure import Figure

    m = np.asarray(matrix, float)
    if m.shape != (len(leader_joints), len(partner_joints)) or not np.isfinite(m).all():
        raise ShapeError(f"the influence matrix must be finite and [{len(leader_joints)}, {len(partner_joints)}]; "
                         f"got {m.shape}")
    side = float(np.clip(0.16 * max(m.shape), 5.0, 13.0))
    fig = Figure(figsize=(side + 1.6, side), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(m / max(float(m.max()), 1e-12), cmap="magma", aspect="auto", interpolation="nearest")
    font = 8 if max(m.shape) <= 30 else 6
    ax.set_xticks(range(len(partner_joints)), partner_joints, rotation=90, fontsize=font)
    ax.set_yticks(range(len(leader_joints)), leader_joints, fontsize=font)
    ax.set_xlabel("partner joint (answers)")
    ax.set_ylabel("leader joint (drives)")
    ax.set_title(title or "which leader joints move which partner joints", fontsize=11, loc="left")
    fig.colorbar(image, ax=ax, shrink=0.6, label="influence (strongest = 1)")
    return _save(fig, out_png)


def plot_part_influence(matrix: np.ndarray, leader_parts: Sequence[str], partner_parts: Sequence[str],
                        out_png: str | os.PathLike, title: str = "") -> Path:
    """A labelled heatmap of a part-level influence map in metres (rows: leader parts, columns: partner parts),
    each cell written in centimetres; returns the PNG."""
    from matplotlib.figure import Figure

    m = np.asarray(matrix, float)
    if m.shape != (len(leader_parts), len(partner_parts)) or not np.isfinite(m).all() or (m < 0).any():
        raise ShapeError(f"the part map must be finite, non-negative and [{len(leader_parts)}, {len(partner_parts)}]; "
                         f"got {m.shape}")
    cm = 100 * m
    fig = Figure(figsize=(1.0 + 0.62 * len(partner_parts), 1.6 + 0.5 * len(leader_parts)), layout="constrained")
    ax = fig.subplots()
    top = max(float(cm.max()), 1e-9)
    image = ax.imshow(cm, cmap="magma", vmin=0, vmax=top, aspect="auto", interpolation="nearest")
    for (i, j), value in np.ndenumerate(cm):  # the figure itself, so two cells of one colour can be told apart
        ax.text(j, i, f"{value:.2g}", ha="center", va="center", fontsize=7,
                color="black" if value > 0.6 * top else "white")
    ax.set_xticks(range(len(partner_parts)), [p.replace("_", " ") for p in partner_parts], rotation=45, ha="right")
    ax.set_yticks(range(len(leader_parts)), [p.replace("_", " ") for p in leader_parts])
    ax.set_xlabel("partner part (answers)")
    ax.set_ylabel("leader part (drives)")
    ax.set_title(title or "which leader parts move which partner parts", fontsize=10, loc="left")
    fig.colorbar(image, ax=ax, shrink=0.8, label="partner movement per natural movement of the leader part (cm)")
    return _save(fig, out_png)

"""Evaluation plots: speed curves and kinetic-feature distributions of real and generated rows."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pasdeux.files import atomic_path
from pasdeux.metrics.duet import speed_curve
from pasdeux.metrics.kinetic import FEATURES_PER_JOINT, KineticSpace

if TYPE_CHECKING:
    from pasdeux.evaluate import Source

CURVE_SECONDS = 10.0
COLORS = ("#222222", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")


def _figure(ncols: int):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt.subplots(1, ncols, figsize=(6.2 * ncols, 4.4), constrained_layout=True)


def _save(fig, path: Path) -> Path:
    """Save a figure whole or not at all, then close it."""
    import matplotlib.pyplot as plt

    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=110)
    finally:
        plt.close(fig)
    return path


def plot_speed(sources: list[Source], fps: float, path: str | os.PathLike, leg_length: float = 1.0) -> Path:
    """Mean joint speed (in leg lengths per second) over the first seconds of each row, and the distribution
    of per-frame speeds."""
    fig, (ax_t, ax_h) = _figure(2)
    frames = int(CURVE_SECONDS * fps)
    all_speeds = [speed_curve(s.windows, fps).ravel() / leg_length for s in sources]
    top = float(np.percentile(np.concatenate(all_speeds), 99.5))
    bins = np.linspace(0, top, 50)
    for k, (s, speeds) in enumerate(zip(sources, all_speeds)):
        c, lw = COLORS[k % len(COLORS)], 2.0 if k == 0 else 1.2
        curve = speed_curve(s.sequences[0][: frames + 1], fps) / leg_length
        ax_t.plot(np.arange(len(curve)) / fps, curve, color=c, lw=lw, label=s.name)
        ax_h.hist(speeds, bins=bins, density=True, histtype="step", color=c, lw=lw, label=s.name)
    unit = "leg lengths / s"
    ax_t.set(title=f"Mean joint speed, first {CURVE_SECONDS:g} s", xlabel="time (s)", ylabel=f"speed ({unit})")
    ax_h.set(title="Distribution of per-frame mean joint speed", xlabel=f"speed ({unit})", ylabel="density")
    ax_t.legend(fontsize=8, loc="upper right")
    return _save(fig, Path(path))


def plot_kinetic(sources: list[Source], space: KineticSpace, path: str | os.PathLike) -> Path:
    """Windows in the reference's z-normalised kinetic space: a 2-D PCA map and each feature kind's spread."""
    fig, (ax_p, ax_b) = _figure(2)
    feats = [space.features(s.windows) for s in sources]
    # The PCA basis comes from the reference (first row), so every row is seen in the same plane.
    _, _, vt = np.linalg.svd(feats[0] - feats[0].mean(0), full_matrices=False)
    kind = np.tile(np.arange(len(FEATURES_PER_JOINT)), len(space.keep) // len(FEATURES_PER_JOINT))[space.keep]
    width = 0.8 / len(sources)
    for k, (s, f) in enumerate(zip(sources, feats)):
        c = COLORS[k % len(COLORS)]
        xy = (f - feats[0].mean(0)) @ vt[:2].T
        ax_p.scatter(xy[:, 0], xy[:, 1], s=6 if k else 10, alpha=0.5, color=c, label=s.name, edgecolors="none")
        per_kind = [f[:, kind == i].mean(1) for i in range(len(FEATURES_PER_JOINT))]
        pos = np.arange(len(FEATURES_PER_JOINT)) + (k - (len(sources) - 1) / 2) * width
        bp = ax_b.boxplot(per_kind, positions=pos, widths=width * 0.9, showfliers=False, patch_artist=True)
        for patch in bp["boxes"]:
            patch.set(facecolor=c, alpha=0.35, edgecolor=c)
        for line in bp["medians"]:
            line.set(color=c)
    ax_p.set(title="Kinetic features, PCA of the reference", xlabel="PC 1", ylabel="PC 2")
    ax_p.legend(fontsize=8, markerscale=2)
    ax_b.set_xticks(range(len(FEATURES_PER_JOINT)), [k.replace("_", " ") for k in FEATURES_PER_JOINT])
    ax_b.axhline(0, color="#888888", lw=0.8)
    ax_b.set(title="Mean z-score over joints, per window (0 = reference mean)", ylabel="z-score")
    return _save(fig, Path(path))

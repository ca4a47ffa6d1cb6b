"""Run-folder plots: Lightning metrics.csv curves and named series, as readable non-blank PNGs."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from pasdeux.cli import main
from pasdeux.errors import FormatError, ShapeError
from pasdeux.viz import plot_loss_curves, plot_series
from pasdeux.viz.plots import _family, _log_scale, read_metrics_csv


def write_metrics(path, steps: int = 200) -> None:
    """A CSVLogger-shaped file: train rows every step, val rows every 50 steps, epoch-level rows, blanks."""
    lines = ["epoch,step,train_loss,val_loss,val_recon_mse,lr-Adam"]
    for s in range(steps):
        lines.append(f"{s // 50},{s},{10 * np.exp(-s / 30) + 0.01:.5f},,,{1e-3 * 0.99 ** s:.6g}")
        if s % 50 == 49:
            lines.append(f"{s // 50},{s},,{8 * np.exp(-s / 40) + 0.05:.5f},{0.5 * np.exp(-s / 60):.5f},")
    path.write_text("\n".join(lines) + "\n")


def colourful_pixels(png) -> int:
    img = np.asarray(Image.open(png).convert("RGB")).astype(int)
    return int((img.max(-1) - img.min(-1) > 60).sum())  # saturated pixels: the plotted lines


def test_loss_curves_png_is_drawn(tmp_path):
    csv = tmp_path / "metrics.csv"
    write_metrics(csv)
    out = plot_loss_curves(csv, tmp_path / "plots" / "loss.png")
    w, h = Image.open(out).size
    assert w >= 1000 and h >= 700  # three families: loss, recon_mse, lr-Adam in a 2 x 2 grid
    assert colourful_pixels(out) > 2000


def test_metrics_reading_grouping_and_log_scale(tmp_path):
    csv = tmp_path / "metrics.csv"
    write_metrics(csv, steps=100)
    cols = read_metrics_csv(csv)
    assert set(cols) == {"epoch", "step", "train_loss", "val_loss", "val_recon_mse", "lr-Adam"}
    assert np.isfinite(cols["val_loss"]).sum() == 2  # blanks read as NaN and are dropped when drawn
    assert _family("train_loss") == _family("val_loss") == _family("train_loss_epoch") == "loss"
    assert _log_scale([np.array([10.0, 1.0, 0.1])]) and not _log_scale([np.array([0.5, 0.7])])
    assert not _log_scale([np.array([-1.0, 100.0])])


def test_bad_metrics_files_are_user_errors(tmp_path):
    with pytest.raises(FormatError, match="no such metrics file"):
        plot_loss_curves(tmp_path / "missing.csv", tmp_path / "x.png")
    only_axes = tmp_path / "m.csv"
    only_axes.write_text("epoch,step\n0,0\n")
    with pytest.raises(FormatError, match="no numeric metric"):
        plot_loss_curves(only_axes, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_plot_series(tmp_path):
    x = np.arange(10)
    out = plot_series({"real": (x, x ** 2 + 1.0), "generated": (x, 2 * x + 1.0)}, tmp_path / "s.png",
                      title="jitter by sigma", xlabel="sigma", ylabel="jitter")
    assert colourful_pixels(out) > 500
    with pytest.raises(ShapeError):
        plot_series({"a": ([1, 2], [1])}, tmp_path / "bad.png")
    with pytest.raises(ShapeError):
        plot_series({}, tmp_path / "bad.png")


def test_cli_plot_losses_finds_metrics_in_run_folder(tmp_path):
    run = tmp_path / "run"
    (run / "logs" / "version_0").mkdir(parents=True)
    write_metrics(run / "logs" / "version_0" / "metrics.csv")
    assert main(["plot-losses", str(run)]) == 0
    assert (run / "loss_curves.png").is_file()
    assert main(["plot-losses", str(run / "logs" / "version_0" / "metrics.csv"), "-o", str(tmp_path / "l.png")]) == 0
    assert (tmp_path / "l.png").is_file()
    assert main(["plot-losses", str(tmp_path / "empty")]) == 2

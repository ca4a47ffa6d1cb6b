"""`pasdeux animate` (GIF / MP4 / offline 3D viewer, with a ghost) and `pasdeux plot-losses`."""

from __future__ import annotations

import math
from pathlib import Path

import typer

from pasdeux.cli import app
from pasdeux.errors import ConfigError


def parse_size(text: str) -> tuple[int, int]:
    """`"800x560"` -> (800, 560)."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ConfigError(f"size must look like 800x560 (width x height in pixels); got {text!r}") from None
    return w, h


def span_frames(motion, start: float, seconds: float | None, name: str) -> tuple[int, int | None]:
    """`--start` and `--seconds` as the motion's first frame and frame count (None: to the end), checked."""
    if not 0 <= start < math.inf:
        raise ConfigError(f"--start must be 0 or more seconds; got {start:g}")
    if seconds is not None and not 0 < seconds < math.inf:
        raise ConfigError(f"--seconds must be a positive number of seconds; got {seconds:g}")
    first = int(round(start * motion.fps))
    if first >= motion.n_frames:
        raise ConfigError(f"--start {start:g} s is past the end of {name} ({motion.duration:.2f} s long)")
    return first, None if seconds is None else max(1, int(round(seconds * motion.fps)))


@app.command()
def animate(
    file: Path = typer.Argument(..., help="Motion file to show (any format pasdeux reads)."),
    out: Path = typer.Option(..., "-o", "--out", help="Output: .gif, .mp4, or .html (interactive 3D viewer)."),
    ghost: Path | None = typer.Option(None, "--ghost", help="Second motion drawn translucent in the same space."),
    pair: Path | None = typer.Option(None, "--pair", help="Partner file of the same take (e.g. 61_02.bvh)."),
    dancers: str | None = typer.Option(None, "--dancers", help="Dancers to show, e.g. 0 or 0,1 (default: all)."),
    start: float = typer.Option(0.0, "--start", help="Seconds into the motion where the animation begins."),
    seconds: float | None = typer.Option(None, "--seconds", help="Seconds to show (default: to the end)."),
    fps: float | None = typer.Option(None, "--fps", help="Output frame rate; motion is resampled, speed kept."),
    trails: bool = typer.Option(False, "--trails", help="Draw fading trails of hands and feet (GIF/MP4)."),
    size: str = typer.Option("800x560", "--size", help="GIF/MP4 size in pixels, WIDTHxHEIGHT."),
    title: str | None = typer.Option(None, "--title", help="Caption (default: the file name)."),
    video: Path | None = typer.Option(None, "--video", help="The video the motion was extracted from (GIF/MP4)."),
    video_layout: str = typer.Option("beside", "--video-layout",
                                     help="beside: video next to the 3D figure; behind: skeleton drawn over it."),
    highlight: Path | None = typer.Option(None, "--highlight", help="An influence JSON (pasdeux influence): ring "
                                          "the leader's most influential joints."),
    highlight_dancer: int = typer.Option(0, "--highlight-dancer", help="The dancer whose joints --highlight rings."),
    music: Path | None = typer.Option(None, "--music", help="A song (WAV, FLAC, OGG, MP3 or a video's sound) to "
                                      "play with an .mp4 or .html, in sync."),
    music_start: float | None = typer.Option(None, "--music-start", help="Seconds into --music at the motion's "
                                             "first frame (default: where the motion was generated to it, else 0)."),
) -> None:
    """Animate a motion as a stick-figure GIF/MP4 or a self-contained interactive 3D viewer page (with --music,
    the song plays with it)."""
    from pasdeux.io import load
    from pasdeux.viz.animate import animate as run

    motion = load(file, pair=pair)
    first, frames = span_frames(motion, start, seconds, file.name)
    ghost_motion = load(ghost) if ghost is not None else None
    marks = None
    if highlight is not None:
        from pasdeux.analysis import Influence

        marks = Influence.load(highlight).highlight(motion, highlight_dancer)
    path = run(motion, ghost_motion, out=out, dancers=dancers, start=first, frames=frames, fps=fps,
               trails=trails, size=parse_size(size), title=title, video=video, video_layout=video_layout,
               highlight=marks, music=music, music_start=music_start)
    typer.echo(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")


@app.command("plot-losses")
def plot_losses(
    metrics: Path = typer.Argument(..., help="A run folder or its Lightning metrics.csv."),
    out: Path | None = typer.Option(None, "-o", "--out",
                                    help="PNG to write (default: RUN/loss_curves.png, or beside metrics.csv)."),
) -> None:
    """Plot every logged metric of a training run against step (one panel per metric family)."""
    from pasdeux.viz.plots import plot_loss_curves

    csv, default_out = metrics, metrics.with_name("loss_curves.png")
    if metrics.is_dir():
        found = sorted(metrics.rglob("metrics.csv"), key=lambda p: p.stat().st_mtime)
        if not found:
            raise ConfigError(f"{metrics}: no metrics.csv inside; is this a training run folder?")
        csv = found[-1]  # the newest log when a run was resumed into several versions
        default_out = metrics / "loss_curves.png"  # where training itself draws it
    path = plot_loss_curves(csv, out or default_out)
    typer.echo(f"wrote {path}")

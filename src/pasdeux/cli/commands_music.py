"""`pasdeux music info` and `pasdeux music plot`: a song's tempo, beats, bars and counts, printed or drawn.
(`pasdeux info song.ogg` prints the same table.)"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pasdeux.cli import app

music_app = typer.Typer(help="Read a song or a video's soundtrack: tempo, beats, bars, the dancer's counts.",
                        no_args_is_help=True)
app.add_typer(music_app, name="music")

START = typer.Option(0.0, "--start", min=0, help="Where the span starts in the song, seconds.")
SECONDS = typer.Option(None, "--seconds", min=0, help="How long the span lasts, seconds (default: to the end).")


@music_app.command("info")
def music_info(
    file: Path = typer.Argument(..., help="WAV, FLAC, OGG or MP3 file, or a video with a soundtrack."),
    start: float = START,
    seconds: float | None = SECONDS,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (every beat and count)."),
    plot: Path | None = typer.Option(None, "--plot", help="Also draw waveform, beats and counts to this PNG."),
) -> None:
    """Print a song's length, rate, tempo, beats, bars and counts (times from the span's start)."""
    from pasdeux.music import load_music
    from pasdeux.music.info import format_music_table, summary

    music = load_music(file, start, seconds)
    info = summary(music)
    typer.echo(json.dumps(info) if as_json else format_music_table(info))
    if plot is not None:
        _plot(music, plot)


@music_app.command("plot")
def music_plot(
    file: Path = typer.Argument(..., help="WAV, FLAC, OGG or MP3 file, or a video with a soundtrack."),
    out: Path = typer.Option(..., "--out", "-o", help="PNG to write."),
    start: float = START,
    seconds: float | None = SECONDS,
) -> None:
    """Draw a song's waveform and onset strength with its beats and counts (1 in red, 5 in orange)."""
    from pasdeux.music import load_music

    _plot(load_music(file, start, seconds), out)


def _plot(music, out: Path) -> None:
    from pasdeux.errors import ConfigError
    from pasdeux.music.plot import plot_music

    if out.suffix.lower() != ".png":
        raise ConfigError(f"the plot is written as PNG: give a file name ending in .png; got {out}")
    typer.echo(f"wrote {plot_music(music, out)}", err=True)

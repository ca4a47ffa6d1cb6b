"""`pasdeux info` and `pasdeux convert`: look inside motion files and turn any readable format into a writable one."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pasdeux.cli import app
from pasdeux.errors import ConfigError

SKELETON = typer.Option(None, "--skeleton", help="Skeleton of plain arrays: smpl24, hybrik29, mariel53.")
AXES = typer.Option(None, "--axes", help="Axes of the input: y_down (pose estimators), y_up, z_up (mocap).")
FPS = typer.Option(None, "--fps", help="Frame rate of inputs that do not store one.")
INTERLEAVED = typer.Option(None, "--interleaved/--no-interleaved",
                           help="Pose npy: rows alternate between two dancers (default: detect).")
OPTION = typer.Option(None, "--option", "-o", metavar="NAME=VALUE",
                      help="A format's own reader option, e.g. -o trim=0 (Mariel), -o max_gap=30 (AlphaPose, C3D), "
                           "-o drop_points=[26,53]. Repeatable.")


def reader_options(skeleton: str | None, axes: str | None, fps: float | None, interleaved: bool | None,
                   extra: list[str] | None = None) -> dict:
    """Only the options the user gave, so each format keeps its own defaults."""
    given = {"skeleton": skeleton, "axes": axes, "fps": fps, "interleaved": interleaved}
    options = {k: v for k, v in given.items() if v is not None}
    for item in extra or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip().isidentifier():
            raise ConfigError(f"--option takes NAME=VALUE (like trim=0); got {item!r}")
        options[name.strip()] = parse_value(value.strip())
    return options


def parse_value(text: str):
    """A number, true/false/null or a JSON list as such; anything else as a string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


@app.command()
def info(
    files: list[Path] = typer.Argument(..., help="Motion files (npy, npz, json, csv, c3d, bvh)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per file, for scripts."),
    skeleton: str | None = SKELETON,
    axes: str | None = AXES,
    fps: float | None = FPS,
    interleaved: bool | None = INTERLEAVED,
    option: list[str] | None = OPTION,
) -> None:
    """Show what a motion file holds: dancers, frames, skeleton, missing data, repairs, bone consistency."""
    from pasdeux.io.info import describe_file, format_table

    options = reader_options(skeleton, axes, fps, interleaved, option)
    for i, path in enumerate(files):
        summary = describe_file(path, **options)
        if as_json:
            typer.echo(json.dumps(summary))
        else:
            typer.echo(("\n" if i else "") + format_table(summary))


@app.command()
def convert(
    input: Path = typer.Argument(..., help="File to read (any format pasdeux reads)."),
    output: Path = typer.Argument(..., help="File to write: .npz, .csv or .bvh."),
    pair: Path | None = typer.Option(None, "--pair", help="Second dancer of the same take (e.g. 61_02.bvh)."),
    format: str | None = typer.Option(None, "--format", help="Output format when the extension does not say."),
    skeleton: str | None = SKELETON,
    axes: str | None = AXES,
    fps: float | None = FPS,
    interleaved: bool | None = INTERLEAVED,
    option: list[str] | None = OPTION,
) -> None:
    """Read any supported file and write it in another format (atomically: whole or not at all)."""
    import pasdeux

    motion = pasdeux.load(input, pair=pair, **reader_options(skeleton, axes, fps, interleaved, option))
    written = pasdeux.save(motion, output, format=format)
    typer.echo(f"wrote {written}: {motion.n_dancers} dancer(s) x {motion.n_frames} frames x "
               f"{motion.n_joints} joints ({motion.skeleton.name}), {motion.fps:g} fps")

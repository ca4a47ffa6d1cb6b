"""`pasdeux demo`: the main job end to end (train, generate, animate, evaluate)."""

from __future__ import annotations

from pathlib import Path

import typer

from pasdeux.cli import app
from pasdeux.demo import DEFAULT_DATA


@app.command()
def demo(
    data: list[Path] = typer.Option([DEFAULT_DATA], "--data", help="motion file(s) to learn from (each dancer a solo)"),
    out: Path = typer.Option(Path("pasdeux-out"), "--out", "-o", help="folder for every result"),
    budget_s: float = typer.Option(120.0, "--budget-s", help="training wall-clock budget in seconds"),
    long_seconds: float = typer.Option(60.0, "--long-seconds", help="length of the long-form phrase"),
    seed: int = typer.Option(0, "--seed", help="random seed (training and sampling)"),
) -> None:
    """Train a small default model, generate variations, prior samples and a long-form phrase, write
    GIFs, an interactive HTML viewer and an evaluation report into OUT."""
    from pasdeux.demo import run_demo

    result = run_demo(data, out, budget_s=budget_s, seed=seed, long_seconds=long_seconds, say=typer.echo)
    typer.echo(f"\nresults in {out.resolve()}:")
    for name, path in result.files.items():
        typer.echo(f"  {name:28s} {path}")
    typer.echo(f"open {out / 'long_form.html'} in a browser to watch the long-form solo in 3D;"
               f" {out / 'report' / 'report.md'} holds the numbers.")

"""`pasdeux demo`: the main job end to end (train, generate, animate, evaluate)."""

from __future__ import annotations

from pathlib import Path

import typer

from pasdeux.cli import app
from pasdeux.demo import DEFAULT_DATA, DEFAULT_DUET_DATA


@app.command()
def demo(
    data: list[Path] = typer.Option([DEFAULT_DATA], "--data", help="motion file(s) to learn from (each dancer a solo)"),
    out: Path = typer.Option(Path("pasdeux-out"), "--out", "-o", help="folder for every result"),
    budget_s: float = typer.Option(120.0, "--budget-s", help="training wall-clock budget in seconds"),
    long_seconds: float = typer.Option(60.0, "--long-seconds", help="length of the long-form phrase"),
    seed: int = typer.Option(0, "--seed", help="random seed (training and sampling)"),
    duet_data: Path = typer.Option(DEFAULT_DUET_DATA, "--duet-data", help="the cmu_salsa folder the duet model "
                                   "learns from (60_NN leads, 61_NN follows)"),
    duet_budget_s: float = typer.Option(120.0, "--duet-budget-s", help="duet training wall-clock budget in seconds"),
    duet: bool = typer.Option(True, "--duet/--no-duet", help="also train a duet model and write partners"),
) -> None:
    """Train a small default model, generate variations, prior samples and a long-form phrase; train a small
    duet model and generate partners for held-out salsa takes; write GIFs, interactive HTML viewers, the
    influence heatmap and evaluation reports into OUT."""
    from pasdeux.demo import run_demo

    result = run_demo(data, out, budget_s=budget_s, seed=seed, long_seconds=long_seconds, say=typer.echo,
                      duet_data=duet_data if duet else None, duet_budget_s=duet_budget_s)
    typer.echo(f"\nresults in {out.resolve()}:")
    for name, path in result.files.items():
        typer.echo(f"  {name:28s} {path}")
    typer.echo(f"open {out / 'long_form.html'} in a browser to watch the long-form solo in 3D;"
               f" {out / 'report' / 'report.md'} holds the numbers.")
    if duet:
        typer.echo(f"open {out / 'duet' / 'partner_13.html'} to watch a generated partner answer a salsa lead;"
                   f" {out / 'duet' / 'report' / 'report.md'} holds the duet numbers.")

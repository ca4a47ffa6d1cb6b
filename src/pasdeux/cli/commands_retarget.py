"""`pasdeux retarget`: a dancer of one skeleton on another body (a model's, or a motion file's), by body roles."""

from __future__ import annotations

from pathlib import Path

import typer

from pasdeux.cli import app
from pasdeux.errors import ConfigError


def _body(onto: Path):
    """The body to move onto: a model's (a run or model folder) or that of every dancer of a motion file."""
    import numpy as np

    from pasdeux.retarget import TargetBody

    if onto.is_dir():
        from pasdeux.generate.lead import target_body
        from pasdeux.models import load_model

        return target_body(load_model(onto))
    import pasdeux

    motion = pasdeux.load(onto)
    return TargetBody.from_poses(np.concatenate(list(motion.positions)), motion.skeleton)


@app.command()
def retarget(motion: Path = typer.Argument(..., help="motion file of the dancer to move (e.g. a filmed one)"),
             onto: Path = typer.Option(..., "--onto", help="a run or model folder (its training bodies), or a motion "
                                       "file (its dancers' bodies) whose skeleton the dancer is moved onto"),
             dancer: int = typer.Option(0, "--dancer", help="which dancer of MOTION"),
             out: Path = typer.Option(..., "--out", "-o", help="output motion file (.npz, .bvh, .csv)")) -> None:
    """Move a dancer onto another skeleton by body roles: scaled to that body, the joints it lacks completed
    from that body's poses, bones at its lengths, feet on its floor; the notes say what was mapped."""
    import pasdeux
    from pasdeux.data import fill_gaps
    from pasdeux.motion import Motion
    from pasdeux.retarget import retarget as move

    source = pasdeux.load(motion)
    if not 0 <= dancer < source.n_dancers:
        raise ConfigError(f"--dancer {dancer} does not exist: {motion} has {source.n_dancers} dancer(s)")
    body = _body(onto)
    solo = fill_gaps(source.dancer(dancer))
    positions, notes = move(solo.positions[0], solo.skeleton, body, solo.fps)
    moved = Motion(positions[None], body.skeleton, solo.fps, solo.source, solo.notes + notes)
    path = pasdeux.save(moved, out)
    typer.echo(f"wrote {path}: dancer {dancer} of {motion.name} on skeleton {body.skeleton.name!r} "
               f"({moved.n_frames} frames at {moved.fps:g} fps)")
    for note in notes:
        typer.echo(f"  {note}")

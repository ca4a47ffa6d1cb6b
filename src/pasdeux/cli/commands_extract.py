"""`pasdeux extract`: a video of one or more dancers to a motion file (BlazePose, offline, on the CPU)."""

from __future__ import annotations

from pathlib import Path

import typer

from pasdeux.cli import app


@app.command()
def extract(
    video: Path = typer.Argument(..., help="Video of one or more dancers (.mp4, .mov, .avi, .webm...)."),
    out: Path = typer.Option(..., "-o", "--out", help="Motion file to write: .npz, .bvh or .csv."),
    dancers: int = typer.Option(1, "--dancers", help="How many dancers to follow (1 to 8): the most present "
                                "people (largest and longest seen) unless picked."),
    pick: list[str] = typer.Option([], "--pick", help="X,Y@SECONDS: follow the person at that point of the video "
                                   "(its pixels) at that time; once per dancer, for a crowded room."),
    model: str = typer.Option("full", "--model", help="Landmark model: lite (fastest), full, heavy (most exact)."),
    fps: float | None = typer.Option(None, "--fps", help="Resample the video to this frame rate first."),
    smooth: float = typer.Option(0.15, "--smooth", help="Smoothing window in seconds (Savitzky-Golay); 0: off."),
    fov: float = typer.Option(60.0, "--fov", help="The camera's horizontal field of view in degrees (assumed)."),
    tilt: float | None = typer.Option(None, "--tilt", help="Degrees the camera looks down (default: estimated from "
                                      "where the dancers' feet meet the floor)."),
    rigid: bool = typer.Option(True, "--rigid/--no-rigid", help="Fit each dancer to one set of bone lengths."),
    check: Path | None = typer.Option(None, "--check", help="Also write the skeleton drawn over the video "
                                      "(.mp4 or .gif) to check the extraction by eye."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Extract the 3D motion of one or more dancers from a video, on the `mediapipe33` skeleton.

    Every assumption (the camera) and repair (missed frames, unreliable joints, crossed identities)
    is listed in the file's notes: see `pasdeux info OUT`."""
    import pasdeux
    from pasdeux.extract import run
    from pasdeux.extract.unseen import marked
    from pasdeux.io import FORMATS, WRITABLE
    from pasdeux.music.soundtrack import keep_soundtrack

    if out.suffix.lower() not in {FORMATS[f][1][0] for f in WRITABLE}:
        from pasdeux.errors import ConfigError

        raise ConfigError(f"cannot write {out.name!r}: the motion file must end in .npz, .bvh or .csv")
    result = run(video, progress=progress, dancers=dancers, model=model, fps=fps, smooth=smooth, fov=fov, tilt=tilt,
                 rigid=rigid, pick=[parse_pick(p) for p in pick] or None)
    motion, warned = marked(result)  # legs a head-and-shoulders video never showed are said to be guessed
    motion = keep_soundtrack(motion, video, out)  # the rehearsal's sound beside the motion, to use as --music
    path = pasdeux.save(motion, out)
    seen = ", ".join(f"dancer {d + 1} in {int(result.found[d].sum())}" for d in range(motion.n_dancers))
    typer.echo(f"wrote {path}: {motion.n_dancers} dancer(s) x {motion.n_frames} frames x {motion.n_joints} "
               f"joints ({motion.skeleton.name}), {motion.fps:g} fps; found {seen} of {motion.n_frames} frames")
    for w in warned:
        typer.echo(f"warning: {w}", err=True)
    if check is not None:
        from pasdeux.viz.video import render_with_video

        typer.echo(f"wrote {render_with_video(motion, video, check, layout='behind')} (skeleton over the video)")


def parse_pick(text: str) -> tuple[float, float, float]:
    """`X,Y@SECONDS` (or `X,Y`, at the start) to a pick; ConfigError naming the expected form."""
    from pasdeux.errors import ConfigError

    where, _, when = text.partition("@")
    try:
        x, y = (float(v) for v in where.split(","))
        return x, y, float(when or 0)
    except ValueError:
        raise ConfigError(f"--pick {text!r}: give X,Y@SECONDS, a point in the video's pixels and a time, "
                          "e.g. --pick 420,310@2.5") from None

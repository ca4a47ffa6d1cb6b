"""`pasdeux duet partner|prior|vary` and `pasdeux influence`: duets with a trained duet model."""

from __future__ import annotations

from pathlib import Path

import typer

from pasdeux.cli import app
from pasdeux.errors import ConfigError
from pasdeux.generate.modes import MODES, option

duet_app = typer.Typer(help="Duets with a trained duet model: a partner for a lead, whole duets, variations.",
                       no_args_is_help=True)
app.add_typer(duet_app, name="duet")

RUN = typer.Argument(..., help="duet run folder or model folder (pasdeux train --config duet)")
OUT = typer.Option(..., "--out", "-o", help="output motion file (.npz, .bvh, .csv)")
ANIMATE = typer.Option(None, "--animate", help="also draw it to a .gif, .mp4 or .html")
FPS = typer.Option(None, "--fps", help="resample the output to this frame rate (default: the model's)")
HIGHLIGHT = typer.Option(None, "--highlight", help="an influence JSON (pasdeux influence): ring the lead's most "
                         "influential joints in the animation")
DIRECTION = typer.Option(None, "--direction", help="a2b: the lead is dancer A of the training pairs and the "
                         "partner B; b2a the reverse (default: from --lead-dancer, 0 -> a2b, 1 -> b2a)")


def _load_duet_model(run: Path):
    from pasdeux.generate.partners import check_duet_model
    from pasdeux.models import load_model

    return check_duet_model(load_model(run))


def _write(motion, out: Path, fps: float | None, animate: Path | None, ghost=None, highlight=None,
           music: Path | None = None) -> None:
    import pasdeux

    if fps is not None:
        if not fps > 0:
            raise ConfigError(f"--fps must be positive; got {fps}")
        motion = motion.resample(fps)
    path = pasdeux.save(motion, out)
    typer.echo(f"wrote {path} ({motion.n_dancers} dancers x {motion.n_frames} frames at {motion.fps:g} fps)")
    if animate is not None:
        from pasdeux.viz import animate as draw

        sound = music if music is not None and animate.suffix.lower() != ".gif" else None
        typer.echo(f"wrote {draw(motion, ghost=ghost, out=animate, highlight=highlight, music=sound)}")


@duet_app.command("partner")
def duet_partner(run: Path = RUN,
                 lead: Path = typer.Option(..., "--lead", help="motion file of the lead (a solo, or a duet)"),
                 lead_dancer: int = typer.Option(0, "--lead-dancer", help="which dancer of --lead leads (0 or 1)"),
                 sigma: float = option("partner", "sigma", 1.0), n: int = option("partner", "n", 1, "-n"),
                 start: float = typer.Option(0.0, "--start", help="seconds into --lead to begin"),
                 seconds: float | None = typer.Option(None, "--seconds", help="length to use (default: all)"),
                 direction: str | None = DIRECTION, out: Path = OUT, animate: Path | None = ANIMATE,
                 highlight: Path | None = HIGHLIGHT, fps: float | None = FPS,
                 seed: int | None = option("partner", "seed"), music: Path | None = option("partner", "music"),
                 music_start: float = option("partner", "music_start"),
                 music_seconds: float | None = option("partner", "music_seconds")) -> None:
    """A partner answering a lead: the output holds the lead as dancer 0 and its partner(s) after it; an
    animation shows the real partner as a ghost when --lead is a duet. With --music the lead is first played
    to the music (its stops moved onto the beats, generate.music_sync) and the partner answers that lead."""
    import pasdeux
    from pasdeux.generate.partners import real_partner

    model = _load_duet_model(run)
    motion = pasdeux.load(lead)
    if not 0 <= lead_dancer < motion.n_dancers:
        raise ConfigError(f"--lead-dancer {lead_dancer} does not exist: {lead} has {motion.n_dancers} dancer(s)")
    end = motion.duration if seconds is None else start + seconds
    if start < 0 or end > motion.duration + 0.5 / motion.fps:
        raise ConfigError(f"{lead} is {motion.duration:.2f} s long: {end - start:g} s from {start:g} s runs past its "
                          f"ends; choose --start and --seconds inside it")
    motion = motion.seconds(start, end)
    if motion.n_frames < model.min_frames:
        raise ConfigError(f"{lead} has too few frames from {start:g} s for {seconds} s; choose a longer span")
    settings = {"sigma": sigma, "n": n, "seed": seed, "direction": direction}
    if music is not None:
        settings.update(music=music, music_start=music_start, music_seconds=music_seconds)
    result = MODES["partner"].run(model, [motion], [lead_dancer], settings)
    if music is not None:  # the real partner, played to the music with its lead, is the ghost
        from pasdeux.generate.to_music import lead_to_music, music_span

        motion = lead_to_music(motion, music_span(music, music_start, music_seconds or motion.duration)[0],
                               lead_dancer)
    result = result.with_positions(result.positions, provenance={**result.provenance, "source_file": str(lead),
                                                                 "start_s": start, "seconds": seconds})
    marks = None
    if highlight is not None:
        from pasdeux.analysis import Influence

        marks = Influence.load(highlight).highlight(result, 0)
    _write(result, out, fps, animate, ghost=real_partner(motion, lead_dancer, model), highlight=marks, music=music)


@duet_app.command("prior")
def duet_prior(run: Path = RUN, n: int = option("duet_prior", "n", 1, "-n"),
               seconds: float = option("duet_prior", "seconds", 8.0),
               out: Path = OUT, animate: Path | None = ANIMATE, fps: float | None = FPS,
               seed: int | None = option("duet_prior", "seed"), music: Path | None = option("duet_prior", "music"),
               music_start: float = option("duet_prior", "music_start"),
               music_seconds: float | None = option("duet_prior", "music_seconds")) -> None:
    """Whole duets from nothing: a leader from the model's solo prior, and a partner answering it (with --music,
    both danced to it by one time warp)."""
    settings = {"n": n, "seconds": seconds, "seed": seed, "direction": "a2b"}
    if music is not None:
        settings.update(music=music, music_start=music_start, music_seconds=music_seconds)
    _write(MODES["duet_prior"].run(_load_duet_model(run), [], [], settings), out, fps, animate, music=music)


@duet_app.command("vary")
def duet_vary(run: Path = RUN, duet: Path = typer.Argument(..., help="a two-dancer motion file"),
              sigma: float = option("duet_variations", "sigma", 0.5),
              n: int = option("duet_variations", "n", 1, "-n"),
              start: float = typer.Option(0.0, "--start", help="seconds into the duet to begin"),
              seconds: float | None = typer.Option(None, "--seconds", help="length to use (default: all)"),
              direction: str = typer.Option("a2b", "--direction", help="a2b: dancer 0 leads; b2a: dancer 1 leads"),
              out: Path = OUT, animate: Path | None = ANIMATE, fps: float | None = FPS,
              seed: int | None = option("duet_variations", "seed")) -> None:
    """Variations of a given duet: the leader varied by sigma, the partner answering each varied leader."""
    import pasdeux

    model = _load_duet_model(run)
    motion = pasdeux.load(duet).seconds(start, None if seconds is None else start + seconds)
    result = MODES["duet_variations"].run(model, [motion], [0],
                                          {"sigma": sigma, "n": n, "seed": seed, "direction": direction})
    _write(result, out, fps, animate, ghost=motion if n == 1 else None)


@app.command()
def influence(run: Path = RUN,
              data: list[Path] = typer.Option(..., "--data", help="duet file(s) whose leads the model answers"),
              pair: list[Path] | None = typer.Option(None, "--pair", help="the partner file of each --data (BVH "
                                                     "takes of one couple), in the same order"),
              direction: str = typer.Option("a2b", "--direction", help="a2b: dancer 0 leads; b2a: dancer 1 leads"),
              out: Path = typer.Option(..., "-o", "--out", help="heatmap PNG (the JSON of both levels is written "
                                       "beside it)"),
              joints: bool = typer.Option(False, "--joints", help="draw the leader-joint x partner-joint matrix "
                                          "instead of the body-part map"),
              html: Path | None = typer.Option(None, "--html", help="also a 3D viewer page of the first duet with "
                                               "the leader's most influential parts (joints with --joints) ringed"),
              ) -> None:
    """Which body parts drive the duet: how far each partner part (head, torso, pelvis, arms, hands, legs, feet)
    moves when each leader part makes its natural movement, as a labelled heatmap PNG; the JSON beside it also
    holds the leader-joint x partner-joint matrix (drawn instead with --joints)."""
    import pasdeux
    from pasdeux.analysis import influence as measure
    from pasdeux.viz.plots import plot_influence, plot_part_influence

    if pair and len(pair) != len(data):
        raise ConfigError(f"give one --pair per --data ({len(data)} --data, {len(pair)} --pair)")
    model = _load_duet_model(run)
    motions = [pasdeux.load(d, pair=p) for d, p in zip(data, pair or [None] * len(data))]
    result = measure(model, motions, direction)
    parts = result.parts
    if joints:
        png = plot_influence(result.matrix, result.leader_joints, result.partner_joints, out,
                             f"which leader joints move which partner joints ({direction}, {result.windows} windows)")
    else:
        png = plot_part_influence(parts.matrix, parts.leader_parts, parts.partner_parts, out,
                                  f"which leader parts move which partner parts ({direction}, {parts.windows} windows)")
    js = result.save(out.with_suffix(".json"))
    typer.echo(f"wrote {png} and {js}")
    if html is not None:
        from pasdeux.viz import animate

        role = 0 if direction == "a2b" else 1
        marks = result.highlight(motions[0], role) if joints else parts.highlight(motions[0], role)
        page = animate(motions[0], out=html, highlight=marks,
                       title=f"gold rings: the leader's {'joints' if joints else 'parts'} that drive the partner "
                             f"most ({direction})")
        typer.echo(f"wrote {page}")
    if joints:
        for lead_joint, partner_joint, value in result.top(5):
            typer.echo(f"  {lead_joint:>16} -> {partner_joint:<16} {value:.3g}")
    else:
        for lead_part, partner_part, value in parts.top(5):
            typer.echo(f"  {lead_part:>11} -> {partner_part:<11} {100 * value:.2g} cm")

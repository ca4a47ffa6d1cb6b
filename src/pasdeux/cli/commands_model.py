"""`pasdeux train` and `pasdeux generate ...`: train a model on motion files, then generate dance with it."""

from __future__ import annotations

from pathlib import Path

import typer

from pasdeux.cli import app, command_line
from pasdeux.errors import ConfigError
from pasdeux.generate.modes import MODES, modes_of, option

generate_app = typer.Typer(help=f"Generate dance with a trained model: {', '.join(modes_of('solo'))} (duet models: "
                                "pasdeux duet).", no_args_is_help=True)
app.add_typer(generate_app, name="generate")


@app.command()
def train(
    overrides: list[str] | None = typer.Argument(None, help="KEY=VALUE config overrides, e.g. optim.lr=3e-4 "
                                                    "model.latent_channels=16 (extra motion files are allowed too)"),
    config: str = typer.Option("default", "--config", "-c", help="recipe name (default, seed, pose, duet) or YAML "
                                                                 "file"),
    data: list[Path] | None = typer.Option(None, "--data", "-d", help="motion file(s); repeat or list them"),
    pair: list[Path] | None = typer.Option(None, "--pair", help="the partner of the --data file before it (the "
                                           "other dancer of the same take); a two-dancer file needs none"),
    budget_s: float | None = typer.Option(None, "--budget-s", help="stop after this many wall-clock seconds"),
    epochs: int | None = typer.Option(None, "--epochs", help="stop after this many epochs"),
    resume: Path | None = typer.Option(None, "--resume", help="continue this run folder from its last checkpoint"),
    seed: int = typer.Option(0, "--seed", help="random seed (runs with the same seed are identical)"),
    devices: str | None = typer.Option(None, "--devices", help="devices per node (GPUs, or CPU processes)"),
    num_nodes: int | None = typer.Option(None, "--num-nodes", help="number of machines (DDP)"),
    out: Path | None = typer.Option(None, "--out", "-o", help="run folder (default runs/MODEL-TIME)"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show a progress bar"),
) -> None:
    """Train a model on motion files (split 70/15/15 by time; solo models take each dancer as a solo, the duet
    model takes two-dancer files or --data A.bvh --pair B.bvh pairs)."""
    from pasdeux.config import load_config, parse_overrides
    from pasdeux.training import resume_point
    from pasdeux.training import train as run_training

    files = paired_files(command_line(), data or [], pair or []) + [str(Path(o).resolve()) for o in overrides or []
                                                                    if "=" not in o]
    options = parse_overrides([o for o in overrides or [] if "=" in o])
    if resume is not None:
        cfg, ckpt = resume_point(resume)
        if options:
            cfg = load_config(resume / "config.yaml", options)
        out = resume
    else:
        cfg, ckpt = load_config(config, options), None
    if files:
        cfg["data"]["files"] = files
    if not cfg["data"]["files"]:
        raise ConfigError("no training data: give motion files with --data FILE (or data.files in the config)")
    train_set, val_set = _split(cfg)
    result = run_training(cfg, train_set, val_set, budget_s=budget_s, epochs=epochs, run_dir=out, seed=seed,
                          progress=progress, resume_from=ckpt, devices=_devices(devices), num_nodes=num_nodes)
    typer.echo(f"run folder: {result.run_dir}")


def paired_files(argv: list[str], data: list[Path], pair: list[Path]) -> list:
    """`--data` files in command-line order, each joined with the `--pair` that follows it: `[data, pair]`."""
    out: list = []
    for i, arg in enumerate(argv):
        name, _, inline = arg.partition("=")
        if name not in ("--data", "-d", "--pair") or (not inline and i + 1 >= len(argv)):
            continue
        value = str(Path(inline or argv[i + 1]).resolve())
        if name != "--pair":
            out.append(value)
        elif not out or not isinstance(out[-1], str):
            raise ConfigError(f"--pair {value} follows no --data file of its own; write --data A --pair B")
        else:
            out[-1] = [out[-1], value]
    if len(out) != len(data) or sum(isinstance(f, list) for f in out) != len(pair):  # not from this command line
        if pair:
            raise ConfigError("cannot tell which --data each --pair belongs to; give them as --data A --pair B")
        out = [str(f.resolve()) for f in data]
    return out


def _devices(devices: str | None):
    if devices is None or devices == "auto":
        return devices
    if not devices.isdigit() or int(devices) < 1:
        raise ConfigError(f"--devices must be a positive number or 'auto'; got {devices!r}")
    return int(devices)


def _split(cfg: dict):
    """Load every data file and split each dancer by time into train and validation spans."""
    import pasdeux
    from pasdeux.data import fill_gaps, time_split

    train_set, val_set = [], []
    for f in cfg["data"]["files"]:
        path, partner = (f, None) if isinstance(f, str) else (f[0], f[1])
        parts = time_split(fill_gaps(pasdeux.load(path, pair=partner)))
        train_set.append(parts["train"])
        val_set.append(parts["val"])
    return train_set, val_set


# --- generate ------------------------------------------------------------------------------
def _music(music: Path | None, start: float, seconds: float | None) -> dict:
    """The music settings of a mode (none without --music)."""
    return {} if music is None else {"music": music, "music_start": start, "music_seconds": seconds}


def _save(motion, out: Path, animate: Path | None, fps: float | None, ghost=None, music: Path | None = None) -> None:
    """Write a result, at `fps` when asked (resampled from the model's rate), and draw it when asked (with its
    music, when it was danced to some)."""
    import pasdeux
    from pasdeux.generate import at_fps

    rate = motion.fps
    motion = at_fps(motion, fps)
    path = pasdeux.save(motion, out)
    how = "the model's rate" if fps is None or motion.fps == rate else f"resampled from the model's {rate:g} fps"
    typer.echo(f"wrote {path} ({motion.n_dancers} x {motion.n_frames} frames, {motion.duration:.2f} s at "
               f"{motion.fps:g} fps, {how})")
    if animate is not None:
        from pasdeux.viz import animate as draw

        sound = music if music is not None and animate.suffix.lower() != ".gif" else None
        typer.echo(f"wrote {draw(motion, ghost=ghost, out=animate, music=sound)}")


def _check(fps: float | None, starts: dict[str, float] | None = None,
           lengths: dict[str, float | None] | None = None) -> None:
    """Refuse a bad --fps, start or length (in seconds) before a model is loaded or anything is written."""
    if fps is not None and not fps > 0:
        raise ConfigError(f"--fps must be a positive frame rate; got {fps:g}")
    for name, value in (starts or {}).items():
        if not value >= 0:
            raise ConfigError(f"{name} must be 0 or more seconds; got {value:g}")
    for name, value in (lengths or {}).items():
        if value is not None and not value > 0:
            raise ConfigError(f"{name} must be a positive number of seconds; got {value:g}")


def _phrases(model, seconds: float | None, *spans: tuple[Path, float]) -> list:
    """`seconds` (default: the model's window) from each (file, start in seconds), at the model's rate; the
    resampling is reported once every phrase was taken."""
    import pasdeux
    from pasdeux.generate import phrase

    motions = [pasdeux.load(path) for path, _ in spans]
    out = [phrase(m, model, start, seconds) for m, (_, start) in zip(motions, spans)]
    for m, (path, _) in zip(motions, spans):
        if abs(m.fps - model.fps) > 1e-6:  # a 120 fps take for a 30 fps model: anti-aliased resampling
            typer.echo(f"resampling {path.name} from {m.fps:g} to {model.fps:g} fps (the model's rate)", err=True)
    return out


RUN = typer.Argument(..., help="run folder or model folder")
OUT = typer.Option(..., "--out", "-o", help="output motion file (.npz, .bvh, .csv)")
ANIMATE = typer.Option(None, "--animate", help="also draw it to a .gif, .mp4 or .html")
FPS = typer.Option(None, "--fps", help="frame rate of the written output: the model generates at its own rate, "
                   "then the result is resampled (anti-aliased, same duration) to this one (default: the model's)")
START = "seconds into the file where the phrase begins"
PHRASE_SECONDS = typer.Option(None, "--seconds", help="length of each phrase in seconds (default: the model's "
                              "window, e.g. 64 frames = 2.13 s at 30 fps)")


@generate_app.command("variations")
def gen_variations(run: Path = RUN, phrase: Path = typer.Argument(..., help="motion file holding the phrase"),
                   dancer: int = typer.Option(0, "--dancer"), start: float = typer.Option(0.0, "--start", help=START),
                   seconds: float | None = PHRASE_SECONDS, sigma: float = option("variations", "sigma"),
                   n: int = option("variations", "n", 4, "-n"), out: Path = OUT, animate: Path | None = ANIMATE,
                   fps: float | None = FPS, seed: int | None = option("variations", "seed")) -> None:
    """Variations of a phrase (several at once, side by side)."""
    from pasdeux.models import load_model

    _check(fps, {"--start": start}, {"--seconds": seconds})
    model = load_model(run)
    (source,) = _phrases(model, seconds, (phrase, start))
    mode = MODES["variations"]
    result = mode.run(model, [source], [dancer], {"sigma": sigma, "n": n, "seed": seed})
    _save(result, out, animate, fps, mode.ghost.make(source, dancer, model, n))


@generate_app.command("prior")
def gen_prior(run: Path = RUN, n: int = option("prior", "n", 4, "-n"), seconds: float = option("prior", "seconds"),
              out: Path = OUT, animate: Path | None = ANIMATE, fps: float | None = FPS,
              seed: int | None = option("prior", "seed"), music: Path | None = option("prior", "music"),
              music_start: float = option("prior", "music_start"),
              music_seconds: float | None = option("prior", "music_seconds")) -> None:
    """Fresh phrases sampled from the model's prior (with --music, danced to it)."""
    from pasdeux.models import load_model

    _check(fps, {"--music-start": music_start}, {"--seconds": seconds, "--music-seconds": music_seconds})
    settings = {"n": n, "seconds": seconds, "seed": seed, **_music(music, music_start, music_seconds)}
    _save(MODES["prior"].run(load_model(run), [], [], settings), out, animate, fps, music=music)


@generate_app.command("interpolate")
def gen_interpolate(run: Path = RUN, a: Path = typer.Argument(..., help="motion file of phrase A"),
                    b: Path = typer.Argument(..., help="motion file of phrase B"),
                    start_a: float = typer.Option(0.0, "--start-a", help="seconds into A where its phrase begins"),
                    start_b: float = typer.Option(0.0, "--start-b", help="seconds into B where its phrase begins"),
                    seconds: float | None = PHRASE_SECONDS, steps: int = option("interpolate", "steps"),
                    out: Path = OUT, animate: Path | None = ANIMATE, fps: float | None = FPS) -> None:
    """Phrases morphing from A to B through the latent space."""
    from pasdeux.models import load_model

    _check(fps, {"--start-a": start_a, "--start-b": start_b}, {"--seconds": seconds})
    model = load_model(run)
    phrases = _phrases(model, seconds, (a, start_a), (b, start_b))
    _save(MODES["interpolate"].run(model, phrases, [0, 0], {"steps": steps}), out, animate, fps)


@generate_app.command("transition")
def gen_transition(run: Path = RUN, a: Path = typer.Argument(..., help="motion file of phrase A"),
                   b: Path = typer.Argument(..., help="motion file of phrase B"),
                   start_a: float = typer.Option(0.0, "--start-a", help="seconds into A where its phrase begins"),
                   start_b: float = typer.Option(0.0, "--start-b", help="seconds into B where its phrase begins"),
                   seconds: float | None = PHRASE_SECONDS,
                   bridge_seconds: float = option("transition", "bridge_seconds"),
                   out: Path = OUT, animate: Path | None = ANIMATE, fps: float | None = FPS,
                   seed: int | None = option("transition", "seed")) -> None:
    """Phrase A, a generated bridge, then phrase B, as one continuous solo."""
    from pasdeux.models import load_model

    _check(fps, {"--start-a": start_a, "--start-b": start_b},
           {"--seconds": seconds, "--bridge-seconds": bridge_seconds})
    model = load_model(run)
    phrases = _phrases(model, seconds, (a, start_a), (b, start_b))
    settings = {"bridge_seconds": bridge_seconds, "seed": seed}
    _save(MODES["transition"].run(model, phrases, [0, 0], settings), out, animate, fps)


@generate_app.command("long")
def gen_long(run: Path = RUN, seconds: float = option("long", "seconds", 60.0),
             out: Path = OUT, animate: Path | None = ANIMATE, fps: float | None = FPS,
             seed: int | None = option("long", "seed"), music: Path | None = option("long", "music"),
             music_start: float = option("long", "music_start"),
             music_seconds: float | None = option("long", "music_seconds")) -> None:
    """One continuous solo of any length (with --music, danced to it)."""
    from pasdeux.models import load_model

    _check(fps, {"--music-start": music_start}, {"--seconds": seconds, "--music-seconds": music_seconds})
    settings = {"seconds": seconds, "seed": seed, **_music(music, music_start, music_seconds)}
    _save(MODES["long"].run(load_model(run), [], [], settings), out, animate, fps, music=music)

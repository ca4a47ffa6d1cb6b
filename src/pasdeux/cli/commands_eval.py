"""`pasdeux evaluate` (a report of generated against real dance), `pasdeux bench solo` and `pasdeux bench
duet` (BENCHMARK.md's protocols), `pasdeux bench extract` (video extraction speed) and `pasdeux bench studio`
(the web studio under load)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import typer

from pasdeux.cli import app

bench_app = typer.Typer(help="Run a benchmark protocol of BENCHMARK.md; the last line printed is its JSON.",
                        no_args_is_help=True)
app.add_typer(bench_app, name="bench")


@app.command()
def evaluate(
    real: list[Path] = typer.Option(..., "--real", help="Real motion file (repeat --real for several)."),
    generated: list[Path] = typer.Option([], "--generated", help="Generated motion file (repeatable)."),
    model: Path | None = typer.Option(None, "--model", help="A training run or model folder: score its prior samples."),
    out: Path = typer.Option(Path("evaluation"), "--out", help="Folder for report.json, report.md and the plots."),
    split: bool = typer.Option(False, "--split", help="Benchmark split of the real files: train span (70 %) as "
                               "the floor against the test span (last 15 %); default: first half against second."),
    samples: int | None = typer.Option(None, "--samples", min=2,
                                       help="Prior samples drawn from --model (default 256, as the benchmark)."),
    seed: int = typer.Option(0, "--seed", help="Random seed for the model's samples."),
    plots: bool = typer.Option(True, "--plots/--no-plots", help="Write speed.png and kinetic.png."),
    fps: float | None = typer.Option(None, "--fps", min=1, help="Resample everything to this frame rate "
                                     "(default 30, the rate BENCHMARK.md scores at)."),
    music: Path | None = typer.Option(None, "--music", help="A song (WAV, FLAC, OGG, MP3 or a video): add the "
                                      "beat alignment score and beat hits of each motion against it."),
) -> None:
    """Score generated dance against real dance: fid_k, fid_g, diversity, jitter, bone_cv, feet (contact,
    skating, floating), duet metrics, with the real floor beside every number and every threshold relative
    to the real dancers' leg length (e.g. `pasdeux evaluate --real duet.npy --split`).

    Two-dancer files are also scored as duets; to pair two BVH files of one take into a duet file first,
    use `pasdeux convert 60_12.bvh duet.npz --pair 61_12.bvh`."""
    import pasdeux
    from pasdeux.evaluate import N_SAMPLES
    from pasdeux.evaluate import evaluate as run

    loaded_model = None
    if model is not None:
        from pasdeux.models import load_model

        loaded_model = load_model(model)
    gen = {p.stem if [q.stem for q in generated].count(p.stem) == 1 else str(p): pasdeux.load(p) for p in generated}
    song = pasdeux.load_music(music) if music is not None else None
    reals = [pasdeux.load(p) for p in real]
    if song is not None:  # a rehearsal's soundtrack lies beside its file: scoring looks for it there
        reals = [replace(m, source=m.source or str(p)) for m, p in zip(reals, real)]
    report = run(reals, gen, loaded_model, split=split,
                 out=out, n_samples=samples or N_SAMPLES, seed=seed, plots=plots, fps=fps, music=song)
    typer.echo(report.markdown(guide=False))
    typer.echo(f"\nwrote {', '.join(report.files.values())}")


@bench_app.command("solo")
def bench_solo(
    protocol: str = typer.Option("video", "--protocol", help="video (solo-v1: the shared duet extracted from "
                                 "video) or mocap (solo-mocap-v1: the CMU salsa takes, optical mocap)."),
    budget_s: float = typer.Option(240.0, "--budget-s", help="Training wall-clock seconds per model."),
    out: Path | None = typer.Option(None, "--out", help="Also write the JSON result to this file."),
    models: str = typer.Option("seed,pose,default", "--models", help="Comma-separated models to train and score."),
    data: Path | None = typer.Option(None, "--data", help="The data: the duet file for video (default "
                                     "../shared/data/duet_ilya_hannah.npy), the salsa folder for mocap "
                                     "(default ../shared/data/cmu_salsa)."),
    runs: Path | None = typer.Option(None, "--runs", help="Keep the training runs here (default: discarded)."),
    seed: int = typer.Option(0, "--seed", help="Training and sampling seed."),
) -> None:
    """A solo protocol of BENCHMARK.md: baselines, real floors (feet included), and seed/pose/default trained
    with the same budget. One line per step on stderr says where it is and about how long is left."""
    from pasdeux.bench import bench_solo as run

    result = run(budget_s, models.split(","), out, data, runs, seed, protocol=protocol)
    typer.echo(json.dumps(result))


@bench_app.command("duet")
def bench_duet(
    budget_s: float = typer.Option(180.0, "--budget-s", help="Training wall-clock seconds per model (the duet "
                                   "model and the solo baseline), per block."),
    out: Path | None = typer.Option(None, "--out", help="Also write the JSON result to this file."),
    models: str = typer.Option("copy_leader,retrieval,shuffled,solo,mean_partner,default", "--models",
                               help="Comma-separated models to score."),
    blocks: str = typer.Option("salsa,video", "--blocks", help="Comma-separated blocks to run: salsa, video."),
    salsa: Path | None = typer.Option(None, "--salsa", help="The salsa folder (default ../shared/data/cmu_salsa)."),
    video: Path | None = typer.Option(None, "--video", help="The video duet (default "
                                      "../shared/data/duet_ilya_hannah.npy)."),
    runs: Path | None = typer.Option(None, "--runs", help="Keep the training runs here (default: discarded); "
                                     "models already trained there (RUNS/<block>/<model>) are re-scored, not "
                                     "trained again."),
    seed: int = typer.Option(0, "--seed", help="Training and sampling seed."),
) -> None:
    """The duet protocol of BENCHMARK.md (duet-v3): partners for the salsa test leads in both directions, then
    the video duet; baselines, real floors, and the duet model trained with the budget. One line per step on
    stderr says where it is and about how long is left."""
    from pasdeux.bench import bench_duet as run

    result = run(budget_s, models.split(","), out, salsa, video, runs, seed, blocks=blocks.split(","))
    typer.echo(json.dumps(result))


@bench_app.command("extract")
def bench_extract(
    seconds: float = typer.Option(10.0, "--seconds", help="Length of each test video (one and two dancers)."),
    model: str = typer.Option("full", "--model", help="Landmark model: lite, full or heavy."),
    out: Path | None = typer.Option(None, "--out", help="Also write the JSON result to this file."),
) -> None:
    """Extraction speed on this CPU, in frames per second, for one dancer and for two (target: a 60 s,
    30 fps duet in under 3 minutes), on videos made from a photograph; then, where Debian's opencv-doc is
    installed, real footage (OpenCV's vtest.avi: people walking across a square filmed from a building): each
    followed person's found share, identity switches, floor flatness (before and after the last step) and
    bone-length variation, and the camera estimated."""
    from pasdeux.extract.bench import bench_extract as run

    typer.echo(json.dumps(run(seconds, model, out, say=typer.echo)))


@bench_app.command("studio")
def bench_studio(
    requests: int = typer.Option(50, "--requests", min=1, help="Variation requests sent at once."),
    frames: int = typer.Option(64, "--frames", min=8, help="Length of the phrase each request varies."),
    n: int = typer.Option(1, "-n", min=1, max=16, help="Variations per request."),
    model: Path | None = typer.Option(None, "--model", help="A run or model folder (default: train a small one)."),
    train_s: float = typer.Option(20.0, "--train-s", help="Training seconds for the default small model."),
    workers: int = typer.Option(2, "--workers", min=1, max=16, help="The studio's worker processes (as `studio`)."),
    out: Path | None = typer.Option(None, "--out", help="Also write the JSON result to this file."),
) -> None:
    """The studio under load over real HTTP: single 64-frame variation round trips, then 50 requests at once."""
    from pasdeux.files import write_text_atomic
    from pasdeux.studio.bench import bench_studio as run

    result = run(requests, frames, n, None if model is None else str(model), train_s, workers,
                 say=lambda line: typer.echo(line, err=True))
    if out is not None:
        write_text_atomic(out, json.dumps(result, indent=1))
    typer.echo(json.dumps(result))


@bench_app.command("music")
def bench_music(
    seconds: float = typer.Option(20.0, "--seconds", min=4, help="Seconds of each song danced (from 30 s in)."),
    seeds: str = typer.Option("0,1,2", "--seeds", help="Comma-separated generation seeds per song."),
    solo_model: Path | None = typer.Option(None, "--solo-model", help="A solo run or model folder (default: "
                                           "train the default recipe on solo-v1 for --budget-s)."),
    duet_model: Path | None = typer.Option(None, "--duet-model", help="A duet run or model folder (default: "
                                           "train the duet recipe on the salsa takes for --budget-s)."),
    budget_s: float = typer.Option(120.0, "--budget-s", help="Training seconds of each model trained here."),
    generate: bool = typer.Option(True, "--generate/--tracking-only", help="Also dance to the songs (default) "
                                  "or only check beat tracking."),
    songs: Path | None = typer.Option(None, "--songs", help="Folder of Frets on Fire songs (default: where "
                                      "Debian's fretsonfire-songs-* packages install them)."),
    max_songs: int | None = typer.Option(None, "--max-songs", min=1, help="Only the first N songs."),
    out: Path | None = typer.Option(None, "--out", help="Also write the JSON result to this file."),
    pieces: bool | None = typer.Option(None, "--pieces/--whole-draws", help="Dance chosen a piece at a time (the "
                                       "best of 4 draws of each 3 s) or among 3 whole draws, solos and duets "
                                       "alike (default: as generation does, solos by pieces, duets by whole "
                                       "draws)."),
) -> None:
    """BENCHMARK.md's music protocol: beat tracking on real songs against their charts' tempo, then solos and
    duets danced to each song against the same generations without music (beat alignment, beat hits, local
    tempo change, jitter, feet, beside the real dance)."""
    from pasdeux.bench.music import bench_music as run
    from pasdeux.errors import ConfigError

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise ConfigError(f"--seeds takes comma-separated integers, like 0,1,2; got {seeds!r}") from None
    result = run(seconds, seed_list or [0], solo_model, duet_model, budget_s, generate, songs, max_songs, out,
                 pieces=pieces)
    typer.echo(json.dumps(result))

"""The end-to-end demo: train a small solo model and a small duet model on real dance, generate, and write
what a person looks at.

Everything it does is the public API; read it as a worked example of pasdeux from data to results.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pasdeux.errors import ConfigError

DEFAULT_DATA = Path("../shared/data/duet_ilya_hannah.npy")
DEFAULT_DUET_DATA = Path("../shared/data/cmu_salsa")
SIGMAS = (0.25, 0.5, 1.0)
DUET_TRAIN, DUET_VAL, DUET_TEST = ("02", "03", "04", "05", "06", "07", "09", "10", "11"), ("12",), ("13", "14")


@dataclass
class DemoResult:
    """Where the demo wrote its results, and what it measured."""

    out: Path
    files: dict[str, Path] = field(default_factory=dict)
    figures: dict[str, float] = field(default_factory=dict)


def run_demo(data: list[Path], out: Path, budget_s: float = 120.0, seed: int = 0, long_seconds: float = 60.0,
             progress: bool = True, say: Callable[[str], None] = print, duet_data: Path | None = DEFAULT_DUET_DATA,
             duet_budget_s: float = 120.0) -> DemoResult:
    """Train the default model on `data` (each dancer a solo), generate, and write results into `out`; then,
    unless `duet_data` is None, the duet part (`run_duet_demo`) into `out/duet`."""
    import pasdeux
    from pasdeux import generate
    from pasdeux.config import load_config
    from pasdeux.data import time_split
    from pasdeux.evaluate import evaluate
    from pasdeux.training import train

    if budget_s <= 0:
        raise ConfigError(f"the training budget must be positive seconds; got {budget_s}")
    out.mkdir(parents=True, exist_ok=True)
    result = DemoResult(out)
    motions = [pasdeux.load(p) for p in data]
    parts = [time_split(m) for m in motions]
    say(f"training the default model for {budget_s:g} s on {', '.join(str(p) for p in data)} ...")
    trained = train(load_config("default"), [p["train"] for p in parts], [p["val"] for p in parts],
                    budget_s=budget_s, run_dir=out / "run", seed=seed, progress=progress)
    model = trained.model
    result.files["run"] = trained.run_dir
    result.figures["train_windows_per_s"] = trained.train_windows_per_s

    # A phrase the model never saw: the first 4 s of the first dancer's test span.
    phrase = parts[0]["test"].dancer(0).frames(0, int(4 * model.fps))
    ghost = generate.ghost_for_variations(phrase, 3)
    for sigma in SIGMAS:
        var = generate.variations(model, phrase, sigma=sigma, n=3, seed=seed)
        tag = f"variations_sigma{sigma:g}"
        result.files[f"{tag}.npz"] = pasdeux.save(var, out / f"{tag}.npz")
        result.files[f"{tag}.gif"] = pasdeux.animate(var, ghost=ghost, out=out / f"{tag}.gif",
                                                     title=f"3 variations, sigma {sigma:g} (ghost: the phrase)")
    prior = generate.prior(model, n=3, seconds=4, seed=seed)
    result.files["prior.npz"] = pasdeux.save(prior, out / "prior.npz")
    result.files["prior.gif"] = pasdeux.animate(prior, out=out / "prior.gif", title="3 fresh phrases (prior)")

    t0 = time.perf_counter()
    long = generate.long_form(model, seconds=long_seconds, seed=seed)
    result.figures["gen_realtime_factor"] = long_seconds / max(time.perf_counter() - t0, 1e-9)
    result.files["long_form.npz"] = pasdeux.save(long, out / "long_form.npz")
    result.files["long_form.bvh"] = pasdeux.save(long, out / "long_form.bvh")
    result.files["long_form.html"] = pasdeux.animate(long, out=out / "long_form.html",
                                                     title=f"{long_seconds:g} s long-form solo")
    result.files["long_form.gif"] = pasdeux.animate(long, out=out / "long_form.gif", frames=int(10 * model.fps),
                                                    title="long-form solo, first 10 s")

    say("evaluating generated dance against the real test spans ...")
    report = evaluate(motions, {"variations (sigma 0.5)": generate.variations(model, phrase, 0.5, 8, seed),
                                "prior samples": prior, "long-form": long},
                      model=model, split=True, out=out / "report", seed=seed)
    result.files.update({f"report.{k}": Path(v) for k, v in report.files.items()})
    if duet_data is not None:
        run_duet_demo(Path(duet_data), out / "duet", result, duet_budget_s, seed, progress, say)
    (out / "demo.json").write_text(json.dumps(
        {"files": {k: str(v) for k, v in result.files.items()}, "figures": _finite(result.figures)}, indent=1))
    return result


def run_duet_demo(folder: Path, out: Path, result: DemoResult, budget_s: float = 120.0, seed: int = 0,
                  progress: bool = True, say: Callable[[str], None] = print) -> None:
    """Train a small duet model on the salsa takes (60 leads, 61 follows), then write a partner for each
    held-out test take with the real partner as a ghost (GIF and HTML), the influence heatmap and the duet
    evaluation into `out`; the paths and figures go into `result`."""
    import pasdeux
    from pasdeux import generate
    from pasdeux.analysis import influence
    from pasdeux.config import load_config
    from pasdeux.evaluate import evaluate
    from pasdeux.generate.partners import real_partner
    from pasdeux.training import train
    from pasdeux.viz.plots import plot_part_influence

    if budget_s <= 0:
        raise ConfigError(f"the duet training budget must be positive seconds; got {budget_s}")
    missing = [t for t in DUET_TRAIN + DUET_VAL + DUET_TEST if not (folder / f"60_{t}.bvh").is_file()]
    if missing:
        raise ConfigError(f"{folder} lacks the salsa takes {', '.join(missing)} (60_NN.bvh and 61_NN.bvh); "
                          "pass --duet-data with the cmu_salsa folder")
    out.mkdir(parents=True, exist_ok=True)

    def take(t: str):
        return pasdeux.load(folder / f"60_{t}.bvh", pair=folder / f"61_{t}.bvh")

    say(f"training the duet model for {budget_s:g} s on the salsa takes {', '.join(DUET_TRAIN)} ...")
    trained = train(load_config("duet"), [take(t) for t in DUET_TRAIN], [take(t) for t in DUET_VAL],
                    budget_s=budget_s, run_dir=out / "run", seed=seed, progress=progress)
    model = trained.model
    result.files["duet/run"] = trained.run_dir
    tests = {t: take(t).resample(model.fps) for t in DUET_TEST}
    matrix = influence(model, list(tests.values()), "a2b")
    parts = matrix.parts
    result.files["duet/influence.png"] = plot_part_influence(
        parts.matrix, parts.leader_parts, parts.partner_parts, out / "influence.png",
        "which leader (60) parts move which partner (61) parts, salsa test takes")
    result.files["duet/influence.json"] = matrix.save(out / "influence.json")
    partners = {}
    for t, duet in tests.items():
        t0 = time.perf_counter()
        made = generate.partner(model, duet, sigma=1.0, seed=seed, lead_dancer=0)
        result.figures[f"duet_gen_realtime_factor_{t}"] = made.duration / max(time.perf_counter() - t0, 1e-9)
        partners[f"partner for {t} (a2b)"] = made
        result.files[f"duet/partner_{t}.npz"] = pasdeux.save(made, out / f"partner_{t}.npz")
        ghost = real_partner(duet, 0, model)
        title = f"take {t}: the lead (60) and a generated partner; ghost: the real partner (61)"
        result.files[f"duet/partner_{t}.html"] = pasdeux.animate(made, ghost=ghost, out=out / f"partner_{t}.html",
                                                                 title=title, highlight=matrix.highlight(made, 0))
        result.files[f"duet/partner_{t}.gif"] = pasdeux.animate(made, ghost=ghost, out=out / f"partner_{t}.gif",
                                                                frames=int(10 * model.fps), title=title)
    say("evaluating the generated partners against the real test takes ...")
    report = evaluate(list(tests.values()), partners, out=out / "report", seed=seed)
    result.files.update({f"duet/report.{k}": Path(v) for k, v in report.files.items()})


def _finite(figures: dict[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in figures.items() if np.isfinite(v)}

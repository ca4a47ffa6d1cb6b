"""The end-to-end demo: train a small default model on real dance, generate, and write what a person looks at.

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
SIGMAS = (0.25, 0.5, 1.0)


@dataclass
class DemoResult:
    """Where the demo wrote its results, and what it measured."""

    out: Path
    files: dict[str, Path] = field(default_factory=dict)
    figures: dict[str, float] = field(default_factory=dict)


def run_demo(data: list[Path], out: Path, budget_s: float = 120.0, seed: int = 0, long_seconds: float = 60.0,
             progress: bool = True, say: Callable[[str], None] = print) -> DemoResult:
    """Train the default model on `data` (each dancer a solo), generate, and write results into `out`."""
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
    (out / "demo.json").write_text(json.dumps(
        {"files": {k: str(v) for k, v in result.files.items()}, "figures": _finite(result.figures)}, indent=1))
    return result


def _finite(figures: dict[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in figures.items() if np.isfinite(v)}

"""`pasdeux bench duet`: the duet protocol of BENCHMARK.md ("duet-v3"), implemented exactly.

The salsa takes (subject 60 as dancer A, the lead; 61 as B, the follow) at 30 fps: 02-07 and 09-11 train,
12 validation, 13 and 14 test; then the same on the video duet split by time (dancer 1 as A, 2 as B), as
the `video` block (`duet_data`). Every model answers each test leader window in both directions (B from A:
`_a2b`; A from B: `_b2a`), scored relative to the leader's pelvis x and z in each frame, the partner's feet
with the travel kept (`duet_score`); the duet model and the baselines that extend to any length also answer
each whole test take as one lead (`duet_long`). Every length is relative to the training data's leg length.
The real takes are read as they are, except that tracking glitches (a joint faster than any dancer,
`data.repair_glitches`) are interpolated away and said so.

Models: `copy_leader`, `retrieval`, `shuffled`, `solo`, `mean_partner` (`duet_baselines`) and `default` (the
duet model). With `runs`, models already trained there (`RUNS/<block>/<name>/model/`) are scored again
without training, so a run can be re-scored after a change to the benchmark or the generation path.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pasdeux.bench.common import GEN_THREADS, Progress, generation_threads, machine, short, write_json
from pasdeux.bench.duet_baselines import (
    K_PARTNERS,
    Answers,
    MeanPartner,
    copy_leader,
    mean_offset,
    mean_partner,
    place_at,
    retrieval,
    shuffled,
    solo_partner,
)
from pasdeux.bench.duet_data import (
    FPS,
    REAL_STRIDE,
    TEST_STRIDE,
    TEST_TAKES,
    TRAIN_STRIDE,
    TRAIN_TAKES,
    VAL_TAKES,
    WINDOW,
    DuetData,
    salsa_data,
    video_data,
)
from pasdeux.bench.duet_long import model_long_form, real_long, score_long
from pasdeux.bench.duet_score import FEET, FEET_NEED_DEPTH, NEED_DEPTH, RealSets, feet, real_floors, real_sets, score
from pasdeux.errors import ConfigError
from pasdeux.models.base import DIRECTIONS

__all__ = ["PROTOCOL", "MODELS", "BLOCKS", "bench_duet", "bench_block", "duet_answers", "realtime_factor",
           "DuetData", "salsa_data", "video_data", "Answers", "MeanPartner", "copy_leader", "mean_partner",
           "mean_offset", "place_at", "retrieval", "shuffled", "solo_partner", "RealSets", "real_sets", "score",
           "real_floors", "real_long", "score_long", "feet", "answers_of", "block_notes", "NEED_DEPTH", "FEET",
           "FEET_NEED_DEPTH", "DIRECTIONS", "K_PARTNERS", "WINDOW", "TEST_STRIDE", "REAL_STRIDE", "TRAIN_STRIDE",
           "FPS", "TRAIN_TAKES", "VAL_TAKES", "TEST_TAKES"]

PROTOCOL = "duet-v3"
LONG_FORM_S = 60.0
MODELS = ("copy_leader", "retrieval", "shuffled", "solo", "mean_partner", "default")
TRAINED = {"solo": "default", "default": "duet"}  # the models trained with the budget, and their recipes
BLOCKS = {"salsa": salsa_data, "video": video_data}


def duet_answers(model: Any, data: DuetData, lead: np.ndarray, direction: str, seed: int) -> Answers:
    """The duet model's best guess, K sampled partners per leader window, and a partner for each whole test take
    made as `pasdeux duet partner` makes it."""
    from pasdeux.generate.partners import partner_windows

    guess = partner_windows(model, lead, direction, 0.0)[:, 0]
    drawn = partner_windows(model, lead, direction, 1.0, k=K_PARTNERS, seed=seed)
    long = model_long_form(model, data, DIRECTIONS.index(direction), direction, seed)
    return Answers(guess, drawn, long)


def realtime_factor(model: Any, data: DuetData, seconds: float = LONG_FORM_S, repeats: int = 5) -> float:
    """Seconds of partner generated per wall-clock second for one 60 s lead (the validation and test takes'
    leads joined end to end, repeated to fill 60 s): the median of `repeats`."""
    from pasdeux.generate.partners import partner_windows

    leads = np.concatenate([m.positions[0] for m in data.val + data.test])
    frames = int(round(seconds * FPS))
    lead = np.concatenate([leads] * (frames // len(leads) + 1))[:frames][None]
    times = []
    with generation_threads():
        partner_windows(model, lead[:, :64], "a2b", 1.0, seed=0)  # warm-up
        for k in range(repeats):
            start = time.perf_counter()
            partner_windows(model, lead, "a2b", 1.0, seed=k)
            times.append(time.perf_counter() - start)
    return seconds / float(np.median(times))


# --- the run -------------------------------------------------------------------------------------------------
@dataclass
class Trained:
    """A model the block scores, trained now or found already trained in `--runs`."""

    model: Any
    train_windows_per_s: float
    budget_s: float | None
    reused: Path | None = None  # the run folder it was loaded from, when it was not trained now


def _reusable(run_dir: Path) -> bool:
    from pasdeux.runs import Run

    return Run(run_dir).has_model()


def _reuse(run_dir: Path, recipe: str) -> Trained:
    """The trained model of a run folder, checked to be the recipe's model."""
    from pasdeux.config import load_config
    from pasdeux.models import load_model
    from pasdeux.runs import Run

    run, want = Run(run_dir), load_config(recipe)["model"]["name"]
    found = run.config()["model"]["name"] if run.is_run() else None
    if found != want:
        raise ConfigError(f"{run_dir} holds a {found or 'unknown'} model where the duet benchmark expects the "
                          f"{recipe} recipe's {want}; point --runs at a benchmark's runs folder or an empty one")
    history, status = run.history() or {}, run.status() or {}
    return Trained(load_model(run_dir), float(history.get("train_windows_per_s", 0.0)), status.get("budget_s"),
                   run_dir)


def train_models(data: DuetData, budget_s: float, root: Path, names: Sequence[str], seed: int,
                 progress: Progress) -> dict[str, Trained]:
    """The duet model and the default solo model (for the `solo` baseline) that `names` asks for, each trained
    with the same budget, or loaded from `root/<name>` where a finished run is already there."""
    from pasdeux.config import load_config
    from pasdeux.training import train

    out = {}
    for name, recipe in TRAINED.items():
        if name not in names:
            continue
        if _reusable(root / name):
            progress.step(f"{data.name}: re-using the trained {name} model in {root / name}")
            out[name] = _reuse(root / name, recipe)
            continue
        progress.step(f"{data.name}: training {name} ({recipe} recipe) for {budget_s:g} s")
        res = train(load_config(recipe), data.train, data.val, budget_s=budget_s, run_dir=root / name, seed=seed,
                    progress=False)
        out[name] = Trained(res.model, float(res.train_windows_per_s), float(budget_s))
    return out


def answers_of(name: str, data: DuetData, real: RealSets, role: int, trained: dict[str, Trained],
               seed: int) -> Answers:
    """What model `name` answers the test leaders of one direction with."""
    lead = real.pairs[:, 0]
    if name == "copy_leader":
        return copy_leader(data, lead, role, mean_offset(data, role))
    if name == "mean_partner":
        return mean_partner(data, lead, role)
    if name == "retrieval":
        return retrieval(data, lead, role)
    if name == "shuffled":
        return shuffled(data, real.pairs)
    if name == "solo":
        return solo_partner(trained["solo"].model, data, lead, role, mean_offset(data, role), seed)
    return duet_answers(trained["default"].model, data, lead, DIRECTIONS[role], seed)


def block_notes(data: DuetData, models: dict[str, dict], trained: dict[str, Trained]) -> list[str]:
    """What a reader of a block's figures must know: repairs, what is left out and why, re-used runs."""
    notes = list(data.notes)
    if not data.has_depth:
        notes.append(f"{' and '.join(NEED_DEPTH)} left out: every pelvis of this data stands at one depth "
                     "(extracted from one camera), so bodies overlap in the image where real ones pass in front of "
                     "each other, and these cannot tell real pairs from shuffled ones")
        notes.append(f"partner feet: {' and '.join(FEET_NEED_DEPTH)} left out, foot_skating_ratio kept: with no "
                     "depth the floor under a dancer rises and falls in the image as they step towards or away "
                     "from the camera, so a foot's height over one floor does not say whether it is planted")
    long = [n for n, s in models.items() if any(k.endswith("_long_a2b") for k in s)]
    notes.append(f"long-form (whole test takes) figures for: {', '.join(long) or 'none'}; retrieval and shuffled "
                 "partners are made of 64-frame windows and have none")
    unplanted = [n for n, s in models.items() if not all(f"foot_skating_ratio_{d}" in s for d in DIRECTIONS)]
    if unplanted:
        notes.append(f"foot_skating_ratio left out for {', '.join(unplanted)} in a direction whose partners never "
                     "plant a foot (no planted foot can slide)")
    notes += [f"{n} not trained in this run: re-used {t.reused} (trained for {t.budget_s} s)"
              for n, t in trained.items() if t.reused is not None]
    return notes


def bench_block(data: DuetData, budget_s: float, models: Sequence[str], root: Path, seed: int,
                progress: Progress) -> dict[str, Any]:
    """Real floors and every model's scores on one block (salsa or video), windows and whole takes."""
    block: dict[str, Any] = {"real": {**real_floors(data), **real_long(data)}, "models": {}}
    trained = train_models(data, budget_s, root / data.name, models, seed, progress)
    progress.step(f"{data.name}: scoring {', '.join(models)}")
    for role, direction in enumerate(DIRECTIONS):
        real = real_sets(data, role)
        for name in models:
            answers = answers_of(name, data, real, role, trained, seed)
            scores = score(data, real, answers, role)
            if answers.long_form:
                scores.update(score_long(data, answers.long_form, role))
            block["models"].setdefault(name, {}).update({f"{k}_{direction}": v for k, v in scores.items()})
    if "default" in trained:
        block["models"]["default"]["gen_realtime_factor"] = realtime_factor(trained["default"].model, data)
        block["models"]["default"]["gen_threads"] = GEN_THREADS
        block["models"]["default"]["train_windows_per_s"] = trained["default"].train_windows_per_s
    block["notes"] = block_notes(data, block["models"], trained)
    return block


def _names(values: Sequence[str], known: Sequence[str], what: str) -> list[str]:
    """Each name once, in the order given, all known (else a ConfigError naming the known ones)."""
    names = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    unknown = sorted(set(names) - set(known))
    if unknown or not names:
        raise ConfigError(f"unknown duet benchmark {what}(s) {', '.join(unknown) or '(none)'}; {what}s are: "
                          f"{', '.join(known)}")
    return names


def _plan(blocks: Sequence[str], models: Sequence[str], root: Path | None, budget_s: float) -> list:
    """The run's steps for the progress lines (a run found in `root` takes seconds, not the budget)."""
    plan = []
    for b in blocks:
        plan.append(("load", None))
        for name in TRAINED:
            if name in models:
                plan.append(("reuse", 10.0) if root is not None and _reusable(root / b / name) else ("train", budget_s))
        plan.append(("score", None))
    return plan


def bench_duet(budget_s: float = 180.0, models: Sequence[str] = MODELS, out: str | os.PathLike | None = None,
               salsa: str | os.PathLike | None = None, video: str | os.PathLike | None = None,
               runs: str | os.PathLike | None = None, seed: int = 0,
               log: Callable[[str], None] | None = None, blocks: Sequence[str] = tuple(BLOCKS)) -> dict[str, Any]:
    """Run duet-v3 on `blocks` (salsa, then the video block); returns (and writes to `out`) the BENCHMARK.md JSON
    object. With `runs`, the trained models are kept there, and those already there are re-used."""
    if budget_s <= 0:
        raise ConfigError(f"--budget-s must be positive; got {budget_s}")
    models, blocks = _names(models, MODELS, "model"), _names(blocks, tuple(BLOCKS), "block")
    blocks = [b for b in BLOCKS if b in blocks]  # salsa first: its figures are the top level of the output
    progress = Progress(_plan(blocks, models, None if runs is None else Path(runs), budget_s), log)
    result: dict[str, Any] = {"protocol": PROTOCOL, "machine": machine(), "budget_s": float(budget_s)}
    with tempfile.TemporaryDirectory(prefix="pasdeux-bench-duet-") as tmp:
        root = Path(runs) if runs is not None else Path(tmp)
        for name in blocks:
            progress.step(f"loading the {'video duet' if name == 'video' else 'salsa takes'}", guess_s=20)
            block = bench_block(BLOCKS[name](salsa if name == "salsa" else video), budget_s, models, root, seed,
                                progress)
            if name == "video":
                result["video"] = block
            else:
                result.update(block)
            progress.log(f"{name}: " + "; ".join(f"{n}: {short(s)}" for n, s in block["models"].items()))
    progress.end("duet benchmark done")
    if out is not None:
        write_json(result, Path(out))
    return result

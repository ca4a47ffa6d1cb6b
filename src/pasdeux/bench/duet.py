"""`pasdeux bench duet`: the duet protocol of BENCHMARK.md ("duet-v2"), implemented exactly.

The salsa takes (subject 60 as dancer A, the lead; 61 as B, the follow) at 30 fps: 02-07 and 09-11 train,
12 validation, 13 and 14 test; then the same on the video duet split by time (dancer 1 as A, 2 as B), as
the `video` block. Every model answers each test leader window in both directions (B from A: `_a2b`; A
from B: `_b2a`). Positions are scored relative to the leader's pelvis x and z in each frame; every length
is relative to the training data's leg length. The real takes are read as they are, except that tracking
glitches (a joint faster than any dancer, `data.repair_glitches`) are interpolated away and said so.

Models: `copy_leader` (the leader's own movement at the mean partner offset), `retrieval` (the training
partner whose leader window is nearest), `shuffled` (the real partner of another test window), `solo` (the
default solo model's prior samples, at the mean offset, not seeing the leader) and `default` (the duet
model). Deterministic baselines answer each leader with the same partner, so their multimodality is 0.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from pasdeux import metrics
from pasdeux.bench.common import GEN_THREADS, Progress, find_shared, generation_threads, machine, short, write_json
from pasdeux.body import root_trajectory
from pasdeux.data import center, leader_centred, pair_windows, repair_glitches, shuffled_partners, time_split
from pasdeux.errors import ConfigError
from pasdeux.models.duet import DIRECTIONS
from pasdeux.motion import Motion

PROTOCOL = "duet-v2"
TRAIN_TAKES = ("02", "03", "04", "05", "06", "07", "09", "10", "11")
VAL_TAKES, TEST_TAKES = ("12",), ("13", "14")
WINDOW, TEST_STRIDE, REAL_STRIDE, TRAIN_STRIDE = 64, 4, 2, 8
FPS = 30.0
K_PARTNERS = 4  # sampled partners per leader window for multimodality
LONG_FORM_S = 60.0
MODELS = ("copy_leader", "retrieval", "shuffled", "solo", "default")
# Bodies placed in one depth plane (a duet extracted from one camera): these measure overlap in the image,
# where real pairs score no higher than shuffled ones, so such data leave them out.
NEED_DEPTH = ("contact_rate", "penetration")


@dataclass
class DuetData:
    """One block of the protocol: its train, validation and test duets (dancer 0 is A), at 30 fps."""

    name: str
    train: list[Motion]
    val: list[Motion]
    test: list[Motion]
    notes: list[str]

    @property
    def skeleton(self):
        return self.test[0].skeleton

    @cached_property
    def has_depth(self) -> bool:
        """Whether the dancers' pelvises move in depth (z) at all, not just across (x)."""
        flat = np.concatenate([m.positions.reshape(-1, *m.positions.shape[-2:]) for m in self.train + self.test])
        root = root_trajectory(flat, self.skeleton)
        return bool(np.ptp(root[:, 2]) > 1e-3 * np.ptp(root[:, 0]))

    def windows(self, split: str, stride: int) -> np.ndarray:
        """Uncentred pair windows `[N, 2, T, J, 3]` (A first) of a split."""
        return np.concatenate([pair_windows(m.positions, WINDOW, stride) for m in getattr(self, split)])


def _clean(motion: Motion, notes: list[str]) -> Motion:
    repaired = repair_glitches(motion.resample(FPS) if abs(motion.fps - FPS) > 1e-6 else motion)
    notes += [n for n in repaired.notes[len(motion.notes):] if "glitch" in n or "filled" in n]
    return repaired


def salsa_data(folder: str | os.PathLike | None = None) -> DuetData:
    """The salsa takes of the protocol, A (60) and B (61) of each take as one duet."""
    import pasdeux

    root = find_shared("cmu_salsa", folder)
    notes: list[str] = []

    def take(t: str) -> Motion:
        return _clean(pasdeux.load(root / f"60_{t}.bvh", pair=root / f"61_{t}.bvh"), notes)

    return DuetData("salsa", [take(t) for t in TRAIN_TAKES], [take(t) for t in VAL_TAKES],
                    [take(t) for t in TEST_TAKES], notes)


def video_data(path: str | os.PathLike | None = None) -> DuetData:
    """The video duet split by time (70 / 15 / 15 %), dancer 1 as A and dancer 2 as B."""
    import pasdeux

    notes: list[str] = []
    duet = _clean(pasdeux.load(find_shared("duet_ilya_hannah.npy", path)), notes)
    parts = time_split(duet)
    return DuetData("video", [parts["train"]], [parts["val"]], [parts["test"]], notes)


# --- what a model makes of the test leaders -----------------------------------------------------------
@dataclass
class Answers:
    """Partners for the test leader windows of one direction, all uncentred world positions."""

    guess: np.ndarray  # [N, T, J, 3] the best guess (sigma 0), or the baseline's one answer
    drawn: np.ndarray  # [N, K, T, J, 3] sampled partners (sigma 1); drawn[:, 0] is scored as "the" partner
    long_form: list[np.ndarray]  # a partner for each whole test take [T, J, 3]


def mean_offset(data: DuetData, role: int) -> np.ndarray:
    """The partner's mean pelvis offset (x, z) from the leader in the leader's heading, over the training data."""
    import torch

    from pasdeux.models.leader_frame import facing, facing_joints, to_frame

    offsets = []
    for m in data.train:
        lead, partner = m.positions[role], m.positions[1 - role]
        gap = (root_trajectory(partner, m.skeleton) - root_trajectory(lead, m.skeleton))[:, [0, 2]]
        fwd = facing(torch.as_tensor(lead[None]), facing_joints(m.skeleton), m.fps)[0]
        offsets.append(to_frame(torch.as_tensor(gap), fwd).numpy())
    return np.concatenate(offsets).mean(0)


def place_at(partner_centred: np.ndarray, lead: np.ndarray, offset: np.ndarray, skeleton) -> np.ndarray:
    """Bodies centred on their own pelvis (x, z) placed at `offset` from each frame's leader, in its heading."""
    import torch

    from pasdeux.models.leader_frame import facing, facing_joints, from_frame

    lead_t = torch.as_tensor(lead.reshape(-1, *lead.shape[-3:]))
    fwd = facing(lead_t, facing_joints(skeleton), FPS)
    xz = from_frame(torch.as_tensor(offset, dtype=torch.float32).expand_as(fwd), fwd).numpy().reshape(
        *lead.shape[:-2], 2)
    root = root_trajectory(lead, skeleton)[..., [0, 2]] + xz
    out = partner_centred.copy()
    out[..., 0] += root[..., None, 0]
    out[..., 2] += root[..., None, 1]
    return out


# --- the baselines -------------------------------------------------------------------------------------
def copy_leader(data: DuetData, lead: np.ndarray, role: int, offset: np.ndarray) -> Answers:
    """The partner is the leader's own movement, at the training data's mean partner offset."""
    own = center(lead, data.skeleton)
    guess = place_at(own, lead, offset, data.skeleton)
    return Answers(guess, guess[:, None].repeat(K_PARTNERS, 1), [])


def retrieval(data: DuetData, lead: np.ndarray, role: int) -> Answers:
    """The training partner whose leader window is nearest (L2, both relative to the leader's pelvis)."""
    train = data.windows("train", TEST_STRIDE)
    train = leader_centred(train[:, [role, 1 - role]], data.skeleton)
    query = leader_centred(np.stack([lead, lead], 1), data.skeleton)[:, 0]
    keys = train[:, 0].reshape(len(train), -1)
    best = [int(np.argmin(((keys - q.reshape(1, -1)) ** 2).sum(1))) for q in query]
    root = root_trajectory(lead, data.skeleton) * [1, 0, 1]
    guess = train[best, 1] + root[..., None, :]
    return Answers(guess, guess[:, None].repeat(K_PARTNERS, 1), [])


def shuffled(data: DuetData, pairs: np.ndarray) -> Answers:
    """The real partner of another test window (the half shift), placed where it stood from its own leader;
    K different shifts for multimodality."""
    n = len(pairs)
    drawn = np.stack([shuffled_partners(pairs, shift=(n // 2 + k) % n or 1)[:, 1] for k in range(K_PARTNERS)], 1)
    return Answers(drawn[:, 0], drawn, [])


def solo_partner(model: Any, data: DuetData, lead: np.ndarray, offset: np.ndarray, seed: int) -> Answers:
    """A solo model's prior samples (not seeing the leader), placed at the mean offset."""
    from pasdeux.generate import pipeline

    n, t = lead.shape[:2]
    drawn = pipeline.sample(model, n * K_PARTNERS, t, seed=seed).reshape(n, K_PARTNERS, *lead.shape[1:])
    placed = np.stack([place_at(drawn[:, k], lead, offset, data.skeleton) for k in range(K_PARTNERS)], 1)
    return Answers(placed[:, 0], placed, [])


def duet_answers(model: Any, data: DuetData, lead: np.ndarray, direction: str, seed: int) -> Answers:
    """The duet model's best guess, K sampled partners per leader window, and a partner for each whole test take."""
    from pasdeux.generate.partners import partner_windows

    role = DIRECTIONS.index(direction)
    guess = partner_windows(model, lead, direction, 0.0)[:, 0]
    drawn = partner_windows(model, lead, direction, 1.0, k=K_PARTNERS, seed=seed)
    long = [partner_windows(model, m.positions[role][None], direction, 1.0, seed=seed)[0, 0] for m in data.test]
    return Answers(guess, drawn, long)


# --- scoring -----------------------------------------------------------------------------------------------
@dataclass
class RealSets:
    """The real test windows of one direction (leader first), and the spaces fitted on them, once per run."""

    pairs: np.ndarray  # test pair windows at stride 4 (uncentred, leader first): what models answer
    reference: np.ndarray  # test windows at stride 2, relative to the leader's pelvis
    partners: np.ndarray  # the reference's partners centred per frame
    cross: metrics.CrossDistanceSpace
    kinetic: metrics.KineticSpace
    leg: float


def real_sets(data: DuetData, role: int, leg: float) -> RealSets:
    order = [role, 1 - role]
    pairs = data.windows("test", TEST_STRIDE)[:, order]
    reference = leader_centred(data.windows("test", REAL_STRIDE)[:, order], data.skeleton)
    partners = center(reference[:, 1], data.skeleton)
    return RealSets(pairs, reference, partners, metrics.CrossDistanceSpace.fit(reference, data.skeleton),
                    metrics.KineticSpace.fit(partners, FPS), leg)


def score(data: DuetData, real: RealSets, answers: Answers, role: int) -> dict[str, float]:
    """Every duet metric of BENCHMARK.md for one direction's answers."""
    sk, lead = data.skeleton, real.pairs[:, 0]
    truth = leader_centred(real.pairs, sk)
    guess = leader_centred(np.stack([lead, answers.guess], 1), sk)
    drawn = leader_centred(np.stack([lead, answers.drawn[:, 0]], 1), sk)
    own = center(answers.drawn[:, 0], sk)
    out = {"partner_mse": metrics.recon_mse(guess[:, 1], truth[:, 1]),
           "fid_cd": real.cross.fid(drawn, real.reference),
           "div_cd": metrics.mean_pairwise_distance(real.cross.features(drawn)),
           "fid_k": real.kinetic.fid(own, real.partners), "diversity": real.kinetic.diversity(own),
           "multimodality": real.kinetic.multimodality(center(answers.drawn, sk)),
           "contact_rate": metrics.contact_rate(drawn, sk, real.leg),
           "penetration": metrics.penetration(drawn, sk, real.leg),
           "responsiveness": metrics.responsiveness(drawn, sk, FPS),
           "bed": metrics.bed(drawn, sk, FPS, real.leg),
           "jitter_ratio": metrics.jitter_ratio(own, center(truth[:, 1], sk)),
           "bone_cv": metrics.bone_cv(answers.drawn[:, 0], sk)}
    if not data.has_depth:
        out = {k: v for k, v in out.items() if k not in NEED_DEPTH}
    if answers.long_form:
        out["max_partner_distance"] = max(
            metrics.max_partner_distance(np.stack([m.positions[role], p])[None], sk)
            for m, p in zip(data.test, answers.long_form))
    return out


def real_floors(data: DuetData, leg: float) -> dict[str, float]:
    """What real dance scores (both directions: the bare names are a2b, `_b2a` the reverse)."""
    sk, out = data.skeleton, {"leg_length": leg}
    train = data.windows("train", TRAIN_STRIDE)
    out["max_partner_distance_train"] = max(metrics.max_partner_distance(m.positions[None], sk) for m in data.train)
    for role, suffix in ((0, ""), (1, "_b2a")):
        real = real_sets(data, role, leg)
        floor = leader_centred(train[:, [role, 1 - role]], sk)
        out[f"fid_cd_real{suffix}"] = real.cross.fid(floor, real.reference)
        out[f"div_cd_real{suffix}"] = metrics.mean_pairwise_distance(real.cross.features(real.reference))
        out[f"diversity_real{suffix}"] = real.kinetic.diversity(real.partners)
        out[f"contact_rate_real{suffix}"] = metrics.contact_rate(real.reference, sk, leg)
        out[f"penetration_real{suffix}"] = metrics.penetration(real.reference, sk, leg)
        out[f"responsiveness_real{suffix}"] = metrics.responsiveness(real.reference, sk, FPS)
        out[f"bed_real{suffix}"] = metrics.bed(real.reference, sk, FPS, leg)
        out[f"bone_cv_real{suffix}"] = metrics.bone_cv(real.reference[:, 1], sk)
    out["test_windows"] = len(data.windows("test", TEST_STRIDE))
    if not data.has_depth:
        out = {k: v for k, v in out.items() if not k.startswith(NEED_DEPTH)}
    return out


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
def train_models(data: DuetData, budget_s: float, root: Path, seed: int, progress: Progress) -> dict[str, Any]:
    """The duet model and the default solo model (for the `solo` baseline), each with the same budget."""
    from pasdeux.config import load_config
    from pasdeux.training import train

    out = {}
    for name, recipe in (("solo", "default"), ("default", "duet")):
        progress.step(f"{data.name}: training {name} ({recipe} recipe) for {budget_s:g} s")
        out[name] = train(load_config(recipe), data.train, data.val, budget_s=budget_s, run_dir=root / name,
                          seed=seed, progress=False)
    return out


def bench_block(data: DuetData, budget_s: float, models: Sequence[str], root: Path, seed: int,
                progress: Progress) -> dict[str, Any]:
    """Real floors and every model's scores on one block (salsa or video)."""
    leg = metrics.leg_length(np.concatenate([m.positions.reshape(-1, *m.positions.shape[-2:]) for m in data.train]),
                             data.skeleton)
    block: dict[str, Any] = {"real": real_floors(data, leg), "models": {}}
    trained = train_models(data, budget_s, root / data.name, seed, progress) if \
        {"solo", "default"} & set(models) else {}
    progress.step(f"{data.name}: scoring {', '.join(models)}")
    for role, direction in enumerate(DIRECTIONS):
        real = real_sets(data, role, leg)
        offset = mean_offset(data, role)
        lead = real.pairs[:, 0]
        for name in models:
            if name == "copy_leader":
                answers = copy_leader(data, lead, role, offset)
            elif name == "retrieval":
                answers = retrieval(data, lead, role)
            elif name == "shuffled":
                answers = shuffled(data, real.pairs)
            elif name == "solo":
                answers = solo_partner(trained["solo"].model, data, lead, offset, seed)
            else:
                answers = duet_answers(trained["default"].model, data, lead, direction, seed)
            scores = block["models"].setdefault(name, {})
            scores.update({f"{k}_{direction}": v for k, v in score(data, real, answers, role).items()})
    if "default" in trained:
        block["models"]["default"]["gen_realtime_factor"] = realtime_factor(trained["default"].model, data)
        block["models"]["default"]["gen_threads"] = GEN_THREADS
        block["models"]["default"]["train_windows_per_s"] = float(trained["default"].train_windows_per_s)
    block["notes"] = data.notes + ([] if data.has_depth else [
        f"{' and '.join(NEED_DEPTH)} left out: every pelvis of this data stands at one depth (extracted from "
        "one camera), so bodies overlap in the image where real ones pass in front of each other, and these "
        "cannot tell real pairs from shuffled ones"])
    return block


def bench_duet(budget_s: float = 180.0, models: Sequence[str] = MODELS, out: str | os.PathLike | None = None,
               salsa: str | os.PathLike | None = None, video: str | os.PathLike | None = None,
               runs: str | os.PathLike | None = None, seed: int = 0,
               log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run duet-v2 (salsa, then the video block); returns (and writes to `out`) the BENCHMARK.md JSON object."""
    if budget_s <= 0:
        raise ConfigError(f"--budget-s must be positive; got {budget_s}")
    models = list(dict.fromkeys(m.strip() for m in models if m.strip()))
    unknown = sorted(set(models) - set(MODELS))
    if unknown or not models:
        raise ConfigError(f"unknown duet benchmark model(s) {', '.join(unknown) or '(none)'}; models are: "
                          f"{', '.join(MODELS)}")
    trains = len({"solo", "default"} & set(models))
    plan = [("load", None)] + [("train", budget_s)] * trains + [("score", None), ("load", None)] + \
        [("train", budget_s)] * trains + [("score", None)]
    progress = Progress(plan, log)
    result: dict[str, Any] = {"protocol": PROTOCOL, "machine": machine(), "budget_s": float(budget_s)}
    with tempfile.TemporaryDirectory(prefix="pasdeux-bench-duet-") as tmp:
        root = Path(runs) if runs is not None else Path(tmp)
        for loader, path, where in ((salsa_data, salsa, None), (video_data, video, "video")):
            progress.step(f"loading the {'video duet' if where else 'salsa takes'}", guess_s=20)
            block = bench_block(loader(path), budget_s, models, root, seed, progress)
            if where:
                result[where] = block
            else:
                result.update(block)
            progress.log(f"{where or 'salsa'}: " + "; ".join(f"{n}: {short(s)}" for n, s in block["models"].items()))
    progress.end("duet benchmark done")
    if out is not None:
        write_json(result, Path(out))
    return result

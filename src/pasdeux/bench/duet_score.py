"""Scoring the duet protocol on its test windows: every model's answers in one direction, and what the real
test partners score (the floors), both by BENCHMARK.md's definitions.

Positions are scored relative to the leader's pelvis x and z in each frame, except the partner's feet: they
are measured on world positions with the travel kept (a planted foot under a partner who steps would slide
in leader-centred coordinates whenever the leader moves), against the floor of the real test partners.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pasdeux import metrics
from pasdeux.bench.duet_baselines import Answers
from pasdeux.bench.duet_data import FPS, REAL_STRIDE, TEST_STRIDE, TRAIN_STRIDE, DuetData
from pasdeux.data import center, leader_centred

# Bodies placed in one depth plane (a duet extracted from one camera): these measure overlap in the image,
# where real pairs score no higher than shuffled ones, so such data leave them out.
NEED_DEPTH = ("contact_rate", "penetration")
# Heights over one floor mean nothing there either: the floor under a dancer rises and falls in the image as
# they step towards or away from the camera. Skating (how fast a planted foot slides) is kept.
FEET_NEED_DEPTH = ("foot_contact_share", "floating")
FEET = ("foot_contact_share", "foot_skating_ratio", "floating")


@dataclass
class RealSets:
    """The real test windows of one direction (leader first), and the spaces fitted on them, once per run."""

    pairs: np.ndarray  # test pair windows at stride 4 (uncentred, leader first): what models answer
    reference: np.ndarray  # test windows at stride 2, relative to the leader's pelvis
    partners: np.ndarray  # the reference's partners centred per frame
    cross: metrics.CrossDistanceSpace
    kinetic: metrics.KineticSpace
    leg: float
    floor: float  # under the real test partners: the partners' feet are measured against it


def real_sets(data: DuetData, role: int, leg: float | None = None) -> RealSets:
    order = [role, 1 - role]
    pairs = data.windows("test", TEST_STRIDE)[:, order]
    reference = leader_centred(data.windows("test", REAL_STRIDE)[:, order], data.skeleton)
    partners = center(reference[:, 1], data.skeleton)
    return RealSets(pairs, reference, partners, metrics.CrossDistanceSpace.fit(reference, data.skeleton),
                    metrics.KineticSpace.fit(partners, FPS), data.leg if leg is None else leg, data.floor(role))


def feet(data: DuetData, world: np.ndarray, leg: float, floor: float) -> dict[str, float]:
    """The partners' feet (`foot_contact_share`, `foot_skating_ratio`, `floating`) of world-position partners
    `[N, T, J, 3]`, travel kept, against the real partners' `floor`; skating only where the block has no depth,
    and none for partners that never plant a foot (there is no planted foot to slide: not a 0)."""
    out = metrics.foot_metrics(world, data.skeleton, FPS, leg, floor)
    if out["foot_contact_share"] == 0.0:
        del out["foot_skating_ratio"]
    return out if data.has_depth else {k: v for k, v in out.items() if k not in FEET_NEED_DEPTH}


def score(data: DuetData, real: RealSets, answers: Answers, role: int) -> dict[str, float]:
    """Every windowed duet metric of BENCHMARK.md for one direction's answers (`max_partner_distance` too, from
    the whole-take partners when the model has them)."""
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
           "bone_cv": metrics.bone_cv(answers.drawn[:, 0], sk),
           **feet(data, answers.drawn[:, 0], real.leg, real.floor)}
    if not data.has_depth:
        out = {k: v for k, v in out.items() if k not in NEED_DEPTH}
    if answers.long_form:
        out["max_partner_distance"] = max(
            metrics.max_partner_distance(np.stack([m.positions[role], p])[None], sk)
            for m, p in zip(data.test, answers.long_form))
    return out


def real_floors(data: DuetData, leg: float | None = None) -> dict[str, float]:
    """What real dance scores on the test windows (both directions: the bare names are a2b, `_b2a` the reverse),
    the partners' own fid_k floor (real train partners against real test partners) and their feet."""
    sk, leg = data.skeleton, data.leg if leg is None else leg
    out = {"leg_length": leg}
    train = data.windows("train", TRAIN_STRIDE)
    out["max_partner_distance_train"] = max(metrics.max_partner_distance(m.positions[None], sk) for m in data.train)
    for role, suffix in ((0, ""), (1, "_b2a")):
        real = real_sets(data, role, leg)
        floor = leader_centred(train[:, [role, 1 - role]], sk)
        out[f"fid_cd_real{suffix}"] = real.cross.fid(floor, real.reference)
        out[f"div_cd_real{suffix}"] = metrics.mean_pairwise_distance(real.cross.features(real.reference))
        out[f"fid_k_real{suffix}"] = real.kinetic.fid(center(floor[:, 1], sk), real.partners)
        out[f"diversity_real{suffix}"] = real.kinetic.diversity(real.partners)
        out[f"contact_rate_real{suffix}"] = metrics.contact_rate(real.reference, sk, leg)
        out[f"penetration_real{suffix}"] = metrics.penetration(real.reference, sk, leg)
        out[f"responsiveness_real{suffix}"] = metrics.responsiveness(real.reference, sk, FPS)
        out[f"bed_real{suffix}"] = metrics.bed(real.reference, sk, FPS, leg)
        out[f"bone_cv_real{suffix}"] = metrics.bone_cv(real.reference[:, 1], sk)
        out.update({f"{k}_real{suffix}": v for k, v in feet(data, real.pairs[:, 1], leg, real.floor).items()})
        out[f"partner_floor{suffix}"] = real.floor
    out["test_windows"] = len(data.windows("test", TEST_STRIDE))
    if not data.has_depth:
        out = {k: v for k, v in out.items() if not k.startswith(NEED_DEPTH)}
    return out

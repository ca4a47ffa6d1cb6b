"""Whole takes (long-form) in the duet protocol: a partner for each whole test take as one lead, scored against
that take's real partner and real couple, per take and averaged over the takes.

`jitter_ratio_long` is the partner's jitter over the whole take over the real partner's (so the real couple's
is 1 by definition and not reported); the feet are measured as on the windows (world positions, travel kept,
the real test partners' floor) and `responsiveness_long` over the whole take as one window. A figure that
holds on 64-frame windows but not over a whole take is what a user of `pasdeux duet partner` sees.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pasdeux import metrics
from pasdeux.bench.duet_data import FPS, DuetData
from pasdeux.bench.duet_score import feet
from pasdeux.data import center, leader_centred


def model_long_form(model: Any, data: DuetData, role: int, direction: str, seed: int) -> list[np.ndarray]:
    """The duet model's partner (sigma 1) `[T, J, 3]` for the lead of each whole test take, made the way
    `pasdeux duet partner` makes it (`pasdeux.generate.partner`)."""
    from pasdeux.generate import partner

    out = []
    for take in data.test:
        duet = partner(model, take, sigma=1.0, n=1, seed=seed, lead_dancer=role, direction=direction)
        if duet.n_frames != take.n_frames:
            raise RuntimeError(f"a partner for a {take.n_frames}-frame lead came back {duet.n_frames} frames long")
        out.append(duet.positions[1])
    return out


def take_scores(data: DuetData, lead: np.ndarray, partner: np.ndarray, real_partner: np.ndarray,
                floor: float) -> dict[str, float]:
    """The long-form figures of one whole take: `partner` `[T, J, 3]` answering `lead`, beside `real_partner`."""
    sk = data.skeleton
    couple = leader_centred(np.stack([lead, partner])[None], sk)
    return {"jitter_ratio": metrics.jitter_ratio(center(partner[None], sk), center(real_partner[None], sk)),
            "responsiveness": metrics.responsiveness(couple, sk, FPS),
            **feet(data, partner[None], data.leg, floor)}


def _averaged(per_take: list[dict[str, float]]) -> dict[str, float]:
    """The mean over takes of each figure, over the takes that have it (a take whose partner never plants a
    foot has no skating ratio)."""
    keys = dict.fromkeys(k for s in per_take for k in s)
    return {f"{k}_long": float(np.mean([s[k] for s in per_take if k in s])) for k in keys}


def score_long(data: DuetData, partners: list[np.ndarray], role: int) -> dict[str, float]:
    """`<metric>_long` of a model's partners for the whole test takes (leading as `role`), averaged over takes."""
    if len(partners) != len(data.test):
        raise ValueError(f"{len(partners)} whole-take partners for {len(data.test)} test takes")
    floor = data.floor(role)
    return _averaged([take_scores(data, m.positions[role], p, m.positions[1 - role], floor)
                      for m, p in zip(data.test, partners)])


def real_long(data: DuetData) -> dict[str, float]:
    """The real couple's long-form figures (`<metric>_long`, a2b; `<metric>_long_b2a`), jitter left out."""
    out = {}
    for role, suffix in ((0, ""), (1, "_b2a")):
        real = score_long(data, [m.positions[1 - role] for m in data.test], role)
        out.update({f"{k}{suffix}": v for k, v in real.items() if not k.startswith("jitter_ratio")})
    return out

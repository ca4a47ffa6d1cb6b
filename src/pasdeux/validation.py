"""A model's scores on held-out windows: what a training run logs at each validation and the benchmark
reports (BENCHMARK.md names).

`validation_metrics` generates reconstructions (posterior mean), sigma-0.5 variations and prior samples
through `pasdeux.generate.pipeline` (in the world, feet grounded, as users get them) and scores them with
`pasdeux.metrics` against centred windows, so a run's curves read like the benchmark; given the real
data's floor it also scores their feet with the travel kept. It changes nothing in the model: fit any
post-hoc prior first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pasdeux.data import center, leader_centred
from pasdeux.errors import ShapeError, SkeletonError
from pasdeux.generate import pipeline
from pasdeux.generate.partners import partner_windows
from pasdeux.grounding import FloorModel
from pasdeux.metrics.basic import bone_cv, jitter_ratio, mpjpe, recon_mse
from pasdeux.metrics.feet import foot_metrics
from pasdeux.metrics.kinetic import KineticSpace
from pasdeux.motion import Skeleton

VAL_SEED = 1234  # one fixed seed for prior samples and variations, so epochs compare like for like


SETS = ("recon", "var05", "prior")


@dataclass
class Generated:
    """What a model made of validation windows: reconstructions, sigma-0.5 variations and prior samples,
    centred per frame, and the same in the world (travel kept) where known."""

    recon: np.ndarray
    var05: np.ndarray
    prior: np.ndarray
    world: dict[str, np.ndarray] | None = None

    @classmethod
    def of(cls, model: Any, val_windows: np.ndarray, n_prior: int, seed: int) -> Generated:
        """Generate the three sets in the world (grounded, as `pasdeux.generate` gives them), then centre."""
        world = {"recon": pipeline.reconstruct_world(model, val_windows),
                 "var05": pipeline.vary_world(model, val_windows, 0.5, seed=seed),
                 "prior": pipeline.sample_world(model, int(n_prior), val_windows.shape[1], seed=seed)}
        centred = {k: center(v, model.skeleton, "frame") for k, v in world.items()}
        return cls(centred["recon"], centred["var05"], centred["prior"], world)


def validation_metrics(model: Any, val_windows: np.ndarray, skeleton: Skeleton | None = None,
                       fps: float | None = None, n_prior: int = 64, seed: int = VAL_SEED,
                       real: np.ndarray | None = None, kinetic: KineticSpace | None = None,
                       geometric: Any = None, floor: FloorModel | None = None) -> dict[str, float]:
    """recon_mse, mpjpe and jitter of reconstructions, jitter of sigma-0.5 variations, and jitter,
    fid_k, diversity and bone_cv of `n_prior` prior samples of a model, for centred windows `[N, T, J, 3]`.

    `skeleton` and `fps` default to the model's; the rest is as for `score`.
    """
    val = _checked(val_windows)
    made = Generated.of(model, val, n_prior, seed)
    return score(made, val, skeleton or model.skeleton, float(fps or model.fps), real, kinetic, geometric, floor)


def score(made: Generated, val_windows: np.ndarray, skeleton: Skeleton, fps: float, real: np.ndarray | None = None,
          kinetic: KineticSpace | None = None, geometric: Any = None,
          floor: FloorModel | None = None) -> dict[str, float]:
    """The validation metrics of generated windows. The prior samples are compared with `real` (default: the
    validation windows) in the `kinetic` space (default: fitted on `real`); a fitted `geometric` space adds
    `fid_g_prior`; the real data's `floor` adds the feet metrics of each set (`<metric>_<set>`)."""
    val = _checked(val_windows)
    real = val if real is None else real
    space = kinetic or KineticSpace.fit(real, fps)
    rec, var, prior = made.recon, made.var05, made.prior
    out = {"recon_mse": recon_mse(rec, val), "mpjpe": mpjpe(rec, val),
           "jitter_ratio_recon": jitter_ratio(rec, val, fps), "jitter_ratio_var05": jitter_ratio(var, val, fps),
           "jitter_ratio_prior": jitter_ratio(prior, val, fps), "fid_k_prior": space.fid(prior, real),
           "diversity_prior": space.diversity(prior), "bone_cv_prior": bone_cv(prior, skeleton)}
    if geometric is not None:
        out["fid_g_prior"] = geometric.fid(prior, real)
    if floor is not None and made.world is not None:
        for name in SETS:
            out.update({f"{k}_{name}": v for k, v in feet_scores(made.world[name], skeleton, fps, floor).items()})
    return out


def feet_scores(world: np.ndarray, skeleton: Skeleton, fps: float, floor: FloorModel) -> dict[str, float]:
    """`foot_contact_share`, `foot_skating_ratio` and `floating` (`pasdeux.metrics.foot_metrics`) of world
    windows `[N, T, J, 3]` against the real data's floor and leg length (empty for skeletons without feet)."""
    try:
        return foot_metrics(world, skeleton, fps, floor.leg_length, floor.floor)
    except SkeletonError:
        return {}


def _checked(val_windows: np.ndarray) -> np.ndarray:
    val = np.asarray(val_windows, dtype=np.float32)
    if val.ndim != 4 or len(val) < 2 or val.shape[1] < 3:
        raise ShapeError(f"validation needs at least 2 centred windows [N, T>=3, J, 3]; got shape {val.shape}")
    return val


def model_scores(model: Any, val_windows: np.ndarray, n_prior: int = 64, seed: int = VAL_SEED) -> dict[str, float]:
    """What a training run logs: `validation_metrics` for solo models, `duet_scores` for duet models."""
    if getattr(model, "dancers", 1) == 2:
        return duet_scores(model, val_windows, seed)
    return validation_metrics(model, val_windows, n_prior=n_prior, seed=seed)


def duet_scores(model: Any, pairs: np.ndarray, seed: int = VAL_SEED) -> dict[str, float]:
    """For uncentred pair windows `[N, 2, T, J, 3]`, in both directions: `partner_mse_<dir>` of the best guess
    (sigma 0) and `jitter_ratio_<dir>` of sampled partners (sigma 1), relative to the leader's pelvis as the
    duet protocol scores them; their means `partner_mse` and `jitter_ratio_partner`; and the `recon_mse` of
    the model's solo model on the leaders."""
    from pasdeux.models.base import DIRECTIONS

    pairs = np.asarray(pairs, np.float32)
    if pairs.ndim != 5 or pairs.shape[1] != 2 or len(pairs) < 2:
        raise ShapeError(f"duet validation needs at least 2 pair windows [N, 2, T, J, 3]; got shape {pairs.shape}")
    sk, out = model.skeleton, {}
    for d, name in enumerate(DIRECTIONS):
        lead, real = pairs[:, d], pairs[:, 1 - d]
        truth = leader_centred(np.stack([lead, real], 1), sk)[:, 1]
        guess = leader_centred(np.stack([lead, partner_windows(model, lead, name, 0.0)[:, 0]], 1), sk)[:, 1]
        drawn = partner_windows(model, lead, name, 1.0, seed=seed)[:, 0]
        out[f"partner_mse_{name}"] = recon_mse(guess, truth)
        out[f"jitter_ratio_{name}"] = jitter_ratio(center(drawn, sk), center(real, sk))
    out["partner_mse"] = float(np.mean([out[f"partner_mse_{n}"] for n in DIRECTIONS]))
    out["jitter_ratio_partner"] = float(np.mean([out[f"jitter_ratio_{n}"] for n in DIRECTIONS]))
    solos = center(np.concatenate([pairs[:, 0], pairs[:, 1]]), sk)
    out["recon_mse"] = recon_mse(pipeline.reconstruct(model.solo, solos), solos)
    return out

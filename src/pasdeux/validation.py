"""A model's scores on held-out windows: what a training run logs at each validation and the benchmark
reports (BENCHMARK.md names).

`validation_metrics` generates reconstructions (posterior mean), sigma-0.5 variations and prior samples
through `pasdeux.generate.pipeline` and scores them with `pasdeux.metrics` against centred windows, so a
run's curves read like the benchmark. It changes nothing in the model: fit any post-hoc prior first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pasdeux.errors import ShapeError
from pasdeux.generate import pipeline
from pasdeux.metrics.basic import bone_cv, jitter_ratio, mpjpe, recon_mse
from pasdeux.metrics.kinetic import KineticSpace
from pasdeux.motion import Skeleton

VAL_SEED = 1234  # one fixed seed for prior samples and variations, so epochs compare like for like


@dataclass
class Generated:
    """What a model made of validation windows: reconstructions, sigma-0.5 variations and prior samples."""

    recon: np.ndarray
    var05: np.ndarray
    prior: np.ndarray


def validation_metrics(model: Any, val_windows: np.ndarray, skeleton: Skeleton | None = None,
                       fps: float | None = None, n_prior: int = 64, seed: int = VAL_SEED,
                       real: np.ndarray | None = None, kinetic: KineticSpace | None = None,
                       geometric: Any = None) -> dict[str, float]:
    """recon_mse, mpjpe and jitter of reconstructions, jitter of sigma-0.5 variations, and jitter,
    fid_k, diversity and bone_cv of `n_prior` prior samples of a model, for centred windows `[N, T, J, 3]`.

    `skeleton` and `fps` default to the model's; the rest is as for `score`.
    """
    val = _checked(val_windows)
    made = Generated(pipeline.reconstruct(model, val), pipeline.vary(model, val, 0.5, seed=seed),
                     pipeline.sample(model, int(n_prior), val.shape[1], seed=seed))
    return score(made, val, skeleton or model.skeleton, float(fps or model.fps), real, kinetic, geometric)


def score(made: Generated, val_windows: np.ndarray, skeleton: Skeleton, fps: float, real: np.ndarray | None = None,
          kinetic: KineticSpace | None = None, geometric: Any = None) -> dict[str, float]:
    """The validation metrics of generated windows. The prior samples are compared with `real` (default: the
    validation windows) in the `kinetic` space (default: fitted on `real`); a fitted `geometric` space adds
    `fid_g_prior`."""
    val = _checked(val_windows)
    real = val if real is None else real
    space = kinetic or KineticSpace.fit(real, fps)
    rec, var, prior = made.recon, made.var05, made.prior
    out = {"recon_mse": recon_mse(rec, val), "mpjpe": mpjpe(rec, val),
           "jitter_ratio_recon": jitter_ratio(rec, val), "jitter_ratio_var05": jitter_ratio(var, val),
           "jitter_ratio_prior": jitter_ratio(prior, val), "fid_k_prior": space.fid(prior, real),
           "diversity_prior": space.diversity(prior), "bone_cv_prior": bone_cv(prior, skeleton)}
    if geometric is not None:
        out["fid_g_prior"] = geometric.fid(prior, real)
    return out


def _checked(val_windows: np.ndarray) -> np.ndarray:
    val = np.asarray(val_windows, dtype=np.float32)
    if val.ndim != 4 or len(val) < 2 or val.shape[1] < 3:
        raise ShapeError(f"validation needs at least 2 centred windows [N, T>=3, J, 3]; got shape {val.shape}")
    return val

"""The metrics a training run logs on its validation windows (BENCHMARK.md names).

`validation_metrics` scores reconstructions (posterior mean), sigma-0.5 variations and prior
samples of a model against centred validation windows, so a run's curves read like the benchmark.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pasdeux.errors import ShapeError
from pasdeux.metrics.basic import bone_cv, jitter_ratio, mpjpe, recon_mse
from pasdeux.metrics.kinetic import KineticSpace
from pasdeux.motion import Skeleton

VAL_SEED = 1234  # one fixed seed for prior samples and variations, so epochs compare like for like


def validation_metrics(model: Any, val_windows: np.ndarray, skeleton: Skeleton | None = None,
                       fps: float | None = None, n_prior: int = 64, seed: int = VAL_SEED,
                       train_sequences: list[np.ndarray] | None = None, real: np.ndarray | None = None,
                       kinetic: KineticSpace | None = None, geometric: Any = None) -> dict[str, float]:
    """recon_mse, mpjpe and jitter of reconstructions, jitter of sigma-0.5 variations, and jitter,
    fid_k, diversity and bone_cv of `n_prior` prior samples, for centred windows `[N, T, J, 3]`.

    `model` follows the pasdeux model API (`reconstruct`, `vary`, `sample`); `skeleton` and `fps`
    default to the model's. `train_sequences`, when given, refit any post-hoc prior first.
    The prior samples are compared with `real` (default: the validation windows) in the `kinetic` space
    (default: fitted on `real`); a fitted `geometric` space adds `fid_g_prior`.
    """
    import torch

    val = np.asarray(val_windows, dtype=np.float32)
    if val.ndim != 4 or len(val) < 2 or val.shape[1] < 3:
        raise ShapeError(f"validation needs at least 2 centred windows [N, T>=3, J, 3]; got shape {val.shape}")
    skeleton = skeleton or model.skeleton
    fps = float(fps or model.fps)
    with torch.no_grad():
        if train_sequences is not None and hasattr(model, "fit_prior"):
            model.fit_prior(train_sequences)
        rec = model.reconstruct(val)
        var = model.vary(val, 0.5, seed=seed)
        prior = model.sample(int(n_prior), val.shape[1], seed=seed)
    real = val if real is None else real
    space = kinetic or KineticSpace.fit(real, fps)
    out = {"recon_mse": recon_mse(rec, val), "mpjpe": mpjpe(rec, val),
           "jitter_ratio_recon": jitter_ratio(rec, val), "jitter_ratio_var05": jitter_ratio(var, val),
           "jitter_ratio_prior": jitter_ratio(prior, val), "fid_k_prior": space.fid(prior, real),
           "diversity_prior": space.diversity(prior), "bone_cv_prior": bone_cv(prior, skeleton)}
    if geometric is not None:
        out["fid_g_prior"] = geometric.fid(prior, real)
    return out

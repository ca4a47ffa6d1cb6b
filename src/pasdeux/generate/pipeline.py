"""From numpy windows to a model's latents and back, for any pasdeux model, through its public API.

Models are plain `nn.Module`s that take and return tensors (`encode`, `decode_latent`, `prior_latent`);
this module, like a diffusers pipeline, turns the user's numpy windows into normalised features, runs
the model without gradients in eval mode (restoring the mode it was in), and returns numpy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
from torch import Tensor

from pasdeux.errors import ConfigError, ShapeError
from pasdeux.models.base import MotionModel, generator

CHUNK = 256  # windows per forward pass, to bound memory on long inputs


@contextmanager
def inference(model: MotionModel) -> Iterator[None]:
    """No gradients and eval mode inside the block; the model's previous mode afterwards."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)


def check_windows(model: MotionModel, windows: np.ndarray) -> np.ndarray:
    """Centred windows `[N, T, J, 3]` as float32, checked against the model (one `[T, J, 3]` is promoted)."""
    w = np.asarray(windows, dtype=np.float32)
    if w.ndim == 3:
        w = w[None]
    if w.ndim != 4 or w.shape[2:] != (model.skeleton.n_joints, 3):
        raise ShapeError(f"expected centred windows [N, T, {model.skeleton.n_joints}, 3]; got shape {w.shape}")
    if not np.isfinite(w).all():
        raise ShapeError("windows contain NaN or inf; fill gaps (pasdeux.data.fill_gaps) first")
    if w.shape[1] < model.min_frames:
        raise ShapeError(f"model {model.name!r} needs windows of at least {model.min_frames} frames; got {w.shape[1]}")
    return w


def latents(model: MotionModel, windows: np.ndarray) -> tuple[Tensor, Tensor]:
    """Posterior mean and log-variance of centred windows `[N, T, J, 3]`."""
    with inference(model):
        w = torch.as_tensor(check_windows(model, windows), device=model.device)
        outs = [model.encode(model.pose_features(c)) for c in w.split(CHUNK)]
    return torch.cat([o[0] for o in outs]), torch.cat([o[1] for o in outs])


def decode(model: MotionModel, z: Tensor, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Centred positions `[N, frames, J, 3]` and root velocity `[N, frames, 2]` of latents `z`."""
    with inference(model):
        parts = [model.split_output(model.decode_latent(c.to(model.device), frames)) for c in z.split(CHUNK)]
    pose = torch.cat([p[0] for p in parts]).cpu().numpy().astype(np.float32)
    root = torch.cat([p[1] for p in parts]).cpu().numpy().astype(np.float32)
    return pose, root


def reconstruct_with_root(model: MotionModel, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior-mean reconstruction (no sampling) of centred windows, and its root velocity `[N, T, 2]`."""
    mu, _ = latents(model, windows)
    return decode(model, mu, np.asarray(windows).shape[-3])


def reconstruct(model: MotionModel, windows: np.ndarray) -> np.ndarray:
    """Posterior-mean reconstruction of centred windows `[N, T, J, 3]`."""
    return reconstruct_with_root(model, windows)[0]


def vary_with_root(model: MotionModel, windows: np.ndarray, sigma: float,
                   seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One variation per centred window (the posterior mean moved by `sigma` prior spreads), with root velocity."""
    if not (np.isfinite(sigma) and sigma >= 0):
        raise ConfigError(f"sigma must be a number >= 0; got {sigma}")
    mu, _ = latents(model, windows)
    with inference(model):
        noise = model.variation_noise(mu, generator(seed)).to(mu.device)
        z = mu + float(sigma) * model.latent_scale() * noise
    return decode(model, z, np.asarray(windows).shape[-3])


def vary(model: MotionModel, windows: np.ndarray, sigma: float, seed: int | None = None) -> np.ndarray:
    """One variation per centred window `[N, T, J, 3]`."""
    return vary_with_root(model, windows, sigma, seed)[0]


def sample_with_root(model: MotionModel, n: int, frames: int, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`n` fresh centred phrases `[n, frames, J, 3]` from the prior, and their root velocity `[n, frames, 2]`."""
    if n < 1 or frames < model.min_frames:
        raise ConfigError(f"need n >= 1 and frames >= {model.min_frames}; got n={n}, frames={frames}")
    with inference(model):
        z = model.prior_latent(int(n), int(frames), generator(seed))
    pose, root = decode(model, z, int(frames))
    return model.finish_sample(pose), root


def sample(model: MotionModel, n: int, frames: int, seed: int | None = None) -> np.ndarray:
    """`n` fresh centred phrases `[n, frames, J, 3]` from the prior."""
    return sample_with_root(model, n, frames, seed)[0]

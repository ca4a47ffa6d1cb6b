"""From numpy windows to a model's latents and back, for any pasdeux model, through its public API.

Models are plain `nn.Module`s that take and return tensors (`encode`, `decode_latent`, `prior_latent`);
this module, like a diffusers pipeline, turns the user's numpy windows into normalised features, runs
the model without gradients in eval mode (restoring the mode it was in), and returns numpy.

What comes out stands on the floor: decoded phrases are placed in the world along the root velocity the
model predicts, grounded (`pasdeux.grounding`: the floor under them brought to the training data's,
planted feet held still) with the floor the model measured on its training data, and centred again; the
`*_world` functions return them in the world. `ground=False` gives the raw decoder output.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from pasdeux.errors import ConfigError, ShapeError
from pasdeux.grounding import FloorModel
from pasdeux.grounding import ground as ground_feet
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


@dataclass
class Decoded:
    """What the decoder made of latents: centred positions `[N, T, J, 3]`, root velocity `[N, T, 2]` and,
    for models that predict them, planted-foot probabilities `[N, T, 2]` (left, right)."""

    pose: np.ndarray
    root: np.ndarray
    contact: np.ndarray | None = None


def decode_all(model: MotionModel, z: Tensor, frames: int) -> Decoded:
    """Decode latents `z` into positions, root velocity and (where the model predicts them) contacts."""
    poses, roots, contacts = [], [], []
    with inference(model):
        for c in z.split(CHUNK):
            out = model.decode_latent(c.to(model.device), frames)
            pose, root = model.split_output(out)
            poses.append(pose)
            roots.append(root)
            contacts.append(model.contact_output(out))
    contact = None if contacts[0] is None else torch.cat(contacts).cpu().numpy().astype(np.float32)
    return Decoded(torch.cat(poses).cpu().numpy().astype(np.float32),
                   torch.cat(roots).cpu().numpy().astype(np.float32), contact)


def decode(model: MotionModel, z: Tensor, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Centred positions `[N, frames, J, 3]` and root velocity `[N, frames, 2]` of latents `z` (not grounded)."""
    d = decode_all(model, z, frames)
    return d.pose, d.root


def place(centred: np.ndarray, root_vel: np.ndarray, start_xz: np.ndarray | None = None) -> np.ndarray:
    """World positions `[N, T, J, 3]`: integrate the root velocity `[N, T, 2]` from `start_xz` `[N, 2]` (origin)."""
    path = np.cumsum(np.concatenate([np.zeros_like(root_vel[:, :1]), root_vel[:, 1:]], axis=1), axis=1)
    if start_xz is not None:
        path = path + np.asarray(start_xz, np.float32)[:, None, :]
    out = np.array(centred, dtype=np.float32, copy=True)
    out[..., 0] += path[..., 0][..., None]
    out[..., 2] += path[..., 1][..., None]
    return out


def ground(model: MotionModel, world: np.ndarray, contact: np.ndarray | None = None,
           floor: FloorModel | None = None) -> np.ndarray:
    """World positions `[N, T, J, 3]` of the model's skeleton grounded on the floor of its training data (or on
    `floor`, one dancer's of it), the feet planted where `contact` `[N, T, 2]` says (default: where they look
    planted), legs reaching for them no straighter than the training data's (`max_extension`); returned as they
    are when the model knows no floor (not trained on data, or no named feet)."""
    floor = floor or model.floor_model
    if floor is None:
        return world
    return ground_feet(world, model.skeleton, model.fps, floor.leg_length, floor.floor, contact, floor,
                       max_extension=model.max_extension)


def _finish(model: MotionModel, d: Decoded, grounded: bool,
            floor: FloorModel | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Decoded centred poses, grounded in the world (on `floor`, default the model's) along their own travel and
    centred again."""
    pose, root, floor = d.pose, d.root, floor or model.floor_model
    if not grounded or floor is None:
        return pose, root
    world = ground(model, place(pose, root), d.contact, floor)
    path = np.cumsum(np.concatenate([np.zeros_like(root[:, :1]), root[:, 1:]], axis=1), axis=1)
    world[..., 0] -= path[..., 0][..., None]
    world[..., 2] -= path[..., 1][..., None]
    return world, root


def reconstruct_with_root(model: MotionModel, windows: np.ndarray,
                          ground: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Posterior-mean reconstruction (no sampling) of centred windows, and its root velocity `[N, T, 2]`."""
    mu, _ = latents(model, windows)
    return _finish(model, decode_all(model, mu, np.asarray(windows).shape[-3]), ground)


def reconstruct(model: MotionModel, windows: np.ndarray) -> np.ndarray:
    """Posterior-mean reconstruction of centred windows `[N, T, J, 3]`."""
    return reconstruct_with_root(model, windows)[0]


def reconstruct_world(model: MotionModel, windows: np.ndarray) -> np.ndarray:
    """Posterior-mean reconstruction of centred windows, in the world (travelling from the origin)."""
    return place(*reconstruct_with_root(model, windows))


def vary_with_root(model: MotionModel, windows: np.ndarray, sigma: float, seed: int | None = None,
                   ground: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """One variation per centred window (the posterior mean moved by `sigma` prior spreads), with root velocity."""
    if not (np.isfinite(sigma) and sigma >= 0):
        raise ConfigError(f"sigma must be a number >= 0; got {sigma}")
    mu, _ = latents(model, windows)
    with inference(model):
        noise = model.variation_noise(mu, generator(seed)).to(mu.device)
        z = mu + float(sigma) * model.latent_scale() * noise
    return _finish(model, decode_all(model, z, np.asarray(windows).shape[-3]), ground)


def vary(model: MotionModel, windows: np.ndarray, sigma: float, seed: int | None = None) -> np.ndarray:
    """One variation per centred window `[N, T, J, 3]`."""
    return vary_with_root(model, windows, sigma, seed)[0]


def vary_world(model: MotionModel, windows: np.ndarray, sigma: float, seed: int | None = None) -> np.ndarray:
    """One variation per centred window, in the world (travelling from the origin)."""
    return place(*vary_with_root(model, windows, sigma, seed))


def sample_with_root(model: MotionModel, n: int, frames: int, seed: int | None = None,
                     ground: bool = True, latent: Tensor | None = None,
                     floor: FloorModel | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`n` fresh centred phrases `[n, frames, J, 3]` from the prior, and their root velocity `[n, frames, 2]`;
    `latent` (`[n, ...]`, as `model.prior_latent` draws them) decodes given prior latents instead of drawing them
    (music's guided sampling chooses them a piece at a time); `floor` grounds them on one dancer's floor instead
    of the model's (a duet's leader on its own)."""
    if n < 1 or frames < model.min_frames:
        raise ConfigError(f"need n >= 1 and frames >= {model.min_frames}; got n={n}, frames={frames}")
    if latent is not None and len(latent) != n:
        raise ShapeError(f"{len(latent)} latent(s) given for n={n} phrases; give one per phrase")
    with inference(model):
        z = model.prior_latent(int(n), int(frames), generator(seed)) if latent is None else latent
    d = decode_all(model, z, int(frames))
    d.pose = model.finish_sample(d.pose)
    return _finish(model, d, ground, floor)


def sample(model: MotionModel, n: int, frames: int, seed: int | None = None) -> np.ndarray:
    """`n` fresh centred phrases `[n, frames, J, 3]` from the prior."""
    return sample_with_root(model, n, frames, seed)[0]


def sample_world(model: MotionModel, n: int, frames: int, seed: int | None = None) -> np.ndarray:
    """`n` fresh phrases from the prior, in the world (each travelling from the origin)."""
    return place(*sample_with_root(model, n, frames, seed))

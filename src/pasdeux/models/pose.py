"""`pose`: the static single-pose VAE of the original design (seq_len 1).

Every frame is encoded and decoded on its own, so it is the best pose model but knows nothing of
time; to produce phrases, latent keyframes one `keyframe_s` apart are drawn from the prior and
interpolated smoothly, and variations add equally smooth latent noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from pasdeux.models.base import MotionModel, kl_normal, reparameterise


@dataclass
class PoseConfig:
    """Hyperparameters of the single-pose VAE."""

    window: int = 64  # frames per training window (poses are still encoded one by one)
    latent: int = 32
    hidden: int = 256
    layers: int = 2
    kl_weight: float = 1e-3
    free_bits: float = 0.0
    keyframe_s: float = 0.5  # spacing of latent keyframes when sampling phrases


def mlp(dims: list[int]) -> nn.Sequential:
    """Linear layers with SiLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for a, b in zip(dims[:-1], dims[1:]):
        layers += [nn.Linear(a, b), nn.SiLU()]
    return nn.Sequential(*layers[:-1])


class PoseVAE(MotionModel):
    """An MLP VAE over single poses."""

    name = "pose"
    config_class = PoseConfig

    def __init__(self, config: PoseConfig, skeleton, stats, fps: float = 30.0) -> None:
        super().__init__(config, skeleton, stats, fps)
        c = config
        self.enc = mlp([self.n_pose] + [c.hidden] * c.layers + [2 * c.latent])
        self.dec = mlp([c.latent] + [c.hidden] * c.layers + [self.n_pose])

    factor = 1  # one latent step per frame

    def encode(self, pose_feats: Tensor) -> tuple[Tensor, Tensor]:
        mu, logvar = self.enc(pose_feats).chunk(2, dim=-1)
        return mu.transpose(1, 2), logvar.clamp(-12, 6).transpose(1, 2)  # [B, Z, T] like the sequence model

    def decode_latent(self, z: Tensor, frames: int) -> Tensor:
        return self.dec(z.transpose(1, 2))[:, :frames]

    def _smooth_noise(self, n: int, frames: int, gen: torch.Generator) -> Tensor:
        """N(0, 1) latents at keyframes, interpolated over time with a cosine ease (no jumps)."""
        every = max(1, round(self.config.keyframe_s * self.fps))
        keys = torch.randn(n, self.config.latent, math.ceil(frames / every) + 1, generator=gen)
        # Linear interpolation shrinks variance between keys; rescale so every frame keeps unit spread.
        t = torch.arange(frames) / every
        i, f = t.floor().long(), (1 - torch.cos(math.pi * (t - t.floor()))) / 2
        z = keys[..., i] * (1 - f) + keys[..., i + 1] * f
        z = z / torch.sqrt((1 - f) ** 2 + f ** 2)
        return z

    def prior_latent(self, n: int, frames: int, gen: torch.Generator) -> Tensor:
        return self._smooth_noise(n, frames, gen)

    def variation_noise(self, mu: Tensor, gen: torch.Generator) -> Tensor:
        return self._smooth_noise(mu.shape[0], mu.shape[-1], gen)

    def loss(self, world: Tensor, step: int) -> dict[str, Tensor]:
        x = self.features(world)[..., :self.n_pose]
        mu, logvar = self.encode(x)
        out = self.decode_latent(reparameterise(mu, logvar), x.shape[1])
        mse = (out - x).pow(2).mean()
        kl = kl_normal(mu, logvar).mean((0, 2))
        kl_loss = F.relu(kl - self.config.free_bits).sum() / self.n_pose
        return {"loss": mse + self.config.kl_weight * kl_loss, "mse": mse, "kl": kl.sum()}

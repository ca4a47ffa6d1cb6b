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

from pasdeux.models.base import MotionModel
from pasdeux.models.layers import kl_normal, mlp, reparameterise, whitened_pca


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
    init_logvar: float = -6.0  # posterior log-variance at the start: begin as a near-deterministic autoencoder


class PoseVAE(MotionModel):
    """An MLP VAE over single poses."""

    name = "pose"
    config_class = PoseConfig

    def __init__(self, config: PoseConfig, skeleton, stats, fps: float = 30.0) -> None:
        super().__init__(config, skeleton, stats, fps)
        c = config
        self.enc = mlp([self.n_pose] + [c.hidden] * c.layers + [2 * c.latent])
        self.dec = mlp([c.latent] + [c.hidden] * c.layers + [self.n_pose])
        # A linear path set to whitened PCA by `prepare`; the MLPs start at zero and learn what PCA misses.
        self.lin_in, self.lin_out = nn.Linear(self.n_pose, c.latent), nn.Linear(c.latent, self.n_pose)
        for last in (self.enc[-1], self.dec[-1]):
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)
        nn.init.constant_(self.enc[-1].bias[c.latent:], c.init_logvar)

    factor = 1  # one latent step per frame

    @torch.no_grad()
    def prepare(self, world_windows) -> None:
        """Set the linear path to whitened PCA of the training poses."""
        x = self.features(torch.as_tensor(world_windows))[..., :self.n_pose].reshape(-1, self.n_pose)
        w_in, b_in, w_out, b_out = whitened_pca(x, self.config.latent)
        for layer, w, b in ((self.lin_in, w_in, b_in), (self.lin_out, w_out, b_out)):
            layer.weight.copy_(w)
            layer.bias.copy_(b)

    def encode(self, pose_feats: Tensor, lead: Tensor | None = None) -> tuple[Tensor, Tensor]:
        self.solo_only(lead)
        mu, logvar = self.enc(pose_feats).chunk(2, dim=-1)
        mu = mu + self.lin_in(pose_feats)
        return mu.transpose(1, 2), logvar.clamp(-12, 6).transpose(1, 2)  # [B, Z, T] like the sequence model

    def decode_latent(self, z: Tensor, frames: int, lead: Tensor | None = None) -> Tensor:
        self.solo_only(lead)
        z = z.transpose(1, 2)
        return (self.dec(z) + self.lin_out(z))[:, :frames]

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

    def prior_latent(self, n: int, frames: int, gen: torch.Generator, lead: Tensor | None = None) -> Tensor:
        self.solo_only(lead)
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

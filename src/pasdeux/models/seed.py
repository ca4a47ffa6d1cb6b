"""`seed`: the original pasdeux design re-created as the baseline every model is compared to.

An LSTM-VAE on 64-frame windows (origin/original-proposal.md, BENCHMARK.md): the encoder is two
LSTM layers whose last state gives the mean and log-variance of one latent vector; the decoder
maps it through a linear layer and ReLU, repeats it over time, runs two LSTM layers and smooths
the output with a kernel-3 1-D convolution. Loss: MSE + 1e-4 KL. The convolution runs over time
(the original applied it across features, which made its samples shake).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from pasdeux.errors import ConfigError
from pasdeux.models.base import MotionModel
from pasdeux.models.layers import crossfade, kl_normal, reparameterise


@dataclass
class SeedConfig:
    """Hyperparameters of the original LSTM-VAE (defaults are the proposal's)."""

    window: int = 64
    latent: int = 256
    units: int = 394
    layers: int = 2
    kl_weight: float = 1e-4
    overlap: int = 16  # frames cross-faded when stitching windows into longer phrases


class SeedVAE(MotionModel):
    """LSTM-VAE with one latent vector per window, repeated over time in the decoder."""

    name = "seed"
    config_class = SeedConfig

    def __init__(self, config: SeedConfig, skeleton, stats, fps: float = 30.0) -> None:
        super().__init__(config, skeleton, stats, fps)
        c = config
        if not 0 <= c.overlap < c.window:
            raise ConfigError(f"model.overlap must be in [0, window={c.window}); got {c.overlap}")
        self.enc = nn.LSTM(self.n_pose, c.units, c.layers, batch_first=True)
        self.to_mu, self.to_logvar = nn.Linear(c.units, c.latent), nn.Linear(c.units, c.latent)
        self.dec_in = nn.Linear(c.latent, c.units)
        self.dec = nn.LSTM(c.units, c.units, c.layers, batch_first=True)
        self.smooth = nn.Conv1d(c.units, self.n_pose, kernel_size=3, padding=1)

    def encode(self, pose_feats: Tensor, lead: Tensor | None = None) -> tuple[Tensor, Tensor]:
        self.solo_only(lead)
        _, (h, _) = self.enc(pose_feats)
        return self.to_mu(h[-1]), self.to_logvar(h[-1])

    def _decode_window(self, z: Tensor, frames: int) -> Tensor:
        h = torch.relu(self.dec_in(z))[:, None].expand(-1, frames, -1)
        out, _ = self.dec(h.contiguous())
        return self.smooth(out.transpose(1, 2)).transpose(1, 2)

    def decode_latent(self, z: Tensor, frames: int, lead: Tensor | None = None) -> Tensor:
        self.solo_only(lead)
        # A window-bound model: z [B, K, latent] holds one latent per window of a longer phrase.
        if z.dim() == 2:
            return self._decode_window(z, frames)
        chunks = [self._decode_window(z[:, k], self.window) for k in range(z.shape[1])]
        return crossfade(chunks, self.config.overlap)[:, :frames]

    def prior_latent(self, n: int, frames: int, gen: torch.Generator, lead: Tensor | None = None) -> Tensor:
        self.solo_only(lead)
        if frames <= self.window:
            return torch.randn(n, self.config.latent, generator=gen)
        k = -(-(frames - self.config.overlap) // (self.window - self.config.overlap))
        return torch.randn(n, k, self.config.latent, generator=gen)

    def loss(self, world: Tensor, step: int) -> dict[str, Tensor]:
        x = self.features(world)[..., :self.n_pose]
        mu, logvar = self.encode(x)
        out = self.decode_latent(reparameterise(mu, logvar), x.shape[1])
        mse = (out - x).pow(2).mean()
        kl = kl_normal(mu, logvar).sum(-1).mean()
        return {"loss": mse + self.config.kl_weight * kl, "mse": mse, "kl": kl}

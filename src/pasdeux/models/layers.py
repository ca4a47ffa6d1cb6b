"""Building blocks shared by the pasdeux models: convolutions over time that keep the length, residual
stacks, down- and up-sampling, MLPs, the PCA start of linear paths, and the Gaussian VAE pieces."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn


def pad_conv(x: Tensor, conv: nn.Conv1d) -> Tensor:
    """Apply `conv` after replicate-padding time so the length is kept (edges copy, never zeros)."""
    total = conv.dilation[0] * (conv.kernel_size[0] - 1)
    return conv(F.pad(x, (total // 2, total - total // 2), mode="replicate"))


class ResBlock(nn.Module):
    """Dilated residual convolution block over time."""

    def __init__(self, channels: int, kernel: int, dilation: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, kernel, dilation=dilation)
        self.mix = nn.Conv1d(channels, channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.mix(F.silu(pad_conv(F.silu(x), self.conv)))


def res_stack(channels: int, kernel: int, n: int) -> nn.Sequential:
    return nn.Sequential(*[ResBlock(channels, kernel, 2 ** i) for i in range(n)])


class Down(nn.Module):
    """Halve the time resolution with a strided convolution."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, 4, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(F.pad(x, (1, 1), mode="replicate"))


class Up(nn.Module):
    """Double the time resolution: linear interpolation, then a convolution."""

    def __init__(self, channels: int, kernel: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, kernel)

    def forward(self, x: Tensor) -> Tensor:
        return pad_conv(F.interpolate(x, scale_factor=2, mode="linear", align_corners=False), self.conv)


def mlp(dims: list[int]) -> nn.Sequential:
    """Linear layers with SiLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for a, b in zip(dims[:-1], dims[1:]):
        layers += [nn.Linear(a, b), nn.SiLU()]
    return nn.Sequential(*layers[:-1])


@torch.no_grad()
def whitened_pca(x: Tensor, k: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Encoder weight/bias `[k, P]`, `[k]` to whitened top-`k` principal components of rows `x` `[N, P]`,
    and decoder weight/bias `[P, k]`, `[P]` back; a linear autoencoder to start nonlinear ones from."""
    x = x.double()
    mean = x.mean(0)
    _, s, vt = torch.linalg.svd(x - mean, full_matrices=False)
    scale = (s[:k] / np.sqrt(len(x))).clamp_min(1e-6)  # std of each component
    w_in = vt[:k] / scale[:, None]  # whitened: every latent channel starts with unit spread
    return w_in.float(), (-w_in @ mean).float(), (vt[:k].T * scale).float(), mean.float()


def kl_normal(mu: Tensor, logvar: Tensor) -> Tensor:
    """Elementwise KL(N(mu, exp(logvar)) || N(0, 1))."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def reparameterise(mu: Tensor, logvar: Tensor) -> Tensor:
    """A differentiable sample of N(mu, exp(logvar))."""
    return mu + torch.randn_like(mu) * (0.5 * logvar).exp()


def crossfade(chunks: list[Tensor], overlap: int) -> Tensor:
    """Join windows `[B, T, C]` that overlap by `overlap` frames with a linear cross-fade."""
    if overlap == 0:
        return torch.cat(chunks, dim=1)
    out = chunks[0]
    for nxt in chunks[1:]:
        w = torch.linspace(0, 1, overlap + 2, device=out.device)[1:-1, None]
        blend = out[:, -overlap:] * (1 - w) + nxt[:, :overlap] * w
        out = torch.cat([out[:, :-overlap], blend, nxt[:, overlap:]], dim=1)
    return out

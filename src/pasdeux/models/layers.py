"""Building blocks shared by the pasdeux models: convolutions over time that keep the length, residual
stacks, down- and up-sampling, MLPs, the PCA start of linear paths, ridge regression with the ridge chosen on
held-out blocks, and the Gaussian VAE pieces."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

# Ridges `ridge_by_blocks` tries, relative to the spread. The largest ones all but give the mean: a couple whose
# leader-to-partner map does not hold from one stretch of a take to the next (the video duet's 42 s) is best
# answered with its average partner. With the grid ending at 3, held-out blocks still improved at its end and the
# video duet's best guess (the warp alone) scored partner_mse 0.155 / 0.176 on the test windows; cross-validation
# now picks 1000 / 100 there, 0.146 / 0.084 (the average partner: 0.156 / 0.106), and 3 / 10 on salsa.
RIDGES = (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 1000.0)


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


def run_layers(layers: nn.ModuleList, x: Tensor) -> Tensor:
    """Apply layers in order; convolutions wider than one frame keep the length (replicate padding)."""
    for layer in layers:
        x = pad_conv(x, layer) if isinstance(layer, nn.Conv1d) and layer.kernel_size[0] > 1 else layer(x)
    return x


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


def kl_gaussians(mu_q: Tensor, logvar_q: Tensor, mu_p: Tensor, logvar_p: Tensor) -> Tensor:
    """Elementwise KL(N(mu_q, exp(logvar_q)) || N(mu_p, exp(logvar_p))), for a learned (conditional) prior."""
    return 0.5 * (logvar_p - logvar_q + (logvar_q.exp() + (mu_q - mu_p).pow(2)) / logvar_p.exp() - 1.0)


def relative_mse(pred: Tensor, true: Tensor) -> Tensor:
    """MSE relative to the true signal's power, so the weight means the same for any data scale."""
    return (pred - true).pow(2).mean() / true.pow(2).mean().clamp_min(1e-8)


def bone_length_loss(pred: Tensor, true: Tensor, bones: Tensor) -> Tensor:
    """Relative squared error of bone lengths of positions `[B, T, J, 3]` against the true ones (`bones`
    `[K, 2]` joint pairs)."""
    a, b = bones[:, 0], bones[:, 1]
    lp, lt = (pred[..., b, :] - pred[..., a, :]).norm(dim=-1), (true[..., b, :] - true[..., a, :]).norm(dim=-1)
    return ((lp - lt) / (lt.mean(dim=1, keepdim=True) + 1e-2)).pow(2).mean()


def ridge_by_blocks(x: Tensor, y: Tensor, folds: int = 4,
                    ridges: tuple[float, ...] = RIDGES) -> tuple[Tensor, Tensor]:
    """Ridge regression of `y` `[B, L, Z]` on `x` `[B, L, C]` (rows grouped in windows `B`): coefficients
    `[C, Z]` and bias `[Z]`, with the ridge (of `ridges`, relative to the data's spread) that predicts held-out
    contiguous blocks of windows best."""
    blocks = [(bx.reshape(-1, x.shape[-1]), by.reshape(-1, y.shape[-1]))
              for bx, by in zip(x.chunk(folds), y.chunk(folds))]
    # Sums per block, so each fold's normal equations are the total minus its own block: one pass over the data.
    stats = [(len(bx), bx.sum(0), by.sum(0), bx.T @ bx, bx.T @ by) for bx, by in blocks]
    total = [sum(s[i] for s in stats) for i in range(5)]
    scale = float(torch.diagonal(total[3]).sum() / total[0] - (total[1] / total[0]).pow(2).sum()) / x.shape[-1]

    def solve(parts: list[tuple], ridge: float) -> tuple[Tensor, Tensor]:
        n, sx, sy, xx, xy = (sum(p[i] for p in parts) for i in range(5))
        mx, my = sx / n, sy / n
        gram = xx - n * torch.outer(mx, mx) + ridge * scale * n * torch.eye(len(mx), dtype=x.dtype)
        coef = torch.linalg.solve(gram, xy - n * torch.outer(mx, my))
        return coef, my - mx @ coef

    errors = []
    for ridge in ridges:
        err = 0.0
        for f, (hx, hy) in enumerate(blocks):
            coef, bias = solve([s for i, s in enumerate(stats) if i != f], ridge)
            err += float((hx @ coef + bias - hy).pow(2).sum())
        errors.append(err)
    return solve(stats, ridges[int(np.argmin(errors))])

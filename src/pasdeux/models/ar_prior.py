"""A Gaussian autoregressive prior over latent sequences, fitted by least squares after training.

`z[t] = A [z[t-1], ..., z[t-p]] + b + s(t) L u[t]`, `u ~ N(0, I)`. Besides the AR coefficients
and the innovation covariance `L L^T`, it keeps the distribution of the *local energy* `s` of the
innovations (how much is happening in each 16-step stretch of the training data, relative to the
average): a plain Gaussian AR gives every sample the same average energy, which makes samples
alike; drawing `s` per stretch gives calm and lively phrases in the proportions of the data.
All state lives in buffers, so it is saved with the model's weights.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

BURN_IN = 64  # steps discarded so a sample starts from the stationary distribution, not from zeros
ENERGY_SPAN = 16  # latent steps over which the local innovation energy is measured and held
ENERGY_LEVELS = 64  # quantiles of the local energy kept


class ARPrior(nn.Module):
    """Gaussian AR(p) latent prior with a scale mixture over local innovation energy."""

    def __init__(self, channels: int, order: int) -> None:
        super().__init__()
        self.channels, self.order = channels, order
        self.register_buffer("fitted", torch.zeros(()))
        self.register_buffer("weight", torch.zeros(channels, order * channels))
        self.register_buffer("bias", torch.zeros(channels))
        self.register_buffer("chol", torch.eye(channels))
        self.register_buffer("marginal_std", torch.ones(channels))
        self.register_buffer("energy", torch.ones(ENERGY_LEVELS))

    @torch.no_grad()
    def fit(self, sequences: list[Tensor], ridge: float = 1e-3) -> bool:
        """Fit to latent sequences `[L, Z]`; False (prior unchanged) when there are too few steps."""
        p, z = self.order, self.channels
        seqs = [s.double().cpu() for s in sequences if len(s) > p]
        if sum(len(s) - p for s in seqs) < 2 * (p * z + 1):
            return False
        lagged = [(torch.cat([s[p - k:len(s) - k] for k in range(1, p + 1)], 1), s[p:]) for s in seqs]
        x, y = torch.cat([a for a, _ in lagged]), torch.cat([b for _, b in lagged])
        xa = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1)
        coef = torch.linalg.solve(xa.T @ xa + ridge * torch.eye(xa.shape[1], dtype=x.dtype), xa.T @ y)
        resid = y - xa @ coef
        cov = resid.T @ resid / len(resid) + 1e-6 * torch.eye(z, dtype=x.dtype)
        chol = torch.linalg.cholesky(cov)
        self.weight.copy_(coef[:-1].T.float())
        self.bias.copy_(coef[-1].float())
        self.chol.copy_(chol.float())
        self.marginal_std.copy_(torch.cat(seqs).std(0).clamp_min(1e-3).float())
        self.energy.copy_(self._energy_levels(resid, chol, [len(s) - p for s in seqs]).float())
        self.fitted.fill_(1.0)
        return True

    @staticmethod
    def _energy_levels(resid: Tensor, chol: Tensor, lengths: list[int]) -> Tensor:
        """Quantiles of the RMS whitened innovation over stretches of ENERGY_SPAN steps."""
        white = torch.linalg.solve_triangular(chol, resid.T, upper=False).T  # unit variance on average
        per_step = white.pow(2).mean(1)
        scales = []
        for part in per_step.split(lengths):
            for start in range(0, max(1, len(part) - ENERGY_SPAN + 1), ENERGY_SPAN // 2):
                scales.append(part[start:start + ENERGY_SPAN].mean().sqrt())
        levels = torch.quantile(torch.stack(scales), torch.linspace(0, 1, ENERGY_LEVELS, dtype=resid.dtype))
        return levels / levels.pow(2).mean().sqrt()  # keep the overall innovation variance

    def _scales(self, n: int, steps: int, gen: torch.Generator) -> Tensor:
        """Innovation scale per sample and step: a new energy level every ENERGY_SPAN steps, eased between."""
        knots = steps // ENERGY_SPAN + 2
        idx = torch.randint(0, ENERGY_LEVELS, (n, knots), generator=gen)
        levels = self.energy.cpu()[idx]  # [n, knots]
        t = torch.arange(steps) / ENERGY_SPAN
        i, f = t.long(), t - t.floor()
        return levels[:, i] * (1 - f) + levels[:, i + 1] * f  # [n, steps]

    def sample(self, n: int, steps: int, gen: torch.Generator, centred: bool = False) -> Tensor:
        """Latent sequences `[n, Z, steps]`; `centred` drops the mean (for smooth variation noise)."""
        if not bool(self.fitted):
            return torch.randn(n, self.channels, steps, generator=gen)
        w, chol = self.weight.cpu(), self.chol.cpu()
        b = torch.zeros_like(self.bias.cpu()) if centred else self.bias.cpu()
        scales = self._scales(n, BURN_IN + steps, gen)
        hist = torch.zeros(n, self.order * self.channels)  # newest first
        out = []
        for t in range(BURN_IN + steps):
            u = torch.randn(n, self.channels, generator=gen) * scales[:, t:t + 1]
            nxt = hist @ w.T + b + u @ chol.T
            hist = torch.cat([nxt, hist[:, :-self.channels]], 1)
            if t >= BURN_IN:
                out.append(nxt)
        return torch.stack(out, dim=-1)

    def smooth_noise(self, n: int, steps: int, gen: torch.Generator) -> Tensor:
        """Zero-mean noise `[n, Z, steps]` with the latent's temporal correlation and unit spread."""
        if not bool(self.fitted):
            return torch.randn(n, self.channels, steps, generator=gen)
        return self.sample(n, steps, gen, centred=True) / self.marginal_std.cpu()[None, :, None]

"""A Gaussian autoregressive prior over latent sequences, fitted by least squares after training.

`z[t] = A [z[t-1], ..., z[t-p]] + b + L (s(t) * u[t])`, `u ~ N(0, I)`. Besides the AR coefficients
and the innovation covariance `L L^T`, it keeps *energy profiles* `s`: for stretches of `span`
steps of the training data, the RMS of each whitened innovation channel, relative to the average.
A plain Gaussian AR gives every sample the same average energy in every part of the body, which
makes samples alike; drawing a real profile per stretch gives calm and lively phrases, and phrases
where the arms or the legs lead, in the proportions of the data. All state lives in buffers, so it
is saved with the model's weights.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

BURN_IN = 64  # steps discarded so a sample starts from the stationary distribution, not from zeros
PROFILES = 128  # energy profiles kept (evenly spread over the training stretches)
HOLD = 3  # spans a sampled energy profile lasts. Real energy persists: on the salsa training latents the
# log energies of neighbouring spans correlate 0.34, two apart 0.19, three apart 0.01. Blending a new
# profile in every span averaged neighbouring energies and made prior samples less varied than real dance
# (diversity 0.68x real on salsa, 0.75x on video; held 3 spans: 0.73x and 0.82x, fid_k no worse)
FADE = 0.2  # share of a profile's time spent fading into the next


def companion(lags: Tensor) -> Tensor:
    """The companion matrix `[pZ, pZ]` of AR coefficients `lags` `[pZ, Z]` (as `fit` solves them: lag 1 first)."""
    z = lags.shape[1]
    top = lags.T
    below = torch.eye(top.shape[1] - z, top.shape[1], dtype=lags.dtype)
    return torch.cat([top, below]) if len(below) else top


def stationary(lags: Tensor, cov: Tensor, target_var: Tensor, max_radius: float) -> tuple[Tensor, Tensor]:
    """AR coefficients `[pZ, Z]` shrunk until the recursion's largest root is at most `max_radius` (lag k
    scaled by lambda^k scales every root by lambda), and an innovation covariance rescaled so that the
    stationary spread of each channel is `target_var`'s (solved by the discrete Lyapunov equation)."""
    from scipy.linalg import solve_discrete_lyapunov

    z, p = lags.shape[1], lags.shape[0] // lags.shape[1]
    radius = float(torch.linalg.eigvals(companion(lags)).abs().max())
    if radius > max_radius:
        shrink = max_radius / radius
        lags = lags * torch.tensor([shrink ** (k + 1) for k in range(p) for _ in range(z)], dtype=lags.dtype)[:, None]
    big = companion(lags).numpy()
    for _ in range(3):  # cross-channel coupling makes one rescaling approximate; three agree to about 1 %
        q = np.zeros_like(big)
        q[:z, :z] = cov.numpy()
        spread = np.diag(solve_discrete_lyapunov(big, q))[:z]
        gain = torch.as_tensor(np.sqrt(target_var.numpy() / np.maximum(spread, 1e-12)), dtype=cov.dtype)
        cov = gain[:, None] * cov * gain[None, :]
    return lags, cov


class ARPrior(nn.Module):
    """Gaussian AR(p) latent prior with a scale mixture over local innovation energy."""

    def __init__(self, channels: int, order: int, span: int = 16) -> None:
        super().__init__()
        self.channels, self.order, self.span = channels, order, span
        self.register_buffer("fitted", torch.zeros(()))
        self.register_buffer("weight", torch.zeros(channels, order * channels))
        self.register_buffer("bias", torch.zeros(channels))
        self.register_buffer("chol", torch.eye(channels))
        self.register_buffer("marginal_std", torch.ones(channels))
        self.register_buffer("energy", torch.ones(PROFILES, channels))

    @torch.no_grad()
    def fit(self, sequences: list[Tensor], ridge: float = 1e-3, max_radius: float | None = None) -> bool:
        """Fit to latent sequences `[L, Z]`; False (prior unchanged) when there are too few steps.

        `max_radius` makes the prior stationary at the data's own spread: least squares on short, slowly
        moving sequences fits a recursion at the edge of a unit root, whose samples wander ever further over
        a long phrase (`stationary`)."""
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
        if max_radius is not None:
            coef[:-1], cov = stationary(coef[:-1], cov, torch.cat(seqs).var(0), max_radius)
        chol = torch.linalg.cholesky(cov)
        self.weight.copy_(coef[:-1].T.float())
        self.bias.copy_(coef[-1].float())
        self.chol.copy_(chol.float())
        self.marginal_std.copy_(torch.cat(seqs).std(0).clamp_min(1e-3).float())
        self.energy.copy_(self._energy_levels(resid, chol, [len(s) - p for s in seqs]).float())
        self.fitted.fill_(1.0)
        return True

    def _energy_levels(self, resid: Tensor, chol: Tensor, lengths: list[int]) -> Tensor:
        """Per-channel RMS of the whitened innovations over stretches of `span` steps `[PROFILES, Z]`."""
        white = torch.linalg.solve_triangular(chol, resid.T, upper=False).T  # unit variance on average
        profiles = []
        for part in white.split(lengths):
            for start in range(0, max(1, len(part) - self.span + 1), max(1, self.span // 2)):
                profiles.append(part[start:start + self.span].pow(2).mean(0))
        profiles = torch.stack(profiles)
        keep = torch.linspace(0, len(profiles) - 1, PROFILES).round().long()
        profiles = profiles[keep]
        return (profiles / profiles.mean(0, keepdim=True)).sqrt()  # keep the overall innovation variance

    def _scales(self, n: int, steps: int, gen: torch.Generator) -> Tensor:
        """Innovation scale `[n, steps, Z]`: a real energy profile held for `HOLD` spans, then faded into the
        next over `FADE` of that time, at a random phase per sample."""
        length = self.span * HOLD
        knots = int(steps // length) + 3
        idx = torch.randint(0, PROFILES, (n, knots), generator=gen)
        levels = self.energy.cpu()[idx]  # [n, knots, Z]
        t = torch.arange(steps)[None] / length + torch.rand(n, 1, generator=gen)  # [n, steps]
        i, f = t.long(), t - t.floor()
        f = ((f - 0.5) / FADE + 0.5).clamp(0, 1)[..., None]
        rows = torch.arange(n)[:, None]
        return levels[rows, i] * (1 - f) + levels[rows, i + 1] * f

    def sample(self, n: int, steps: int, gen: torch.Generator, centred: bool = False,
               drive: Tensor | None = None, profiles: bool = True) -> Tensor:
        """Latent sequences `[n, Z, steps]`; `centred` drops the mean (for smooth variation noise); `drive`
        `[n, steps]` scales each step's innovation (the sequence moves more where it is larger); without
        `profiles` every step has the average innovation energy."""
        if not bool(self.fitted):
            return torch.randn(n, self.channels, steps, generator=gen)
        chol = self.chol.cpu()
        b = torch.zeros_like(self.bias.cpu()) if centred else self.bias.cpu()
        noise = torch.randn(n, BURN_IN + steps, self.channels, generator=gen)  # drawn first: seeds give what they gave
        scale = self._scales(n, BURN_IN + steps, gen) if profiles else torch.ones(n, BURN_IN + steps, 1)
        if drive is not None:
            scale[:, BURN_IN:] *= drive.detach().cpu()[..., None]
        innov = (noise * scale) @ chol.T + b
        # The recursion runs in numpy: per-step torch overhead would dominate long-form generation.
        out = self._recur(innov.double().numpy(), np.zeros((n, self.order * self.channels)), BURN_IN + steps)
        return out[..., BURN_IN:]

    def stationary_mean(self) -> Tensor:
        """The recursion's stationary mean `[Z]`, (I - sum of the lags)^-1 bias: `continue_from` is zero-mean, so
        a sequence drawn with the bias is continued less this mean, and the mean added back."""
        z = self.channels
        lags = self.weight.detach().cpu().double().reshape(z, self.order, z).sum(1)
        return torch.linalg.solve(torch.eye(z, dtype=lags.dtype) - lags, self.bias.detach().cpu().double()).float()

    def continue_from(self, history: Tensor, steps: int, gen: torch.Generator, drive: Tensor | None = None) -> Tensor:
        """`steps` more zero-mean steps `[B, Z, steps]` after given sequences `history` `[B, H, Z]` (oldest first);
        `drive` `[B, steps]` scales each step's innovation as in `sample`."""
        n = history.shape[0]
        if not bool(self.fitted):
            return torch.randn(n, self.channels, steps, generator=gen)
        scale = self._scales(n, steps, gen)
        if drive is not None:
            scale = scale * drive.detach().cpu()[..., None]
        innov = (torch.randn(n, steps, self.channels, generator=gen) * scale) @ self.chol.cpu().T
        past = history.detach().cpu().double().numpy()[:, ::-1][:, :self.order]  # newest first
        if past.shape[1] < self.order:  # too short a history: pad with the oldest given step
            past = np.concatenate([past, np.repeat(past[:, -1:], self.order - past.shape[1], 1)], axis=1)
        return self._recur(innov.double().numpy(), past.reshape(n, -1), steps)

    def _recur(self, innov: np.ndarray, hist: np.ndarray, steps: int) -> Tensor:
        """Run the AR recursion over innovations `[n, steps, Z]` from `hist` `[n, order * Z]` (newest first)."""
        w = self.weight.cpu().double().numpy().T
        out = np.empty((innov.shape[0], steps, self.channels))
        for t in range(steps):
            out[:, t] = hist @ w + innov[:, t]
            hist = np.concatenate([out[:, t], hist[:, :-self.channels]], axis=1)
        return torch.from_numpy(out).float().transpose(1, 2)

    def smooth_noise(self, n: int, steps: int, gen: torch.Generator) -> Tensor:
        """Zero-mean noise `[n, Z, steps]` with the latent's temporal correlation and unit spread, at the average
        energy: a variation's sigma says how far it departs, the same for every variation."""
        if not bool(self.fitted):
            return torch.randn(n, self.channels, steps, generator=gen)
        return self.sample(n, steps, gen, centred=True, profiles=False) / self.marginal_std.cpu()[None, :, None]

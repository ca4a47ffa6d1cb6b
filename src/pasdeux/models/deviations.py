"""How a duet model's sampled partners depart from its best guess: the deviation's drive and smoothing.

Real partners depart from the best guess most where the leader moves most; `fit_drive` measures that as a
power law between the leader's pace and how fast the real deviation moves (its reduced major axis), and
`drive` turns a leader's pace into how much each latent step's innovation is scaled. `smooth_deviations`
calms sampled deviations over time (their spread kept), and `mean_motion` is what the calibration compares
with real partners.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

MAX_GAIN = 1.5  # the fitted power law's exponent is kept in [0, MAX_GAIN]
MIN_STEPS = 16  # latent steps needed to fit a power law at all


def fit_drive(deviations: list[Tensor], paces: list[Tensor]) -> tuple[float, float, float] | None:
    """The leader's typical pace, the power law's exponent, and the drive's root mean square over the given
    training leads, from real deviations `[steps, Z]` and the leaders' paces `[steps]` (log-log least squares);
    None when there are too few steps."""
    pace = torch.cat([p[1:] for p in paces]).double().clamp_min(1e-6)
    moved = torch.cat([d.diff(dim=0).norm(dim=1) for d in deviations]).double().clamp_min(1e-9)
    if len(pace) < MIN_STEPS:
        return None
    ref = pace.median()
    x, y = (pace / ref).log(), moved.log()
    x, y = x - x.mean(), y - y.mean()
    # The reduced major axis (slope sd(y) / sd(x), signed by the correlation), not least squares of y on x:
    # both are noisy measures of one tempo, and least squares shrinks the slope by their correlation (salsa
    # 0.67 for r = 0.69, the video couple 0.41-0.44 for r = 0.42-0.52; the reduced major axis gives 0.8-1.04).
    # The bank plays a departure at this power of the pace ratio: shrunk, its partners answered a faster
    # leader too little (whole-take responsiveness a2b 0.54 against the real couple's 0.695; 0.58 at 1.0).
    spread = (y.pow(2).sum() / x.pow(2).sum().clamp_min(1e-12)).sqrt()
    gain = min(max(float(spread * torch.sign((x * y).sum())), 0.0), MAX_GAIN)
    rms = float((pace / ref).clamp(0.05, 20.0).pow(2 * gain).mean().sqrt())
    return float(ref), gain, rms


def drive(pace: Tensor, ref: Tensor, gain: Tensor, rms: Tensor) -> Tensor:
    """How much the sampled deviation moves at each latent step `[B, steps]` of leaders moving at `pace`
    (`ref`, `gain`, `rms` `[B, 1]` from `fit_drive`): 1 on average over the training leads."""
    ratio = (pace / ref).clamp(0.05, 20.0)
    return (ratio ** gain / rms).clamp(0.1, 4.0)


def smooth_deviations(deviation: Tensor, sigma: Tensor) -> Tensor:
    """Deviations `[B, Z, steps]` smoothed over time by a Gaussian of `sigma[b]` steps, spread kept."""
    out = deviation.clone()
    for s in sigma.unique():
        if float(s) <= 0:
            continue
        radius = int(np.ceil(3 * float(s)))
        t = torch.arange(-radius, radius + 1, dtype=deviation.dtype, device=deviation.device)
        kernel = torch.exp(-0.5 * (t / s) ** 2)
        kernel = (kernel / kernel.sum()).view(1, 1, -1).repeat(deviation.shape[1], 1, 1)
        rows = sigma == s
        x = F.pad(deviation[rows], (radius, radius), mode="replicate")
        smooth = F.conv1d(x, kernel, groups=deviation.shape[1])
        out[rows] = smooth * deviation[rows].std() / smooth.std().clamp_min(1e-8)
    return out


def mean_motion(centred: Tensor, order: int) -> float:
    """Mean speed (order 1) or acceleration (order 2, BENCHMARK's jitter) magnitude of bodies `[B, T, J, 3]`
    centred on their own pelvis."""
    return float(centred.diff(n=order, dim=1).norm(dim=-1).mean().clamp_min(1e-12))

"""After training, a duet model's sampling is fitted to its real training duets (`fit`, the model's
`fit_prior`):

1. the leader's solo prior, on both dancers, and each dancer's own prior of leaders (`DuetVAE.lead_latent`);
2. the deviation bank (the real partners' posterior departures from the best guess, keyed by the best guess and
   the leader's pace) and the deviation prior: an AR prior of those departures (for folders without a bank);
3. its drive: real partners depart most where the leader moves most (`deviations.fit_drive`);
4. the calibration, on training windows: how much sampled deviations are smoothed and scaled so that
   sampled partners move (speed) and accelerate as much as the real ones. A Gaussian AR deviation is rough
   everywhere, while real movement has calm stretches and accents, so unsmoothed samples would shake; and
   the posterior's deviations, fitted on the training pairs, overstate what a partner adds to the best
   guess (samples at the full spread can move faster than the real partners);
5. the holds: each hand's hold logit is shifted so that those sampled partners hold as often as the real
   couple (the head, trained against rare labels, is timid; what it ranks is kept).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from pasdeux.data import pair_windows
from pasdeux.models import deviations as dev

if TYPE_CHECKING:
    from pasdeux.models.duet import DuetVAE

LEAD_MAX_RADIUS = 0.98  # each dancer's prior of leaders stays at the dancer's own spread: fitted freely, the
# salsa follower's drifted off (her feet 0.5-2.6 m above the floor within 10 s)
CALIBRATION_WINDOWS = 32  # training windows per direction on which sampled partners' speed is calibrated
DEVIATION_SMOOTHING = (0.0, 0.5, 0.75, 1.0, 1.5, 2.0)  # latent steps tried
DEVIATION_SCALES = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)  # spreads tried, relative to the fitted deviation prior's


@torch.no_grad()
def fit(model: DuetVAE, sequences: list[np.ndarray]) -> None:
    """Fit every prior of `model` and calibrate its samples on whole training duets `[2, T, J, 3]`."""
    by_dancer = [model.solo.posterior_means([s[d] for s in sequences]) for d in range(2)]
    model.solo.prior.fit([mu for pair in zip(*by_dancer) for mu in pair])  # both dancers (variations, music)
    fit_lead_priors(model, by_dancer)
    model.fit_sampler(sequences)
    calibrate(model, sequences)


def fit_lead_priors(model: DuetVAE, by_dancer: list[list[Tensor]]) -> None:
    """Each dancer's own prior of leaders (`DuetVAE.lead_latent`) from the latents of that dancer's training
    motion, kept stationary at its spread (`LEAD_MAX_RADIUS`). On stop 27's salsa model, leads from the prior of
    both dancers turned like neither (facing speed median 2.2 rad/s, 95th percentile 10.3) and shook 0.84 / 0.71
    as much as the real leader / follower (travel included); from each dancer's own prior the leader turned as
    he does (1.5 and 6.7: his 1.6 and 6.7) and the follower nearly as she does (3.2 and 16: her 3.0 and 12.6),
    shaking 0.80 / 0.99 as much as they do, and the partners of fresh a2b duets skated in 0.21 of planted
    frame pairs instead of 0.25 (3 seeds x 8 x 10 s; real follower 0.17; b2a 0.16 either way)."""
    for prior, mus in zip(model.lead_priors, by_dancer):
        prior.fit(mus, max_radius=LEAD_MAX_RADIUS)


@torch.no_grad()
def calibrate(model: DuetVAE, sequences: list[np.ndarray]) -> None:
    """Per direction, the deviation smoothing and scale whose sampled training partners move and accelerate
    most like the real ones, then the hold shift for those samples."""
    windows, moments = _windows(model, sequences)
    chosen = np.linspace(0, len(windows) - 1, min(CALIBRATION_WINDOWS, len(windows))).round().astype(int)
    pairs = torch.as_tensor(windows[chosen], device=model.device)
    avoid = torch.as_tensor(moments[chosen], device=model.device)
    gen = torch.Generator().manual_seed(0)
    for direction in range(len(model.directions)):
        lead, partner = pairs[:, direction], pairs[:, 1 - direction]
        ctx = model.condition(lead, direction)
        mu = model.best_guess(ctx)
        raw = model.sampler.raw(ctx.pace, ctx.direction, gen, guess=mu, avoid=avoid)
        real = np.array([dev.mean_motion(model.own_centred(partner), order) for order in (1, 2)])
        gaps, outs = {}, {}
        ones = torch.ones(len(lead), device=mu.device)
        for smooth in DEVIATION_SMOOTHING:
            calm = model.sampler.finish(raw, ctx.direction, smooth * ones, ones)  # smoothed once, then scaled
            for scale in DEVIATION_SCALES:
                outs[smooth, scale] = model.decode_latent(mu + scale * calm, lead.shape[1], lead=ctx)
                drawn = model.partner_world(outs[smooth, scale], lead)
                moved = np.array([dev.mean_motion(model.own_centred(drawn), order) for order in (1, 2)])
                gaps[smooth, scale] = float(np.abs(np.log(moved / real)).sum())
        best = min(gaps, key=gaps.get)
        model.sampler.smooth[direction], model.sampler.scale[direction] = best
        if model.n_hold:
            calibrate_holds(model, direction, outs[best], lead, partner)


def _windows(model: DuetVAE, sequences: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Back-to-back training pair windows `[N, 2, T, J, 3]` and where each lies `[N, 3]` (its duet, its first
    and last latent step): the deviation bank draws them as new leads, away from their own moment (there it
    would give back the real partner, and the calibration would believe every sample moves as real ones do)."""
    out, moments = [], []
    for k, s in enumerate(sequences):
        if s.shape[1] < model.window:
            continue
        w = pair_windows(np.asarray(s, np.float32), model.window, model.window)
        first = np.arange(len(w)) * model.window // model.factor
        out.append(w)
        moments.append(np.stack([np.full(len(w), k), first, first + model.window // model.factor - 1], 1))
    return np.concatenate(out), np.concatenate(moments)


def calibrate_holds(model: DuetVAE, direction: int, out: Tensor, lead: Tensor, partner: Tensor) -> None:
    """Shift each hand's hold logit so that the sampled partners `out` (decoder output) hold it in as many
    frames as the real `partner` holds it."""
    share = model.real_holds(lead, partner).mean((0, 1))  # [2]
    logits = model.hold_logits(out).reshape(-1, model.n_hold)
    for side in range(model.n_hold):
        if share[side] <= 0:
            model.sampler.hold_shift[direction, side] = float("inf")  # this hand never holds: never take it
        else:
            model.sampler.hold_shift[direction, side] = torch.quantile(logits[:, side], 1 - float(share[side]))

"""The partner sampler: how a duet model's sampled partners depart from its best guess, in one object.

The model predicts (a best-guess latent per leader, `prior_mean`); the sampler walks (the role a
scheduler plays beside a diffusers model). It owns, per direction, everything fitted after training and
saved with the weights:
- the deviation bank (`deviation_bank.py`): the real partners' own departures from the best guess, taken
  where the model expected the same partner; drawn partners depart as real ones did;
- the deviation prior: a Gaussian AR prior with energy profiles (`ar_prior.py`) of those departures, for
  folders saved before the bank and for data too short to fill it;
- its drive: real partners depart most where the leader moves most (`deviations.fit_drive`), so each
  latent step's innovation is scaled by the leader's pace;
- its calibration: a smoothing over time and a spread (`duet_fit.calibrate` chooses them so that sampled
  training partners move and accelerate like the real ones);
- the hold shift: per hand, the hold logit above which sampled partners hold as often as the real couple.

Every path that draws a partner uses `deviation`: a fresh partner, a partner continuing from given first
frames (`history`), the partners of whole duets from nothing and of varied duets. Drawn deviations are in
latent units: a partner latent is `best guess + sigma * deviation`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from pasdeux.models import deviations as dev
from pasdeux.models.ar_prior import ARPrior
from pasdeux.models.deviation_bank import DeviationBank

MAX_RADIUS = 0.97  # the deviation prior's largest root: it forgets a deviation in about 2 s at 30 fps (15 steps/s).
# Fitted freely on salsa the root sat at 0.9998: over a whole take sampled deviations wandered to 2-3x the real
# partners' spread (0.9 -> 1.7-2.7 over 4000 steps), the partner drifting into poses the couple never makes.


class PartnerSampler(nn.Module):
    """Fitted deviation prior, drive, calibration and hold shift of a partner model, one set per direction."""

    def __init__(self, channels: int, order: int, span: int, directions: int, hands: int = 2) -> None:
        super().__init__()
        self.residual = ARPrior(channels, order, span)
        self.bank = DeviationBank(channels)
        self.register_buffer("smooth", torch.zeros(directions))  # latent steps of Gaussian smoothing
        self.register_buffer("scale", torch.ones(directions))  # spread relative to the fitted AR prior's
        self.register_buffer("hold_shift", torch.zeros(directions, hands))
        # The drive's power law: the leader's typical pace, its exponent, and its RMS over the training leads.
        for name, value in (("pace_ref", 1.0), ("gain", 0.0), ("drive_rms", 1.0)):
            self.register_buffer(name, torch.full((directions,), value))

    # --- fitting -------------------------------------------------------------------------------
    @torch.no_grad()
    def fit(self, deviations: list[Tensor], paces: list[Tensor], directions: list[int],
            guesses: list[Tensor] | None = None, sources: list[int] | None = None) -> None:
        """Fit the AR prior to real deviations `[steps, Z]` and, per direction, the drive to the leaders'
        paces `[steps]` (`directions[i]` is the direction of `deviations[i]`); keep the deviations in the bank,
        keyed by the best guesses `[steps, Z]` they depart from (`sources[i]`: which training duet)."""
        self.residual.fit(deviations, max_radius=MAX_RADIUS)
        if guesses is not None:
            self.bank.fit(guesses, deviations, directions, paces, sources or list(range(len(guesses))))
        for d in range(len(self.smooth)):
            mine = [i for i, x in enumerate(directions) if x == d]
            fitted = dev.fit_drive([deviations[i] for i in mine], [paces[i] for i in mine])
            if fitted is not None:
                self.pace_ref[d], self.gain[d], self.drive_rms[d] = fitted

    # --- drawing -------------------------------------------------------------------------------
    def drive(self, pace: Tensor, direction: Tensor) -> Tensor:
        """How much the deviation moves at each latent step `[B, steps]` of leaders moving at `pace`."""
        return dev.drive(pace, self.pace_ref[direction, None], self.gain[direction, None],
                         self.drive_rms[direction, None])

    def raw(self, pace: Tensor, direction: Tensor, gen: torch.Generator, history: Tensor | None = None,
            guess: Tensor | None = None, avoid: Tensor | None = None) -> Tensor:
        """Unsmoothed, unscaled deviations `[B, Z, steps]`: from the bank for the best guesses `guess`
        `[B, Z, steps]` where it is fitted (`avoid`: see `DeviationBank.draw`), else AR deviations driven by
        the leaders' `pace` `[B, steps]`; `history` `[B, Z, H]`, raw deviations already given, makes them
        continue from it (H steps are part of `steps`, and returned as given)."""
        drawn = None
        if guess is not None and self.bank.fitted:
            drawn = self.bank.draw(guess, pace, direction, gen, avoid, power=self.gain[direction])
        if drawn is not None:
            return drawn if history is None else self.bank.continue_from(history, drawn)
        drive = self.drive(pace, direction)
        if history is None:
            return self.residual.sample(len(pace), pace.shape[-1], gen, centred=True, drive=drive).to(pace.device)
        given = history.shape[-1]
        rest = self.residual.continue_from(history.transpose(1, 2), pace.shape[-1] - given, gen,
                                           drive=drive[:, given:])
        return torch.cat([history, rest.to(history.device)], dim=-1)

    def finish(self, raw: Tensor, direction: Tensor, smooth: Tensor | None = None,
               scale: Tensor | None = None) -> Tensor:
        """Raw deviations `[B, Z, steps]` smoothed and scaled as calibrated (or as given, for the calibration)."""
        smooth = self.smooth[direction] if smooth is None else smooth
        scale = self.scale[direction] if scale is None else scale
        return scale[:, None, None] * dev.smooth_deviations(raw, smooth)

    def deviation(self, pace: Tensor, direction: Tensor, gen: torch.Generator,
                  history: Tensor | None = None, guess: Tensor | None = None) -> Tensor:
        """Deviations from the best guess `guess` `[B, Z, steps]`, as the calibrated sampler draws them; `history`
        `[B, Z, H]` (deviations of given first steps, in latent units) makes them continue from it."""
        raw_history = None if history is None else history / self.scale[direction][:, None, None]
        return self.finish(self.raw(pace, direction, gen, raw_history, guess), direction)

    def hold_probability(self, logits: Tensor, direction: Tensor) -> Tensor:
        """Hold-head logits `[B, T, hands]` as probabilities, shifted so partners hold as often as real ones."""
        return torch.sigmoid(logits - self.hold_shift[direction][:, None, :])

    # --- folders saved before the sampler was one object ----------------------------------------
    LEGACY = {"deviation_smooth": "smooth", "deviation_scale": "scale", "hold_shift": "hold_shift",
              "pace_ref": "pace_ref", "deviation_gain": "gain", "drive_rms": "drive_rms"}

    @classmethod
    def rename_legacy(cls, state: dict, prefix: str, owner_prefix: str) -> None:
        """Move a model state's pre-sampler keys (`owner_prefix` + old name, and the AR prior's `residual.*`)
        to the sampler's (`prefix` + new name)."""
        for key in list(state):
            name = key[len(owner_prefix):] if key.startswith(owner_prefix) else ""
            if name.startswith("residual."):
                state[prefix + name] = state.pop(key)
            elif name in cls.LEGACY:
                state[prefix + cls.LEGACY[name]] = state.pop(key)

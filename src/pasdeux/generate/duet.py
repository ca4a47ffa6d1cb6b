"""Whole duets: both dancers from nothing (a leader from the model's solo prior, then its partner), and
variations of a given duet (the leader varied, the partner answering the varied leader as the real partner
answered the real one). Several duets are set side by side, `SPACING` metres apart."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from pasdeux.body import root_trajectory
from pasdeux.generate import pipeline
from pasdeux.generate.lead import as_lead, on_model_floor
from pasdeux.generate.partners import check_duet_model, check_sigma, finished_partners, partner_windows
from pasdeux.generate.provenance import made_by, pick_seed
from pasdeux.generate.solo import place
from pasdeux.geometry import centre_horizontally
from pasdeux.models.base import PartnerModel, direction_index, generator
from pasdeux.motion import Motion

SPACING = 3.0  # metres between duets shown side by side (partners stand up to about 2 m apart)


def _side_by_side(pairs: np.ndarray) -> np.ndarray:
    """Pairs `[n, 2, T, J, 3]` shifted along x so each duet has its own floor space; as dancers `[2n, T, J, 3]`."""
    n = len(pairs)
    out = pairs.copy()
    out[..., 0] += ((np.arange(n) - (n - 1) / 2) * SPACING)[:, None, None, None]
    return out.reshape(2 * n, *pairs.shape[2:])


def _labels(n: int) -> tuple[str, ...]:
    if n == 1:
        return ("lead", "partner")
    return tuple(f"duet {k + 1} {who}" for k in range(n) for who in ("lead", "partner"))


def duet_prior(model: PartnerModel, n: int = 1, seconds: float = 8.0, seed: int | None = None,
               direction: str = "a2b", latent: torch.Tensor | None = None,
               partners: Callable[[np.ndarray], np.ndarray] | None = None) -> Motion:
    """`n` fresh duets of `seconds` each: a leader sampled from the model's prior of the dancer who leads
    (`PartnerModel.lead_latent`) and a partner for it
    (`latent`: the leaders' given prior latents, `pipeline.sample_with_root`; `partners`: makes the partners
    `[n, T, J, 3]` for the placed leaders `[n, T, J, 3]` instead of one draw of the model's sampler, as music's
    guided sampling chooses them a piece at a time)."""
    model = check_duet_model(model)
    seed = pick_seed(seed)
    frames = max(model.min_frames, int(round(float(seconds) * model.fps)))
    if latent is None:  # leaders that move as the dancer who leads does
        with torch.no_grad():
            latent = model.lead_latent(n, frames, generator(seed), direction_index(direction))
    # on the leading dancer's own floor: the couple's, measured on both, stood a salsa leader 0.6 cm higher
    centred, vel = pipeline.sample_with_root(model.solo, n, frames, seed, latent=latent,
                                             floor=model.dancer_floor(direction_index(direction)))
    leads = place(centred, vel, np.zeros((n, 2), np.float32))
    made = partner_windows(model, leads, direction, 1.0, 1, seed + 1)[:, 0] if partners is None else partners(leads)
    pos = _side_by_side(np.stack([leads, made], 1))
    return Motion(pos, model.skeleton, model.fps, f"pasdeux:{model.name}",
                  [f"{n} duet(s) of {seconds:g} s from the prior of model {model.name!r} (seed {seed}, {direction})"],
                  _labels(n), made_by(model, "duet_prior", n=n, seconds=float(seconds), seed=seed, direction=direction))


def duet_variations(model: PartnerModel, duet: Motion, sigma: float = 0.5, n: int = 1, seed: int | None = None,
                    direction: str = "a2b") -> Motion:
    """`n` variations of a two-dancer motion: sigma 0 gives the model's reconstruction of the duet, larger
    sigma moves the leader further from the given one, and the partner answers each varied leader."""
    model, sigma = check_duet_model(model), check_sigma(sigma)
    seed, role = pick_seed(seed), direction_index(direction)
    lead, lead_notes = as_lead(model, duet, role)
    real, _ = as_lead(model, duet, 1 - role)
    lead_w, lift = on_model_floor(lead.positions, model.skeleton, model.dancer_floor(role))  # its partner too
    lead_w, real_w = lead_w[0], real.positions[0] + np.float32([0, lift[0], 0])
    root = root_trajectory(lead_w, model.skeleton)[:, [0, 2]]
    centred = centre_horizontally(lead_w, root)
    var, vel = pipeline.vary_with_root(model.solo, np.repeat(centred[None], n, 0), sigma, seed)
    leads = place(var, vel, np.repeat(root[:1], n, 0))
    partners = _answering(model, lead_w, real_w, leads, role, sigma, seed)
    pairs = np.stack([leads, partners], 1)
    pairs[..., 1] -= lift[0]  # on the given duet's floor
    if role == 1:
        pairs = pairs[:, ::-1]  # keep each dancer in its place: A first, as in the given duet
    return Motion(_side_by_side(np.ascontiguousarray(pairs)), model.skeleton, model.fps, duet.source,
                  duet.notes + lead_notes + [f"{n} variation(s) (sigma {sigma:g}, seed {seed}) of the duet "
                                             f"{duet.source or ''} by model {model.name!r}"],
                  _labels(n) if role == 0 else tuple(reversed(_labels(n))),
                  made_by(model, "duet_variations", sigma=sigma, n=n, seed=seed, direction=direction,
                          source=duet.source, frames=lead.n_frames))


def _answering(model: PartnerModel, lead: np.ndarray, real: np.ndarray, new_leads: np.ndarray, role: int, sigma: float,
               seed: int) -> np.ndarray:
    """Partners `[n, T, J, 3]` for `new_leads` that deviate from the model's expectation as the real partner
    deviates from it for the real lead, plus `sigma` times a deviation drawn by the model's sampler."""
    with pipeline.inference(model):
        lead_t, real_t = torch.as_tensor(lead[None]), torch.as_tensor(real[None])
        cond = model.condition(lead_t, role)
        deviation = model.posterior(real_t, cond) - model.best_guess(cond)  # [1, Z, steps]
        new_leads_t = torch.as_tensor(new_leads)
        new_cond = model.condition(new_leads_t, role)
        z = model.draw(new_cond, sigma, generator(seed + 1)) + deviation
        return finished_partners(model, model.decode(z, new_cond), new_leads_t, role)

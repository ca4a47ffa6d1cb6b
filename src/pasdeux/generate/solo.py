"""Generating solo dance with a trained model: variations of a phrase, prior samples, latent
interpolation, transitions between phrases and long continuous solos.

Every function returns a `Motion` placed in the world: the model works on poses centred per frame,
and the root's horizontal path is added back, either integrated from the velocity the model
predicts (`model.has_root`) or taken from the source phrase. Every result stands on the floor of the
model's training data with its planted feet held still (`pipeline.ground`, `pasdeux.grounding`).
Results that hold several phrases (variations, prior samples, interpolation steps) keep them as the
dancers of one Motion, set side by side `SPACING` metres apart so they can be watched together.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from pasdeux.body import root_trajectory
from pasdeux.errors import ConfigError, ShapeError
from pasdeux.generate import pipeline
from pasdeux.generate.lead import on_model_floor, on_model_skeleton
from pasdeux.generate.pipeline import place
from pasdeux.generate.provenance import made_by, pick_seed
from pasdeux.generate.timing import frames_at
from pasdeux.geometry import centre_horizontally
from pasdeux.models.base import MotionModel, generator
from pasdeux.motion import Motion

SPACING = 1.5  # metres between phrases shown side by side
BLEND = 8  # frames cross-faded where generated motion meets given motion


def _as_motion(model: MotionModel, positions: np.ndarray, source: str, note: str, provenance: dict,
               labels: tuple[str, ...] = ()) -> Motion:
    return Motion(positions.astype(np.float32), model.skeleton, model.fps, source, [note], labels, provenance)


def _numbered(kind: str, n: int) -> tuple[str, ...]:
    return tuple(f"{kind} {k + 1}" for k in range(n)) if n > 1 else ()


def _side_by_side(n: int) -> np.ndarray:
    return np.stack([(np.arange(n) - (n - 1) / 2) * SPACING, np.zeros(n)], axis=1).astype(np.float32)


def _solo(model: MotionModel, phrase: Motion, dancer: int) -> tuple[np.ndarray, np.ndarray, float]:
    """The chosen dancer's positions `[T, J, 3]` on the model's floor (`on_model_floor`), its root path in x, z
    `[T, 2]`, and how far it was lifted to stand there."""
    if not -phrase.n_dancers <= dancer < phrase.n_dancers:
        raise ShapeError(f"dancer {dancer} does not exist; the phrase has {phrase.n_dancers} dancer(s)")
    pos = phrase.positions[dancer]
    if np.isnan(pos).any():
        raise ShapeError("the phrase has missing data; fill gaps first (pasdeux.data.fill_gaps)")
    pos, lift = on_model_floor(pos[None], phrase.skeleton, model.floor_model)
    return pos[0], root_trajectory(pos[0], phrase.skeleton)[:, [0, 2]], float(lift[0])


def _check_model(model: MotionModel, phrase: Motion) -> None:
    if phrase.skeleton.joints != model.skeleton.joints:
        raise ShapeError(f"the phrase uses skeleton {phrase.skeleton.name!r} but the model was trained on "
                         f"{model.skeleton.name!r}; give motion of the same skeleton")
    if abs(phrase.fps - model.fps) > 1e-6:
        raise ShapeError(f"the phrase is {phrase.fps:g} fps but the model works at {model.fps:g} fps; "
                         f"take it with pasdeux.generate.phrase(motion, model) or Motion.resample({model.fps:g})")


def variations(model: MotionModel, phrase: Motion, sigma: float = 0.5, n: int = 4, seed: int | None = None,
               dancer: int = 0) -> Motion:
    """`n` variations of one dancer's phrase; sigma 0 gives the reconstruction, larger is more daring. A phrase
    of another skeleton (a filmed dancer) is first moved onto the model's by body roles (`generate.lead`)."""
    chosen = dancer
    phrase, notes = on_model_skeleton(model, phrase, dancer)
    dancer = 0 if notes else dancer  # the moved phrase holds the chosen dancer alone
    _check_model(model, phrase)
    seed = pick_seed(seed)
    pos, root, lift = _solo(model, phrase, dancer)
    centred = np.repeat(centre_horizontally(pos, root)[None], n, axis=0)
    out, vel = pipeline.vary_with_root(model, centred, sigma, seed, ground=model.has_root)
    if model.has_root:
        world = place(out, vel, root[:1].repeat(n, 0))
    else:  # the phrase's own travel, then the feet are grounded along it
        world = pipeline.ground(model, place(out, np.diff(root, axis=0, prepend=root[:1])[None].repeat(n, 0),
                                             root[:1].repeat(n, 0)))
    world[..., 0] += _side_by_side(n)[:, None, None, 0]
    world[..., 1] -= lift  # on the phrase's own floor, as its ghost stands
    out = _as_motion(model, world, phrase.source, f"{n} variations (sigma {sigma:g}, seed {seed}) of dancer "
                     f"{chosen} of {phrase.source or 'a phrase'} by model {model.name!r}; set {SPACING} m apart",
                     made_by(model, "variations", sigma=float(sigma), n=n, seed=seed, source=phrase.source,
                             dancer=chosen, frames=len(pos)), _numbered("variation", n))
    return replace(out, notes=notes + out.notes)


def ghost_for_variations(phrase: Motion, n: int, dancer: int = 0) -> Motion:
    """The phrase repeated under each of `n` variations as `variations` sets them side by side (a ghost)."""
    solo = phrase.dancer(dancer)
    pos = np.repeat(solo.positions, n, axis=0)
    pos[..., 0] += _side_by_side(n)[:, None, None, 0]
    return solo.with_positions(pos, f"the phrase under each of {n} variations")


def prior(model: MotionModel, n: int = 4, seconds: float = 4.0, seed: int | None = None,
          latent: torch.Tensor | None = None) -> Motion:
    """`n` fresh phrases of `seconds` each, sampled from the model's prior, side by side (`latent`: given prior
    latents, `pipeline.sample_with_root`)."""
    frames, seed = frames_at(model, seconds, "the phrase length"), pick_seed(seed)
    out, vel = pipeline.sample_with_root(model, n, frames, seed, latent=latent)
    world = place(out, vel, _side_by_side(n))
    return _as_motion(model, world, f"pasdeux:{model.name}", f"{n} prior samples of {seconds:g} s (seed {seed}) "
                      f"from model {model.name!r}; set {SPACING} m apart",
                      made_by(model, "prior", n=n, seconds=float(seconds), seed=seed), _numbered("phrase", n))


def interpolate(model: MotionModel, a: Motion, b: Motion, steps: int = 8, dancer_a: int = 0,
                dancer_b: int = 0) -> Motion:
    """`steps` phrases morphing from phrase a to phrase b through the latent space, side by side."""
    if steps < 2:
        raise ConfigError(f"steps must be >= 2 (the two ends included); got {steps}")
    for p in (a, b):
        _check_model(model, p)
    (pa, ra, _), (pb, rb, _) = _solo(model, a, dancer_a), _solo(model, b, dancer_b)
    t = min(len(pa), len(pb))
    ca, cb = centre_horizontally(pa[:t], ra[:t]), centre_horizontally(pb[:t], rb[:t])
    mu, _ = pipeline.latents(model, np.stack([ca, cb]))
    w = torch.linspace(0, 1, steps, device=mu.device).view(-1, *([1] * (mu.dim() - 1)))
    d = pipeline.decode_all(model, mu[:1] * (1 - w) + mu[1:] * w, t)
    world = pipeline.ground(model, place(d.pose, d.root, _side_by_side(steps)), d.contact)  # no root: zero travel
    return _as_motion(model, world, f"{a.source} -> {b.source}", f"latent interpolation in {steps} steps "
                      f"by model {model.name!r}; set {SPACING} m apart",
                      made_by(model, "interpolate", steps=steps, source_a=a.source, source_b=b.source,
                              dancer_a=dancer_a, dancer_b=dancer_b, frames=t), _numbered("step", steps))


def transition(model: MotionModel, a: Motion, b: Motion, bridge_seconds: float = 2.0, dancer_a: int = 0,
               dancer_b: int = 0, seed: int | None = None) -> Motion:
    """Phrase a, a generated bridge of `bridge_seconds` (rounded up to whole latent steps), then phrase b, as one
    continuous solo."""
    factor = model.factor
    if factor is None:
        raise ConfigError(f"model {model.name!r} has one latent vector per window; transitions need a latent "
                          "sequence (use the default or pose model)")
    for p in (a, b):
        _check_model(model, p)
    (pa, ra, _), (pb, rb, _) = _solo(model, a, dancer_a), _solo(model, b, dancer_b)
    ctx = min(model.window, len(pa), len(pb)) // factor * factor
    if ctx < max(factor, BLEND):
        raise ShapeError(f"phrases need at least {max(factor, BLEND)} frames for a transition")
    steps, seed = -(-frames_at(model, bridge_seconds, "the bridge") // factor), pick_seed(seed)
    mu_a = pipeline.latents(model, centre_horizontally(pa[-ctx:], ra[-ctx:])[None])[0]
    mu_b = pipeline.latents(model, centre_horizontally(pb[:ctx], rb[:ctx])[None])[0]
    w = torch.linspace(0, 1, steps + 2, device=mu_a.device)[1:-1]
    bridge = mu_a[..., -1:] * (1 - w) + mu_b[..., :1] * w
    bridge = bridge + 0.3 * _bridge_noise(model, steps, seed) * torch.sin(np.pi * w)  # alive, pinned at ends
    out, vel = pipeline.decode(model, torch.cat([mu_a, bridge, mu_b], dim=-1), 2 * ctx + steps * factor)
    out, vel = out[0], vel[0]
    n_mid = steps * factor
    centred = np.concatenate([centre_horizontally(pa, ra), out[ctx:ctx + n_mid], centre_horizontally(pb, rb)])
    # Cross-fade the decoded edges of the bridge into the given phrases so nothing jumps.
    ramp = np.linspace(0, 1, BLEND, dtype=np.float32)[:, None, None]
    end_a, start_b = len(pa), len(pa) + n_mid
    centred[end_a - BLEND:end_a] = centred[end_a - BLEND:end_a] * (1 - ramp) + out[ctx - BLEND:ctx] * ramp
    centred[start_b:start_b + BLEND] = out[ctx + n_mid:ctx + n_mid + BLEND] * (1 - ramp) + \
        centred[start_b:start_b + BLEND] * ramp
    mid_vel = vel[ctx:ctx + n_mid] if model.has_root else np.repeat(
        ((rb[0] - ra[-1]) / max(1, n_mid + 1))[None], n_mid, 0)
    root = np.concatenate([np.diff(ra, axis=0, prepend=ra[:1]), mid_vel, np.diff(rb, axis=0, prepend=rb[:1])])
    root[len(pa) + n_mid] = root[len(pa) + n_mid - 1]  # b continues from where the bridge ends
    world = pipeline.ground(model, place(centred[None], root[None], ra[:1]))[0]
    return _as_motion(model, world, f"{a.source} -> {b.source}", f"phrase a ({len(pa) / model.fps:.2f} s), a "
                      f"{n_mid / model.fps:.2f} s bridge ({n_mid} frames at {model.fps:g} fps) generated by model "
                      f"{model.name!r}, then phrase b ({len(pb) / model.fps:.2f} s)",
                      made_by(model, "transition", bridge_seconds=float(bridge_seconds), seed=seed, source_a=a.source,
                              source_b=b.source, dancer_a=dancer_a, dancer_b=dancer_b))


def _bridge_noise(model: MotionModel, steps: int, seed: int | None) -> torch.Tensor:
    with pipeline.inference(model):
        noise = model.variation_noise(torch.zeros(1, 1, steps), generator(seed)).to(model.device)
    scale = model.latent_scale()
    return noise * (scale if isinstance(scale, float) else scale.to(model.device))


def long_form(model: MotionModel, seconds: float = 60.0, seed: int | None = None,
              latent: torch.Tensor | None = None) -> Motion:
    """One continuous solo of any length sampled from the prior, travelling where the model says (`latent`:
    given prior latents, `pipeline.sample_with_root`)."""
    frames, seed = frames_at(model, seconds, "the length"), pick_seed(seed)
    out, vel = pipeline.sample_with_root(model, 1, frames, seed, latent=latent)
    world = place(out, vel, np.zeros((1, 2), np.float32))
    return _as_motion(model, world, f"pasdeux:{model.name}", f"long-form solo of {seconds:g} s (seed {seed}) "
                      f"from model {model.name!r}", made_by(model, "long", seconds=float(seconds), seed=seed))


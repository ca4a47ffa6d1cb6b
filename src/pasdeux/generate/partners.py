"""A partner for a leader: the duet model's second dancer, answering a given first dancer.

`partner_windows` works on numpy windows (the benchmark's level); `partner` takes a `Motion` of any
length, any frame rate and a skeleton that shares the model's joints by name, and returns the duet:
the lead as dancer 0, its partner (or `n` alternative partners, in the same space) after it.

Partners stand on their own feet (`ground_partners`): the model places a partner from its leader's pelvis,
so the leader's travel and turning would carry its planted feet along (they slid in 0.86 of the frame pairs
with a foot planted on the salsa test windows, a2b, against 0.19 for the real partners). The feet the
model's contact head plants are held, and the partner travels over them, anchored to its place beside the
leader. The anchor trades feet against placement, measured on the salsa test windows (a2b, a duet model of
936 steps; skating against a real 0.19, fid_cd against 23.5 ungrounded): held feet only (no travel) 0.35
and 34; anchored for 0.3 s, 0.26 and 47; for 1 s, 0.23 and 63. Every planted foot a dancer sees slide is
the first thing wrong with a partner, so the feet are held. Most of the placement's cost was the partner
coming closer: an anchor as strong in every direction low-passes a path that circles the leader. Holding
the distance from the leader within 0.3 s and the place around it within 1 s keeps both (the bench's salsa
model of 501 steps, windows, a2b / b2a: fid_cd 26.1 / 30.5 -> 21.9 / 22.4 against 19.3 / 16.1 ungrounded,
skating 0.160 / 0.056 -> 0.152 / 0.052; the video couple's fid_cd 236 / 243 -> 214 / 225). A distance held
within 0.2 s gave salsa 23.2 / 20.9, but the video couple's b2a partner skated 1.4x the real one over the
whole take (0.234 against 0.17; 0.184 at 0.3 s, 0.167 at 0.5 s, where salsa b2a rose to 25.8).
"""

from __future__ import annotations

import numpy as np
import torch

from pasdeux.body import root_trajectory
from pasdeux.errors import ConfigError, ShapeError
from pasdeux.generate.holds import hold_hands
from pasdeux.generate.lead import as_lead, on_model_floor
from pasdeux.generate.pipeline import CHUNK, inference
from pasdeux.generate.provenance import made_by, pick_seed
from pasdeux.grounding import ground, limit_travel, stand_with
from pasdeux.models.base import DIRECTIONS, PartnerCondition, PartnerModel, PartnerOutput, direction_index, generator
from pasdeux.motion import Motion, Skeleton

# Seconds: how soon a partner's steps bring it back to its distance from the leader, and to its place around
# the leader (the module doc).
PARTNER_ANCHOR_S, PARTNER_ALONG_S = 0.3, 1.0
BLEND = 8  # frames over which given first frames of the partner hand over to generated ones


def check_duet_model(model: object) -> PartnerModel:
    """The model, if it is a duet (partner) model; otherwise a clear error."""
    if not isinstance(model, PartnerModel):
        name = getattr(model, "name", type(model).__name__)
        raise ConfigError(f"model {name!r} is a solo model; partners need a duet model "
                          "(pasdeux train --config duet --data A.bvh --pair B.bvh)")
    return model


def check_sigma(sigma: float) -> float:
    if not (np.isfinite(sigma) and sigma >= 0):
        raise ConfigError(f"sigma must be a number >= 0 (0: the model's best guess, 1: its own spread); got {sigma}")
    return float(sigma)


def partner_windows(model: PartnerModel, lead: np.ndarray, direction: str = "a2b", sigma: float = 1.0, k: int = 1,
                    seed: int | None = None, start: np.ndarray | None = None) -> np.ndarray:
    """`k` partners `[N, k, T, J, 3]` (world positions) for uncentred leader windows `[N, T, J, 3]`.

    sigma 0 gives the model's best guess (the same for every k); `start`, partner frames `[N, S, J, 3]`
    given for the first S frames, makes each partner continue from them.
    """
    model, sigma = check_duet_model(model), check_sigma(sigma)
    lead = np.asarray(lead, np.float32)
    if lead.ndim != 4 or lead.shape[2:] != (model.skeleton.n_joints, 3) or lead.shape[1] < model.min_frames:
        raise ShapeError(f"leader windows must be [N, T>={model.min_frames}, {model.skeleton.n_joints}, 3]; "
                         f"got {lead.shape}")
    if not np.isfinite(lead).all():
        raise ShapeError("the lead has missing data (NaN); fill gaps (pasdeux.data.fill_gaps) first")
    if k < 1:
        raise ConfigError(f"the number of partners must be at least 1; got {k}")
    gen, role = generator(seed), direction_index(direction)
    lead, lift = on_model_floor(lead, model.skeleton, model.dancer_floor(role))
    if start is not None:  # the partner's own first frames stand where its lead now stands
        start = np.array(start, np.float32)
        start[..., 1] += lift[:, None, None]
    out = np.concatenate([_partners(model, lead[s:s + CHUNK], role, sigma, k, gen,
                                    None if start is None else start[s:s + CHUNK]) for s in range(0, len(lead), CHUNK)])
    out[..., 1] -= lift[:, None, None, None]  # on the given leads' own floor
    return out


def _partners(model: PartnerModel, lead: np.ndarray, role: int, sigma: float, k: int, gen: torch.Generator,
              start: np.ndarray | None) -> np.ndarray:
    n = len(lead)
    with inference(model):
        lead_t = torch.as_tensor(lead, device=model.device).repeat_interleave(k, 0)
        cond = model.condition(lead_t, role)
        if start is None:
            z = model.draw(cond, sigma, gen)
        else:
            z = _continue_from(model, cond, torch.as_tensor(start, device=model.device), sigma, gen)
        world = finished_partners(model, model.decode(z, cond), lead_t, role)
    return world.reshape(n, k, *world.shape[1:])


def finished_partners(model: PartnerModel, out: PartnerOutput, lead: torch.Tensor, role: int) -> np.ndarray:
    """Decoded partners `out` for leader windows `lead` `[N, T, J, 3]` (leading as `role`, 0: A) as world
    positions `[N, T, J, 3]`: on the training skeleton's bones, on their own feet (`ground_partners`), the hands
    the model holds holding the leader's (`holds`)."""
    world = model.finish_sample(out.world.cpu().numpy().astype(np.float32))
    lead_np = lead.cpu().numpy()
    world = ground_partners(model, world, lead_np, None if out.contacts is None else out.contacts.cpu().numpy(),
                            1 - role)
    return hold_hands(lead_np, world, model.skeleton, float(model.leg_length),
                      None if out.holds is None else out.holds.cpu().numpy())


def ground_partners(model: PartnerModel, world: np.ndarray, lead: np.ndarray, contact: np.ndarray | None,
                    dancer: int) -> np.ndarray:
    """Partners `[N, T, J, 3]` (dancer `dancer` of the training couple) grounded on that dancer's training floor
    (`PartnerModel.dancer_floor`), travelling over their own planted feet (`contact`, the model's, or where they
    look planted) while staying near where their leader placed them (`grounding.ground` anchored for
    `PARTNER_ANCHOR_S` in their distance from the leader, `PARTNER_ALONG_S` around it), their legs no straighter
    than that dancer's were (`dancer_leg_reach`), never travelling faster than that dancer did
    (`dancer_top_speed`: where the place the model gives leaps round a turning leader, the partner follows it at
    that speed), standing on their leader's floor (`dancer_stance`: as high above the leader's feet as that
    dancer stood in training) and never nearer or farther than the training couples stood (`distance_range`)."""
    floor = model.dancer_floor(dancer)
    if floor is None:
        return world
    around = root_trajectory(lead, model.skeleton)[..., [0, 2]]
    step = model.dancer_top_speed(dancer) / model.fps
    out = ground(limit_travel(world, model.skeleton, step), model.skeleton, model.fps, floor.leg_length,
                 floor.floor, contact, floor, anchor_s=PARTNER_ANCHOR_S, around=around, along_s=PARTNER_ALONG_S,
                 max_extension=model.dancer_leg_reach(dancer))
    out = limit_travel(out, model.skeleton, step)  # holding its feet, it may have lagged and leapt to catch up
    gap = model.dancer_stance(dancer)
    if gap is not None:
        out = stand_with(out, lead, model.skeleton, model.fps, gap)
    return keep_distance(out, lead, model.skeleton, *model.distance_range.tolist())


def keep_distance(partner: np.ndarray, lead: np.ndarray, skeleton: Skeleton, near: float, far: float) -> np.ndarray:
    """Partners `[N, T, J, 3]` moved (whole frames, horizontally) to stand between `near` and `far` from the
    leaders' pelvises, where their own travel took them out of that range."""
    gap = root_trajectory(partner, skeleton)[..., [0, 2]] - root_trajectory(lead, skeleton)[..., [0, 2]]
    dist = np.linalg.norm(gap, axis=-1, keepdims=True)
    move = gap * (np.clip(dist, near, far) / np.maximum(dist, 1e-9) - 1.0)  # [N, T, 2]
    out = partner.copy()
    out[..., 0] += move[..., None, 0]
    out[..., 2] += move[..., None, 1]
    return out


def _continue_from(model: PartnerModel, cond: PartnerCondition, start: torch.Tensor, sigma: float,
                   gen: torch.Generator) -> torch.Tensor:
    """Latents whose first steps encode the given partner frames and whose rest continues from them: the
    sampler's deviation carried on from the given steps' deviation from the best guess."""
    s, frames = start.shape[1], cond.lead.shape[1]
    if s < model.factor or s >= frames:
        raise ShapeError(f"given partner frames must be at least {model.factor} and fewer than the lead's "
                         f"{frames}; got {s}")
    start = start.repeat_interleave(len(cond.direction) // len(start), 0)
    steps = s // model.factor
    given = model.posterior(start[:, :steps * model.factor], cond)
    mu = model.best_guess(cond)
    if sigma <= 0:
        return torch.cat([given, mu[..., steps:]], dim=-1)
    history = (given - mu[..., :steps]) / sigma  # the given steps' deviation, in units of sigma
    return torch.cat([given, model.draw(cond, sigma, gen, history=history, guess=mu)[..., steps:]], dim=-1)


def _blend_start(out: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The given first frames, handing over to the generated partner over `BLEND` frames."""
    s = start.shape[0]
    out[:, :s] = start[None]
    ramp = np.linspace(0, 1, BLEND + 2, dtype=np.float32)[1:-1, None, None]
    end = min(s + BLEND, out.shape[1])
    out[:, s:end] = start[-1][None, None] * (1 - ramp[:end - s]) + out[:, s:end] * ramp[:end - s]
    return out


def default_direction(lead_dancer: int) -> str:
    """The lead's role from its place in its file: dancer 0 is A (a2b), dancer 1 is B (b2a)."""
    return DIRECTIONS[0] if lead_dancer == 0 else DIRECTIONS[1]


def partner(model: PartnerModel, lead: Motion, sigma: float = 1.0, n: int = 1, seed: int | None = None,
            lead_dancer: int = 0, direction: str | None = None, start: Motion | None = None) -> Motion:
    """The lead (one dancer of `lead`) as dancer 0 and `n` partners answering it after it, in one space.

    The lead may be any length and frame rate (it is resampled to the model's) and any skeleton that shares
    the model's joints by name. `direction` defaults to the lead's place in its file (dancer 0 leads as A).
    `start`, a one-dancer motion, gives the partner's own first frames to continue from.
    """
    model = check_duet_model(model)
    direction = direction or default_direction(lead_dancer)
    seed = pick_seed(seed)
    solo, notes = as_lead(model, lead, lead_dancer)
    first = None if start is None else as_lead(model, start, 0)[0].positions[0]
    out = partner_windows(model, solo.positions, direction, sigma, n, seed, None if first is None else first[None])[0]
    if first is not None:
        out = _blend_start(out, first)
    labels = ("lead", "partner") if n == 1 else ("lead", *(f"partner {i + 1}" for i in range(n)))
    note = (f"{n} partner(s) ({direction}, sigma {sigma:g}, seed {seed}) for dancer {lead_dancer} of "
            f"{lead.source or 'a lead'} by model {model.name!r}")
    prov = made_by(model, "partner", direction=direction, sigma=float(sigma), n=n, seed=seed, source=lead.source,
                   lead_dancer=lead_dancer, frames=solo.n_frames, start_frames=None if first is None else len(first))
    return Motion(np.concatenate([solo.positions, out]), model.skeleton, model.fps, lead.source,
                  solo.notes + notes + [note], labels, prov)


def real_partner(lead: Motion, lead_dancer: int, model: PartnerModel) -> Motion | None:
    """The lead's real partner, at the model's rate and on its skeleton, when the lead file is a duet (a ghost)."""
    if lead.n_dancers != 2:
        return None
    other, _ = as_lead(model, lead, 1 - lead_dancer)
    return other.with_positions(other.positions, labels=("real partner",))

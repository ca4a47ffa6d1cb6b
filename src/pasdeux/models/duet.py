"""`duet`: a second dancer who answers a first: a conditional VAE over the partner's motion given the leader's.

The design, from small parts to the whole:
- The leader is read by a temporal-convolution encoder into a *context* sequence (one vector per latent
  step), plus a learned embedding of the direction (A leads and B answers, or B leads and A answers), so
  one model serves both directions of a couple whose roles differ (the salsa lead and follow).
- Everything is seen from the leader (`leader_frame.py`): each frame, the leader's pelvis at the origin
  and the leader facing +z. The leader's pose, its travel and its turning are read in its own frame;
  the partner is its pose (centred on its own pelvis, turned into the leader's frame, so it carries which
  way the partner faces the leader) and where its pelvis stands from the leader's (the offset). A model
  of this needs no rotation augmentation, and an offset has no drift, so a partner for a lead of any
  length never wanders off; it is kept between the nearest and farthest distance of the training data,
  so the partner neither passes through the leader nor leaves.
- The partner's latent is, as in the solo model, a sequence whose linear part is set to whitened PCA of
  the partner features (pose and offset) before training. The "warp" from one dancer to the other is
  first linear: a convolution over time from the leader's features to the partner's latent, set before
  training by ridge regression on the training pairs, so the best guess is sound from the first step;
  a prior network on the leader's context learns what the linear warp misses, and the spread. A
  posterior encoder sees the partner and the context; the decoder turns a partner latent and the
  context back into the partner. Every layer is a convolution with replicate padding, so any length
  encodes and decodes in one pass, seamless.
- Loss: the partner's reconstruction (positions, velocity, acceleration, bone lengths, offset), the
  *best guess* (the prior mean decoded, what sigma 0 gives) against the real partner, and KL between
  posterior and conditional prior with free bits and annealing. (An interaction term on the distances
  between the two bodies' key points was tried: on salsa it moved fid_cd and contact one way in one
  direction and the other way in the other, and it taught the model links the data do not hold, which
  the influence matrix then reported.)
- Sampling (`sampling.PartnerSampler`, the model's `sampler`): a drawn partner is the best guess plus a
  departure from it. After training the sampler keeps the real training partners' own departures (their
  posterior latents less the best guess) in a bank (`deviation_bank.py`), keyed by the best guess and the
  leader's pace, and a new lead's departure is taken, half a second at a time and cross-faded, from where
  the model expected the same partner of a leader moving alike: drawn partners depart as real ones did
  (their feet apart, their steps their own) over a whole take as over a window. A Gaussian AR prior with
  energy profiles (`ar_prior.py`), driven by the leader's pace (`deviations.py`), is fitted too, for
  folders saved before the bank. The smoothing and spread are calibrated so sampled training partners move
  and accelerate like the real ones (`duet_fit.py`). sigma scales the departure: 0 is the best guess, 1 is
  the model's own spread.
- Holds: the decoder also predicts, per frame, which partner hands hold a leader hand (two logits
  trained on the real couple's hand contacts, `contacts.hold_labels`), so holds come and go with the
  leader and the partner's movement, as the real couple's do (salsa takes hold in 0.13 to 0.43 of their
  frames). The head, trained against rare labels, is timid; the sampler shifts each hand's logit so that
  sampled training partners hold as often as the real ones. Generation brings held hands together by arm
  IK (`generate/holds.py`). A fixed proximity rule (a hand near a leader hand takes it) was used before:
  it could not tell a take where the couple holds little from one where it holds much (validation take
  0.23 against a real 0.16, test takes 0.20-0.25 against 0.38). The hold loss weighs 0.5 (0.1 before): on
  the validation take, sampled partners then hold as often as the real couple (0.07-0.08 of frames against
  0.07; 0.09 at 0.1, 0.08-0.10 at 2.0) and over-touch less (0.22-0.23 against a real 0.16; 0.24-0.27 at 0.1).
- Feet: a partner placed from its leader's pelvis is carried by the leader's travel and turning, so its
  planted feet would slide. The decoder also predicts the partner's planted feet (two logits per frame,
  trained on the real partner's contacts, `contacts.contact_labels`), and generation grounds the partner on
  them, its travel over its planted feet anchored to where the leader places it
  (`generate/partners.ground_partners`). A loss on how fast those feet moved in the world where the model
  placed the partner was tried (weight 0.1): a leader's turn sweeps a partner's feet round the leader's
  pelvis, faster the farther they lie from it, so the loss taught the model to draw the partner's feet in
  towards its lead: the best guess's feet lay 11-12 cm from the partner's own pelvis towards the lead, real
  partners' 1-2 cm away from it, and the salsa b2a fid_cd was 30 against 13 without it (same steps, seed and
  data; skating 0.13 / 0.07 against 0.15 / 0.06, real 0.19 / 0.09: grounding holds the feet).
- The leader itself has a prior: the model holds a solo `default` model trained on both dancers, so
  whole duets come from nothing (a sampled leader, then its partner) and duets can be varied; a fresh
  leader's latents are drawn from the prior of the dancer who leads (`lead_latent`), so it moves as that
  dancer does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from pasdeux.errors import ConfigError, ShapeError
from pasdeux.geometry import centre_horizontally, from_frame, on_floor, root_point, to_frame
from pasdeux.grounding import FloorModel
from pasdeux.models import duet_fit, duet_prepare
from pasdeux.models.ar_prior import ARPrior
from pasdeux.models.base import (
    DIRECTIONS,
    PartnerCondition,
    PartnerModel,
    PartnerOutput,
)
from pasdeux.models.contacts import contact_labels, foot_index, hand_index, hold_labels
from pasdeux.models.layers import (
    Down,
    Up,
    bone_length_loss,
    kl_gaussians,
    pad_conv,
    relative_mse,
    reparameterise,
    res_stack,
    run_layers,
)
from pasdeux.models.leader_frame import facing, facing_joints
from pasdeux.models.sampling import PartnerSampler
from pasdeux.models.sequence import SequenceConfig, SequenceVAE

OFFSET = 2  # the partner's pelvis x and z relative to the leader's, per frame, in the leader's frame
LEAD_EXTRA = 3  # the leader's own travel (x, z in its frame) and turning (sine of its turn), per frame
POSE_COMPONENTS = 32  # principal components kept to complete leads that lack some of the model's joints


@dataclass
class DuetConfig:
    """Hyperparameters of the duet model and its loss."""

    window: int = 64
    hidden: int = 64
    latent_channels: int = 32  # the leader's solo model
    partner_channels: int = 32
    stages: int = 1  # each halves the time resolution of the latents and the context
    blocks: int = 2
    kernel: int = 3
    vel_weight: float = 0.5
    acc_weight: float = 0.25
    bone_weight: float = 0.5
    offset_weight: float = 1.0
    guess_weight: float = 1.0
    kl_weight: float = 0.01
    free_bits: float = 0.1
    anneal_steps: int = 500
    solo_weight: float = 1.0
    prior_order: int = 2
    rigid_bones: float = 1.0
    init_logvar: float = -6.0
    warp_kernel: int = 5  # latent steps the linear warp looks at (leader before and after the partner's moment)
    holds: bool = True  # predict which partner hands hold the leader's (two logits per frame)
    hold_weight: float = 0.5  # binary cross-entropy of the hold logits (see Holds above)
    # Partner feet (see Feet above). Off by default so folders saved before the contact head load as they were;
    # the duet recipe turns it on.
    contacts: bool = False  # predict the partner's planted feet (two logits per frame)
    contact_weight: float = 0.1  # binary cross-entropy of the contact logits


@dataclass
class LeadContext(PartnerCondition):
    """What the duet model reads of a leader (its condition, and the `lead=` of its tensor-level contract), per
    latent step; `pace` is the mean joint speed around the leader's pelvis, in data units per second."""

    learned: Tensor  # [B, hidden, steps]: the leader encoder's features, with the direction's embedding
    warp: Tensor  # [B, partner_channels, steps]: the linear warp's guess of the partner's latent

    def first(self, steps: int, frames: int) -> LeadContext:
        """The context of the first `steps` latent steps (`frames` frames of the leader)."""
        lead = None if self.lead is None else self.lead[:, :frames]
        return LeadContext(self.direction, self.pace[..., :steps], lead, self.learned[..., :steps],
                           self.warp[..., :steps])


def _legacy_sampler_keys(module: nn.Module, state: dict, prefix: str, *args) -> None:
    """Folders saved before the sampler was one object keep its buffers at the model's level; folders saved
    before each dancer had a prior of leaders draw leaders from the solo prior of both (each dancer's
    placement: `PartnerModel`)."""
    PartnerSampler.rename_legacy(state, prefix + "sampler.", prefix)
    for name, value in module.lead_priors.state_dict().items():  # not fitted: leaders from the solo prior
        state.setdefault(f"{prefix}lead_priors.{name}", value.clone())


def _down_stack(c: DuetConfig, channels_in: int) -> nn.ModuleList:
    layers: list[nn.Module] = [nn.Conv1d(channels_in, c.hidden, c.kernel)]
    for _ in range(c.stages):
        layers += [res_stack(c.hidden, c.kernel, c.blocks), Down(c.hidden)]
    return nn.ModuleList(layers + [res_stack(c.hidden, c.kernel, c.blocks)])


def _zero_last(layers: nn.ModuleList) -> None:
    nn.init.zeros_(layers[-1].weight)
    nn.init.zeros_(layers[-1].bias)


class DuetVAE(PartnerModel):
    """Conditional VAE of a partner given a leader, with a solo model of leaders."""

    name = "duet"
    config_class = DuetConfig
    has_root = True

    def __init__(self, config: DuetConfig, skeleton, stats, fps: float = 30.0) -> None:
        super().__init__(config, skeleton, stats, fps)
        c, h, zp, p = config, config.hidden, config.partner_channels, self.n_pose
        self.solo = SequenceVAE(SequenceConfig(window=c.window, hidden=h, latent_channels=c.latent_channels,
                                               stages=c.stages, blocks=c.blocks, kernel=c.kernel,
                                               prior_order=c.prior_order, rigid_bones=c.rigid_bones),
                                skeleton, stats, fps)
        self._facing = facing_joints(skeleton)
        self._hands = hand_index(skeleton) if c.holds else None
        self.n_hold = 2 if self._hands is not None else 0
        self._feet = foot_index(skeleton) if c.contacts else None
        self.n_contact = 2 if self._feet is not None else 0
        self.lead_enc = _down_stack(c, p + LEAD_EXTRA)
        self.role = nn.Embedding(len(DIRECTIONS), h)
        self.post_enc = _down_stack(c, p + OFFSET)
        self.post_head = nn.ModuleList([nn.Conv1d(2 * h, h, 1), res_stack(h, c.kernel, c.blocks),
                                        nn.Conv1d(h, 2 * zp, 1)])
        self.prior_head = nn.ModuleList([res_stack(h, c.kernel, c.blocks), nn.Conv1d(h, 2 * zp, 1)])
        dec: list[nn.Module] = [nn.Conv1d(zp + h, h, c.kernel)]
        for _ in range(c.stages):
            dec += [res_stack(h, c.kernel, c.blocks), Up(h, c.kernel)]
        self.dec = nn.ModuleList(dec + [res_stack(h, c.kernel, c.blocks),
                                        nn.Conv1d(h, p + OFFSET + self.n_hold + self.n_contact, c.kernel)])
        # Linear path of the partner's features, set to whitened PCA by `prepare` (as in the solo model), and
        # the linear warp from the leader's features to the partner's latent, set by ridge regression.
        self.lin_in, self.lin_out = nn.Conv1d(p + OFFSET, zp, 1), nn.Conv1d(zp, p + OFFSET, 1)
        self.warp = nn.Conv1d(p + LEAD_EXTRA, zp * len(DIRECTIONS), c.warp_kernel)  # one warp per direction
        # Fitted once and kept: trained by gradient, its many direct weights overfit a few takes within minutes,
        # while the networks that add to it learn the rest.
        self.warp.requires_grad_(False)
        for layers in (self.post_head, self.prior_head, self.dec):
            _zero_last(layers)
        nn.init.constant_(self.post_head[-1].bias[zp:], c.init_logvar)
        nn.init.constant_(self.dec[-1].bias[p + OFFSET:], -1.0)  # no hold or contact until learned where (0.27)
        nn.init.normal_(self.role.weight, std=0.1)
        self.sampler = PartnerSampler(zp, c.prior_order, max(1, c.window // 2 ** c.stages), len(DIRECTIONS))
        # Each dancer's own prior over the leaders' latents (`lead_latent`; fitted by `duet_fit.fit`).
        self.lead_priors = nn.ModuleList(ARPrior(c.latent_channels, c.prior_order, span=self.solo.prior.span)
                                         for _ in DIRECTIONS)
        self.register_load_state_dict_pre_hook(_legacy_sampler_keys)
        # Normalisation of the leader-frame features (set by `prepare`, saved with the weights).
        for name, size in (("canon_mean", p), ("canon_std", p), ("extra_mean", LEAD_EXTRA), ("extra_std", LEAD_EXTRA),
                           ("offset_mean", OFFSET), ("offset_std", OFFSET), ("distance_range", 2)):
            self.register_buffer(name, torch.ones(size))
        self.register_buffer("leg_length", torch.ones(()))  # the training dancers' size (`prepare`)
        # A PCA of the training poses (centred per frame, in the data's units), to complete leads that lack joints.
        self.register_buffer("pose_mean", torch.zeros(p))
        self.register_buffer("pose_basis", torch.zeros(p, min(POSE_COMPONENTS, p)))
        self.register_buffer("bone_index", torch.as_tensor(np.asarray(skeleton.bones, dtype=np.int64).reshape(-1, 2)))

    @property
    def factor(self) -> int:
        return 2 ** self.config.stages

    @property
    def min_frames(self) -> int:
        return self.factor

    def latent_steps(self, frames: int) -> int:
        return -(-frames // self.factor)

    # --- features ----------------------------------------------------------------------------
    def _pad(self, x: Tensor) -> Tensor:
        """`[B, C, T]` extended at the end to a whole number of latent steps."""
        pad = -x.shape[-1] % self.factor
        return F.pad(x, (0, pad), mode="replicate") if pad else x

    def _root_xz(self, world: Tensor) -> Tensor:
        return root_point(world, self._root)[..., [0, 2]]

    def lead_frame(self, lead: Tensor) -> tuple[Tensor, Tensor]:
        """The leader's pelvis (x, z) `[B, T, 2]` and smoothed facing `[B, T, 2]` of leader windows `[B, T, J, 3]`."""
        return self._root_xz(lead), facing(lead, self._facing, self.fps)

    def own_centred(self, world: Tensor) -> Tensor:
        """Bodies `[B, T, J, 3]` centred on their own pelvis (x, z)."""
        return centre_horizontally(world, self._root_xz(world))

    def _canonical(self, world: Tensor, root_xz: Tensor, fwd: Tensor) -> Tensor:
        """Poses centred on their own pelvis and turned into the frame `fwd`, normalised: `[B, T, J*3]`."""
        return (to_frame(self.own_centred(world), fwd[..., None, :]).flatten(-2) - self.canon_mean) / self.canon_std

    def lead_features(self, lead: Tensor) -> Tensor:
        """Normalised leader features `[B, T, J*3 + 3]`: its pose, travel and turning, in its own frame."""
        root, fwd = self.lead_frame(lead)
        step = root.diff(dim=1)
        step = torch.cat([step[:, :1], step], dim=1)
        turn = fwd[:, :-1, 0] * fwd[:, 1:, 1] - fwd[:, :-1, 1] * fwd[:, 1:, 0]
        turn = torch.cat([turn[:, :1], turn], dim=1)[..., None]
        extra = (torch.cat([to_frame(step, fwd), turn], dim=-1) - self.extra_mean) / self.extra_std
        return torch.cat([self._canonical(lead, root, fwd), extra], dim=-1)

    def partner_features(self, partner: Tensor, lead: Tensor) -> Tensor:
        """Normalised partner features `[B, T, J*3 + 2]` of uncentred windows, in the leader's frame: the
        partner's pose (centred on its own pelvis), then where its pelvis stands from the leader's."""
        root, fwd = self.lead_frame(lead)
        offset = (to_frame(self._root_xz(partner) - root, fwd) - self.offset_mean) / self.offset_std
        return torch.cat([self._canonical(partner, root, fwd), offset], dim=-1)

    def partner_in_frame(self, out: Tensor) -> tuple[Tensor, Tensor]:
        """Decoder output as the partner's pose `[B, T, J, 3]` and pelvis offset `[B, T, 2]` in the leader's
        frame, the offset kept within the training data's range of distances."""
        p = self.n_pose
        pose = (out[..., :p] * self.canon_std + self.canon_mean).unflatten(-1, (self.skeleton.n_joints, 3))
        offset = out[..., p:p + OFFSET] * self.offset_std + self.offset_mean
        dist = offset.norm(dim=-1, keepdim=True).clamp_min(1e-6)
        return pose, offset * dist.clamp(self.distance_range[0], self.distance_range[1]) / dist

    def partner_world(self, out: Tensor, lead: Tensor) -> Tensor:
        """Decoder output as the partner's world positions `[B, T, J, 3]` beside the leader windows `lead`."""
        root, fwd = self.lead_frame(lead)
        pose, offset = self.partner_in_frame(out)
        xz = root + from_frame(offset, fwd)
        return from_frame(pose, fwd[..., None, :]) + on_floor(xz)[..., None, :]

    def condition(self, lead: Tensor, direction: int | Tensor) -> LeadContext:
        """The context of uncentred leader windows `[B, T, J, 3]`: the condition that `encode`, `decode_latent`
        and `prior_latent` take as `lead=`."""
        return self.context(self.lead_features(lead), direction, lead)

    def context(self, lead_feats: Tensor, direction: int | Tensor, lead: Tensor | None = None) -> LeadContext:
        """The context of normalised leader features `[B, T, J*3 + 3]` (`lead_features`) of the leader windows
        `lead` (None: features alone, for analysis)."""
        role = torch.as_tensor(direction, device=lead_feats.device).long().expand(lead_feats.shape[0])
        x = self._pad(lead_feats.transpose(1, 2))
        learned = run_layers(self.lead_enc, x) + self.role(role)[..., None]
        warps = pad_conv(F.avg_pool1d(x, self.factor), self.warp).unflatten(1, (len(DIRECTIONS), -1))
        return LeadContext(role, self._pace(lead_feats), lead, learned,
                           warps[torch.arange(len(role), device=role.device), role])

    def _pace(self, lead_feats: Tensor) -> Tensor:
        """The leader's own speed per latent step `[B, steps]`, from its pose in its own frame."""
        pose = (lead_feats[..., :self.n_pose] * self.canon_std + self.canon_mean).unflatten(-1, (-1, 3))
        speed = pose.diff(dim=1).norm(dim=-1).mean(-1) * self.fps
        speed = torch.cat([speed[:, :1], speed], dim=1)
        return F.avg_pool1d(self._pad(speed[:, None]), self.factor)[:, 0]

    # --- the contract ------------------------------------------------------------------------
    def _need_lead(self, lead: LeadContext | None) -> LeadContext:
        if not isinstance(lead, LeadContext):
            raise ConfigError("the duet model generates a partner for a leader: give lead= (model.condition(...))")
        return lead

    def encode(self, partner_feats: Tensor, lead: LeadContext | None = None) -> tuple[Tensor, Tensor]:
        ctx = self._need_lead(lead)
        x = self._pad(partner_feats.transpose(1, 2))
        h = torch.cat([run_layers(self.post_enc, x), ctx.learned], dim=1)
        mu, logvar = run_layers(self.post_head, h).chunk(2, dim=1)
        mu = mu + F.avg_pool1d(self.lin_in(x), self.factor)
        return mu, logvar.clamp(-12, 6)

    def prior_params(self, lead: LeadContext) -> tuple[Tensor, Tensor]:
        """Mean and log-variance of the partner latent given the leader's context: the linear warp's guess
        plus what the prior network adds."""
        mu, logvar = run_layers(self.prior_head, lead.learned).chunk(2, dim=1)
        return mu + lead.warp, logvar.clamp(-8, 4)

    def decode_latent(self, z: Tensor, frames: int, lead: LeadContext | None = None) -> Tensor:
        ctx = self._need_lead(lead)
        out = run_layers(self.dec, torch.cat([z, ctx.learned], dim=1))
        linear = self.lin_out(F.interpolate(z, scale_factor=self.factor, mode="linear", align_corners=False))
        out = torch.cat([out[:, :self.n_pose + OFFSET] + linear, out[:, self.n_pose + OFFSET:]], dim=1)
        return out[..., :frames].transpose(1, 2)

    def hold_logits(self, out: Tensor) -> Tensor:
        """The hold head's logits `[B, T, 2]` (left, right partner hand) in decoder output."""
        start = self.n_pose + OFFSET
        return out[..., start:start + self.n_hold]

    def contact_logits(self, out: Tensor) -> Tensor:
        """The contact head's logits `[B, T, 2]` (left, right partner foot) in decoder output."""
        start = self.n_pose + OFFSET + self.n_hold
        return out[..., start:start + self.n_contact]

    def contact_output(self, out: Tensor) -> Tensor | None:
        """Planted-foot probabilities `[B, T, 2]` (left, right) of the partner in decoder output, or None."""
        return torch.sigmoid(self.contact_logits(out)) if self.n_contact else None

    def real_holds(self, lead: Tensor, partner: Tensor) -> Tensor:
        """Which partner hands hold a leader hand in real pair windows `[B, T, 2]` (the hold head's labels)."""
        return hold_labels(lead, partner, self._hands, float(self.leg_length))

    def hold_output(self, out: Tensor, direction: Tensor | int) -> Tensor | None:
        """Whether each partner hand (left, right) holds a leader hand `[B, T, 2]` (above 0.5: it holds), from
        decoder output: the hold head's probability, shifted so that sampled training partners hold as often
        as the real ones (the sampler's hold shift)."""
        if not self.n_hold:
            return None
        d = torch.as_tensor(direction, device=out.device).long().expand(len(out))
        return self.sampler.hold_probability(self.hold_logits(out), d)

    def prior_latent(self, n: int, frames: int, gen: torch.Generator, lead: LeadContext | None = None) -> Tensor:
        """One partner latent per leader context in `lead` (`n` must match its batch): the best guess plus a
        deviation that moves over time like real partners' deviations from it (the sampler's)."""
        ctx = self._need_lead(lead)
        if n != len(ctx.direction):
            raise ShapeError(f"prior_latent draws one partner per leader context: n={n}, contexts={len(ctx.direction)}")
        return self.draw(ctx, 1.0, gen)

    def prior_mean(self, lead: LeadContext) -> Tensor:
        """The partner latent the model expects for this leader (sigma 0: its best guess)."""
        return self.prior_params(lead)[0]

    # --- the partner contract ----------------------------------------------------------------
    def best_guess(self, cond: LeadContext) -> Tensor:
        return self.prior_mean(cond)

    def posterior(self, partner: Tensor, cond: LeadContext) -> Tensor:
        frames = partner.shape[1]
        part = cond.first(self.latent_steps(frames), frames)
        return self.encode(self.partner_features(partner, part.lead), lead=part)[0]

    def decode(self, z: Tensor, cond: LeadContext) -> PartnerOutput:
        out = self.decode_latent(z, cond.lead.shape[1], lead=cond)
        return PartnerOutput(self.partner_world(out, cond.lead), self.hold_output(out, cond.direction),
                             self.contact_output(out))

    def answer(self, lead_feats: Tensor, direction: int) -> tuple[Tensor, Tensor]:
        ctx = self.context(lead_feats, direction)
        pose, offset = self.partner_in_frame(self.decode_latent(self.prior_mean(ctx), lead_feats.shape[1], lead=ctx))
        return pose, on_floor(offset)

    def lead_pose_spread(self) -> Tensor:
        return self.canon_std

    def finish_sample(self, pose: np.ndarray) -> np.ndarray:
        """Generated partners `[N, T, J, 3]` on the training skeleton's mean bone lengths, extremities steadied
        (as the solo model finishes its own), the pelvis as decoded. Given the real pelvis's shape as leaders are,
        the salsa partners' hips stopped squeezing (under 0.09 m apart in a tenth of frames, real 0.137), but their
        legs, moved with the hips, came 8 mm lower, and grounding's pull on the floor under a phrase lifted the
        b2a partners to 2x the real floating; keeping their feet by bending the knees instead raised fid_k a2b by
        23 % (185 -> 228)."""
        return self.solo.finish_sample(pose, rigid_girdles=False)

    # --- data-dependent start and the fitted priors ------------------------------------------
    def prepare(self, world_windows: np.ndarray) -> None:
        """The data-dependent start from pair windows `[N, 2, T, J, 3]` (uncentred): `duet_prepare.prepare`."""
        duet_prepare.prepare(self, world_windows)

    def measure_floor(self, world_windows: np.ndarray) -> FloorModel | None:
        """The couple's floor and each dancer's placement (`PartnerModel.measure_floor`); the leaders' solo model
        keeps the couple's floor, as a solo model does (a fresh duet's leader stands on its own dancer's floor:
        `generate.duet_prior`)."""
        self.solo.measure_floor(world_windows)
        return super().measure_floor(world_windows)

    def lead_latent(self, n: int, frames: int, gen: torch.Generator, role: int) -> Tensor:
        """Prior latents `[n, Z, steps]` of `n` leaders moving as dancer `role` does (the solo model's prior, of
        both dancers, for folders saved before). Drawn from both, a salsa leader turned like neither dancer
        (facing speed median 2.2 rad/s, 95th percentile 10.3, against the real leader's 1.6 and 6.7) and swung
        the partner placed in its frame round with it (skating 0.25 against the real follower's 0.17)."""
        return self.lead_prior(role).sample(n, self.solo.latent_steps(frames), gen)

    def lead_prior(self, role: int) -> ARPrior:
        """Dancer `role`'s own prior of leaders (the solo model's, of both dancers, for folders saved before)."""
        own = self.lead_priors[role]
        return own if bool(own.fitted) else self.solo.prior

    def pose_model(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean `[J*3]` and principal directions scaled by their spread `[J*3, K]` of the training poses."""
        return self.pose_mean.cpu().numpy().astype(np.float64), self.pose_basis.cpu().numpy().astype(np.float64)

    def fit_prior(self, sequences: list[np.ndarray]) -> None:
        """Fit the leader's solo prior, the partners' deviation prior and its calibration to whole training duets
        `[2, T, J, 3]` (`duet_fit`)."""
        duet_fit.fit(self, sequences)

    # --- training ----------------------------------------------------------------------------
    def loss(self, world: Tensor, step: int) -> dict[str, Tensor]:
        """Losses for uncentred pair windows `[B, 2, T, J, 3]`, each window in both directions."""
        c, p = self.config, self.n_pose
        a, b = world[:, 0], world[:, 1]
        solo = self.solo.loss(torch.cat([a, b]), step)
        lead, partner = torch.cat([a, b]), torch.cat([b, a])
        role = torch.cat([torch.zeros(len(a)), torch.ones(len(a))]).long().to(world.device)
        ctx = self.condition(lead, role)
        x = self.partner_features(partner, lead)
        mu_q, logvar_q = self.encode(x, lead=ctx)
        mu_p, logvar_p = self.prior_params(ctx)
        out = self.decode_latent(reparameterise(mu_q, logvar_q), x.shape[1], lead=ctx)
        guess = self.decode_latent(mu_p, x.shape[1], lead=ctx)
        pos = (out[..., :p] - x[..., :p]).pow(2).mean()
        offset = (out[..., p:p + OFFSET] - x[..., p:]).pow(2).mean()
        vel = relative_mse(out[..., :p].diff(dim=1), x[..., :p].diff(dim=1))
        acc = relative_mse(out[..., :p].diff(n=2, dim=1), x[..., :p].diff(n=2, dim=1))
        bone = bone_length_loss(self.partner_in_frame(out)[0], partner, self.bone_index)
        best = (guess[..., :p] - x[..., :p]).pow(2).mean() \
            + c.offset_weight * (guess[..., p:p + OFFSET] - x[..., p:]).pow(2).mean()
        kl = kl_gaussians(mu_q, logvar_q, mu_p, logvar_p).mean((0, 2))
        kl_pen = F.relu(kl - c.free_bits).sum() * mu_q.shape[-1] / (x.shape[1] * x.shape[2])
        anneal = min(1.0, step / max(1, c.anneal_steps))
        partner_loss = (pos + c.offset_weight * offset + c.vel_weight * vel + c.acc_weight * acc
                        + c.bone_weight * bone + c.guess_weight * best + anneal * c.kl_weight * kl_pen)
        losses = {"solo": solo["loss"], "mse": pos, "offset": offset, "vel": vel, "acc": acc, "bone": bone,
                  "guess": best, "kl": kl.sum()}
        if self.n_hold:  # both what the partner's latent says and the best guess learn where the hands hold
            labels = self.real_holds(lead, partner)
            losses["hold"] = sum(F.binary_cross_entropy_with_logits(self.hold_logits(o), labels) for o in (out, guess))
            partner_loss = partner_loss + c.hold_weight * losses["hold"]
        floor = self.floor_model
        if self.n_contact and floor is not None:  # the partner's latent and the best guess both say which feet plant
            labels = contact_labels(partner, self._feet, self.fps, floor.leg_length)
            losses["contact"] = sum(F.binary_cross_entropy_with_logits(self.contact_logits(o), labels)
                                    for o in (out, guess))
            partner_loss = partner_loss + c.contact_weight * losses["contact"]
        return {"loss": c.solo_weight * solo["loss"] + partner_loss, **losses}

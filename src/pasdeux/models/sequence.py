"""`default`: a temporal-convolution VAE with a latent *sequence* and an autoregressive latent prior.

Why this design (measured, see the models report):
- One latent vector repeated over time (the `seed` design) must squeeze a whole phrase into one code
  and then freezes. Here the encoder downsamples time by `2**stages` (2x in the shipped recipe; 4x
  loses the quick accents, reconstructions get too smooth) and keeps `latent_channels` numbers per
  latent step, a slow-moving sequence the decoder turns back into motion.
- A linear path (per-frame projection, average pooling, linear upsampling, projection back) is set
  to whitened PCA of the training poses before training; alone it reconstructs this data at about
  5e-4. The convolution stacks start at zero and learn what PCA misses, so a few CPU minutes give a
  model far better than the seed instead of one still learning what a body looks like.
- Every layer is a convolution with replicate padding, so any length is encoded or decoded in one
  pass and long phrases have no seams.
- The loss matches positions, velocities and accelerations (neither frozen nor jittery), bone
  lengths and the root's velocity, with a KL term using free bits and linear annealing.
- The decoder also predicts which feet are planted (two contact logits per frame, trained on labels
  found in the real windows, `contacts.py`), and a contact-aware loss keeps the feet it labels planted
  still in the world (their move relative to the root plus the predicted root velocity). Generation
  grounds its phrases with these contacts (`pasdeux.grounding`), so the feet it plants stay put.
- After training a Gaussian AR(p) prior with real energy profiles (`ar_prior.py`) is fitted to the
  posterior means of the training sequences, so sampled latents move like real ones; prior samples
  are finally put back on the training skeleton's mean bone lengths (`bones.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from pasdeux.models.ar_prior import ARPrior
from pasdeux.models.base import ROOT_CHANNELS, MotionModel
from pasdeux.models.bones import (
    fit_bone_lengths,
    fit_girdles,
    girdle_shapes,
    girdles,
    mean_bone_lengths,
    relax_bone_lengths,
    steady_extremities,
)
from pasdeux.models.contacts import contact_labels, foot_index, planted_slide
from pasdeux.models.layers import (
    Down,
    Up,
    bone_length_loss,
    kl_normal,
    relative_mse,
    reparameterise,
    res_stack,
    run_layers,
    whitened_pca,
)


def _legacy_girdles(module: nn.Module, state: dict, prefix: str, *args) -> None:
    """Folders saved before the girdles were kept rigid generate as they did (no girdle known)."""
    state.setdefault(prefix + "girdle_part", torch.full_like(module.girdle_part, -1))
    state.setdefault(prefix + "girdle_shape", torch.zeros_like(module.girdle_shape))


@dataclass
class SequenceConfig:
    """Hyperparameters of the temporal-convolution VAE and its loss."""

    window: int = 64
    hidden: int = 64
    latent_channels: int = 32
    stages: int = 1  # each halves the time resolution of the latent
    blocks: int = 2  # residual blocks per stage (dilations 1, 2, 4, ...)
    kernel: int = 3
    vel_weight: float = 0.5
    acc_weight: float = 0.25
    bone_weight: float = 0.5
    root_weight: float = 0.5
    kl_weight: float = 0.01
    free_bits: float = 0.1  # nats per latent channel per step below which KL is not penalised
    anneal_steps: int = 500
    prior_order: int = 2
    rigid_bones: float = 1.0  # prior samples: pull bones to their mean training length (0 off, 1 fully)
    contacts: bool = True  # predict planted feet (two logits per frame) for grounding
    contact_weight: float = 0.1  # binary cross-entropy of the contact logits
    foot_weight: float = 0.1  # squared world speed (leg lengths / s) of the feet labelled planted
    init_logvar: float = -6.0  # posterior log-variance at the start: begin as a near-deterministic autoencoder


class SequenceVAE(MotionModel):
    """Temporal-convolution VAE with a latent sequence and a fitted AR latent prior."""

    name = "default"
    config_class = SequenceConfig
    has_root = True

    def __init__(self, config: SequenceConfig, skeleton, stats, fps: float = 30.0) -> None:
        super().__init__(config, skeleton, stats, fps)
        c, h = config, config.hidden
        enc: list[nn.Module] = [nn.Conv1d(self.n_pose, h, c.kernel)]
        dec: list[nn.Module] = [nn.Conv1d(c.latent_channels, h, c.kernel)]
        for _ in range(c.stages):
            enc += [res_stack(h, c.kernel, c.blocks), Down(h)]
            dec += [res_stack(h, c.kernel, c.blocks), Up(h, c.kernel)]
        self._feet = foot_index(skeleton) if c.contacts else None
        self.n_contact = 2 if self._feet is not None else 0
        enc += [res_stack(h, c.kernel, c.blocks), nn.Conv1d(h, 2 * c.latent_channels, 1)]
        dec += [res_stack(h, c.kernel, c.blocks),
                nn.Conv1d(h, self.n_pose + ROOT_CHANNELS + self.n_contact, c.kernel)]
        self.enc, self.dec = nn.ModuleList(enc), nn.ModuleList(dec)
        # The linear path: per-frame projection to `latent_channels` numbers, pooled over `factor` frames,
        # and back through linear upsampling. `prepare` sets it to whitened PCA, which alone reconstructs
        # this kind of data well; the convolution stacks start at zero and learn what PCA misses.
        self.lin_in = nn.Conv1d(self.n_pose, c.latent_channels, 1)
        self.lin_out = nn.Conv1d(c.latent_channels, self.n_pose, 1)
        for last in (self.enc[-1], self.dec[-1]):
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)
        nn.init.constant_(self.enc[-1].bias[c.latent_channels:], c.init_logvar)
        if self.n_contact:  # no foot planted until the contact head has learned where (probability 0.12)
            nn.init.constant_(self.dec[-1].bias[self.n_pose + ROOT_CHANNELS:], -2.0)
        self.prior = ARPrior(c.latent_channels, c.prior_order, span=max(1, c.window // 2 ** c.stages))
        self.register_buffer("bone_target", torch.zeros(len(skeleton.bones)))
        # The training bodies' rigid girdles (`bones.girdles`: -1 none) and their mean shapes (`prepare`).
        self.register_buffer("girdle_part", torch.full((skeleton.n_joints,), -1, dtype=torch.long))
        self.register_buffer("girdle_shape", torch.zeros(skeleton.n_joints, 3))
        self.register_load_state_dict_pre_hook(_legacy_girdles)
        self.register_buffer("bone_index", torch.as_tensor(np.asarray(skeleton.bones, dtype=np.int64).reshape(-1, 2)))

    @property
    def factor(self) -> int:
        return 2 ** self.config.stages

    @property
    def min_frames(self) -> int:
        return self.factor

    def encode(self, pose_feats: Tensor, lead: Tensor | None = None) -> tuple[Tensor, Tensor]:
        self.solo_only(lead)
        x = pose_feats.transpose(1, 2)
        pad = -x.shape[-1] % self.factor  # lengths that are not a multiple of the factor: extend the end
        if pad:
            x = F.pad(x, (0, pad), mode="replicate")
        mu, logvar = run_layers(self.enc, x).chunk(2, dim=1)
        mu = mu + F.avg_pool1d(self.lin_in(x), self.factor)
        return mu, logvar.clamp(-12, 6)  # [B, Z, T / factor]

    def decode_latent(self, z: Tensor, frames: int, lead: Tensor | None = None) -> Tensor:
        self.solo_only(lead)
        out = run_layers(self.dec, z)
        linear = self.lin_out(F.interpolate(z, scale_factor=self.factor, mode="linear", align_corners=False))
        out = torch.cat([out[:, :self.n_pose] + linear, out[:, self.n_pose:]], dim=1)
        return out[..., :frames].transpose(1, 2)

    @torch.no_grad()
    def prepare(self, world_windows: np.ndarray) -> None:
        """Set the linear path to whitened PCA of the training poses (normalised features)."""
        x = self.features(torch.as_tensor(np.asarray(world_windows, np.float32)))[..., :self.n_pose]
        w_in, b_in, w_out, b_out = whitened_pca(x.reshape(-1, self.n_pose), self.config.latent_channels)
        self.lin_in.weight.copy_(w_in[..., None])
        self.lin_in.bias.copy_(b_in)
        self.lin_out.weight.copy_(w_out[..., None])
        self.lin_out.bias.copy_(b_out)
        world = np.asarray(world_windows, np.float32)  # bone lengths do not depend on centring
        self.bone_target.copy_(torch.as_tensor(mean_bone_lengths(world, self.skeleton)))
        parts = girdles(world, self.skeleton)
        self.girdle_part.copy_(torch.as_tensor(parts))
        self.girdle_shape.copy_(torch.as_tensor(girdle_shapes(world, self.skeleton, parts), dtype=torch.float32))

    def contact_output(self, out: Tensor) -> Tensor | None:
        if not self.n_contact:
            return None
        start = self.n_pose + ROOT_CHANNELS
        return torch.sigmoid(out[..., start:start + self.n_contact])

    def finish_sample(self, pose: np.ndarray, rigid_girdles: bool = True) -> np.ndarray:
        """Generated bodies `[N, T, J, 3]` on the training skeleton's mean bone lengths, extremities steadied.

        Bone errors are first shared between both ends of each bone (`relax_bone_lengths`) and the tiny
        extremity bones pointed where they pointed on average; walking the tree straight away carried each
        error down the limbs, and on the 57-joint salsa skeleton that made prior samples shake (jitter 1.07
        before, 1.59 after). Last, the girdles that are rigid in the training data (`bones.GIRDLES`: the pelvis) get
        their real shapes again (`bones.fit_girdles`): sampled salsa bodies squeezed their hips from 0.137 m apart to
        under 0.05 m in a tenth of their frames. `rigid_girdles=False` leaves them as decoded (a duet model's
        partners: `DuetVAE.finish_sample`)."""
        if not bool((self.bone_target > 0).all()):
            return pose  # not prepared on data: no target lengths known
        target = self.bone_target.cpu().numpy()
        if self.config.rigid_bones >= 1:
            pose = relax_bone_lengths(steady_extremities(pose, self.skeleton, target), self.skeleton, target)
        pose = fit_bone_lengths(pose, self.skeleton, target, self.config.rigid_bones)
        if rigid_girdles and self.config.rigid_bones >= 1:
            pose = fit_girdles(pose, self.skeleton, self.girdle_part.cpu().numpy(), self.girdle_shape.cpu().numpy())
        return pose

    def latent_steps(self, frames: int) -> int:
        return -(-frames // self.factor)

    # --- the latent prior -------------------------------------------------------------------
    def prior_latent(self, n: int, frames: int, gen: torch.Generator, lead: Tensor | None = None) -> Tensor:
        self.solo_only(lead)
        return self.prior.sample(n, self.latent_steps(frames), gen)

    def latent_scale(self) -> Tensor:
        return self.prior.marginal_std[None, :, None]

    def variation_noise(self, mu: Tensor, gen: torch.Generator) -> Tensor:
        # Noise correlated over time like real latents, so variations do not shake.
        return self.prior.smooth_noise(mu.shape[0], mu.shape[-1], gen)

    @torch.no_grad()
    def posterior_means(self, sequences: list[np.ndarray]) -> list[Tensor]:
        """The latent sequence `[L, Z]` of each whole (uncentred) sequence `[T, J, 3]`, as its posterior mean."""
        mus = []
        for seq in sequences:
            world = torch.as_tensor(np.asarray(seq, np.float32), device=self.device)[None]
            mus.append(self.encode(self.features(world)[..., :self.n_pose])[0][0].T)
        return mus

    def fit_prior(self, sequences: list[np.ndarray]) -> None:
        """Fit the AR prior to the posterior means of whole (uncentred) training sequences `[T, J, 3]`."""
        self.prior.fit(self.posterior_means(sequences))

    # --- training ---------------------------------------------------------------------------
    def loss(self, world: Tensor, step: int) -> dict[str, Tensor]:
        c, p = self.config, self.n_pose
        x = self.features(world)
        mu, logvar = self.encode(x[..., :p])
        out = self.decode_latent(reparameterise(mu, logvar), x.shape[1])
        pos = (out[..., :p] - x[..., :p]).pow(2).mean()
        root = (out[..., p:p + ROOT_CHANNELS] - x[..., p:]).pow(2).mean()
        vel = relative_mse(out[..., :p].diff(dim=1), x[..., :p].diff(dim=1))
        acc = relative_mse(out[..., :p].diff(n=2, dim=1), x[..., :p].diff(n=2, dim=1))
        bone = self._bone_loss(out, world)
        kl = kl_normal(mu, logvar).mean((0, 2))  # per latent channel, nats per step
        kl_pen = F.relu(kl - c.free_bits).sum() * mu.shape[-1] / (x.shape[1] * x.shape[2])
        anneal = min(1.0, step / max(1, c.anneal_steps))
        total = (pos + c.root_weight * root + c.vel_weight * vel + c.acc_weight * acc + c.bone_weight * bone
                 + anneal * c.kl_weight * kl_pen)
        losses = {"mse": pos, "vel": vel, "acc": acc, "bone": bone, "root": root, "kl": kl.sum()}
        feet = self._feet_losses(out, world)
        if feet:
            total = total + c.contact_weight * feet["contact"] + c.foot_weight * feet["slide"]
            losses.update(feet)
        return {"loss": total, **losses}

    def _feet_losses(self, out: Tensor, world: Tensor) -> dict[str, Tensor]:
        """Contact logits against the real window's planted feet, and how fast those feet slide in the output."""
        floor = self.floor_model
        if not self.n_contact or floor is None:
            return {}
        labels = contact_labels(world, self._feet, self.fps, floor.leg_length)
        start = self.n_pose + ROOT_CHANNELS
        contact = F.binary_cross_entropy_with_logits(out[..., start:start + self.n_contact], labels)
        centred, root_vel = self.split_output(out)
        return {"contact": contact, "slide": planted_slide(centred, root_vel, labels, self._feet, self.fps,
                                                           floor.leg_length)}

    def _bone_loss(self, out: Tensor, world: Tensor) -> Tensor:
        # per-frame centring moves whole frames, so the input's bone lengths need no centring
        return bone_length_loss(self.split_output(out)[0], world, self.bone_index)

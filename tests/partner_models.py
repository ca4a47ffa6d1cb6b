"""A second, tiny partner model, written only against the `PartnerModel` contract: what any new duet model (a
diffusion or flow model, a music-aware one) has to provide for generation, analysis and the benchmark to work.

`FacingPartner` answers its leader by facing it: the partner's pose is the leader's own pose turned to face it,
standing `distance` in front of the leader; its latent is where the partner stands from there (x, z in the
leader's frame, per latent step), so the sampler moves it about its place. It learns nothing; it only has to
keep the contract.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from pasdeux.models.base import PartnerCondition, PartnerModel, PartnerOutput
from pasdeux.models.leader_frame import facing, facing_joints, from_frame, to_frame
from pasdeux.models.sampling import PartnerSampler
from pasdeux.models.sequence import SequenceConfig, SequenceVAE

TURN = torch.tensor([-1.0, 1.0, -1.0])  # half a turn about the vertical, in the leader's frame


@dataclass
class FacingConfig:
    window: int = 32
    distance: float = 1.0  # metres in front of the leader


@dataclass
class FacingCondition(PartnerCondition):
    root: Tensor  # [B, T, 2]: the leader's pelvis (x, z)
    fwd: Tensor  # [B, T, 2]: the leader's heading


class FacingPartner(PartnerModel):
    name = "facing-partner"
    config_class = FacingConfig
    has_root = True

    def __init__(self, config: FacingConfig, skeleton, stats, fps: float = 30.0) -> None:
        super().__init__(config, skeleton, stats, fps)
        self.solo = SequenceVAE(SequenceConfig(window=config.window, hidden=8, latent_channels=4, blocks=1),
                                skeleton, stats, fps)
        self.sampler = PartnerSampler(2, 1, config.window // 2, len(self.directions))
        self._facing = facing_joints(skeleton)
        self.register_buffer("distance_range", torch.tensor([0.3, 3.0]))
        self.register_buffer("leg_length", torch.tensor(0.9))

    @property
    def factor(self) -> int:
        return 2

    def _place(self) -> Tensor:
        return torch.tensor([0.0, float(self.config.distance)])

    def _own(self, world: Tensor) -> Tensor:
        root = world[..., self._root[0], :]
        return world - torch.stack([root[..., 0], torch.zeros_like(root[..., 0]), root[..., 2]], -1)[..., None, :]

    def _per_step(self, x: Tensor) -> Tensor:
        """`[B, T, C]` averaged over each latent step: `[B, C, steps]`."""
        pad = -x.shape[1] % self.factor
        x = F.pad(x.transpose(1, 2), (0, pad), mode="replicate") if pad else x.transpose(1, 2)
        return F.avg_pool1d(x, self.factor)

    def condition(self, lead: Tensor, direction) -> FacingCondition:
        role = torch.as_tensor(direction).long().expand(len(lead))
        speed = self._own(lead).diff(dim=1).norm(dim=-1).mean(-1, keepdim=True) * self.fps
        pace = self._per_step(torch.cat([speed[:, :1], speed], dim=1))[:, 0]
        return FacingCondition(role, pace, lead, lead[..., self._root[0], :][..., [0, 2]],
                               facing(lead, self._facing, self.fps))

    def posterior(self, partner: Tensor, cond: FacingCondition) -> Tensor:
        frames = partner.shape[1]
        root = partner[..., self._root[0], :][..., [0, 2]]
        offset = to_frame(root - cond.root[:, :frames], cond.fwd[:, :frames]) - self._place()
        return self._per_step(offset)

    def best_guess(self, cond: FacingCondition) -> Tensor:
        return torch.zeros(len(cond.direction), 2, cond.pace.shape[-1])

    def decode(self, z: Tensor, cond: FacingCondition) -> PartnerOutput:
        frames = cond.lead.shape[1]
        offset = F.interpolate(z, scale_factor=self.factor, mode="linear")[..., :frames].transpose(1, 2)
        pose = to_frame(self._own(cond.lead), cond.fwd[..., None, :]) * TURN
        xz = cond.root + from_frame(offset + self._place(), cond.fwd)
        place = torch.stack([xz[..., 0], torch.zeros_like(xz[..., 0]), xz[..., 1]], -1)[..., None, :]
        return PartnerOutput(from_frame(pose, cond.fwd[..., None, :]) + place, None, None)

    def lead_features(self, lead: Tensor) -> Tensor:
        return to_frame(self._own(lead), facing(lead, self._facing, self.fps)[..., None, :]).flatten(-2)

    def answer(self, lead_feats: Tensor, direction: int) -> tuple[Tensor, Tensor]:
        pose = lead_feats.unflatten(-1, (-1, 3)) * TURN
        offset = torch.cat([self._place()[:1], torch.zeros(1), self._place()[1:]]).expand(*pose.shape[:2], 3)
        return pose, offset

    def lead_pose_spread(self) -> Tensor:
        return torch.ones(self.n_pose)

    def pose_model(self) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(self.n_pose), np.zeros((self.n_pose, 4))

"""The duet protocol's baselines: what a model must beat, each answering the same test leaders.

- `copy_leader`: the leader's own movement, at the training data's mean partner offset.
- `mean_partner`: the training data's mean partner in the leader's frame (its mean pose, offset and facing
  relative to the leader), the same for every leader: what a model that learned nothing from the lead gives.
- `retrieval`: the training partner whose leader window is nearest.
- `shuffled`: the real partner of another test window.
- `solo`: the default solo model's samples, not seeing the leader, at the mean offset.

Deterministic baselines answer each leader with the same partner, so their multimodality is 0. Those that
extend to a lead of any length (`copy_leader`, `mean_partner`, `solo`) also answer each whole test take;
retrieval and shuffled are made of 64-frame windows and have no whole-take partner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from pasdeux.bench.duet_data import FPS, TEST_STRIDE, DuetData
from pasdeux.body import root_trajectory
from pasdeux.data import center, leader_centred, shuffled_partners
from pasdeux.models.leader_frame import facing, facing_joints, from_frame, to_frame
from pasdeux.motion import Skeleton

K_PARTNERS = 4  # sampled partners per leader window for multimodality


@dataclass
class Answers:
    """Partners for the test leader windows of one direction, all uncentred world positions."""

    guess: np.ndarray  # [N, T, J, 3] the best guess (sigma 0), or the baseline's one answer
    drawn: np.ndarray  # [N, K, T, J, 3] sampled partners (sigma 1); drawn[:, 0] is scored as "the" partner
    long_form: list[np.ndarray]  # a partner [T, J, 3] for each whole test take, or none


def _heading(world: np.ndarray, skeleton: Skeleton) -> torch.Tensor:
    """Smoothed facing `[N, T, 2]` of world positions `[N, T, J, 3]` (the duet model's leader frame)."""
    return facing(torch.as_tensor(world, dtype=torch.float32), facing_joints(skeleton), FPS)


def mean_offset(data: DuetData, role: int) -> np.ndarray:
    """The partner's mean pelvis offset (x, z) from the leader in the leader's heading, over the training data."""
    offsets = []
    for m in data.train:
        lead, partner = m.positions[role], m.positions[1 - role]
        gap = (root_trajectory(partner, m.skeleton) - root_trajectory(lead, m.skeleton))[:, [0, 2]]
        offsets.append(to_frame(torch.as_tensor(gap, dtype=torch.float32), _heading(lead[None], m.skeleton)[0]))
    return torch.cat(offsets).mean(0).numpy()


def place_at(partner_centred: np.ndarray, lead: np.ndarray, offset: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Bodies centred on their own pelvis (x, z) placed at `offset` from each frame's leader, in its heading."""
    fwd = _heading(lead.reshape(-1, *lead.shape[-3:]), skeleton)
    xz = from_frame(torch.as_tensor(offset, dtype=torch.float32).expand_as(fwd), fwd).numpy().reshape(
        *lead.shape[:-2], 2)
    root = root_trajectory(lead, skeleton)[..., [0, 2]] + xz
    out = partner_centred.copy()
    out[..., 0] += root[..., None, 0]
    out[..., 2] += root[..., None, 1]
    return out


def _fixed(answer: Callable[[np.ndarray], np.ndarray], data: DuetData, lead: np.ndarray, role: int) -> Answers:
    """A deterministic baseline's answers: one partner per leader window (every draw the same) and one for the
    lead of each whole test take."""
    guess = answer(lead)
    return Answers(guess, guess[:, None].repeat(K_PARTNERS, 1), [answer(m.positions[role][None])[0] for m in data.test])


def copy_leader(data: DuetData, lead: np.ndarray, role: int, offset: np.ndarray) -> Answers:
    """The partner is the leader's own movement, at the training data's mean partner offset."""
    return _fixed(lambda ld: place_at(center(ld, data.skeleton), ld, offset, data.skeleton), data, lead, role)


@dataclass
class MeanPartner:
    """The training data's average partner as the leader sees it."""

    pose: np.ndarray  # [J, 3] the mean pose, centred on its pelvis (x, z), facing +z
    heading: np.ndarray  # [2] the partners' mean facing (unit x, z) in the leader's frame
    offset: np.ndarray  # [2] the partners' mean pelvis offset (x, z) in the leader's frame

    @classmethod
    def fit(cls, data: DuetData, role: int) -> MeanPartner:
        """Averaged over every training frame: each partner pose turned to face +z (so that the average is a
        body, not a blur of bodies facing every way), its facing relative to its leader's, and its offset."""
        poses, headings = [], []
        for m in data.train:
            lead, partner = m.positions[role], m.positions[1 - role]
            own = _heading(partner[None], data.skeleton)[0]  # [T, 2]
            body = torch.as_tensor(center(partner, data.skeleton), dtype=torch.float32)
            poses.append(to_frame(body, own[:, None]))
            headings.append(to_frame(own, _heading(lead[None], data.skeleton)[0]))
        heading = torch.cat(headings).mean(0)
        return cls(torch.cat(poses).mean(0).numpy(), (heading / heading.norm().clamp_min(1e-6)).numpy(),
                   mean_offset(data, role))

    def answer(self, lead: np.ndarray, skeleton: Skeleton) -> np.ndarray:
        """The mean partner `[N, T, J, 3]` for leader windows `[N, T, J, 3]`: turned and placed by each frame's
        leader facing and pelvis."""
        in_lead = from_frame(torch.as_tensor(self.pose), torch.as_tensor(self.heading))  # [J, 3], leader's frame
        fwd = _heading(lead, skeleton)  # [N, T, 2]
        world = from_frame(in_lead.expand(*fwd.shape[:-1], *in_lead.shape), fwd[..., None, :]).numpy()
        return place_at(world, lead, self.offset, skeleton)


def mean_partner(data: DuetData, lead: np.ndarray, role: int, fitted: MeanPartner | None = None) -> Answers:
    """The training data's mean partner in the leader's frame, the same for every leader."""
    fitted = fitted or MeanPartner.fit(data, role)
    return _fixed(lambda ld: fitted.answer(ld, data.skeleton), data, lead, role)


def retrieval(data: DuetData, lead: np.ndarray, role: int) -> Answers:
    """The training partner whose leader window is nearest (L2, both relative to the leader's pelvis)."""
    train = data.windows("train", TEST_STRIDE)
    train = leader_centred(train[:, [role, 1 - role]], data.skeleton)
    query = leader_centred(np.stack([lead, lead], 1), data.skeleton)[:, 0]
    keys = train[:, 0].reshape(len(train), -1)
    best = [int(np.argmin(((keys - q.reshape(1, -1)) ** 2).sum(1))) for q in query]
    root = root_trajectory(lead, data.skeleton) * [1, 0, 1]
    guess = train[best, 1] + root[..., None, :]
    return Answers(guess, guess[:, None].repeat(K_PARTNERS, 1), [])


def shuffled(data: DuetData, pairs: np.ndarray) -> Answers:
    """The real partner of another test window (the half shift), placed where it stood from its own leader;
    K different shifts for multimodality."""
    n = len(pairs)
    drawn = np.stack([shuffled_partners(pairs, shift=(n // 2 + k) % n or 1)[:, 1] for k in range(K_PARTNERS)], 1)
    return Answers(drawn[:, 0], drawn, [])


def solo_partner(model: Any, data: DuetData, lead: np.ndarray, role: int, offset: np.ndarray, seed: int) -> Answers:
    """A solo model's prior samples (not seeing the leader), placed at the mean offset; for each whole test take,
    one long-form solo of its length (`pasdeux.generate.long_form`) placed the same way."""
    from pasdeux.generate import long_form, pipeline

    n, t = lead.shape[:2]
    drawn = pipeline.sample(model, n * K_PARTNERS, t, seed=seed).reshape(n, K_PARTNERS, *lead.shape[1:])
    placed = np.stack([place_at(drawn[:, k], lead, offset, data.skeleton) for k in range(K_PARTNERS)], 1)
    long = []
    for m in data.test:
        take_lead = m.positions[role]
        solo = long_form(model, seconds=len(take_lead) / FPS, seed=seed).positions[0][:len(take_lead)]
        long.append(place_at(center(solo, data.skeleton), take_lead, offset, data.skeleton))
    return Answers(placed[:, 0], placed, long)

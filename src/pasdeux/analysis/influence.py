"""Which body parts drive the duet: how strongly each joint of the leader moves each joint of the partner
in a trained duet model.

The influence of leader joint i on partner joint j is the size of the model's answer to it: the Frobenius
norm of the Jacobian of the partner's best guess (sigma 0; joint j over every frame, relative to the
leader's pelvis) with respect to leader joint i (over every frame), averaged over real leader windows. The
norm is estimated without forming the Jacobian (Hutchinson: `E|J^T v|^2 = |J|_F^2` for Gaussian `v`), one
vector-Jacobian product per partner joint and probe. It needs the model, so it lives here, not in metrics.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from pasdeux.data import pair_windows
from pasdeux.errors import ShapeError
from pasdeux.files import write_text_atomic
from pasdeux.generate.lead import as_lead
from pasdeux.generate.partner import check_duet_model
from pasdeux.models.duet import DIRECTIONS, DuetVAE, direction_index
from pasdeux.motion import Motion

MAX_WINDOWS = 48  # leader windows averaged over (spread over the data)


@dataclass
class Influence:
    """`matrix[i, j]`: how strongly leader joint i moves partner joint j (mean Jacobian norm per window)."""

    matrix: np.ndarray
    leader_joints: list[str]
    partner_joints: list[str]
    direction: str
    windows: int

    def leader_importance(self) -> np.ndarray:
        """Each leader joint's total influence on the partner, scaled so the strongest is 1."""
        total = self.matrix.sum(1)
        return total / max(float(total.max()), 1e-12)

    def top(self, k: int = 10) -> list[tuple[str, str, float]]:
        """The `k` strongest (leader joint, partner joint, influence) pairs, strongest first."""
        order = np.argsort(self.matrix, axis=None)[::-1][:k]
        rows, cols = np.unravel_index(order, self.matrix.shape)
        return [(self.leader_joints[i], self.partner_joints[j], float(self.matrix[i, j])) for i, j in zip(rows, cols)]

    def to_dict(self) -> dict:
        return {"direction": self.direction, "windows": self.windows, "leader_joints": self.leader_joints,
                "partner_joints": self.partner_joints, "matrix": self.matrix.round(8).tolist(),
                "leader_importance": self.leader_importance().round(6).tolist(),
                "top": [{"leader": a, "partner": b, "influence": v} for a, b, v in self.top()]}

    def save(self, path: str | os.PathLike) -> Path:
        """Write the matrix and its labels as JSON (whole or not at all)."""
        return write_text_atomic(Path(path), json.dumps(self.to_dict(), indent=1))


def lead_windows(model: DuetVAE, motions: list[Motion], direction: str, frames: int) -> np.ndarray:
    """Uncentred leader windows `[N, frames, J, 3]` of the leading dancer of each motion (two-dancer motions
    lead with the dancer the direction names; one-dancer motions lead with their dancer)."""
    role = direction_index(direction)
    out = []
    for m in motions:
        lead, _ = as_lead(model, m, role if m.n_dancers == 2 else 0)
        out.append(pair_windows(np.stack([lead.positions[0]] * 2), frames, max(1, frames // 4))[:, 0])
    w = np.concatenate(out) if out else np.empty((0,))
    if len(w) == 0:
        raise ShapeError(f"the motions are shorter than one {frames}-frame window; give longer ones")
    return w[np.linspace(0, len(w) - 1, min(MAX_WINDOWS, len(w))).round().astype(int)]


def influence(model: DuetVAE, motions: list[Motion], direction: str = "a2b", probes: int = 4,
              seed: int = 0) -> Influence:
    """The leader-joint x partner-joint influence matrix of a duet model, averaged over windows of `motions`."""
    model = check_duet_model(model)
    role = direction_index(direction)
    lead = torch.as_tensor(lead_windows(model, motions, direction, model.window))
    gen = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    try:
        lead.requires_grad_(True)
        partner = _answer(model, lead, role)  # [N, T, J, 3] relative to the leader's pelvis
        sq = torch.zeros(model.skeleton.n_joints, model.skeleton.n_joints, dtype=torch.float64)
        for j in range(model.skeleton.n_joints):
            for _ in range(probes):
                v = torch.zeros_like(partner)
                v[:, :, j] = torch.randn(partner[:, :, j].shape, generator=gen)
                (grad,) = torch.autograd.grad(partner, lead, v, retain_graph=True)
                sq[:, j] += grad.pow(2).sum((0, 1, 3)).double()
    finally:
        model.train(was_training)
    matrix = (sq / (probes * len(lead))).sqrt().numpy()
    joints = list(model.skeleton.joints)
    return Influence(matrix, joints, joints, DIRECTIONS[role], len(lead))


def _answer(model: DuetVAE, lead: torch.Tensor, role: int) -> torch.Tensor:
    """The partner's best guess for leader windows, relative to the leader's pelvis (differentiable)."""
    ctx = model.encode_lead(lead, role)
    world = model.partner_world(model.decode_latent(model.prior_mean(ctx), lead.shape[1], lead=ctx), lead)
    root, _ = model.lead_frame(lead)
    zero = torch.zeros_like(root[..., :1])
    return world - torch.cat([root[..., :1], zero, root[..., 1:]], dim=-1)[..., None, :]

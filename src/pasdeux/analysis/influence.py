"""Which body parts drive the duet: how strongly each joint of the leader moves each joint of the partner
in a trained duet model.

The influence of leader joint i on partner joint j is the size of the model's answer to it: the Frobenius
norm of the Jacobian of the partner's best guess (sigma 0; joint j over every frame, in the data's units)
with respect to leader joint i (over every frame, each coordinate in units of its own spread in the
training data), both in the leader's frame (`models/leader_frame.py`), averaged over real leader windows.
Measured in that frame, it is the learned answer of one body to the other, not the geometry of turning the
couple in the room; measured per typical movement of each leader joint, a joint that hardly moves (a hip
next to the pelvis) cannot drive the partner however sensitive the model is to it. The norm is estimated
without forming the Jacobian (Hutchinson: `E|J^T v|^2 = |J|_F^2` for Gaussian `v`), one vector-Jacobian
product per partner joint over a batch holding one copy of the windows per probe. It needs the model, so it
lives here, not in metrics.

This joint-level matrix is the fine print: per coordinate, joints that move together (an eye and its
end-point) can earn gradients against each other, so a row of end-points can look loud. The map a dancer
reads is the part-level one (`part_influence.py`), measured beside it and saved with it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from pasdeux.analysis.answer import MAX_WINDOWS, lead_windows, partner_answer
from pasdeux.analysis.part_influence import PartInfluence, part_influence, row_importance, strongest_pairs
from pasdeux.errors import FormatError
from pasdeux.files import write_text_atomic
from pasdeux.generate.partners import check_duet_model
from pasdeux.models.base import DIRECTIONS, PartnerModel, direction_index
from pasdeux.motion import Motion

__all__ = ["MAX_WINDOWS", "Influence", "influence", "lead_windows"]
CONSTANT_STD = 2e-3  # feature spreads at or below this (the normalisation's floor is 1e-3) are constants


@dataclass
class Influence:
    """`matrix[i, j]`: how strongly leader joint i moves partner joint j (mean Jacobian norm per window); `parts`:
    the part-level map (`part_influence`), where it was measured."""

    matrix: np.ndarray
    leader_joints: list[str]
    partner_joints: list[str]
    direction: str
    windows: int
    parts: PartInfluence | None = None

    def leader_importance(self) -> np.ndarray:
        """Each leader joint's total influence on the partner, scaled so the strongest is 1."""
        return row_importance(self.matrix)

    def top(self, k: int = 10) -> list[tuple[str, str, float]]:
        """The `k` strongest (leader joint, partner joint, influence) pairs, strongest first."""
        return strongest_pairs(self.matrix, self.leader_joints, self.partner_joints, k)

    def to_dict(self) -> dict:
        """The joint-level matrix at the top level (as files written before the part map), the part map under
        `parts`."""
        out = {"direction": self.direction, "windows": self.windows, "leader_joints": self.leader_joints,
               "partner_joints": self.partner_joints, "matrix": self.matrix.round(8).tolist(),
               "leader_importance": self.leader_importance().round(6).tolist(),
               "top": [{"leader": a, "partner": b, "influence": v} for a, b, v in self.top()]}
        if self.parts is not None:
            out["parts"] = self.parts.to_dict()
        return out

    def save(self, path: str | os.PathLike) -> Path:
        """Write both levels and their labels as JSON (whole or not at all)."""
        return write_text_atomic(Path(path), json.dumps(self.to_dict(), indent=1))

    @classmethod
    def load(cls, path: str | os.PathLike) -> Influence:
        """Read the matrices written by `save` (a file without a part map, from before it, reads too)."""
        try:
            d = json.loads(Path(path).read_text())
            out = cls(np.asarray(d["matrix"], np.float64), [str(j) for j in d["leader_joints"]],
                      [str(j) for j in d["partner_joints"]], str(d["direction"]), int(d["windows"]))
            if "parts" in d:
                out.parts = PartInfluence.from_dict(d["parts"])
        except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError, FormatError) as e:
            raise FormatError(f"{path}: not an influence matrix written by pasdeux influence ({e})") from None
        return out

    def highlight(self, motion: Motion, dancer: int = 0) -> dict[int, np.ndarray]:
        """The leader's importance as joint weights for `dancer` of `motion` (joints matched by name), for the
        `highlight=` of `pasdeux.animate` and `pasdeux.show`."""
        weight = dict(zip(self.leader_joints, self.leader_importance()))
        return {dancer: np.array([weight.get(j, 0.0) for j in motion.skeleton.joints])}


def influence(model: PartnerModel, motions: list[Motion], direction: str = "a2b", probes: int = 4,
              seed: int = 0, parts: bool = True) -> Influence:
    """The leader-joint x partner-joint influence matrix of a duet model, averaged over windows of `motions`,
    with the part-level map (`part_influence`) unless `parts` is False."""
    model = check_duet_model(model)
    role = direction_index(direction)
    lead = torch.as_tensor(lead_windows(model, motions, direction, model.window))
    gen = torch.Generator().manual_seed(seed)
    n_joints = model.skeleton.n_joints
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            feats = model.lead_features(lead)
        # Each probe answers its own copy of the windows, so one backward pass gives every probe's gradient.
        feats = feats.repeat(probes, 1, 1)
        pose = feats[..., :model.n_pose].clone().requires_grad_(True)
        partner, offset = partner_answer(model, torch.cat([pose, feats[..., model.n_pose:]], dim=-1), role)
        partner = partner + offset[..., None, :]  # [probes * N, T, J, 3] in the leader's frame
        # Coordinates that never vary (the pelvis's own x and z in a pose centred on it) carry nothing to answer.
        moves = (model.lead_pose_spread() > CONSTANT_STD).to(pose.dtype).view(n_joints, 3)
        sq = torch.zeros(n_joints, n_joints, dtype=torch.float64)
        for j in range(n_joints):
            out = partner[:, :, j]
            v = torch.randn(out.shape, generator=gen, dtype=out.dtype)
            (grad,) = torch.autograd.grad(out, pose, v, retain_graph=j < n_joints - 1)
            sq[:, j] = (grad.unflatten(-1, (n_joints, 3)) * moves).pow(2).sum((0, 1, 3)).double()
    finally:
        model.train(was_training)
    matrix = (sq / (probes * len(lead))).sqrt().numpy()
    joints = list(model.skeleton.joints)
    part_map = part_influence(model, motions, direction, seed=seed) if parts else None
    return Influence(matrix, joints, joints, DIRECTIONS[role], len(lead), part_map)

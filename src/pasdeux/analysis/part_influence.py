"""Which body parts of the leader move which body parts of the partner in a trained duet model: the map a
dancer reads (head, torso, pelvis, each arm, hand, leg and foot; `pasdeux.body.body_parts`).

The influence of leader part P on partner part Q is how far Q moves when P makes a movement of its own
natural size and shape: a perturbation of P's features (every joint of P together, in the leader's frame)
drawn with the covariance of P's movement over the analysed leads, smooth over a tenth of a second, and the
partner's best guess (sigma 0) answering it, as the root mean square over Q's joints and frames, in metres.
Why this normalisation: a part moves as a whole, so the joints of a part (an eye and its end-point, a
finger's three joints) are perturbed together as they really move, and a gradient that one of them earns
only against its neighbour cancels instead of adding up; a joint that barely moves (an eye end-point, a
fingertip against its hand) is perturbed by as little as it moves, so it cannot fill the map however
sensitive the model is to it; and each leader part is measured at its own scale, so a part that moves
much is not favoured by a per-coordinate standard either. The leader's travel and turning belong to its
pelvis (in the leader's frame the pelvis itself only rises and falls).
The partner is read the way a dancer reads a body: its pelvis carries where the partner stands from the
leader (the offset) and every other part is seen from the partner's own pelvis, so a leader part that moves
the whole partner across the floor lights the partner's pelvis, not every column of its row.
The norm is estimated without forming the Jacobian (Hutchinson: `E|L^T J^T v|^2 = |J L|_F^2` for Gaussian
`v` and `L L^T` the perturbation's covariance), one vector-Jacobian product per partner part over a batch
holding one copy of the windows per probe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from pasdeux.analysis.answer import lead_windows, partner_answer
from pasdeux.body import body_parts, root_joints
from pasdeux.errors import ConfigError, FormatError
from pasdeux.generate.partners import check_duet_model
from pasdeux.models.base import DIRECTIONS, PartnerModel, direction_index
from pasdeux.motion import Motion

PROBES = 8  # Gaussian probes per window and partner part
SMOOTH_S = 0.1  # the perturbation's time scale: real movement is smooth, a frame-by-frame shake is not
PART_WINDOWS = 24  # leader windows averaged over (spread over the data)


def row_importance(matrix: np.ndarray) -> np.ndarray:
    """Each row's total over the columns, scaled so the largest is 1 (a leader's importance to its partner)."""
    total = matrix.sum(1)
    return total / max(float(total.max()), 1e-12)


def strongest_pairs(matrix: np.ndarray, rows: list[str], cols: list[str], k: int) -> list[tuple[str, str, float]]:
    """The `k` largest cells of `matrix` as (row name, column name, value), largest first."""
    order = np.argsort(matrix, axis=None)[::-1][:k]
    i, j = np.unravel_index(order, matrix.shape)
    return [(rows[a], cols[b], float(matrix[a, b])) for a, b in zip(i, j)]


@dataclass
class PartInfluence:
    """`matrix[p, q]`: how far partner part q moves (metres, RMS over its joints and frames) when leader part p
    moves as it naturally does; `joints` names the joints of each part."""

    matrix: np.ndarray
    leader_parts: list[str]
    partner_parts: list[str]
    direction: str
    windows: int
    joints: dict[str, list[str]] = field(default_factory=dict)

    def leader_importance(self) -> np.ndarray:
        """Each leader part's total influence on the partner, scaled so the strongest is 1."""
        return row_importance(self.matrix)

    def top(self, k: int = 10) -> list[tuple[str, str, float]]:
        """The `k` strongest (leader part, partner part, influence) pairs, strongest first."""
        return strongest_pairs(self.matrix, self.leader_parts, self.partner_parts, k)

    def to_dict(self) -> dict:
        return {"direction": self.direction, "windows": self.windows, "units": "metres",
                "leader_parts": self.leader_parts, "partner_parts": self.partner_parts,
                "matrix": self.matrix.round(8).tolist(),
                "leader_importance": self.leader_importance().round(6).tolist(), "joints": self.joints,
                "top": [{"leader": a, "partner": b, "influence": v} for a, b, v in self.top()]}

    def highlight(self, motion: Motion, dancer: int = 0) -> dict[int, np.ndarray]:
        """The leader's part importance as joint weights for `dancer` of `motion` (every joint of a part weighs
        as the part; joints matched by name), for the `highlight=` of `pasdeux.animate` and `pasdeux.show`."""
        weight = {j: w for part, w in zip(self.leader_parts, self.leader_importance())
                  for j in self.joints.get(part, [])}
        return {dancer: np.array([weight.get(j, 0.0) for j in motion.skeleton.joints])}

    @classmethod
    def from_dict(cls, d: dict) -> PartInfluence:
        """The part map of `to_dict` (FormatError if it is not one)."""
        try:
            out = cls(np.asarray(d["matrix"], np.float64), [str(p) for p in d["leader_parts"]],
                      [str(p) for p in d["partner_parts"]], str(d["direction"]), int(d["windows"]),
                      {str(k): [str(j) for j in v] for k, v in d.get("joints", {}).items()})
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise FormatError(f"not a part-level influence map written by pasdeux influence ({e})") from None
        if out.matrix.shape != (len(out.leader_parts), len(out.partner_parts)):
            raise FormatError(f"the part map is {out.matrix.shape} for {len(out.leader_parts)} leader and "
                              f"{len(out.partner_parts)} partner parts")
        return out


def part_influence(model: PartnerModel, motions: list[Motion], direction: str = "a2b", probes: int = PROBES,
                   seed: int = 0, windows: int = PART_WINDOWS) -> PartInfluence:
    """The leader-part x partner-part influence map of a duet model, averaged over windows of `motions`."""
    model = check_duet_model(model)
    if probes < 1 or windows < 1:
        raise ConfigError(f"the part map needs at least one probe and one window; got probes={probes}, "
                          f"windows={windows}")
    role = direction_index(direction)
    lead = torch.as_tensor(lead_windows(model, motions, direction, model.window, windows))
    parts = body_parts(model.skeleton, lead.numpy())
    names = list(parts)
    gen = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            feats = model.lead_features(lead)
        inputs = _part_features(model, parts, feats.shape[-1])
        covs = {p: _covariance(feats[..., idx]) for p, idx in inputs.items()}
        # Each probe answers its own copy of the windows, so one backward pass gives every probe's gradient.
        x = feats.repeat(probes, 1, 1).requires_grad_(True)
        pose, offset = partner_answer(model, x, role)
        sq = torch.zeros(len(names), len(names), dtype=torch.float64)
        root = _root_part(model, parts)
        for q, part in enumerate(names):
            out = _as_read(pose, offset, parts[part], carries_place=part == root)
            v = torch.randn(out.shape, generator=gen, dtype=out.dtype)
            (grad,) = torch.autograd.grad(out, x, v, retain_graph=q < len(names) - 1)
            grad = _smooth_adjoint(grad, SMOOTH_S * model.fps)
            for p, part_in in enumerate(names):
                g = grad[..., inputs[part_in]]
                sq[p, q] = torch.einsum("...i,ij,...j->", g, covs[part_in], g).double() / (
                    out.shape[0] * out.shape[1] * len(parts[part]))
    finally:
        model.train(was_training)
    matrix = sq.clamp_min(0).sqrt().numpy()
    joint_names = {p: [model.skeleton.joints[j] for j in idx] for p, idx in parts.items()}
    return PartInfluence(matrix, names, list(names), DIRECTIONS[role], len(lead), joint_names)


def _root_part(model: PartnerModel, parts: dict[str, list[int]]) -> str | None:
    """The part holding the body's root (its travel and turning, and the partner's place, belong to it)."""
    root = root_joints(model.skeleton)[0]
    return next((p for p, idx in parts.items() if root in idx), None)


def _part_features(model: PartnerModel, parts: dict[str, list[int]], n_features: int) -> dict[str, list[int]]:
    """Indices of each part's leader features: its joints' three coordinates, and for the root's part the
    travel and turning that follow the pose."""
    out = {p: [3 * j + c for j in idx for c in range(3)] for p, idx in parts.items()}
    root = _root_part(model, parts)
    if root is not None:
        out[root] += list(range(model.n_pose, n_features))
    return out


def _covariance(x: torch.Tensor) -> torch.Tensor:
    """Covariance `[C, C]` of features `[..., C]` over every frame of every window."""
    flat = x.reshape(-1, x.shape[-1]).double()
    flat = flat - flat.mean(0)
    return (flat.T @ flat / max(len(flat) - 1, 1)).to(x.dtype)


def _as_read(pose: torch.Tensor, offset: torch.Tensor, joints: list[int], carries_place: bool) -> torch.Tensor:
    """A partner part as a dancer reads it `[N, T, j, 3]`: seen from the partner's own pelvis, except the part
    holding the pelvis, which also carries where the partner stands from the leader."""
    part = pose[:, :, joints]
    return part + offset[:, :, None] if carries_place else part


def _smooth_adjoint(grad: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gradients `[..., T, C]` as seen by a perturbation smoothed over time by a Gaussian of `sigma` frames with
    unit energy (so each frame of the perturbation keeps the part's per-frame covariance)."""
    if sigma < 0.5:
        return grad
    radius = int(math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=grad.dtype)
    kernel = torch.exp(-0.5 * (t / sigma) ** 2)
    kernel = kernel / kernel.pow(2).sum().sqrt()
    lead_shape, (frames, channels) = grad.shape[:-2], grad.shape[-2:]
    x = grad.reshape(-1, frames, channels).transpose(1, 2).reshape(-1, 1, frames)
    x = F.conv1d(x, kernel.view(1, 1, -1), padding=radius)  # the kernel is symmetric: its own adjoint
    return x.reshape(-1, channels, frames).transpose(1, 2).reshape(*lead_shape, frames, channels)

"""The duet model's best-guess answer to a leader, differentiable in the leader's features: what both influence
maps (joint and part level) differentiate."""

from __future__ import annotations

import numpy as np
import torch

from pasdeux.data import pair_windows
from pasdeux.errors import ShapeError
from pasdeux.generate.lead import as_lead, on_model_floor
from pasdeux.models.base import PartnerModel, direction_index
from pasdeux.motion import Motion

MAX_WINDOWS = 24  # leader windows averaged over (spread over the data)


def lead_windows(model: PartnerModel, motions: list[Motion], direction: str, frames: int,
                 most: int = MAX_WINDOWS) -> np.ndarray:
    """Uncentred leader windows `[N, frames, J, 3]` of the leading dancer of each motion (two-dancer motions
    lead with the dancer the direction names; one-dancer motions lead with their dancer), at most `most`
    spread over the data, on the model's floor."""
    role = direction_index(direction)
    out = []
    for m in motions:
        lead, _ = as_lead(model, m, role if m.n_dancers == 2 else 0)
        out.append(pair_windows(np.stack([lead.positions[0]] * 2), frames, max(1, frames // 4))[:, 0])
    w = np.concatenate(out) if out else np.empty((0,))
    if len(w) == 0:
        raise ShapeError(f"the motions are shorter than one {frames}-frame window; give longer ones")
    chosen = w[np.linspace(0, len(w) - 1, min(most, len(w))).round().astype(int)]
    return on_model_floor(chosen, model.skeleton, model.dancer_floor(role))[0]  # where the model's leaders stood


def partner_answer(model: PartnerModel, lead_feats: torch.Tensor, role: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The partner's best guess (sigma 0) for normalised leader features, in the leader's frame: its pose
    centred on its own pelvis `[N, T, J, 3]` and where its pelvis stands from the leader's, as a 3-vector with
    height 0 `[N, T, 3]` (differentiable)."""
    return model.answer(lead_feats, role)

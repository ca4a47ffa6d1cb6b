"""What each dancer of a training couple is held to when it is generated as a partner, measured once from the
training pair windows and saved with a partner model's weights (`PartnerModel.placement`):

- its own floor (`FloorModel`): mocap markers sit higher on one dancer's shoes than on the other's (the salsa
  couple's lowest foot points lie 2 cm apart), so a partner grounded on the couple's one floor sinks or floats;
- how straight its legs get (`grounding.leg_reach`): reaching freely for held feet, salsa partners locked a
  knee in 13-25 % of frames against 0-4 % for the real dancers;
- how fast its pelvis travels at most (`grounding.top_speed`): the place a model gives a partner can leap round
  a leader turning fast;
- how high its lowest foot stands above the other dancer's (`grounding.stance_gap`): takes of one couple lie
  over floors centimetres apart, and a partner stands on the floor its lead dances on.

Folders saved before a fact was kept load without it (`rename_legacy`), and generation does without it.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import torch
from torch import nn

from pasdeux.grounding import FloorModel, leg_reach, stance_gap, top_speed, usable_reach
from pasdeux.motion import Skeleton

LEGACY = {"dancer_floors": "floors", "leg_reaches": "leg_reaches", "top_speeds": "top_speeds",
          "stances": "stances"}  # the model-level buffer names these had before they had a module of their own


class DancerPlacement(nn.Module):
    """Each dancer's floor, leg reach, top speed and stance over the other (module doc); unmeasured until
    `measure`."""

    def __init__(self, dancers: int = 2) -> None:
        super().__init__()
        self.register_buffer("floors", torch.zeros(dancers, len(fields(FloorModel))))  # leg length 0: unmeasured
        self.register_buffer("leg_reaches", torch.zeros(dancers))  # 0: unmeasured
        self.register_buffer("top_speeds", torch.zeros(dancers))  # 0: unmeasured
        self.register_buffer("stances", torch.full((dancers,), float("nan")))  # NaN: unmeasured, or no one gap

    def measure(self, pairs: np.ndarray, skeleton: Skeleton, fps: float) -> None:
        """Every fact from uncentred pair windows `[N, 2, T, J, 3]` of the training couple."""
        for dancer in range(pairs.shape[1]):
            own = FloorModel.measure(pairs[:, dancer], skeleton, fps)
            self.floors[dancer] = torch.tensor(list(own.to_dict().values()), dtype=torch.float32)
            self.leg_reaches[dancer] = leg_reach(pairs[:, dancer], skeleton)
            self.top_speeds[dancer] = top_speed(pairs[:, dancer], skeleton, fps)
        gap = stance_gap(pairs, skeleton)
        self.stances.copy_(torch.tensor([-gap, gap] if gap is not None else [float("nan")] * 2))

    def floor(self, dancer: int) -> FloorModel | None:
        """Where dancer `dancer` (0: A, 1: B) stands (None: unmeasured)."""
        values = self.floors[dancer].tolist()
        return FloorModel(*values) if values[1] > 0 else None

    def leg_reach(self, dancer: int) -> float:
        """How straight the dancer's legs may get where they reach for held feet (1: unmeasured), within what
        `grounding.ground` takes (`usable_reach`)."""
        return usable_reach(float(self.leg_reaches[dancer]))

    def top_speed(self, dancer: int) -> float:
        """How fast the dancer's pelvis travels at most, units per second (inf: unmeasured)."""
        speed = float(self.top_speeds[dancer])
        return speed if speed > 0 else float("inf")

    def stance(self, dancer: int) -> float | None:
        """How high the dancer's lowest foot stands above the other's (None: unmeasured, or the couple's feet
        keep no one gap)."""
        gap = float(self.stances[dancer])
        return gap if np.isfinite(gap) else None

    def rename_legacy(self, state: dict, prefix: str) -> None:
        """Bring a saved state of `prefix` (the partner model's) up to date: model-level buffers of folders saved
        before this module are moved into it, and facts a folder never kept stay unmeasured."""
        unmeasured = DancerPlacement(len(self.top_speeds))
        for old, name in LEGACY.items():
            if prefix + old in state:
                state[f"{prefix}placement.{name}"] = state.pop(prefix + old)
            state.setdefault(f"{prefix}placement.{name}", getattr(unmeasured, name))

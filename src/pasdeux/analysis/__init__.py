"""Analyses that need a trained model (so they are not metrics): which body parts drive a duet."""

from pasdeux.analysis.influence import Influence, influence
from pasdeux.analysis.part_influence import PartInfluence, part_influence

__all__ = ["Influence", "PartInfluence", "influence", "part_influence"]

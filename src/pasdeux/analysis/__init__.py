"""Analyses that need a trained model (so they are not metrics): which body parts drive a duet."""

from pasdeux.analysis.influence import Influence, influence

__all__ = ["Influence", "influence"]

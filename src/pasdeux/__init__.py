"""pasdeux: AI-generated choreography, from solos to duets."""

from pasdeux.errors import ConfigError, FormatError, PasdeuxError, ShapeError, SkeletonError
from pasdeux.io import load, save
from pasdeux.motion import Motion, Skeleton
from pasdeux.skeletons import get_skeleton

__version__ = "0.1.0"
__all__ = ["Motion", "Skeleton", "get_skeleton", "load", "save", "PasdeuxError", "FormatError",
           "ShapeError", "SkeletonError", "ConfigError"]

"""pasdeux: AI-generated choreography, from solos to duets."""

from pasdeux.errors import ConfigError, FormatError, PasdeuxError, ShapeError, SkeletonError
from pasdeux.io import load, save
from pasdeux.motion import Motion, Skeleton
from pasdeux.music import Music, load_music
from pasdeux.skeletons import get_skeleton

__version__ = "0.1.0"
__all__ = ["Motion", "Skeleton", "get_skeleton", "load", "save", "PasdeuxError", "FormatError",
           "ShapeError", "SkeletonError", "ConfigError", "Music", "load_music"]

# Drawing pulls in matplotlib and the viewer assets, and extraction the pose models' runtime, so those
# load on first use, not on `import pasdeux`. (`pasdeux.extract` is a package whose module is callable.)
_LAZY = {"animate": "pasdeux.viz.animate", "show": "pasdeux.viz.notebook", "extract": "pasdeux.extract"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pasdeux' has no attribute {name!r}")

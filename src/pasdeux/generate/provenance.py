"""How a generated motion was made, as data kept in its own file, so any result can be found and made again."""

from __future__ import annotations

import secrets
from typing import Any

from pasdeux.models.base import MotionModel


def pick_seed(seed: int | None) -> int:
    """The seed to use: the given one, or a fresh random one that is then recorded (never 'no seed')."""
    return int(seed) if seed is not None else secrets.randbelow(2**31)


def made_by(model: MotionModel, mode: str, **params: Any) -> dict[str, Any]:
    """Provenance of a result: pasdeux version, generation mode, the model (its folder when loaded from one)
    and the parameters (sigma, seed, sources...)."""
    from pasdeux import __version__

    out = {"pasdeux": __version__, "mode": mode, "model": str(model.folder) if model.folder else None,
           "model_family": model.name}
    out.update({k: v for k, v in params.items() if v is not None})
    return out

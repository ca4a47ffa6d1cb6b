"""Kinetic features (per joint: horizontal and vertical kinetic energy, energy expenditure),
the z-normalised kinetic space of a real set, `fid_k` and `diversity` (BENCHMARK.md, as in the
Bailando evaluation code)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pasdeux.errors import ShapeError
from pasdeux.metrics.basic import as_windows
from pasdeux.metrics.frechet import ZScore, frechet_distance, mean_pairwise_distance

FEATURES_PER_JOINT = ("horizontal_sq_speed", "vertical_sq_speed", "acceleration")


def kinetic_features(x: np.ndarray, fps: float = 30.0) -> np.ndarray:
    """Per window and joint: mean horizontal squared speed, mean vertical squared speed and mean
    acceleration magnitude (units per second), flattened to `[N, J * 3]` (joint-major)."""
    a = as_windows(x)
    v = np.diff(a, axis=1) * fps  # [N, T-1, J, 3]
    horizontal = (v[..., 0] ** 2 + v[..., 2] ** 2).mean(1)
    vertical = (v[..., 1] ** 2).mean(1)
    acc = np.linalg.norm(np.diff(a, n=2, axis=1), axis=-1).mean(1) * fps**2
    return np.stack([horizontal, vertical, acc], axis=-1).reshape(len(a), -1)


@dataclass
class KineticSpace:
    """The real set's kinetic-feature mean and std, and which features are kept (std > 1e-6)."""

    mean: np.ndarray
    std: np.ndarray
    keep: np.ndarray  # boolean mask over the raw features
    fps: float = 30.0

    @classmethod
    def fit(cls, real_windows: np.ndarray, fps: float = 30.0) -> KineticSpace:
        """The space normalised by the real windows `[N, T, J, 3]`."""
        z = ZScore.fit(kinetic_features(real_windows, fps), "real windows' kinetic features")
        return cls(z.mean, z.std, z.keep, float(fps))

    def features(self, x: np.ndarray) -> np.ndarray:
        """Z-normalised kinetic features `[N, F_kept]` of windows `x`."""
        f = kinetic_features(x, self.fps)
        if f.shape[1] != len(self.keep):
            raise ShapeError(f"windows have {f.shape[1] // 3} joints but the real set had {len(self.keep) // 3}")
        return ZScore(self.mean, self.std, self.keep)(f)

    def fid(self, a: np.ndarray, b: np.ndarray) -> float:
        """Frechet distance between windows `a` and `b` in this space (symmetric in `a`, `b`)."""
        return frechet_distance(self.features(a), self.features(b))

    def diversity(self, x: np.ndarray) -> float:
        """Mean pairwise L2 distance of the normalised features of windows `x`."""
        return mean_pairwise_distance(self.features(x))


def fid_k(gen: np.ndarray, real: np.ndarray, fps: float = 30.0) -> float:
    """Frechet distance of kinetic features of `gen` against `real`, normalised by the real set."""
    return KineticSpace.fit(real, fps).fid(gen, real)


def diversity(gen: np.ndarray, real: np.ndarray, fps: float = 30.0) -> float:
    """Mean pairwise L2 of the kinetic features of `gen`, z-normalised with the real set's statistics."""
    return KineticSpace.fit(real, fps).diversity(gen)

"""Kinetic features (per joint: horizontal and vertical kinetic energy, energy expenditure),
the z-normalised kinetic space of a real set, `fid_k` and `diversity` (BENCHMARK.md, as in the
Bailando evaluation code).

Units: the features are in the data's units per second, and z-normalising with the real set's mean
and std makes fid_k and diversity free of units and body size (scaling real and generated alike
changes nothing). Frame rate: BENCHMARK.md defines the features at 30 fps, and motion at another
rate is resampled to 30 fps first. Squared speeds are dominated by what 120 fps keeps and 30 fps
filters out. The floor between the two halves of the salsa take 13 (60_13 and 61_13) was 20,051 at
120 fps, from one 0.1 s marker-tracking failure in 60_13 (frames 620-634). At 30 fps it is 428, and
178 with that failure interpolated away. Flat features: no finger or end-site feature of the salsa
skeleton comes near the 1e-6 cut (the smallest kept std is 0.05); only the centred pelvis's
horizontal speed is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pasdeux.errors import ShapeError
from pasdeux.metrics.basic import as_windows
from pasdeux.metrics.frechet import ZScore, frechet_distance, mean_pairwise_distance
from pasdeux.metrics.units import PROTOCOL_FPS, at_protocol_rate

FEATURES_PER_JOINT = ("horizontal_sq_speed", "vertical_sq_speed", "acceleration")


def kinetic_features(x: np.ndarray, fps: float = 30.0) -> np.ndarray:
    """Per window and joint: mean horizontal squared speed, mean vertical squared speed and mean
    acceleration magnitude (units per second, at 30 fps: windows at another `fps` are resampled first),
    flattened to `[N, J * 3]` (joint-major)."""
    a = at_protocol_rate(as_windows(x), fps)
    rate = PROTOCOL_FPS
    v = np.diff(a, axis=1) * rate  # [N, T-1, J, 3]
    horizontal = (v[..., 0] ** 2 + v[..., 2] ** 2).mean(1)
    vertical = (v[..., 1] ** 2).mean(1)
    acc = np.linalg.norm(np.diff(a, n=2, axis=1), axis=-1).mean(1) * rate**2
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

    def multimodality(self, partners: np.ndarray) -> float:
        """Mean over leader windows of the mean pairwise distance of the normalised features of the K
        partners sampled for that window: `partners` is `[N, K, T, J, 3]` (K >= 2), centred per frame."""
        p = np.asarray(partners)
        if p.ndim != 5 or p.shape[1] < 2:
            raise ShapeError(f"partners must be [windows, K >= 2 samples, frames, joints, 3]; got shape {p.shape}")
        f = self.features(p.reshape(-1, *p.shape[2:])).reshape(p.shape[0], p.shape[1], -1)
        return float(np.mean([mean_pairwise_distance(w) for w in f]))


def fid_k(gen: np.ndarray, real: np.ndarray, fps: float = 30.0) -> float:
    """Frechet distance of kinetic features of `gen` against `real`, normalised by the real set."""
    return KineticSpace.fit(real, fps).fid(gen, real)


def diversity(gen: np.ndarray, real: np.ndarray, fps: float = 30.0) -> float:
    """Mean pairwise L2 of the kinetic features of `gen`, z-normalised with the real set's statistics."""
    return KineticSpace.fit(real, fps).diversity(gen)


def multimodality(partners: np.ndarray, real: np.ndarray, fps: float = 30.0) -> float:
    """Duet multimodality (BENCHMARK.md): for each leader window, the mean pairwise distance of the kinetic
    features of its K sampled partners `[N, K, T, J, 3]`, z-normalised with the real partner windows `real`
    `[M, T, J, 3]` (both centred per frame), averaged over windows; 0 means one answer per leader."""
    return KineticSpace.fit(real, fps).multimodality(partners)

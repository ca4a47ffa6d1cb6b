"""Frechet distance between two feature sets (the FID formula), mean pairwise distance, and the
z-normalisation by a real set that every feature-space metric shares."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import linalg
from scipy.spatial.distance import pdist

from pasdeux.errors import ShapeError


def _as_features(f: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(f, dtype=np.float64)
    if a.ndim != 2:
        raise ShapeError(f"{name} features must be [samples, features]; got shape {a.shape}")
    if len(a) < 2:
        raise ShapeError(f"{name} needs at least 2 samples to estimate a covariance; got {len(a)}")
    if not np.isfinite(a).all():
        raise ShapeError(f"{name} features contain NaN or inf")
    return a


def frechet_distance(a: np.ndarray, b: np.ndarray, eps: float = 1e-6) -> float:
    """Frechet distance between Gaussians fitted to feature sets `a` `[N, F]` and `b` `[M, F]`."""
    a, b = _as_features(a, "first"), _as_features(b, "second")
    if a.shape[1] != b.shape[1]:
        raise ShapeError(f"feature sets differ in width: {a.shape[1]} vs {b.shape[1]}")
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(s1 @ s2)
    if caught or not np.isfinite(covmean).all():
        # Singular covariances (frozen motion, few samples): regularise as the FID reference code does.
        offset = np.eye(len(s1)) * eps
        covmean = linalg.sqrtm((s1 + offset) @ (s2 + offset))
    covmean = np.real(covmean)
    diff = mu1 - mu2
    d = float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))
    return max(d, 0.0)  # tiny negatives are round-off of identical sets


def mean_pairwise_distance(f: np.ndarray) -> float:
    """Mean L2 distance over all pairs of rows of `f` `[N, F]`."""
    a = _as_features(f, "diversity")
    return float(pdist(a).mean())


# Features flatter than this (relative to the widest feature's std) carry no information, e.g. the centred
# pelvis's horizontal speed. BENCHMARK.md states 1e-6 for features of order 1; relative, the cut does not
# depend on units: an absolute 1e-6 kept all 170 kinetic features of a salsa take but only 58 of the same
# take in units 1000 times smaller (its fid_k floor fell from 428 to 60).
MIN_STD = 1e-6


@dataclass
class ZScore:
    """A real feature set's mean and std, keeping only features whose std exceeds `MIN_STD` times the largest."""

    mean: np.ndarray
    std: np.ndarray
    keep: np.ndarray  # boolean mask over the raw features

    @classmethod
    def fit(cls, f: np.ndarray, what: str = "real set") -> ZScore:
        """Statistics of raw features `[N, F]` of the real set."""
        f = _as_features(f, what)
        mean, std = f.mean(0), f.std(0)
        keep = std > MIN_STD * std.max()
        if not keep.any():
            raise ShapeError(f"every feature of the {what} is constant; it does not move or vary")
        return cls(mean[keep], std[keep], keep)

    def __call__(self, f: np.ndarray) -> np.ndarray:
        """Kept features of `f` `[N, F]`, z-normalised."""
        f = np.asarray(f, dtype=np.float64)
        if f.ndim != 2 or f.shape[1] != len(self.keep):
            raise ShapeError(f"expected features [N, {len(self.keep)}]; got shape {f.shape}")
        return (f[:, self.keep] - self.mean) / self.std

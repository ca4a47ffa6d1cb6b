"""Metrics that tell real dance from generated dance, defined in BENCHMARK.md.

Inputs are float windows `[N, T, J, 3]` (y-up metres), centred per frame for scoring.
"""

from pasdeux.metrics.basic import acceleration, bone_cv, jitter_ratio, mean_acceleration, mpjpe, recon_mse
from pasdeux.metrics.frechet import frechet_distance, mean_pairwise_distance
from pasdeux.metrics.kinetic import KineticSpace, diversity, fid_k, kinetic_features

__all__ = [
    "recon_mse", "mpjpe", "acceleration", "mean_acceleration", "jitter_ratio", "bone_cv",
    "frechet_distance", "mean_pairwise_distance",
    "kinetic_features", "KineticSpace", "fid_k", "diversity",
]

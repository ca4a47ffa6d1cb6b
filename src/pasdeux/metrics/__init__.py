"""Metrics that tell real dance from generated dance, defined in BENCHMARK.md.

Solo inputs are float windows `[N, T, J, 3]` (y-up metres), centred per frame for scoring
(`pasdeux.data.center(x, skeleton, "frame")`); duet inputs are `[N, 2, T, J, 3]` relative to the
leader's pelvis (`pasdeux.data.duet_windows`). Skeleton-dependent metrics find the joints they need by
name (`pasdeux.body`) and raise `SkeletonError` naming any that are missing.
"""

from pasdeux.body import body_points, role_indices
from pasdeux.metrics.basic import acceleration, bone_cv, jitter_ratio, mean_acceleration, mpjpe, recon_mse
from pasdeux.metrics.duet import (
    CrossDistanceSpace,
    bone_contact,
    contact_rate,
    cross_distance_features,
    fid_cd,
    lagged_correlation,
    penetration,
    responsiveness,
    speed_curve,
)
from pasdeux.metrics.feet import (
    floor_height,
    foot_contact_share,
    foot_metrics,
    foot_skating_ratio,
    physical_foot_contact,
)
from pasdeux.metrics.frechet import ZScore, frechet_distance, mean_pairwise_distance
from pasdeux.metrics.geometric import GeometricSpace, fid_g, geometric_feature_names, geometric_features
from pasdeux.metrics.kinetic import KineticSpace, diversity, fid_k, kinetic_features
from pasdeux.metrics.segments import segment_distance

__all__ = [
    "recon_mse", "mpjpe", "acceleration", "mean_acceleration", "jitter_ratio", "bone_cv",
    "frechet_distance", "mean_pairwise_distance", "ZScore",
    "kinetic_features", "KineticSpace", "fid_k", "diversity",
    "geometric_features", "geometric_feature_names", "GeometricSpace", "fid_g",
    "floor_height", "foot_metrics", "foot_skating_ratio", "foot_contact_share", "physical_foot_contact",
    "cross_distance_features", "CrossDistanceSpace", "fid_cd", "bone_contact",
    "contact_rate", "penetration", "speed_curve", "lagged_correlation", "responsiveness",
    "body_points", "role_indices", "segment_distance",
]

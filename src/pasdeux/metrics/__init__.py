"""Metrics that tell real dance from generated dance, defined in BENCHMARK.md.

Solo inputs are float windows `[N, T, J, 3]` (y-up, any units), centred per frame for scoring
(`pasdeux.data.center(x, skeleton, "frame")`), or with the travel kept for the feet metrics; duet
inputs are `[N, 2, T, J, 3]` relative to the leader's pelvis (`pasdeux.data.duet_windows`).
Skeleton-dependent metrics find the joints they need by name (`pasdeux.body`) and raise
`SkeletonError` naming any that are missing.

Every figure means the same on any data (`metrics.units`): lengths are fractions of the body's
`leg_length`, speeds are in leg lengths per second, and metrics that take derivatives are measured at
the protocol's 30 fps (other rates are resampled first). Arrays go in, floats come out; `fps`,
`leg_length` and `floor` are explicit arguments with defaults measured from the input.
"""

from pasdeux.body import body_points, role_indices
from pasdeux.metrics.basic import acceleration, bone_cv, jitter_ratio, mean_acceleration, mpjpe, recon_mse
from pasdeux.metrics.beats import bed, dancer_beats, kinematic_beats
from pasdeux.metrics.duet import (
    CrossDistanceSpace,
    bone_contact,
    contact_rate,
    cross_distance_features,
    div_cd,
    fid_cd,
    lagged_correlation,
    max_partner_distance,
    own_speed_curves,
    pelvis_distance,
    penetration,
    responsiveness,
    speed_curve,
)
from pasdeux.metrics.feet import (
    floating,
    floor_height,
    foot_contact_share,
    foot_contacts,
    foot_heights,
    foot_metrics,
    foot_points,
    foot_skating_ratio,
    physical_foot_contact,
)
from pasdeux.metrics.frechet import ZScore, frechet_distance, mean_pairwise_distance
from pasdeux.metrics.geometric import GeometricSpace, fid_g, geometric_feature_names, geometric_features
from pasdeux.metrics.kinetic import KineticSpace, diversity, fid_k, kinetic_features, multimodality
from pasdeux.metrics.music import beat_alignment_score, beat_hit_rate, motion_beat_times, music_alignment
from pasdeux.metrics.segments import segment_distance
from pasdeux.metrics.units import PROTOCOL_FPS, at_protocol_rate, leg_length

__all__ = [
    "recon_mse", "mpjpe", "acceleration", "mean_acceleration", "jitter_ratio", "bone_cv",
    "frechet_distance", "mean_pairwise_distance", "ZScore",
    "kinetic_features", "KineticSpace", "fid_k", "diversity", "multimodality",
    "geometric_features", "geometric_feature_names", "GeometricSpace", "fid_g",
    "floor_height", "foot_points", "foot_heights", "foot_contacts", "foot_metrics", "foot_skating_ratio",
    "foot_contact_share", "floating", "physical_foot_contact",
    "cross_distance_features", "CrossDistanceSpace", "fid_cd", "div_cd", "bone_contact",
    "contact_rate", "penetration", "pelvis_distance", "max_partner_distance", "speed_curve",
    "own_speed_curves", "lagged_correlation", "responsiveness", "kinematic_beats", "dancer_beats", "bed",
    "beat_alignment_score", "beat_hit_rate", "motion_beat_times", "music_alignment",
    "body_points", "role_indices", "segment_distance", "leg_length", "at_protocol_rate", "PROTOCOL_FPS",
]

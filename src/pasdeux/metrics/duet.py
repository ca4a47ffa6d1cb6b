"""Duet metrics (BENCHMARK.md, duet protocol duet-v2): cross-distance features, `fid_cd` and `div_cd`,
bone contact, pelvis penetration, the largest partner distance and responsiveness between a leader
and a partner. Kinematic beats and `bed` are in `metrics.beats`; `multimodality` is in `metrics.kinetic`.

Duet windows are `[N, 2, T, J, 3]` (dancer 0 the leader, 1 the partner) or one duet `[2, T, J, 3]`,
relative to the leader's pelvis x and z in each frame (`pasdeux.data.duet_windows`); world positions
give the same figures.

Thresholds are fractions of `leg_length` (mean hip-to-ankle distance; pass the training data's, the
default is the one measured from the windows themselves): contact within `CONTACT_DISTANCE` = 6 % of
it (0.035 units on the salsa takes, 0.043 m on the video duet), penetration closer than
`PENETRATION_DISTANCE` = 22 %. They replace fixed 0.05 and 0.2 "metres", which on the salsa takes'
0.58-unit body meant 8.6 % and 34 %: the real test contact rate is 0.38 at 6 % where it was 0.45 at
0.05 units. Cross-distance features are z-normalised with the real set, so `fid_cd` and `div_cd` are
free of units; they are time averages, free of the frame rate.

On the video duet the pelvis depth is 0 in every frame (monocular extraction), so the two bodies
always share one depth plane: there contact and penetration measure overlap in the image, and real
pairs score no higher than shuffled ones (contact 0.49 against 0.47-0.58). Read them on data with
depth (the salsa mocap: 0.38 against 0.12-0.27).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pasdeux.body import body_points
from pasdeux.data import center
from pasdeux.errors import ShapeError
from pasdeux.metrics import units
from pasdeux.metrics.basic import as_positions
from pasdeux.metrics.frechet import ZScore, frechet_distance, mean_pairwise_distance
from pasdeux.metrics.segments import segment_distance
from pasdeux.motion import Skeleton

KEY_ROLES = ("pelvis", "left_ankle", "right_ankle", "left_foot", "right_foot", "head", "left_shoulder",
             "right_shoulder", "left_wrist", "right_wrist")
CONTACT_DISTANCE = 0.06  # leg lengths: bones closer than this touch (about 0.05 m for an adult)
PENETRATION_DISTANCE = 0.22  # leg lengths: pelvises closer than this pass through each other (about 0.2 m)


def as_duets(x: np.ndarray, name: str = "duet windows") -> np.ndarray:
    """Duet windows `[N, 2, T, J, 3]` as float arrays (one `[2, T, J, 3]` duet is promoted), checked."""
    a = as_positions(x, name)
    a = a[None] if a.ndim == 4 else a
    if a.ndim != 5 or a.shape[1] != 2:
        raise ShapeError(f"{name} must be [N, 2, T, J, 3] (leader, partner) or [2, T, J, 3]; got shape {a.shape}")
    return a


def cross_distance_features(x: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Per window, the time-averaged distances between 10 key joints of the leader and the same 10 of
    the partner: `[N, 100]` (leader joint major)."""
    a = as_duets(x)
    k = body_points(a, skeleton, KEY_ROLES, "cross-distance features")  # [N, 2, T, 10, 3]
    d = np.linalg.norm(k[:, 0, :, :, None, :] - k[:, 1, :, None, :, :], axis=-1)  # [N, T, 10, 10]
    return d.mean(1).reshape(len(a), -1)


@dataclass
class CrossDistanceSpace:
    """Cross-distance features z-normalised with a real duet set's mean and std."""

    z: ZScore
    skeleton: Skeleton

    @classmethod
    def fit(cls, real: np.ndarray, skeleton: Skeleton) -> CrossDistanceSpace:
        """The space normalised by the real duet windows `[N, 2, T, J, 3]`."""
        return cls(ZScore.fit(cross_distance_features(real, skeleton), "real duet windows"), skeleton)

    def features(self, x: np.ndarray) -> np.ndarray:
        """Z-normalised cross-distance features of duet windows `x`."""
        return self.z(cross_distance_features(x, self.skeleton))

    def fid(self, a: np.ndarray, b: np.ndarray) -> float:
        """Frechet distance between duet windows `a` and `b` in this space."""
        return frechet_distance(self.features(a), self.features(b))

    def diversity(self, x: np.ndarray) -> float:
        """Mean pairwise L2 distance of the normalised cross-distance features of duet windows `x` (Div_cd)."""
        return mean_pairwise_distance(self.features(x))


def fid_cd(gen: np.ndarray, real: np.ndarray, skeleton: Skeleton) -> float:
    """Frechet distance of cross-distance features of generated duets against real ones."""
    return CrossDistanceSpace.fit(real, skeleton).fid(gen, real)


def div_cd(gen: np.ndarray, real: np.ndarray, skeleton: Skeleton) -> float:
    """Duolando's Div_cd: mean pairwise distance of the cross-distance features of `gen`, z-normalised with
    the real duet windows' statistics (`div_cd(real, real, skeleton)` is the real figure)."""
    return CrossDistanceSpace.fit(real, skeleton).diversity(gen)


def bone_contact(x: np.ndarray, skeleton: Skeleton, leg_length: float | None = None,
                 distance: float = CONTACT_DISTANCE, chunk: int = 256) -> np.ndarray:
    """Boolean `[N, T]`: some bone of one dancer within `distance` leg lengths of some bone of the other
    (segment-to-segment distance)."""
    a = as_duets(x)
    if not skeleton.bones:
        raise ShapeError(f"skeleton {skeleton.name!r} has no bones; contact needs bones")
    limit = distance * units.resolve_leg(a, skeleton, leg_length)
    i, j = np.asarray(skeleton.bones).T
    flat = a.transpose(0, 2, 1, 3, 4).reshape(-1, 2, a.shape[-2], 3).astype(np.float64)  # [N*T, 2, J, 3]
    p, q = flat[:, :, i], flat[:, :, j]  # [N*T, 2, B, 3]
    mid, radius = (p + q) / 2, np.linalg.norm(q - p, axis=-1) / 2
    out = np.zeros(len(flat), dtype=bool)
    for s in range(0, len(flat), chunk):  # chunks keep the [frames, bones, bones] temporaries small
        near = _bones_maybe_near(mid[s:s + chunk], radius[s:s + chunk], limit)
        f, b1, b2 = np.nonzero(near)
        d = segment_distance(p[s + f, 0, b1], q[s + f, 0, b1], p[s + f, 1, b2], q[s + f, 1, b2])
        out[s + f[d < limit]] = True
    return out.reshape(a.shape[0], a.shape[2])


def _bones_maybe_near(mid: np.ndarray, radius: np.ndarray, limit: float) -> np.ndarray:
    """`[t, B, B]`: the pairs of bones (dancer 0's, dancer 1's) whose bounding spheres (`mid` `[t, 2, B, 3]`,
    `radius` `[t, 2, B]`) come within `limit`: only those can, so only those are measured exactly (in a duet
    apart, most pairs are far; the exact test of every pair took most of the duet benchmark's real floors)."""
    m1, m2 = mid[:, 0], mid[:, 1]
    squared = (m1**2).sum(-1)[:, :, None] + (m2**2).sum(-1)[:, None] - 2 * m1 @ m2.transpose(0, 2, 1)
    reach = radius[:, 0, :, None] + radius[:, 1, None] + limit
    return np.sqrt(np.maximum(squared, 0.0)) < reach * (1 + 1e-6) + 1e-9


def contact_rate(x: np.ndarray, skeleton: Skeleton, leg_length: float | None = None,
                 distance: float = CONTACT_DISTANCE) -> float:
    """Share of frames in which some bone of one dancer comes within `distance` leg lengths of a bone of
    the other."""
    return float(bone_contact(x, skeleton, leg_length, distance).mean())


def pelvis_distance(x: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Pelvis-to-pelvis distance `[N, T]` of duet windows, in the data's units."""
    p = body_points(as_duets(x), skeleton, ("pelvis",), "the pelvis distance")[..., 0, :]  # [N, 2, T, 3]
    return np.linalg.norm(p[:, 0] - p[:, 1], axis=-1)


def penetration(x: np.ndarray, skeleton: Skeleton, leg_length: float | None = None,
                distance: float = PENETRATION_DISTANCE) -> float:
    """Share of frames in which the two pelvises are closer than `distance` leg lengths."""
    a = as_duets(x)
    return float(np.mean(pelvis_distance(a, skeleton) < distance * units.resolve_leg(a, skeleton, leg_length)))


def max_partner_distance(x: np.ndarray, skeleton: Skeleton) -> float:
    """The largest pelvis-to-pelvis distance over every frame of the duets, in the data's units (compare it
    with the training data's, `max_partner_distance(train_duets, skeleton)`)."""
    return float(pelvis_distance(x, skeleton).max())


def speed_curve(x: np.ndarray, fps: float = 30.0) -> np.ndarray:
    """Mean joint speed per frame (units per second) of windows `[..., T, J, 3]`: `[..., T-1]`."""
    a = as_positions(x, min_frames=2)
    return np.linalg.norm(np.diff(a, axis=-3), axis=-1).mean(-1) * fps


def lagged_correlation(lead: np.ndarray, follow: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Correlation of curves `[N, T]` at each lag in `[-max_lag, max_lag]`, averaged over the N curves;
    a positive lag means `follow` comes after `lead`. Curves flat over an overlap count as uncorrelated."""
    n_t = lead.shape[-1]
    max_lag = min(max_lag, n_t - 3)
    lags = np.arange(-max_lag, max_lag + 1)
    corr = np.empty(len(lags))
    for k, lag in enumerate(lags):
        a = lead[:, : n_t - lag] if lag >= 0 else lead[:, -lag:]
        b = follow[:, lag:] if lag >= 0 else follow[:, : n_t + lag]
        a, b = a - a.mean(1, keepdims=True), b - b.mean(1, keepdims=True)
        den = np.sqrt((a * a).sum(1) * (b * b).sum(1))
        corr[k] = np.mean(np.where(den > 1e-12, (a * b).sum(1) / np.where(den > 1e-12, den, 1.0), 0.0))
    return lags, corr


def own_speed_curves(x: np.ndarray, skeleton: Skeleton, fps: float = 30.0) -> np.ndarray:
    """Each dancer's mean joint speed per frame `[N, 2, T'-1]` at 30 fps (units per second), of its own
    movement: every frame centred on that dancer's own pelvis x and z, so neither the leader-centred frame
    nor travel counts. In the leader's frame a partner standing still would move whenever the leader
    travels: a statue partner scored responsiveness 0.45 on salsa take 13 (its real partner 0.54) and
    0.65 on the video duet's test span, above the real partner's 0.48. Each dancer's own movement gives
    the statue 0."""
    a = units.at_protocol_rate(as_duets(x), fps)
    return speed_curve(center(a, skeleton, "frame"), units.PROTOCOL_FPS)


def responsiveness(x: np.ndarray, skeleton: Skeleton, fps: float = 30.0, max_lag_s: float = 1.0) -> float:
    """Maximum over lags of at most `max_lag_s` of the correlation between the leader's and the partner's
    mean joint speed curves (`own_speed_curves`), per window and averaged over windows, at 30 fps."""
    a = as_duets(x)
    if a.shape[2] < 4:
        raise ShapeError(f"responsiveness needs at least 4 frames per window; got {a.shape[2]}")
    s = own_speed_curves(a, skeleton, fps)  # [N, 2, T-1]
    _, corr = lagged_correlation(s[:, 0], s[:, 1], int(round(max_lag_s * units.PROTOCOL_FPS)))
    return float(corr.max())

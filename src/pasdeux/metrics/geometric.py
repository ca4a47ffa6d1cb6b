"""Geometric (relational) features and `fid_g`: boolean body relations in the spirit of Mueller et
al. 2005 as used by the AIST++/Bailando evaluation, averaged over each window's frames.

Each frame asks yes/no questions about the body (a wrist moving fast forward, a hand above the
head, a foot in front of the other, a knee bent, ...). Distances and speeds are scaled by the
dancer's own upper-arm and hip sizes, so the features do not depend on body size or units, and
directions are taken in the body's own frame (forward, left, up), so they do not depend on where
the dancer stands or faces. Speeds are judged at the protocol's 30 fps (other rates are resampled
first, see `units`). Works on any skeleton that names the SMPL-like roles below.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pasdeux.body import body_points
from pasdeux.metrics.basic import as_windows
from pasdeux.metrics.frechet import ZScore, frechet_distance
from pasdeux.metrics.units import PROTOCOL_FPS, at_protocol_rate
from pasdeux.motion import Skeleton

ROLES = ("pelvis", "neck", "head", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
         "right_ankle", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
         "right_wrist")
_R = {r: i for i, r in enumerate(ROLES)}
LIMBS = ("left_wrist", "right_wrist", "left_ankle", "right_ankle")
# Speed thresholds in upper-arm lengths per second (hands move faster than feet in dance).
FAST_ALONG = {"left_wrist": 1.8, "right_wrist": 1.8, "left_ankle": 1.3, "right_ankle": 1.3}
FAST = {"left_wrist": 2.5, "right_wrist": 2.5, "left_ankle": 2.0, "right_ankle": 2.0}
PELVIS_VERTICAL = 0.8
BENT_DEG, STRAIGHT_DEG = 120.0, 160.0


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def _angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle at `b` in degrees between `a - b` and `c - b`."""
    cos = np.sum(_unit(a - b) * _unit(c - b), axis=-1)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _body_frame(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit forward and left vectors `[N, T, 3]` on the floor, from the hips and shoulders."""
    across = (p[..., _R["left_hip"], :] - p[..., _R["right_hip"], :]
              + p[..., _R["left_shoulder"], :] - p[..., _R["right_shoulder"], :])
    across[..., 1] = 0
    left = _unit(across)
    forward = np.stack([left[..., 2], np.zeros_like(left[..., 0]), -left[..., 0]], axis=-1)  # up x left
    return forward, left


def geometric_feature_names() -> list[str]:
    """Names of the columns of `geometric_features`, in order."""
    names = [f"{limb}_fast_{d}" for limb in LIMBS for d in ("forward", "back", "left", "right", "up", "down")]
    names += [f"{limb}_fast" for limb in LIMBS] + ["pelvis_rising", "pelvis_falling"]
    for s in ("left", "right"):
        names += [f"{s}_wrist_above_head", f"{s}_wrist_in_front", f"{s}_wrist_near_head", f"{s}_elbow_above_shoulder"]
    names += ["wrists_apart", "left_foot_in_front", "right_foot_in_front", "left_foot_raised", "right_foot_raised",
              "feet_wide"]
    for s in ("left", "right"):
        names += [f"{s}_knee_bent", f"{s}_knee_straight", f"{s}_elbow_bent", f"{s}_elbow_straight"]
    return names + ["crouching", "torso_leaning"]


def _length(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.norm(a - b, axis=-1)


def _speed_relations(g: dict, forward: np.ndarray, left: np.ndarray, hl: np.ndarray, fps: float) -> list:
    """Limbs moving fast along each body direction or at all, and the pelvis rising or falling fast."""
    out, fast = [], []
    for limb in LIMBS:  # velocity relative to the pelvis, so centring and travelling do not matter
        v = np.gradient(g[limb] - g["pelvis"], axis=1) * fps / hl[..., None]
        for along in (np.sum(v * forward, -1), np.sum(v * left, -1), v[..., 1]):
            out += [along > FAST_ALONG[limb], along < -FAST_ALONG[limb]]
        fast.append(np.linalg.norm(v, axis=-1) > FAST[limb])
    pelvis_vy = np.gradient(g["pelvis"][..., 1], axis=1) * fps / hl
    return out + fast + [pelvis_vy > PELVIS_VERTICAL, pelvis_vy < -PELVIS_VERTICAL]


def _pose_relations(g: dict, forward: np.ndarray, left: np.ndarray, hl: np.ndarray, hip_w: np.ndarray) -> list:
    """Where the hands and feet are relative to the head, the body and each other."""
    out = []
    for s in ("left", "right"):
        w = g[f"{s}_wrist"]
        out += [w[..., 1] > g["head"][..., 1], np.sum((w - g["neck"]) * forward, -1) > hl,
                _length(w, g["head"]) < hl, g[f"{s}_elbow"][..., 1] > g[f"{s}_shoulder"][..., 1]]
    feet = g["left_ankle"] - g["right_ankle"]
    ahead = np.sum(feet * forward, -1)
    return out + [_length(g["left_wrist"], g["right_wrist"]) > 3 * hl, ahead > hl, ahead < -hl,
                  feet[..., 1] > 0.6 * hl, feet[..., 1] < -0.6 * hl, np.abs(np.sum(feet * left, -1)) > 2.5 * hip_w]


def _angle_relations(g: dict) -> list:
    """Knees and elbows bent or straight, crouching, and the torso leaning away from vertical."""
    out = []
    for s in ("left", "right"):
        knee = _angle(g[f"{s}_hip"], g[f"{s}_knee"], g[f"{s}_ankle"])
        elbow = _angle(g[f"{s}_shoulder"], g[f"{s}_elbow"], g[f"{s}_wrist"])
        out += [knee < BENT_DEG, knee > STRAIGHT_DEG, elbow < BENT_DEG, elbow > STRAIGHT_DEG]
    leg = (_length(g["left_hip"], g["left_knee"]) + _length(g["left_knee"], g["left_ankle"])).mean(1, keepdims=True)
    pelvis_height = g["pelvis"][..., 1] - np.minimum(g["left_ankle"][..., 1], g["right_ankle"][..., 1])
    torso_up = _unit(g["neck"] - g["pelvis"])[..., 1]
    return out + [pelvis_height < 0.75 * leg, np.degrees(np.arccos(np.clip(torso_up, -1, 1))) > 25.0]


def _frame_features(p: np.ndarray, fps: float) -> np.ndarray:
    """Boolean features `[N, T, F]` of body points `p` `[N, T, len(ROLES), 3]`."""
    g = {r: p[..., i, :] for r, i in _R.items()}
    # Per-window body sizes, so thresholds scale with the dancer (and the data's units).
    upper_arm = 0.5 * (_length(g["left_shoulder"], g["left_elbow"]) + _length(g["right_shoulder"], g["right_elbow"]))
    hl = np.maximum(upper_arm.mean(1, keepdims=True), 1e-6)  # [N, 1]
    hip_w = np.maximum(_length(g["left_hip"], g["right_hip"]).mean(1, keepdims=True), 1e-6)
    forward, left = _body_frame(p)
    out = _speed_relations(g, forward, left, hl, fps) + _pose_relations(g, forward, left, hl, hip_w)
    return np.stack(out + _angle_relations(g), axis=-1)


def geometric_features(x: np.ndarray, skeleton: Skeleton, fps: float = 30.0) -> np.ndarray:
    """Share of frames in which each boolean body relation holds, per window: `[N, F]` (speeds judged at
    30 fps: windows at another `fps` are resampled first)."""
    a = at_protocol_rate(as_windows(x), fps)
    p = body_points(a, skeleton, ROLES, "geometric features")
    return _frame_features(p, PROTOCOL_FPS).mean(1)


@dataclass
class GeometricSpace:
    """Geometric features z-normalised by a real set (features constant over it are dropped)."""

    z: ZScore
    skeleton: Skeleton
    fps: float = 30.0

    @classmethod
    def fit(cls, real_windows: np.ndarray, skeleton: Skeleton, fps: float = 30.0) -> GeometricSpace:
        """The space normalised by the real windows `[N, T, J, 3]`."""
        return cls(ZScore.fit(geometric_features(real_windows, skeleton, fps), "real windows' geometric features"),
                   skeleton, float(fps))

    def features(self, x: np.ndarray) -> np.ndarray:
        """Z-normalised geometric features of windows `x`."""
        return self.z(geometric_features(x, self.skeleton, self.fps))

    def fid(self, a: np.ndarray, b: np.ndarray) -> float:
        """Frechet distance between windows `a` and `b` in this space."""
        return frechet_distance(self.features(a), self.features(b))


def fid_g(gen: np.ndarray, real: np.ndarray, skeleton: Skeleton, fps: float = 30.0) -> float:
    """Frechet distance of geometric features of `gen` against `real`, normalised by the real set."""
    return GeometricSpace.fit(real, skeleton, fps).fid(gen, real)

"""Placing each dancer in the room: BlazePose's world landmarks are metres around the mid-hip, so each
dancer's position comes from where its landmarks fall in the frame, through an assumed camera.

The camera is a pinhole at the origin with its principal point at the frame's centre and a focal
length from an assumed horizontal field of view (phones film at about 60-70 degrees). For each
dancer and frame the translation `t` of the hip-centred pose `X` is the weighted least-squares
solution of `project(X_i + t) = u_i` over the visible landmarks, which is linear in `t`:

    f * t_x - (u_i - c_x) * t_z = (u_i - c_x) * Z_i - f * X_i      (and the same for y)

The pose's size in metres against its size in pixels fixes the depth; left-right and up-down follow
from where it sits in the frame. The camera is assumed level (no pitch or roll), so the floor is
horizontal; its height is a low percentile of the feet over the whole clip. Points then move to
pasdeux's axes (y up, metres) with the floor at y = 0 and the dancers' mean position at the origin.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

FOOT = (27, 28, 29, 30, 31, 32)  # ankles, heels, foot tips (BlazePose numbering)
MIN_WEIGHT = 0.25  # visibility x presence below which a landmark does not place the pose
MIN_LANDMARKS = 6
FLOOR_PERCENTILE = 5.0


@dataclass
class Camera:
    """The assumed pinhole camera of the decoded frames."""

    width: int
    height: int
    fov_deg: float

    @property
    def focal(self) -> float:
        """Focal length in pixels."""
        return self.width / 2 / np.tan(np.radians(self.fov_deg) / 2)

    @property
    def centre(self) -> np.ndarray:
        return np.array([self.width / 2, self.height / 2])


def translation(image_xy: np.ndarray, world: np.ndarray, weight: np.ndarray, camera: Camera) -> np.ndarray | None:
    """Camera-frame position `[3]` of a pose's hip centre from its pixels `[33, 2]`, world points
    `[33, 3]` and landmark weights `[33]`; None when the solution lies behind the camera."""
    f, (cx, cy) = camera.focal, camera.centre
    # Landmarks the model only guesses (outside the frame, hidden) would pull the pose's scale, so they
    # count only when too few others are left to fix three unknowns.
    w = np.where(weight >= MIN_WEIGHT, np.sqrt(weight), 0.0)
    if np.count_nonzero(w) < MIN_LANDMARKS:
        w = np.sqrt(np.maximum(weight, 1e-3))
    du, dv = image_xy[:, 0] - cx, image_xy[:, 1] - cy
    zeros, ones = np.zeros_like(du), np.full_like(du, f)
    a = np.concatenate([np.stack([ones, zeros, -du], 1), np.stack([zeros, ones, -dv], 1)])
    b = np.concatenate([du * world[:, 2] - f * world[:, 0], dv * world[:, 2] - f * world[:, 1]])
    ww = np.concatenate([w, w])
    t, *_ = np.linalg.lstsq(a * ww[:, None], b * ww, rcond=None)
    return t if t[2] > 0.1 else None


def place(image: np.ndarray, world: np.ndarray, weight: np.ndarray, found: np.ndarray,
          camera: Camera) -> tuple[np.ndarray, int]:
    """Camera-frame landmarks `[D, T, 33, 3]` (x right, y down, z away; NaN where not found) and how
    many found poses could not be placed (their solution lay behind the camera)."""
    out = np.full(world.shape, np.nan)
    failed = 0
    for d, t in zip(*np.nonzero(found)):
        shift = translation(image[d, t, :, :2], world[d, t], weight[d, t], camera)
        if shift is None:
            failed += 1
            continue
        out[d, t] = world[d, t] + shift
    return out, failed


def to_room(points: np.ndarray) -> tuple[np.ndarray, dict]:
    """Camera-frame points `[D, T, J, 3]` to pasdeux's room: y up, floor at 0, dancers centred; the
    floor height and camera position found, for the notes."""
    room = points * np.array([1.0, -1.0, -1.0])  # a proper rotation (det +1): y up, z toward the camera
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # frames where a dancer is missing
        lowest = np.nanmin(room[..., list(FOOT), 1], axis=-1)
    lowest = lowest[np.isfinite(lowest)]
    floor = float(np.percentile(lowest, FLOOR_PERCENTILE)) if lowest.size else 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        centre = np.nanmean(room[..., [23, 24], :].reshape(-1, 3), axis=0)
    offset = np.array([centre[0], floor, centre[2]])
    return room - offset, {"floor": floor, "camera": -offset}

"""The rotated region of interest the landmark model looks at: built from a detection or from the previous
frame's landmarks, cut out of the frame with an affine warp, and used to map landmarks back.

The numbers are those of MediaPipe's `pose_detection_to_roi.pbtxt` and `pose_landmarks_to_roi.pbtxt`:
the centre is the first alignment point (the mid-hip), the square's side is twice the distance to the
second one, the rotation turns the vector between them to point up (90 degrees), and the square is
then enlarged 1.5 times. The crop replicates the frame's edge pixels where the square leaves the
frame, as MediaPipe's landmark graph does (its default border mode).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCALE = 1.5  # margin used when the landmark model was trained
TARGET_ANGLE = np.pi / 2


@dataclass(frozen=True)
class Roi:
    """A square region in frame pixels: centre, side length and rotation (radians; 0 is upright)."""

    cx: float
    cy: float
    size: float
    rotation: float

    def matrix(self, out_size: int) -> np.ndarray:
        """2 x 3 affine map from crop pixels `[u, v, 1]` of an `out_size` square crop to frame pixels."""
        c, s = np.cos(self.rotation), np.sin(self.rotation)
        k = self.size / out_size
        return np.array([[c * k, -s * k, self.cx - (c - s) * self.size / 2],
                         [s * k, c * k, self.cy - (s + c) * self.size / 2]])

    def to_frame(self, points: np.ndarray) -> np.ndarray:
        """Points `[N, 2]` in the crop's normalised [0, 1] units to frame pixels."""
        c, s = np.cos(self.rotation), np.sin(self.rotation)
        d = (points - 0.5) * self.size
        return np.stack([c * d[:, 0] - s * d[:, 1] + self.cx, s * d[:, 0] + c * d[:, 1] + self.cy], axis=1)

    def corners(self) -> np.ndarray:
        """The square's four corners in frame pixels `[4, 2]`."""
        return self.to_frame(np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=float))

    def box(self) -> np.ndarray:
        """Axis-aligned bounds `[x0, y0, x1, y1]` of the square in frame pixels."""
        c = self.corners()
        return np.concatenate([c.min(0), c.max(0)])


def normalize_radians(angle: float) -> float:
    """The angle wrapped into [-pi, pi)."""
    return float(angle - 2 * np.pi * np.floor((angle + np.pi) / (2 * np.pi)))


def from_alignment(centre: np.ndarray, scale_point: np.ndarray) -> Roi:
    """The region around a centre point with the size and rotation a second point encodes (pixels)."""
    d = np.asarray(scale_point, float) - np.asarray(centre, float)
    size = 2.0 * float(np.hypot(*d)) * SCALE
    rotation = normalize_radians(TARGET_ANGLE - np.arctan2(-d[1], d[0]))
    return Roi(float(centre[0]), float(centre[1]), size, rotation)


def crop(image: np.ndarray, roi: Roi, out_size: int, pil=None) -> np.ndarray:
    """The region cut out of an RGB uint8 frame as a float32 `[out_size, out_size, 3]` image in [0, 1].

    Bilinear warp of the frame (`pil`: the same frame as a PIL image, when the caller has one); crop
    pixels whose source lies outside the frame take the nearest edge pixel.
    """
    from PIL import Image

    h, w = image.shape[:2]
    m = roi.matrix(out_size)
    # PIL maps output pixel centres (x + 0.5) and reads input pixel i at i + 0.5: shift the map to match.
    m_pil = m.copy()
    m_pil[:, 2] += 0.5 - 0.5 * (m[:, 0] + m[:, 1])
    pil = pil if pil is not None else Image.fromarray(image)
    out = np.asarray(pil.transform((out_size, out_size), Image.AFFINE, tuple(m_pil.reshape(-1)),
                                   resample=Image.BILINEAR), dtype=np.float32)
    g = np.arange(out_size, dtype=np.float32)
    x = m[0, 0] * g[None, :] + m[0, 1] * g[:, None] + m[0, 2]
    y = m[1, 0] * g[None, :] + m[1, 1] * g[:, None] + m[1, 2]
    outside = (x < 0) | (x > w - 1) | (y < 0) | (y > h - 1)
    if outside.any():
        xs = np.clip(np.rint(x[outside]), 0, w - 1).astype(np.intp)
        ys = np.clip(np.rint(y[outside]), 0, h - 1).astype(np.intp)
        out[outside] = image[ys, xs]
    out *= np.float32(1 / 255)
    return out


class RegionFilter:
    """A One Euro filter on a tracked region's centre and size, as MediaPipe smooths the auxiliary points
    its pose graph tracks the region with (min cutoff 0.01 Hz, beta 1, derivative cutoff 1 Hz, on values
    measured in units of the body's size): a still dancer's region hardly moves, a fast one's follows.
    Without it a region around a body that leaves the frame inflates frame after frame."""

    MIN_CUTOFF, BETA, D_CUTOFF = 0.01, 1.0, 1.0

    def __init__(self, fps: float) -> None:
        self.dt = 1.0 / fps
        self.value: np.ndarray | None = None
        self.speed = np.zeros(3)

    def _alpha(self, cutoff: np.ndarray | float) -> np.ndarray:
        tau = 1.0 / (2 * np.pi * np.asarray(cutoff))
        return 1.0 / (1.0 + tau / self.dt)

    def reset(self, roi: Roi) -> Roi:
        """Start again from `roi` (a fresh detection)."""
        self.value, self.speed = np.array([roi.cx, roi.cy, roi.size]), np.zeros(3)
        return roi

    def __call__(self, roi: Roi) -> Roi:
        """The smoothed region for a new measurement `roi`."""
        if self.value is None:
            return self.reset(roi)
        scale = self.value[2] / 3.0  # about the distance between the two tracked points
        x = np.array([roi.cx, roi.cy, roi.size]) / scale
        prev = self.value / scale
        speed = (x - prev) / self.dt
        self.speed = self.speed + self._alpha(self.D_CUTOFF) * (speed - self.speed)
        a = self._alpha(self.MIN_CUTOFF + self.BETA * np.abs(self.speed))
        self.value = (prev + a * (x - prev)) * scale
        return Roi(float(self.value[0]), float(self.value[1]), float(self.value[2]), roi.rotation)

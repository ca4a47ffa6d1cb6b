"""Feet on the floor: foot skating (a foot near the floor that slides) and the physical foot
contact score (PFC) of EDGE (Tseng et al. 2023).

The floor is not at a fixed height in real data (video-extracted poses put it wherever the
camera did), so each window's floor is estimated as a low percentile of its lowest foot point.
Score real and generated motion in the same frame (both centred per frame, or both in world
coordinates): a foot planted while the body travels slides in the centred frame.
"""

from __future__ import annotations

import numpy as np

from pasdeux.body import body_points
from pasdeux.metrics.basic import as_windows
from pasdeux.motion import Skeleton

FOOT_ROLES = ("left_ankle", "left_foot", "right_ankle", "right_foot")
CONTACT_HEIGHT = 0.05  # metres above the floor: GMD's foot-contact height
SKATE_SPEED = 0.5  # metres per second: GMD's 2.5 cm per frame at 20 fps


def _feet(x: np.ndarray, skeleton: Skeleton, purpose: str) -> np.ndarray:
    """Foot points `[N, T, 2 sides, 2 points, 3]` (ankle and toe/foot of each side)."""
    a = as_windows(x)
    return body_points(a, skeleton, FOOT_ROLES, purpose).reshape(*a.shape[:2], 2, 2, 3)


def floor_height(x: np.ndarray, skeleton: Skeleton, percentile: float = 5.0) -> np.ndarray:
    """Estimated floor height `[N]` of each window: a low percentile of its lowest foot point per frame."""
    return _floor(_feet(x, skeleton, "the floor estimate"), percentile)


def _floor(feet: np.ndarray, percentile: float = 5.0) -> np.ndarray:
    """Floor height `[N]` from foot points `[N, T, ..., 3]`: a low percentile of the lowest point per frame."""
    lowest = feet[..., 1].reshape(*feet.shape[:2], -1).min(-1)  # [N, T]
    return np.percentile(lowest, percentile, axis=1)


def _contact_and_slide(x: np.ndarray, skeleton: Skeleton, fps: float, height: float,
                       purpose: str) -> tuple[np.ndarray, np.ndarray]:
    """Per frame pair and foot point (ankles and toes): on the floor `[N, T-1, 4]`, and horizontal speed."""
    feet = _feet(x, skeleton, purpose)
    feet = feet.reshape(*feet.shape[:2], 4, 3)
    floor = _floor(feet)[:, None, None]
    low = feet[..., 1] - floor < height  # [N, T, 4]
    # Each point is judged on its own: a dancer pivoting on the ball of the foot (toe planted, heel
    # lifted and swinging) does not skate. A pair of frames counts only if the point is low at both.
    contact = low[:, 1:] & low[:, :-1]
    speed = np.linalg.norm(np.diff(feet[..., [0, 2]], axis=1), axis=-1) * fps
    return contact, speed


def foot_metrics(x: np.ndarray, skeleton: Skeleton, fps: float = 30.0, height: float = CONTACT_HEIGHT,
                 speed: float = SKATE_SPEED) -> dict[str, float]:
    """`foot_skating_ratio` and `foot_contact_share` from one pass over the feet."""
    contact, v = _contact_and_slide(x, skeleton, fps, height, "the feet metrics")
    return {"foot_skating_ratio": float(np.mean((contact & (v > speed)).any(-1))),
            "foot_contact_share": float(np.mean(contact.any(-1)))}


def foot_skating_ratio(x: np.ndarray, skeleton: Skeleton, fps: float = 30.0, height: float = CONTACT_HEIGHT,
                       speed: float = SKATE_SPEED) -> float:
    """Share of frames in which some foot point (ankle or toe) within `height` of the floor slides
    horizontally faster than `speed` m/s."""
    return foot_metrics(x, skeleton, fps, height, speed)["foot_skating_ratio"]


def foot_contact_share(x: np.ndarray, skeleton: Skeleton, fps: float = 30.0, height: float = CONTACT_HEIGHT) -> float:
    """Share of frames in which at least one foot point is on the floor (floating motion scores low)."""
    return foot_metrics(x, skeleton, fps, height)["foot_contact_share"]


def physical_foot_contact(x: np.ndarray, skeleton: Skeleton, fps: float = 30.0) -> float:
    """EDGE's physical foot contact score (lower is more plausible), times 10^4 as EDGE reports it.

    Per frame: the root's acceleration (upward part only, since the floor can only push up; normalised
    by its maximum in the window) times, for each foot, its slower point's horizontal speed. A body that
    accelerates must have a foot planted; one that floats or skates while accelerating scores high.
    """
    feet = _feet(x, skeleton, "physical foot contact")
    a = as_windows(x)
    root = body_points(a, skeleton, ("pelvis",), "physical foot contact")[..., 0, :]
    root_a = np.diff(root, n=2, axis=1) * fps**2  # [N, T-2, 3]
    root_a[..., 1] = np.maximum(root_a[..., 1], 0)
    root_a = np.linalg.norm(root_a, axis=-1)
    root_a = root_a / np.maximum(root_a.max(1, keepdims=True), 1e-9)
    v = np.linalg.norm(np.diff(feet[..., [0, 2]], axis=1), axis=-1)[:, 1:] * fps  # [N, T-2, 2, 2]
    slowest = v.min(-1)  # the slower point of each foot
    return float(np.mean(slowest[..., 0] * slowest[..., 1] * root_a) * 1e4 / fps**2)

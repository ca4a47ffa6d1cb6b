"""Closest distance between line segments, vectorised (Ericson, Real-Time Collision Detection, 5.1.9)."""

from __future__ import annotations

import numpy as np

EPS = 1e-12


def segment_distance(p1: np.ndarray, q1: np.ndarray, p2: np.ndarray, q2: np.ndarray) -> np.ndarray:
    """Distance between segments `p1-q1` and `p2-q2` (arrays `[..., 3]`, broadcast together)."""
    d1, d2, r = q1 - p1, q2 - p2, p1 - p2
    a = np.sum(d1 * d1, -1)
    e = np.sum(d2 * d2, -1)
    f = np.sum(d2 * r, -1)
    c = np.sum(d1 * r, -1)
    b = np.sum(d1 * d2, -1)
    a_ok, e_ok = a > EPS, e > EPS
    safe_a, safe_e = np.where(a_ok, a, 1.0), np.where(e_ok, e, 1.0)
    denom = a * e - b * b
    # s on the first segment: the unclamped closest point of the two lines (0 when parallel), clamped. Parallel
    # is judged relative to the lengths (sin^2 of the angle), or two short segments at an angle would count.
    crossing = denom > EPS * a * e
    s = np.where(crossing, np.clip((b * f - c * e) / np.where(crossing, denom, 1.0), 0, 1), 0.0)
    t = (b * s + f) / safe_e
    # When t leaves [0, 1], clamp it and recompute s for that end of the second segment.
    s = np.where(t < 0, np.clip(-c / safe_a, 0, 1), np.where(t > 1, np.clip((b - c) / safe_a, 0, 1), s))
    t = np.clip(t, 0, 1)
    # Degenerate segments (points).
    s = np.where(a_ok & ~e_ok, np.clip(-c / safe_a, 0, 1), s)
    t = np.where(a_ok & ~e_ok, 0.0, t)
    s = np.where(~a_ok, 0.0, s)
    t = np.where(~a_ok, np.where(e_ok, np.clip(f / safe_e, 0, 1), 0.0), t)
    closest1 = p1 + d1 * s[..., None]
    closest2 = p2 + d2 * t[..., None]
    return np.linalg.norm(closest1 - closest2, axis=-1)

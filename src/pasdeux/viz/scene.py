"""What every view of a motion needs: the chosen dancers and frames, the ghost, colours, floor and framing.

The matplotlib renderer and the HTML viewer both start from a `Scene`, so a GIF and a viewer page of the
same call show the same clip, the same colours and the same floor.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from pasdeux.body import foot_joints
from pasdeux.errors import ConfigError, ShapeError
from pasdeux.motion import Motion, Skeleton

# Saturated, colour-blind-friendly pairs: dancers are solid, ghosts a distinct hue drawn translucent.
DANCER_COLORS = ("#1f5fbf", "#e8710a", "#2e9e44", "#8e3bbd", "#c7363d", "#11928f")
GHOST_COLORS = ("#d6246e", "#0fa3a3", "#8a6d1f", "#5c5c5c")
GHOST_ALPHA = 0.4
OUTLIER_PERCENT = 0.1  # framing ignores this share of the most extreme points on each side of each axis

@dataclass
class Scene:
    """A clip ready to draw: positions `[dancers, frames, joints, 3]` (y-up metres) plus how to show them."""

    positions: np.ndarray
    skeleton: Skeleton
    fps: float
    colors: list[str]
    labels: list[str]
    ghost: np.ndarray | None  # [ghost dancers, frames, joints, 3]; NaN beyond the ghost's end
    ghost_skeleton: Skeleton | None
    ghost_colors: list[str]
    ghost_labels: list[str]
    floor: float
    lo: np.ndarray  # framing box corners, fixed for the whole clip
    hi: np.ndarray
    t0: float  # time of the first frame shown, in seconds of the source motion
    title: str = ""
    highlight: list[np.ndarray | None] = field(default_factory=list)  # per shown dancer: joint weights in [0, 1]

    @property
    def n_frames(self) -> int:
        return self.positions.shape[1]

    def all_points(self) -> np.ndarray:
        """Every drawn point of the clip, `[n, 3]`, NaNs included."""
        pts = [self.positions.reshape(-1, 3)]
        if self.ghost is not None:
            pts.append(self.ghost.reshape(-1, 3))
        return np.concatenate(pts)


def parse_dancers(spec: str | list[int] | tuple[int, ...] | None, n: int) -> list[int]:
    """Dancer indices from `None` (all), a list, or a CLI string such as `"0,1"`."""
    if spec is None:
        return list(range(n))
    if isinstance(spec, str):
        try:
            spec = [int(s) for s in spec.replace(" ", "").split(",") if s]
        except ValueError:
            raise ConfigError(f"dancers must be comma-separated indices such as 0,1; got {spec!r}") from None
    out = [int(d) for d in spec]
    if not out:
        raise ConfigError("no dancers selected; give indices such as 0 or 0,1")
    bad = [d for d in out if not 0 <= d < n]
    if bad:
        raise ConfigError(f"dancer {bad[0]} does not exist; this motion has dancers 0..{n - 1}")
    return out


def clip(motion: Motion, start: int, frames: int | None) -> Motion:
    """Frames `[start, start + frames)`, checked against the motion's length."""
    if start < 0 or start >= motion.n_frames:
        raise ConfigError(f"start frame {start} is outside the motion (frames 0..{motion.n_frames - 1})")
    if frames is not None and frames < 1:
        raise ConfigError(f"frames must be at least 1; got {frames}")
    stop = None if frames is None else min(start + frames, motion.n_frames)
    return motion.frames(start, stop)


def retime(motion: Motion, fps: float | None) -> Motion:
    """The motion at `fps` (same real-time speed); nearest frames when gaps (NaN) forbid filtering."""
    if fps is None or abs(fps - motion.fps) < 1e-6:
        return motion
    if not (np.isfinite(fps) and fps > 0):
        raise ConfigError(f"fps must be a positive number; got {fps}")
    if not np.isnan(motion.positions).any() and motion.n_frames >= 4:
        return motion.resample(fps)
    n = max(1, int(round(motion.n_frames * fps / motion.fps)))
    idx = np.minimum(np.round(np.arange(n) * motion.fps / fps).astype(int), motion.n_frames - 1)
    return motion.with_positions(motion.positions[:, idx], f"picked nearest frames {motion.fps:g} -> {fps:g} fps",
                                 fps=float(fps))


def floor_height(positions: np.ndarray, skeleton: Skeleton) -> float:
    """Floor y: a low percentile of the lowest foot joint per frame (robust to a few bad frames)."""
    y = positions[..., foot_joints(skeleton) or list(range(skeleton.n_joints)), 1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames are expected, not a problem
        lowest = np.nanmin(y, axis=-1)
    lowest = lowest[np.isfinite(lowest)]
    if lowest.size == 0:
        raise ShapeError("every joint is missing (NaN) in the chosen frames; nothing to draw")
    return float(np.percentile(lowest, 5))


def body_height(positions: np.ndarray) -> float:
    """Typical height of a body in the clip (median over dancers and frames of its vertical extent)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        extent = np.nanmax(positions[..., 1], axis=-1) - np.nanmin(positions[..., 1], axis=-1)
    extent = extent[np.isfinite(extent)]
    return float(np.median(extent)) if extent.size else 1.7


def head_radius(positions: np.ndarray, heads: list[int]) -> float:
    """Radius of a head drawn at the centroid of `heads` that just reaches them (the neck bone meets it)."""
    fallback = 0.09 * body_height(positions) / 1.6
    if len(heads) < 2:
        return fallback
    pts = positions[..., heads, :]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        reach = np.nanmax(np.linalg.norm(pts - np.nanmean(pts, axis=-2, keepdims=True), axis=-1), axis=-1)
    reach = reach[np.isfinite(reach)]
    # Between a small and a large real head, so odd marker sets do not draw a pin head or a balloon.
    return float(np.clip(np.median(reach), 0.6 * fallback, 1.4 * fallback)) if reach.size else fallback


def parse_highlight(highlight: dict | None, motion: Motion, chosen: list[int]) -> list[np.ndarray | None]:
    """Joint weights to highlight, per shown dancer, from `{dancer: weights}` (one weight per joint, scaled so
    the largest is 1); the dancers without weights get None."""
    if not highlight:
        return []
    out = {}
    for d, w in highlight.items():
        w = np.asarray(w, np.float64)
        if not isinstance(d, int) or not 0 <= d < motion.n_dancers:
            raise ConfigError(f"highlight names dancer {d!r}; this motion has dancers 0..{motion.n_dancers - 1}")
        if w.shape != (motion.n_joints,) or not np.isfinite(w).all() or (w < 0).any():
            raise ConfigError(f"highlight weights must be {motion.n_joints} numbers >= 0, one per joint; "
                              f"got shape {w.shape}")
        out[d] = w / max(float(w.max()), 1e-12)
    return [out.get(d) for d in chosen]


def build_scene(motion: Motion, ghost: Motion | None = None, dancers=None, start: int = 0,
                frames: int | None = None, fps: float | None = None, title: str | None = None,
                highlight: dict | None = None) -> Scene:
    """Select dancers and frames, align the ghost in time, and fix floor and framing for the whole clip;
    `highlight` marks joints of some dancers (`{dancer: weight per joint}`, e.g. a leader's influence)."""
    if not isinstance(motion, Motion):
        raise ConfigError(f"expected a pasdeux.Motion to draw, got {type(motion).__name__}")
    chosen = parse_dancers(dancers, motion.n_dancers)
    m = retime(clip(motion.dancer(*chosen), start, frames), fps)
    g_pos, g_sk, g_labels = None, None, []
    if ghost is not None:
        if not isinstance(ghost, Motion):
            raise ConfigError(f"ghost must be a pasdeux.Motion, got {type(ghost).__name__}")
        # A ghost with as many dancers as the motion follows the same selection; otherwise it is shown whole.
        g_chosen = chosen if ghost.n_dancers == motion.n_dancers else list(range(ghost.n_dancers))
        g = ghost.dancer(*g_chosen)
        g_start = int(round(start * g.fps / motion.fps))  # align in seconds when the frame rates differ
        if g_start < g.n_frames:
            g_stop = None if frames is None else g_start + max(1, int(round(frames * g.fps / motion.fps)))
            g_pos = _fit_length(retime(g.frames(g_start, g_stop), m.fps).positions, m.n_frames)
        else:
            g_pos = np.full((g.n_dancers, m.n_frames, g.n_joints, 3), np.nan, np.float32)
        g_sk = g.skeleton
        g_labels = [ghost.labels[d] if ghost.labels else f"ghost {d + 1}" for d in g_chosen]
    pos = m.positions
    pts = np.concatenate([pos.reshape(-1, 3)] + ([] if g_pos is None else [g_pos.reshape(-1, 3)]))
    pts = pts[np.isfinite(pts).all(1)]
    if pts.size == 0:
        raise ShapeError("every joint is missing (NaN) in the chosen frames; nothing to draw")
    floor = floor_height(pos, m.skeleton)
    # A few broken frames (a joint flung a metre away) must not shrink every dancer in every frame.
    lo, hi = np.percentile(pts, OUTLIER_PERCENT, axis=0), np.percentile(pts, 100 - OUTLIER_PERCENT, axis=0)
    lo[1] = min(lo[1], floor)
    name = title if title is not None else " + ".join(
        part.replace("\\", "/").rsplit("/", 1)[-1] for part in motion.source.split(" + ") if part)
    return Scene(pos, m.skeleton, m.fps, [DANCER_COLORS[d % len(DANCER_COLORS)] for d in chosen],
                 [motion.label(d) for d in chosen], g_pos, g_sk,
                 [GHOST_COLORS[i % len(GHOST_COLORS)] for i in range(len(g_labels))], g_labels,
                 floor, lo.astype(np.float64), hi.astype(np.float64), start / motion.fps, name,
                 parse_highlight(highlight, motion, chosen))


def _fit_length(positions: np.ndarray, n: int) -> np.ndarray:
    """Cut or NaN-pad `[D, T, J, 3]` to `n` frames: a shorter ghost simply vanishes at its end."""
    if positions.shape[1] >= n:
        return positions[:, :n]
    pad = np.full((positions.shape[0], n - positions.shape[1], *positions.shape[2:]), np.nan, np.float32)
    return np.concatenate([positions, pad], axis=1)


"""Preparing motion for models: cleaning, canonical frame, centring, windows, splits,
augmentation and normalisation statistics."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pasdeux.body import facing_angle, leg_length, root_trajectory
from pasdeux.errors import ConfigError, ShapeError, SkeletonError
from pasdeux.geometry import centre_horizontally
from pasdeux.motion import Motion, Skeleton


# --- rotation and mirroring ------------------------------------------------------------------
def rotate_y(positions: np.ndarray, angle: np.ndarray | float) -> np.ndarray:
    """Rotate `[..., J, 3]` positions about the vertical axis by `angle` radians (broadcast over `...`)."""
    angle = np.asarray(angle, dtype=np.float64)[..., None]
    c, s = np.cos(angle), np.sin(angle)
    x, y, z = positions[..., 0], positions[..., 1], positions[..., 2]
    return np.stack([c * x + s * z, y, -s * x + c * z], axis=-1).astype(positions.dtype)


def mirror(positions: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Left/right mirror image: negate x and swap each joint with its twin."""
    if not skeleton.mirror:
        raise SkeletonError(f"skeleton {skeleton.name!r} has no left/right mirror map")
    out = positions[..., list(skeleton.mirror), :].copy()
    out[..., 0] *= -1
    return out


# --- cleaning and the canonical frame --------------------------------------------------------
def fill_gaps(motion: Motion, max_gap: int = 30) -> Motion:
    """Interpolate runs of NaN up to `max_gap` frames; longer runs stay NaN and are reported."""
    pos = motion.positions.copy()
    missing = np.isnan(pos).any(-1)  # [D, T, J]
    if not missing.any():
        return motion
    t = np.arange(motion.n_frames)
    filled, long_gaps = 0, []
    for d, j in zip(*np.nonzero(missing.any(1))):
        miss = missing[d, :, j]
        if miss.all():
            long_gaps.append(f"dancer {d} joint {motion.skeleton.joints[j]}: all {len(miss)} frames")
            continue
        for start, stop in runs(miss):
            if stop - start > max_gap:
                long_gaps.append(f"dancer {d} joint {motion.skeleton.joints[j]}: frames {start}-{stop - 1}")
                continue
            for c in range(3):
                pos[d, start:stop, j, c] = np.interp(t[start:stop], t[~miss], pos[d, ~miss, j, c])
            filled += stop - start
    note = f"filled {filled} missing joint positions by interpolation (gaps <= {max_gap} frames)"
    if long_gaps:
        note += f"; {len(long_gaps)} longer gap(s) left as NaN: " + "; ".join(long_gaps[:10])
    return motion.with_positions(pos, note)


GLITCH_SPEED = 30.0  # leg lengths per second (about 25 m/s for an adult): no body point moves this fast


def repair_glitches(motion: Motion, max_speed: float = GLITCH_SPEED, max_gap_s: float = 0.5) -> Motion:
    """Interpolate away frames in which some joint moves faster than `max_speed` leg lengths per second.

    Nothing a dancer does moves that fast. Optical mocap does: a marker-tracking failure (CMU salsa 60_13
    frames 620-634 turn the root 100 degrees in five frames and throw a foot at 105 leg lengths per second),
    or a rest pose spliced in as the first frame (every take of the CMU salsa conversions). Both frames of
    each impossible step are marked missing and refilled by `fill_gaps` (gaps up to `max_gap_s`; longer ones
    stay NaN and are reported). Use it on real data only: in generated motion such a jump is a defect to
    measure, not to hide.
    """
    pos = motion.positions
    if motion.n_frames < 2:
        return motion
    leg = leg_length(pos, motion.skeleton)
    speed = np.linalg.norm(np.diff(pos, axis=1), axis=-1).max(-1) * motion.fps / leg  # [D, T-1]
    fast = speed > max_speed  # NaN speeds (gaps) compare False
    if not fast.any():
        return motion
    bad = np.zeros(pos.shape[:2], bool)
    bad[:, 1:] |= fast
    bad[:, :-1] |= fast
    out = pos.copy()
    out[bad] = np.nan
    counts = ", ".join(f"dancer {d}: {int(n)}" for d, n in enumerate(bad.sum(1)) if n)
    marked = motion.with_positions(out, f"marked frames where a joint moved faster than {max_speed:g} leg lengths/s "
                                        f"as missing (tracking glitches; {counts} frames)")
    return fill_gaps(marked, max(1, int(round(max_gap_s * motion.fps))))


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """`[start, stop)` of each run of True in a 1-D boolean array."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]))


def face_forward(motion: Motion) -> Motion:
    """Rotate each dancer about +y so its first frame faces +z (facing normalisation)."""
    angle = facing_angle(motion.positions[:, 0], motion.skeleton)  # [D]
    root = root_trajectory(motion.positions[:, :1], motion.skeleton)  # [D, 1, 3]
    floor_root = root[:, :, None, :] * np.array([1, 0, 1], np.float32)  # horizontal part only
    out = rotate_y(motion.positions - floor_root, -angle[:, None]) + floor_root
    return motion.with_positions(out.astype(np.float32), "rotated each dancer to face +z in its first frame")


def center(positions: np.ndarray, skeleton: Skeleton, mode: str = "frame") -> np.ndarray:
    """Subtract the horizontal root: per `frame`, per `window` (its mean), or its `first` frame.

    Works on `[..., T, J, 3]`; y (height) is never changed.
    """
    root_xz = root_trajectory(positions, skeleton)[..., [0, 2]]  # [..., T, 2]
    if mode == "frame":
        return centre_horizontally(positions, root_xz)
    if mode == "window":
        return centre_horizontally(positions, root_xz.mean(-2, keepdims=True))
    if mode == "first":
        return centre_horizontally(positions, root_xz[..., :1, :])
    raise ConfigError(f"centring mode must be 'frame', 'window' or 'first', not {mode!r}")


# --- windows and splits ----------------------------------------------------------------------
def windows(positions: np.ndarray, length: int, stride: int) -> np.ndarray:
    """All windows `[N, length, ...]` of `[T, ...]` at `stride`, as a view (no copy)."""
    if length < 1 or stride < 1:
        raise ConfigError(f"window length and stride must be >= 1; got {length}, {stride}")
    if positions.shape[0] < length:
        return np.empty((0, length) + positions.shape[1:], positions.dtype)
    view = np.lib.stride_tricks.sliding_window_view(positions, length, axis=0)[::stride]
    return np.moveaxis(view, -1, 1)


def time_split(motion: Motion, fractions: tuple[float, float, float] = (0.70, 0.15, 0.15)) -> dict[str, Motion]:
    """Split every dancer by time into train/val/test spans (no shuffling, so no leakage)."""
    if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1) > 1e-6:
        raise ConfigError(f"split fractions must be three non-negative numbers summing to 1; got {fractions}")
    n = motion.n_frames
    a = int(round(fractions[0] * n))
    b = int(round((fractions[0] + fractions[1]) * n))
    return {"train": motion.frames(0, a), "val": motion.frames(a, b), "test": motion.frames(b, n)}


def solo_windows(motions: list[Motion], length: int, stride: int, centring: str = "frame") -> np.ndarray:
    """Centred windows `[N, length, J, 3]` of every dancer of every motion (each a separate solo)."""
    out = []
    for m in motions:
        for d in range(m.n_dancers):
            pos = m.positions[d]
            if np.isnan(pos).any():
                raise ShapeError(f"{m.source or 'motion'} still has missing data; run fill_gaps() first")
            if centring == "frame":  # per-frame centring commutes with windowing: do it once, copy once
                out.append(windows(center(pos, m.skeleton, "frame"), length, stride))
            else:
                w = windows(pos, length, stride)
                out.append(center(w, m.skeleton, centring) if len(w) else w)
    if sum(len(w) for w in out) == 0:
        raise ShapeError(f"no window of {length} frames fits in the data; use a shorter window")
    return np.concatenate(out).astype(np.float32, copy=False)


def leader_centred(pair: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Duet positions `[..., 2, T, J, 3]` (leader first) shifted so the leader's pelvis is at x = z = 0 in every
    frame; both dancers move by the same amount, so where the partner stands relative to the leader is kept."""
    root_xz = root_trajectory(pair[..., 0, :, :, :], skeleton)[..., [0, 2]]  # [..., T, 2]
    return centre_horizontally(pair, root_xz[..., None, :, :])


def duet_sequence(motion: Motion, leader: int = 0) -> np.ndarray:
    """The two dancers of a duet, leader first, as uncentred `[2, T, J, 3]` (checked: two dancers, no gaps)."""
    if motion.n_dancers != 2:
        raise ShapeError(f"a duet needs 2 dancers; {motion.source or 'this motion'} has {motion.n_dancers} "
                         "(pair two files of one take with pair=..., or --pair on the command line)")
    if leader not in (0, 1):
        raise ShapeError(f"the leader must be dancer 0 or 1; got {leader}")
    if np.isnan(motion.positions).any():
        raise ShapeError("the duet has missing data; run pasdeux.data.fill_gaps() first")
    return motion.positions[[leader, 1 - leader]]


def pair_windows(pair: np.ndarray, length: int, stride: int) -> np.ndarray:
    """Windows `[N, 2, length, J, 3]` of duet positions `[2, T, J, 3]` (a copy, as they are)."""
    w = windows(np.moveaxis(pair, 0, 1), length, stride)  # [N, length, 2, J, 3]
    return np.ascontiguousarray(np.moveaxis(w, 2, 1)).astype(np.float32)


def duet_windows(motion: Motion, length: int = 64, stride: int = 8, leader: int = 0) -> np.ndarray:
    """Duet windows `[N, 2, length, J, 3]` of a two-dancer motion, relative to the leader's pelvis x and z
    in each frame (`leader_centred`); the leader is dancer 0 of the output."""
    return pair_windows(leader_centred(duet_sequence(motion, leader), motion.skeleton), length, stride)


def shuffled_partners(pairs: np.ndarray, shift: int | None = None, min_gap: int | None = None,
                      seed: int = 0) -> np.ndarray:
    """Duet windows `[N, 2, T, J, 3]` (in time order) whose partner is the real partner of another window:
    real dance that does not answer this leader, placed where that partner stood relative to its own leader.

    By default window i gets the partner of window `(i + shift) mod N`, `shift` = N // 2: the duet protocol's
    `shuffled` baseline. With `min_gap`, each window instead gets the partner of a window drawn at random
    (seeded) among those at least `min_gap` windows away. One constant shift keeps the partners' phase: on a
    short span with a repeated phrase (the video duet's 9 s test span) the partner half a span away dances a
    repeat of the answer to this very phrase."""
    a = np.asarray(pairs)
    n = len(a)
    if a.ndim != 5 or a.shape[1] != 2 or n < 2:
        raise ShapeError(f"shuffling partners needs at least 2 duet windows [N, 2, T, J, 3]; got shape {a.shape}")
    if min_gap is None:
        shift = n // 2 if shift is None else int(shift)
        if shift % n == 0:
            raise ConfigError(f"a shift of {shift} windows pairs every leader with its own partner; use 1..{n - 1}")
        source = (np.arange(n) + shift) % n
    else:
        if not 0 < min_gap <= n // 2:  # the middle window needs a candidate on one side
            raise ConfigError(f"min_gap must be 1..{n // 2} windows for {n} windows; got {min_gap}")
        rng, idx = np.random.default_rng(seed), np.arange(n)
        source = np.array([rng.choice(idx[np.abs(idx - i) >= min_gap]) for i in range(n)])
    out = a.copy()
    out[:, 1] = a[source, 1]
    return out


def augment(batch: np.ndarray, skeleton: Skeleton, rng: np.random.Generator, rotate: bool = True,
            mirror_p: float = 0.5) -> np.ndarray:
    """Random rotation about +y and left/right mirroring of solo windows `[N, T, J, 3]` or duet windows
    `[N, 2, T, J, 3]`; both dancers of a duet window turn and mirror together, so their relation is kept."""
    out = batch
    if rotate:
        out = rotate_y(out, rng.uniform(-np.pi, np.pi, size=(len(out),) + (1,) * (out.ndim - 3)))
    if mirror_p > 0 and skeleton.mirror:
        flip = rng.random(len(out)) < mirror_p
        out = out.copy()
        out[flip] = mirror(out[flip], skeleton)
    return out


# --- normalisation ---------------------------------------------------------------------------
@dataclass
class NormStats:
    """Per-feature mean and std used to normalise model inputs; saved with every model."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray, min_std: float = 1e-3) -> NormStats:
        """Statistics of features on the last axis, over all other axes."""
        flat = x.reshape(-1, x.shape[-1]).astype(np.float64)
        return cls(flat.mean(0).astype(np.float32), np.maximum(flat.std(0), min_std).astype(np.float32))

    def normalize(self, x):
        return (x - self.mean) / self.std

    def denormalize(self, x):
        return x * self.std + self.mean

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> NormStats:
        mean, std = np.asarray(d["mean"], np.float32), np.asarray(d["std"], np.float32)
        if mean.shape != std.shape or not np.isfinite(mean).all() or not (std > 0).all():
            raise ShapeError("normalisation statistics are malformed (mean/std shapes or values)")
        return cls(mean, std)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict()))

    @classmethod
    def load(cls, path: str | Path) -> NormStats:
        return cls.from_dict(json.loads(Path(path).read_text()))

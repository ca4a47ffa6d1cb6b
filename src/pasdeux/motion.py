"""`Motion` and `Skeleton`: the one representation of dance that flows through pasdeux.

Positions are float32 `[dancers, frames, joints, 3]`, y-up, in metres. Readers convert on
the way in and record what they did in `Motion.notes`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

import numpy as np

from pasdeux.errors import ShapeError, SkeletonError


@dataclass(frozen=True)
class Skeleton:
    """Joint names, bones, optional parent tree and left/right mirror map."""

    name: str
    joints: tuple[str, ...]
    bones: tuple[tuple[int, int], ...]
    parents: tuple[int, ...] | None = None  # tree skeletons only; root has -1
    mirror: tuple[int, ...] = ()  # mirror[j] is j's left/right twin (itself on the midline)
    offsets: np.ndarray | None = field(default=None, compare=False, repr=False)  # rest pose, [J, 3]

    def __post_init__(self) -> None:
        n = len(self.joints)
        if len(set(self.joints)) != n:
            raise SkeletonError(f"skeleton {self.name!r} has duplicate joint names")
        for a, b in self.bones:
            if not (0 <= a < n and 0 <= b < n) or a == b:
                raise SkeletonError(f"skeleton {self.name!r}: bone ({a}, {b}) is not between two joints")
        if self.parents is not None:
            if len(self.parents) != n:
                raise SkeletonError(f"skeleton {self.name!r}: {len(self.parents)} parents for {n} joints")
            roots = [j for j, p in enumerate(self.parents) if p < 0]
            if len(roots) != 1 or any(p >= j for j, p in enumerate(self.parents) if p >= 0):
                raise SkeletonError(
                    f"skeleton {self.name!r}: parents must form one tree with every parent before its child"
                )
        if self.mirror:
            if sorted(self.mirror) != list(range(n)) or any(self.mirror[m] != j for j, m in enumerate(self.mirror)):
                raise SkeletonError(f"skeleton {self.name!r}: mirror map must be a pairing of its {n} joints")

    @classmethod
    def from_parents(cls, name: str, joints: Sequence[str], parents: Sequence[int], **kw) -> Skeleton:
        """A tree skeleton; bones run from each parent to its child."""
        bones = tuple((p, j) for j, p in enumerate(parents) if p >= 0)
        return cls(name, tuple(joints), bones, tuple(parents), **kw)

    @property
    def n_joints(self) -> int:
        return len(self.joints)

    @property
    def is_tree(self) -> bool:
        return self.parents is not None

    def index(self, joint: str) -> int:
        """Index of a joint by name (raises SkeletonError naming the skeleton's joints)."""
        try:
            return self.joints.index(joint)
        except ValueError:
            raise SkeletonError(
                f"joint {joint!r} is not in skeleton {self.name!r}; its joints are: {', '.join(self.joints)}"
            ) from None

    def find(self, *candidates: str) -> int | None:
        """Index of the first candidate name present (case-insensitive), else None."""
        lower = [j.lower() for j in self.joints]
        for c in candidates:
            if c.lower() in lower:
                return lower.index(c.lower())
        return None

    def bone_lengths(self, positions: np.ndarray) -> np.ndarray:
        """Bone lengths `[..., bones]` of positions `[..., joints, 3]`."""
        a, b = np.asarray(self.bones).T
        return np.linalg.norm(positions[..., b, :] - positions[..., a, :], axis=-1)

    def to_dict(self) -> dict:
        """JSON-safe description (used in npz metadata and model folders)."""
        d = {"name": self.name, "joints": list(self.joints), "bones": [list(b) for b in self.bones],
             "parents": list(self.parents) if self.parents is not None else None, "mirror": list(self.mirror)}
        if self.offsets is not None:
            d["offsets"] = np.asarray(self.offsets, dtype=float).tolist()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Skeleton:
        """Inverse of `to_dict`."""
        try:
            offsets = np.asarray(d["offsets"], dtype=np.float32) if d.get("offsets") is not None else None
            return cls(str(d["name"]), tuple(str(j) for j in d["joints"]),
                       tuple((int(a), int(b)) for a, b in d["bones"]),
                       tuple(int(p) for p in d["parents"]) if d.get("parents") is not None else None,
                       tuple(int(m) for m in d.get("mirror") or ()), offsets)
        except (KeyError, TypeError, ValueError, OverflowError) as e:
            raise SkeletonError(f"skeleton description is malformed ({e}); expected name, joints, bones") from None


@dataclass
class Motion:
    """Dance as float32 positions `[dancers, frames, joints, 3]` (y-up, metres) with its skeleton."""

    positions: np.ndarray
    skeleton: Skeleton
    fps: float
    source: str = ""
    notes: list[str] = field(default_factory=list)  # what readers and cleaning did, in order
    labels: tuple[str, ...] = ()  # what each dancer is ("lead", "partner", "variation 2"); empty: plain dancers
    provenance: dict = field(default_factory=dict)  # how generated motion was made (JSON-safe), kept in its file

    def __post_init__(self) -> None:
        p = np.asarray(self.positions)
        if p.ndim == 3:  # a solo given as [frames, joints, 3]
            p = p[None]
        if p.ndim != 4 or p.shape[-1] != 3:
            raise ShapeError(f"positions must be [dancers, frames, joints, 3]; got shape {p.shape}")
        if p.shape[2] != self.skeleton.n_joints:
            raise ShapeError(
                f"positions have {p.shape[2]} joints but skeleton {self.skeleton.name!r} has "
                f"{self.skeleton.n_joints}; pick the skeleton that matches the data"
            )
        if not np.issubdtype(p.dtype, np.number):
            raise ShapeError(f"positions must be numeric; got dtype {p.dtype}")
        if np.isinf(p).any():
            raise ShapeError("positions contain inf; replace them with NaN (missing) or real values")
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise ShapeError(f"fps must be a positive number; got {self.fps}")
        self.labels = tuple(str(x) for x in self.labels)
        if self.labels and len(self.labels) != p.shape[0]:
            raise ShapeError(f"{len(self.labels)} dancer labels for {p.shape[0]} dancers; give one label per dancer")
        if not isinstance(self.provenance, dict):
            raise ShapeError(f"provenance must be a dict; got {type(self.provenance).__name__}")
        try:  # it is written into files as JSON, so it must be JSON now, not when saving fails later
            json.dumps(self.provenance, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise ShapeError(f"provenance must hold JSON values (str, numbers, lists, dicts): {e}") from None
        self.positions = np.ascontiguousarray(p, dtype=np.float32)
        self.fps = float(self.fps)

    def label(self, dancer: int) -> str:
        """What dancer `dancer` is: its label, else "dancer N" (counting from 1)."""
        return self.labels[dancer] if self.labels else f"dancer {dancer % self.n_dancers + 1}"

    # --- sizes -------------------------------------------------------------------------
    @property
    def n_dancers(self) -> int:
        return self.positions.shape[0]

    @property
    def n_frames(self) -> int:
        return self.positions.shape[1]

    @property
    def n_joints(self) -> int:
        return self.positions.shape[2]

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.n_frames / self.fps

    @property
    def n_missing(self) -> int:
        """Number of (dancer, frame, joint) positions that are NaN."""
        return int(np.isnan(self.positions).any(-1).sum())

    def __repr__(self) -> str:
        return (f"Motion({self.n_dancers} dancer(s) x {self.n_frames} frames x {self.n_joints} joints, "
                f"{self.fps:g} fps, skeleton={self.skeleton.name!r}, source={self.source!r})")

    # --- selection and combination ------------------------------------------------------
    def with_positions(self, positions: np.ndarray, note: str | None = None, **changes) -> Motion:
        """A copy with new positions (and optionally other fields), keeping provenance."""
        notes = self.notes + ([note] if note else [])
        return replace(self, positions=positions, notes=notes, **changes)

    def frames(self, start: int = 0, stop: int | None = None) -> Motion:
        """Frames `[start, stop)`."""
        return self.with_positions(self.positions[:, start:stop].copy())

    def seconds(self, start: float = 0.0, stop: float | None = None) -> Motion:
        """The span `[start, stop)` in seconds."""
        s = int(round(start * self.fps))
        e = None if stop is None else int(round(stop * self.fps))
        return self.frames(s, e)

    def dancer(self, *which: int) -> Motion:
        """Only the given dancers (by index), in that order."""
        for d in which:
            if not -self.n_dancers <= d < self.n_dancers:
                raise ShapeError(f"dancer {d} does not exist; this motion has {self.n_dancers} dancer(s)")
        labels = tuple(self.labels[d] for d in which) if self.labels else ()
        return self.with_positions(self.positions[list(which)].copy(), labels=labels)

    def solos(self) -> list[Motion]:
        """Each dancer as its own one-dancer Motion."""
        return [self.dancer(d) for d in range(self.n_dancers)]

    @staticmethod
    def concat(motions: Sequence[Motion], axis: str = "time") -> Motion:
        """Join motions of one skeleton and fps along `time` or `dancers`."""
        if not motions:
            raise ShapeError("nothing to concatenate")
        first = motions[0]
        for m in motions[1:]:
            if m.skeleton.joints != first.skeleton.joints:
                raise SkeletonError(f"cannot join skeletons {first.skeleton.name!r} and {m.skeleton.name!r}")
            if abs(m.fps - first.fps) > 1e-6:
                raise ShapeError(f"cannot join {first.fps:g} fps with {m.fps:g} fps; resample() one first")
        if axis not in ("time", "dancers"):
            raise ShapeError(f"axis must be 'time' or 'dancers', not {axis!r}")
        ax = 1 if axis == "time" else 0
        try:
            pos = np.concatenate([m.positions for m in motions], axis=ax)
        except ValueError as e:
            raise ShapeError(f"cannot join along {axis}: {e}") from None
        source = " + ".join(m.source for m in motions if m.source)
        notes = [n for m in motions for n in m.notes]
        if axis == "time":
            labels = first.labels if all(m.labels == first.labels for m in motions) else ()
        else:
            labels = tuple(m.label(d) for m in motions for d in range(m.n_dancers)) \
                if any(m.labels for m in motions) else ()
        return Motion(pos, first.skeleton, first.fps, source, notes, labels)

    # --- time ---------------------------------------------------------------------------
    def resample(self, fps: float) -> Motion:
        """Resample to another frame rate with anti-aliased polyphase filtering (not frame dropping)."""
        if not (np.isfinite(fps) and fps > 0):
            raise ShapeError(f"target fps must be positive; got {fps}")
        if Fraction(fps / self.fps).limit_denominator(1000) == 1:
            return self.with_positions(self.positions.copy())
        if np.isnan(self.positions).any():
            raise ShapeError("fill missing data (pasdeux.data.fill_gaps) before resampling")
        if self.n_frames < 4:
            raise ShapeError("need at least 4 frames to resample")
        out = resample_positions(self.positions, self.fps, fps, axis=1)
        return self.with_positions(out.astype(np.float32), f"resampled {self.fps:g} -> {float(fps):g} fps",
                                   fps=float(fps))


def resample_positions(positions: np.ndarray, fps: float, target_fps: float, axis: int = 1) -> np.ndarray:
    """Positions resampled along the time `axis` from `fps` to `target_fps` with anti-aliased polyphase
    filtering (what `Motion.resample` does), as float64; the same array when the rates are equal."""
    from scipy.signal import resample_poly

    ratio = Fraction(target_fps / fps).limit_denominator(1000)
    if ratio == 1:
        return np.asarray(positions, dtype=np.float64)
    return resample_poly(np.asarray(positions, dtype=np.float64), ratio.numerator, ratio.denominator, axis=axis,
                         padtype="line")

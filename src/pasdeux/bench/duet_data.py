"""The duet protocol's data: its two blocks (the salsa takes, the video duet), their windows, leg length and the
floor the partners' feet are measured against."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from pasdeux import metrics
from pasdeux.bench.common import find_shared
from pasdeux.body import root_trajectory
from pasdeux.data import pair_windows, repair_glitches, time_split
from pasdeux.motion import Motion

TRAIN_TAKES = ("02", "03", "04", "05", "06", "07", "09", "10", "11")
VAL_TAKES, TEST_TAKES = ("12",), ("13", "14")
WINDOW, TEST_STRIDE, REAL_STRIDE, TRAIN_STRIDE = 64, 4, 2, 8
FPS = 30.0


@dataclass
class DuetData:
    """One block of the protocol: its train, validation and test duets (dancer 0 is A), at 30 fps."""

    name: str
    train: list[Motion]
    val: list[Motion]
    test: list[Motion]
    notes: list[str]

    @property
    def skeleton(self):
        return self.test[0].skeleton

    @cached_property
    def has_depth(self) -> bool:
        """Whether the dancers' pelvises move in depth (z) at all, not just across (x)."""
        flat = np.concatenate([m.positions.reshape(-1, *m.positions.shape[-2:]) for m in self.train + self.test])
        root = root_trajectory(flat, self.skeleton)
        return bool(np.ptp(root[:, 2]) > 1e-3 * np.ptp(root[:, 0]))

    @cached_property
    def leg(self) -> float:
        """The training data's leg length (mean hip-to-ankle distance, both dancers): every threshold's unit."""
        flat = np.concatenate([m.positions.reshape(-1, *m.positions.shape[-2:]) for m in self.train])
        return metrics.leg_length(flat, self.skeleton)

    def windows(self, split: str, stride: int) -> np.ndarray:
        """Uncentred pair windows `[N, 2, T, J, 3]` (A first) of a split."""
        return np.concatenate([pair_windows(m.positions, WINDOW, stride) for m in getattr(self, split)])

    def floor(self, role: int) -> float:
        """The floor under the real test partners of the dancer leading as `role` (0: A leads, B answers): the
        one height their feet, and every generated partner's, are measured against."""
        partners = np.concatenate([m.positions[1 - role] for m in self.test])
        return float(metrics.floor_height(partners[None], self.skeleton))


def _clean(motion: Motion, notes: list[str]) -> Motion:
    repaired = repair_glitches(motion.resample(FPS) if abs(motion.fps - FPS) > 1e-6 else motion)
    notes += [n for n in repaired.notes[len(motion.notes):] if "glitch" in n or "filled" in n]
    return repaired


def salsa_data(folder: str | os.PathLike | None = None) -> DuetData:
    """The salsa takes of the protocol, A (60) and B (61) of each take as one duet."""
    import pasdeux

    root = find_shared("cmu_salsa", folder)
    notes: list[str] = []

    def take(t: str) -> Motion:
        return _clean(pasdeux.load(root / f"60_{t}.bvh", pair=root / f"61_{t}.bvh"), notes)

    return DuetData("salsa", [take(t) for t in TRAIN_TAKES], [take(t) for t in VAL_TAKES],
                    [take(t) for t in TEST_TAKES], notes)


def video_data(path: str | os.PathLike | None = None) -> DuetData:
    """The video duet split by time (70 / 15 / 15 %), dancer 1 as A and dancer 2 as B."""
    import pasdeux

    notes: list[str] = []
    duet = _clean(pasdeux.load(find_shared("duet_ilya_hannah.npy", path)), notes)
    parts = time_split(duet)
    return DuetData("video", [parts["train"]], [parts["val"]], [parts["test"]], notes)

"""Following one or two people through a video, as MediaPipe's pose graph does for one.

Each dancer has a slot. A tracked dancer's region for the next frame comes from its own landmarks
(the auxiliary points), so the detector only runs while a slot is empty: at the start, after the
landmark model loses its person, or when two slots have slid onto the same person (the weaker one is
dropped). New detections that lie on a person already tracked are ignored; the rest are offered to
the empty slots, nearest to where each slot's dancer was last seen first. Identities that still get
crossed (two dancers passing each other) are repaired afterwards by `repair_swaps`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pasdeux.extract.detect import Detection, Detector
from pasdeux.extract.landmarks import LandmarkModel, Pose
from pasdeux.extract.roi import from_alignment

SAME_PERSON_IOU = 0.5  # two slots whose landmark boxes overlap this much follow one person
MIN_BOX_VIS = 0.5  # landmarks at least this visible outline the person
REDETECT_EVERY = 3  # frames between detector runs once a slot has been empty for a while
EAGER_FRAMES = 15  # ...before that, the detector runs on every frame


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two `[x0, y0, x1, y1]` boxes."""
    lo, hi = np.maximum(a[:2], b[:2]), np.minimum(a[2:], b[2:])
    inter = float(np.prod(np.clip(hi - lo, 0, None)))
    area = lambda x: float(np.prod(np.clip(x[2:] - x[:2], 0, None)))  # noqa: E731
    return inter / max(area(a) + area(b) - inter, 1e-9)


def inside(point: np.ndarray, box: np.ndarray, margin: float = 0.1) -> bool:
    """Whether a point lies in a box grown by `margin` of its size on every side."""
    pad = (box[2:] - box[:2]) * margin
    return bool(np.all(point >= box[:2] - pad) and np.all(point <= box[2:] + pad))


@dataclass
class Slot:
    """One dancer being followed."""

    pose: Pose | None = None  # in the last frame it was seen
    last_seen: int = -1
    empty_for: int = 0
    starts: list[int] = field(default_factory=list)  # frames where it was (re)found by the detector


class Tracker:
    """Frame-by-frame tracking of `n` people with a detector and a landmark model."""

    def __init__(self, detector: Detector, landmarks: LandmarkModel, n: int) -> None:
        self.detector, self.landmarks = detector, landmarks
        self.slots = [Slot() for _ in range(n)]
        self.frame = -1
        self.detector_runs = 0

    def step(self, image: np.ndarray, pil=None) -> list[Pose | None]:
        """The pose of each slot in the next frame (None where its dancer is not found)."""
        self.frame += 1
        poses: list[Pose | None] = []
        for slot in self.slots:
            tracked = slot.pose is not None and slot.last_seen == self.frame - 1
            poses.append(self.landmarks(image, slot.pose.next_roi(), pil) if tracked else None)
        self._drop_duplicates(poses)
        empty = [k for k, p in enumerate(poses) if p is None]
        if empty and self._should_detect(empty):
            self._fill_from_detections(image, pil, poses)
        for slot, pose in zip(self.slots, poses):
            if pose is None:
                slot.empty_for += 1
            else:
                slot.pose, slot.last_seen, slot.empty_for = pose, self.frame, 0
        return poses

    def _should_detect(self, empty: list[int]) -> bool:
        # A dancer just lost is searched for at once; a slot empty for long (a solo filmed with
        # dancers=2) only every few frames, so it does not double the cost of the whole video.
        waited = min(self.slots[k].empty_for for k in empty)
        return waited < EAGER_FRAMES or self.frame % REDETECT_EVERY == 0

    def _drop_duplicates(self, poses: list[Pose | None]) -> None:
        """Two slots on one person: keep the one that has followed it with more confidence."""
        for i in range(len(poses)):
            for j in range(i + 1, len(poses)):
                a, b = poses[i], poses[j]
                if a is None or b is None:
                    continue
                if box_iou(a.box(MIN_BOX_VIS), b.box(MIN_BOX_VIS)) > SAME_PERSON_IOU:
                    weaker = i if _confidence(a) < _confidence(b) else j
                    poses[weaker] = None

    def _fill_from_detections(self, image: np.ndarray, pil, poses: list[Pose | None]) -> None:
        self.detector_runs += 1
        tracked = [p for p in poses if p is not None]
        fresh = [d for d in self.detector(image)
                 if not any(inside(d.keypoints[0], p.box(MIN_BOX_VIS)) and inside(_face(d), p.box(MIN_BOX_VIS))
                            for p in tracked)]
        empty = [k for k, p in enumerate(poses) if p is None]
        for k, det in self._match(empty, fresh):
            pose = self.landmarks(image, from_alignment(det.keypoints[0], det.keypoints[1]), pil)
            if pose is None or any(box_iou(pose.box(MIN_BOX_VIS), p.box(MIN_BOX_VIS)) > SAME_PERSON_IOU
                                   for p in poses if p is not None):
                continue
            poses[k] = pose
            self.slots[k].starts.append(self.frame)

    def _match(self, empty: list[int], fresh: list[Detection]) -> list[tuple[int, Detection]]:
        """Pair empty slots with new detections: slots that lost a dancer take the nearest one first."""
        pairs, left = [], list(fresh)
        order = sorted(empty, key=lambda k: self.slots[k].pose is None)  # slots with a history first
        for k in order:
            if not left:
                break
            last = self.slots[k].pose
            if last is None:
                best = max(left, key=lambda d: d.score)
            else:
                hip = last.image[[23, 24], :2].mean(0)
                best = min(left, key=lambda d: float(np.linalg.norm(d.keypoints[0] - hip)))
            pairs.append((k, best))
            left.remove(best)
        return pairs


def _face(d: Detection) -> np.ndarray:
    return (d.box[:2] + d.box[2:]) / 2


def _confidence(p: Pose) -> float:
    return p.score * float(np.mean(p.visibility))


def repair_swaps(hips: np.ndarray, found: np.ndarray, starts: list[list[int]]) -> tuple[np.ndarray, list[int]]:
    """Undo identity crossings of two dancers: at each frame where a dancer was found again by the
    detector, swap the two dancers from there on when that joins each one's trail more closely.

    `hips` `[2, T, 2]` mid-hip pixels and `found` `[2, T]`; returns the dancer order per frame
    `[T, 2]` and the frames where it changed.
    """
    n, t = found.shape
    order = np.tile(np.arange(n), (t, 1))
    if n != 2:
        return order, []
    swapped = []
    for f in sorted({f for s in starts for f in s if f > 0}):
        cur = order[f]
        before = [_last(f, k, order, found, hips) for k in range(2)]
        after = [_first(found[cur[k]], hips[cur[k]], f) for k in range(2)]
        if any(x is None for x in before + after):
            continue
        keep = np.linalg.norm(before[0] - after[0]) + np.linalg.norm(before[1] - after[1])
        cross = np.linalg.norm(before[0] - after[1]) + np.linalg.norm(before[1] - after[0])
        if cross < 0.5 * keep:
            order[f:] = order[f:, ::-1]
            swapped.append(f)
    return order, swapped


def _last(f: int, k: int, order: np.ndarray, found: np.ndarray, hips: np.ndarray):
    """Where dancer `k` (in the order in force so far) was last seen before frame `f`."""
    for g in range(f - 1, -1, -1):
        src = order[g][k]
        if found[src, g]:
            return hips[src, g]
    return None


def _first(found_k: np.ndarray, hips_k: np.ndarray, f: int):
    seen = np.nonzero(found_k[f:])[0]
    return hips_k[f + seen[0]] if seen.size else None

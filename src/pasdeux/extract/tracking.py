"""Following people through a video, as MediaPipe's pose graph does for one.

Each person followed has a slot; there are a few more slots than dancers asked for (`pool_size`), so
that the dancers can be chosen after the whole video is seen (`identity`: the most present people).
A tracked person's region for the next frame comes from its own landmarks (the auxiliary points),
smoothed and changing by a few per cent a frame at most (where the landmark model finds no one in it, a
region RETRY_GROWTH larger is tried once), so the detector only runs while a slot is
empty (at the start; after the landmark model loses its person: then also around where it was lost;
when its landmarks jump to someone else or its costume colours change; when two slots have slid onto
the same person: the one that came from farther is dropped) and every REANCHOR_EVERY frames, when a
detection on a tracked person resets its region (regions drift when a
body leaves the frame). The whole frame is searched first; where it finds fewer new people than there
are empty slots, overlapping tiles are searched too (`Detector.scan`), at most every SCAN_EVERY_S.
New detections of a person already tracked are ignored; the rest are offered to the empty slots,
nearest to where each slot's person was last seen, and the largest first to slots that never had one.
Each (re)start of a slot is recorded: a slot's frames between two starts are one person's tracklet.
A slot keeps its person's way (where the torso's own pace over its last frames takes it, the test
`quality.identity_switches` counts a switch by): landmarks off it are someone else's (a region sliding onto a
neighbour); where the landmark model finds no one in the region, the person is looked for once more in a smaller
region where its way leads.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from pasdeux.extract.detect import Detection, Detector, merge
from pasdeux.extract.identity import RECOLOUR, appearance
from pasdeux.extract.landmarks import LandmarkModel, Pose
from pasdeux.extract.quality import OWN_JUMP, OWN_JUMP_PER_FRAME, PACE_FRAMES, off_way, own_pace, way_from
from pasdeux.extract.roi import RegionFilter, Roi, from_alignment

SAME_PERSON_IOU = 0.5  # two slots whose landmark boxes overlap this much follow one person
SAME_CENTRE = 0.15  # ...or whose visible landmarks' centres lie closer than this share of a body height
MIN_BOX_VIS = 0.5  # landmarks at least this visible outline the person
REDETECT_EVERY = 3  # frames between detector runs once a slot has been empty for a while
EAGER_FRAMES = 15  # ...before that, the detector runs on every frame
REANCHOR_EVERY = 5  # frames between detector runs that re-anchor tracked regions
SCAN_EVERY_S = 0.5  # seconds between tiled searches while the whole frame finds too few people
AROUND = 2.5  # a just-lost person is searched for in a square this many of its body heights wide
COLOUR_FRAMES = 10  # a tracked person's costume colours are those of its last this many frames
EXTRA_SLOTS = 2  # people followed beyond the dancers asked for, to choose the dancers from
HEAD = [0, 2, 5, 7, 8]  # nose, eyes and ears
TORSO = [11, 12, 23, 24]  # shoulders and hips
MAX_JUMP = 0.15  # a tracked region's centre moves at most this share of its size per frame
MAX_STEP = 0.3  # a dancer's visible landmarks move at most this share of their extent per frame
# Where the landmark model loses a tracked person in its region (a pole, a sign or another body across it), it looks
# once more in a region this much larger. On vtest.avi (30 s clips, full model) the share of the frames in view that
# the people followed are found in rose from 0.904-0.937 to 0.910-0.942 per clip (4 of 5 clips better; square, 3
# dancers 0.937 -> 0.928), the chosen dancers' lowest from 0.877 to 0.890 (mean 0.913 -> 0.930).
RETRY_GROWTH = 1.25
MAX_GROWTH = 1.08  # a tracked region may grow or shrink by at most this factor per frame
WAY_FRAMES = 3  # a person's way (where its own pace takes it) is judged once it was seen in this many recent frames
AHEAD_SIZE = 0.8  # a person lost in its region is looked for once in a region this much smaller, where its way leads


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


@dataclass(eq=False)
class Slot:
    """One dancer being followed."""

    pose: Pose | None = None  # in the last frame it was seen
    last_seen: int = -1
    empty_for: int = 0
    starts: list[int] = field(default_factory=list)  # frames where it was (re)found by the detector
    region: RegionFilter | None = None
    colours: deque = field(default_factory=lambda: deque(maxlen=COLOUR_FRAMES))  # its latest costume colours
    unseen: bool = False  # the landmark model found no one in its region this frame
    trail: deque = field(default_factory=lambda: deque(maxlen=PACE_FRAMES))  # (frame, torso centre, body height)


class Tracker:
    """Frame-by-frame tracking of `n` people with a detector and a landmark model."""

    def __init__(self, detector: Detector, landmarks: LandmarkModel, n: int, fps: float = 30.0) -> None:
        self.detector, self.landmarks = detector, landmarks
        self.slots = [Slot(region=RegionFilter(fps)) for _ in range(n)]
        self.frame = -1
        self.detector_runs = 0
        self.scans = 0
        self.scan_every = max(1, int(round(SCAN_EVERY_S * fps)))
        self._last_scan = -10**9

    def step(self, image: np.ndarray, pil=None) -> list[Pose | None]:
        """The pose of each slot in the next frame (None where its dancer is not found)."""
        self.frame += 1
        rois = [self._predict(slot) for slot in self.slots]
        detections = None
        if (any(r is None for r in rois) and self._should_detect(rois)) or self.frame % REANCHOR_EVERY == 0:
            detections = self._detect(image, rois)
            self._reanchor(rois, detections)
        poses = [None if roi is None else self._follow(image, roi, pil, slot)
                 for roi, slot in zip(rois, self.slots)]
        self._drop_duplicates(poses)
        for k, (roi, slot) in enumerate(zip(rois, self.slots)):
            if roi is not None and slot.unseen:
                poses[k] = self._ahead(image, roi, pil, slot, poses)
        lost = [r if p is not None else None for r, p in zip(rois, poses)]
        if detections is None and any(r is not None and p is None for r, p in zip(rois, poses)):
            detections = self._detect(image, lost)  # found again in the same frame where possible
        if detections and any(p is None for p in poses):
            self._fill_from_detections(image, pil, poses, detections)
        for slot, pose in zip(self.slots, poses):
            if pose is None:
                slot.empty_for += 1
                continue
            if slot.last_seen != self.frame - 1:  # (re)started: someone new, perhaps
                slot.colours.clear()
                if not self._on_way(slot, pose):
                    slot.trail.clear()
            slot.pose, slot.last_seen, slot.empty_for = pose, self.frame, 0
            slot.colours.append(appearance(image, pose.image, pose.presence))
            slot.trail.append((self.frame, torso(pose), extent(pose)))
        return poses

    def _predict(self, slot: Slot) -> Roi | None:
        """Where to look for a slot's dancer: from its landmarks in the previous frame, changing smoothly."""
        if slot.pose is None or slot.last_seen != self.frame - 1:
            return None
        return slot.region(steady(slot.pose.roi, slot.pose.next_roi()))

    def _follow(self, image: np.ndarray, roi: Roi, pil, slot: Slot) -> Pose | None:
        """The landmarks in `roi`, unless they belong to someone other than the slot's dancer: they jump, or
        the costume colours change (the region slid onto someone passing in front)."""
        pose = self.landmarks(image, roi, pil)
        if pose is None and slot.pose is not None:
            pose = self.landmarks(image, Roi(roi.cx, roi.cy, roi.size * RETRY_GROWTH, roi.rotation), pil)
        slot.unseen = pose is None
        if pose is None or slot.pose is None:
            return pose
        box = slot.pose.box(MIN_BOX_VIS)
        reach = MAX_STEP * np.hypot(*(box[2:] - box[:2]))
        # The torso too: between two people side by side the visible landmarks can stay on the dancer while
        # the shoulders and hips slide onto the neighbour (vtest.avi, 4.4 s: the torso moved 88 px, the
        # visible landmarks' centre less than the 46 px a frame allows).
        if max(np.linalg.norm(pose.centre() - slot.pose.centre()), np.linalg.norm(torso(pose) - torso(slot.pose))) \
                > reach:
            return None
        colour = appearance(image, pose.image, pose.presence)
        if len(slot.colours) >= COLOUR_FRAMES // 2 and \
                np.linalg.norm(colour - np.median(slot.colours, axis=0)) > RECOLOUR:
            return None
        return pose if self._on_way(slot, pose) else None

    def _ahead(self, image: np.ndarray, roi: Roi, pil, slot: Slot, poses: list[Pose | None]) -> Pose | None:
        """A person the landmark model lost in its region (a region too large, with someone beside it) looked for once
        more in a smaller one where its own way leads: one landmark run, only for a person seen in WAY_FRAMES recent
        frames."""
        recent = self._recent(slot)
        if len(recent) < WAY_FRAMES:
            return None
        frames, centres = np.array([e[0] for e in recent]), np.array([e[1] for e in recent])
        step = own_pace(frames, centres) * (self.frame - frames[-1])
        pose = self.landmarks(image, Roi(roi.cx + float(step[0]), roi.cy + float(step[1]), roi.size * AHEAD_SIZE,
                                         roi.rotation), pil)
        if pose is None or not self._on_way(slot, pose) or any(one_person(pose, p) for p in poses if p is not None):
            return None
        return pose

    def _recent(self, slot: Slot) -> list:
        """The slot's trail entries from the frames its way is judged over (none once it is lost for long)."""
        if not slot.trail or self.frame - slot.trail[-1][0] > 2 * PACE_FRAMES:
            return []
        return [e for e in slot.trail if slot.trail[-1][0] - e[0] < 2 * PACE_FRAMES]

    def _on_way(self, slot: Slot, pose: Pose) -> bool:
        """Whether a pose lies on the way the slot's person was going (its torso within what
        `quality.identity_switches` allows of where its own pace takes it), judged over its last WAY_FRAMES or more
        frames and by the taller body either side; True while the slot has no way."""
        recent = self._recent(slot)
        if len(recent) < WAY_FRAMES:
            return True
        frames = np.array([e[0] for e in recent])
        centres = np.array([e[1] for e in recent])
        scale = max(float(np.median([e[2] for e in recent])), extent(pose))
        start, at, pace = way_from(frames, centres, scale)
        missed = self.frame - frames[-1] - 1
        # a step short of the way (a walker stopping) up to one step beyond it (a frame the video skips) is on it
        miss = off_way(torso(pose) - at - pace * (self.frame - start - 1), 2 * pace)
        return miss <= (OWN_JUMP + OWN_JUMP_PER_FRAME * missed) * scale

    def _detect(self, image: np.ndarray, rois: list[Roi | None]) -> list[Detection]:
        """The whole frame's detections, and the tiles' too where it finds fewer new people than empty slots."""
        found = self.detector(image)
        self.detector_runs += 1
        for slot, roi in zip(self.slots, rois):  # where a person was just lost, at its own scale
            if roi is None and slot.pose is not None and slot.empty_for < EAGER_FRAMES:
                box = slot.pose.box(MIN_BOX_VIS)
                found = merge(found + self.detector.around(image, (box[:2] + box[2:]) / 2,
                                                           AROUND * (box[3] - box[1])))
                self.detector_runs += 1
        tracked = [s.pose for s, r in zip(self.slots, rois) if r is not None and s.pose is not None]
        fresh = [d for d in found if not any(same_person(d, p) for p in tracked)]
        if len(fresh) < sum(r is None for r in rois) and self.frame - self._last_scan >= self.scan_every:
            found = self.detector.scan(image, found)
            self._last_scan, self.scans = self.frame, self.scans + 1
        return found

    def _should_detect(self, rois: list[Roi | None]) -> bool:
        # A dancer just lost is searched for at once; a slot empty for long (a solo filmed with
        # dancers=2) only every few frames, so it does not double the cost of the whole video.
        waited = min(self.slots[k].empty_for for k, r in enumerate(rois) if r is None)
        return waited < EAGER_FRAMES or self.frame % REDETECT_EVERY == 0

    def _reanchor(self, rois: list[Roi | None], detections: list[Detection]) -> None:
        """Tracked regions drift when a body leaves the frame; a detection on the same dancer resets them."""
        for k, roi in enumerate(rois):
            last = self.slots[k].pose
            if roi is None or last is None:
                continue
            mine = [d for d in detections if same_person(d, last)]
            if mine:
                best = max(mine, key=lambda d: d.score)
                rois[k] = self.slots[k].region.reset(from_alignment(best.keypoints[0], best.keypoints[1]))

    def _drop_duplicates(self, poses: list[Pose | None]) -> None:
        """Two slots on one person: keep the one that has followed it with more confidence."""
        for i in range(len(poses)):
            for j in range(i + 1, len(poses)):
                a, b = poses[i], poses[j]
                if a is None or b is None:
                    continue
                if one_person(a, b):
                    poses[self._slid(i, j, a, b)] = None

    def _slid(self, i: int, j: int, a: Pose, b: Pose) -> int:
        """Of two slots on one person, the one that slid onto it (a dancer passing behind another): the one
        whose own last position is farther from it; the less confident one when neither moved."""
        last = [self.slots[k].pose for k in (i, j)]
        if all(p is not None for p in last):
            here = (a.centre() + b.centre()) / 2
            far = [float(np.linalg.norm(p.centre() - here)) for p in last]
            size = float(np.hypot(*(a.box(MIN_BOX_VIS)[2:] - a.box(MIN_BOX_VIS)[:2])))
            if abs(far[0] - far[1]) > 0.05 * size:
                return i if far[0] > far[1] else j
        return i if _confidence(a) < _confidence(b) else j

    def _fill_from_detections(self, image: np.ndarray, pil, poses: list[Pose | None],
                              detections: list[Detection]) -> None:
        tracked = [p for p in poses if p is not None]
        fresh = [d for d in detections if not any(same_person(d, p) for p in tracked)]
        empty = [k for k, p in enumerate(poses) if p is None]
        for k, det in self._match(empty, fresh):
            roi = from_alignment(det.keypoints[0], det.keypoints[1])
            pose = self.landmarks(image, roi, pil)
            if pose is None or any(one_person(pose, p) for p in poses if p is not None):
                continue
            poses[k] = pose
            self.slots[k].starts.append(self.frame)
            self.slots[k].region.reset(roi)

    def _match(self, empty: list[int], fresh: list[Detection]) -> list[tuple[int, Detection]]:
        """Pair empty slots with new detections: slots that lost a dancer take the nearest one first."""
        pairs, left = [], list(fresh)
        order = sorted(empty, key=lambda k: self.slots[k].pose is None)  # slots with a history first
        for k in order:
            if not left:
                break
            last = self.slots[k].pose
            if last is None:  # a slot that never had anyone: the largest person first
                best = max(left, key=lambda d: float(np.linalg.norm(d.keypoints[1] - d.keypoints[0])))
            else:
                best = min(left, key=lambda d: float(np.linalg.norm(_face(d) - last.centre())))
            pairs.append((k, best))
            left = [d for d in left if d is not best]
        return pairs


def steady(prev: Roi, new: Roi) -> Roi:
    """`new` with its size change limited to MAX_GROWTH and its centre move to MAX_JUMP of the size:
    a region that follows landmarks of a body partly out of frame can otherwise inflate frame after frame."""
    size = float(np.clip(new.size, prev.size / MAX_GROWTH, prev.size * MAX_GROWTH))
    move = np.array([new.cx - prev.cx, new.cy - prev.cy])
    limit = MAX_JUMP * prev.size
    if np.linalg.norm(move) > limit:
        move *= limit / np.linalg.norm(move)
    return Roi(prev.cx + float(move[0]), prev.cy + float(move[1]), size, new.rotation)


def one_person(a: Pose, b: Pose) -> bool:
    """Whether two slots' landmarks are on one person: their boxes overlap much, or their centres nearly
    meet (a body half hidden has a small box inside the other's)."""
    box = a.box(MIN_BOX_VIS)
    near = np.linalg.norm(a.centre() - b.centre()) < SAME_CENTRE * (box[3] - box[1])
    return bool(near or box_iou(box, b.box(MIN_BOX_VIS)) > SAME_PERSON_IOU)


def torso(pose: Pose) -> np.ndarray:
    """The mean pixel position of the shoulders and hips."""
    return pose.image[TORSO, :2].mean(0)


def extent(pose: Pose) -> float:
    """A body's height in pixels as `quality.identity_switches` scales it: all its landmarks, seen or not."""
    return float(pose.image[:, 1].max() - pose.image[:, 1].min())


def same_person(d: Detection, pose: Pose) -> bool:
    """Whether a detection (its box is the face) is on the person whose landmarks are `pose`."""
    return inside(pose.image[HEAD, :2].mean(0), d.box, margin=0.25)


def pool_size(dancers: int) -> int:
    """How many people to follow to choose `dancers` from."""
    return dancers + EXTRA_SLOTS


def _face(d: Detection) -> np.ndarray:
    return (d.box[:2] + d.box[2:]) / 2


def _confidence(p: Pose) -> float:
    return p.score * float(np.mean(p.visibility))


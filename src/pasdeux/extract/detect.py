"""BlazePose's person detector: SSD anchors, box and keypoint decoding, weighted non-max suppression.

The numbers are those of MediaPipe's `pose_detection_cpu.pbtxt`: a 224 x 224 letterboxed input in
[-1, 1]; 2254 anchors from 5 layers (strides 8, 16, 32, 32, 32, one aspect ratio plus the
interpolated scale, fixed anchor size); 12 numbers per anchor (box centre and size, then 4
keypoints) scaled by 224 and offset by the anchor; sigmoid scores clipped at +-100; weighted
non-max suppression at IoU 0.3. Each detection's keypoints are: 0 mid-hip centre, 1 a point whose
distance from it gives the full-body size and whose direction gives the rotation, 2 mid-shoulder
centre, 3 the same for the upper body.

The model finds people who fill much of its 224-pixel input: on real footage filmed from the back
of a room (each person a sixth to a third of the frame high) the whole frame finds almost nobody
(OpenCV's vtest.avi: 0.07 people per frame where 3 to 5 stand in view). `Detector.scan` adds
overlapping square tiles half the frame's height (25 % overlap), merged by their hip points: 3.5
people per frame on the same frames (tiles 0.75 or 0.6 of the height found 1.4 and 1.8; 0.4 found
5.2 at nearly twice the cost of 0.5), and `Detector.around` looks again where a person was just lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

INPUT = 224
STRIDES = (8, 16, 32, 32, 32)
ANCHORS_PER_LAYER = 2  # aspect ratio 1.0 and the interpolated scale (also 1.0)
SCORE_CLIP = 100.0
NMS_IOU = 0.3
MIN_SCORE = 0.5
TILE = 0.5  # tile side as a share of the frame's short side
TILE_OVERLAP = 0.25
SAME_HIPS = 0.5  # detections whose hip points lie closer than this share of their body size are one person


@dataclass(eq=False)
class Detection:
    """A detected person in image pixels: box `[x0, y0, x1, y1]` (the face), 4 keypoints `[4, 2]`, score."""

    box: np.ndarray
    keypoints: np.ndarray
    score: float


@lru_cache(maxsize=1)
def anchors() -> np.ndarray:
    """Anchor centres `[2254, 2]` (x, y in [0, 1]) in the model's output order; their size is fixed at 1."""
    out, layer = [], 0
    while layer < len(STRIDES):
        stride, last = STRIDES[layer], layer
        while last < len(STRIDES) and STRIDES[last] == stride:  # layers of one stride share a grid
            last += 1
        size = int(np.ceil(INPUT / stride))
        per_cell = ANCHORS_PER_LAYER * (last - layer)
        ys, xs = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
        centres = np.stack([(xs + 0.5) / size, (ys + 0.5) / size], axis=-1).reshape(-1, 1, 2)
        out.append(np.repeat(centres, per_cell, axis=1).reshape(-1, 2))
        layer = last
    return np.concatenate(out).astype(np.float32)


def letterbox(image: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """The image fitted into 224 x 224 with black bars, as the model's input in [-1, 1], plus the
    scale and the left/top padding (pixels of the 224 image)."""
    from PIL import Image

    h, w = image.shape[:2]
    scale = INPUT / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    small = np.asarray(Image.fromarray(image).resize((nw, nh), Image.BILINEAR))
    pad_x, pad_y = (INPUT - nw) // 2, (INPUT - nh) // 2
    canvas = np.full((INPUT, INPUT, 3), -1.0, np.float32)  # zero border in [0, 255] is -1 in [-1, 1]
    canvas[pad_y:pad_y + nh, pad_x:pad_x + nw] = small.astype(np.float32) / 127.5 - 1.0
    return canvas, scale, float(pad_x), float(pad_y)


def decode(raw_boxes: np.ndarray, raw_scores: np.ndarray, min_score: float = MIN_SCORE):
    """Boxes `[N, 4]` (x0, y0, x1, y1), keypoints `[N, 4, 2]` and scores `[N]` in the 224 input's [0, 1]
    units, for anchors scoring at least `min_score`."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(raw_scores.reshape(-1).astype(np.float64), -SCORE_CLIP, SCORE_CLIP)))
    keep = np.nonzero(scores >= min_score)[0]
    raw = raw_boxes.reshape(-1, 12)[keep] / INPUT
    centre = anchors()[keep]
    c = raw[:, :2] + centre
    half = raw[:, 2:4] / 2
    boxes = np.concatenate([c - half, c + half], axis=1)
    kps = raw[:, 4:].reshape(-1, 4, 2) + centre[:, None, :]
    return boxes, kps, scores[keep]


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of box `a` `[4]` with boxes `b` `[N, 4]`."""
    lo, hi = np.maximum(a[:2], b[:, :2]), np.minimum(a[2:], b[:, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=1)
    area = lambda x: np.prod(np.clip(x[..., 2:] - x[..., :2], 0, None), axis=-1)  # noqa: E731
    return inter / np.maximum(area(a) + area(b) - inter, 1e-12)


def weighted_nms(boxes: np.ndarray, kps: np.ndarray, scores: np.ndarray, threshold: float = NMS_IOU):
    """MediaPipe's WEIGHTED suppression: each kept detection is the score-weighted mean of the boxes and
    keypoints overlapping it by more than `threshold` (its own score kept). Returns lists, best first."""
    order = np.argsort(-scores, kind="stable")
    out = []
    while order.size:
        top = order[0]
        overlap = iou(boxes[top], boxes[order]) > threshold
        group = order[overlap]
        w = scores[group][:, None]
        box = (boxes[group] * w).sum(0) / w.sum()
        kp = (kps[group] * w[:, :, None]).sum(0) / w.sum()
        out.append((box, kp, float(scores[top])))
        order = order[~overlap]
    return out


class Detector:
    """Runs the detector model on whole frames."""

    def __init__(self, interpreter, min_score: float = MIN_SCORE) -> None:
        self.it = interpreter
        self.min_score = min_score
        self.input = interpreter.get_input_details()[0]["index"]
        outs = {tuple(d["shape"]): d["index"] for d in interpreter.get_output_details()}
        self.boxes_out, self.scores_out = outs[(1, len(anchors()), 12)], outs[(1, len(anchors()), 1)]

    def __call__(self, image: np.ndarray) -> list[Detection]:
        """People in an RGB uint8 frame `[H, W, 3]`, best first, in the frame's pixel coordinates."""
        tensor, scale, pad_x, pad_y = letterbox(image)
        self.it.set_tensor(self.input, tensor[None])
        self.it.invoke()
        boxes, kps, scores = decode(self.it.get_tensor(self.boxes_out), self.it.get_tensor(self.scores_out),
                                    self.min_score)
        out = []
        for box, kp, score in weighted_nms(boxes, kps, scores):
            # From the letterboxed 224 square back to the frame (DetectionLetterboxRemoval).
            to_px = lambda p: (p * INPUT - np.array([pad_x, pad_y])) / scale  # noqa: E731
            out.append(Detection(to_px(box.reshape(2, 2)).reshape(4), to_px(kp), score))
        return out

    def scan(self, image: np.ndarray, whole: list[Detection] | None = None) -> list[Detection]:
        """People in the whole frame (`whole`, when already detected) and in overlapping tiles (see the
        module doc), best first."""
        out = list(self(image) if whole is None else whole)
        h, w = image.shape[:2]
        side = int(min(h, w) * TILE)
        for x, y in tiles(w, h, side):
            for d in self(image[y:y + side, x:x + side]):
                out.append(_shifted(d, x, y))
        return merge(out)


    def around(self, image: np.ndarray, centre: np.ndarray, side: float) -> list[Detection]:
        """People in a square of `side` pixels around `centre` (frame pixels), e.g. where someone was lost."""
        h, w = image.shape[:2]
        side = int(min(side, h, w))
        x = int(np.clip(centre[0] - side / 2, 0, w - side))
        y = int(np.clip(centre[1] - side / 2, 0, h - side))
        return [_shifted(d, x, y) for d in self(image[y:y + side, x:x + side])]


def tiles(width: int, height: int, side: int, overlap: float = TILE_OVERLAP) -> list[tuple[int, int]]:
    """Top-left corners of square tiles of `side` pixels covering a frame, overlapping by `overlap`."""
    def starts(n: int) -> np.ndarray:
        last = max(n - side, 0)
        return np.unique(np.r_[np.arange(0, last + 1, max(1, int(side * (1 - overlap)))), last])

    return [(int(x), int(y)) for y in starts(height) for x in starts(width)]


def merge(detections: list[Detection]) -> list[Detection]:
    """One detection per person, best first: those whose hip points lie within SAME_HIPS of a better
    one's body size are the same person seen in another tile."""
    keep: list[Detection] = []
    for d in sorted(detections, key=lambda d: -d.score):
        size = float(np.linalg.norm(d.keypoints[1] - d.keypoints[0]))
        if all(np.linalg.norm(d.keypoints[0] - k.keypoints[0]) > SAME_HIPS * max(size, 1.0) for k in keep):
            keep.append(d)
    return keep


def _shifted(d: Detection, x: int, y: int) -> Detection:
    return Detection(d.box + np.array([x, y, x, y]), d.keypoints + np.array([x, y]), d.score)

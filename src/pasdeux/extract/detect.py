"""BlazePose's person detector: SSD anchors, box and keypoint decoding, weighted non-max suppression.

The numbers are those of MediaPipe's `pose_detection_cpu.pbtxt`: a 224 x 224 letterboxed input in
[-1, 1]; 2254 anchors from 5 layers (strides 8, 16, 32, 32, 32, one aspect ratio plus the
interpolated scale, fixed anchor size); 12 numbers per anchor (box centre and size, then 4
keypoints) scaled by 224 and offset by the anchor; sigmoid scores clipped at +-100; weighted
non-max suppression at IoU 0.3. Each detection's keypoints are: 0 mid-hip centre, 1 a point whose
distance from it gives the full-body size and whose direction gives the rotation, 2 mid-shoulder
centre, 3 the same for the upper body.
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

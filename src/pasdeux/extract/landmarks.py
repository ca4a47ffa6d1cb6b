"""BlazePose's landmark model on one region of interest: 33 landmarks in the frame and in metres.

The decoding follows MediaPipe's `pose_landmark_by_roi_cpu.pbtxt`: a 256 x 256 crop in [0, 1]; 39
landmarks of 5 numbers (x, y, z in crop pixels, then visibility and presence logits, through a
sigmoid); a pose-presence flag thresholded at 0.5; each landmark's x, y refined from the 64 x 64
heatmap (the sigmoid-weighted mean over a 7 x 7 kernel where its peak is at least 0.5); landmarks
mapped back from the crop to the frame; and 39 x 3 world landmarks in metres, hip-centred, turned by
the region's rotation so they share the frame's axes (x right, y down, z away from the camera).
Landmarks 33 and 34 are the auxiliary points MediaPipe tracks the region with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pasdeux.extract.roi import Roi, crop, from_alignment

INPUT = 256
N_OUT = 39  # 33 body landmarks, 2 auxiliary tracking points, 4 more the graph does not use
N_BODY = 33
PRESENCE = 0.5
HEATMAP_KERNEL = 7
MIN_REFINE = 0.5


@dataclass(eq=False)
class Pose:
    """One person's landmarks in one frame."""

    image: np.ndarray  # [33, 3] frame pixels x, y and a relative depth z (pixels, smaller is nearer)
    world: np.ndarray  # [33, 3] metres, origin between the hips, frame axes (x right, y down, z away)
    visibility: np.ndarray  # [33] probability that the landmark is visible (not occluded)
    presence: np.ndarray  # [33] probability that the landmark is inside the frame
    score: float  # the model's pose-presence flag
    aux: np.ndarray  # [2, 2] the auxiliary tracking points in frame pixels
    roi: Roi  # the region the landmarks were estimated in

    def next_roi(self) -> Roi:
        """The region to look at in the next frame (MediaPipe's landmarks-to-ROI)."""
        return from_alignment(self.aux[0], self.aux[1])

    def centre(self, min_visibility: float = 0.5) -> np.ndarray:
        """Mean pixel position of the visible landmarks (all of them when none is visible enough)."""
        seen = self.visibility >= min_visibility
        return self.image[seen if seen.any() else slice(None), :2].mean(0)

    def box(self, min_visibility: float = 0.0) -> np.ndarray:
        """Axis-aligned bounds `[x0, y0, x1, y1]` of the landmarks (of those visible enough)."""
        pts = self.image[self.visibility >= min_visibility, :2] if (self.visibility >= min_visibility).any() \
            else self.image[:, :2]
        return np.concatenate([pts.min(0), pts.max(0)])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def refine_from_heatmap(xy: np.ndarray, heatmap: np.ndarray) -> np.ndarray:
    """Landmark x, y `[L, 2]` (crop units in [0, 1]) moved to the heatmap's local weighted mean where it is
    confident."""
    hh, hw, _ = heatmap.shape
    out = xy.copy()
    half = (HEATMAP_KERNEL - 1) // 2
    for i, (x, y) in enumerate(xy):
        col, row = int(x * hw), int(y * hh)
        if not (0 <= col < hw and 0 <= row < hh):
            continue
        r0, r1, c0, c1 = max(0, row - half), min(hh, row + half + 1), max(0, col - half), min(hw, col + half + 1)
        conf = _sigmoid(heatmap[r0:r1, c0:c1, i])
        total = conf.sum()
        if conf.max() >= MIN_REFINE and total > 0:
            rows, cols = np.mgrid[r0:r1, c0:c1]
            out[i] = ((cols * conf).sum() / hw / total, (rows * conf).sum() / hh / total)
    return out


class LandmarkModel:
    """Runs one of the landmark models (lite, full, heavy) on a region of a frame."""

    def __init__(self, interpreter) -> None:
        self.it = interpreter
        self.input = interpreter.get_input_details()[0]["index"]
        outs = {tuple(d["shape"][1:]): d["index"] for d in interpreter.get_output_details()}
        self.landmarks_out = outs[(N_OUT * 5,)]
        self.flag_out = outs[(1,)]
        self.heatmap_out = next(i for s, i in outs.items() if len(s) == 3 and s[-1] == N_OUT)
        self.world_out = outs[(N_OUT * 3,)]

    def __call__(self, image: np.ndarray, roi: Roi, pil=None) -> Pose | None:
        """The pose inside `roi` of an RGB uint8 frame, or None when the model sees no person there."""
        self.it.set_tensor(self.input, crop(image, roi, INPUT, pil)[None])
        self.it.invoke()
        score = float(np.asarray(self.it.get_tensor(self.flag_out)).reshape(-1)[0])
        if not score >= PRESENCE:
            return None
        raw = self.it.get_tensor(self.landmarks_out).reshape(N_OUT, 5)
        xy = refine_from_heatmap(raw[:, :2] / INPUT, self.it.get_tensor(self.heatmap_out)[0])
        frame_xy = roi.to_frame(xy)
        z = raw[:, 2:3] / INPUT * roi.size
        world = self.it.get_tensor(self.world_out).reshape(N_OUT, 3)[:N_BODY].astype(np.float64)
        c, s = np.cos(roi.rotation), np.sin(roi.rotation)
        world = np.stack([c * world[:, 0] - s * world[:, 1], s * world[:, 0] + c * world[:, 1], world[:, 2]], 1)
        return Pose(np.concatenate([frame_xy, z], 1)[:N_BODY], world, _sigmoid(raw[:N_BODY, 3]),
                    _sigmoid(raw[:N_BODY, 4]), score, frame_xy[N_BODY:N_BODY + 2], roi)

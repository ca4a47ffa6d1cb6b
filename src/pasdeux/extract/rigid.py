"""Rigid bodies: each dancer's bone lengths estimated once over the video, and every frame fitted to them.

The landmark model estimates each frame on its own, so bones stretch and shrink along a video (on
OpenCV's vtest.avi the coefficient of variation of a bone's length reached 0.5-1 before the fit),
and every model pasdeux trains is rigid. A bone's length is the median of its lengths over the frames
where both its joints are seen best (the BEST_SHARE most visible of its frames, and at least
MIN_VISIBILITY), then the project's bone-length fit (`kinematics.fix_bone_lengths`, the one used on
mocap) walks the tree from the pelvis and sets every bone to it, keeping its direction: poses and
travel are kept, lengths no longer vary. The landmarks as the model saw them stay in `run()`'s
`Extraction` (`image`, `visibility`).
"""

from __future__ import annotations

import warnings

import numpy as np

from pasdeux.kinematics import fix_bone_lengths
from pasdeux.motion import Skeleton

BEST_SHARE = 0.25  # a bone's length comes from this share of its frames where its joints are seen best
MIN_VISIBILITY = 0.5


def bone_lengths(positions: np.ndarray, confidence: np.ndarray, skeleton: Skeleton) -> tuple[np.ndarray, np.ndarray]:
    """Each dancer's bone lengths `[D, bones]` from positions `[D, T, J, 3]` and joint confidences
    `[D, T, J]`, and how many frames each length came from `[D, bones]`."""
    bones = np.array(skeleton.bones)
    length = skeleton.bone_lengths(positions)  # [D, T, bones]
    seen = np.minimum(confidence[..., bones[:, 0]], confidence[..., bones[:, 1]])  # [D, T, bones]
    seen = np.where(np.isfinite(length), seen, -1.0)
    out, used = np.full(length.shape[::2], np.nan), np.zeros(length.shape[::2], int)
    for d in range(length.shape[0]):
        for b in range(length.shape[2]):
            ok = seen[d, :, b] >= 0
            if not ok.any():
                continue
            cut = max(np.quantile(seen[d, ok, b], 1 - BEST_SHARE), MIN_VISIBILITY)
            best = ok & (seen[d, :, b] >= cut)
            best = best if best.sum() >= 3 else ok  # a bone never seen well: all its frames
            out[d, b], used[d, b] = np.median(length[d, best, b]), int(best.sum())
    return out, used


def fit(positions: np.ndarray, confidence: np.ndarray, skeleton: Skeleton) -> tuple[np.ndarray, list[str]]:
    """Positions `[D, T, J, 3]` fitted to each dancer's bone lengths, and notes saying what was done."""
    lengths, used = bone_lengths(positions, confidence, skeleton)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        before = [_cv(skeleton.bone_lengths(p)) for p in positions]
    fitted = fix_bone_lengths(positions, skeleton, np.nan_to_num(lengths, nan=0.0))
    notes = [f"dancer {d + 1}: rigid body, each bone set to one length for the whole video (the median over "
             f"the frames where its joints were seen best, {int(np.median(used[d]))} frames per bone in the median; "
             f"leg {_leg(lengths[d], skeleton):.2f} m); the model's frame-by-frame bone lengths varied by "
             f"{before[d]:.3f} (mean coefficient of variation) and are kept as the landmarks it saw "
             "(Extraction.image, .visibility)" for d in range(len(positions))]
    return fitted, notes


def _cv(lengths: np.ndarray) -> float:
    mean = np.nanmean(lengths, axis=0)
    ok = mean > 1e-9
    return float(np.nanmean(np.nanstd(lengths[:, ok], axis=0) / mean[ok])) if ok.any() else 0.0


def _leg(lengths: np.ndarray, skeleton: Skeleton) -> float:
    """Hip to ankle (left side) from bone lengths."""
    names = [("left_hip", "left_knee"), ("left_knee", "left_ankle")]
    index = {(skeleton.joints[a], skeleton.joints[b]): k for k, (a, b) in enumerate(skeleton.bones)}
    return float(sum(lengths[index[n]] for n in names if n in index))

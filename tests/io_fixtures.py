"""Builders of small, valid files of every format pasdeux reads, made from the format descriptions.

Used by the reader tests and by the fuzz test (which mutates them).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from pasdeux.io.alphapose import BOX_MARGIN
from pasdeux.skeletons import MARIEL53_JOINTS, SMPL24_JOINTS

# A standing body, y-up metres, feet at y=0: (x to the body's left, height).
SMPL_REST = {
    "pelvis": (0, 0.95), "left_hip": (0.09, 0.87), "right_hip": (-0.09, 0.87), "spine1": (0, 1.05),
    "left_knee": (0.10, 0.50), "right_knee": (-0.10, 0.50), "spine2": (0, 1.18), "left_ankle": (0.10, 0.08),
    "right_ankle": (-0.10, 0.08), "spine3": (0, 1.24), "left_foot": (0.11, 0.02), "right_foot": (-0.11, 0.02),
    "neck": (0, 1.45), "left_collar": (0.07, 1.40), "right_collar": (-0.07, 1.40), "head": (0, 1.58),
    "left_shoulder": (0.18, 1.40), "right_shoulder": (-0.18, 1.40), "left_elbow": (0.42, 1.38),
    "right_elbow": (-0.42, 1.38), "left_wrist": (0.66, 1.36), "right_wrist": (-0.66, 1.36),
    "left_hand": (0.74, 1.35), "right_hand": (-0.74, 1.35),
}
# Marker heights in mm by name stem (Vicon plug-in-gait style), x sign from the L/R prefix.
MARKER_HEIGHT = {"ARIEL": 1780, "FHD": 1700, "BHD": 1690, "C7": 1480, "CLAV": 1450, "STRN": 1300, "T10": 1250,
                 "FSH": 1440, "BSH": 1440, "UPA": 1300, "ELB": 1100, "IEL": 1090, "FRM": 950, "IWR": 860,
                 "OWR": 860, "IHAND": 800, "OHAND": 800, "FWT": 1000, "BWT": 1000, "MFWT": 990, "MBWT": 1000,
                 "THI": 700, "KNE": 500, "KNI": 500, "SHN": 300, "ANK": 80, "HEL": 50, "MT1": 30, "MT5": 30,
                 "TOE": 30}


def smpl_pose(t: float, sway: float = 0.1) -> np.ndarray:
    """A 24-joint SMPL pose at time t (seconds), y-up metres, root-relative, arms waving."""
    p = np.array([[x, y, 0.0] for x, y in (SMPL_REST[j] for j in SMPL24_JOINTS)])
    arms = [i for i, j in enumerate(SMPL24_JOINTS) if any(k in j for k in ("elbow", "wrist", "hand"))]
    p[arms, 1] += sway * np.sin(2 * np.pi * 0.5 * t) * np.abs(p[arms, 0])
    p[:, 2] += 0.05 * np.sin(2 * np.pi * t)
    return p - p[0]


def mariel_array(frames: int, seed: int = 0) -> np.ndarray:
    """A Mariel-layout `(55, frames, 3)` marker cloud in mm of a body walking a circle, raw axes (z down).

    The research's processing (drop points 26 and 53, negate z; z then up) turns it into a standing body.
    """
    rng = np.random.default_rng(seed)
    base = []
    for name in MARIEL53_JOINTS:
        stem = name if name in MARKER_HEIGHT else name[1:]
        side = {"L": 1, "R": -1}.get(name[0], 0) if stem != name else 0
        width = 120 if stem in ("FWT", "BWT", "THI", "KNE", "SHN", "ANK", "HEL", "MT1", "MT5", "TOE", "KNI") else 200
        width = 450 if stem in ("IWR", "OWR", "IHAND", "OHAND", "FRM") else width
        front = 80 if stem.startswith("F") or stem in ("CLAV", "STRN", "TOE") else -80 if "B" in stem[:1] else 0
        base.append((side * width, front, MARKER_HEIGHT[stem]))
    base = np.array(base, float)  # [53, 3] x, y (forward), z (up)
    t = np.arange(frames) / 35.0
    walk = np.stack([1000 * np.cos(0.3 * t), 1000 * np.sin(0.3 * t), 10 * np.sin(4 * t)], -1)  # [T, 3]
    pts = base[None] + walk[:, None] + rng.normal(0, 3, (frames, 53, 3))
    pts[..., 2] *= -1  # the raw files store z pointing down; the research code negates it
    junk = rng.normal(0, 500, (frames, 2, 3))
    # unnamed points at indices 26 and 53 of the 55; index 54 is the last named marker (T10)
    full = np.concatenate([pts[:, :26], junk[:, :1], pts[:, 26:52], junk[:, 1:], pts[:, 52:]], axis=1)
    return full.transpose(1, 0, 2).astype(np.float32)


def alphapose_entry(frame: int, track, pose_y_up: np.ndarray, root: np.ndarray, focal: float = 1500.0,
                    centre=(960.0, 540.0)) -> dict:
    """One AlphaPose detection of a root-relative pose placed at `root` (camera axes, y down, metres)."""
    rel = pose_y_up * np.array([1, -1, -1])  # AlphaPose gives camera axes: y down, z away
    lo, hi = rel[:, :2].min(0), rel[:, :2].max(0)
    s = root[2] / focal
    diag = np.hypot(*(hi - lo))
    w, h = (hi - lo) / diag * diag * BOX_MARGIN / s
    u, v = centre[0] + (root[0] + (lo[0] + hi[0]) / 2) / s, centre[1] + (root[1] + (lo[1] + hi[1]) / 2) / s
    return {"image_id": f"{frame}.jpg", "category_id": 1, "keypoints": [0.0] * 51, "score": 2.7,
            "box": [float(u - w / 2), float(v - h / 2), float(w), float(h)], "idx": track,
            "pred_xyz_jts": rel.round(6).tolist()}


def alphapose_duet(frames: int = 60, swap_at: int = 41, empty_frame: int = 20, third=(10, 22),
                   gap=(30, 33)) -> tuple[list[dict], np.ndarray]:
    """Two dancers (tracks 3 and 7) with an id swap, a frame with no detection, a third person and a gap.

    Returns the JSON entries and the true root positions `[2, frames, 3]` (camera axes).
    """
    entries, truth = [], np.zeros((2, frames, 3))
    for f in range(frames):
        for k, (track, x0) in enumerate(((3, -0.8), (7, 0.8))):
            root = np.array([x0 + (0.005 if k == 0 else -0.005) * f, 0.3, 5.0 + 0.01 * f])
            truth[k, f] = root
            if f == empty_frame or (k == 1 and gap[0] <= f < gap[1]):
                continue
            tid = track if f < swap_at else (7 if track == 3 else 3)
            entries.append(alphapose_entry(f, [tid] if k else tid, smpl_pose(f / 30 + k, 0.1 + 0.2 * k), root))
        if third[0] <= f < third[1] and f != empty_frame:
            entries.append(alphapose_entry(f, 9, smpl_pose(f / 30 + 5), np.array([3.0, 0.3, 7.0])))
    return entries, truth


def write_c3d(path: Path, positions_mm: np.ndarray, labels: list[str], rate: float = 100.0,
              invalid: np.ndarray | None = None, units: str = "mm", point_scale: float = -1.0) -> Path:
    """A C3D of marker positions `[frames, markers, 3]` written with the c3d package's Writer.

    A negative `point_scale` writes floats; a positive one 16-bit integers of that many units each.
    """
    import c3d

    writer = c3d.Writer(point_rate=rate, point_units=units.ljust(4), point_scale=point_scale)
    for t, frame in enumerate(positions_mm):
        pts = np.zeros((len(frame), 5), np.float32)
        pts[:, :3] = frame
        if invalid is not None:
            pts[invalid[t], 3] = -1
        writer.add_frames([(pts, np.zeros((0, 0), np.float32))])
    writer.set_point_labels(labels)
    with open(path, "wb") as f, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "No analog data found": there is none on purpose
        writer.write(f)
    return path


def small_bvh(salsa: Path, frames: int = 8) -> str | None:
    """The first frames of a real salsa BVH take, as text (None if the data is not there)."""
    take = salsa / "60_02.bvh"
    if not take.exists():
        return None
    head, motion = take.read_text().split("MOTION", 1)
    lines = motion.strip().splitlines()
    body = [ln for ln in lines if not ln.startswith(("Frames", "Frame Time"))][:frames]
    frame_time = next(ln for ln in lines if ln.startswith("Frame Time"))
    return head + f"MOTION\nFrames: {len(body)}\n{frame_time}\n" + "\n".join(body) + "\n"


def write_all(folder: Path, salsa: Path | None = None) -> dict[str, Path]:
    """One small valid file per format name of `pasdeux.io.FORMATS` (bvh only if the salsa data is given)."""
    import pasdeux
    from pasdeux.motion import Motion
    from pasdeux.skeletons import get_skeleton

    folder.mkdir(parents=True, exist_ok=True)
    poses = np.stack([smpl_pose(t / 30) for t in range(20)]).astype(np.float32)
    out = {"pose_npy": folder / "pose.npy", "mariel_npy": folder / "mariel.npy", "npz": folder / "m.npz",
           "csv": folder / "m.csv", "alphapose": folder / "alphapose-results.json", "c3d": folder / "m.c3d"}
    np.save(out["pose_npy"], poses * np.array([1, -1, -1], np.float32))
    np.save(out["mariel_npy"], mariel_array(80))
    motion = Motion(poses, get_skeleton("smpl24"), 30.0, "fixture")
    pasdeux.save(motion, out["npz"])
    pasdeux.save(motion.frames(0, 6), out["csv"])
    entries, _ = alphapose_duet(frames=12, swap_at=6, empty_frame=3, third=(4, 6), gap=(8, 9))
    out["alphapose"].write_text(json.dumps(entries))
    labels = ["LFHD", "RFHD", "C7", "LANK", "RANK"]
    write_c3d(out["c3d"], np.random.default_rng(0).normal(500, 100, (6, 5, 3)), labels)
    text = small_bvh(salsa) if salsa is not None else None
    if text is not None:
        out["bvh"] = folder / "small.bvh"
        out["bvh"].write_text(text)
    return out

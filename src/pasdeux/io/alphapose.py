"""AlphaPose 3D results (`alphapose-results.json` of the SMPL/HybrIK mode): two dancers out of the tracks.

The file is a list of detections, one per person per frame. This reader keeps the `dancers` main
tracks (most detections), follows each dancer frame to frame by nearest pose (which repairs tracker
id swaps and drops extra people), interpolates short gaps and leaves longer ones NaN. Every repair
is written to `Motion.notes`.

Placement. `pred_xyz_jts` are root-relative (metres, camera axes, y down), so each dancer is put back
in the scene from its detection box with a pinhole-camera approximation: the box spans the body, so
metres-per-pixel at the dancer is `s = body extent / box extent` (both measured as the diagonal of
the x-y extent; the box is taken as BOX_MARGIN times the joints' extent, since it also holds the top
of the head, hands and feet and the detector's padding). The root then sits at
`((u - cu) * s, (v - cv) * s, focal * s)`, where `(u, v)` is the root's pixel (box centre corrected
for where the root lies in the body) and `(cu, cv)` the centre of all boxes. Horizontal offsets do
not depend on `focal`; depth does, and is the weakest part (box size also changes with the pose).
The two dancers' relative placement survives; absolute distances are approximate. Files whose
`pred_xyz_jts` already carry a translation (AlphaPose run with the root subtraction removed: the root
joint is not at the origin) are used as given unless `placement="box"`.
"""

from __future__ import annotations

import json
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pasdeux.data import runs
from pasdeux.errors import ConfigError, FormatError
from pasdeux.io.common import read_text
from pasdeux.io.pose_npy import to_y_up
from pasdeux.motion import Motion
from pasdeux.skeletons import get_skeleton

BOX_MARGIN = 1.15  # box diagonal / joint-extent diagonal of a person (head top, hands, feet, padding)
GATE_M = 0.6  # a dancer cannot jump further than this (metres of pose distance) between frames...
GATE_PER_FRAME_M = 0.1  # ...plus this for every frame it was not seen
EXTRA_PENALTY_M = 0.3  # a detection from a minor track must be this much closer to be taken
MAX_FRAME_SPREAD = 20  # frame numbers may skip, but not by far more than the frames present
UNASSIGNED = 1e6


@dataclass
class Detection:
    """One person in one frame, placed in camera coordinates (metres, y down)."""

    frame: int
    track: int
    joints: np.ndarray  # [J, 3]


def sniff(head: bytes) -> bool:
    """A JSON list whose first object looks like an AlphaPose detection."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith(b"[") and (b'"image_id"' in text or text[1:].strip().startswith(b"]"))


def read(path: Path, fps: float = 30.0, dancers: int = 2, max_gap: int = 15, focal: float = 1500.0,
         placement: str = "auto") -> Motion:
    """Read AlphaPose results as a `dancers`-dancer Motion; `max_gap` frames are filled by interpolation.

    `placement`: "box" places root-relative poses from their boxes, "given" keeps the joints as they are,
    "auto" picks "box" when every pose has its root at the origin.
    """
    if dancers < 1:
        raise ConfigError(f"dancers must be >= 1; got {dancers}")
    if max_gap < 0 or not focal > 0:
        raise ConfigError(f"max_gap must be >= 0 and focal > 0; got {max_gap}, {focal}")
    if placement not in ("auto", "box", "given"):
        raise ConfigError(f"placement must be 'auto', 'box' or 'given'; got {placement!r}")
    raw = _parse(path)
    n_joints = raw[0]["joints"].shape[0]
    relative = all(np.abs(e["joints"][0]).max() < 1e-3 for e in raw)
    use_box = placement == "box" or (placement == "auto" and relative)
    dets = _place(raw, focal) if use_box else [Detection(e["frame"], e["track"], e["joints"]) for e in raw]
    first, last = min(d.frame for d in dets), max(d.frame for d in dets)
    n_frames = last - first + 1
    if n_frames > MAX_FRAME_SPREAD * len({d.frame for d in dets}) + 1000:
        raise FormatError(f"{path}: image ids run from {first} to {last} but only "
                          f"{len({d.frame for d in dets})} frames hold detections; are the ids frame numbers?")
    notes = [f"read {len(dets)} AlphaPose detections of frames {first}-{last} from {path.name} "
             f"(frame numbers below are image numbers; output frame 0 is image {first})",
             "placed each dancer from its box (pinhole approximation: horizontal offsets reliable, "
             f"depth approximate, focal={focal:g} px)" if use_box else
             "pred_xyz_jts carry their own translation (root not at the origin): used as given"]
    pos, track_notes = _track(dets, first, n_frames, n_joints, dancers)
    notes += track_notes
    empty = sorted(set(range(first, last + 1)) - {d.frame for d in dets})
    if empty:
        notes.append(f"{len(empty)} frame(s) have no detection at all: {_spans(empty)}")
    pos, gap_notes = _fill(pos, max_gap, first)
    notes += gap_notes
    pos, note = to_y_up(pos, "y_down")
    notes.append(note)
    skeleton = get_skeleton("smpl24" if n_joints == 24 else "hybrik29")
    return Motion(pos, skeleton, fps, str(path), notes)


# --- parsing ---------------------------------------------------------------------------------
def _parse(path: Path) -> list[dict]:
    """Validated detections: frame number, track id, joints [J, 3] and box [x, y, w, h]."""
    try:
        data = json.loads(read_text(path, "AlphaPose JSON"))
    except (json.JSONDecodeError, RecursionError) as e:
        raise FormatError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(data, list):
        raise FormatError(f"{path}: expected a JSON list of detections (AlphaPose's alphapose-results.json), "
                          f"got a JSON {type(data).__name__}")
    if not data:
        raise FormatError(f"{path}: no detections (the list is empty)")
    out = [_entry(e, i, path) for i, e in enumerate(data)]
    sizes = Counter(e["joints"].shape[0] for e in out)
    if len(sizes) > 1:
        raise FormatError(f"{path}: detections have different joint counts {dict(sizes)}")
    return out


def _entry(e: object, i: int, path: Path) -> dict:
    where = f"{path}: detection {i}"
    if not isinstance(e, dict):
        raise FormatError(f"{where} is not an object")
    missing = [k for k in ("image_id", "box", "idx", "pred_xyz_jts") if k not in e]
    if missing:
        raise FormatError(f"{where} lacks {', '.join(missing)}; is this AlphaPose's 3D (SMPL) output? "
                          "2D results have no pred_xyz_jts")
    try:
        joints = np.asarray(e["pred_xyz_jts"], dtype=np.float64)
        box = np.asarray(e["box"], dtype=np.float64)
    except (ValueError, TypeError, OverflowError):
        raise FormatError(f"{where}: pred_xyz_jts and box must be lists of numbers") from None
    if joints.shape not in ((24, 3), (29, 3)) or box.shape != (4,):
        raise FormatError(f"{where}: pred_xyz_jts must be 24x3 (or 29x3) and box [x, y, w, h]; got "
                          f"{joints.shape} and {box.shape}")
    if not (np.isfinite(joints).all() and np.isfinite(box).all() and np.abs(joints).max() < 1e4
            and np.abs(box).max() < 1e7):
        raise FormatError(f"{where}: pred_xyz_jts or box holds non-finite or absurd values")
    if box[2] <= 0 or box[3] <= 0:
        raise FormatError(f"{where}: box width and height must be positive; got {box[2]:g} x {box[3]:g}")
    return {"frame": _frame_number(e["image_id"], where), "track": _track_id(e["idx"], where),
            "joints": joints, "box": box}


def _frame_number(image_id: object, where: str) -> int:
    if isinstance(image_id, int) and not isinstance(image_id, bool) and 0 <= image_id < 10**9:
        return image_id
    digits = re.findall(r"\d+", str(image_id)) if isinstance(image_id, str) else []
    if not digits or len(digits[-1]) > 9:
        raise FormatError(f"{where}: image_id {str(image_id)[:40]!r} names no frame number (like '12.jpg')")
    return int(digits[-1])


def _track_id(idx: object, where: str) -> int:
    value = idx[0] if isinstance(idx, list) and idx else idx
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise FormatError(f"{where}: idx {str(idx)[:40]} is not a track id (an int or a list of ints)")
    return value


# --- placement -------------------------------------------------------------------------------
def _place(raw: list[dict], focal: float) -> list[Detection]:
    """Root-relative joints moved to their camera position estimated from the box (see module doc)."""
    boxes = np.array([e["box"] for e in raw])
    cu = (boxes[:, 0].min() + (boxes[:, 0] + boxes[:, 2]).max()) / 2
    cv = (boxes[:, 1].min() + (boxes[:, 1] + boxes[:, 3]).max()) / 2
    out = []
    for e in raw:
        j, (x, y, w, h) = e["joints"], e["box"]
        lo, hi = j[:, :2].min(0), j[:, :2].max(0)
        extent = max(float(np.hypot(*(hi - lo))), 1e-3)
        s = extent * BOX_MARGIN / float(np.hypot(w, h))  # metres per pixel at the dancer
        mid = (lo + hi) / 2  # where the box centre lies, relative to the root, in metres
        root_u, root_v = x + w / 2 - mid[0] / s, y + h / 2 - mid[1] / s
        root = np.array([(root_u - cu) * s, (root_v - cv) * s, focal * s])
        out.append(Detection(e["frame"], e["track"], j + root))
    return out


# --- tracking --------------------------------------------------------------------------------
def _pose_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Root distance in the image plane plus mean root-relative joint distance (depth is too noisy)."""
    shape = np.linalg.norm((a - a[0]) - (b - b[0]), axis=-1).mean()
    return float(np.linalg.norm(a[0, :2] - b[0, :2]) + shape)


def _track(dets: list[Detection], first: int, n_frames: int, n_joints: int, n_dancers: int):
    """Assign detections to dancers frame by frame (Hungarian on pose distance); notes of each repair."""
    from scipy.optimize import linear_sum_assignment  # imported here: sniffing a .json must stay fast

    counts = Counter(d.track for d in dets)
    main = [t for t, _ in counts.most_common(n_dancers)]
    pos = np.full((n_dancers, n_frames, n_joints, 3), np.nan)
    last_pose: list[np.ndarray | None] = [None] * n_dancers
    last_seen = [0] * n_dancers
    last_track = list(main) + [None] * (n_dancers - len(main))
    by_frame: dict[int, list[Detection]] = {}
    for d in dets:
        by_frame.setdefault(d.frame, []).append(d)
    dropped: Counter = Counter()
    events: list[tuple[int, dict[int, tuple[int, int]]]] = []
    for frame in sorted(by_frame):
        cands = by_frame[frame]
        cost = np.array([[_cost(k, c, frame, main, last_pose, last_seen) for c in cands]
                         for k in range(n_dancers)])
        rows, cols = linear_sum_assignment(cost)
        taken, changes = set(), {}
        for k, i in zip(rows, cols, strict=True):
            if cost[k, i] >= UNASSIGNED:
                continue
            c = cands[i]
            taken.add(i)
            pos[k, frame - first] = c.joints
            last_pose[k], last_seen[k] = c.joints, frame
            if last_track[k] is not None and c.track != last_track[k]:
                changes[k] = (last_track[k], c.track)
            last_track[k] = c.track
        for i, c in enumerate(cands):
            if i not in taken:
                dropped[c.track] += 1
        if changes:
            events.append((frame, changes))
    order = _left_to_right(pos)
    rank = {int(k): i for i, k in enumerate(order)}
    pos = pos[order]
    starts = ", ".join(str(main[k]) for k in order if k < len(main))
    notes = [f"dancer 1 is track {starts}" if n_dancers == 1 else
             f"dancers 1-{n_dancers} (left to right) start as tracks {starts}, the tracks with most detections"]
    notes += [_event_note(frame, {rank[k]: ch for k, ch in changes.items()}) for frame, changes in events]
    notes += [f"dropped person (track {t}) in {n} frame(s)" for t, n in sorted(dropped.items())]
    return pos, notes


def _left_to_right(pos: np.ndarray) -> np.ndarray:
    """Dancer order by median horizontal root position (ids may have swapped, so not by track id)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a dancer who never appears has no median
        x = np.nanmedian(pos[:, :, 0, 0], axis=1)
    return np.argsort(np.nan_to_num(x, nan=np.inf), kind="stable")


def _cost(k: int, c: Detection, frame: int, main: list[int], last_pose: list, last_seen: list) -> float:
    if last_pose[k] is None:  # a dancer starts on its own main track
        return 0.0 if k < len(main) and c.track == main[k] else UNASSIGNED
    d = _pose_distance(last_pose[k], c.joints)
    if d > GATE_M + GATE_PER_FRAME_M * (frame - last_seen[k] - 1):
        return UNASSIGNED
    return d + (0.0 if c.track in main else EXTRA_PENALTY_M)


def _event_note(frame: int, changes: dict[int, tuple[int, int]]) -> str:
    pairs = {(old, new) for old, new in changes.values()}
    if len(changes) == 2 and all((new, old) in pairs for old, new in pairs):
        a, b = sorted(next(iter(pairs)))
        return f"frame {frame}: the tracker swapped ids {a} and {b}; swapped them back (nearest-pose matching)"
    return "; ".join(f"frame {frame}: dancer {k + 1} continues on track {new} (was {old})"
                     for k, (old, new) in sorted(changes.items()))


# --- gaps ------------------------------------------------------------------------------------
def _fill(pos: np.ndarray, max_gap: int, first: int) -> tuple[np.ndarray, list[str]]:
    """Interpolate each dancer's missing frames up to `max_gap`; report longer and edge gaps."""
    notes = []
    t = np.arange(pos.shape[1])
    for k in range(pos.shape[0]):
        seen = ~np.isnan(pos[k]).any((-2, -1))
        if not seen.any():
            notes.append(f"dancer {k + 1} never appears: all frames missing")
            continue
        filled, left = [], []
        for start, stop in runs(~seen):
            interior = start > 0 and stop < len(seen)
            if interior and stop - start <= max_gap:
                for j in range(pos.shape[2]):
                    for c in range(3):
                        pos[k, start:stop, j, c] = np.interp(t[start:stop], t[seen], pos[k, seen, j, c])
                filled.append((start, stop))
            else:
                left.append((start, stop))
        if filled:
            n = sum(b - a for a, b in filled)
            notes.append(f"filled {n} missing frame(s) of dancer {k + 1} by interpolation: "
                         + _spans_of(filled, first))
        if left:
            n = sum(b - a for a, b in left)
            notes.append(f"dancer {k + 1} missing in {n} frame(s) left as NaN (gaps longer than max_gap={max_gap} "
                         "or at the start/end): " + _spans_of(left, first))
    return pos.astype(np.float32), notes


def _spans_of(runs: list[tuple[int, int]], first: int, limit: int = 10) -> str:
    text = ", ".join(f"{a + first}" if b - a == 1 else f"{a + first}-{b - 1 + first}" for a, b in runs[:limit])
    return text + (f" and {len(runs) - limit} more" if len(runs) > limit else "")


def _spans(frames: list[int]) -> str:
    mask = np.zeros(frames[-1] - frames[0] + 1, bool)
    mask[np.asarray(frames) - frames[0]] = True
    return _spans_of(runs(mask), frames[0])

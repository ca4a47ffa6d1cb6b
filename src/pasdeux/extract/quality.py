"""How well an extraction holds on real footage, without hand labels: what `pasdeux bench extract` reports.

- **found**: the share of frames each followed person is found in, over the whole clip and over its
  span (from the first to the last frame it is found: people walk into and out of a real clip).
- **found where fully visible** (`found_visible`, the protocol's found share): the same share over the
  frames of the span in which the person's whole body is inside the frame: its landmark box (the landmarks
  the model places outside the frame included; over frames it was missed, interpolated from the frames
  around) within the frame's edges. People walking into and out of a clip are partly outside it for a
  while; people hidden behind others stay counted (no hand labels say when).
- **found where no one else may hide it** (`found_unhidden`): the same share over the frames of
  `found_visible` in which no other person followed (a dancer or not) overlaps it: covering HIDDEN_SHARE of
  its box (interpolated over its misses) without standing clearly behind it (the camera looks down on one
  floor, so feet higher in the frame are farther; two people side by side at one depth may hide each other,
  and nothing tells which is in front, so both count as possibly hidden). Without hand labels this still
  counts as visible the frames hidden by things (a pole, a sign) or by people the tracker did not follow.
- **identity switches**: frames where a followed person's image position (its torso's centre) jumps
  farther than a person can move: more than `JUMP` of its body height, plus `JUMP_PER_FRAME` for every
  frame it was missed in between (jumps within 2 frames of one another count once: a slide through a
  mixed frame); or lands off its own way and stays off it: two people passing close are nearer than
  that, and a track that slides from one onto the other jumps by less (vtest.avi, lite model, 8 s window,
  2.3 s: 0.3 body heights over two frames, where its man walked 0.05 a frame). Its way is where its pace
  over its last PACE_FRAMES found frames takes it; a jump counts where its position in PERSIST found
  frames in a row lies farther than `OWN_JUMP` body heights (plus `OWN_JUMP_PER_FRAME` per frame missed
  in between) off that way: a single bad landmark frame comes back to it, and a frame the video skips
  (vtest.avi drops one at 21.8, 22.2 and 22.5 s: a step twice as long for everyone) is one more step along
  it, allowed. Jumps off the way within PACE_FRAMES of a jump count once (the pace then measures the jump).
- **floor flatness**: in every frame, the lower foot's lowest point (ankle, heel or toe) is the
  planted one for people walking or standing; the spread of those heights over the whole clip (their
  standard deviation, the range from the 5th to the 95th percentile, and BENCHMARK.md's figure: the 10th
  to the 50th percentile) is how far the feet are from standing on one floor. The extraction's last step
  stands every frame's lower foot on the floor, so after it the spread is 0 by construction;
  `floor_before_last_step` is the honest figure: the spread
  once each pose was stood on the fitted floor, fitted to its rigid bones and smoothed (how far the
  smoothed, rigid body would leave the floor without that step).
- **bone-length variation**: `metrics.bone_cv` per dancer (0 for a rigid body).
"""

from __future__ import annotations

import warnings

import numpy as np

from pasdeux.metrics import bone_cv

HIDDEN_SHARE = 0.1  # share of a person's box another person's box must cover to hide part of it...
NEARER = 0.05  # ...unless that one stands behind: its feet higher in the frame by this share of the person's height
SAME_BOX = 0.5  # boxes overlapping more (intersection over union) are the person itself, not another
JUMP = 0.5  # body heights a person's image centre may move from one frame to the next
JUMP_PER_FRAME = 0.1  # ...and this much more for each frame missed in between
OWN_JUMP = 0.14  # body heights a person's centre may lie off the way its own pace takes it...
OWN_JUMP_PER_FRAME = 0.03  # ...and this much more for each frame missed in between
PACE_FRAMES = 5  # found frames (within twice as many frames) a person's pace is measured over
PERSIST = 2  # found frames in a row that must lie off the way: one bad landmark frame comes back to it
FEET = ("left_ankle", "right_ankle", "left_heel", "right_heel", "left_foot_index", "right_foot_index")


def found_shares(found: np.ndarray) -> tuple[list[float], list[float]]:
    """Per dancer, the share of all frames and the share of its span in which it was found."""
    whole, span = [], []
    for f in found:
        seen = np.nonzero(f)[0]
        whole.append(round(float(f.mean()), 3))
        span.append(round(float(f[seen[0]:seen[-1] + 1].mean()), 3) if seen.size else 0.0)
    return whole, span


def landmark_boxes(image: np.ndarray) -> np.ndarray:
    """`[..., 4]` bounds `x0, y0, x1, y1` of frame landmarks `[..., 33, >=2]` (NaN where none)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.concatenate([np.nanmin(image[..., :2], axis=-2), np.nanmax(image[..., :2], axis=-2)], -1)


def span_boxes(image: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Per dancer and frame `[D, T, 4]` its landmark box, interpolated over the frames it was missed in between
    its first and last found frame; NaN outside that span."""
    box = landmark_boxes(image)
    out = np.full(box.shape, np.nan)
    t = np.arange(found.shape[1])
    for d, f in enumerate(found):
        seen = np.nonzero(f & np.isfinite(box[d]).all(-1))[0]
        if seen.size:
            span = t[seen[0]:seen[-1] + 1]
            out[d, span] = np.stack([np.interp(span, seen, box[d, seen, k]) for k in range(4)], -1)
    return out


def inside_frame(image: np.ndarray, found: np.ndarray, width: int, height: int) -> np.ndarray:
    """Per dancer and frame `[D, T]`: whether its whole body lies inside the frame (see the module doc), from
    frame landmarks `[D, T, 33, >=2]`; False outside its span."""
    b = span_boxes(image, found)
    with np.errstate(invalid="ignore"):
        return (b[..., 0] >= 0) & (b[..., 1] >= 0) & (b[..., 2] <= width) & (b[..., 3] <= height)


def hidden_by_others(image: np.ndarray, found: np.ndarray, people: np.ndarray) -> np.ndarray:
    """Per dancer and frame `[D, T]`: whether another person may hide part of it (see the module doc): someone
    followed (`people` `[S, T, 4]`, the landmark boxes of everyone followed) covers at least HIDDEN_SHARE of its
    (interpolated) box and does not stand clearly behind it (feet higher in the frame by NEARER of its height)."""
    mine = span_boxes(image, found)[:, None]  # [D, 1, T, 4]
    other = people[None]  # [1, S, T, 4]
    with np.errstate(invalid="ignore"):
        size = np.prod(np.clip(mine[..., 2:] - mine[..., :2], 1e-9, None), -1)
        lo, hi = np.maximum(mine[..., :2], other[..., :2]), np.minimum(mine[..., 2:], other[..., 2:])
        inter = np.prod(np.clip(hi - lo, 0, None), -1)  # [D, S, T]
        union = size + np.prod(np.clip(other[..., 2:] - other[..., :2], 0, None), -1) - inter
        itself = inter / union > SAME_BOX  # the person's own box (or a slot on it the cast left out)
        not_behind = other[..., 3] > mine[..., 3] - NEARER * (mine[..., 3] - mine[..., 1])
        return ((inter / size >= HIDDEN_SHARE) & not_behind & ~itself).any(1)


def found_where_visible(found: np.ndarray, visible: np.ndarray) -> list[float | None]:
    """Per dancer, the share of the frames it is fully visible in that it was found in."""
    return [round(float(f[v].mean()), 3) if v.any() else None for f, v in zip(found, visible)]


def identity_switches(image: np.ndarray, found: np.ndarray) -> list[list[int]]:
    """Per dancer, the frames where its image position `image` `[D, T, 33, 3]` jumps (see the module doc)."""
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for pts, f in zip(image, found):
            centre = np.nanmean(pts[:, [11, 12, 23, 24], :2], axis=1)
            height = np.nanmax(pts[..., 1], axis=1) - np.nanmin(pts[..., 1], axis=1)
            seen = np.nonzero(f & np.isfinite(centre).all(1))[0]
            jumps: list[int] = []
            for i in range(1, len(seen)):
                a, b = seen[i - 1], seen[i]
                scale = np.nanmedian(height[[a, b]])
                far = np.linalg.norm(centre[b] - centre[a]) > (JUMP + JUMP_PER_FRAME * (b - a - 1)) * scale
                if far and not (jumps and b - jumps[-1] <= 2):  # a jump through a mixed frame is one switch
                    jumps.append(int(b))
                elif off_own_way(centre, height, seen, i) and not (jumps and b - jumps[-1] <= PACE_FRAMES):
                    jumps.append(int(b))
            out.append(jumps)
    return out


def off_own_way(centre: np.ndarray, height: np.ndarray, seen: np.ndarray, i: int) -> bool:
    """Whether the person's centre `[T, 2]` lands off the way its own pace takes it at its found frame `seen[i]`
    and stays off it for PERSIST found frames in a row (see the module doc)."""
    a = seen[i - 1]
    before = seen[max(0, i - PACE_FRAMES):i]
    before = before[before >= a - 2 * PACE_FRAMES]
    after = seen[i:i + PERSIST]
    if len(after) < PERSIST or after[-1] - after[0] >= 2 * PERSIST:
        return False
    scale = float(np.nanmedian(height[before]))
    start, at, pace = way_from(before, centre[before], scale)
    for j in after:
        missed = (j - a - 1) - int(np.count_nonzero((seen > a) & (seen < j)))
        if off_way(centre[j] - at - pace * (j - start), pace) <= (OWN_JUMP + OWN_JUMP_PER_FRAME * missed) * scale:
            return False
    return True


def way_from(frames: np.ndarray, centre: np.ndarray, scale: float) -> tuple[int, np.ndarray, np.ndarray]:
    """Where a person's way goes on from, seen at its found `frames` with centres `centre` `[F, 2]`: the frame and
    centre it starts from and its pace. It starts from the last frame, unless that one lies off the line through all
    of them (the median) by more than OWN_JUMP of `scale` (a bad frame it comes back from); then from the one before."""
    pace = own_pace(frames, centre)
    line = np.median(centre + pace * (frames[-1] - frames)[:, None], axis=0)
    k = -2 if len(frames) > 1 and off_way(centre[-1] - line, pace) > OWN_JUMP * scale else -1
    return int(frames[k]), centre[k], pace


def own_pace(frames: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Pixels per frame a person moves: the median slope over pairs of its found frames (one bad frame does
    not move it)."""
    if len(frames) < 2:
        return np.zeros(2)
    i, j = np.triu_indices(len(frames), 1)
    return np.median((centre[j] - centre[i]) / (frames[j] - frames[i])[:, None], axis=0)


def off_way(miss: np.ndarray, pace: np.ndarray) -> float:
    """How far (pixels) a person lies from where its pace `pace` took it, `miss` away, allowing one more step along
    the way (a frame the video skipped)."""
    speed = float(np.linalg.norm(pace))
    if speed > 0:
        way = pace / speed
        miss = miss - way * np.clip(miss @ way, 0.0, speed)
    return float(np.linalg.norm(miss))


def planted_heights(positions: np.ndarray, skeleton) -> np.ndarray:
    """The lower foot's lowest point's height `[T]` of one dancer `[T, J, 3]` (NaN where not placed)."""
    idx = [skeleton.index(n) for n in FEET]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmin(positions[:, idx, 1], axis=1)


def floor_flatness(positions: np.ndarray, skeleton) -> dict:
    """Spread of the planted-foot heights of one dancer `[T, J, 3]` over the clip, in metres."""
    return spread(planted_heights(positions, skeleton))


def spread(heights: np.ndarray) -> dict:
    """The standard deviation and the 5th-95th percentile range of planted-foot heights `[T]` (NaN: not placed)."""
    h = heights[np.isfinite(heights)]
    if h.size < 2:
        return {"std_m": None, "p5_p95_m": None, "p10_p50_m": None}
    p5, p10, p50, p95 = np.percentile(h, [5, 10, 50, 95])
    return {"std_m": round(float(h.std()), 4), "p5_p95_m": round(float(p95 - p5), 4),
            "p10_p50_m": round(float(p50 - p10), 4)}


def bone_variation(positions: np.ndarray, skeleton) -> float | None:
    """`metrics.bone_cv` over the frames where the whole body is placed."""
    ok = np.isfinite(positions).all((1, 2))
    return round(bone_cv(positions[ok][None], skeleton), 4) if ok.sum() > 1 else None


def report(ex) -> dict:
    """The figures above for an `Extraction`."""
    m = ex.motion
    whole, span = found_shares(ex.found)
    switches = identity_switches(ex.image, ex.found)
    visible = inside_frame(ex.image, ex.found, ex.camera.width, ex.camera.height)
    clear = visible & ~hidden_by_others(ex.image, ex.found, ex.people) if ex.people is not None else None
    return {"found": whole, "found_in_span": span, "found_visible": found_where_visible(ex.found, visible),
            "visible_frames": [int(v.sum()) for v in visible],
            "found_unhidden": None if clear is None else found_where_visible(ex.found, clear),
            "unhidden_frames": None if clear is None else [int(v.sum()) for v in clear],
            "identity_switches": [len(s) for s in switches],
            "switch_frames": [s[:10] for s in switches],
            "floor": [floor_flatness(p, m.skeleton) for p in m.positions],
            "floor_before_last_step": [spread(h) for h in ex.planted_before] if ex.planted_before is not None
            else None,
            "bone_cv": [bone_variation(p, m.skeleton) for p in m.positions]}

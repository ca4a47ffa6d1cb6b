"""`extract()`: a video of one or more dancers to a `Motion` on the `mediapipe33` skeleton.

decode (ffmpeg) -> per frame: track a few more people than dancers (detector when needed, on tiles
where the whole frame finds too few; region, landmark model) -> join each person's tracklets, choose
the dancers (the most present, or picked) once, order them left to right and repair crossed
identities -> place each pose in the room (a camera whose tilt and height come from the planted feet)
-> drop unreliable joints and fill short holes -> fit each dancer to its own bone lengths -> mend the legs of
single bad frames -> smooth ->
Motion, with every assumption and repair in its notes and the camera in its provenance.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pasdeux.data import fill_gaps, runs
from pasdeux.errors import ConfigError, FormatError
from pasdeux.extract import filter as clean
from pasdeux.extract import rigid
from pasdeux.extract.landmarks import N_BODY
from pasdeux.extract.quality import landmark_boxes, planted_heights
from pasdeux.extract.world import Camera, floor_up, level, on_floor, place, to_room
from pasdeux.kinematics import fix_bone_lengths
from pasdeux.motion import Motion
from pasdeux.music.soundtrack import soundtrack_of
from pasdeux.skeletons import BLAZEPOSE33, MEDIAPIPE33_JOINTS, get_skeleton

MAX_DANCERS = 8
Progress = Callable[[int, int | None], None]  # (frames done, frames expected or None)


@dataclass
class Options:
    """How to extract; every field is also a keyword of `extract()`."""

    dancers: int = 1
    pick: list[tuple[float, float, float]] | None = None  # (x, y) in the video's pixels at t seconds, per dancer
    model: str = "full"
    fps: float | None = None  # resample the video to this rate first (default: the video's own)
    smooth: float = 0.15  # Savitzky-Golay window in seconds for the poses (0: off)
    smooth_travel: float = 0.5  # ...and for where each dancer stands (depth from one camera is noisier)
    fov: float = 60.0  # assumed horizontal field of view of the camera, degrees
    tilt: float | None = None  # degrees the camera looks down (default: estimated from the planted feet)
    rigid: bool = True  # fit each dancer to one set of bone lengths for the whole video
    min_visibility: float = 0.5  # joints less visible than this are re-estimated from neighbouring frames
    max_gap: float = 0.5  # seconds: longer holes (missed dancer, unreliable joint) are reported, not filled
    max_side: int = 1280  # frames are scaled down to this long side before the models see them
    min_detection: float = 0.5  # detector score for a new person
    threads: int | None = None  # interpreter threads (default: up to 4)

    def check(self) -> None:
        """ConfigError naming the first option out of range."""
        from pasdeux.extract.models import LANDMARK_MODELS

        if not (isinstance(self.dancers, int) and 1 <= self.dancers <= MAX_DANCERS):
            raise ConfigError(f"dancers must be a whole number from 1 to {MAX_DANCERS}; got {self.dancers}")
        if self.pick is not None and (len(self.pick) > self.dancers or
                                      not all(len(p) == 3 and np.isfinite(p).all() and p[2] >= 0 for p in self.pick)):
            raise ConfigError(f"pick takes at most one X,Y@SECONDS per dancer ({self.dancers}), each a point in "
                              f"the video's pixels and a time >= 0; got {self.pick}")
        if self.model not in LANDMARK_MODELS:
            raise ConfigError(f"model must be one of {', '.join(LANDMARK_MODELS)}; got {self.model!r}")
        for name in ("smooth", "smooth_travel", "max_gap"):
            if not (np.isfinite(getattr(self, name)) and getattr(self, name) >= 0):
                raise ConfigError(f"{name} must be a number of seconds >= 0; got {getattr(self, name)}")
        if self.tilt is not None and not -80 <= self.tilt <= 80:
            raise ConfigError(f"tilt must be the degrees the camera looks down, between -80 and 80; got {self.tilt}")
        if not 10 <= self.fov <= 150:
            raise ConfigError(f"fov must be a field of view between 10 and 150 degrees; got {self.fov}")
        if not 0 <= self.min_visibility <= 1 or not 0 < self.min_detection <= 1:
            raise ConfigError("min_visibility must lie in [0, 1] and min_detection in (0, 1]")


@dataclass
class Extraction:
    """Everything an extraction found: the motion and, per dancer and frame, what the models saw."""

    motion: Motion
    image: np.ndarray  # [D, T, 33, 3] landmarks in the decoded frames' pixels (NaN where not found)
    visibility: np.ndarray  # [D, T, 33]
    found: np.ndarray  # [D, T] whether the dancer was found in the frame
    camera: Camera
    detector_runs: int = 0
    notes: list[str] = field(default_factory=list)
    # [D, T] each frame's lower foot's height (m) before the last step stands it on the floor: how flat the
    # floor was without that step (`quality.report`'s floor_before_last_step)
    planted_before: np.ndarray | None = None
    # [S, T, 4] the landmark box (x0, y0, x1, y1 pixels; NaN: not found) of every person followed, dancers or not:
    # who may hide whom (`quality.report`'s found_unhidden)
    people: np.ndarray | None = None


def extract(path: str | os.PathLike, progress: bool | Progress = False, **options) -> Motion:
    """Extract the 3D motion of one or two dancers from a video (see `Options` for the keywords)."""
    return run(path, progress=progress, **options).motion


def run(path: str | os.PathLike, progress: bool | Progress = False, **options) -> Extraction:
    """Like `extract()`, but also returns the frame landmarks, visibilities and camera."""
    from pasdeux.extract.video import open_video

    unknown = sorted(set(options) - set(Options.__dataclass_fields__))
    if unknown:
        raise ConfigError(f"unknown extraction option(s) {', '.join(unknown)}; "
                          f"options are: {', '.join(Options.__dataclass_fields__)}")
    opt = Options(**options)
    opt.check()
    detector, landmarks = _models(opt)  # before decoding, so a missing model cache is said first
    info, frames = open_video(path, fps=opt.fps, max_side=opt.max_side)
    tracker = _tracker(detector, landmarks, opt, info.fps)
    poses, colours = _track(tracker, frames, info.n_frames_estimate, progress)
    if not poses:
        raise FormatError(f"{path}: the video holds no frames")
    camera = Camera(info.width, info.height, opt.fov)
    scale = info.width / info.source_size[0] if info.source_size[0] else 1.0
    return _assemble(Path(path), poses, colours, info.fps, camera, opt, tracker, scale)


def _models(opt: Options):
    from pasdeux.extract.detect import Detector
    from pasdeux.extract.landmarks import LandmarkModel
    from pasdeux.extract.models import interpreter

    return (Detector(interpreter("detector", opt.threads), opt.min_detection),
            LandmarkModel(interpreter(opt.model, opt.threads)))


def _tracker(detector, landmarks, opt: Options, fps: float):
    from pasdeux.extract.tracking import Tracker, pool_size

    return Tracker(detector, landmarks, pool_size(opt.dancers), fps)


def _track(tracker, frames, total: int | None, progress: bool | Progress) -> tuple[list, list]:
    """Every frame's poses (None where a dancer is not found) and each found dancer's colours."""
    from PIL import Image

    from pasdeux.extract.identity import appearance

    bar = None
    if progress is True:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="frame", desc="extracting", leave=False)
    out, colours = [], []
    try:
        for i, frame in enumerate(frames):
            poses = tracker.step(frame, Image.fromarray(frame))
            out.append(poses)
            colours.append([None if p is None else appearance(frame, p.image, p.presence) for p in poses])
            if bar is not None:
                bar.update(1)
            elif callable(progress):
                progress(i + 1, total)
    finally:
        if bar is not None:
            bar.close()
    return out, colours


def _stack(poses: list, colours: list, n: int) -> dict:
    """Per slot and frame `[S, T, ...]`: landmarks, visibility, presence, found, centre, body height, colours,
    torso centre."""
    from pasdeux.extract.tracking import torso

    t = len(poses)
    a = {"image": np.full((n, t, N_BODY, 3), np.nan), "world": np.full((n, t, N_BODY, 3), np.nan),
         "vis": np.zeros((n, t, N_BODY)), "pres": np.zeros((n, t, N_BODY)), "centre": np.full((n, t, 2), np.nan),
         "height": np.full((n, t), np.nan), "colour": np.zeros((n, t, 6)), "torso": np.full((n, t, 2), np.nan)}
    for f, frame in enumerate(poses):
        for d, p in enumerate(frame):
            if p is not None:
                a["image"][d, f], a["world"][d, f], a["vis"][d, f], a["pres"][d, f] = \
                    p.image, p.world, p.visibility, p.presence
                a["centre"][d, f], a["colour"][d, f], a["torso"][d, f] = p.centre(), colours[f][d], torso(p)
                box = p.box(0.5)  # the visible body: landmarks guessed outside the frame would inflate it
                a["height"][d, f] = box[3] - box[1]
    a["found"] = np.isfinite(a["image"][..., 0, 0])
    return a


def _cast(a: dict, tracker, opt: Options, fps: float, scale: float) -> tuple[dict, list[str], int]:
    """The dancers' arrays `[D, T, ...]` (chosen once from the people followed), notes, and how many people
    were seen in all."""
    from pasdeux.extract import identity

    pieces = identity.tracklets(a["found"], [s.starts for s in tracker.slots])
    people = identity.link(pieces, a["centre"], a["height"], fps, a["colour"], a["torso"])
    picks = [(x * scale, y * scale, round(sec * fps)) for x, y, sec in (opt.pick or [])]
    chosen, notes = identity.choose(people, a["height"], opt.dancers, picks, lambda p, f: _where_at(a, p, f))
    slot = np.full((len(chosen), a["found"].shape[1]), -1)
    for d, person in enumerate(chosen):
        for piece in identity.reliable(person):
            slot[d, piece.start:piece.stop] = piece.slot
        notes += _rejoin_notes(d, person)
    if len(people) > opt.dancers:
        notes.append(f"{len(people)} people seen; the {opt.dancers} dancer(s) followed are the "
                     f"{'picked and ' if picks else ''}most present (largest and longest seen), chosen once")
    return _select(a, slot), notes, len(people)


def _where_at(a: dict, person: list, frame: int) -> np.ndarray:
    """A person's image centre at the frame it is seen in nearest to `frame`."""
    frames = np.concatenate([np.arange(p.start, p.stop) for p in person])
    slots = np.concatenate([np.full(p.stop - p.start, p.slot) for p in person])
    k = int(np.argmin(np.abs(frames - frame)))
    return a["centre"][slots[k], frames[k]]


def _rejoin_notes(d: int, person: list) -> list[str]:
    return [f"dancer {d + 1} lost after frame {a.stop - 1} and found again at frame {b.start} (joined by where "
            "it was seen)" for a, b in zip(person[:-1], person[1:]) if b.start > a.stop]


def _select(a: dict, slot: np.ndarray) -> dict:
    """Slot arrays `[S, T, ...]` to dancer arrays `[D, T, ...]` through each dancer's slot per frame (-1: none)."""
    t = np.arange(slot.shape[1])
    out = {}
    for key, arr in a.items():
        picked = arr[np.maximum(slot, 0), t]
        blank = np.nan if arr.dtype.kind == "f" and key not in ("vis", "pres", "colour") else 0
        out[key] = np.where((slot < 0).reshape(slot.shape + (1,) * (arr.ndim - 2)), blank, picked).astype(arr.dtype)
    return out


def _overlap(image: np.ndarray, vis: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Frames `[T]` where two dancers' landmark boxes overlap (they see the same pixels)."""
    from pasdeux.extract.identity import OVERLAP
    from pasdeux.extract.tracking import MIN_BOX_VIS, box_iou

    def box(d, f):
        pts = image[d, f, vis[d, f] >= MIN_BOX_VIS, :2]
        pts = pts if len(pts) else image[d, f, :, :2]
        return np.concatenate([pts.min(0), pts.max(0)])

    return np.array([bool(found[0, f] and found[1, f]) and box_iou(box(0, f), box(1, f)) > OVERLAP
                     for f in range(found.shape[1])])


def _assemble(path: Path, poses: list, colours: list, fps: float, camera: Camera, opt: Options,
              tracker, scale: float = 1.0) -> Extraction:
    slots = _stack(poses, colours, len(tracker.slots))
    if not slots["found"].any():
        raise FormatError(f"{path}: no person found in any of its {len(poses)} frames; the dancers must be "
                          "in view (whole bodies, facing any way) for extraction")
    a, cast_notes, n_people = _cast(slots, tracker, opt, fps, scale)
    if len(a["found"]) < opt.dancers:
        who = "only one person was found" if n_people == 1 else f"only {n_people} people were found"
        raise ConfigError(f"{path}: {who}, in {slots['found'].any(0).sum()} of {len(poses)} frames; extract it "
                          f"with dancers={n_people} (--dancers {n_people})")
    notes = [f"extracted from {path.name}: {len(poses)} frames at {fps:g} fps, {camera.width}x{camera.height} "
             f"pixels as decoded; BlazePose ({opt.model} landmark model, MediaPipe @mediapipe/pose) per frame"]
    notes += cast_notes
    order, identity_notes = _identities(a, tracker)
    notes += identity_notes
    t = np.arange(len(poses))
    keys = ("image", "world", "vis", "pres", "found")
    image, world, vis, pres, found = (a[k][order.T, t] for k in keys)
    lr = _left_to_right(image)
    image, world, vis, pres, found = (x[lr] for x in (image, world, vis, pres, found))
    if opt.dancers > 1:
        notes.append("dancers are numbered left to right as seen from the camera (by median position)")
    floor = _floor(slots, camera, opt)
    ex = _to_motion(path, image, world, vis, pres, found, fps, camera, opt, tracker, notes, floor)
    ex.people = landmark_boxes(slots["image"])
    return ex


def _floor(slots: dict, camera: Camera, opt: Options):
    """The floor seen from the camera, from every person followed (not only the dancers): more feet on it."""
    seen = slots["vis"] * slots["pres"]
    points, _ = place(slots["image"], slots["world"], seen, slots["found"], camera)
    return floor_up(slots["image"], seen, points, camera, opt.tilt)


def _to_motion(path, image, world, vis, pres, found, fps, camera, opt, tracker, notes, floor) -> Extraction:
    points, failed = place(image, world, vis * pres, found, camera)
    points = level(points, floor)[0]
    if floor.height is not None:
        points = on_floor(points, floor.height)
    room, where = to_room(points, floor.height)
    notes.append(_camera_note(opt, camera, floor))
    if failed:
        notes.append(f"{failed} pose(s) could not be placed in front of the camera and count as missed")
    max_gap = int(round(opt.max_gap * fps))
    placed = np.isfinite(room[..., 0, 0])
    confidence = np.minimum(vis, pres)
    room, dropped = clean.drop_unreliable(room, confidence, opt.min_visibility, max_gap)
    if dropped:
        names = ", ".join(f"{BLAZEPOSE33[j]} {n}" for j, n in sorted(dropped.items(), key=lambda x: -x[1])[:12])
        notes.append(f"{sum(dropped.values())} joint positions less visible than {opt.min_visibility:g} for at most "
                     f"{max_gap} frames re-estimated from neighbouring frames ({names}); longer spells keep the "
                     "model's own estimate")
    notes += _gap_notes(placed, max_gap)
    motion = Motion(_with_midpoints(room).astype(np.float32), get_skeleton("mediapipe33"), fps, str(path), notes,
                    provenance=_provenance(path, opt, camera, where, floor))
    motion = fill_gaps(motion, max_gap=max_gap)
    if opt.rigid:
        fitted, rigid_notes = rigid.fit(motion.positions.astype(np.float64),
                                        _with_midpoints(confidence[..., None], np.min)[..., 0], motion.skeleton)
        motion = motion.with_positions(fitted.astype(np.float32))
        motion.notes.extend(rigid_notes)
    # Stood on the floor again after the bone fit (which moves the feet), legs of single bad frames mended,
    # then smoothed: what the smoothing then moves the feet is the honest flatness figure, kept before the last
    # standing makes it 0.
    motion = _smooth(_ground(_mend_legs(_ground(motion), opt.rigid)), opt)
    before = np.stack([planted_heights(p, motion.skeleton) for p in motion.positions])
    motion = _ground(motion)
    return Extraction(motion, image, vis, found, camera, tracker.detector_runs, motion.notes, before)


def _mend_legs(motion: Motion, refit: bool) -> Motion:
    """The legs of frames whose stance jumps from the frames around it (`filter.leg_outliers`) re-estimated from
    those frames, the bones set to their lengths again; the caller stands the poses on the floor again."""
    pos = motion.positions.astype(np.float64)
    bad = clean.leg_outliers(pos[:, :, 0, 1] - np.stack([planted_heights(p, motion.skeleton) for p in pos]))
    if not bad.any():
        return motion
    legs = [motion.skeleton.index(n) for n in clean.LEGS]
    mended = clean.mend_legs(pos, legs, bad)
    if refit:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lengths = np.nanmedian(motion.skeleton.bone_lengths(pos), axis=1)  # the rigid fit's, one per bone
        mended = fix_bone_lengths(mended, motion.skeleton, np.nan_to_num(lengths))
    counts = ", ".join(f"dancer {d + 1}: {int(n)} of {int(np.isfinite(pos[d, :, 0, 1]).sum())}"
                       for d, n in enumerate(bad.sum(1)))
    return motion.with_positions(mended.astype(np.float32), (
        f"legs re-estimated from the frames around them where the pelvis's height over the lower foot left the "
        f"median of the {clean.LEG_WINDOW} frames around it by more than {clean.LEG_JUMP:g} m (the landmark model "
        f"bent or stretched them for a frame): {counts} frames"))


def _camera_note(opt: Options, camera: Camera, floor) -> str:
    if floor.how == "estimated":
        roll = "" if floor.feet_roll_deg is None else (
            f" (the roll from how upright people lean in the frame: the feet alone gave "
            f"{floor.feet_roll_deg:.1f} deg, which upright bodies do not show)")
        if floor.upright_roll_deg is not None:
            roll = (f" (the roll is in doubt: upright people lean as for {floor.upright_roll_deg:.1f} deg, but the "
                    "feet do not lie on a floor with that roll; give --tilt where it matters)")
        pose = (f"looking down {floor.tilt_deg:.1f} deg, roll {floor.roll_deg:.1f} deg, {floor.height:.2f} m above "
                f"the floor: estimated from where {floor.planted} poses' lowest feet meet one floor over the whole "
                f"video{roll}; each pose then stands on it along the line of sight of its lowest foot")
    elif floor.how == "given":
        pose = f"looking down {opt.tilt:g} deg as given (no roll)"
    else:
        pose = "level (no pitch or roll): assumed, too few planted feet to estimate its tilt"
    return (f"placed in the room through a pinhole camera: horizontal field of view {opt.fov:g} deg "
            f"({'given' if opt.fov != Options.fov else 'assumed'}; focal {camera.focal:.0f} px), principal point "
            f"at the frame centre, {pose}; horizontal positions follow from the frame, depth from body size and is "
            "the least certain; y up, the dancers' mean position at the origin")


def _ground(motion: Motion) -> Motion:
    """Each frame's lower foot back on the floor (y = 0) along its line of sight after the bone fit or the
    smoothing moved it; the floor at the median lower foot where the camera height was not found."""
    from pasdeux.extract.quality import FEET

    cam = np.asarray(motion.provenance["extract"]["camera"]["position_m"], np.float64)
    pos = motion.positions.astype(np.float64)
    if motion.provenance["extract"]["camera"]["tilt"] == "assumed level":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            floor = np.nanmedian(np.concatenate([planted_heights(p, motion.skeleton) for p in pos]))
        pos[..., 1] -= np.nan_to_num(floor)
        return motion.with_positions(pos.astype(np.float32), "floor at y = 0 under the planted feet (the median "
                                                              "height of each frame's lower foot)")
    flip = np.array([1.0, -1.0, -1.0])
    feet = tuple(motion.skeleton.index(n) for n in FEET)
    level_cam = on_floor((pos - cam) * flip, float(cam[1]), feet)
    return motion.with_positions((level_cam * flip + cam).astype(np.float32))


def _identities(a: dict, tracker) -> tuple[np.ndarray, list[str]]:
    """The dancer order per frame after undoing crossed identities of two dancers, and notes of each repair."""
    from pasdeux.extract import identity

    found = a["found"]
    n = found.shape[0]
    if n != 2:
        return np.tile(np.arange(n), (found.shape[1], 1)), []
    order = identity.by_appearance(a["colour"], found, _overlap(a["image"], a["vis"], found))
    if order is None:
        return np.tile(np.arange(2), (found.shape[1], 1)), [
            "the two dancers look alike: identities follow each one's trail (tracklets joined where found again)"]
    notes = ["identities checked by each dancer's costume colours over the whole video"]
    notes += [f"frame {f}: the tracker crossed the two dancers' identities; swapped them back (by their colours)"
              for f in identity.changes(order)]
    return order, notes


def _left_to_right(image: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a dancer never seen has no median
        x = np.nanmedian(image[:, :, [11, 12, 23, 24], 0].mean(-1), axis=1)
    return np.argsort(np.nan_to_num(x, nan=np.inf), kind="stable")


def _gap_notes(seen: np.ndarray, max_gap: int) -> list[str]:
    """Which frames each dancer was missed in, and whether they are filled."""
    notes = []
    for d, s in enumerate(seen):
        spans = runs(~s)
        if not spans:
            continue
        short = [(a, b) for a, b in spans if b - a <= max_gap]
        long = [(a, b) for a, b in spans if b - a > max_gap]
        text = lambda rs: ", ".join(f"{a}" if b - a == 1 else f"{a}-{b - 1}" for a, b in rs[:10])  # noqa: E731
        if short:
            notes.append(f"dancer {d + 1} missed in {sum(b - a for a, b in short)} frame(s), filled by "
                         f"interpolation: frames {text(short)}")
        if long:
            notes.append(f"dancer {d + 1} missed for longer than {max_gap} frames, left as NaN: frames {text(long)}")
    return notes


def _with_midpoints(room: np.ndarray, combine=np.mean) -> np.ndarray:
    """BlazePose-ordered points `[D, T, 33, C]` to the mediapipe33 skeleton (plus pelvis and neck, `combine`d
    from the hips and the shoulders)."""
    index = {j: i for i, j in enumerate(BLAZEPOSE33)}
    out = np.empty(room.shape[:2] + (len(MEDIAPIPE33_JOINTS), room.shape[-1]))
    for k, name in enumerate(MEDIAPIPE33_JOINTS):
        if name == "pelvis":
            out[:, :, k] = combine(room[:, :, [index["left_hip"], index["right_hip"]]], axis=2)
        elif name == "neck":
            out[:, :, k] = combine(room[:, :, [index["left_shoulder"], index["right_shoulder"]]], axis=2)
        else:
            out[:, :, k] = room[:, :, index[name]]
    return out


def _smooth(motion: Motion, opt: Options) -> Motion:
    """Savitzky-Golay: the pose relative to the pelvis with `smooth`, the pelvis's travel with `smooth_travel`."""
    if opt.smooth == 0 and opt.smooth_travel == 0:
        return motion
    pos = motion.positions.astype(np.float64)
    root = pos[:, :, :1]
    pose = clean.smooth(pos - root, opt.smooth, motion.fps)
    travel = clean.smooth(root, opt.smooth_travel, motion.fps)
    note = (f"smoothed with a Savitzky-Golay filter (order {clean.POLYORDER}): poses over "
            f"{clean.window_frames(opt.smooth, motion.fps)} frames, travel over "
            f"{clean.window_frames(opt.smooth_travel, motion.fps)} frames")
    return motion.with_positions((pose + travel).astype(np.float32), note)


def _provenance(path: Path, opt: Options, camera: Camera, where: dict, floor) -> dict:
    rot = level(np.zeros((1, 3)), floor)[1]
    return {**soundtrack_of(path), "extract": {  # the video's sound, kept beside the motion by `pasdeux extract`
        "video": path.name, "model": f"blazepose-{opt.model}", "fps": opt.fps,
        "camera": {"width": camera.width, "height": camera.height, "fov_deg": opt.fov,
                   "focal_px": round(camera.focal, 3), "position_m": [round(float(v), 4) for v in where["camera"]],
                   "level": floor.how == "assumed level", "tilt": floor.how,
                   "tilt_deg": round(floor.tilt_deg, 2), "roll_deg": round(floor.roll_deg, 2),
                   "roll_from": "upright bodies" if floor.feet_roll_deg is not None else floor.how
                   + (" (in doubt: upright bodies disagree)" if floor.upright_roll_deg is not None else ""),
                   "rotation": [[round(float(v), 6) for v in row] for row in rot]},
        "dancers": opt.dancers, "pick": opt.pick, "rigid": opt.rigid,
        "smooth_s": opt.smooth, "smooth_travel_s": opt.smooth_travel, "min_visibility": opt.min_visibility,
        "max_gap_s": opt.max_gap}}

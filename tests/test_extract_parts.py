"""The pieces of `pasdeux extract`: model cache, detector decoding, regions, placement, cleaning, identities."""

from __future__ import annotations

import numpy as np
import pytest

from pasdeux import get_skeleton
from pasdeux.extract import detect, identity, models, quality, roi, world
from pasdeux.extract import filter as clean


def test_model_cache_is_installed_and_intact():
    # scripts/test.sh runs set-up, which installs the cache: its absence here is a set-up failure.
    damaged = models.missing_or_damaged()
    assert damaged == [], f"pose models missing or damaged in {models.cache_dir()}: {damaged}; {models.SETUP_HINT}"


def test_missing_cache_names_the_setup_command(tmp_path, monkeypatch):
    monkeypatch.setenv("PASDEUX_MODELS", str(tmp_path / "nowhere"))
    with pytest.raises(models.ModelsMissing, match="scripts/setup.sh"):
        models.model_path("full")
    with pytest.raises(models.ModelsMissing, match="scripts/setup.sh"):
        import pasdeux

        pasdeux.extract(tmp_path / "any.mp4")


def test_unknown_model_is_refused():
    with pytest.raises(models.ConfigError, match="lite, full, heavy"):
        models.model_path("huge")


def test_anchors_follow_the_ssd_layout():
    a = detect.anchors()
    assert a.shape == (2254, 2)
    # 28 x 28 cells with 2 anchors, 14 x 14 with 2, then 7 x 7 with 6 (three layers of stride 32)
    assert np.allclose(a[0], [0.5 / 28, 0.5 / 28]) and np.allclose(a[1], a[0])
    assert np.allclose(a[1568], [0.5 / 14, 0.5 / 14])
    assert np.allclose(a[1568 + 392: 1568 + 392 + 6], [0.5 / 7, 0.5 / 7])
    assert np.allclose(a[-1], [6.5 / 7, 6.5 / 7])


def test_decode_offsets_boxes_and_keypoints_from_their_anchor():
    raw = np.zeros((1, 2254, 12), np.float32)
    scores = np.full((1, 2254, 1), -10.0, np.float32)
    i = 1568 + 392 + 6 * 24  # a 7 x 7 cell in the middle of the picture
    raw[0, i] = [22.4, -11.2, 44.8, 89.6] + [0, 0] * 3 + [11.2, 22.4]
    scores[0, i] = 3.0
    boxes, kps, s = detect.decode(raw, scores)
    assert len(s) == 1 and s[0] == pytest.approx(1 / (1 + np.exp(-3.0)))
    centre = detect.anchors()[i] + [0.1, -0.05]
    assert np.allclose(boxes[0], [centre[0] - 0.1, centre[1] - 0.2, centre[0] + 0.1, centre[1] + 0.2], atol=1e-6)
    assert np.allclose(kps[0, 0], detect.anchors()[i]) and np.allclose(kps[0, 3], detect.anchors()[i] + [0.05, 0.1])


def test_weighted_nms_merges_overlaps_and_keeps_separate_people():
    boxes = np.array([[0.1, 0.1, 0.3, 0.3], [0.12, 0.1, 0.32, 0.3], [0.6, 0.6, 0.8, 0.8]])
    kps = np.zeros((3, 4, 2))
    kps[:, 0] = [[0.2, 0.5], [0.3, 0.5], [0.7, 0.9]]
    out = detect.weighted_nms(boxes, kps, np.array([0.9, 0.3, 0.8]))
    assert len(out) == 2
    box, kp, score = out[0]
    assert score == 0.9 and box[0] == pytest.approx((0.1 * 0.9 + 0.12 * 0.3) / 1.2)
    assert kp[0, 0] == pytest.approx((0.2 * 0.9 + 0.3 * 0.3) / 1.2)


def test_region_from_alignment_points_is_upright_square_and_turns_with_the_body():
    r = roi.from_alignment(np.array([100.0, 300.0]), np.array([100.0, 200.0]))  # scale point above the hips
    assert r.rotation == pytest.approx(0.0) and r.size == pytest.approx(2 * 100 * 1.5)
    lying = roi.from_alignment(np.array([100.0, 300.0]), np.array([200.0, 300.0]))  # head to the right
    assert lying.rotation == pytest.approx(np.pi / 2)
    # the crop's top edge (toward the head) lands to the right of the centre in the frame
    top = lying.to_frame(np.array([[0.5, 0.0]]))[0]
    assert top == pytest.approx([100 + lying.size / 2, 300])


def test_crop_samples_the_region_and_repeats_edges():
    h, w = 120, 200
    image = np.zeros((h, w, 3), np.uint8)
    image[..., 0] = np.arange(w)[None, :]  # red grows to the right
    image[..., 1] = np.arange(h)[:, None]  # green grows downward
    r = roi.Roi(100.0, 60.0, 64.0, 0.0)
    out = roi.crop(image, r, 32)
    assert out.shape == (32, 32, 3) and out.dtype == np.float32
    for u, v in ((0, 0), (16, 16), (31, 5)):
        x, y = r.to_frame(np.array([[u / 32, v / 32]]))[0]
        assert out[v, u, 0] * 255 == pytest.approx(x, abs=1.5) and out[v, u, 1] * 255 == pytest.approx(y, abs=1.5)
    outside = roi.crop(image, roi.Roi(10.0, 60.0, 100.0, 0.0), 20)  # reaches 40 px past the left edge
    assert np.allclose(outside[:, 0, 0], 0) and (outside[:, 0, 1] > 0).all()  # edge column repeated, not black


def test_translation_recovers_a_pose_placed_in_front_of_the_camera():
    cam = world.Camera(1280, 720, 60.0)
    rng = np.random.default_rng(0)
    pose = rng.normal(0, 0.3, (33, 3))
    t = np.array([0.8, 0.4, 4.0])
    p = pose + t
    pixels = np.stack([cam.focal * p[:, 0] / p[:, 2] + 640, cam.focal * p[:, 1] / p[:, 2] + 360], 1)
    assert world.translation(pixels, pose, np.ones(33), cam) == pytest.approx(t, abs=1e-6)
    # a pose twice as large in the frame is half as far away
    near = world.translation((pixels - [640, 360]) * 2 + [640, 360], pose, np.ones(33), cam)
    assert near[2] == pytest.approx(2.0, rel=0.05)


def test_room_has_the_floor_under_the_feet_and_y_up():
    pts = np.zeros((1, 10, 33, 3))
    pts[..., 2] = 4.0
    pts[..., 1] = -0.5  # camera y points down: these are 0.5 m above the camera...
    pts[:, :, list(world.FOOT), 1] = 1.2  # ...and the feet 1.2 m below it
    room, where = world.to_room(pts)
    assert room[0, 0, 0, 1] == pytest.approx(1.7) and room[0, 0, 27, 1] == pytest.approx(0.0)
    assert where["camera"][1] == pytest.approx(1.2)


def test_smoothing_removes_jitter_keeps_a_ramp_and_leaves_gaps():
    t = np.arange(90, dtype=float)
    ramp = np.stack([t * 0.01, np.zeros_like(t), np.zeros_like(t)], -1)[None, :, None, :]  # [1, T, 1, 3]
    noisy = ramp + np.random.default_rng(1).normal(0, 0.01, ramp.shape)
    noisy[0, 40:44] = np.nan
    out = clean.smooth(noisy, 0.3, 30.0)
    err_before = np.nanstd((noisy - ramp)[0, :, 0, 0])
    err_after = np.nanstd((out - ramp)[0, :, 0, 0])
    assert err_after < 0.6 * err_before
    assert np.isnan(out[0, 40:44]).all() and np.isfinite(out[0, :40]).all()
    assert np.allclose(clean.smooth(ramp, 0.3, 30.0), ramp)  # a straight line goes through untouched
    assert np.array_equal(clean.smooth(noisy, 0.0, 30.0), noisy, equal_nan=True)


def test_unreliable_joints_are_dropped_only_for_short_spells():
    pts = np.ones((1, 20, 2, 3))
    conf = np.ones((1, 20, 2))
    conf[0, 5:7, 0] = 0.1  # short spell: re-estimated later
    conf[0, 8:18, 1] = 0.1  # long spell: the model's guess stays
    out, dropped = clean.drop_unreliable(pts, conf, 0.5, max_gap=4)
    assert np.isnan(out[0, 5:7, 0]).all() and np.isfinite(out[0, :, 1]).all()
    assert dropped == {0: 2}


def test_tracklets_of_one_person_found_again_are_joined_and_the_most_present_chosen():
    t, fps = 40, 10.0
    centre = np.full((3, t, 2), np.nan)
    height = np.full((3, t), np.nan)
    found = np.zeros((3, t), bool)
    # slot 0: a walker, lost at frame 15 and found again at 18 by slot 1, a little further on
    found[0, :15], found[1, 18:] = True, True
    centre[0, :15] = np.stack([np.linspace(100, 170, 15), np.full(15, 300)], 1)
    centre[1, 18:] = np.stack([np.linspace(185, 300, 22), np.full(22, 300)], 1)
    # slot 2: someone small far away the whole time, and slot 1 briefly on someone across the room before
    found[2], found[1, 2:6] = True, True
    centre[2] = [700, 100]
    centre[1, 2:6] = [600, 400]
    height[0], height[1], height[2] = 200, 200, 60
    pieces = identity.tracklets(found, [[0], [2, 18], [0]])
    assert [(p.slot, p.start, p.stop) for p in pieces] == [(0, 0, 15), (2, 0, 40), (1, 2, 6), (1, 18, 40)]
    people = identity.link(pieces, centre, height, fps)
    walker = next(p for p in people if p[0].slot == 0)
    assert [(p.slot, p.start) for p in walker] == [(0, 0), (1, 18)]  # joined across the gap
    assert len(people) == 3  # the one across the room is not joined to the walker
    chosen, _ = identity.choose(people, height, 1, [], None)
    assert chosen == [walker]  # larger and longer seen than the small far one
    at = lambda p, f: centre[p[0].slot, p[0].start]  # noqa: E731
    picked, notes = identity.choose(people, height, 2, [(700, 110, 5)], at)
    assert picked[0][0].slot == 2 and picked[1] is walker and "picked at (700, 110)" in notes[0]


def test_a_tracklet_that_starts_off_the_walkers_way_is_not_joined_to_the_walker():
    t, fps = 30, 10.0
    centre = np.full((2, t, 2), np.nan)
    height = np.full((2, t), 200.0)
    found = np.zeros((2, t), bool)
    # a walker going right 7 px a frame, lost at frame 12; slot 1 restarts at frame 14 on someone 60 px behind him
    # (0.3 of a body: within the reach a person found again may lie, but not where his way leads)
    found[0, :12], found[1, 14:] = True, True
    centre[0, :12] = np.stack([100 + 7.0 * np.arange(12), np.full(12, 300)], 1)
    centre[1, 14:] = np.stack([117 - 7.0 * np.arange(16), np.full(16, 300)], 1)
    pieces = identity.tracklets(found, [[0], [14]])
    assert len(identity.link(pieces, centre, height, fps)) == 1  # by reach alone: joined
    assert len(identity.link(pieces, centre, height, fps, torso=centre)) == 2  # off his way: someone else
    centre[1, 14:, 0] = 100 + 7.0 * np.arange(14, 30)  # the walker himself, found again on his way
    assert len(identity.link(pieces, centre, height, fps, torso=centre)) == 1


def test_identities_follow_costume_colours_and_not_one_odd_frame():
    t = 60
    rng = np.random.default_rng(2)
    navy, maroon = np.array([0.1, 0.1, 0.3] * 2), np.array([0.4, 0.05, 0.05] * 2)
    colours = np.stack([np.tile(navy, (t, 1)), np.tile(maroon, (t, 1))]) + rng.normal(0, 0.02, (2, t, 6))
    colours[:, 30:] = colours[::-1, 30:]  # the tracker crossed them at frame 30...
    colours[0, 10] = maroon  # ...and one frame shows the wrong colour (a shadow, a partner's arm)
    found, overlap = np.ones((2, t), bool), np.zeros(t, bool)
    order = identity.by_appearance(colours, found, overlap)
    assert identity.changes(order) == [30]
    fixed = colours[order.T, np.arange(t)]
    assert (fixed[0, :, 0] < 0.25).sum() == t - 1 and (fixed[1, :, 0] > 0.25).all()
    alike = np.tile(navy, (2, t, 1)) + rng.normal(0, 0.02, (2, t, 6))
    assert identity.by_appearance(alike, found, overlap) is None  # same costume: no evidence either way


def test_mediapipe33_is_a_tree_with_every_body_role():
    from pasdeux import body

    sk = get_skeleton("mediapipe33")
    assert sk.n_joints == 35 and sk.is_tree and sk.joints[0] == "pelvis"
    from pasdeux.skeletons import BLAZEPOSE33

    assert set(BLAZEPOSE33) <= set(sk.joints)
    for role in ("pelvis", "neck", "head", "left_hip", "right_knee", "left_ankle", "right_foot", "left_heel",
                 "left_shoulder", "right_wrist"):
        assert body.role_indices(sk, role) is not None, role
    m = sk.mirror
    assert sk.joints[m[sk.index("mouth_left")]] == "mouth_right"
    assert sk.joints[m[sk.index("left_foot_index")]] == "right_foot_index"
    assert sk.joints[m[sk.index("nose")]] == "nose"


def test_pick_option_reads_a_point_at_a_time_and_refuses_anything_else():
    from pasdeux.cli.commands_extract import parse_pick
    from pasdeux.errors import ConfigError

    assert parse_pick("420,310@2.5") == (420.0, 310.0, 2.5)
    assert parse_pick("420,310") == (420.0, 310.0, 0.0)  # at the start
    with pytest.raises(ConfigError, match="give X,Y@SECONDS"):
        parse_pick("left@3")


def test_floor_fitted_to_feet_gives_the_camera_tilt_and_height():
    cam = world.Camera(960, 720, 60.0)
    tilt, height = np.radians(35.0), 4.0
    rng = np.random.default_rng(3)
    # feet on a floor 4 m below a camera looking down 35 degrees: level points to camera axes
    level = np.stack([rng.uniform(-4, 4, 300), np.full(300, height), rng.uniform(4, 12, 300)], 1)
    c, s = np.cos(tilt), np.sin(tilt)
    to_cam = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])  # camera pitched down: level -> camera axes
    feet = level @ to_cam.T
    pixels = cam.focal * feet[:, :2] / feet[:, 2:] + cam.centre
    depth = feet[:, 2] * rng.normal(1, 0.05, 300)  # body-size depth is noisy
    up, h, used = world.fit_floor(pixels, cam.focal / depth, cam)
    floor = world.Floor(up, h, "estimated", used)
    assert floor.tilt_deg == pytest.approx(35.0, abs=2.0) and abs(floor.roll_deg) < 2.0
    assert h == pytest.approx(height, rel=0.1)
    pts = np.zeros((1, 1, 33, 3))
    pts[0, 0] = feet[0] * 1.3  # a pose placed too far away: its foot below the floor
    moved = world.on_floor(world.level(pts, floor)[0], h)
    assert moved[0, 0, list(world.FOOT), 1].max() == pytest.approx(h, rel=1e-6)  # now standing on it


def test_rigid_fit_takes_bone_lengths_from_the_best_seen_frames_and_holds_them():
    from pasdeux import metrics
    from pasdeux.extract import rigid

    sk = get_skeleton("mediapipe33")
    rng = np.random.default_rng(4)
    base = rng.normal(0, 0.3, (35, 3))
    pos = np.repeat(base[None, None], 40, axis=1) + rng.normal(0, 0.02, (1, 40, 35, 3))
    conf = np.full((1, 40, 35), 0.3)
    conf[0, :10] = 0.95  # the first 10 frames are seen best...
    pos[0, 10:] = pos[0, :1, :1] + (pos[0, 10:] - pos[0, :1, :1]) * 1.5  # ...the others stretched
    fitted, notes = rigid.fit(pos, conf, sk)
    assert metrics.bone_cv(fitted[0][None], sk) < 1e-6
    expected = np.median(sk.bone_lengths(pos[0, :10]), axis=0)
    assert np.allclose(sk.bone_lengths(fitted[0, 20]), expected, rtol=1e-6)  # the best-seen lengths
    assert "rigid body" in notes[0] and "varied by" in notes[0]


def test_a_stray_frame_off_a_hidden_persons_path_is_not_joined_to_it():
    t, fps = 30, 10.0
    centre, height, found = np.full((3, t, 2), np.nan), np.full((3, t), 150.0), np.zeros((3, t), bool)
    walk = lambda f: [600 - 17 * f, 280]  # noqa: E731  a walker going left, 17 px a frame
    found[0, :10], found[2, 16:] = True, True  # hidden behind someone from frame 10 to 15
    centre[0, :10] = [walk(f) for f in range(10)]
    centre[2, 16:] = [walk(f) for f in range(16, t)]
    found[1, 14] = True  # one frame of the man beside him, 0.4 body heights off his way
    centre[1, 14] = np.add(walk(14), [-60, 0])
    pieces = identity.tracklets(found, [[0], [14], [16]])
    walker = next(p for p in identity.link(pieces, centre, height, fps) if p[0].slot == 0)
    assert [(p.slot, p.start) for p in walker] == [(0, 0), (2, 16)]
    centre[1, 14] = np.add(walk(14), [-10, 5])  # on his way (a body half hidden): joined
    walker = next(p for p in identity.link(pieces, centre, height, fps) if p[0].slot == 0)
    assert [(p.slot, p.start) for p in walker] == [(0, 0), (1, 14), (2, 16)]


def test_a_followed_pose_whose_torso_slides_onto_the_neighbour_is_refused():
    from pasdeux.extract.landmarks import Pose
    from pasdeux.extract.roi import Roi
    from pasdeux.extract.tracking import Slot, Tracker

    rng = np.random.default_rng(5)
    body = np.column_stack([rng.uniform(250, 300, 33), rng.uniform(120, 270, 33), np.zeros(33)])
    vis = np.full(33, 0.9)

    def pose(points, visibility=vis):
        return Pose(points, np.zeros((33, 3)), visibility, np.ones(33), 1.0, points[:2, :2], Roi(275, 195, 200, 0.0))

    sprawl = body.copy()
    sprawl[[11, 12, 23, 24], 0] += 90  # shoulders and hips on the man beside him...
    hidden = vis.copy()
    hidden[[11, 12, 23, 24]] = 0.3  # ...seen too little to move the visible landmarks' centre
    tracker = Tracker(None, lambda *a: pose(sprawl, hidden), 1)
    slot = Slot(pose=pose(body))
    assert tracker._follow(np.zeros((400, 600, 3), np.uint8), Roi(275, 195, 200, 0.0), None, slot) is None
    tracker.landmarks = lambda *a: pose(body + [5, 3, 0])  # a step along: kept
    assert tracker._follow(np.zeros((400, 600, 3), np.uint8), Roi(275, 195, 200, 0.0), None, slot) is not None



def test_a_person_the_landmark_model_loses_in_its_region_is_looked_for_in_a_larger_one():
    from pasdeux.extract.landmarks import Pose
    from pasdeux.extract.roi import Roi
    from pasdeux.extract.tracking import RETRY_GROWTH, Slot, Tracker

    body = np.column_stack([np.linspace(250, 300, 33), np.linspace(120, 270, 33), np.zeros(33)])
    seen = Pose(body, np.zeros((33, 3)), np.full(33, 0.9), np.ones(33), 1.0, body[:2, :2], Roi(275, 195, 200, 0.0))
    asked = []

    def landmarks(image, roi, pil):  # a pole across the tracked region hides the body; a larger region shows it
        asked.append(roi.size)
        return seen if roi.size > 200 else None

    tracker = Tracker(None, landmarks, 1)
    kept = tracker._follow(np.zeros((400, 600, 3), np.uint8), Roi(275, 195, 200, 0.0), None, Slot(pose=seen))
    assert kept is seen and asked == [200, 200 * RETRY_GROWTH]
    asked.clear()  # a slot with no one to follow yet is not searched twice
    assert tracker._follow(np.zeros((400, 600, 3), np.uint8), Roi(275, 195, 200, 0.0), None, Slot()) is None
    assert asked == [200]

def _scene(roll_deg: float, bias: float, n: int = 300, diagonal: float = 0.0):
    """Frame landmarks, visibility and camera-frame points of `n` people standing upright on a floor 4 m below a
    camera looking down 35 degrees and rolled `roll_deg`; their body-size depth `bias` times off across the frame;
    with `diagonal`, they walk along a path that goes away from the camera by that many metres a metre across."""
    cam = world.Camera(960, 720, 60.0)
    rng = np.random.default_rng(6)
    t, r = np.radians(35.0), np.radians(roll_deg)
    pitch = np.array([[1, 0, 0], [0, np.cos(t), -np.sin(t)], [0, np.sin(t), np.cos(t)]])
    turn = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    across = rng.uniform(-4, 4, n)
    away = rng.uniform(5, 12, n) if not diagonal else 8 + diagonal * across + rng.normal(0, 0.5, n)
    feet = np.stack([across, np.full(n, 4.0), away], 1)
    to_cam = lambda p: p @ (turn @ pitch).T  # noqa: E731  level (y down) -> camera axes
    project = lambda p: cam.focal * p[:, :2] / p[:, 2:] + cam.centre  # noqa: E731
    image, points = np.full((1, n, 33, 3), np.nan), np.full((1, n, 33, 3), np.nan)
    image[0][:, list(world.FOOT), :2] = project(to_cam(feet))[:, None]
    image[0][:, [11, 12], :2] = project(to_cam(feet - [0, 1.4, 0]))[:, None]
    hips = to_cam(feet - [0, 0.9, 0])
    u = image[0, :, 27, 0]
    points[0][:, [23, 24]] = (hips * (1 + bias * (u - cam.centre[0]) / cam.width)[:, None])[:, None]
    visibility = np.zeros((1, n, 33))
    visibility[0][:, [11, 12, *world.FOOT]] = 1.0
    return image, visibility, points, cam


def test_the_camera_roll_is_the_upright_bodies_where_the_feet_alone_say_otherwise():
    image, vis, points, cam = _scene(8.0, 0.0)
    assert world.upright_roll(image, vis, cam) == pytest.approx(8.0, abs=0.5)
    floor = world.floor_up(image, vis, points, cam)
    assert floor.roll_deg == pytest.approx(8.0, abs=1.0) and floor.feet_roll_deg is None  # both agree
    image, vis, points, cam = _scene(0.0, 0.4)  # people on the right placed nearer than they are
    floor = world.floor_up(image, vis, points, cam)
    assert abs(floor.feet_roll_deg) > world.ROLL_AGREE and abs(floor.roll_deg) < 1.0, floor  # overruled
    assert floor.tilt_deg == pytest.approx(35.0, abs=3.0)


def test_a_roll_the_bodies_deny_but_the_tilt_depends_on_is_kept_and_said_to_be_in_doubt():
    # people along a diagonal path (as on vtest.avi's square): holding the bodies' roll would move the tilt too
    image, vis, points, cam = _scene(0.0, 0.4, diagonal=0.8)
    floor = world.floor_up(image, vis, points, cam)
    assert abs(floor.roll_deg) > world.ROLL_AGREE and floor.feet_roll_deg is None, floor  # the feet's floor kept
    assert floor.upright_roll_deg is not None and abs(floor.upright_roll_deg) < 2.0  # ... and the doubt recorded


def test_a_single_frame_of_bent_legs_is_mended_and_a_real_plie_or_walk_is_not():
    t = np.arange(60)
    walk = 0.9 + 0.02 * np.sin(2 * np.pi * t / 10)  # a walk's own rise and fall of the pelvis over the lower foot
    plie = np.where(t < 30, 0.9, 0.7)  # a real plié held from frame 30: a step, not a spike
    bent = walk.copy()
    bent[20] -= 0.3  # one frame the model bent the legs
    bent[40:43:2] += 0.15  # and a flicker: two frames of three
    stance = np.stack([walk, plie, bent])
    stance[1, 50:] = np.nan  # not placed: left alone
    bad = clean.leg_outliers(stance)
    assert not bad[:2].any()
    assert np.array_equal(np.nonzero(bad[2])[0], [20, 40, 42])

    legs = [1, 2]
    pos = np.zeros((1, 5, 3, 3))
    pos[0, :, 0] = np.arange(5)[:, None] * [1.0, 0, 0]  # the pelvis travels
    pos[0, :, 1:] = pos[0, :, :1] + [0.0, -0.9, 0.0]  # legs straight under it...
    pos[0, 2, 1:] = pos[0, 2, :1] + [0.0, -0.5, 0.2]  # ...but frame 2's bent
    pos[0, 2, 2] = np.nan  # and one of its joints unknown (at the start of a run, nothing had filled it)
    mended = clean.mend_legs(pos, legs, np.array([[False, False, True, False, False]]))
    assert np.allclose(mended[0, 2, 1:], pos[0, 2, 0] + [0.0, -0.9, 0.0])  # straight under the pelvis again
    assert np.array_equal(np.delete(mended, 2, axis=1), np.delete(pos, 2, axis=1))


def test_frames_where_another_person_may_hide_a_dancer_are_told_from_clear_ones():
    t = 6
    image = np.zeros((1, t, 33, 2))
    image[0, :, :, 0] = np.linspace(100, 130, 33)  # a dancer 30 px wide, 100 px high, standing still
    image[0, :, :, 1] = np.linspace(200, 300, 33)
    found = np.array([[True, True, False, False, True, True]])  # missed in frames 2 and 3
    people = np.full((3, t, 4), np.nan)
    people[0] = [100, 200, 130, 300]  # the dancer's own box (where found): not someone else
    people[1, 2] = [110, 210, 150, 320]  # frame 2: someone in front (feet lower in the frame)
    people[2, 3] = [110, 150, 150, 240]  # frame 3: someone behind it (feet far higher): hides nothing
    people[2, 4] = [112, 200, 140, 302]  # frame 4: someone beside it at its depth: either may hide the other
    hidden = quality.hidden_by_others(image, found, people)
    assert hidden.tolist() == [[False, False, True, False, True, False]]
    clear = ~hidden
    assert quality.found_where_visible(found, clear) == [0.75]  # 3 of the 4 clear frames


def _walker(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Frame landmarks `[T, 33, 3]` of a person 100 px high whose torso's centre is at `(xs, ys)` per frame."""
    pts = np.zeros((len(xs), 33, 3))
    pts[..., 0] = xs[:, None]
    pts[..., 1] = ys[:, None] + np.linspace(-50.0, 50.0, 33)[None]
    pts[:, [11, 12, 23, 24], 1] = ys[:, None]
    return pts


def test_a_track_sliding_onto_a_close_walker_it_crosses_is_a_switch_while_walking_skips_and_gaps_are_not():
    t = np.arange(40.0)
    jitter = 1.5 * np.sin(1.7 * t)  # landmark noise, a pixel or two
    a = _walker(100 + 3 * t + jitter, 200 + jitter)  # walking right, 0.03 body heights a frame
    b = _walker(220 - 3 * t, 170 + jitter)  # walking left 30 px (0.3 body heights) farther up the frame
    swapped = np.concatenate([a[:20], b[20:]])[None]  # at the crossing (frame 20) the track slides onto b
    found = np.ones((1, 40), bool)
    assert quality.identity_switches(swapped, found) == [[20]]  # 30 px: under JUMP, but off its own way
    steady = a.copy()
    steady[10:, :, 0] += 3  # frame 10: the video skipped a frame (a step twice as long)
    steady[25, :, 1] += 25  # frame 25: one bad landmark frame, 0.25 body heights off, back the frame after
    gap = found.copy()
    gap[0, 30:35] = False  # lost for 5 frames and found again where its pace took it
    assert quality.identity_switches(steady[None], gap) == [[]]
    turned = steady.copy()
    turned[30:, :, 1] -= 3 * (t[30:, None] - 29)  # ...or where it turned while hidden
    assert quality.identity_switches(turned[None], gap) == [[]]

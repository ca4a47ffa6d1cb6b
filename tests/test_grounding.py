"""Grounding: feet on the floor and planted feet held still, on real mocap and on doctored copies of it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import pasdeux
from pasdeux.body import leg_extension, root_trajectory
from pasdeux.data import center, pair_windows, windows
from pasdeux.errors import ShapeError
from pasdeux.grounding import (
    MAX_DROP,
    PIN_SPEED,
    SLIDE_SPEED,
    FloorModel,
    detect_contacts,
    foot_points,
    ground,
    leg_length,
    limit_travel,
    local_floor,
    lowest_foot,
    stance_gap,
    stand_with,
)
from pasdeux.models.contacts import contact_labels, foot_index


@pytest.fixture(scope="module")
def salsa(shared_data):
    """Two salsa takes at 30 fps: one to measure the floor on, one to test on (both dancers)."""
    load = [pasdeux.load(shared_data / "cmu_salsa" / f"60_{k}.bvh", pair=shared_data / "cmu_salsa" / f"61_{k}.bvh")
            for k in ("02", "13")]
    return [m.resample(30) for m in load]


def _windows(m, stride=16):
    return np.concatenate([windows(m.positions[d], 64, stride) for d in range(m.n_dancers)]).astype(np.float32)


@pytest.fixture(scope="module")
def floor(salsa):
    return FloorModel.measure(_windows(salsa[0], 8), salsa[0].skeleton, 30)


@pytest.fixture(scope="module")
def test_windows(salsa):
    return _windows(salsa[1])


def _slide(world, skeleton, fps, floor, planted, q=50):
    """A percentile of the horizontal speed (leg lengths per second) of the ankles of planted feet."""
    ankles = foot_points(world, skeleton)[..., 0, :]
    speed = np.linalg.norm(np.gradient(ankles[..., [0, 2]], axis=1), axis=-1) * fps / floor.leg_length
    return float(np.percentile(speed[planted], q))


def _floating(world, skeleton, floor):
    return float(np.median(lowest_foot(world, skeleton) - floor.floor) / floor.leg_length)


def _ground(w, sk, floor, contact=None, fps=30):
    return ground(w, sk, fps, floor.leg_length, floor.floor, contact, floor)


def test_floor_model_of_the_salsa(floor):
    assert 0.5 < floor.leg_length < 0.65  # a body scaled to about 0.6 units to the hip
    assert abs(floor.floor) < 0.05
    assert floor.phrase_low <= 0 <= floor.phrase_high < 0.1
    assert 0 <= floor.planted_low < floor.planted_high < 0.08 * floor.leg_length * 1.5


def test_real_motion_keeps_its_pose(salsa, floor, test_windows):
    """Real mocap is already grounded: the pose, centred per frame, moves by about a centimetre at most
    (planted feet outside the middle half of the training take's heights are brought towards it)."""
    sk = salsa[1].skeleton
    out = _ground(test_windows, sk, floor)
    assert out.shape == test_windows.shape and out.dtype == np.float32
    moved = np.linalg.norm(center(out, sk) - center(test_windows, sk), axis=-1)
    assert np.median(moved) < 0.02 * floor.leg_length and moved.mean() < 0.03 * floor.leg_length
    # Bones the IK works on keep their lengths.
    before, after = sk.bone_lengths(test_windows), sk.bone_lengths(out)
    assert np.abs(after - before).max() < 1e-3


def test_a_floating_body_is_brought_down_and_a_sunk_one_up(salsa, test_windows):
    """Real phrases lifted off the floor or sunk into it stand where they stood again (the floor model of
    those phrases, as a model keeps its training data's)."""
    sk = salsa[1].skeleton
    floor = FloorModel.measure(test_windows, sk, 30)
    real = _floating(test_windows, sk, floor)
    for lift in (0.3, -0.2):
        doctored = test_windows.copy()
        doctored[..., 1] += lift * floor.leg_length
        assert abs(_floating(doctored, sk, floor) - real) > 0.15
        out = _ground(doctored, sk, floor)
        assert abs(_floating(out, sk, floor) - real) < 0.2 * abs(real)


def test_motion_over_another_floor_is_lifted_onto_the_models_and_real_phrases_are_not(salsa, floor, test_windows):
    """`FloorModel.lift`: real phrases of another take stand within the floors' range (no move); the same phrases
    captured 1 m higher or 0.5 m lower come back to the middle of that range."""
    sk = salsa[1].skeleton
    assert np.abs(floor.lift(test_windows, sk)).max() < 0.01 * floor.leg_length
    own = np.percentile(lowest_foot(test_windows, sk), 5, axis=1)
    for offset in (1.0, -0.5):
        lift = floor.lift(test_windows + np.float32([0, offset, 0]), sk)
        np.testing.assert_allclose(own + offset + lift, floor.floor + floor.phrase_mid, atol=1e-4)


def test_a_leaping_path_is_followed_at_the_top_speed_and_caught_up(salsa, test_windows):
    """`limit_travel`: a body whose place leaps 1 m sideways in one frame follows it at the top speed and then
    stands where it was placed; a path never that fast is left as it is."""
    sk = salsa[1].skeleton
    real = test_windows[:4].copy()
    step = 3.0 / 30  # 3 units a second at 30 fps: faster than the salsa dancers travel
    np.testing.assert_allclose(limit_travel(real, sk, step), real, atol=1e-5)
    leap = real.copy()
    leap[:, 20:, :, 0] += 1.0
    out = limit_travel(leap, sk, step)
    assert out.dtype == leap.dtype
    root = root_trajectory(out, sk)[..., [0, 2]]
    assert np.linalg.norm(np.diff(root, axis=1), axis=-1).max() <= step + 1e-6
    np.testing.assert_allclose(out[:, 40:], leap[:, 40:], atol=1e-5)  # caught up within 10 frames of 0.1


def test_a_partner_stands_on_the_floor_its_lead_dances_on(salsa):
    """`stance_gap`: the salsa follower's lowest foot stands 1-4 cm above the leader's (markers on her shoes), a
    fact of the couple that moving the whole capture leaves alone; `stand_with` stands a partner that far above
    its lead wherever the lead's floor lies, moving it only up or down."""
    sk = salsa[0].skeleton
    pairs = pair_windows(salsa[0].positions, 64, 16)
    gap = stance_gap(pairs, sk)
    assert 0.01 < gap < 0.04
    up = np.float32([0, 0.3, 0])
    assert stance_gap(pairs + up, sk) == pytest.approx(gap, abs=1e-6)
    raised = pairs.copy()
    raised[:, 1] += np.float32([0, 0.02, 0])
    assert stance_gap(raised, sk) == pytest.approx(gap + 0.02, abs=1e-5)
    lead, partner = pairs[:, 0], pairs[:, 1]
    stood = stand_with(partner, lead, sk, 30, gap)
    np.testing.assert_array_equal(stood[..., [0, 2]], partner[..., [0, 2]])  # only up or down
    typical = np.median(lowest_foot(stood, sk), axis=1) - np.median(lowest_foot(lead, sk), axis=1)
    np.testing.assert_allclose(typical, gap, atol=0.004)
    sunk = partner - np.float32([0, 0.05, 0])  # a partner grounded on another floor
    np.testing.assert_allclose(stand_with(sunk, lead, sk, 30, gap), stood, atol=1e-5)
    np.testing.assert_allclose(stand_with(partner, lead + up, sk, 30, gap), stood + up, atol=1e-5)


def test_a_whole_takes_partner_follows_its_leads_floor_phrase_by_phrase(salsa):
    """Over a whole take the floor is judged phrase by phrase: a partner sinking 4 cm over the take (a floor
    that drifts, as a filmed one does) is stood back `gap` above its lead throughout, the move smooth (no step
    a dancer would see), and a lead whose floor tilts up by 3 cm carries its partner up with it."""
    sk, take = salsa[1].skeleton, salsa[1].positions
    lead, partner = take[0][None], take[1][None]
    gap = stance_gap(pair_windows(salsa[0].positions, 64, 16), sk)
    t = np.linspace(0, 1, partner.shape[1], dtype=np.float32)[None, :, None, None]
    sunk = partner - 0.04 * t * np.float32([0, 1, 0])
    stood = stand_with(sunk, lead, sk, 30, gap)
    move = stood[0, :, 0, 1] - sunk[0, :, 0, 1]
    assert np.abs(np.diff(move)).max() < 0.002  # metres a frame: smooth
    phrase = [slice(s, s + 64) for s in range(0, partner.shape[1] - 64, 64)]
    typical = [np.median(lowest_foot(stood[0, p], sk)) - np.median(lowest_foot(lead[0, p], sk)) for p in phrase]
    np.testing.assert_allclose(typical, gap, atol=0.01)
    tilted = lead + 0.03 * t * np.float32([0, 1, 0])
    rise = stand_with(sunk, tilted, sk, 30, gap) - stood
    assert rise[0, -64:, :, 1].mean() == pytest.approx(0.03 * (1 - 32 / partner.shape[1]), abs=0.005)
    assert abs(rise[0, :64, :, 1].mean()) < 0.005


def test_sliding_feet_are_planted_again(salsa, floor, test_windows):
    """The body dragged sideways under its pose (as a decoder with a poor root velocity does): the feet
    slide; grounded, the body travels over its planted feet again."""
    sk = salsa[1].skeleton
    drift = np.cumsum(np.full(64, 0.8 * floor.leg_length / 30))  # 0.8 leg lengths per second
    doctored = test_windows.copy()
    doctored[..., 0] += drift[None, :, None]
    contact = detect_contacts(test_windows, sk, 30, floor.leg_length, local_floor(test_windows, sk, 30))
    real, slid = _slide(test_windows, sk, 30, floor, contact), _slide(doctored, sk, 30, floor, contact)
    assert slid > real + 0.4
    out = _ground(doctored, sk, floor, contact)
    assert _slide(out, sk, 30, floor, contact) < real  # no faster than real planted feet, drift gone
    assert _slide(out, sk, 30, floor, contact, 90) < 2 * SLIDE_SPEED  # held: nowhere near the drift


def test_a_short_contact_is_held_as_firmly_as_a_long_one(salsa, floor, test_windows):
    """Contacts of 4 frames (0.13 s), as the model gives them while stepping fast, under a body gliding
    faster than grounding holds a low foot by itself (so the contacts stay short): within each contact the
    planted ankle slides no faster than `SLIDE_SPEED` wherever the leg can reach (the correction is not
    smoothed away at the contact's ends)."""
    sk = salsa[1].skeleton
    doctored = test_windows.copy()
    doctored[..., 0] += np.cumsum(np.full(64, (PIN_SPEED + 0.5) * floor.leg_length / 30))[None, :, None]
    contact = np.zeros((len(doctored), 64, 2))
    contact[:, (np.arange(64) // 4) % 2 == 0, 0] = 1.0  # left foot: planted 4 frames, free 4 frames
    contact[:, (np.arange(64) // 4) % 2 == 1, 1] = 1.0
    out = ground(doctored, sk, 30, floor.leg_length, floor.floor, contact, floor, travel=False)
    ankles = foot_points(out, sk)[..., 0, :]
    step = np.linalg.norm(np.diff(ankles[..., [0, 2]], axis=1), axis=-1) * 30 / floor.leg_length  # [N, T-1, 2]
    held = (contact[:, 1:] > 0.5) & (contact[:, :-1] > 0.5)
    assert np.median(step[held]) < 1.01 * SLIDE_SPEED
    assert (step[held] < 1.05 * SLIDE_SPEED).mean() > 0.8  # the rest: legs stretched, the target out of reach


def test_unsure_contacts_are_held_but_left_at_their_height(salsa, floor, test_windows):
    """A swinging foot the model calls planted with some doubt is held in place but not pulled down to the
    floor; called planted surely, it is brought down too."""
    sk = salsa[1].skeleton
    height = (foot_points(test_windows, sk)[..., 1].min(-1) - local_floor(test_windows, sk, 30)[..., None])
    swing = height[..., 0] > 0.1 * floor.leg_length  # the left foot off the floor
    assert swing.mean() > 0.05

    def left_height(prob):
        contact = np.zeros((len(test_windows), 64, 2))
        contact[..., 0] = np.where(swing, prob, 0.0)
        out = _ground(test_windows, sk, floor, contact)
        return foot_points(out, sk)[..., 0, :, 1].min(-1) - local_floor(out, sk, 30)

    before = height[..., 0][swing]
    assert np.median(np.abs(left_height(0.6)[swing] - before)) < 0.02 * floor.leg_length
    assert np.median(before - left_height(0.95)[swing]) > 0.03 * floor.leg_length


def test_grounding_is_the_same_at_any_scale_and_frame_rate(salsa, floor, test_windows):
    sk = salsa[1].skeleton
    out = _ground(test_windows, sk, floor)
    small = _ground(test_windows * 0.6, sk, floor.scaled(0.6))
    np.testing.assert_allclose(small, out * 0.6, atol=1e-4)
    fast = salsa[1].resample(120)
    w120 = np.stack([fast.positions[0, :1024]]).astype(np.float32)
    w30 = np.stack([salsa[1].positions[0, :256]]).astype(np.float32)
    share = [detect_contacts(w, sk, fps, floor.leg_length, local_floor(w, sk, fps)).mean() for w, fps in
             ((w30, 30), (w120, 120))]
    assert share[0] == pytest.approx(share[1], abs=0.05)


def test_given_contacts_are_checked(salsa, floor, test_windows):
    sk = salsa[1].skeleton
    with pytest.raises(ShapeError, match="contact must be"):
        _ground(test_windows, sk, floor, np.ones((2, 64, 2)))
    with pytest.raises(ShapeError, match="leg_length"):
        ground(test_windows, sk, 30, 0.0, floor.floor)
    with pytest.raises(ShapeError, match="world positions"):
        ground(test_windows[0, 0], sk, 30, floor.leg_length, floor.floor)


def test_training_labels_match_the_detector(salsa, floor, test_windows):
    """The model's contact labels (torch, per window) are the grounding's detector (numpy) on real windows."""
    sk = salsa[1].skeleton
    window_floor = np.percentile(lowest_foot(test_windows, sk), 5, axis=1)[:, None]
    numpy_labels = detect_contacts(test_windows, sk, 30, floor.leg_length, window_floor)
    torch_labels = contact_labels(torch.as_tensor(test_windows), foot_index(sk), 30, floor.leg_length).numpy()
    assert 0.3 < numpy_labels.mean() < 0.9
    assert (numpy_labels == (torch_labels > 0.5)).mean() > 0.99


def test_leg_length_and_centring(salsa, test_windows):
    sk = salsa[1].skeleton
    assert leg_length(test_windows, sk) == pytest.approx(leg_length(center(test_windows, sk), sk))


def test_a_partner_carried_by_its_leader_steps_on_its_own_feet_and_keeps_its_place(salsa, floor):
    """A whole real take of the follower carried sideways by its leader's travel (a sway of 0.4 leg lengths
    at 0.5 Hz and a steady drift, as a partner placed from the leader's pelvis is): its planted feet slide.
    Grounded with an anchor, they stay put as the real ones do, and the body stays near where it was placed
    (free travel, as for a solo, would leave that place for good under the drift)."""
    sk = salsa[1].skeleton
    real = salsa[1].positions[1][None].astype(np.float32)  # [1, T, J, 3]
    t = np.arange(real.shape[1]) / 30
    carried = 0.4 * floor.leg_length * np.sin(2 * np.pi * 0.5 * t) + 0.3 * floor.leg_length * t
    doctored = real.copy()
    doctored[..., 0] += carried[None, :, None]
    contact = detect_contacts(real, sk, 30, floor.leg_length, local_floor(real, sk, 30))
    before, slid = _slide(real, sk, 30, floor, contact), _slide(doctored, sk, 30, floor, contact)
    assert slid > before + 0.3
    anchored = ground(doctored, sk, 30, floor.leg_length, floor.floor, contact, floor, anchor_s=1.0)
    assert _slide(anchored, sk, 30, floor, contact) < before
    pelvis = [center(w, sk)[0] - w[0] for w in (anchored, doctored)]  # minus the pelvis' place, per frame
    away = np.linalg.norm((pelvis[1] - pelvis[0])[:, 0, [0, 2]], axis=-1) / floor.leg_length
    assert np.median(away) < 0.5 and away.max() < 1.5  # near its place, never far from it
    free = ground(doctored, sk, 30, floor.leg_length, floor.floor, contact, floor)
    drift = np.linalg.norm((center(free, sk)[0] - free[0] - pelvis[1])[-1, 0, [0, 2]]) / floor.leg_length
    assert drift > 3 * away.max()


def test_a_partner_circling_its_leader_keeps_its_distance_while_it_steps(salsa, floor):
    """A real follower's steps carried round a standing leader (one turn in 4 s at 0.6 leg lengths, as a
    partner placed from the leader's pelvis is when they turn together): an anchor as strong in every
    direction (0.3 s, the partners' before) low-passes the circle and brings the partner a fifth closer; held
    as hard in its distance from the leader but more loosely around it (1 s), the partner keeps its distance
    within a tenth, and its planted feet slide far less than carried."""
    sk = salsa[1].skeleton
    real = salsa[1].positions[1][None, :240].astype(np.float32)
    t = np.arange(real.shape[1]) / 30
    radius = 0.6 * floor.leg_length
    circle = radius * np.stack([np.cos(np.pi * t / 2), np.sin(np.pi * t / 2)], -1)  # [T, 2] around the leader at 0
    doctored = real.copy()
    doctored[..., [0, 2]] += (circle - root_trajectory(real, sk)[0][:, [0, 2]])[None, :, None]
    contact = detect_contacts(real, sk, 30, floor.leg_length, local_floor(real, sk, 30))
    leader = np.zeros((1, real.shape[1], 2))

    def distance(w):
        return np.linalg.norm(root_trajectory(w, sk)[0][:, [0, 2]], axis=-1).mean() / radius

    even = ground(doctored, sk, 30, floor.leg_length, floor.floor, contact, floor, anchor_s=0.3)
    held = ground(doctored, sk, 30, floor.leg_length, floor.floor, contact, floor, anchor_s=0.3, around=leader,
                  along_s=1.0)
    assert distance(doctored) == pytest.approx(1.0, abs=0.02)
    assert distance(even) < 0.85 and 0.9 < distance(held) < 1.05
    with pytest.raises(ShapeError, match="along_s needs around"):
        ground(doctored, sk, 30, floor.leg_length, floor.floor, contact, floor, anchor_s=0.3, along_s=1.0)
    with pytest.raises(ShapeError, match="max_extension"):
        ground(doctored, sk, 30, floor.leg_length, floor.floor, contact, floor, max_extension=1.5)
    assert _slide(held, sk, 30, floor, contact) < 0.5 * _slide(doctored, sk, 30, floor, contact)


def test_legs_kept_bent_sink_the_body_rather_than_lift_the_feet(salsa, floor):
    """A real follower grounded with legs kept from straightening past 0.9 of their length (she straightens
    them further in two frames of three): her planted feet stay on the floor where hers were, the body
    lowered into the stance (at most `MAX_DROP` leg lengths) rather than the feet lifted off it."""
    sk = salsa[1].skeleton
    real = salsa[1].positions[1][None].astype(np.float32)
    contact = detect_contacts(real, sk, 30, floor.leg_length, local_floor(real, sk, 30))
    out = ground(real, sk, 30, floor.leg_length, floor.floor, contact, floor, max_extension=0.9)
    assert leg_extension(out, sk).max() <= 0.9 + 1e-6
    assert _floating(out, sk, floor) == pytest.approx(_floating(real, sk, floor), abs=0.005)  # 0.075 if lifted
    drop = (root_trajectory(real, sk) - root_trajectory(out, sk))[..., 1] / floor.leg_length
    assert 0.03 < np.median(drop) and drop.max() <= MAX_DROP + 1e-6

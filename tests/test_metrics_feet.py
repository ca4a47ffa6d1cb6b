"""Feet metrics (contact, skating, floating) and the figures that must not depend on units or frame rate,
on the real salsa mocap and the video duet."""

from __future__ import annotations

import numpy as np
import pytest

from pasdeux.data import solo_windows, time_split
from pasdeux.metrics import (
    contact_rate,
    floating,
    floor_height,
    foot_contact_share,
    foot_contacts,
    foot_heights,
    foot_metrics,
    foot_skating_ratio,
    jitter_ratio,
    leg_length,
    physical_foot_contact,
)

# Tolerances of the invariance tests. Scaling is exact up to float32 rounding (1e-6). A take at 120 fps and
# the same take resampled to 30 differ only in how the resampler met the ends of the take (the metric brings
# the 120 fps take to 30 itself): shares of frames within 0.01, floating within 0.002 leg lengths, ratios
# within 1 %. The figures without resampling moved by 0.1-0.3 (skating 0.61 against 0.50, jitter 1.28
# against 1.01), so these tolerances can tell a rate-dependent metric from a sound one.
SHARE_TOL, FLOAT_TOL, RATIO_TOL = 0.01, 0.002, 0.01


@pytest.fixture(scope="module")
def take(salsa_test):
    """Salsa take 13 as two solos with the travel kept, first frames (a spliced rest pose) cut: [2, T, J, 3]."""
    return salsa_test[0].positions[:, 4:].astype(np.float64), salsa_test[0].skeleton


@pytest.fixture(scope="module")
def salsa_world(salsa_test30):
    """World-position windows of both salsa test takes at 30 fps, and their own floor and leg length."""
    w = solo_windows(salsa_test30, 64, 8, centring="first")
    sk = salsa_test30[0].skeleton
    return w, sk, leg_length(w, sk), floor_height(w, sk)


def _scores(x, sk, fps):
    leg, floor = leg_length(x, sk), floor_height(x, sk)
    half = x.shape[1] // 2
    duet = np.stack([x[0], x[1]])
    return {**foot_metrics(x, sk, fps, leg, floor), "jitter": jitter_ratio(x[:, :half], x[:, half:], fps),
            "contact": contact_rate(duet[:, ::int(round(fps / 30))], sk, leg)}  # contact needs no rate: sampled


def test_same_take_scores_the_same_at_120_and_30_fps_and_any_scale(take, salsa_test):
    from pasdeux.motion import resample_positions

    x, sk = take
    base = _scores(x, sk, 120.0)
    at30 = _scores(resample_positions(x, 120.0, 30.0), sk, 30.0)
    at60 = _scores(resample_positions(x, 120.0, 60.0), sk, 60.0)
    small = _scores(x * 0.6, sk, 120.0)
    for other in (at30, at60, small):
        for k in ("foot_contact_share", "foot_skating_ratio"):
            assert other[k] == pytest.approx(base[k], abs=SHARE_TOL), k
        assert other["floating"] == pytest.approx(base["floating"], abs=FLOAT_TOL)
        assert other["jitter"] == pytest.approx(base["jitter"], rel=RATIO_TOL)
        assert other["contact"] == pytest.approx(base["contact"], abs=SHARE_TOL)
    assert small == pytest.approx(base, rel=1e-5, abs=1e-6)  # scale alone changes nothing
    # The real take is grounded and mostly planted without sliding.
    assert base["foot_contact_share"] > 0.95 and base["foot_skating_ratio"] < 0.2 and base["floating"] < 0.05


def _sway(x, leg, fps, amplitude=0.07, hz=2.0):
    """The whole body swayed sideways by `amplitude` leg lengths `hz` times a second."""
    t = np.arange(x.shape[-3]) / fps
    return x + (amplitude * leg * np.sin(2 * np.pi * hz * t))[:, None, None] * np.array([1.0, 0.0, 0.0])


def test_a_shuffling_body_skates(take):
    """Take 13 swayed sideways by 7 % of its leg length twice a second (a planted foot shuffling about 6 cm each
    way): by hand 0.12 real against 0.47 swayed (the earlier per-foot measure over 1 leg length/s: 0.23 / 0.29)."""
    x, sk = take
    leg, floor = leg_length(x, sk), floor_height(x, sk)
    real = foot_skating_ratio(x, sk, 120.0, leg, floor)
    swayed = foot_skating_ratio(_sway(x, leg, 120.0), sk, 120.0, leg, floor)
    assert real < 0.2
    assert swayed > 2 * real and swayed > real + 0.2
    assert foot_skating_ratio(_sway(x, leg, 120.0, 0.035), sk, 120.0, leg, floor) < real + 0.1  # a slight sway is not


def _spun(pose, sk, at, turns_per_s=2.0, frames=60):
    """A one-foot pose turned about the vertical through the point `at` of the way from its left ankle to its
    left toe, at 30 fps."""
    from pasdeux.metrics import foot_points

    ankle, toe = foot_points(np.repeat(pose[None, None], 3, 1), sk)[0, 0, 0, :2]
    centre = ankle + at * (toe - ankle)
    a = 2 * np.pi * turns_per_s * np.arange(frames) / 30.0
    c, s, z, o = np.cos(a), np.sin(a), np.zeros_like(a), np.ones_like(a)
    rot = np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], 1)  # about y
    return np.einsum("tij,kj->tki", rot, pose - centre) + centre


def test_a_pivot_on_the_foot_does_not_skate(salsa_test30):
    """A pose of take 13 standing on its left foot, spun at 2 turns per second about a point of that foot (its
    ball, 70 % of the way from ankle to toe, or its middle), stays planted and does not skate, though its ankle
    and toe move at 0.6-1.3 leg lengths per second; the same pose shuffled does."""
    x, sk = salsa_test30[0].positions[0], salsa_test30[0].skeleton
    leg, floor = leg_length(x, sk), floor_height(x, sk)
    h = foot_heights(x[None], sk, floor, leg)[0]
    pose = x[np.flatnonzero((h[:, 0] < 0.03) & (h[:, 1] > 0.12))[0]]  # left foot down, right foot up
    for at in (0.5, 0.7):
        spun = _spun(pose, sk, at)[None]
        assert foot_contact_share(spun, sk, 30.0, leg, floor) == 1.0
        assert foot_skating_ratio(spun, sk, 30.0, leg, floor) < 0.05, at
    shuffled = _sway(np.repeat(pose[None, None], 60, 1), leg, 30.0)
    assert foot_skating_ratio(shuffled, sk, 30.0, leg, floor) > 0.3


def test_a_heeled_foot_pivots_on_any_of_its_points():
    """A foot with a heel (MediaPipe names) turning about a point inside its sole does not skate; the same foot
    carried sideways at the shuffle's speed does."""
    from pasdeux.motion import Skeleton

    sk = Skeleton("mp", ("left_hip", "right_hip", "left_ankle", "right_ankle", "left_heel", "right_heel",
                         "left_foot_index", "right_foot_index"), ())
    pose = np.array([[0.1, 1.0, 0], [-0.1, 1.0, 0], [0.13, 0.08, 0], [-0.1, 0.4, 0], [0.08, 0.0, -0.05],
                     [-0.1, 0.35, -0.05], [0.12, 0.0, 0.15], [-0.1, 0.35, 0.15]])  # the right foot lifted
    a = 2 * 2 * np.pi * np.arange(60) / 30.0  # two turns per second about a point of the left sole
    centre = np.array([0.1, 0.0, 0.03])
    rot = np.stack([np.stack([np.cos(a), 0 * a, np.sin(a)], -1), np.tile([0.0, 1.0, 0.0], (60, 1)),
                    np.stack([-np.sin(a), 0 * a, np.cos(a)], -1)], 1)
    turned = (np.einsum("tij,kj->tki", rot, pose - centre) + centre)[None]
    assert foot_contact_share(turned, sk, 30.0, floor=0.0) == 1.0
    assert foot_skating_ratio(turned, sk, 30.0, floor=0.0) == 0.0
    carried = pose + (0.6 * np.arange(60) / 30.0)[:, None, None] * np.array([1.0, 0.0, 0.0])  # 0.8 leg lengths/s
    assert foot_skating_ratio(carried[None], sk, 30.0, floor=0.0) == 1.0


def test_gliding_body_skates(salsa_world):
    """The whole body glides sideways at 1.5 leg lengths per second: every planted foot slides."""
    w, sk, leg, floor = salsa_world
    base = foot_metrics(w, sk, 30.0, leg, floor)
    glide = w + (1.5 * leg * np.arange(64) / 30.0)[None, :, None, None] * np.array([1.0, 0.0, 0.0])
    slid = foot_metrics(glide, sk, 30.0, leg, floor)
    assert base["foot_skating_ratio"] < 0.2  # both real test takes, both dancers
    assert slid["foot_skating_ratio"] > base["foot_skating_ratio"] + 0.5
    assert slid["foot_contact_share"] == pytest.approx(base["foot_contact_share"])  # still on the floor
    assert slid["floating"] == pytest.approx(base["floating"])


def test_lifted_body_floats_against_the_real_floor(salsa_world):
    """Lifted 0.1 leg lengths, the body loses its contact and floats, judged on the real floor; on its own
    (per-window) floor the lifted body would look grounded, which is why `floor=` exists."""
    w, sk, leg, floor = salsa_world
    base = foot_metrics(w, sk, 30.0, leg, floor)
    lifted = w + np.array([0.0, 0.1 * leg, 0.0])
    up = foot_metrics(lifted, sk, 30.0, leg, floor)
    assert up["floating"] == pytest.approx(base["floating"] + 0.1, abs=1e-4)
    assert up["foot_contact_share"] < base["foot_contact_share"] - 0.8
    own = foot_metrics(lifted, sk, 30.0, leg)  # floor=None: each window's own floor
    assert own["foot_contact_share"] > 0.95


def test_feet_metrics_on_the_video_duet(duet):
    """The video duet: contact and skating rise and fall the right way too (its floor drifts, so its real
    contact share is lower than mocap's)."""
    parts = time_split(duet)
    sk = duet.skeleton
    train = solo_windows([parts["train"]], 64, 8, centring="first")
    test = solo_windows([parts["test"]], 64, 8, centring="first")
    leg, floor = leg_length(train, sk), floor_height(train, sk)
    base = foot_metrics(test, sk, 30.0, leg, floor)
    assert 0.1 < base["foot_contact_share"] < 0.6 and base["foot_skating_ratio"] < 0.3
    glide = test + (1.5 * leg * np.arange(64) / 30.0)[None, :, None, None] * np.array([0.0, 0.0, 1.0])
    assert foot_skating_ratio(glide, sk, 30.0, leg, floor) > base["foot_skating_ratio"] + 0.5
    swayed = test + (0.07 * leg * np.sin(2 * np.pi * 2.0 * np.arange(64) / 30.0))[:, None, None] * np.array([1.0, 0, 0])
    skating = foot_skating_ratio(swayed, sk, 30.0, leg, floor)  # by hand 0.60 against 0.20 real (earlier: 0.21 / 0.10)
    assert skating > 2 * base["foot_skating_ratio"] and skating > base["foot_skating_ratio"] + 0.3
    lifted = test + np.array([0.0, 0.2 * leg, 0.0])
    assert foot_contact_share(lifted, sk, 30.0, leg, floor) < base["foot_contact_share"] / 4
    assert floating(lifted, sk, 30.0, leg, floor) == pytest.approx(base["floating"] + 0.2, abs=1e-4)


def test_floor_heights_and_contact_labels(salsa_world):
    w, sk, leg, floor = salsa_world
    per_window = floor_height(w, sk, per_window=True)
    assert per_window.shape == (len(w),) and isinstance(floor, float)
    assert abs(np.median(per_window) - floor) < 0.02 * leg  # mocap's floor is flat
    h = foot_heights(w, sk, floor, leg)
    assert h.shape == (len(w), 64, 2) and np.mean(h < 0) == pytest.approx(0.0, abs=0.05)
    labels = foot_contacts(w, sk, floor, leg)
    assert labels.dtype == bool and labels.any(-1).mean() == pytest.approx(foot_contact_share(w, sk, 30.0, leg, floor))


def test_physical_foot_contact_rises_with_noise_and_ignores_scale(salsa_world):
    w, sk, leg, _ = salsa_world
    rng = np.random.default_rng(0)
    base = physical_foot_contact(w, sk)
    assert base > 0
    assert physical_foot_contact(w * 0.6, sk) == pytest.approx(base, rel=1e-5)
    assert physical_foot_contact(w + rng.normal(0, 0.02 * leg, w.shape), sk) > 1.5 * base


def test_bad_floor_and_leg_are_refused(salsa_world):
    from pasdeux.errors import ShapeError

    w, sk, leg, _ = salsa_world
    with pytest.raises(ShapeError, match="floor"):
        foot_metrics(w, sk, floor=np.zeros(3))
    with pytest.raises(ShapeError, match="leg_length"):
        foot_metrics(w, sk, leg_length=-1.0)

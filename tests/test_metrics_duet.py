"""Duet metrics on the shared real duet, and the segment distance they rest on."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pasdeux.data import duet_windows, rotate_y, time_split
from pasdeux.errors import ShapeError
from pasdeux.metrics import (
    KineticSpace,
    bed,
    bone_contact,
    contact_rate,
    cross_distance_features,
    div_cd,
    fid_cd,
    kinematic_beats,
    lagged_correlation,
    leg_length,
    max_partner_distance,
    multimodality,
    own_speed_curves,
    penetration,
    responsiveness,
    segment_distance,
)
from pasdeux.metrics.duet import CONTACT_DISTANCE


@pytest.fixture(scope="module")
def split(duet):
    return time_split(duet)


@pytest.fixture(scope="module")
def test_pairs(split):
    return duet_windows(split["test"], 64, 2)


def _brute_segment_distance(p1, q1, p2, q2, n=401):
    s = np.linspace(0, 1, n)[:, None]
    a, b = p1 + s * (q1 - p1), p2 + s * (q2 - p2)
    return np.linalg.norm(a[:, None] - b[None], axis=-1).min()


coords = arrays(np.float64, (4, 3), elements=st.floats(-1, 1))


@settings(max_examples=60, deadline=None)
@given(pts=coords)
@example(pts=np.array([[0.0625, 0, 0], [0, 0, 0], [0, 1e-5, 0], [0, 0, 0]]))  # a short segment at an angle
def test_segment_distance_matches_brute_force(pts):
    d = segment_distance(*pts)
    assert d == pytest.approx(_brute_segment_distance(*pts), abs=0.01)
    assert d <= _brute_segment_distance(*pts) + 1e-6  # segments shorter than 1e-6 count as points


def test_bone_contact_is_every_bone_pair_measured(duet, test_pairs):
    """Bone contact measures exactly only the bone pairs whose bounding spheres come near; it must find what
    measuring every pair finds, with the dancers apart, in hold and passing through each other."""
    sk = duet.skeleton
    i, j = np.asarray(sk.bones).T
    x = test_pairs[:4].astype(np.float64)
    moved = [x.copy() for _ in range(3)]
    for k, shift in enumerate((0.0, -0.5, -1.0)):  # partner brought towards, onto and past the leader
        moved[k][:, 1] += shift * (x[:, 1].mean((1, 2)) - x[:, 0].mean((1, 2)))[:, None, None]
    x = np.concatenate(moved)
    limit = CONTACT_DISTANCE * leg_length(x[:, 0], sk)
    a, b = x[:, 0][..., i, None, :], x[:, 1][..., None, i, :]
    every = segment_distance(a, x[:, 0][..., j, None, :], b, x[:, 1][..., None, j, :]).min((-1, -2)) < limit
    found = bone_contact(x, sk, leg_length(x[:, 0], sk))
    assert 0 < every.mean() < 1  # both kinds of frames are there
    np.testing.assert_array_equal(found, every)


def test_segment_distance_degenerate_and_parallel():
    o = np.zeros(3)
    x = np.array([1.0, 0, 0])
    assert segment_distance(o, o, x, x) == pytest.approx(1.0)  # two points
    assert segment_distance(o, x, o + [0, 0.5, 0], x + [0, 0.5, 0]) == pytest.approx(0.5)  # parallel
    assert segment_distance(o, x, np.array([3.0, 0, 0]), np.array([4.0, 0, 0])) == pytest.approx(2.0)  # collinear


def test_fid_cd_floor_and_partner_moved_away(duet, split, test_pairs):
    sk = duet.skeleton
    assert fid_cd(test_pairs, test_pairs, sk) == pytest.approx(0.0, abs=1e-6)
    floor = fid_cd(duet_windows(split["train"]), test_pairs, sk)
    far = test_pairs.copy()
    far[:, 1, ..., 0] += 3.0
    assert fid_cd(far, test_pairs, sk) > 10 * floor
    assert cross_distance_features(test_pairs, sk).shape == (len(test_pairs), 100)


def test_same_place_means_penetration_and_contact(duet, test_pairs):
    sk = duet.skeleton
    same = test_pairs.copy()
    same[:, 1] = same[:, 0]
    assert penetration(same, sk) > 0.99
    assert contact_rate(same[::8], sk) == 1.0
    apart = test_pairs[::8].copy()
    apart[:, 1, ..., 0] += 5.0
    assert penetration(apart, sk) == 0.0
    assert contact_rate(apart, sk) == 0.0
    assert 0 < penetration(test_pairs, sk) < 0.5


def test_duet_metrics_invariant_to_turning_the_pair(duet, test_pairs):
    sk = duet.skeleton
    sub = test_pairs[::8].astype(np.float64)
    turned = rotate_y(sub, 0.7) + np.array([1.0, 0.0, 2.0])
    np.testing.assert_allclose(cross_distance_features(turned, sk), cross_distance_features(sub, sk), atol=1e-6)
    assert contact_rate(turned, sk) == contact_rate(sub, sk)
    assert responsiveness(turned, sk) == pytest.approx(responsiveness(sub, sk), abs=1e-6)
    assert bed(turned, sk) == pytest.approx(bed(sub, sk), abs=1e-9)


def test_responsiveness_finds_a_delayed_copy(duet, test_pairs):
    """A partner who repeats the leader 10 frames later is perfectly responsive at lag +10."""
    sk = duet.skeleton
    lead = test_pairs[:, 0]
    follower = np.concatenate([np.repeat(lead[:, :1], 10, axis=1), lead[:, :-10]], axis=1)
    pair = np.stack([lead, follower], axis=1)
    assert responsiveness(pair, sk) > 0.95
    s = own_speed_curves(pair, sk)
    lags, corr = lagged_correlation(s[:, 0], s[:, 1], 30)
    assert lags[np.argmax(corr)] == 10
    frozen = pair.copy()
    frozen[:, 1] = frozen[:, 1, :1]
    assert responsiveness(frozen, sk) == 0.0


def test_a_statue_partner_does_not_respond(shared_data):
    """A partner standing still while the leader travels: in the leader-centred frame it moves with the
    leader's steps, but responsiveness reads each dancer's own movement, so it scores nothing."""
    import pasdeux
    from pasdeux.data import leader_centred, windows

    take = pasdeux.load(shared_data / "cmu_salsa" / "60_12.bvh", pair=shared_data / "cmu_salsa" / "61_12.bvh")
    take = take.frames(4).resample(30)
    world = np.moveaxis(windows(np.moveaxis(take.positions, 0, 1), 64, 8), 2, 1).astype(np.float64)
    statue = world.copy()
    statue[:, 1] = world[:, 1, :1]
    centred = np.stack([leader_centred(w, take.skeleton) for w in statue])
    assert np.abs(np.diff(centred[:, 1], axis=1)).max() > 0.01  # it does move in the leader's frame
    assert responsiveness(centred, take.skeleton) == 0.0
    assert bed(centred, take.skeleton) == 0.0
    real = np.stack([leader_centred(w, take.skeleton) for w in world])
    assert responsiveness(real, take.skeleton) > 0.3


def test_bed_of_copies_and_delays(duet, test_pairs):
    """A partner on the leader's beats echoes them fully; 3 frames late, exp(-9/18) = 0.61 per beat."""
    sk = duet.skeleton
    lead = test_pairs[:, 0]
    assert bed(np.stack([lead, lead], axis=1), sk) == pytest.approx(1.0)
    late = np.concatenate([np.repeat(lead[:, :1], 3, axis=1), lead[:, :-3]], axis=1)
    b = bed(np.stack([lead, late], axis=1), sk)
    assert 0.5 < b < 0.7
    beats = kinematic_beats(np.cos(np.arange(100) * 2 * np.pi / 16) + 1.5)  # a stop every 16 frames
    np.testing.assert_array_equal(beats, np.arange(8, 92, 16))


def test_thresholds_follow_the_body_size(duet, test_pairs):
    """Contact and penetration are fractions of the leg length: the same duet at 0.6 scale scores the same."""
    sk = duet.skeleton
    sub = test_pairs[::8].astype(np.float64)
    small = sub * 0.6
    assert contact_rate(small, sk) == contact_rate(sub, sk)
    assert penetration(small, sk) == penetration(sub, sk)
    assert bed(small, sk) == pytest.approx(bed(sub, sk))
    assert max_partner_distance(small, sk) == pytest.approx(0.6 * max_partner_distance(sub, sk), rel=1e-6)
    leg = leg_length(sub, sk)
    assert contact_rate(sub, sk, leg) == contact_rate(sub, sk, leg, CONTACT_DISTANCE)
    assert contact_rate(sub, sk, leg, 10.0) == 1.0


def test_max_partner_distance_and_div_cd(duet, test_pairs):
    sk = duet.skeleton
    base = max_partner_distance(test_pairs, sk)
    far = test_pairs.copy()
    far[:, 1, ..., 0] += 3.0
    assert max_partner_distance(far, sk) > base + 2.0
    real_div = div_cd(test_pairs, test_pairs, sk)
    assert real_div > 3
    same = np.repeat(test_pairs[:1], len(test_pairs), axis=0)
    assert div_cd(same, test_pairs, sk) == pytest.approx(0.0, abs=1e-9)


def test_multimodality(duet, test_pairs):
    """Four identical partners per leader have multimodality 0; partners of four other windows about the
    real diversity."""
    from pasdeux.data import center

    sk = duet.skeleton
    partners = center(test_pairs[:, 1], sk, "frame")
    same = np.repeat(partners[:, None], 4, axis=1)
    assert multimodality(same, partners) == pytest.approx(0.0, abs=1e-9)
    n = len(partners)
    others = np.stack([partners[(np.arange(n) + k * n // 4) % n] for k in range(4)], axis=1)
    real_div = KineticSpace.fit(partners).diversity(partners)
    assert 0.7 * real_div < multimodality(others, partners) < 1.3 * real_div
    with pytest.raises(ShapeError, match="K >= 2"):
        multimodality(partners[:, None], partners)


def test_pair_metrics_symmetric_in_leader_and_partner(duet, test_pairs):
    """Swapping who leads changes none of the pair's symmetric metrics (lags run both ways)."""
    sk = duet.skeleton
    sub = test_pairs[::8]
    swapped = sub[:, ::-1]
    assert responsiveness(swapped, sk) == pytest.approx(responsiveness(sub, sk), abs=1e-9)
    assert contact_rate(swapped, sk) == contact_rate(sub, sk)
    assert penetration(swapped, sk) == penetration(sub, sk)

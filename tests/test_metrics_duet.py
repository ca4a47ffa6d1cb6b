"""Duet metrics on the shared real duet, and the segment distance they rest on."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pasdeux.data import duet_windows, rotate_y, time_split
from pasdeux.metrics import (
    contact_rate,
    cross_distance_features,
    fid_cd,
    lagged_correlation,
    penetration,
    responsiveness,
    segment_distance,
)


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
def test_segment_distance_matches_brute_force(pts):
    d = segment_distance(*pts)
    assert d == pytest.approx(_brute_segment_distance(*pts), abs=0.01)
    assert d <= _brute_segment_distance(*pts) + 1e-6  # segments shorter than 1e-6 count as points


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
    assert responsiveness(turned) == pytest.approx(responsiveness(sub), abs=1e-6)


def test_responsiveness_finds_a_delayed_copy(test_pairs):
    """A partner who repeats the leader 10 frames later is perfectly responsive at lag +10."""
    lead = test_pairs[:, 0]
    follower = np.concatenate([np.repeat(lead[:, :1], 10, axis=1), lead[:, :-10]], axis=1)
    pair = np.stack([lead, follower], axis=1)
    assert responsiveness(pair) > 0.95
    from pasdeux.metrics import speed_curve

    s = speed_curve(pair)
    lags, corr = lagged_correlation(s[:, 0], s[:, 1], 30)
    assert lags[np.argmax(corr)] == 10
    frozen = pair.copy()
    frozen[:, 1] = frozen[:, 1, :1]
    assert responsiveness(frozen) == 0.0


def test_pair_metrics_symmetric_in_leader_and_partner(duet, test_pairs):
    """Swapping who leads changes none of the pair's symmetric metrics (lags run both ways)."""
    sk = duet.skeleton
    sub = test_pairs[::8]
    swapped = sub[:, ::-1]
    assert responsiveness(swapped) == pytest.approx(responsiveness(sub), abs=1e-9)
    assert contact_rate(swapped, sk) == contact_rate(sub, sk)
    assert penetration(swapped, sk) == penetration(sub, sk)

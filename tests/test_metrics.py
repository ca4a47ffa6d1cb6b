"""Core solo metrics on the shared real duet: each test would catch a broken metric."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.ndimage import uniform_filter1d

from pasdeux.data import rotate_y, solo_windows, time_split
from pasdeux.errors import ShapeError
from pasdeux.metrics import (
    KineticSpace,
    bone_cv,
    diversity,
    fid_k,
    frechet_distance,
    jitter_ratio,
    kinetic_features,
    mean_acceleration,
    mpjpe,
    recon_mse,
)


@pytest.fixture(scope="module")
def split(duet):
    return time_split(duet)


@pytest.fixture(scope="module")
def test_windows(split):
    """Real test windows at stride 2, centred per frame, as BENCHMARK.md scores them."""
    return solo_windows([split["test"]], 64, 2)


@pytest.fixture(scope="module")
def train_windows(split):
    return solo_windows([split["train"]], 64, 8)


def test_recon_mse_and_mpjpe_known_values():
    true = np.zeros((2, 4, 3, 3), np.float32)
    pred = true.copy()
    pred[..., 0] = 0.3
    pred[..., 1] = 0.4
    assert recon_mse(pred, true) == pytest.approx((0.09 + 0.16) / 3)
    assert mpjpe(pred, true) == pytest.approx(0.5)
    with pytest.raises(ShapeError, match="same shape"):
        recon_mse(pred[:1], true)


def test_jitter_ratio_real_noisy_smoothed(test_windows):
    rng = np.random.default_rng(0)
    assert jitter_ratio(test_windows, test_windows) == pytest.approx(1.0)
    noisy = test_windows + rng.normal(0, 0.01, test_windows.shape)
    assert jitter_ratio(noisy, test_windows) > 2
    smoothed = uniform_filter1d(test_windows, 15, axis=1, mode="nearest")
    assert jitter_ratio(smoothed, test_windows) < 0.6


def test_mean_acceleration_of_uniform_motion_is_zero():
    t = np.arange(10, dtype=np.float64)[:, None, None]
    linear = np.broadcast_to(t * np.array([0.1, 0.0, -0.2]), (10, 2, 3))
    assert mean_acceleration(linear) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ShapeError, match="at least 3 frames"):
        mean_acceleration(linear[:2])


def test_fid_k_floor_noise_and_self(test_windows, train_windows):
    assert fid_k(test_windows, test_windows) == pytest.approx(0.0, abs=1e-3)
    floor = fid_k(train_windows, test_windows)
    rng = np.random.default_rng(1)
    noisy = test_windows + rng.normal(0, 0.01, test_windows.shape)
    assert fid_k(noisy, test_windows) > 10 * floor


def test_kinetic_space_drops_flat_features(test_windows):
    """The centred pelvis has no horizontal motion, so its features are dropped."""
    raw = kinetic_features(test_windows)
    assert raw.shape == (len(test_windows), 29 * 3)
    space = KineticSpace.fit(test_windows)
    assert not space.keep[0] and not space.keep.all()
    z = space.features(test_windows)
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-8)
    np.testing.assert_allclose(z.std(0), 1, atol=1e-8)


def test_diversity_frozen_near_zero_real_positive(test_windows):
    frozen = np.repeat(test_windows[:1, :1], 64, axis=1).repeat(len(test_windows), axis=0)
    assert diversity(frozen, test_windows) < 1e-6
    assert diversity(test_windows, test_windows) > 5


def test_bone_cv_rises_when_limbs_are_scaled(duet, test_windows):
    rng = np.random.default_rng(2)
    sk = duet.skeleton
    base = bone_cv(test_windows, sk)
    assert 0.05 < base < 0.4
    # Rebuild each frame with every bone scaled by its own random factor along the tree.
    x = test_windows.astype(np.float64)
    scaled = x.copy()
    factors = rng.uniform(0.6, 1.4, size=x.shape[:2] + (sk.n_joints,))
    for j, p in enumerate(sk.parents):
        if p >= 0:
            scaled[..., j, :] = scaled[..., p, :] + factors[..., j, None] * (x[..., j, :] - x[..., p, :])
    assert bone_cv(scaled, sk) > base + 0.1
    rigid = np.broadcast_to(x[:1, :1], x.shape)
    assert bone_cv(rigid, sk) == pytest.approx(0.0, abs=1e-9)


@settings(max_examples=10, deadline=None)
@given(angle=st.floats(-np.pi, np.pi), dx=st.floats(-3, 3), dz=st.floats(-3, 3))
def test_metrics_invariant_to_floor_translation_and_turning(test_windows, angle, dx, dz):
    """A dancer turned about the vertical and moved on the floor scores the same."""
    sub = test_windows[::8]
    moved = rotate_y(sub.astype(np.float64), angle) + np.array([dx, 0.0, dz])
    assert jitter_ratio(moved, sub) == pytest.approx(1.0, rel=1e-6)
    np.testing.assert_allclose(kinetic_features(moved), kinetic_features(sub), rtol=1e-5, atol=1e-6)


def test_fid_symmetric_in_a_fixed_space(test_windows, train_windows):
    space = KineticSpace.fit(test_windows)
    assert space.fid(train_windows, test_windows) == pytest.approx(space.fid(test_windows, train_windows), rel=1e-6)


def test_frechet_distance_of_shifted_gaussians():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(4000, 3))
    b = a + np.array([2.0, 0.0, 0.0])
    assert frechet_distance(a, b) == pytest.approx(4.0, rel=1e-6)


def test_bad_input_raises_shape_error(duet):
    with pytest.raises(ShapeError, match="NaN"):
        jitter_ratio(np.full((2, 5, 3, 3), np.nan), np.zeros((2, 5, 3, 3)))
    with pytest.raises(ShapeError, match="joints"):
        bone_cv(np.zeros((1, 5, 3, 3)), duet.skeleton)

"""A rigid pelvis for generated bodies: found from real motion, and given back to a squeezed one."""

from __future__ import annotations

import numpy as np
import pytest

import pasdeux
from pasdeux.kinematics import descendants
from pasdeux.models.bones import fit_girdles, girdle_shapes, girdles


@pytest.fixture(scope="module")
def salsa(shared_data):
    return pasdeux.load(shared_data / "cmu_salsa" / "60_02.bvh").resample(30)


def _hip_width(x, sk):
    return np.linalg.norm(x[..., sk.joints.index("lThigh"), :] - x[..., sk.joints.index("rThigh"), :], axis=-1)


def test_the_pelvis_is_what_real_bodies_hold_rigid(salsa, duet):
    sk = salsa.skeleton
    parts = girdles(salsa.positions, sk)
    assert {sk.joints[j] for j in np.flatnonzero(parts >= 0)} == {"hip", "abdomen", "lButtock", "rButtock", "lThigh",
                                                                   "rThigh"}
    assert set(parts[parts >= 0]) == {sk.joints.index("hip")}  # one girdle, rooted where the hips meet
    assert (girdles(duet.positions, duet.skeleton) < 0).all()  # extracted video: hips move with the landmarks


def test_a_squeezed_pelvis_gets_its_real_shape_back_and_real_motion_keeps_its_own(salsa):
    """The left leg swung in about the root, as a decoder squeezes the hips, comes back to the real pelvis with
    every bone's length kept and the leg hanging from it; real motion moves by well under a millimetre."""
    from scipy.spatial.transform import Rotation

    sk, real = salsa.skeleton, salsa.positions[:, :120].astype(np.float64)
    parts = girdles(real, sk)
    shape = girdle_shapes(real, sk, parts)
    assert np.abs(fit_girdles(real, sk, parts, shape) - real).max() < 1e-3
    width = _hip_width(real, sk).mean()
    root = sk.joints.index("hip")
    left = descendants(sk.parents, sk.joints.index("lButtock"))
    squeezed = real.copy()
    turn = Rotation.from_euler("y", 160, degrees=True).as_matrix()
    frames = slice(40, 52)
    local = squeezed[:, frames][..., left, :] - squeezed[:, frames, root, None, :]
    squeezed[:, frames, left] = squeezed[:, frames, root, None, :] + local @ turn.T
    assert _hip_width(squeezed, sk)[:, frames].min() < 0.6 * width
    fixed = fit_girdles(squeezed, sk, parts, shape)
    np.testing.assert_allclose(_hip_width(fixed, sk), width, atol=2e-3)
    np.testing.assert_allclose(sk.bone_lengths(fixed), sk.bone_lengths(real), atol=2e-4)  # 0.2 mm

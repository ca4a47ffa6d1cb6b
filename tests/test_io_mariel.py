"""The Mariel mocap .npy reader: the research's processing as options, z-up mm to y-up metres."""

from __future__ import annotations

import numpy as np
import pytest

import pasdeux
from io_fixtures import mariel_array
from pasdeux.io import detect_format


@pytest.fixture
def take(tmp_path):
    path = tmp_path / "mariel_honey.npy"
    np.save(path, mariel_array(1200))
    return path


def _height(motion, names):
    sk = motion.skeleton
    return motion.positions[0][:, [sk.index(n) for n in names], 1].mean(1)


def test_detected_and_processed_like_the_research(take):
    m = pasdeux.load(take)
    assert detect_format(take) == "mariel_npy"
    assert (m.n_dancers, m.n_frames, m.n_joints) == (1, 200, 53)  # 1200 - 2 * 500 frames, 55 - 2 points
    assert m.skeleton.name == "mariel53" and m.fps == 35
    head, feet = _height(m, ["LFHD", "RFHD"]), _height(m, ["LANK", "RANK"])
    assert (head - feet > 1.4).all() and (head - feet < 1.8).all()  # upright, in metres
    assert any("millimetres" in n for n in m.notes) and any("trimmed 500" in n for n in m.notes)
    assert not any(n.startswith("warning") for n in m.notes)


def test_the_dropped_points_are_the_unnamed_ones(take):
    m = pasdeux.load(take)
    centre = m.positions[0].mean(1, keepdims=True)
    spread = np.linalg.norm((m.positions[0] - centre)[..., [0, 2]], axis=-1)
    assert spread.max() < 0.8  # every kept marker is on the body; the random junk points are gone


def test_keeps_the_named_markers_in_order(take):
    raw = np.load(take)
    m = pasdeux.load(take, trim=0)
    keep = [j for j in range(55) if j not in (26, 53)]
    expected_x = raw[keep, :, 0].T / 1000  # x is untouched by the axis change
    np.testing.assert_allclose(m.positions[0, :, :, 0], expected_x, atol=1e-6)


def test_short_take_is_not_trimmed_and_says_so(tmp_path):
    path = tmp_path / "short.npy"
    np.save(path, mariel_array(300))
    m = pasdeux.load(path)
    assert m.n_frames == 300 and any("did not trim" in n for n in m.notes)


def test_options_change_the_processing(take):
    m = pasdeux.load(take, trim=100, scale=0.001, negate_z=False)
    assert m.n_frames == 1000
    assert any(n.startswith("warning: the head markers are below the ankles") for n in m.notes)
    assert (_height(m, ["LFHD"]) < _height(m, ["LANK"])).all()


def test_drop_points_outside_the_array_are_a_clear_error(tmp_path):
    path = tmp_path / "odd.npy"
    np.save(path, np.zeros((55, 10, 3), np.float32))
    with pytest.raises(pasdeux.ConfigError, match="drop_points"):
        pasdeux.load(path, drop_points=(60,))

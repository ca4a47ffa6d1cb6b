"""C3D marker files written with the c3d package's Writer, read back as Motion."""

from __future__ import annotations

import numpy as np
import pytest

import pasdeux
from io_fixtures import mariel_array, write_c3d
from pasdeux.skeletons import MARIEL53_JOINTS


def _markers(frames: int = 40, n: int = 4) -> np.ndarray:
    t = np.arange(frames)[:, None]
    x = 1000 + 10 * t + 100 * np.arange(n)[None]
    return np.stack([x, 200 + 0 * x, 1000 + 5 * t + 0 * x], -1).astype(np.float32)  # z up, mm


def test_labels_units_axes_and_rate(tmp_path):
    path = write_c3d(tmp_path / "walk.c3d", _markers(), ["Sub:HEAD", "Sub:HAND", "Sub:HIP", "Sub:FOOT"], rate=120)
    m = pasdeux.load(path)
    assert m.skeleton.joints == ("HEAD", "HAND", "HIP", "FOOT") and m.skeleton.bones == ()
    assert (m.n_frames, m.fps) == (40, 120)
    np.testing.assert_allclose(m.positions[0, 0, 0], [1.0, 1.0, -0.2], atol=1e-5)  # mm z-up -> m y-up
    assert any("converted mm to metres" in n for n in m.notes)


def test_integer_c3d_in_centimetres(tmp_path):
    markers = _markers() / 10  # cm
    path = write_c3d(tmp_path / "int.c3d", markers, ["A", "B", "C", "D"], units="cm", point_scale=0.01)
    m = pasdeux.load(path)
    np.testing.assert_allclose(m.positions[0, :, :, 0], markers[..., 0] / 100, atol=1e-4)  # 16-bit, 0.1 mm steps
    assert any("converted cm to metres" in n for n in m.notes)


def test_gaps_filled_when_short_reported_when_long(tmp_path):
    invalid = np.zeros((40, 4), bool)
    invalid[5:8, 0] = True  # residual -1: a 3-frame gap
    invalid[10:35, 1] = True  # 25 frames
    markers = _markers()
    markers[20, 2] = 0  # all-zero coordinates: another way systems write a gap
    path = write_c3d(tmp_path / "gaps.c3d", markers, ["A", "B", "C", "D"], invalid=invalid)
    m = pasdeux.load(path, max_gap=10)
    pos = m.positions[0]
    np.testing.assert_allclose(pos[6, 0, 0], (markers[6, 0, 0]) / 1000, atol=1e-4)  # linear, so exact
    assert np.isnan(pos[10:35, 1]).all() and not np.isnan(pos[:, [0, 2, 3]]).any()
    assert any("29 marker samples were invalid" in n for n in m.notes)
    assert any("longer gap(s) left as NaN: dancer 0 joint B: frames 10-34" in n for n in m.notes)


def test_mariel_labels_give_the_mariel_skeleton(tmp_path):
    cloud = mariel_array(30).transpose(1, 0, 2)
    keep = [j for j in range(55) if j not in (26, 53)]
    labels = list(MARIEL53_JOINTS[::-1])  # any order: the reader reorders to mariel53
    order = [MARIEL53_JOINTS.index(name) for name in labels]
    markers = cloud[:, keep][:, order] * np.array([1, 1, -1])
    path = write_c3d(tmp_path / "mariel.c3d", markers, labels, rate=35)
    m = pasdeux.load(path)
    assert m.skeleton.name == "mariel53" and m.n_joints == 53
    sk = m.skeleton
    assert (m.positions[0, :, sk.index("LFHD"), 1] > m.positions[0, :, sk.index("LANK"), 1] + 1.4).all()


def test_truncated_c3d_is_a_format_error(tmp_path):
    path = write_c3d(tmp_path / "t.c3d", _markers(200), ["A", "B", "C", "D"])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 1500])
    with pytest.raises(pasdeux.FormatError, match="truncated"):
        pasdeux.load(path)

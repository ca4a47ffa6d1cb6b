"""The viewer payload (compact, exact to a millimetre), the offline HTML page, and notebook display."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest

import pasdeux
from pasdeux.errors import ConfigError
from pasdeux.viz import Viewer, motion_payload, viewer_html
from pasdeux.viz.viewer import decode_positions, viewer_bundle


def data_block(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="pasdeux-data">(.*?)</script>', page, re.S)
    assert m, "the page has no data block"
    return json.loads(m.group(1))


def test_payload_round_trip_within_half_a_millimetre(duet):
    payload = motion_payload(duet, start=100, frames=50)
    assert payload["frames"] == 50 and payload["fps"] == 30
    assert [f["label"] for f in payload["figures"]] == ["dancer 1", "dancer 2"]
    for d in range(2):
        back = decode_positions(payload, d)
        assert np.abs(back - duet.positions[d, 100:150]).max() <= 0.0005 + 1e-6
    json.dumps(payload, allow_nan=False)  # strictly JSON-safe


def test_full_duet_export_is_small(duet, tmp_path):
    # Its speed is measured by benchmarks/viz_speed.py, not asserted here (shared machines are noisy).
    out = pasdeux.animate(duet, out=tmp_path / "duet.html")
    size_mb = out.stat().st_size / 1e6
    assert size_mb < 3.0
    payload = data_block(out.read_text())
    assert payload["frames"] == 1800


def test_ghost_and_missing_joints_survive_encoding(duet):
    pos = duet.positions[:, :20].copy()
    pos[0, 3, 5] = np.nan
    ghost = duet.dancer(1).frames(0, 12)  # a shorter one-dancer ghost: shown whole, vanishes at its end
    payload = motion_payload(duet.with_positions(pos), ghost)
    assert [f["ghost"] for f in payload["figures"]] == [False, False, True]
    assert np.isnan(decode_positions(payload, 0)[3, 5]).all()
    g = decode_positions(payload, 2)
    assert np.isfinite(g[:12]).all() and np.isnan(g[12:]).all()


def test_far_travelling_motion_keeps_its_precision(duet):
    pos = duet.positions[:, :30].copy()
    pos[:, :, :, 0] += np.linspace(0, 90, 30)[None, :, None]  # 90 m of travel: beyond int16 millimetres
    pos[:, :, :, 2] += 1000.0  # far from the origin
    payload = motion_payload(duet.with_positions(pos))
    scale = payload["quant"]["scale"]
    assert scale > 0.001
    assert np.abs(decode_positions(payload, 1) - pos[1]).max() <= scale / 2 + 1e-4


def test_page_is_self_contained_and_escapes_its_data(duet):
    page = viewer_html(motion_payload(duet, frames=10, title="</script><script>alert(1)</script>"))
    assert page.count("</script>") == 3  # data, bundle, bootstrap: the title did not close a block early
    assert data_block(page)["title"].startswith("</script>")
    assert not re.search(r'<(script|link|img)[^>]+(src|href)=', page), "the page loads something from outside"
    assert "SPDX-License-Identifier: MIT" in viewer_bundle() and "Three.js Authors" in viewer_bundle()
    with pytest.raises(ConfigError):
        viewer_html({"not": "a payload"})


def test_show_displays_inline_with_srcdoc(duet, tmp_path):
    viewer = pasdeux.show(duet, frames=15, height=400)
    assert isinstance(viewer, Viewer)
    frame = viewer._repr_html_()
    assert frame.startswith("<iframe") and "height:400px" in frame
    srcdoc = re.search(r'srcdoc="([^"]*)"', frame).group(1)
    assert html.unescape(srcdoc) == viewer.page  # quotes and ampersands survive the attribute
    assert data_block(viewer.page)["frames"] == 15
    saved = viewer.save(tmp_path / "nb.html")
    assert saved.read_text() == viewer.page


def test_show_accepts_a_path_and_a_ghost_path(shared_data):
    path = shared_data / "duet_ilya_hannah.npy"
    viewer = pasdeux.show(path, ghost=path, frames=5)
    assert [f["ghost"] for f in data_block(viewer.page)["figures"]] == [False, False, True, True]


def test_cli_animate_html(shared_data, tmp_path):
    from pasdeux.cli import main

    out = tmp_path / "v.html"
    assert main(["animate", str(shared_data / "duet_ilya_hannah.npy"), "--seconds", "2", "--fps", "15",
                 "-o", str(out)]) == 0
    payload = data_block(out.read_text())
    assert payload["frames"] == 30 and payload["fps"] == 15  # resampled, same two seconds


def test_ghost_at_another_frame_rate_is_aligned_in_time(duet):
    ghost = duet.frames(0, 120).resample(60)  # the same two seconds... at 60 fps, twice the frames
    payload = motion_payload(duet, ghost, start=30, frames=60)
    assert payload["frames"] == 60
    real, aligned = decode_positions(payload, 0), decode_positions(payload, 2)
    assert np.abs(aligned[:50] - real[:50]).mean() < 0.01  # same poses at the same moments


def test_unwritable_output_is_a_user_error(duet, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match="cannot write"):
        pasdeux.animate(duet, out=blocker / "x.html", frames=5)
    with pytest.raises(ConfigError, match="cannot write"):
        pasdeux.animate(duet, out=blocker / "x.gif", frames=5)

"""`pasdeux extract` on real footage: OpenCV's vtest.avi (Debian's opencv-doc, installed by `scripts/setup.sh test`),
people walking across a square filmed from a building, cut into a temporary clip at test time."""

from __future__ import annotations

import numpy as np
import pytest

from pasdeux.extract import footage, quality, run

pytestmark = pytest.mark.skipif(footage.source() is None, reason=f"{footage.VTEST} missing: {footage.INSTALL_HINT}")
SECONDS = 8.0  # 80 frames at 10 fps


@pytest.fixture(scope="module")
def window(tmp_path_factory):
    """A window of the square enlarged twice: people a third of the frame high, several at once."""
    return footage.cut("window", tmp_path_factory.mktemp("footage"), SECONDS)


@pytest.fixture(scope="module")
def duet(window):
    return run(window, dancers=2, model="lite")


def test_two_walkers_filmed_from_above_are_found_kept_rigid_and_on_one_floor(duet):
    m = duet.motion
    report = quality.report(duet)
    # Issue 20's targets are 0.9 and no switch; not met on this clip (README, known limits): the first dancer is
    # lost for about 1 s at 6 s on some CPUs (0.94 on others: the landmark model's arithmetic differs), and where
    # two men cross at 2.3 s and stop to talk, the piece after the crossing is not joined to him when it starts off
    # his way (0.787 on an AMD EPYC, 0.85 when such joins were made; on the 30 s clips the same rule lifts every
    # chosen dancer to 0.9 and more). These hold the line there.
    assert min(report["found_in_span"]) >= 0.75, report  # each found in most of the frames it is in view
    assert min(report["found_visible"]) >= 0.75, report  # ... and of the frames its whole body is in view
    # At 4.4 s two men stand side by side talking (the left one's skeleton once slid onto his neighbour's): no
    # switch there or anywhere but the crossing at 2.3 s
    switches = quality.identity_switches(duet.image, duet.found)
    assert all(20 <= frame <= 30 for frames in switches for frame in frames), switches
    assert max(report["bone_cv"]) < 0.02, report  # rigid bodies
    assert max(f["std_m"] for f in report["floor"]) < 0.05, report  # planted feet on one floor...
    # ... and within 5 cm of it before the last step stands them on it (the honest figure: what smoothing the
    # stood poses' path moves them, once the legs of single bad frames are mended)
    before = report["floor_before_last_step"]
    assert max(max(f["p10_p50_m"], f["std_m"]) for f in before) < 0.05, report
    assert min(report["found_unhidden"]) >= 0.75, report  # ... and of those frames no one else may hide it in
    cam = m.provenance["extract"]["camera"]
    assert cam["tilt"] == "estimated" and 20 <= cam["tilt_deg"] <= 70 and abs(cam["roll_deg"]) < 15, cam
    assert 2.0 <= cam["position_m"][1] <= 10.0  # a camera on a building, metres above the square
    notes = " ".join(m.notes)
    assert "people seen" in notes and "most present" in notes and "looking down" in notes


def test_walking_shows_as_legs_alternating(duet):
    m = duet.motion
    sk = m.skeleton
    for d in range(m.n_dancers):
        pos = m.positions[d]
        ok = np.isfinite(pos).all((1, 2))
        travel = pos[ok][:, 0][:, [0, 2]]
        heading = travel[-1] - travel[0]
        if np.linalg.norm(heading) < 0.5:  # hardly walked in this clip
            continue
        ankles = pos[ok][:, [sk.index("left_ankle"), sk.index("right_ankle")]][..., [0, 2]]
        ahead = (ankles[:, 0] - ankles[:, 1]) @ heading
        changes = np.count_nonzero(np.diff(np.sign(ahead[np.abs(ahead) > 0.02])) != 0)
        assert changes >= 3, f"dancer {d + 1}: the legs swapped front and back only {changes} times while walking"


def test_a_picked_person_is_followed(window, duet):
    ex = run(window, dancers=1, model="lite", pick=[(0, 0, 0.0)])  # the person nearest the top-left corner at 0 s
    top_left = duet
    assert "dancer picked at (0, 0) in frame 0" in " ".join(ex.motion.notes)
    first = np.nonzero(ex.found[0])[0][0]
    picked = np.nanmean(ex.image[0, first, [11, 12, 23, 24], :2], axis=0)
    others = [np.nanmean(top_left.image[d, first, [11, 12, 23, 24], :2], axis=0)
              for d in range(2) if top_left.found[d, first]]
    assert all(np.linalg.norm(picked) <= np.linalg.norm(o) + 1 for o in others)


@pytest.mark.slow
def test_three_dancers_in_the_whole_square(tmp_path):
    video = footage.cut("square", tmp_path, 15.0)
    ex = run(video, dancers=3)
    report = quality.report(ex)
    assert ex.motion.n_dancers == 3 and min(report["found_in_span"]) >= 0.9, report
    assert max(report["bone_cv"]) < 0.02, report
    # Not yet none (README, known limits): the off-its-way measure counts one switch per dancer in these 15 s
    assert sum(report["identity_switches"]) <= 3, report

"""`pasdeux evaluate`: the report on the real duet, generated files, a model, and user errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import pasdeux
from pasdeux.bench import real_floors, solo_data
from pasdeux.cli import main
from pasdeux.evaluate import evaluate
from pasdeux.motion import Motion

DUET = "../shared/data/duet_ilya_hannah.npy"


@pytest.fixture(scope="module")
def split_report(duet, tmp_path_factory):
    out = tmp_path_factory.mktemp("eval")
    return evaluate([duet], split=True, out=out), out


def test_split_mode_floor_matches_the_benchmark(split_report, duet):
    """The duet's train span against its test span gives the same floors as `pasdeux bench solo`."""
    report, _ = split_report
    floors = real_floors(solo_data("video", DUET))
    floor = report.rows["real train span (first 70 %)"]
    assert floor["fid_k"] == pytest.approx(floors["fid_k_real"], rel=1e-9)
    assert report.rows["real reference"]["diversity"] == pytest.approx(floors["diversity_real"], rel=1e-9)
    assert report.rows["real reference"]["jitter_ratio"] == pytest.approx(1.0)
    for key in ("fid_g", "fid_cd", "contact_rate", "penetration", "responsiveness", "foot_skating_ratio"):
        assert key in floor and np.isfinite(floor[key])


def test_report_files_are_written_and_read_well(split_report):
    report, out = split_report
    data = json.loads((out / "report.json").read_text())
    assert set(data["rows"]) == {"real reference", "real train span (first 70 %)"}
    md = (out / "report.md").read_text()
    assert "| fid_k | - | 90.5" in md and "Floor: real train span" in md
    for name in ("speed.png", "kinetic.png"):
        img = np.asarray(Image.open(out / name).convert("L"), dtype=float)
        assert img.shape[1] > 800 and img.std() > 10  # drawn, not blank
    assert not list(out.glob(".*"))  # no temp files left behind


def test_noisy_and_smoothed_generated_files_score_worse_than_the_floor(duet, tmp_path):
    rng = np.random.default_rng(0)
    noisy = duet.with_positions(duet.positions + rng.normal(0, 0.01, duet.positions.shape).astype(np.float32))
    kernel = np.ones(15) / 15
    smooth_pos = np.apply_along_axis(lambda v: np.convolve(v, kernel, mode="same"), 1, duet.positions)
    smooth = duet.with_positions(smooth_pos.astype(np.float32))
    paths = []
    for name, m in (("noisy", noisy), ("smooth", smooth)):
        paths.append(pasdeux.save(m, tmp_path / f"{name}.npz"))
    report = evaluate([duet], {p.stem: pasdeux.load(p) for p in paths})
    floor, rows = report.rows["real first half"], report.rows
    assert rows["noisy"]["jitter_ratio"] > 2 and rows["noisy"]["fid_k"] > 10 * floor["fid_k"]
    assert rows["smooth"]["jitter_ratio"] < 0.6 and rows["smooth"]["fid_k"] > floor["fid_k"]


def test_model_prior_row_with_reconstruction(duet, tmp_path):
    """An (untrained) model's prior samples and reconstructions get a row of their own."""
    from pasdeux.models import MotionModel, build_model

    half = duet.frames(0, 900)
    stats = MotionModel.fit_stats(np.concatenate([half.positions[d, :64 * 14].reshape(14, 64, 29, 3)
                                                  for d in range(2)]), duet.skeleton)
    build_model("pose", {}, duet.skeleton, stats).save_pretrained(tmp_path / "model")
    code = main(["evaluate", "--real", DUET, "--split", "--model", str(tmp_path / "model"),
                 "--out", str(tmp_path / "ev"), "--samples", "32", "--no-plots"])
    assert code == 0
    rows = json.loads((tmp_path / "ev" / "report.json").read_text())["rows"]
    row = rows["model pose (prior)"]
    assert row["windows"] == 32 and row["recon_mse"] > 0 and "fid_k" in row and "foot_skating_ratio" in row
    assert not (tmp_path / "ev" / "speed.png").exists()


def test_user_errors_exit_2(duet, tmp_path):
    other = Motion(np.zeros((1, 100, 24, 3), np.float32), pasdeux.get_skeleton("smpl24"), 30.0)
    pasdeux.save(other, tmp_path / "smpl.npz")
    assert main(["evaluate", "--real", DUET, "--generated", str(tmp_path / "smpl.npz"),
                 "--out", str(tmp_path / "ev")]) == 2
    assert main(["evaluate", "--real", str(tmp_path / "missing.npy")]) == 2
    assert main(["evaluate", "--real", DUET, "--model", str(tmp_path)]) == 2


def test_mocap_duet_with_bvh_joint_names(shared_data):
    """The CMU salsa (BVH names such as lThigh, lShin, lFoot) gets every metric, duet ones included, at 30 fps."""
    salsa = pasdeux.load(shared_data / "cmu_salsa" / "60_12.bvh", pair=shared_data / "cmu_salsa" / "61_12.bvh")
    report = evaluate([salsa], fps=30.0)
    assert report.fps == 30.0
    floor = report.rows["real first half"]
    for key in ("fid_k", "fid_g", "fid_cd", "div_cd", "foot_skating_ratio", "floating", "contact_rate",
                "responsiveness", "bed", "max_partner_distance"):
        assert np.isfinite(floor[key])
    assert report.rows["real reference"]["bone_cv"] < 0.01  # mocap skeletons are rigid
    assert floor["responsiveness"] > 0.3 and floor["contact_rate"] > 0.1  # salsa partners answer and touch


def test_salsa_floor_is_stable_and_reads_the_body(salsa_test, tmp_path):
    """Issue 8's case: the two dancers of salsa take 13 as solos at 120 fps. The real floor's fid_k was
    20,050, from one marker-tracking failure scored at 120 fps; scored at 30 fps with the failure repaired
    it is about 170, and the report says what was repaired, the leg length and the floor."""
    take = salsa_test[0]
    report = evaluate([take.dancer(0), take.dancer(1)], out=tmp_path, plots=False)
    floor, ref = report.rows["real first half"], report.rows["real reference"]
    assert report.fps == 30.0 and 0.55 < report.leg_length < 0.62
    assert 50 < floor["fid_k"] < 300
    assert 0.9 < floor["jitter_ratio"] < 1.1
    for row in (floor, ref):
        assert row["foot_contact_share"] > 0.95 and row["foot_skating_ratio"] < 0.3 and 0 <= row["floating"] < 0.05
    assert any("tracking glitches" in n for n in report.notes)
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["leg_length"] == pytest.approx(report.leg_length) and data["thresholds"]["foot_contact_height"] == 0.08
    md = (tmp_path / "report.md").read_text()
    assert "leg length 0.5" in md and "| floating |" in md


def test_a_lifted_generated_body_floats_against_the_real_floor(duet):
    """The floor comes from the real reference, so a generated body lifted off the floor cannot bring its own."""
    lifted = duet.with_positions(duet.positions + np.array([0.0, 0.15, 0.0], np.float32))
    report = evaluate([duet], {"lifted": lifted})
    ref, up = report.rows["real reference"], report.rows["lifted"]
    assert up["floating"] > report.rows["real first half"]["floating"] + 0.15
    assert up["foot_contact_share"] < ref["foot_contact_share"] / 2
    assert any("no depth" in n for n in report.notes)  # the video duet: contact is overlap in the image
    assert {"bed", "div_cd", "max_partner_distance"} <= set(up)

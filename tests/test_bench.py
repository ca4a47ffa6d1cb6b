"""`pasdeux bench solo`: both protocols' data, baselines, floors (feet included), progress lines and JSON
(training only in the slow tests)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from pasdeux.bench import (
    Progress,
    baselines,
    bench_solo,
    order_models,
    real_floors,
    score_model,
    solo_data,
    time_to_quality,
)
from pasdeux.cli import main
from pasdeux.errors import ConfigError

DUET = "../shared/data/duet_ilya_hannah.npy"
SALSA = "../shared/data/cmu_salsa"
FEET = {f"{m}_{s}" for m in ("foot_contact_share", "foot_skating_ratio", "floating")
        for s in ("recon", "prior", "var05")}
MODEL_KEYS = {"recon_mse", "mpjpe", "jitter_ratio_recon", "jitter_ratio_prior", "jitter_ratio_var05",
              "bone_cv_prior", "fid_k_prior", "diversity_prior", "fid_g_prior"} | FEET
REAL_FEET = {"foot_contact_share_real", "foot_skating_ratio_real", "floating_real", "leg_length"}


@pytest.fixture(scope="module")
def data(shared_data):
    return solo_data("video", DUET)


@pytest.fixture(scope="module")
def mocap(shared_data):
    return solo_data("mocap")


def test_split_and_windows_follow_the_protocol(data):
    assert data.protocol == "solo-v1"
    assert data.test.shape == (52, 64, 29, 3) and data.test_world.shape == data.test.shape
    assert [data.motions[k][0].n_frames for k in ("train", "val", "test")] == [1260, 270, 270]
    # Centred per frame: the pelvis has no horizontal offset in any window.
    np.testing.assert_allclose(data.test[..., 0, [0, 2]], 0, atol=1e-6)
    assert len(data.real) == 2 * ((270 - 64) // 2 + 1)


def test_baselines_match_benchmark_md(data):
    b = baselines(data)
    assert b["mean_pose"]["recon_mse"] == pytest.approx(0.0373, abs=5e-4)
    assert b["window_mean"]["recon_mse"] == pytest.approx(0.0176, abs=5e-4)
    assert b["mean_pose"]["jitter_ratio_recon"] == 0.0  # a still pose has no acceleration
    assert set(b["mean_pose"]) == {"recon_mse", "jitter_ratio_recon"}  # no prior: prior metrics left out


def test_real_floors(data):
    r = real_floors(data)
    assert r["test_windows"] == 52
    assert 10 < r["fid_k_real"] < 1000 and r["diversity_real"] > 5
    assert 0.1 < r["bone_cv_real"] < 0.4  # video-extracted poses are not rigid
    assert REAL_FEET <= set(r)
    assert 0.6 < r["leg_length"] < 0.9  # metres: an adult's hip-to-ankle distance
    assert 0.2 < r["foot_contact_share_real"] <= 1 and 0 <= r["foot_skating_ratio_real"] < 0.5


def test_mocap_protocol_is_the_salsa_takes_at_30_fps(mocap):
    """solo-mocap-v1: each dancer of takes 02-07, 09-11 trains, 12 validates, 13 and 14 test, at 30 fps."""
    assert mocap.protocol == "solo-mocap-v1"
    assert [len(mocap.motions[k]) for k in ("train", "val", "test")] == [9, 1, 2]
    assert all(m.fps == 30.0 and m.n_dancers == 2 for ms in mocap.motions.values() for m in ms)
    assert "resampled 120 -> 30 fps" in " ".join(mocap.motions["test"][0].notes)
    frames = [m.n_frames for m in mocap.motions["test"]]  # 2 dancers per take, 64-frame windows at stride 8
    assert len(mocap.test) == 2 * sum((f - 64) // 8 + 1 for f in frames)
    np.testing.assert_allclose(mocap.test[..., 0, [0, 2]], 0, atol=1e-6)  # centred per frame
    r = real_floors(mocap)
    assert 0.5 < r["leg_length"] < 0.65  # the salsa body is scaled to about 0.6 units to the hip
    assert r["fid_k_real"] < 500 and r["bone_cv_real"] < 0.01  # optical mocap: rigid bones
    assert r["foot_contact_share_real"] > 0.8 and abs(r["floating_real"]) < 0.1  # dancers on the floor
    b = baselines(mocap)
    assert b["window_mean"]["recon_mse"] < b["mean_pose"]["recon_mse"]


def test_progress_says_the_step_and_the_time_left():
    lines = []
    say = Progress([("data", 10.0), ("train", 100.0), ("score", None), ("train", 100.0), ("score", None)],
                   lines.append)
    say.step("loading")
    say.step("training a", 30.0)
    # 10 + 100 + 30 + 100 + 30: scoring is guessed at 30 s before any has been timed
    assert lines[0].startswith("[1/5] loading") and "about 4:30 left" in lines[0]
    assert lines[1].startswith("[2/5] training a") and "left" in lines[1]
    say.end()
    assert "in 0:00" in lines[-1]
    with pytest.raises(ConfigError, match="more steps"):
        for _ in range(5):
            say.step("too many")

def test_score_model_gives_every_protocol_metric(data, duet):
    from pasdeux.data import windows
    from pasdeux.models import MotionModel, build_model

    torch.manual_seed(0)
    world = np.concatenate([windows(p, 64, 16) for p in data.motions["train"][0].positions])
    model = build_model("default", {}, duet.skeleton, MotionModel.fit_stats(world, duet.skeleton))
    s = score_model(model, data)
    assert MODEL_KEYS <= set(s) and all(np.isfinite(v) for v in s.values())
    model.measure_floor(world)  # as training does: now generation grounds its phrases
    grounded = score_model(model, data)
    # An untrained model's feet are rarely sure contacts, so grounding moves them little and its skating
    # over a handful of contact frames says nothing (tests/test_grounding.py measures that); it must apply.
    assert MODEL_KEYS <= set(grounded) and any(grounded[k] != s[k] for k in FEET)


def test_time_to_seed_quality():
    history = [{"time_s": 1.0, "val_recon_mse": 0.05}, {"time_s": 2.0, "val_recon_mse": 0.02},
               {"time_s": 3.0, "val_recon_mse": 0.01}]
    assert time_to_quality(history, 0.02) == 2.0
    assert time_to_quality(history, 0.001) is None
    assert time_to_quality([{"time_s": 1.0}], 0.02) is None


def test_seed_is_trained_first_and_bad_options_fail(tmp_path):
    assert order_models(["default", "pose", "seed", "pose"]) == ["seed", "default", "pose"]
    with pytest.raises(ConfigError):
        order_models([" ", ""])
    with pytest.raises(ConfigError, match="budget"):
        bench_solo(budget_s=0)
    assert main(["bench", "solo", "--budget-s", "-1"]) == 2
    assert main(["bench", "solo", "--protocol", "opera"]) == 2
    assert main(["bench", "solo", "--protocol", "mocap", "--data", str(tmp_path)]) == 2  # no takes there


@pytest.mark.slow
def test_bench_solo_end_to_end(tmp_path, capsys):
    """The whole protocol with a tiny budget: the JSON shape of BENCHMARK.md and the baselines' numbers."""
    out = tmp_path / "bench.json"
    code = main(["bench", "solo", "--budget-s", "5", "--out", str(out), "--data", DUET])
    assert code == 0
    captured = capsys.readouterr()
    printed = json.loads(captured.out.strip().splitlines()[-1])
    result = json.loads(out.read_text())
    assert printed == result
    assert result["protocol"] == "solo-v1" and result["budget_s"] == 5.0
    assert set(result["machine"]) == {"device", "threads"}
    assert {"fid_k_real", "diversity_real", "bone_cv_real"} | REAL_FEET <= set(result["real"])
    steps = [line for line in captured.err.splitlines() if line.startswith("[")]
    assert [s.split("]")[0] for s in steps] == [f"[{k}/7" for k in range(1, 8)]
    assert all("left" in s for s in steps) and "(pose): training" in steps[3]
    models = result["models"]
    assert set(models) == {"mean_pose", "window_mean", "seed", "pose", "default"}
    assert models["mean_pose"]["recon_mse"] == pytest.approx(0.0373, abs=5e-4)
    assert models["window_mean"]["recon_mse"] == pytest.approx(0.0176, abs=5e-4)
    for name in ("seed", "pose", "default"):
        m = models[name]
        assert MODEL_KEYS | {"train_windows_per_s", "time_to_seed_quality_s"} <= set(m)
        assert m["train_windows_per_s"] > 0
        assert m["gen_realtime_factor"] > 0


@pytest.mark.slow
def test_bench_solo_mocap_end_to_end(tmp_path, capsys):
    """solo-mocap-v1 with the default model and a tiny budget: its JSON, feet included."""
    code = main(["bench", "solo", "--protocol", "mocap", "--models", "default", "--budget-s", "5"])
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["protocol"] == "solo-mocap-v1"
    assert REAL_FEET <= set(result["real"]) and 0.5 < result["real"]["leg_length"] < 0.65
    assert set(result["models"]) == {"mean_pose", "window_mean", "default"}
    assert MODEL_KEYS <= set(result["models"]["default"])

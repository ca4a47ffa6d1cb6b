"""`pasdeux bench solo`: the protocol's data, baselines, floors and JSON (training only in the slow test)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pasdeux.bench import (
    _order,
    baselines,
    bench_solo,
    real_floors,
    score_model,
    solo_data,
    time_to_quality,
)
from pasdeux.cli import main
from pasdeux.errors import ConfigError

DUET = "../shared/data/duet_ilya_hannah.npy"
MODEL_KEYS = {"recon_mse", "mpjpe", "jitter_ratio_recon", "jitter_ratio_prior", "jitter_ratio_var05",
              "bone_cv_prior", "fid_k_prior", "diversity_prior", "fid_g_prior"}


@pytest.fixture(scope="module")
def data(shared_data):
    return solo_data(DUET)


def test_split_and_windows_follow_the_protocol(data):
    assert data.test.shape == (52, 64, 29, 3)
    assert [data.split[k].n_frames for k in ("train", "val", "test")] == [1260, 270, 270]
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


def test_score_model_gives_every_protocol_metric(data, duet):
    from pasdeux.data import windows
    from pasdeux.models import MotionModel, build_model

    world = np.concatenate([windows(p, 64, 16) for p in data.split["train"].positions])
    model = build_model("default", {}, duet.skeleton, MotionModel.fit_stats(world, duet.skeleton))
    s = score_model(model, data)
    assert MODEL_KEYS <= set(s) and all(np.isfinite(v) for v in s.values())


def test_time_to_seed_quality():
    history = [{"time_s": 1.0, "val_recon_mse": 0.05}, {"time_s": 2.0, "val_recon_mse": 0.02},
               {"time_s": 3.0, "val_recon_mse": 0.01}]
    assert time_to_quality(history, 0.02) == 2.0
    assert time_to_quality(history, 0.001) is None
    assert time_to_quality([{"time_s": 1.0}], 0.02) is None


def test_seed_is_trained_first_and_bad_options_fail():
    assert _order(["default", "pose", "seed", "pose"]) == ["seed", "default", "pose"]
    with pytest.raises(ConfigError):
        _order([" ", ""])
    with pytest.raises(ConfigError, match="budget"):
        bench_solo(budget_s=0)
    assert main(["bench", "solo", "--budget-s", "-1"]) == 2


@pytest.mark.slow
def test_bench_solo_end_to_end(tmp_path, capsys):
    """The whole protocol with a tiny budget: the JSON shape of BENCHMARK.md and the baselines' numbers."""
    out = tmp_path / "bench.json"
    code = main(["bench", "solo", "--budget-s", "5", "--out", str(out), "--data", DUET])
    assert code == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    result = json.loads(out.read_text())
    assert printed == result
    assert result["protocol"] == "solo-v1" and result["budget_s"] == 5.0
    assert set(result["machine"]) == {"device", "threads"}
    assert {"fid_k_real", "diversity_real", "bone_cv_real"} <= set(result["real"])
    models = result["models"]
    assert set(models) == {"mean_pose", "window_mean", "seed", "pose", "default"}
    assert models["mean_pose"]["recon_mse"] == pytest.approx(0.0373, abs=5e-4)
    assert models["window_mean"]["recon_mse"] == pytest.approx(0.0176, abs=5e-4)
    for name in ("seed", "pose", "default"):
        m = models[name]
        assert MODEL_KEYS | {"train_windows_per_s", "time_to_seed_quality_s"} <= set(m)
        assert m["train_windows_per_s"] > 0
        assert m["gen_realtime_factor"] > 0

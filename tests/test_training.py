"""Training: configs and overrides, a short real run, determinism, DDP with 2 CPU processes, kill and resume."""

from __future__ import annotations

import copy
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from lightning.pytorch.callbacks import Callback

from pasdeux.cli import main
from pasdeux.config import load_config, parse_overrides
from pasdeux.data import time_split
from pasdeux.errors import ConfigError
from pasdeux.generate.pipeline import sample
from pasdeux.models import load_model
from pasdeux.training import resume_point, train

REPO = Path(__file__).resolve().parents[1]
DUET = REPO.parent / "shared" / "data" / "duet_ilya_hannah.npy"
# A tiny model and few windows, so a run takes seconds on a busy CPU.
TINY = {"model.hidden": 16, "model.latent_channels": 8, "data.stride": 24, "train.batch_size": 16,
        "train.prior_samples": 16, "train.val_every_steps": None, "train.checkpoint_every_steps": 2}


def tiny_args() -> list[str]:
    return [f"{k}={'null' if v is None else v}" for k, v in TINY.items()]


@pytest.fixture(scope="module")
def splits(duet):
    torch.set_num_threads(1)
    parts = time_split(duet)
    return [parts["train"]], [parts["val"]]


def test_named_configs_and_overrides():
    for name in ("default", "seed", "pose"):
        assert load_config(name)["model"]["name"] == name
    cfg = load_config("default", parse_overrides(["model.latent_channels=16", "optim.lr=3e-4",
                                                   "data.augment_rotate=true"]))
    assert cfg["model"]["latent_channels"] == 16 and cfg["optim"]["lr"] == pytest.approx(3e-4)
    assert cfg["data"]["augment_rotate"] is True
    assert load_config("seed")["model"]["units"] == 394 and load_config("seed")["train"]["batch_size"] == 16


def test_unknown_keys_name_the_valid_ones(tmp_path):
    with pytest.raises(ConfigError, match="optim.lr"):
        load_config("default", {"optim.learning_rate": 1e-3})
    with pytest.raises(ConfigError, match="latent_channels"):
        load_config("default", {"model.latent": 3})
    with pytest.raises(ConfigError, match="SECTION"):
        load_config("default", {"lr": 1e-3})
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_overrides(["optim.lr"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  name: default\ntrain:\n  batchsize: 3\n")
    with pytest.raises(ConfigError, match="train.batch_size"):
        load_config(bad)
    assert main(["train", "--data", str(DUET), "optim.nope=1"]) == 2


def test_short_run_leaves_a_complete_run_folder(splits, tmp_path, caplog, recwarn):
    train_set, val_set = splits
    cfg = load_config("default", TINY)
    with caplog.at_level(logging.INFO):
        result = train(cfg, train_set, val_set, epochs=2, run_dir=tmp_path / "run", seed=0, progress=False)
    said = [r.getMessage() for r in caplog.records if r.name.startswith("lightning")]
    # no upsell tip, no "GPU available: False" on a CPU, no warning about Lightning's own internals
    assert not [m for m in said if m.startswith(("💡", "GPU available: False", "TPU", "HPU"))], said
    assert not [w for w in recwarn if "LeafSpec" in str(w.message) or "logging interval" in str(w.message)]
    run = result.run_dir
    for f in ("config.yaml", "ckpt/last.ckpt", "ckpt/best.ckpt", "history.json", "loss_curves.png",
              "model/model.safetensors"):
        assert (run / f).is_file(), f
    assert any((run / "logs").glob("version_*/metrics.csv")) and any((run / "logs").glob("version_*/events.*"))
    h = result.history
    assert len(h) >= 2 and all({"time_s", "step", "epoch", "val_recon_mse"} <= set(e) for e in h)
    assert h[-1]["step"] > h[0]["step"] and h[-1]["time_s"] >= h[0]["time_s"]
    for key in ("val_jitter_ratio_recon", "val_fid_k_prior", "val_jitter_ratio_prior", "val_diversity_prior"):
        assert np.isfinite(h[-1][key])
    assert result.train_windows_per_s > 0
    assert json.loads((run / "history.json").read_text())["train_windows_per_s"] > 0
    # real poses, centred per frame: far better than the mean pose (0.037); grounding the reconstruction on the
    # training floor costs this 2-epoch tiny model about 0.001 (0.0090 -> 0.0102)
    assert h[-1]["val_recon_mse"] < 0.012
    loaded = load_model(run)
    np.testing.assert_array_equal(sample(loaded, 1, 64, seed=0), sample(result.model, 1, 64, seed=0))


def test_same_seed_same_model(splits, tmp_path):
    cfg = load_config("default", {**TINY, "data.augment_rotate": True})
    a = train(cfg, *splits, epochs=1, run_dir=tmp_path / "a", seed=7, progress=False).model
    b = train(cfg, *splits, epochs=1, run_dir=tmp_path / "b", seed=7, progress=False).model
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        torch.testing.assert_close(va, vb, msg=k)


def _pasdeux(*args: str) -> list[str]:
    return [sys.executable, "-m", "pasdeux", *args]


def _env() -> dict:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}


def test_ddp_with_two_cpu_processes(tmp_path):
    run = tmp_path / "ddp"
    proc = subprocess.run(_pasdeux("train", "--data", str(DUET), "--devices", "2", "--epochs", "1", "--out", str(run),
                                   "--no-progress", "train.accelerator=cpu", *tiny_args()),
                          capture_output=True, text=True, timeout=300, env=_env(), cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "distributed_backend=gloo" in proc.stderr + proc.stdout or "world_size: 2" in proc.stderr + proc.stdout
    assert (run / "model" / "model.safetensors").is_file()
    ckpt = torch.load(run / "ckpt" / "last.ckpt", map_location="cpu", weights_only=True)
    # 2 dancers x ~50 windows at stride 24, halved per rank, batches of 16 dropping the last: 1 step per rank-epoch.
    assert ckpt["global_step"] >= 1


class Restored(Callback):
    """Records the state a resumed run starts from."""

    def on_train_start(self, trainer, pl_module):
        self.step = trainer.global_step
        # Deep copies: the live tensors keep changing as training continues.
        self.optimizer = copy.deepcopy(trainer.optimizers[0].state_dict())
        self.scheduler = copy.deepcopy(trainer.lr_scheduler_configs[0].scheduler.state_dict())


def test_killed_run_resumes_from_its_last_checkpoint(splits, tmp_path):
    run = tmp_path / "killed"
    args = _pasdeux("train", "--data", str(DUET), "--epochs", "1000", "--out", str(run), "--no-progress",
                    "optim.scheduler=exponential", "optim.gamma=0.99", *tiny_args())
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env(), cwd=REPO)
    last = run / "ckpt" / "last.ckpt"
    deadline = time.monotonic() + 240
    while not last.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert last.exists(), proc.stderr.read().decode()[-3000:]
    saved = torch.load(last, map_location="cpu", weights_only=True)
    cfg, ckpt = resume_point(run)
    assert ckpt == last and cfg["optim"]["scheduler"] == "exponential"
    probe = Restored()
    result = train(cfg, *splits, epochs=saved["epoch"] + 2, run_dir=run, resume_from=ckpt, progress=False,
                   callbacks=[probe])
    assert probe.step == saved["global_step"] > 0
    opt_saved = saved["optimizer_states"][0]
    assert probe.optimizer["state"][0]["step"] == opt_saved["state"][0]["step"]
    torch.testing.assert_close(probe.optimizer["state"][0]["exp_avg"], opt_saved["state"][0]["exp_avg"])
    assert probe.scheduler["last_epoch"] == saved["lr_schedulers"][0]["last_epoch"]
    assert result.history[-1]["step"] > saved["global_step"]


SALSA = REPO.parent / "shared" / "data" / "cmu_salsa" / "60_02.bvh"


def test_recipes_state_their_frame_rate_and_training_resamples_to_it(tmp_path):
    import pasdeux

    assert all(load_config(name)["data"]["fps"] == 30 for name in ("default", "seed", "pose"))
    with pytest.raises(ConfigError, match="data.fps"):
        load_config("default", {"data.fps": 0})
    take = pasdeux.load(SALSA)  # 17.5 s at 120 fps
    parts = time_split(take)
    cfg = load_config("default", {**parse_overrides(tiny_args()), "data.stride": 4})
    result = train(cfg, [parts["train"]], [parts["val"]], epochs=1, run_dir=tmp_path / "salsa", progress=False)
    assert result.model.fps == 30.0
    log = (result.run_dir / "train.log").read_text()
    assert "from 120 to 30 fps" in log and "2.13 s at 30 fps" in log
    status = json.loads((result.run_dir / "status.json").read_text())
    assert status["state"] == "done" and status["step"] >= 1


def test_sigterm_stops_after_the_step_and_still_exports_the_model(tmp_path):
    run = tmp_path / "stopped"
    args = _pasdeux("train", "--data", str(DUET), "--epochs", "1000", "--out", str(run), "--no-progress",
                    *tiny_args())
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env(), cwd=REPO)
    status = run / "status.json"
    deadline = time.monotonic() + 240
    while not (status.exists() and json.loads(status.read_text())["step"] > 0) and proc.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=240) == 0, proc.stderr.read().decode()[-3000:]
    assert json.loads(status.read_text())["state"] == "stopped"
    assert load_model(run).name == "default" and (run / "ckpt" / "last.ckpt").is_file()
    assert "stopped on request" in (run / "train.log").read_text()

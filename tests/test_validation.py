"""The numbers a training run logs (`pasdeux.validation`): checked with an oracle and a real model."""

from __future__ import annotations

import numpy as np
import pytest

from pasdeux.data import solo_windows, time_split, windows
from pasdeux.validation import Generated, score, validation_metrics

KEYS = {"recon_mse", "mpjpe", "jitter_ratio_recon", "jitter_ratio_var05", "jitter_ratio_prior", "fid_k_prior",
        "diversity_prior", "bone_cv_prior"}


@pytest.fixture(scope="module")
def split(duet):
    return time_split(duet)


def test_oracle_scores_like_real_dance(duet, split):
    val = solo_windows([split["val"]], 64, 4)
    train = solo_windows([split["train"]], 64, 8)
    prior = train[np.random.default_rng(0).integers(0, len(train), 128)]  # an oracle: real windows for samples
    s = score(Generated(val.copy(), val.copy(), prior), val, duet.skeleton, 30.0)
    assert set(s) == KEYS
    assert s["recon_mse"] == 0 and s["jitter_ratio_recon"] == pytest.approx(1.0)
    assert 0.5 < s["jitter_ratio_prior"] < 1.5 and 0.05 < s["bone_cv_prior"] < 0.4
    assert s["diversity_prior"] > 5


def test_untrained_model_gives_every_metric(duet, split):
    from pasdeux.models import MotionModel, build_model

    train_world = np.concatenate([windows(p, 64, 16) for p in split["train"].positions])
    model = build_model("default", {}, duet.skeleton, MotionModel.fit_stats(train_world, duet.skeleton))
    val = solo_windows([split["val"]], 64, 8)
    s = validation_metrics(model, val, n_prior=16)
    assert set(s) == KEYS and all(np.isfinite(v) for v in s.values())
    assert s["recon_mse"] > 0.005  # an untrained model does not reconstruct

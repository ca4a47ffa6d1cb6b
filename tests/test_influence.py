"""Which body parts drive the duet: the influence matrix must find a planted leader-to-partner link."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter1d

from pasdeux.analysis import influence
from pasdeux.cli import main
from pasdeux.config import load_config
from pasdeux.data import time_split
from pasdeux.models.leader_frame import facing, facing_joints, from_frame, to_frame
from pasdeux.motion import Motion
from pasdeux.training import train

LEAD_JOINT, PARTNER_JOINT, LAG = "left_knee", "right_wrist", 5


def synthetic_duet(duet) -> Motion:
    """A real leader whose joints also wander independently, and a partner that stands still in the leader's
    frame except one joint, which follows one leader joint 5 frames late."""
    sk, rng = duet.skeleton, np.random.default_rng(0)
    lead = duet.positions[0].astype(np.float64)
    keep = {i for idx in facing_joints(sk) for i in idx} | {sk.index("pelvis")}
    wander = gaussian_filter1d(rng.normal(0, 1, lead.shape), 4, axis=0)
    wander *= 0.03 / wander.std()
    wander[:, sorted(keep)] = 0  # the frame (pelvis, hips, shoulders) stays that of the real dancer
    lead = lead + wander
    t_lead = torch.as_tensor(lead[None], dtype=torch.float32)
    fwd = facing(t_lead, facing_joints(sk), duet.fps)[0]
    root = torch.as_tensor(lead[:, sk.index("pelvis")], dtype=torch.float32) * torch.tensor([1.0, 0, 1.0])
    canon = to_frame(t_lead[0] - root[:, None], fwd[:, None]).numpy()
    partner = np.repeat(duet.positions[1, :1] - duet.positions[1, :1, :1] * [1, 0, 1], len(lead), 0)
    partner[:, :, [0, 2]] *= -1  # turned to face the leader
    i, j = sk.index(LEAD_JOINT), sk.index(PARTNER_JOINT)
    follow = np.roll(canon[:, i] - canon[:, i].mean(0), LAG, axis=0)
    follow[:LAG] = follow[LAG]
    partner[:, j] += follow
    partner[:, :, 2] += 0.8  # standing 0.8 m in front of the leader
    world = from_frame(torch.as_tensor(partner, dtype=torch.float32), fwd[:, None]).numpy() + root.numpy()[:, None]
    return Motion(np.stack([lead, world]).astype(np.float32), sk, duet.fps, "synthetic duet")


@pytest.fixture(scope="module")
def planted(duet, tmp_path_factory):
    torch.set_num_threads(1)
    motion = synthetic_duet(duet)
    parts = time_split(motion)
    cfg = load_config("duet", {"model.hidden": 32, "model.latent_channels": 8, "model.partner_channels": 32,
                               "data.stride": 4, "train.batch_size": 16, "train.val_every_steps": None,
                               "train.checkpoint_every_steps": 1000})
    run = train(cfg, [parts["train"]], [parts["val"]], epochs=4, run_dir=tmp_path_factory.mktemp("inf") / "run",
                progress=False)
    return run, motion, parts


def test_the_planted_pair_is_on_top(planted):
    run, _, parts = planted
    result = influence(run.model, [parts["test"]], "a2b")
    sk = run.model.skeleton
    assert result.top(1)[0][:2] == (LEAD_JOINT, PARTNER_JOINT)
    on_wrist = result.matrix[:, sk.index(PARTNER_JOINT)]
    assert on_wrist[sk.index(LEAD_JOINT)] > 2 * np.sort(on_wrist)[-2]  # clearly above any other driver


def test_the_cli_writes_a_labelled_heatmap_and_the_matrix(planted, tmp_path):
    import pasdeux

    run, motion, parts = planted
    pasdeux.save(parts["test"], tmp_path / "test.npz")
    out = tmp_path / "influence.png"
    assert main(["influence", str(run.run_dir), "--data", str(tmp_path / "test.npz"), "-o", str(out)]) == 0
    from PIL import Image

    assert Image.open(out).size[0] > 600
    data = json.loads(out.with_suffix(".json").read_text())
    assert data["top"][0]["leader"] == LEAD_JOINT and data["top"][0]["partner"] == PARTNER_JOINT
    assert len(data["matrix"]) == len(data["leader_joints"]) == motion.n_joints

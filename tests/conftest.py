"""Shared fixtures: the real data in ../shared/data, loaded once per session, tiny trained runs, and the
studio client over a test module's `library` (on its `PORT`)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DUET_NPY = SHARED_DATA / "duet_ilya_hannah.npy"
SALSA = SHARED_DATA / "cmu_salsa"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not DUET_NPY.exists():
        pytest.fail(f"the shared data is missing: expected {SHARED_DATA} beside the repository")
    return SHARED_DATA


@pytest.fixture(scope="session")
def duet(shared_data):
    """The shared duet as a two-dancer Motion (y-up metres, 30 fps)."""
    import pasdeux

    return pasdeux.load(DUET_NPY)


@pytest.fixture(scope="session")
def salsa_test(shared_data):
    """The salsa test takes 13 and 14 as duets (60_NN leads, 61_NN follows), at their own 120 fps."""
    import pasdeux

    return [pasdeux.load(SALSA / f"60_{t}.bvh", pair=SALSA / f"61_{t}.bvh") for t in ("13", "14")]


@pytest.fixture(scope="session")
def salsa_test30(salsa_test):
    """The salsa test takes at the protocol's 30 fps, tracking glitches repaired."""
    from pasdeux.data import repair_glitches

    return [repair_glitches(m).resample(30) for m in salsa_test]


def _tiny_run(recipe: str, overrides: dict, motion, folder: Path) -> Path:
    """The run folder of a tiny model of `recipe` trained for one epoch on `motion`'s train span (seconds)."""
    import torch

    from pasdeux.config import load_config
    from pasdeux.data import time_split
    from pasdeux.training import train

    torch.set_num_threads(1)
    parts = time_split(motion)
    cfg = load_config(recipe, {"train.val_every_steps": None, **overrides})
    return train(cfg, [parts["train"]], [parts["val"]], epochs=1, run_dir=folder / "run", seed=0,
                 progress=False).run_dir


@pytest.fixture(scope="session")
def tiny_run(duet, tmp_path_factory) -> Path:
    """A run folder of a tiny default model trained for one epoch on the shared duet (a few seconds)."""
    return _tiny_run("default", {"model.hidden": 16, "model.latent_channels": 8, "data.stride": 24,
                                 "train.batch_size": 16, "train.prior_samples": 16},
                     duet, tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="session")
def tiny_duet_run(duet, tmp_path_factory) -> Path:
    """A run folder of a tiny duet model (a partner answering a leader) trained for one epoch on the shared duet."""
    return _tiny_run("duet", {"model.hidden": 24, "model.latent_channels": 8, "model.partner_channels": 8,
                              "data.stride": 8, "train.batch_size": 8}, duet, tmp_path_factory.mktemp("duet"))


@pytest.fixture(scope="session")
def tiny_salsa_run(shared_data, tmp_path_factory) -> Path:
    """A run folder of a tiny default model (30 fps, the recipe's rate) trained for one epoch on the 120 fps salsa
    take 60_02: training resamples it to 30 fps (a few seconds)."""
    import pasdeux
    from pasdeux.data import fill_gaps

    return _tiny_run("default", {"model.hidden": 16, "model.latent_channels": 8, "data.stride": 16,
                                 "train.batch_size": 16, "train.prior_samples": 16},
                     fill_gaps(pasdeux.load(SALSA / "60_02.bvh")), tmp_path_factory.mktemp("salsa"))


@pytest.fixture(scope="module")
def client(request, library):
    """The studio over the test module's `library` fixture, on the module's PORT, in-process (httpx)."""
    from fastapi.testclient import TestClient

    from pasdeux.studio.app import create_app

    port = request.module.PORT
    with TestClient(create_app(library, port=port), base_url=f"http://127.0.0.1:{port}") as c:
        yield c

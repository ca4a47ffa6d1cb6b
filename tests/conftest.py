"""Shared fixtures: the real data in ../shared/data, loaded once per session."""

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

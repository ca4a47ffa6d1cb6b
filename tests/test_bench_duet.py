"""`pasdeux bench duet` (duet-v2): the salsa and video blocks, real floors against shuffled partners, what each
baseline answers, bad options (training only in the slow test)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pasdeux import metrics
from pasdeux.bench import bench_duet
from pasdeux.bench import duet as bd
from pasdeux.body import root_trajectory
from pasdeux.cli import main
from pasdeux.data import center, leader_centred
from pasdeux.errors import ConfigError

SALSA = "../shared/data/cmu_salsa"


@pytest.fixture(scope="module")
def salsa(shared_data) -> bd.DuetData:
    return bd.salsa_data()


@pytest.fixture(scope="module")
def small(salsa) -> bd.DuetData:
    """Two training takes and one test take: the same protocol, a quarter of the scoring time."""
    return bd.DuetData("salsa", salsa.train[:2], salsa.val, salsa.test[:1], salsa.notes)


@pytest.fixture(scope="module")
def leg(small) -> float:
    return metrics.leg_length(np.concatenate([m.positions[0] for m in small.train]), small.skeleton)


def test_salsa_block_is_the_protocols_takes_at_30_fps(salsa):
    assert (len(salsa.train), len(salsa.val), len(salsa.test)) == (9, 1, 2)
    assert all(m.fps == 30.0 and m.n_dancers == 2 for m in salsa.train + salsa.val + salsa.test)
    assert "60_13" in str(salsa.test[0].source) and "61_13" in str(salsa.test[0].source)
    pairs = salsa.windows("test", bd.TEST_STRIDE)
    assert pairs.shape[1:3] == (2, bd.WINDOW) and np.isfinite(pairs).all()


def test_video_block_is_the_shared_duet_split_by_time(shared_data):
    video = bd.video_data()
    frames = [m.n_frames for m in video.train + video.val + video.test]
    assert sum(frames) == 1800 and frames[0] == pytest.approx(0.7 * 1800, abs=2)


def test_contact_is_left_out_where_the_bodies_have_no_depth(shared_data, small, leg):
    """Extracted from one camera, the video duet's pelvises all stand at one depth: there contact measures
    overlap in the image, real pairs touch no more than shuffled ones, so contact and penetration are left out."""
    video = bd.video_data()
    assert small.has_depth and not video.has_depth
    vleg = metrics.leg_length(video.train[0].positions.reshape(-1, *video.train[0].positions.shape[-2:]),
                              video.skeleton)
    vreal = bd.real_sets(video, 0, vleg)
    shuffled = bd.shuffled(video, vreal.pairs)
    chance = leader_centred(np.stack([vreal.pairs[:, 0], shuffled.drawn[:, 0]], 1), video.skeleton)
    assert metrics.contact_rate(vreal.reference, video.skeleton, vleg) <= \
        metrics.contact_rate(chance, video.skeleton, vleg)  # why: the metric cannot tell them apart here
    floors = bd.real_floors(video, vleg)
    scores = bd.score(video, vreal, shuffled, 0)
    assert not {k for k in list(floors) + list(scores) if k.startswith(bd.NEED_DEPTH)}
    assert "partner_mse" in scores and "responsiveness_real" in floors
    assert "contact_rate_real" in bd.real_floors(small, leg)


def test_real_partners_answer_their_leader_and_shuffled_ones_do_not(small, leg):
    """The floors are what real dance scores; a partner from another moment must score clearly worse on the
    measures of answering (responsiveness, beat echo) and nothing on partner_mse."""
    floors = bd.real_floors(small, leg)
    real = bd.real_sets(small, 0, leg)
    shuffled = bd.score(small, real, bd.shuffled(small, real.pairs), 0)
    assert floors["responsiveness_real"] > shuffled["responsiveness"] + 0.2
    assert floors["bed_real"] > shuffled["bed"] + 0.2
    assert floors["penetration_real"] < 0.01 and shuffled["partner_mse"] > 0.05
    assert floors["max_partner_distance_train"] > 1.0  # metres: salsa partners part and come back


def test_copy_leader_stands_at_the_mean_offset_and_retrieval_answers_with_a_training_partner(small, leg):
    real = bd.real_sets(small, 0, leg)
    lead, sk = real.pairs[:, 0], small.skeleton
    offset = bd.mean_offset(small, 0)
    copy = bd.copy_leader(small, lead, 0, offset)
    gap = root_trajectory(copy.guess, sk) - root_trajectory(lead, sk)
    assert np.linalg.norm(gap[..., [0, 2]], axis=-1) == pytest.approx(np.linalg.norm(offset), rel=1e-4)
    copied = bd.score(small, real, copy, 0)
    assert copied["responsiveness"] == pytest.approx(1.0, abs=1e-6) and copied["multimodality"] == 0.0

    found = bd.retrieval(small, lead, 0)
    train = center(small.windows("train", bd.TEST_STRIDE)[:, 1], sk)
    nearest = np.abs(train[None] - center(found.guess[:3], sk)[:, None]).max(axis=(2, 3, 4)).min(1)
    assert nearest == pytest.approx(0.0, abs=1e-5)  # each answer is some training partner, moved to the lead


def test_bad_options_fail_with_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="budget"):
        bench_duet(budget_s=0)
    with pytest.raises(ConfigError, match="copy_leader"):
        bench_duet(models=["mirror"])
    assert main(["bench", "duet", "--models", "mirror"]) == 2
    assert main(["bench", "duet", "--salsa", str(tmp_path)]) == 2  # no takes there


@pytest.mark.slow
def test_bench_duet_end_to_end(tmp_path, capsys):
    """The whole protocol with a tiny budget: both blocks, both directions, the JSON shape of BENCHMARK.md."""
    out = tmp_path / "duet.json"
    assert main(["bench", "duet", "--budget-s", "5", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result == json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["protocol"] == "duet-v2"
    for block in (result, result["video"]):
        assert set(block["models"]) == set(bd.MODELS)
        default = block["models"]["default"]
        for d in bd.DIRECTIONS:
            assert {f"{k}_{d}" for k in ("partner_mse", "fid_cd", "responsiveness", "bed",
                                         "max_partner_distance", "multimodality")} <= set(default)
            assert (f"contact_rate_{d}" in default) == (block is result)  # the video duet has no depth
        assert default["gen_realtime_factor"] > 0 and default["multimodality_a2b"] > 0

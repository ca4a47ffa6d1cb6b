"""`pasdeux bench duet` (duet-v3): the salsa and video blocks, real floors against shuffled partners, what each
baseline answers (the mean partner included), the partners' feet and whole takes, re-scoring trained runs, bad
options (training only in the slow test)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from pasdeux import metrics
from pasdeux.bench import bench_duet
from pasdeux.bench import duet as bd
from pasdeux.body import facing_angle, root_trajectory
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


@pytest.fixture(scope="module")
def floors(small, leg) -> dict[str, float]:
    """The real floors of the small block (both directions), measured once: they take most of its scoring time."""
    return bd.real_floors(small, leg)


@pytest.fixture(scope="module")
def real(small, leg) -> bd.RealSets:
    """The small block's real test windows with A leading."""
    return bd.real_sets(small, 0, leg)


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


def test_contact_and_heights_are_left_out_where_the_bodies_have_no_depth(shared_data, small, floors):
    """Extracted from one camera, the video duet's pelvises all stand at one depth: there contact measures
    overlap in the image, real pairs touch no more than shuffled ones, so contact and penetration are left out;
    the floor under a dancer moves with depth in the image, so of the partners' feet only skating is kept (on
    windows and whole takes), and the notes say why."""
    video = bd.video_data()
    assert small.has_depth and not video.has_depth
    vreal = bd.real_sets(video, 0)
    shuffled = bd.shuffled(video, vreal.pairs)
    chance = leader_centred(np.stack([vreal.pairs[:, 0], shuffled.drawn[:, 0]], 1), video.skeleton)
    assert metrics.contact_rate(vreal.reference, video.skeleton, video.leg) <= \
        metrics.contact_rate(chance, video.skeleton, video.leg)  # why: the metric cannot tell them apart here
    vfloors, vlong = bd.real_floors(video), bd.real_long(video)
    scores = bd.score(video, vreal, shuffled, 0)
    assert not {k for k in [*vfloors, *vlong, *scores] if k.startswith(bd.NEED_DEPTH + bd.FEET_NEED_DEPTH)}
    assert "partner_mse" in scores and "responsiveness_real" in vfloors and "contact_rate_real" in floors
    assert {"foot_skating_ratio_real", "foot_skating_ratio_real_b2a", "fid_k_real_b2a"} <= set(vfloors)
    assert "foot_skating_ratio_long" in vlong and "foot_skating_ratio" in scores
    notes = bd.block_notes(video, {"shuffled": scores}, {})
    assert any("foot_contact_share and floating left out" in n for n in notes)


def test_real_partners_answer_their_leader_and_shuffled_ones_do_not(small, floors, real):
    """The floors are what real dance scores; a partner from another moment must score clearly worse on the
    measures of answering (responsiveness, beat echo) and nothing on partner_mse."""
    shuffled = bd.score(small, real, bd.shuffled(small, real.pairs), 0)
    assert floors["responsiveness_real"] > shuffled["responsiveness"] + 0.2
    assert floors["bed_real"] > shuffled["bed"] + 0.2
    assert floors["penetration_real"] < 0.01 and shuffled["partner_mse"] > 0.05
    assert floors["max_partner_distance_train"] > 1.0  # metres: salsa partners part and come back


def test_copy_leader_stands_at_the_mean_offset_and_retrieval_answers_with_a_training_partner(small, real):
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
    assert main(["bench", "duet", "--blocks", "tango"]) == 2
    assert main(["bench", "duet", "--salsa", str(tmp_path)]) == 2  # no takes there


@pytest.mark.slow
def test_bench_duet_end_to_end(tmp_path, capsys):
    """The whole protocol with a tiny budget: both blocks, both directions, the JSON shape of BENCHMARK.md."""
    out = tmp_path / "duet.json"
    assert main(["bench", "duet", "--budget-s", "5", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result == json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["protocol"] == "duet-v3"
    for block in (result, result["video"]):
        assert set(block["models"]) == set(bd.MODELS)
        default = block["models"]["default"]
        for d in bd.DIRECTIONS:
            assert {f"{k}_{d}" for k in ("partner_mse", "fid_cd", "responsiveness", "bed",
                                         "max_partner_distance", "multimodality")} <= set(default)
            assert (f"contact_rate_{d}" in default) == (block is result)  # the video duet has no depth
        assert default["gen_realtime_factor"] > 0 and default["multimodality_a2b"] > 0
    for d in bd.DIRECTIONS:  # duet-v3: the partners' feet on windows and whole takes, beside the real ones
        assert {f"{k}_{d}" for k in bd.FEET} <= set(result["models"]["default"])
        assert {f"{k}_long_{d}" for k in ("jitter_ratio", "responsiveness", *bd.FEET)} <= set(
            result["models"]["default"])
        assert f"partner_mse_{d}" in result["models"]["mean_partner"]
        assert f"foot_skating_ratio_long_{d}" in result["video"]["models"]["default"]
        assert f"floating_long_{d}" not in result["video"]["models"]["default"]
    assert {"fid_k_real", "fid_k_real_b2a", "foot_skating_ratio_real", "floating_long_b2a"} <= set(result["real"])


# --- duet-v3 ------------------------------------------------------------------------------------------------------
def _turned_partner(lead: np.ndarray, sk, turn: float, side: float, ahead: float) -> np.ndarray:
    """The leader's own body turned by `turn` about its pelvis, standing `side` to its left and `ahead` in front of
    it in every frame (the facing and offset any real couple would average to, made exact)."""
    a = facing_angle(lead, sk)[:, None, None]
    body = center(lead, sk)
    x, z = body[..., 0].copy(), body[..., 2].copy()
    body[..., 0], body[..., 2] = x * np.cos(turn) + z * np.sin(turn), -x * np.sin(turn) + z * np.cos(turn)
    root = root_trajectory(lead, sk)[:, None]
    body[..., 0] += root[..., 0] + side * np.cos(a[..., 0]) + ahead * np.sin(a[..., 0])
    body[..., 2] += root[..., 2] - side * np.sin(a[..., 0]) + ahead * np.cos(a[..., 0])
    return body


@pytest.mark.parametrize("turn, side, ahead", [(np.pi, 0.0, 0.9), (np.pi / 2, -0.4, 0.5)])
def test_mean_partner_faces_and_stands_where_the_training_partners_do(small, turn, side, ahead):
    """Training partners that always face the leader (or turn to its side) at one spot from it: the mean partner
    answers a new leader turned and placed the same way, frame by frame as the leader turns and travels."""
    sk = small.skeleton

    def couple(m):
        lead = m.positions[0]
        return m.with_positions(np.stack([lead, _turned_partner(lead, sk, turn, side, ahead)]).astype(np.float32))

    data = bd.DuetData("synthetic", [couple(m) for m in small.train], [], [couple(m) for m in small.test], [])
    fitted = bd.MeanPartner.fit(data, 0)
    assert fitted.offset == pytest.approx([side, ahead], abs=0.05)
    lead = data.windows("test", bd.TEST_STRIDE)[:, 0]
    answer = bd.mean_partner(data, lead, 0, fitted).guess
    turned = np.angle(np.exp(1j * (facing_angle(answer, sk) - facing_angle(lead, sk) - turn)))
    assert np.median(np.abs(turned)) < np.radians(10)
    a = facing_angle(lead, sk)
    gap = root_trajectory(answer, sk) - root_trajectory(lead, sk)
    left, front = gap[..., 0] * np.cos(a) - gap[..., 2] * np.sin(a), gap[..., 0] * np.sin(a) + gap[..., 2] * np.cos(a)
    assert np.median(left) == pytest.approx(side, abs=0.05) and np.median(front) == pytest.approx(ahead, abs=0.05)


def test_mean_partner_is_the_rival_to_beat_on_partner_mse(small, real):
    """On real salsa the average partner is closer to the real one than a real partner from another moment."""
    truth = leader_centred(real.pairs, small.skeleton)[:, 1]

    def partner_mse(answers: bd.Answers) -> float:
        return metrics.recon_mse(leader_centred(np.stack([real.pairs[:, 0], answers.guess], 1), small.skeleton)[:, 1],
                                 truth)

    mean = bd.mean_partner(small, real.pairs[:, 0], 0)
    assert partner_mse(mean) < 0.8 * partner_mse(bd.shuffled(small, real.pairs))
    assert np.array_equal(mean.drawn[:, 0], mean.drawn[:, -1])  # the same answer every draw


def _as_model(real: bd.RealSets, partners: list[np.ndarray]) -> bd.Answers:
    """The real test partners answering as if a model had made them."""
    return bd.Answers(real.pairs[:, 1], real.pairs[:, 1][:, None].repeat(2, 1), partners)


def test_real_partners_scored_as_a_model_match_the_real_feet_and_whole_takes(small, floors, real):
    """Feet are measured with the travel kept, against the real partners' floor: the real partners scored as a
    model give exactly the real figures (ratios 1), planted most of the time and sliding little, while a partner
    carried along by its leader (copy_leader) skates."""
    long_real = bd.real_long(small)
    same = bd.score(small, real, _as_model(real, [m.positions[1] for m in small.test]), 0)
    same.update(bd.score_long(small, [m.positions[1] for m in small.test], 0))
    for k in bd.FEET:
        assert same[k] == pytest.approx(floors[f"{k}_real"])
        assert same[f"{k}_long"] == pytest.approx(long_real[f"{k}_long"])
    assert same["jitter_ratio_long"] == pytest.approx(1.0) and same["responsiveness_long"] == pytest.approx(
        long_real["responsiveness_long"])
    assert floors["foot_contact_share_real"] > 0.9 and floors["foot_skating_ratio_real"] < 0.35
    assert abs(floors["floating_real"]) < 0.1 and abs(floors["floating_real_b2a"]) < 0.1
    carried = bd.copy_leader(small, real.pairs[:, 0], 0, bd.mean_offset(small, 0)).guess
    assert bd.feet(small, carried, real.leg, real.floor)["foot_skating_ratio"] > 2 * floors["foot_skating_ratio_real"]
    assert 0 < floors["fid_k_real"] and 0 < floors["fid_k_real_b2a"]
    assert real.kinetic.fid(real.partners, real.partners) < 0.05 * floors["fid_k_real"]


def test_whole_takes_are_scored_for_the_baselines_that_extend_to_them(small, leg):
    real = bd.real_sets(small, 1, leg)
    for name, has_long in (("copy_leader", True), ("mean_partner", True), ("retrieval", False), ("shuffled", False)):
        answers = bd.answers_of(name, small, real, 1, {}, 0)
        assert len(answers.long_form) == (len(small.test) if has_long else 0)
    copied = bd.answers_of("copy_leader", small, real, 1, {}, 0)
    long = bd.score_long(small, copied.long_form, 1)
    assert set(long) == {f"{k}_long" for k in ("jitter_ratio", "responsiveness", *bd.FEET)}
    assert long["responsiveness_long"] == pytest.approx(1.0, abs=1e-6)  # the leader's own movement
    assert {f"{k}_long_b2a" for k in ("responsiveness", *bd.FEET)} <= set(bd.real_long(small))


def test_trained_runs_are_rescored_not_retrained(tmp_path, tiny_duet_run, tiny_run):
    """With --runs holding trained models (RUNS/<block>/<model>), the benchmark scores them again without training:
    the figures of two runs are the same and the notes say where the models came from."""
    shutil.copytree(tiny_duet_run, tmp_path / "video" / "default")
    shutil.copytree(tiny_run, tmp_path / "video" / "solo")
    lines: list[str] = []
    first = bench_duet(budget_s=600, models=["solo", "default"], runs=tmp_path, blocks=["video"], log=lines.append)
    assert "salsa" not in json.dumps(first["video"]["notes"]) and "models" not in first
    assert not any("training" in line for line in lines) and any("re-using" in line for line in lines)
    assert any("re-used" in n and "default" in n for n in first["video"]["notes"])
    default = first["video"]["models"]["default"]
    assert {"foot_skating_ratio_long_a2b", "jitter_ratio_long_b2a", "responsiveness_long_a2b"} <= set(default)
    again = bench_duet(budget_s=600, models=["default"], runs=tmp_path, blocks=["video"], log=lines.append)
    assert again["video"]["models"]["default"]["partner_mse_a2b"] == default["partner_mse_a2b"]
    with pytest.raises(ConfigError, match="blocks are: salsa, video"):
        bench_duet(blocks=["tango"])

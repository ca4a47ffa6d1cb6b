"""The part-level influence map a dancer reads: several planted links between body parts (different parts,
lags and strengths) must stand out of every other pair of parts, and any skeleton groups into parts."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter1d
from scipy.stats import mannwhitneyu

from pasdeux import get_skeleton
from pasdeux.analysis import Influence, PartInfluence, part_influence
from pasdeux.body import PARTS, body_parts
from pasdeux.cli import main
from pasdeux.config import load_config
from pasdeux.data import time_split
from pasdeux.errors import FormatError
from pasdeux.models.leader_frame import facing, facing_joints, from_frame, to_frame
from pasdeux.motion import Motion
from pasdeux.training import train

# (leader part, partner part, lag in frames, strength): the partner's part follows the leader's part
HAND_LINKS = (("right_hand", "left_hand", 5, 1.0), ("left_hand", "right_hand", 8, 0.7), ("head", "head", 2, 0.6))
PLACE_LAG = 10  # the partner's pelvis walks the leader's pelvis path this many frames late
PLANTED = {(a, b) for a, b, _, _ in HAND_LINKS} | {("pelvis", "pelvis")}
WANDER_M = 0.05  # each leader part also wanders on its own, so the model can tell the parts apart


def _lagged(x: np.ndarray, lag: int) -> np.ndarray:
    out = np.roll(x, lag, axis=0)
    out[:lag] = x[0]
    return out


def _frame(lead: np.ndarray, sk, fps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The leader's smoothed heading `[T, 2]` and pelvis on the floor `[T, 3]`."""
    t_lead = torch.as_tensor(lead[None], dtype=torch.float32)
    root = torch.as_tensor(lead[:, sk.index("pelvis")], dtype=torch.float32) * torch.tensor([1.0, 0, 1.0])
    return facing(t_lead, facing_joints(sk), fps)[0], root


def _wandering_leader(duet, rng) -> np.ndarray:
    """A leader that travels, turns and rises as the real dancer did, its hips and shoulders held in its own
    frame as in the real dancer's first pose, and every other part wandering on its own about that pose (all
    joints of a part together): parts that move independently, so each planted link has one true driver."""
    sk = duet.skeleton
    lead = duet.positions[0].astype(np.float64)
    fwd, root = _frame(lead, sk, duet.fps)
    canon = to_frame(torch.as_tensor(lead, dtype=torch.float32) - root[:, None], fwd[:, None]).numpy()
    frame = sorted({i for idx in facing_joints(sk) for i in idx})
    canon[:, frame] = canon[:1, frame]
    keep = set(frame) | {sk.index("pelvis")}
    for joints in body_parts(sk).values():
        wander = gaussian_filter1d(rng.normal(0, 1, (len(lead), 3)), 4, axis=0)
        moved = [j for j in joints if j not in keep]
        canon[:, moved] = canon[:1, moved] + (wander * WANDER_M / wander.std())[:, None]
    return from_frame(torch.as_tensor(canon), fwd[:, None].double()).numpy() + root.numpy()[:, None]


def synthetic_duet(duet) -> Motion:
    """A partner that stands 0.8 m in front of the leader, still in the leader's frame except the planted
    links: its hands and head follow leader parts late, and its pelvis walks the leader's pelvis path late.
    Its torso, arms, legs and feet follow nothing."""
    sk, rng = duet.skeleton, np.random.default_rng(0)
    lead = _wandering_leader(duet, rng)
    fwd, root = _frame(lead, sk, duet.fps)
    canon = to_frame(torch.as_tensor(lead, dtype=torch.float32) - root[:, None], fwd[:, None]).numpy()
    parts = body_parts(sk)
    partner = np.repeat(duet.positions[1, :1] - duet.positions[1, :1, :1] * [1, 0, 1], len(lead), 0)
    partner[:, :, [0, 2]] *= -1  # turned to face the leader
    for leader_part, partner_part, lag, strength in HAND_LINKS:
        centre = canon[:, parts[leader_part]].mean(1)
        partner[:, parts[partner_part]] += strength * _lagged(centre - centre.mean(0), lag)[:, None]
    partner[:, :, 2] += 0.8
    behind = to_frame(torch.as_tensor(_lagged(root.numpy(), PLACE_LAG)) - root, fwd).numpy()
    partner += (behind * [1, 0, 1])[:, None]  # the whole partner, placed on the leader's path
    world = from_frame(torch.as_tensor(partner, dtype=torch.float32), fwd[:, None]).numpy() + root.numpy()[:, None]
    return Motion(np.stack([lead, world]).astype(np.float32), sk, duet.fps, "synthetic duet with planted links")


def auroc(matrix: np.ndarray, leader: list[str], partner: list[str]) -> float:
    """How often a planted pair's influence is above an unplanted pair's (1: always)."""
    planted = [matrix[i, j] for i, a in enumerate(leader) for j, b in enumerate(partner) if (a, b) in PLANTED]
    others = [matrix[i, j] for i, a in enumerate(leader) for j, b in enumerate(partner) if (a, b) not in PLANTED]
    return float(mannwhitneyu(planted, others, alternative="greater").statistic / (len(planted) * len(others)))


@pytest.fixture(scope="module")
def planted(duet, tmp_path_factory):
    torch.set_num_threads(1)
    motion = synthetic_duet(duet)
    parts = time_split(motion)
    cfg = load_config("duet", {"model.hidden": 32, "model.latent_channels": 8, "model.partner_channels": 32,
                               "data.stride": 4, "train.batch_size": 16, "train.val_every_steps": None,
                               "train.checkpoint_every_steps": 1000})
    run = train(cfg, [parts["train"]], [parts["val"]], epochs=4, run_dir=tmp_path_factory.mktemp("parts") / "run",
                progress=False, seed=0)
    return run, motion, parts


@pytest.fixture(scope="module")
def part_map(planted) -> PartInfluence:
    run, _, parts = planted
    return part_influence(run.model, [parts["test"]], "a2b")


def test_the_planted_links_stand_out_of_every_other_pair(part_map):
    assert part_map.leader_parts == list(PARTS) == part_map.partner_parts
    score = auroc(part_map.matrix, part_map.leader_parts, part_map.partner_parts)
    assert score >= 0.9, f"AUROC {score:.3f}; top pairs {part_map.top(6)}"
    assert tuple(part_map.top(1)[0][:2]) in PLANTED


def test_each_planted_partner_part_names_its_own_driver(part_map):
    m, leader, partner = part_map.matrix, part_map.leader_parts, part_map.partner_parts
    for a, b in PLANTED:
        assert leader[int(m[:, partner.index(b)].argmax())] == a, f"{b} is driven most by {a}? {m[:, partner.index(b)]}"
    # the hand followed at full strength reads stronger than the one followed at 0.7
    assert m[leader.index("right_hand"), partner.index("left_hand")] > m[leader.index("left_hand"),
                                                                        partner.index("right_hand")]


def test_feet_that_follow_nothing_stay_quiet(part_map):
    m, partner = part_map.matrix, part_map.partner_parts
    feet = m[:, [partner.index("left_foot"), partner.index("right_foot")]]
    weakest_link = min(m[part_map.leader_parts.index(a), partner.index(b)] for a, b in PLANTED)
    assert feet.max() < 0.5 * weakest_link


def test_the_map_is_in_metres_and_survives_json(part_map):
    back = PartInfluence.from_dict(json.loads(json.dumps(part_map.to_dict())))
    np.testing.assert_allclose(back.matrix, part_map.matrix, atol=1e-7)
    assert back.joints["left_hand"] == ["left_wrist", "left_hand", "left_fingertip"]
    # the strongest link moves the partner by centimetres, as planted (a hand's 5 cm wander, followed in full)
    assert 0.01 < part_map.top(1)[0][2] < 0.2


def test_the_cli_draws_the_part_map_and_writes_both_levels(planted, tmp_path, capsys):
    import pasdeux

    run, motion, parts = planted
    pasdeux.save(parts["test"], tmp_path / "test.npz")
    out = tmp_path / "influence.png"
    assert main(["influence", str(run.run_dir), "--data", str(tmp_path / "test.npz"), "-o", str(out)]) == 0
    from PIL import Image

    assert Image.open(out).size[0] > 400
    first = capsys.readouterr().out.splitlines()[1].split()  # the strongest pair, as parts in centimetres
    assert (first[0], first[2]) in PLANTED and first[-1] == "cm"
    data = json.loads(out.with_suffix(".json").read_text())
    assert len(data["matrix"]) == len(data["leader_joints"]) == motion.n_joints  # the joint level, as before
    assert data["parts"]["leader_parts"] == list(PARTS)
    assert tuple(data["parts"]["top"][0][k] for k in ("leader", "partner")) in PLANTED
    loaded = Influence.load(out.with_suffix(".json"))
    assert loaded.parts is not None and loaded.parts.matrix.shape == (len(PARTS), len(PARTS))
    assert main(["influence", str(run.run_dir), "--data", str(tmp_path / "test.npz"), "-o", str(tmp_path / "j.png"),
                 "--joints"]) == 0
    first = capsys.readouterr().out.splitlines()[1].split()  # the strongest pair, as joints
    assert first[0] in motion.skeleton.joints and first[2] in motion.skeleton.joints


def test_a_damaged_part_map_is_refused(tmp_path):
    bad = tmp_path / "influence.json"
    bad.write_text(json.dumps({"direction": "a2b", "windows": 1, "leader_joints": ["a"], "partner_joints": ["a"],
                               "matrix": [[1.0]], "parts": {"leader_parts": ["head"], "matrix": [[1.0]]}}))
    with pytest.raises(FormatError, match="not an influence matrix"):
        Influence.load(bad)


def test_the_viewer_rings_every_joint_of_a_driving_part(duet):
    found = PartInfluence(np.array([[1.0, 0.0], [0.5, 0.0]]), ["head", "left_hand"], ["head", "left_hand"], "a2b", 1,
                          {"head": ["neck", "head"], "left_hand": ["left_wrist", "left_hand"]})
    weight, sk = found.highlight(duet, 1)[1], duet.skeleton
    assert weight[sk.index("neck")] == weight[sk.index("head")] == 1.0
    assert weight[sk.index("left_wrist")] == 0.5 and weight[sk.index("pelvis")] == 0.0


def test_every_joint_of_a_salsa_skeleton_has_a_part(salsa_test):
    sk = salsa_test[0].skeleton
    parts = {p: [sk.joints[j] for j in idx] for p, idx in body_parts(sk).items()}
    assert list(parts) == list(PARTS)
    assert sum(map(len, parts.values())) == sk.n_joints
    assert {"leftEye_end", "rightEye_end", "head"} <= set(parts["head"])
    assert {"rHand", "rIndex2_end", "rThumb2_end"} <= set(parts["right_hand"])
    assert {"abdomen", "chest"} == set(parts["torso"]) and parts["pelvis"] == ["hip"]
    assert parts["left_foot"] == ["lFoot", "lFoot_end"] and "lShin" in parts["left_leg"]


def test_a_marker_skeleton_without_a_tree_groups_by_place():
    sk = get_skeleton("mariel53")
    named = body_parts(sk)
    assert "LKNE" in [sk.joints[j] for j in named["left_leg"]]
    assert sum(map(len, named.values())) < sk.n_joints  # the unnamed markers need positions
    rng = np.random.default_rng(0)
    centres = {p: rng.normal(0, 1, 3) * 2 for p in named}
    pos = np.zeros((1, sk.n_joints, 3))
    for p, idx in named.items():
        pos[0, idx] = centres[p]
    pos[0, sk.index("LSHN")] = centres["left_leg"] + 0.05  # the left shin marker sits by the left knee
    placed = body_parts(sk, pos)
    assert sum(map(len, placed.values())) == sk.n_joints
    assert sk.index("LSHN") in placed["left_leg"]


@pytest.mark.slow
@pytest.mark.timeout(1800)  # two 90 s trainings, each with its preparation and prior fit, on a busy CPU
def test_two_trainings_on_salsa_read_the_test_takes_alike(shared_data, salsa_test, tmp_path):
    """Two duet models trained on the salsa takes 02-07 with different seeds (90 s each) give part maps of the
    test takes 13 and 14 whose Spearman rank correlation is at least 0.7, in both directions."""
    from scipy.stats import spearmanr

    from pasdeux.models import load_model

    salsa = shared_data / "cmu_salsa"
    files = [a for t in ("02", "03", "04", "05", "06", "07")
             for a in ("--data", str(salsa / f"60_{t}.bvh"), "--pair", str(salsa / f"61_{t}.bvh"))]
    models = []
    for seed in (1, 2):
        out = tmp_path / f"seed{seed}"
        assert main(["train", "--config", "duet", *files, "--budget-s", "90", "--seed", str(seed), "--out", str(out),
                     "--no-progress"]) == 0
        models.append(load_model(out))
    for direction in ("a2b", "b2a"):
        first, second = (part_influence(m, salsa_test, direction).matrix.ravel() for m in models)
        assert spearmanr(first, second).statistic >= 0.7, direction

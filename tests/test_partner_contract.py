"""The partner contract (`models.base.PartnerModel`): the duet model and a second, tiny partner model
(`partner_models.FacingPartner`, written only against the contract) pass the same tests: partners for windows and
for whole leads, continuing from given frames, whole duets and variations, on their own feet, the influence maps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from partner_models import FacingConfig, FacingPartner
from pasdeux import generate, metrics
from pasdeux.analysis import influence
from pasdeux.data import center, pair_windows, time_split
from pasdeux.errors import ConfigError
from pasdeux.generate import partner_windows
from pasdeux.generate.partners import check_duet_model
from pasdeux.models import MotionModel, load_model
from pasdeux.models.base import PartnerModel


@pytest.fixture(scope="module")
def parts(duet):
    torch.set_num_threads(1)
    return time_split(duet)


def _facing(parts) -> FacingPartner:
    train = parts["train"]
    pairs = pair_windows(train.positions, 32, 16)
    stats = MotionModel.fit_stats(np.concatenate([pairs[:, 0], pairs[:, 1]]), train.skeleton)
    model = FacingPartner(FacingConfig(), train.skeleton, stats, train.fps)
    model.solo.prepare(np.concatenate([pairs[:, 0], pairs[:, 1]]))
    model.measure_floor(pairs)
    model.fit_sampler([train.positions])
    return model.eval()


@pytest.fixture(scope="module", params=["duet", "facing"])
def model(request, parts, tiny_duet_run) -> PartnerModel:
    return load_model(tiny_duet_run) if request.param == "duet" else _facing(parts)


def test_both_are_partner_models_and_a_solo_model_is_refused(model, tiny_run):
    assert check_duet_model(model) is model
    with pytest.raises(ConfigError, match="needs a duet model|partners need a duet model"):
        check_duet_model(load_model(tiny_run))


def test_sigma_zero_is_one_best_guess_and_sigma_one_draws_different_partners(model, parts):
    lead = pair_windows(parts["test"].positions, 64, 32)[:3, 0]
    guess = partner_windows(model, lead, "a2b", 0.0, k=2, seed=0)
    drawn = partner_windows(model, lead, "a2b", 1.0, k=2, seed=0)
    assert guess.shape == drawn.shape == (3, 2, 64, model.skeleton.n_joints, 3) and np.isfinite(drawn).all()
    np.testing.assert_array_equal(guess[:, 0], guess[:, 1])
    assert np.abs(drawn[:, 0] - drawn[:, 1]).mean() > 1e-3
    np.testing.assert_array_equal(drawn, partner_windows(model, lead, "a2b", 1.0, k=2, seed=0))  # seeded


def test_a_partner_for_a_whole_lead_keeps_the_lead_and_its_distance(model, parts):
    lead = parts["test"]
    duet = generate.partner(model, lead, sigma=1.0, n=2, seed=5, lead_dancer=1)
    assert duet.labels == ("lead", "partner 1", "partner 2") and duet.n_frames == lead.n_frames
    np.testing.assert_allclose(duet.positions[0], lead.positions[1], atol=1e-5)
    assert duet.provenance["mode"] == "partner" and duet.provenance["direction"] == "b2a"
    gap = (duet.positions[1:, :, 0] - duet.positions[:1, :, 0])[..., [0, 2]]
    near, far = model.distance_range.tolist()
    dist = np.linalg.norm(gap, axis=-1)
    assert near - 1e-4 <= dist.min() and dist.max() <= far + 1e-4


def test_each_dancers_placement_is_measured_and_a_partner_stands_on_its_leads_floor(model, parts):
    """Each dancer's placement is measured with the floor (`models/placement.py`). Takes of one couple lie over
    floors centimetres apart (salsa: up to 2 cm, one 5 cm): a partner stands as high above its lead's feet as
    its dancer stood in training (`dancer_stance`), so a lead 3 cm higher gets a partner 3 cm higher. The shared
    duet (video, no depth) keeps no one gap: there the model's own placement stands it."""
    from pasdeux.grounding import lowest_foot, top_speed

    train = pair_windows(parts["train"].positions, 64, 8)
    assert model.dancer_top_speed(1) == pytest.approx(top_speed(train[:, 1], model.skeleton, model.fps), rel=0.2)
    assert model.dancer_stance(0) is None and model.dancer_stance(1) is None
    lead = pair_windows(parts["test"].positions, 64, 32)[:6, 0]
    up = np.float32([0, 0.03, 0])
    assert np.abs(model.dancer_floor(0).lift(lead + up, model.skeleton)).max() == 0  # within the floors' range

    def typical(x):
        return np.median(lowest_foot(x, model.skeleton), axis=1)

    def rise():
        here, there = (partner_windows(model, x, "a2b", 0.0, seed=0)[:, 0] for x in (lead, lead + up))
        return here, np.median(typical(there) - typical(here))

    model.placement.stances.copy_(torch.tensor([-0.02, 0.02]))  # a couple that keeps one gap
    try:
        here, moved = rise()
        np.testing.assert_allclose(typical(here) - typical(lead), 0.02, atol=1e-4)
        assert moved == pytest.approx(0.03, abs=0.003)
    finally:
        model.placement.stances.fill_(float("nan"))


def test_a_partner_continues_from_given_first_frames(model, parts):
    lead = parts["test"]
    first = lead.dancer(1).frames(0, 30)
    out = generate.partner(model, lead, sigma=0.5, seed=2, start=first)
    np.testing.assert_allclose(out.positions[1, :30], first.positions[0], atol=1e-5)
    steps = np.linalg.norm(np.diff(center(out.positions[1], model.skeleton), axis=0), axis=-1).mean(-1)
    assert steps[28:40].max() < 6 * np.median(steps)  # the hand-over is smooth


def test_a_partner_for_a_long_lead_is_as_steady_at_the_end_as_at_the_start(model, duet):
    one = duet.positions[0]
    lead = np.concatenate([one, one[::-1], one])[None]  # [1, 5400, J, 3], continuous at the joins
    drawn = partner_windows(model, lead, "a2b", 1.0, seed=0)[0, 0]
    minute = 60 * int(model.fps)
    shake = [metrics.mean_acceleration(center(drawn[s:s + minute], model.skeleton)) for s in (0, 2 * minute)]
    assert np.isfinite(drawn).all() and shake[1] < 1.3 * shake[0]


def test_planted_feet_are_not_carried_by_a_travelling_lead(model, parts, monkeypatch):
    """A lead gliding sideways at one leg length per second: the partner's best guess (so that the lead's travel is
    what moves its place) drawn as the model places it glides its planted feet along; grounded, as generation
    does, they stay put far more often. (B leads: the video couple's
    A stands 11 cm above the couple's floor, so a partner turning A's own pose never plants a foot.)"""
    from pasdeux.generate import partners as gp

    floor = model.floor_model
    lead = parts["test"].positions[1][None].copy()
    lead[..., 0] += (np.arange(lead.shape[1]) * floor.leg_length / model.fps)[None, :, None]
    grounded = partner_windows(model, lead, "b2a", 0.0)[0, 0]
    monkeypatch.setattr(gp, "ground_partners", lambda model, world, lead, contact, dancer: world)
    carried = partner_windows(model, lead, "b2a", 0.0)[0, 0]
    skating = [metrics.foot_skating_ratio(p[None], model.skeleton, model.fps, floor.leg_length, floor.floor)
               for p in (carried, grounded)]
    assert skating[0] > 0.5 and skating[1] < 0.65 * skating[0]
    pelvis = [(center(p, model.skeleton) - p)[:, 0, [0, 2]] for p in (lead[0], carried, grounded)]
    place = [np.linalg.norm(p - pelvis[0], axis=-1) for p in pelvis[1:]]  # each partner's pelvis from the lead's
    assert np.median(np.abs(place[1] - place[0])) < 0.5 * floor.leg_length  # it keeps its place beside the lead


def test_whole_duets_from_nothing_and_variations_of_a_duet(model, parts):
    fresh = generate.duet_prior(model, n=2, seconds=2, seed=0)
    assert fresh.n_dancers == 4 and fresh.n_frames == 60 and np.isfinite(fresh.positions).all()
    varied = generate.duet_variations(model, parts["test"].frames(0, 96), sigma=0.5, n=2, seed=0)
    assert varied.n_dancers == 4 and varied.n_frames == 96 and np.isfinite(varied.positions).all()


def test_the_influence_maps_read_any_partner_model(model, parts):
    inf = influence(model, [parts["test"]], "a2b", probes=1)
    n = model.skeleton.n_joints
    assert inf.matrix.shape == (n, n) and np.isfinite(inf.matrix).all() and inf.matrix.max() > 0
    part_map = inf.parts
    assert part_map.matrix.shape == (len(part_map.leader_parts), len(part_map.partner_parts))
    if isinstance(model, FacingPartner):  # a partner that turns the leader's own pose: each part answers itself
        m = part_map.matrix
        assert (m.argmax(axis=0) == np.arange(len(m))).mean() >= 0.8

"""The duet model: shapes, a loss that falls, save/load, both directions, sigma, long-form continuity,
whole duets, skeletons across sources, and the errors a user can cause."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import pasdeux
from pasdeux import ConfigError, ShapeError, SkeletonError, generate, get_skeleton, metrics
from pasdeux.config import load_config
from pasdeux.data import center, leader_centred, pair_windows, time_split
from pasdeux.generate.partners import partner_windows
from pasdeux.generate.pipeline import place, sample_with_root
from pasdeux.models import MotionModel, build_model, load_model
from pasdeux.motion import Motion
from pasdeux.training import train

TINY = {"model.hidden": 24, "model.latent_channels": 8, "model.partner_channels": 8, "data.stride": 8,
        "train.batch_size": 8, "train.val_every_steps": None, "train.checkpoint_every_steps": 1000}


@pytest.fixture(scope="module")
def parts(duet):
    torch.set_num_threads(1)
    return time_split(duet)


@pytest.fixture(scope="module")
def trained(parts, tmp_path_factory):
    """A small duet model trained for a few epochs on the shared duet's train span."""
    cfg = load_config("duet", TINY)
    return train(cfg, [parts["train"]], [parts["val"]], epochs=4, run_dir=tmp_path_factory.mktemp("duet") / "run",
                 progress=False)


@pytest.fixture(scope="module")
def model(trained):
    return trained.model


def test_builds_runs_both_directions_and_its_loss_falls(parts):
    pairs = pair_windows(parts["train"].positions, 64, 16)
    torch.manual_seed(0)
    m = build_model("duet", {"hidden": 16, "latent_channels": 8, "partner_channels": 8}, parts["train"].skeleton,
                    MotionModel.fit_stats(pairs, parts["train"].skeleton))
    m.prepare(pairs)
    batch = torch.as_tensor(pairs[:8])
    opt = torch.optim.Adam(m.parameters(), 3e-3)
    first = None
    for step in range(40):
        loss = m.loss(batch, step)
        first = first if first is not None else float(loss["loss"].detach())
        opt.zero_grad()
        loss["loss"].backward()
        opt.step()
    assert float(loss["loss"].detach()) < 0.7 * first
    for direction in ("a2b", "b2a"):
        out = partner_windows(m, pairs[:3, 0], direction, sigma=1.0, k=2, seed=0)
        assert out.shape == (3, 2, 64, 29, 3) and np.isfinite(out).all()


def test_training_leaves_a_run_whose_model_loads_back_identical(trained, parts, tmp_path):
    assert (trained.run_dir / "model" / "model.safetensors").is_file()
    assert {"val_partner_mse", "val_partner_mse_a2b", "val_partner_mse_b2a"} <= set(trained.history[-1])
    again = load_model(trained.run_dir)
    lead = pair_windows(parts["test"].positions, 64, 32)[:, 0]
    np.testing.assert_array_equal(partner_windows(again, lead, "a2b", 1.0, seed=3),
                                  partner_windows(trained.model, lead, "a2b", 1.0, seed=3))


def test_sigma_zero_is_one_best_guess_and_partners_differ_at_sigma_one(model, parts):
    lead = pair_windows(parts["test"].positions, 64, 32)[:2, 0]
    guess = partner_windows(model, lead, "a2b", 0.0, k=3, seed=1)
    np.testing.assert_allclose(guess[:, 0], guess[:, 2], atol=1e-6)
    drawn = partner_windows(model, lead, "a2b", 1.0, k=3, seed=1)
    assert np.abs(drawn[:, 0] - drawn[:, 1]).mean() > 1e-3  # n partners for one lead differ
    assert np.abs(drawn[:, 0] - guess[:, 0]).mean() > np.abs(
        partner_windows(model, lead, "a2b", 0.2, k=1, seed=1)[:, 0] - guess[:, 0]).mean()  # sigma sets how far
    a2b, b2a = (partner_windows(model, lead, d, 0.0)[:, 0] for d in ("a2b", "b2a"))
    assert np.abs(a2b - b2a).mean() > 1e-4  # the two directions answer differently


def test_sampled_partners_depart_most_where_the_leader_moves_most(model, parts):
    """The deviation drive: fitted on the training pairs (real partners depart from the best guess more
    where the leader moves more), about 1 on average, larger for a lively leader than for a still one."""
    assert (model.sampler.gain > 0).all() and (model.sampler.pace_ref > 0).all()
    lead = pair_windows(parts["train"].positions, 64, 32)[:8, 0]
    still = np.repeat(lead[:, :1], 64, axis=1)  # the same leaders, frozen in their first pose
    with torch.no_grad():
        contexts = (model.condition(torch.as_tensor(x), 0) for x in (lead, still))
        lively, frozen = (model.sampler.drive(c.pace, c.direction) for c in contexts)
    assert 0.5 < float(lively.pow(2).mean().sqrt()) < 2.0
    assert float(frozen.mean()) < 0.5 * float(lively.mean())
    guess = partner_windows(model, still, "a2b", 0.0)[:, 0]
    drawn = partner_windows(model, still, "a2b", 1.0, seed=0)[:, 0]
    moving = partner_windows(model, lead, "a2b", 1.0, seed=0)[:, 0] - partner_windows(model, lead, "a2b", 0.0)[:, 0]
    assert np.abs(np.diff(drawn - guess, axis=1)).mean() < np.abs(np.diff(moving, axis=1)).mean()


def test_partner_motion_holds_the_lead_then_the_partner_with_provenance(model, parts):
    lead = parts["test"]
    duet = generate.partner(model, lead, sigma=1.0, n=2, seed=5, lead_dancer=1)
    assert duet.labels == ("lead", "partner 1", "partner 2") and duet.n_frames == lead.n_frames
    np.testing.assert_allclose(duet.positions[0], lead.positions[1], atol=1e-5)
    p = duet.provenance
    assert (p["mode"], p["direction"], p["sigma"], p["seed"], p["n"]) == ("partner", "b2a", 1.0, 5, 2)
    again = generate.partner(model, lead, sigma=1.0, n=2, seed=5, lead_dancer=1)
    np.testing.assert_array_equal(again.positions, duet.positions)  # the provenance regenerates it exactly


def _steps(x: np.ndarray) -> np.ndarray:
    """Mean joint displacement from each frame to the next of centred positions `[T, J, 3]`."""
    return np.linalg.norm(np.diff(x, axis=0), axis=-1).mean(-1)


def test_long_form_partner_is_continuous_and_keeps_its_distance(model, duet):
    lead = duet.dancer(0)  # 60 s in one piece, far longer than the 2 s windows it trained on
    out = generate.partner(model, lead, sigma=1.0, seed=0)
    assert out.n_frames == 1800 and np.isfinite(out.positions).all()
    partner = center(out.positions[1], model.skeleton)
    steps = _steps(partner)
    w = model.window
    joins = np.arange(w - 1, len(steps), w)  # where windows would meet if it were made window by window
    assert steps[joins].mean() < 1.5 * np.median(steps)
    # The same partner drawn window by window and cut together does jump there: the check can fail.
    cut = np.concatenate([partner_windows(model, lead.positions[:1, s:s + w], "a2b", 1.0, seed=s)[0, 0]
                          for s in range(0, 20 * w, w)])
    cut_steps = _steps(center(cut, model.skeleton))
    assert cut_steps[joins[:19]].mean() > 2 * np.median(steps)
    dist = np.linalg.norm((out.positions[1, :, 0] - out.positions[0, :, 0])[:, [0, 2]], axis=-1)
    near, far = model.distance_range.numpy()
    assert near - 1e-4 <= dist.min() and dist.max() <= far + 1e-4


def test_each_dancer_is_grounded_on_its_own_floor(model, parts, tmp_path):
    """Each dancer's feet rest at heights of their own (marker sets, video depth): the model keeps a floor per
    dancer, measured as the couple's is; a folder saved before that grounds both on the couple's floor."""
    from safetensors.torch import load_file, save_file

    from pasdeux.grounding import FloorModel

    windows = pair_windows(parts["train"].positions, 64, 16)
    for dancer in (0, 1):
        own = FloorModel.measure(windows[:, dancer], model.skeleton, model.fps)
        assert model.dancer_floor(dancer).floor == pytest.approx(own.floor, abs=0.02 * own.leg_length)
    assert model.dancer_floor(0) != model.dancer_floor(1)
    folder = model.save_pretrained(tmp_path / "old")
    state = load_file(str(folder / "model.safetensors"))
    del state["placement.floors"]
    save_file(state, str(folder / "model.safetensors"))
    assert load_model(folder).dancer_floor(1) == model.floor_model


def test_partners_legs_straighten_no_further_than_the_real_dancers(model, parts, tmp_path):
    """Reaching for its held feet, a partner's leg does not lock straight where the real dancer's never does:
    each dancer's leg reach is kept with the model (folders from before it load with legs left free)."""
    from safetensors.torch import load_file, save_file

    from pasdeux.body import leg_extension
    from pasdeux.grounding import leg_reach

    windows = pair_windows(parts["train"].positions, 64, 16)
    lead = pair_windows(parts["test"].positions, 64, 32)[:6, 0]
    for dancer in (0, 1):
        assert model.dancer_leg_reach(dancer) == pytest.approx(leg_reach(windows[:, dancer], model.skeleton), abs=1e-3)
    reach = model.dancer_leg_reach(1)
    assert reach < 1.0
    legs = leg_extension(partner_windows(model, lead, "a2b", 1.0, k=2, seed=0), model.skeleton)
    assert legs.max() <= reach + 1e-4
    folder = model.save_pretrained(tmp_path / "old")
    state = load_file(str(folder / "model.safetensors"))
    del state["placement.leg_reaches"]
    save_file(state, str(folder / "model.safetensors"))
    assert load_model(folder).dancer_leg_reach(1) == 1.0


def _top_speed(x: np.ndarray, skeleton, fps: float) -> float:
    from pasdeux.body import root_trajectory

    return float(np.linalg.norm(np.diff(root_trajectory(x, skeleton)[..., [0, 2]], axis=-2), axis=-1).max() * fps)


def test_partners_travel_no_faster_than_the_real_dancers(model, parts, tmp_path):
    """Where the place the model gives a partner leaps round its turning leader (fresh duets' partners did, at
    up to 22 m/s on salsa against the dancers' 2.9), the partner follows it no faster than its dancer travelled:
    each dancer's top speed is kept with the model (folders from before it load with partners free to leap)."""
    from safetensors.torch import load_file, save_file

    from pasdeux.grounding import top_speed

    windows = pair_windows(parts["train"].positions, 64, 16)
    for dancer in (0, 1):
        want = top_speed(windows[:, dancer], model.skeleton, model.fps)
        assert model.dancer_top_speed(dancer) == pytest.approx(want, rel=0.15)  # measured on its own windows
    lead = pair_windows(parts["test"].positions, 64, 32)[:6, 0]
    lead = lead.copy()
    lead[:, 32:, :, [0, 2]] *= -1  # the leader turns half round in one frame: its partner's place leaps across
    fast = model.dancer_top_speed(1)
    drawn = partner_windows(model, lead, "a2b", 0.0, seed=0)[:, 0]
    folder = model.save_pretrained(tmp_path / "old")
    state = load_file(str(folder / "model.safetensors"))
    del state["placement.top_speeds"]
    save_file(state, str(folder / "model.safetensors"))
    old = load_model(folder)
    assert old.dancer_top_speed(1) == float("inf")
    assert _top_speed(partner_windows(old, lead, "a2b", 0.0, seed=0)[:, 0], model.skeleton, model.fps) > 2 * fast
    assert _top_speed(drawn, model.skeleton, model.fps) <= 1.2 * fast  # what is left: the distance kept


def test_a_folder_saved_before_placement_was_a_module_keeps_each_dancers_facts(model, parts, tmp_path):
    """Folders from before `models/placement.py` kept each dancer's floor, leg reach, top speed and stance as
    buffers of the model: they load into its placement and make the same partners."""
    from safetensors.torch import load_file, save_file

    from pasdeux.models.placement import LEGACY

    folder = model.save_pretrained(tmp_path / "old")
    state = load_file(str(folder / "model.safetensors"))
    for old, name in LEGACY.items():
        state[old] = state.pop(f"placement.{name}")
    state["stances"] = torch.tensor([-0.02, 0.02])  # measured on a couple that keeps one gap
    save_file(state, str(folder / "model.safetensors"))
    old = load_model(folder)
    for dancer in (0, 1):
        assert old.dancer_floor(dancer) == model.dancer_floor(dancer)
        assert old.dancer_leg_reach(dancer) == model.dancer_leg_reach(dancer)
        assert old.dancer_top_speed(dancer) == model.dancer_top_speed(dancer)
    assert old.dancer_stance(1) == pytest.approx(0.02)
    old.placement.stances.fill_(float("nan"))  # as this couple's (no one gap)
    lead = pair_windows(parts["test"].positions, 64, 32)[:3, 0]
    np.testing.assert_array_equal(partner_windows(old, lead, "b2a", 1.0, seed=2),
                                  partner_windows(model, lead, "b2a", 1.0, seed=2))


def test_a_folder_saved_before_the_sampler_was_one_object_loads_the_same_partners(model, parts, tmp_path):
    """Folders from before `models/sampling.py` kept the sampler's buffers at the model's level, under older
    names (and had no deviation bank): they load into the sampler and draw the same partners as the same
    weights saved now without a bank (from the AR prior)."""
    from safetensors.torch import load_file, save_file

    from pasdeux.models.sampling import PartnerSampler

    folder = model.save_pretrained(tmp_path / "old")
    state = {k: v for k, v in load_file(str(folder / "model.safetensors")).items() if ".bank." not in k}
    save_file(state, str(folder / "model.safetensors"))
    no_bank = load_model(folder)
    assert not no_bank.sampler.bank.fitted
    old = {new: name for name, new in PartnerSampler.LEGACY.items()}
    for key in [k for k in state if k.startswith("sampler.")]:
        name = key[len("sampler."):]
        state[name if name.startswith("residual.") else old[name]] = state.pop(key)
    assert "deviation_scale" in state and "residual.weight" in state
    save_file(state, str(folder / "model.safetensors"))
    lead = pair_windows(parts["test"].positions, 64, 32)[:3, 0]
    np.testing.assert_array_equal(partner_windows(load_model(folder), lead, "b2a", 1.0, seed=2),
                                  partner_windows(no_bank, lead, "b2a", 1.0, seed=2))


def test_a_fresh_leader_stands_on_its_own_dancers_floor(model):
    """A leader drawn from the prior is grounded on the floor of the dancer who leads, not the couple's (measured
    on both, it stood a salsa leader 0.6 cm higher than his own, and the partner with it): where that dancer
    stood 0.2 higher, the fresh leader stands about 0.2 higher."""
    from pasdeux.grounding import lowest_foot

    def typical(duets):
        return float(np.median(lowest_foot(duets.positions[0::2], model.skeleton)))

    here = generate.duet_prior(model, n=2, seconds=4, seed=0)
    kept = model.placement.floors[0].clone()
    model.placement.floors[0, 0] += 0.2  # FloorModel's first field: the floor
    try:
        there = generate.duet_prior(model, n=2, seconds=4, seed=0)
    finally:
        model.placement.floors[0] = kept
    assert 0.15 < typical(there) - typical(here) < 0.25  # (0 on the couple's floor; not exactly 0.2: a floor that
    # far from where the leader stood pulls its phrases to the middle of the dancer's range)


def test_whole_duets_from_nothing_and_variations_of_a_duet(model, parts):
    fresh = generate.duet_prior(model, n=2, seconds=4, seed=0)
    assert fresh.n_dancers == 4 and fresh.n_frames == 120 and np.isfinite(fresh.positions).all()
    assert fresh.labels[:2] == ("duet 1 lead", "duet 1 partner")
    # The sampled leaders are grounded on the leading dancer's own floor, as solo phrases are on theirs: the same
    # samples ungrounded slide their planted feet more.
    floor = model.dancer_floor(0)
    centred, vel = sample_with_root(model.solo, 2, 120, seed=0, ground=False)
    raw = place(centred, vel, np.zeros((2, 2), np.float32))
    skating = [metrics.foot_skating_ratio(x, model.skeleton, model.fps, floor.leg_length, floor.floor)
               for x in (raw, fresh.positions[[0, 2]])]
    assert skating[1] < 0.8 * skating[0]
    given = parts["test"].frames(0, 96)
    same = generate.duet_variations(model, given, sigma=0.0, seed=0)
    bold = generate.duet_variations(model, given, sigma=1.0, seed=0)
    truth = leader_centred(given.positions, model.skeleton)
    err0 = np.abs(leader_centred(same.positions, model.skeleton) - truth).mean()
    err1 = np.abs(leader_centred(bold.positions, model.skeleton) - truth).mean()
    assert err0 < err1


def _raised(motion: Motion, height: float) -> Motion:
    """The same motion captured with its floor `height` metres higher (a studio whose origin is elsewhere)."""
    return motion.with_positions(motion.positions + np.float32([0, height, 0]), f"raised {height} m")


@pytest.mark.parametrize("height", [0.6, -0.4])
def test_a_duet_captured_over_another_floor_is_answered_as_on_the_models(model, parts, height):
    """The model saw every height as it was: a lead whose floor lies elsewhere is answered as the same lead on
    the model's floor, and the answer stands on the lead's own floor (before, the partner kept to the model's
    floor, metres from its lead, and moved unlike the partner of the same lead)."""
    given, up = parts["test"].frames(0, 96), np.float32([0, height, 0])
    for make in (generate.partner, generate.duet_variations):
        here, there = (make(model, m, sigma=0.0, seed=0) for m in (given, _raised(given, height)))
        assert np.abs(there.positions - up - here.positions).mean() < 0.01  # the same duet, on the given floor
        if make is generate.partner:
            np.testing.assert_allclose(there.positions[0] - up, given.positions[0], atol=1e-4)  # the lead as given


def test_a_lead_on_another_skeleton_works_on_the_shared_joints(model, parts):
    smpl = get_skeleton("smpl24")
    lead = Motion(parts["test"].positions[:1, :, :24], smpl, 30.0, "smpl lead")
    out = generate.partner(model, lead, sigma=0.0, seed=0)
    assert out.skeleton.name == model.skeleton.name and np.isfinite(out.positions).all()
    assert any("completed from the training poses" in n for n in out.notes)
    full = generate.partner(model, parts["test"].dancer(0), sigma=0.0, seed=0)
    # Completing 5 of 29 joints from the training poses barely changes the answer.
    assert np.abs(out.positions[1] - full.positions[1]).mean() < 0.05
    few = Skeleton_of(["pelvis", "left_knee", "head"])
    with pytest.raises(SkeletonError, match="left_hip"):
        generate.partner(model, Motion(parts["test"].positions[:1, :, [0, 4, 15]], few, 30.0), seed=0)


def Skeleton_of(names):  # noqa: N802 (reads like the class it builds)
    from pasdeux.motion import Skeleton

    return Skeleton.from_parents("few", names, [-1] + [0] * (len(names) - 1))


def test_user_errors_name_the_problem(model, parts, duet, tmp_path):
    solo_model = build_model("default", {"hidden": 8, "latent_channels": 4}, duet.skeleton,
                             MotionModel.fit_stats(duet.positions[0, :200][None], duet.skeleton))
    with pytest.raises(ConfigError, match="solo model"):
        generate.partner(solo_model, duet, seed=0)
    bad = parts["test"].dancer(0)
    bad.positions[0, 10:80, 3] = np.nan  # a gap too long to fill
    with pytest.raises(ShapeError, match="gaps"):
        generate.partner(model, bad, seed=0)
    with pytest.raises(ConfigError, match="sigma"):
        generate.partner(model, parts["test"], sigma=-1, seed=0)
    with pytest.raises(ConfigError, match="direction"):
        generate.partner(model, parts["test"], direction="sideways", seed=0)
    with pytest.raises(ShapeError, match="duet model trains on duets"):
        train(load_config("duet", TINY), [duet.dancer(0)], [duet.dancer(0)], epochs=1, run_dir=tmp_path / "x",
              progress=False)


def test_the_cli_trains_on_paired_files_and_writes_partners(tmp_path, shared_data):
    from pasdeux.cli import main

    salsa = shared_data / "cmu_salsa"
    run = tmp_path / "salsa"
    args = ["train", "--config", "duet", "--data", str(salsa / "60_12.bvh"), "--pair", str(salsa / "61_12.bvh"),
            "--data", str(salsa / "60_14.bvh"), "--pair", str(salsa / "61_14.bvh"), "--epochs", "1",
            "--out", str(run), "--no-progress", "model.hidden=16", "model.latent_channels=8",
            "model.partner_channels=8", "data.stride=8", "train.batch_size=8"]
    assert main(args) == 0
    assert main(["duet", "partner", str(run), "--lead", str(salsa / "60_13.bvh"), "--seconds", "4", "-n", "2",
                 "-o", str(tmp_path / "p.npz")]) == 0
    out = pasdeux.load(tmp_path / "p.npz")
    assert out.n_dancers == 3 and out.fps == 30.0 and out.n_frames == 120
    assert out.provenance["source_file"].endswith("60_13.bvh")
    assert main(["duet", "prior", str(run), "-n", "1", "--seconds", "3", "-o", str(tmp_path / "d.bvh")]) == 0
    assert pasdeux.load(tmp_path / "d.bvh").n_dancers == 2
    assert main(["train", "--config", "duet", "--pair", str(salsa / "61_12.bvh"), "--epochs", "1"]) == 2
    assert main(["duet", "partner", str(tmp_path / "nowhere"), "--lead", str(salsa / "60_13.bvh"), "-o",
                 str(tmp_path / "q.npz")]) == 2
    # take 13 is 18.9 s long: a span past its end is refused, not silently cut short
    assert main(["duet", "partner", str(run), "--lead", str(salsa / "60_13.bvh"), "--start", "15", "--seconds", "8",
                 "-o", str(tmp_path / "r.npz")]) == 2
    assert not (tmp_path / "q.npz").exists() and not (tmp_path / "r.npz").exists()


def test_fresh_duets_lead_as_the_leading_dancer_moves(model, parts, tmp_path):
    """A whole duet from nothing draws its leader from the prior of the dancer who leads (fitted on that
    dancer's motion alone); a folder saved before those priors draws leaders from the prior of both, as it did."""
    from safetensors.torch import load_file, save_file

    from pasdeux.models.base import generator

    assert all(bool(p.fitted) for p in model.lead_priors)
    leads = {d: generate.duet_prior(model, n=2, seconds=4, seed=3, direction=d).positions[0::2] for d in ("a2b", "b2a")}
    frames = leads["a2b"].shape[1]
    with torch.no_grad():
        own = model.lead_priors[1].sample(2, model.solo.latent_steps(frames), generator(3))
    centred, _ = sample_with_root(model.solo, 2, frames, 3, latent=own, floor=model.dancer_floor(1))
    np.testing.assert_allclose(center(leads["b2a"], model.skeleton), center(centred, model.skeleton), atol=1e-5)
    assert np.abs(leads["a2b"] - leads["b2a"]).max() > 0.05  # each role its own leaders
    folder = model.save_pretrained(tmp_path / "old")
    state = load_file(str(folder / "model.safetensors"))
    for key in [k for k in state if k.startswith("lead_priors.")]:
        del state[key]
    save_file(state, str(folder / "model.safetensors"))
    old = load_model(folder)
    pooled, _ = sample_with_root(old.solo, 2, frames, 3, floor=old.dancer_floor(1))
    np.testing.assert_allclose(center(generate.duet_prior(old, n=2, seconds=4, seed=3, direction="b2a").positions[0::2],
                                      model.skeleton), center(pooled, model.skeleton), atol=1e-5)

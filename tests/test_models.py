"""The models: build and run at two configs, learn on the real duet, save/load exactly, sample and vary."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pasdeux.data import center, time_split, windows
from pasdeux.errors import ConfigError, FormatError, ShapeError
from pasdeux.generate.partners import partner_windows
from pasdeux.generate.pipeline import reconstruct, sample, vary
from pasdeux.models import MODELS, MotionModel, build_model, load_model
from pasdeux.models.ar_prior import ARPrior

CONFIGS = [
    ("seed", {"units": 32, "latent": 16}),
    ("seed", {"units": 24, "latent": 8, "layers": 1}),
    ("pose", {"hidden": 32, "latent": 8}),
    ("pose", {"hidden": 64, "latent": 16, "layers": 3}),
    ("default", {"hidden": 16, "latent_channels": 8, "stages": 1}),
    ("default", {"hidden": 24, "latent_channels": 16, "stages": 2, "blocks": 1, "prior_order": 3}),
    ("duet", {"hidden": 16, "latent_channels": 8, "partner_channels": 8}),
]


@pytest.fixture(scope="module")
def train_data(duet):
    """Uncentred training windows and whole training sequences of both dancers, and the whole training duet."""
    torch.set_num_threads(1)
    train = time_split(duet)["train"]
    w = np.concatenate([windows(train.positions[d], 64, 16) for d in range(2)]).copy()
    return w, [train.positions[0], train.positions[1]], duet.skeleton, train.positions


def make(name, options, train_data):
    w, _, skeleton, _ = train_data
    model = build_model(name, options, skeleton, MotionModel.fit_stats(w, skeleton))
    model.prepare(batch(model, train_data))
    return model


def batch(model, train_data, n: int | None = None) -> np.ndarray:
    """Training windows as the model takes them: one dancer's `[N, T, J, 3]`, or pairs `[N, 2, T, J, 3]`."""
    w = train_data[0]
    out = w if model.dancers == 1 else np.stack([w[:len(w) // 2], w[len(w) // 2:]], 1)
    return out[:n]


def sequences(model, train_data) -> list[np.ndarray]:
    """Whole training sequences as `fit_prior` takes them: each dancer's, or the duet."""
    return train_data[1] if model.dancers == 1 else [train_data[3]]


@pytest.mark.parametrize("name,options", CONFIGS[:-1])
def test_builds_and_runs_forward(name, options, train_data):
    model = make(name, options, train_data)
    w, _, skeleton, _ = train_data
    losses = model.loss(torch.as_tensor(w[:4]), step=0)
    assert torch.isfinite(losses["loss"]) and losses["loss"] > 0
    c = center(w[:3], skeleton)
    assert reconstruct(model, c).shape == (3, 64, 29, 3)
    assert vary(model, c, 0.5, seed=0).shape == (3, 64, 29, 3)
    s = sample(model, 2, 80, seed=0)
    assert s.shape == (2, 80, 29, 3) and np.isfinite(s).all()


SOLO_MODELS = [name for name, cls in MODELS.items() if cls.dancers == 1]  # partners: tests/test_partner_contract.py


@pytest.mark.parametrize("name", list(MODELS))
def test_loss_falls_within_a_few_steps(name, train_data):
    small = {"seed": {"units": 32, "latent": 16}, "pose": {"hidden": 64}, "default": {"hidden": 16},
             "duet": {"hidden": 16, "latent_channels": 8, "partner_channels": 8}}[name]
    torch.manual_seed(0)
    model = make(name, small, train_data)
    w = torch.as_tensor(batch(model, train_data, 16))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = None
    for step in range(12):
        loss = model.loss(w, step)["loss"]
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert model.loss(w, 12)["loss"].item() < first


@pytest.mark.parametrize("name,options", [CONFIGS[0], CONFIGS[2], CONFIGS[5], CONFIGS[6]])
def test_save_load_round_trip_is_exact(name, options, train_data, tmp_path):
    model = make(name, options, train_data)
    model.fit_prior(sequences(model, train_data))
    model.save_pretrained(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "config.json", "model.safetensors", "skeleton.json", "stats.json"]
    again = load_model(tmp_path / "m")
    assert type(again) is type(model) and again.skeleton.joints == model.skeleton.joints
    if model.dancers == 1:
        c = center(train_data[0][:2], model.skeleton)
        np.testing.assert_array_equal(reconstruct(again, c), reconstruct(model, c))
        np.testing.assert_array_equal(sample(again, 2, 64, seed=3), sample(model, 2, 64, seed=3))
    else:  # the sampler, fitted after training, is saved with the weights: the same partners are drawn
        lead = train_data[0][:2]
        np.testing.assert_array_equal(partner_windows(again, lead, "b2a", 1.0, seed=3),
                                      partner_windows(model, lead, "b2a", 1.0, seed=3))
    model.save_pretrained(tmp_path / "m")  # overwriting an existing folder works too
    assert load_model(tmp_path / "m").name == name


@pytest.mark.parametrize("name", SOLO_MODELS)
def test_sigma_zero_reproduces_the_reconstruction(name, train_data):
    model = make(name, CONFIGS[[c[0] for c in CONFIGS].index(name)][1], train_data)
    c = center(train_data[0][:3], model.skeleton)
    rec = reconstruct(model, c)
    np.testing.assert_allclose(vary(model, c, 0.0, seed=1), rec, atol=1e-6)
    assert np.abs(vary(model, c, 1.0, seed=1) - rec).mean() > 1e-3


def test_default_model_starts_as_a_good_pca_autoencoder(train_data):
    """The PCA-initialised linear path alone reconstructs real poses well before any training."""
    model = make("default", {"hidden": 16, "latent_channels": 32, "stages": 1}, train_data)
    c = center(train_data[0], model.skeleton)
    assert np.mean((reconstruct(model, c) - c) ** 2) < 0.002


def test_ar_prior_recovers_a_known_process():
    gen = torch.Generator().manual_seed(0)
    a = torch.tensor([[0.9, 0.0], [0.2, 0.5]])
    z, seq = torch.zeros(2), []
    for _ in range(4000):
        z = a @ z + 0.1 * torch.randn(2, generator=gen)
        seq.append(z)
    prior = ARPrior(2, 1)
    assert prior.fit([torch.stack(seq)])
    np.testing.assert_allclose(prior.weight.numpy(), a.numpy(), atol=0.05)
    drawn = prior.sample(64, 200, gen)
    np.testing.assert_allclose(drawn.std((0, 2)).numpy(), torch.stack(seq).std(0).numpy(), rtol=0.2)


def test_ar_prior_fitted_near_a_unit_root_stays_at_the_data_spread_over_a_long_phrase():
    """Short, slowly wandering sequences (as a duet's deviations from the best guess are) fit a recursion at
    the edge of a unit root, whose samples drift ever wider over thousands of steps; held to a largest root
    of 0.97, its samples keep the data's spread from the first steps to the last."""
    gen = torch.Generator().manual_seed(0)
    seqs = []
    for _ in range(40):  # 40 phrases of 60 steps of a slow wander (a root of 0.995)
        z, seq = torch.zeros(3), []
        for _ in range(60):
            z = 0.995 * z + 0.1 * torch.randn(3, generator=gen)
            seq.append(z)
        seqs.append(torch.stack(seq))
    spread = torch.cat(seqs).std(0)
    free, held = ARPrior(3, 2), ARPrior(3, 2)
    assert free.fit(seqs) and held.fit(seqs, max_radius=0.97)
    late = slice(3000, 4000)
    drawn_free, drawn_held = (p.sample(32, 4000, gen, centred=True, profiles=False) for p in (free, held))
    assert float(drawn_free[..., late].std((0, 2)).mean()) > 1.5 * float(spread.mean())  # the drift this prevents
    for part in (slice(0, 200), late):
        np.testing.assert_allclose(drawn_held[..., part].std((0, 2)).numpy(), spread.numpy(), rtol=0.3)


def _window_energy_spread(seq: torch.Tensor, steps: int) -> float:
    """The spread (std) over windows of `steps` of the log RMS step size of sequences `[N, Z, T]`."""
    d = seq.diff(dim=-1)
    d = d[..., : d.shape[-1] // steps * steps].reshape(*d.shape[:-1], -1, steps)
    return float(d.pow(2).mean((1, 3)).log().std())


def test_ar_prior_samples_are_calm_and_lively_like_the_data():
    """Data whose energy changes every few seconds (calm and lively stretches of 48 steps): prior samples
    vary in energy from window to window about as much as the data, and variation noise does not (every
    variation departs by its sigma)."""
    gen = torch.Generator().manual_seed(0)
    z, seq = torch.zeros(2), []
    for t in range(9600):
        z = 0.8 * z + (0.03 if (t // 48) % 2 else 0.15) * torch.randn(2, generator=gen)
        seq.append(z)
    data = torch.stack(seq)
    prior = ARPrior(2, 1, span=16)
    assert prior.fit([data])
    real = _window_energy_spread(data.T[None], 16)
    drawn = _window_energy_spread(prior.sample(256, 64, gen), 16)
    assert drawn > 0.8 * real  # blending a new energy in every 16 steps gave 0.71x
    assert _window_energy_spread(prior.smooth_noise(256, 64, gen), 16) < 0.5 * real


def test_user_errors_are_clear(train_data, tmp_path):
    w, _, skeleton, _ = train_data
    stats = MotionModel.fit_stats(w, skeleton)
    with pytest.raises(ConfigError, match="latent_channels"):
        build_model("default", {"latent_chanels": 8}, skeleton, stats)
    with pytest.raises(ConfigError, match="models are"):
        build_model("gan", {}, skeleton, stats)
    model = build_model("default", {"hidden": 16}, skeleton, stats)
    with pytest.raises(ShapeError, match="29"):
        reconstruct(model, np.zeros((2, 64, 24, 3), np.float32))
    with pytest.raises(ShapeError, match="NaN"):
        reconstruct(model, np.full((1, 64, 29, 3), np.nan, np.float32))
    with pytest.raises(FormatError, match="no trained model"):
        load_model(tmp_path)


def test_generation_leaves_the_model_in_its_mode_and_solo_models_refuse_a_lead(train_data):
    w, c, skeleton, _ = train_data
    model = build_model("default", {"hidden": 16, "latent_channels": 8}, skeleton, MotionModel.fit_stats(w, skeleton))
    model.train()
    reconstruct(model, c[:2])
    assert model.training  # the pipeline switched to eval mode only while it ran
    feats = model.pose_features(torch.as_tensor(np.stack(c[:2])))
    with pytest.raises(ConfigError, match="solo model"):
        model.encode(feats, lead=feats)


def test_default_model_learns_contacts_and_keeps_planted_feet_still(train_data, tmp_path):
    """With the training data's floor measured, the default model predicts planted feet (two logits per
    frame) and its loss scores them; generation grounds what it makes; model folders keep the floor."""
    w, _, skeleton, _ = train_data
    model = make("default", {"hidden": 16, "latent_channels": 8}, train_data)
    assert model.floor_model is None and set(model.loss(torch.as_tensor(w[:4]), 0)) >= {"loss", "mse"}
    floor = model.measure_floor(w)
    assert floor is not None and model.floor_model.to_dict() == pytest.approx(floor.to_dict(), rel=1e-6)
    losses = model.loss(torch.as_tensor(w[:4]), 0)
    assert {"contact", "slide"} <= set(losses) and all(torch.isfinite(v) for v in losses.values())
    from pasdeux.generate.pipeline import decode_all, latents

    d = decode_all(model, latents(model, center(w[:3], skeleton))[0], 64)
    assert d.contact.shape == (3, 64, 2) and ((d.contact >= 0) & (d.contact <= 1)).all()
    back = MotionModel.from_pretrained(model.save_pretrained(tmp_path / "m"))
    assert back.floor_model.to_dict() == pytest.approx(floor.to_dict(), rel=1e-6)
    assert make("default", {"contacts": False}, train_data).contact_output(torch.zeros(1, 64, 200)) is None


def test_model_folders_from_before_grounding_still_load(train_data, tmp_path):
    """A folder saved without the floor buffer, or with the older one, loads, knows no floor, and generates
    ungrounded."""
    from safetensors.torch import load_file, save_file

    model = make("pose", {"hidden": 32, "latent": 8}, train_data)
    folder = model.save_pretrained(tmp_path / "old")
    state = load_file(str(folder / "model.safetensors"))
    del state["floor_clearances"]
    save_file(state, str(folder / "model.safetensors"))
    old = load_model(folder)
    assert old.floor_model is None
    state["floor_stats"] = torch.ones(8)  # saved before clearances were taken over the phrase's floor
    save_file(state, str(folder / "model.safetensors"))
    with pytest.warns(UserWarning, match="without grounding"):
        assert load_model(folder).floor_model is None
    w, _, skeleton, _ = train_data
    c = center(w[:2], skeleton)
    np.testing.assert_allclose(reconstruct(old, c), reconstruct(model, c), atol=1e-6)


def test_the_ridge_gives_the_mean_where_a_map_holds_in_no_other_stretch_of_the_data():
    """Cross-validated over contiguous blocks: a map that holds throughout is kept; one that turns around from one
    stretch of the data to the next (a relation of one stretch only) is shrunk all the way to the mean."""
    from pasdeux.models.layers import ridge_by_blocks

    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 20, 6, generator=g, dtype=torch.float64)
    m = torch.randn(6, 3, generator=g, dtype=torch.float64)

    def least_squares(y):
        return float(torch.linalg.lstsq(x.reshape(-1, 6), y.reshape(-1, 3)).solution.norm())

    steady = x @ m + 0.1 * torch.randn(64, 20, 3, generator=g, dtype=torch.float64)
    assert float(ridge_by_blocks(x, steady)[0].norm()) > 0.9 * least_squares(steady)
    turning = torch.cat([bx @ (m * sign) for bx, sign in zip(x.chunk(4), (1, -1, 1, -1.2))])
    assert float(ridge_by_blocks(x, turning)[0].norm()) < 0.05 * least_squares(turning)  # grid ending at 3: 0.24

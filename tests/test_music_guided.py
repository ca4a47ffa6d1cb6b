"""Sampling guided by the beat grid a piece at a time (`to_music.guided_latent`): the kept pieces are the model's
own continuations, and their stops land on a click track's beats more often than the draw made without music."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pasdeux.generate import to_music
from pasdeux.generate.music_sync import BeatGrid
from pasdeux.generate.timing import frames_at
from pasdeux.models.base import generator

SPAN_S = 8.0


@pytest.fixture(scope="module")
def model(tiny_run):
    from pasdeux.models import load_model

    return load_model(tiny_run)


def click_grid(bpm: float = 120.0, seconds: float = SPAN_S) -> BeatGrid:
    beats = np.arange(0.25, seconds, 60.0 / bpm)
    return BeatGrid(seconds, beats, np.arange(len(beats)) % 8 + 1)


def test_continuations_keep_the_priors_level():
    """The prior's `continue_from` is zero-mean; continuing a drawn sequence must keep the level it was drawn at
    (the stationary mean of a prior with a bias), not fall back to zero."""
    from pasdeux.models.ar_prior import ARPrior

    rng = np.random.default_rng(0)
    x = np.zeros((2000, 4))
    for t in range(1, len(x)):  # an AR(1) around 3 with unit-ish spread
        x[t] = 3.0 + 0.8 * (x[t - 1] - 3.0) + 0.6 * rng.standard_normal(4)
    prior = ARPrior(4, 2, span=8)
    assert prior.fit([torch.as_tensor(x[100:])])
    drawn = prior.sample(64, 100, generator(0))  # [64, Z, 100]
    more = to_music._continuations(prior, drawn, 100, 2, generator(1))  # [2, 64, Z, 100]
    assert more.shape == (2, 64, 4, 100)
    assert torch.allclose(drawn.mean((0, 2)), torch.full((4,), 3.0), atol=0.2)
    assert torch.allclose(more.mean((0, 1, 3)), drawn.mean((0, 2)), atol=0.2)
    assert torch.allclose(more.std((0, 1, 3)), drawn.std((0, 2)), rtol=0.2)
    # Each continuation starts where its sequence ends (an AR(1) at 0.8: its first step stays close to it).
    step = (more[..., 0] - drawn[None, ..., -1]).abs().mean()
    assert step < (drawn[..., 1:] - drawn[..., :-1]).abs().mean() * 1.2


def test_chosen_pieces_land_on_beats_more_often_than_the_plain_draw(model):
    """12 s of 120 BPM clicks, six seeds: the dance chosen a piece at a time (4 draws of each 2 s) has more of its
    stops on a beat once warped than the draw made without music (0.96 against 0.81 when written; without the
    choice, always the first candidate, about the same as the plain draw)."""
    from pasdeux.generate.solo import prior

    grid = click_grid(seconds=12.0)
    seconds = to_music.generated_seconds(grid, model.fps)
    frames = frames_at(model, seconds)
    guided, plain = [], []
    for seed in range(6):
        z, pieces = to_music.guided_latent(model, 1, frames, seed, grid, candidates=4, piece_s=2.0)
        assert z.shape[-1] == model.latent_steps(frames) and len(pieces) == -(-z.shape[-1] // round(
            2.0 * model.fps / model.factor))
        guided.append(to_music._alignment(prior(model, 1, seconds, seed, latent=z), grid, (0,), (0,))[0][0])
        plain.append(to_music._alignment(prior(model, 1, seconds, seed), grid, (0,), (0,))[0][0])
    assert np.mean(guided) > np.mean(plain) + 0.08, (guided, plain)


def test_a_solo_chosen_by_pieces_says_so_in_its_provenance(model):
    made = to_music.prior_to_music(model, click_grid(seconds=4.0), 2, seed=5, music={"music": "click.wav"},
                                   pieces=True)
    fit = made.provenance["music_fit"]
    assert made.n_dancers == 2 and made.duration == pytest.approx(4.0) and made.provenance["seed"] == 5
    assert fit["piece_s"] == to_music.PIECE_S and all(len(p) == 2 for p in fit["chosen_pieces"])
    assert "chosen_draws" not in fit  # no whole draws were chosen among


def test_the_same_seed_and_music_choose_the_same_pieces(model):
    grid = click_grid(100.0)
    frames = frames_at(model, to_music.generated_seconds(grid, model.fps))
    a, pieces_a = to_music.guided_latent(model, 2, frames, 3, grid)
    b, pieces_b = to_music.guided_latent(model, 2, frames, 3, grid)
    assert torch.equal(a, b) and pieces_a == pieces_b and len(pieces_a[0]) == 2


def test_a_duet_chosen_by_pieces_keeps_its_choice_in_the_provenance(tiny_duet_run):
    from pasdeux.models import load_model

    duet_model = load_model(tiny_duet_run)
    grid = click_grid(seconds=4.0)
    made = to_music.duet_prior_to_music(duet_model, grid, 1, seed=2, music={"music": "click.wav"}, pieces=True)
    again = to_music.duet_prior_to_music(duet_model, grid, 1, seed=2, music={"music": "click.wav"}, pieces=True)
    fit = made.provenance["music_fit"]
    assert made.n_dancers == 2 and made.duration == pytest.approx(4.0)
    assert len(fit["chosen_pieces"]) >= 2 and all(len(p) == 1 for p in fit["chosen_pieces"])
    assert fit["candidates"] == to_music.CANDIDATES and made.provenance["seed"] == 2
    assert len(fit["chosen_draws"]) == 1  # the partner: the best of whole draws for the chosen lead
    assert np.array_equal(made.positions, again.positions)  # made again from its provenance


def test_a_model_without_a_continuing_prior_is_refused_clearly():
    from types import SimpleNamespace

    from pasdeux.errors import ConfigError

    plain = SimpleNamespace(name="pose", prior=None, factor=None)
    with pytest.raises(ConfigError, match="cannot be guided a piece at a time"):
        to_music.guided_latent(plain, 1, 100, 0, click_grid())


def test_long_spans_are_chosen_among_whole_draws_by_default(model):
    """Choosing a piece at a time costs the square of the length, so a span longer than `PIECES_MAX_S` is chosen
    among whole draws unless pieces are asked for."""
    short = to_music.prior_to_music(model, click_grid(seconds=SPAN_S), 1, 0)
    long = to_music.prior_to_music(model, click_grid(seconds=to_music.PIECES_MAX_S + 2.0), 1, 0)
    assert "chosen_pieces" in short.provenance["music_fit"] and "chosen_draws" not in short.provenance["music_fit"]
    assert "chosen_draws" in long.provenance["music_fit"] and "chosen_pieces" not in long.provenance["music_fit"]

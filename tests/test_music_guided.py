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
    stops on a beat once warped than the draw made without music (0.96 against 0.81 when written; 0.95 against
    0.88 once feet were grounded as at commit 0b722db; without the choice, always the first candidate, 0.78)."""
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
    assert np.mean(guided) > np.mean(plain) + 0.04, (guided, plain)


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
    # the partner chosen a piece at a time too (no whole draws chosen among), as many pieces as its lead
    assert len(fit["chosen_partner_pieces"]) == len(fit["chosen_pieces"]) and "chosen_draws" not in fit
    assert np.array_equal(made.positions, again.positions)  # made again from its provenance
    # one map for both dancers, planned from both dancers' own stops (the lead's alone left the partner's off beat)
    assert fit["pooled"] is True


def test_a_duet_danced_to_music_keeps_its_dancers_legs_bent_as_they_were(tiny_duet_run):
    """Warped to the music, both dancers' feet are held again; their legs still straighten no further than in
    training (as `pipeline.ground` and `partners.ground_partners` made them), whichever way the duet is chosen."""
    from pasdeux.body import leg_extension
    from pasdeux.models import load_model

    duet_model = load_model(tiny_duet_run)
    duet_model.placement.leg_reaches[1] = reach = 0.9  # a dancer who keeps a bend (the tiny model's legs reach 0.999)
    duet_model.solo.leg_reach.fill_(0.92)  # and leaders who keep another
    for pieces in (False, True):
        made = to_music.duet_prior_to_music(duet_model, click_grid(seconds=4.0), 1, seed=3, pieces=pieces)
        assert leg_extension(made.positions[1], made.skeleton).max() <= reach + 1e-4
        assert leg_extension(made.positions[0], made.skeleton).max() <= 0.92 + 1e-4


def test_a_solo_danced_to_music_keeps_its_legs_bent_as_they_were(tiny_run):
    from pasdeux.body import leg_extension
    from pasdeux.models import load_model

    solo = load_model(tiny_run)
    solo.leg_reach.fill_(0.9)
    for pieces in (False, True):
        made = to_music.prior_to_music(solo, click_grid(seconds=4.0), 2, seed=3, pieces=pieces)
        assert leg_extension(made.positions, made.skeleton).max() <= 0.9 + 1e-4


@pytest.fixture(scope="module")
def duet_model(tiny_duet_run):
    from pasdeux.models import load_model

    return load_model(tiny_duet_run)


def _guided_duet(model, seconds: float, seed: int, grid: BeatGrid, **choice):
    from pasdeux.generate.duet import duet_prior

    return duet_prior(model, 1, seconds, seed, partners=lambda leads: to_music.guided_partners(
        model, leads, "a2b", seed, grid, **choice)[0])


def test_one_candidate_in_one_piece_is_the_partner_made_without_music(duet_model):
    """The partner's pieces are the model's own draw carried on, not re-encoded: with one candidate and one piece
    for the whole span, the partner is exactly the one the duet has without music (draw 0, seeded as
    `duet_prior` seeds it)."""
    from pasdeux.generate.duet import duet_prior

    grid = click_grid(seconds=4.0)
    seconds = to_music.generated_seconds(grid, duet_model.fps)
    plain = duet_prior(duet_model, 1, seconds, 4)
    one = _guided_duet(duet_model, seconds, 4, grid, candidates=1, piece_s=60.0)
    assert np.array_equal(one.positions, plain.positions)


def _swaying(pose: np.ndarray, frames: int, fps: float, phase_s: float, metres: float = 0.1,
             shake: float = 0.0) -> np.ndarray:
    """`pose` `[J, 3]` with every joint but the first swaying `metres` sideways once a second: it stops (speed 0)
    at `phase_s` + 0.25 s and every half second from there; `shake`: metres of a 6 Hz tremor on top (too small
    to make stops of its own, large enough to double the acceleration)."""
    t = np.arange(frames) / fps
    out = np.repeat(pose[None], frames, 0).astype(np.float32)
    sway = metres * np.sin(2 * np.pi * (t - phase_s)) + shake * np.sin(2 * np.pi * 6.0 * t)
    out[:, 1:, 0] += sway[:, None]
    return out


def _kept(duet, candidates: list[np.ndarray]) -> list[int]:
    """Which of the candidate partners `_choose_partners` keeps for a lead that stops on every beat of 8 s of
    120 BPM clicks (beats at 0.25 s and every 0.5 s from there)."""
    from types import SimpleNamespace

    grid = click_grid(seconds=8.0)
    frames = candidates[0].shape[0]
    lead = _swaying(duet.positions[0, 0], frames, duet.fps, 0.0)[None]
    model = SimpleNamespace(skeleton=duet.skeleton, fps=duet.fps)
    picks, starts = to_music._choose_partners(model, lead, np.stack(candidates)[None], grid, np.zeros(1), frames,
                                              True)
    assert starts.shape == (1,)
    return picks


def test_the_partner_kept_is_the_candidate_whose_stops_land_on_the_beats(duet, monkeypatch):
    """Four candidate partners, all as calm: one stops on the beats, the others between them or a little off; the
    one on the beats is kept, whatever its place among them."""
    monkeypatch.setattr(to_music, "_calm", lambda model, partners: list(range(len(partners))))
    frames = int(round(to_music.generated_seconds(click_grid(seconds=8.0), duet.fps) * duet.fps))
    pose = duet.positions[0, 0]
    for on_beat in (2, 0):
        phases = [0.25, 0.15, 0.35, 0.2]
        phases[on_beat] = 0.0
        assert _kept(duet, [_swaying(pose, frames, duet.fps, p) for p in phases]) == [on_beat]


def test_a_shaky_partner_is_not_kept_however_well_it_lands(duet):
    """A partner on the beats but shaking is passed over for a calm one nearly on them: alignment is not bought
    with a shakier partner (chosen by the beats alone, the partners kept shook more than the model's own)."""
    frames = int(round(to_music.generated_seconds(click_grid(seconds=8.0), duet.fps) * duet.fps))
    pose = duet.positions[0, 0]
    candidates = [_swaying(pose, frames, duet.fps, 0.0, shake=0.003), _swaying(pose, frames, duet.fps, 0.25),
                  _swaying(pose, frames, duet.fps, 0.03, 0.09), _swaying(pose, frames, duet.fps, 0.2)]
    assert _kept(duet, candidates) == [2]

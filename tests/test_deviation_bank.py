"""The deviation bank: drawn departures are real ones, taken where the model expected the same partner."""

import torch

from pasdeux.models.deviation_bank import SEGMENT, DeviationBank


def _bank(steps: int = 64, channels: int = 3, seed: int = 0) -> tuple[DeviationBank, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    guesses = [torch.randn(steps, channels, generator=gen) for _ in range(2)]
    values = [torch.randn(steps, channels, generator=gen) for _ in range(2)]
    paces = [torch.rand(steps, generator=gen) + 0.5 for _ in range(2)]
    bank = DeviationBank(channels)
    bank.fit(guesses, values, [0, 1], paces, [0, 0])
    return bank, torch.stack(guesses), torch.stack(values), torch.stack(paces)


def test_a_lead_like_a_training_moment_gets_that_moments_real_departure():
    bank, guesses, values, paces = _bank()
    start, length = 20, 3 * SEGMENT
    guess = guesses[1, start:start + length].T[None]  # direction 1's stretch, as the model would guess it
    pace = paces[1, start:start + length][None]
    real = values[1, start:start + length].T
    draws = [bank.draw(guess, pace, torch.tensor([1]), torch.Generator().manual_seed(k))[0] for k in range(20)]
    # the first segment takes one of the 8 nearest stretches, later ones one of the 2 nearest or the one
    # continuing the last: the exact stretch is taken at once or found again within the lead (then the
    # departure comes back to it at `PACE_LEAK` a step)
    assert all((d[:, -1] - real[:, -1]).abs().max() < 0.1 * real.abs().max() for d in draws)
    assert sum(torch.allclose(d, real, atol=1e-5) for d in draws) >= 1


def test_directions_are_kept_apart_and_draws_differ_but_stay_real():
    bank, guesses, values, paces = _bank(steps=200)
    guess, pace = torch.zeros(8, 3, 2 * SEGMENT), torch.ones(8, 2 * SEGMENT)
    drawn = bank.draw(guess, pace, torch.zeros(8, dtype=torch.long), torch.Generator().manual_seed(1),
                      power=0.0)  # played at the bank's own pace: cross-fades of real departures, nothing else
    assert drawn.shape == guess.shape and torch.isfinite(drawn).all()
    assert len({tuple(d.flatten().tolist()) for d in drawn}) > 1  # the generator picks among the nearest
    # every drawn step is a cross-fade of direction 0's real departures, never direction 1's
    own, other = values[0], values[1]
    lo, hi = own.min(0).values[:, None], own.max(0).values[:, None]
    assert ((drawn >= lo - 1e-5) & (drawn <= hi + 1e-5)).all()
    assert not any(torch.allclose(drawn[0, :, 0], row) for row in other)


def test_a_lead_longer_than_any_training_duet_is_covered_without_gaps():
    bank, *_ = _bank(steps=40)
    guess, pace = torch.randn(1, 3, 500), torch.ones(1, 500)
    drawn = bank.draw(guess, pace, torch.tensor([0]), torch.Generator().manual_seed(0))
    assert drawn.shape == (1, 3, 500) and torch.isfinite(drawn).all()
    assert drawn.abs().sum(1).gt(0).all()  # no step left without a departure


def test_given_first_steps_are_kept_and_handed_over_smoothly():
    bank, *_ = _bank()
    drawn = torch.randn(2, 3, 30)
    history = torch.full((2, 3, 6), 5.0)
    out = bank.continue_from(history, drawn)
    handed = 6 + SEGMENT // 2
    assert torch.equal(out[..., :6], history) and torch.equal(out[..., handed:], drawn[..., handed:])
    jumps = out.diff(dim=-1).abs()[..., 5:6 + SEGMENT // 2]
    assert jumps.max() < (drawn[..., 6:7] - 5.0).abs().max()  # the hand-over is spread over several steps


def test_the_bank_travels_with_the_weights_and_older_folders_load_without_one():
    bank, *_ = _bank()
    again = DeviationBank(3)
    again.load_state_dict(bank.state_dict())
    assert again.fitted and torch.equal(again.values, bank.values) and torch.equal(again.keys, bank.keys)
    old = DeviationBank(3)
    old.load_state_dict({})  # a folder saved before the bank: empty, so the sampler falls back to its AR prior
    assert not old.fitted


def test_a_training_lead_drawn_as_new_never_gets_its_own_partner_back():
    """The calibration draws training leads as if they were new: kept from their own moment, the bank must
    answer with another one (else every sample would move exactly as the real partner does)."""
    bank, guesses, values, paces = _bank(steps=120)
    guess, pace = guesses[0, 40:40 + 2 * SEGMENT].T[None], paces[0, 40:40 + 2 * SEGMENT][None]
    own = values[0, 40:40 + 2 * SEGMENT].T
    drawn = bank.draw(guess, pace, torch.tensor([0]), torch.Generator().manual_seed(0),
                      avoid=torch.tensor([[0, 40, 40 + 2 * SEGMENT - 1]]))
    assert drawn is not None
    assert not any(torch.allclose(drawn[0, :, k], own[:, k]) for k in range(own.shape[1]))


def test_a_departure_changes_faster_for_a_faster_leader_and_does_not_drift():
    bank, guesses, values, paces = _bank(steps=120)
    guess = guesses[0, 30:30 + 3 * SEGMENT].T[None]
    pace = paces[0, 30:30 + 3 * SEGMENT][None]
    same = bank.draw(guess, pace, torch.tensor([0]), torch.Generator().manual_seed(0))
    fast = bank.draw(guess, 3 * pace, torch.tensor([0]), torch.Generator().manual_seed(0))
    assert fast.diff(dim=-1).abs().mean() > 1.5 * same.diff(dim=-1).abs().mean()  # three times the pace
    long = bank.draw(torch.randn(1, 3, 600), torch.full((1, 600), 3.0), torch.tensor([0]),
                     torch.Generator().manual_seed(0))
    assert long[..., -150:].std() < 1.5 * long[..., :150].std()  # held to the real departures: no drift


def test_partners_drawn_for_one_lead_set_out_from_different_moments():
    bank, guesses, values, paces = _bank(steps=200)
    guess = guesses[0, 50:50 + 2 * SEGMENT].T[None].repeat(4, 1, 1)  # four partners for one lead
    pace = paces[0, 50:50 + 2 * SEGMENT][None].repeat(4, 1)
    for seed in range(5):
        drawn = bank.draw(guess, pace, torch.zeros(4, dtype=torch.long), torch.Generator().manual_seed(seed))
        assert len({tuple(d[:, 0].tolist()) for d in drawn}) == 4


def test_the_pace_power_is_not_shrunk_by_noise_in_the_measured_pace():
    # A partner whose departure moves in proportion to the couple's tempo (power 1), the leader's pace and
    # the departure's speed both measured with noise: least squares would give about 0.5 here, and the bank
    # would play departures for a faster leader too slowly.
    from pasdeux.models.deviations import fit_drive

    gen = torch.Generator().manual_seed(0)
    tempo = torch.randn(4000, generator=gen).cumsum(0) * 0.05  # a slowly changing log tempo
    tempo = (tempo - tempo.mean()) / tempo.std()
    pace = (tempo + torch.randn(4000, generator=gen)).exp()
    step = (tempo + torch.randn(4000, generator=gen)).exp()[1:]  # how far the departure moves each step
    direction = torch.randn(3999, 3, generator=gen)
    moves = direction / direction.norm(dim=1, keepdim=True) * step[:, None]
    deviation = torch.cat([torch.zeros(1, 3), moves.cumsum(0)])
    _, gain, _ = fit_drive([deviation], [pace])
    assert 0.85 < gain < 1.15

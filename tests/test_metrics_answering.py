"""The metrics of answering (responsiveness, bed, contact_rate) must rank real pairs above `shuffled` ones
(the real partner of another test window: real dance that does not answer this leader), on the salsa test
takes and on the video duet's test span (BENCHMARK.md, duet protocol)."""

from __future__ import annotations

import numpy as np
import pytest

from pasdeux.body import body_points
from pasdeux.data import duet_windows, shuffled_partners, time_split
from pasdeux.metrics import bed, contact_rate, leg_length, responsiveness

WINDOW, STRIDE = 64, 4  # duet-v2 test leader windows
FAR = 24  # windows (96 frames): a shuffled partner at least one window plus the 1 s lag range away


def _mean_far(pairs, metric, seeds=range(5)):
    """The metric of shuffled pairs whose partners come from random windows at least FAR windows away,
    averaged over seeds (the baseline's expected value rather than one draw)."""
    return float(np.mean([metric(shuffled_partners(pairs, min_gap=FAR, seed=s)) for s in seeds]))


@pytest.fixture(scope="module")
def salsa(salsa_test30):
    sk = salsa_test30[0].skeleton
    leg = leg_length(np.concatenate([m.positions for m in salsa_test30], axis=1), sk)
    pairs = {d: np.concatenate([duet_windows(m, WINDOW, STRIDE, leader=k) for m in salsa_test30])
             for k, d in enumerate(("a2b", "b2a"))}
    return pairs, sk, leg


@pytest.mark.parametrize("direction", ["a2b", "b2a"])
def test_salsa_real_partners_answer_and_shuffled_ones_do_not(salsa, direction):
    """Measured: responsiveness 0.50 real, 0.14 shuffled (0.04-0.06 far); bed 0.68 / 0.57 real, 0.19 / 0.16
    shuffled (0.27 / 0.23 far); contact 0.38 real, 0.12 / 0.21 shuffled (0.14 / 0.27 far)."""
    all_pairs, sk, leg = salsa
    pairs = all_pairs[direction]
    shuffled = shuffled_partners(pairs)

    def resp(x):
        return responsiveness(x, sk)

    def echo(x):
        return bed(x, sk, leg_length=leg)

    def contact(x):
        return contact_rate(x[::4], sk, leg)  # every 4th window: stride 16, enough frames

    assert resp(pairs) > resp(shuffled) + 0.25 and resp(pairs) > _mean_far(pairs, resp) + 0.3
    assert echo(pairs) > echo(shuffled) + 0.25 and echo(pairs) > _mean_far(pairs, echo) + 0.25
    assert contact(pairs) > contact(shuffled) + 0.1 and contact(pairs) > _mean_far(pairs, contact, [0]) + 0.08


@pytest.fixture(scope="module")
def video(duet):
    parts = time_split(duet)
    pairs = {d: duet_windows(parts["test"], WINDOW, STRIDE, leader=k) for k, d in enumerate(("a2b", "b2a"))}
    return pairs, duet.skeleton, leg_length(parts["train"])


@pytest.mark.parametrize("direction", ["a2b", "b2a"])
def test_video_real_partners_answer_and_shuffled_ones_do_not(video, direction):
    """The 9 s test span (52 windows). Measured: responsiveness 0.39 real against 0.16 / 0.14 for far
    partners. The protocol's half-span shift gives 0.36, because the dancers repeat a phrase every 3.5-4 s
    (leader speed autocorrelation 0.32 at 104 frames), so the partner half a span away dances a repeat of
    the answer. On the whole video, real 0.37 against 0.05 shifted. bed: 0.41 / 0.28 real, 0.04 / 0.02
    shifted, 0.26 / 0.16 far."""
    all_pairs, sk, leg = video
    pairs = all_pairs[direction]

    def resp(x):
        return responsiveness(x, sk)

    def echo(x):
        return bed(x, sk, leg_length=leg)

    assert resp(pairs) > _mean_far(pairs, resp, range(20)) + 0.15
    assert echo(pairs) > echo(shuffled_partners(pairs)) + 0.15
    assert echo(pairs) > _mean_far(pairs, echo, range(20)) + 0.08


def test_video_duet_has_no_depth_so_contact_cannot_answer(duet):
    """Contact can tell real salsa partners from shuffled ones but not the video duet's: its dancers share one
    depth plane (pelvis z is 0 in every frame of a monocular extraction), so every overlap in the image counts
    as a touch (contact 0.49 real, 0.47-0.58 shuffled). pasdeux evaluate says so in its report."""
    pelvis_depth = body_points(duet.positions, duet.skeleton, ("pelvis",), "depth")[..., 0, 2]
    assert np.ptp(pelvis_depth) < 1e-5

"""Hand holds: the labels the duet model learns from the real couple, the arm IK that reaches for a held
hand, and the finishing step that brings held hands together."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pasdeux import metrics
from pasdeux.body import hand_joints, role_indices
from pasdeux.errors import SkeletonError
from pasdeux.generate.holds import HOLD_GAP, hold_hands
from pasdeux.kinematics import reach_limb
from pasdeux.metrics.duet import bone_contact
from pasdeux.models.contacts import hand_index, hold_labels


def _joint(skeleton, role):
    return role_indices(skeleton, role)[0]


def _arm(skeleton, side):
    return tuple(_joint(skeleton, f"{side}_{p}") for p in ("shoulder", "elbow", "wrist", "hand"))


def _bones(x, skeleton):
    i, j = np.asarray(skeleton.bones).T
    return np.linalg.norm(x[..., i, :] - x[..., j, :], axis=-1)


@pytest.fixture(scope="module")
def take(salsa_test30):
    """Take 13 at 30 fps: [2, T, J, 3] (the lead, then the follow)."""
    return salsa_test30[0]


def test_hands_are_the_wrist_and_everything_below_it(take):
    names = [take.skeleton.joints[j] for j in hand_joints(take.skeleton, "left")]
    assert names[0] == "lHand" and "lMid2_end" in names and len(names) == 16
    assert not any(n.startswith("r") or "ForeArm" in n for n in names)


def test_limb_reaches_a_target_with_its_bones_kept(take):
    sk = take.skeleton
    shoulder, elbow, wrist, hand = _arm(sk, "right")
    body = take.positions[1, :40][None].astype(np.float64)
    lengths = _bones(body, sk)
    target = body[:, :, wrist] + np.array([0.05, 0.08, -0.04])  # a short way off: within reach
    moved = reach_limb(body, sk, (shoulder, elbow, wrist), target)
    assert np.abs(moved[:, :, wrist] - target).max() < 1e-6
    assert np.abs(_bones(moved, sk) - lengths).max() < 1e-6  # bones kept, fingers moved with the wrist
    assert np.allclose(moved[:, :, shoulder], body[:, :, shoulder])
    far = body[:, :, shoulder] + np.array([3.0, 0.0, 0.0])  # far out of reach: the arm points at it, straight
    straight = reach_limb(body, sk, (shoulder, elbow, wrist), far)
    arm = np.linalg.norm(straight[:, :, wrist] - straight[:, :, shoulder], axis=-1)
    assert np.allclose(arm, lengths[..., [b for b, (i, j) in enumerate(sk.bones) if j in (elbow, wrist)]].sum(-1),
                       atol=1e-5)
    bent = reach_limb(body, sk, (shoulder, elbow, wrist), far, max_extension=0.9)  # kept bent, pointing at it
    reach = np.linalg.norm(bent[:, :, wrist] - bent[:, :, shoulder], axis=-1)
    limb = (np.linalg.norm(body[:, :, elbow] - body[:, :, shoulder], axis=-1)
            + np.linalg.norm(body[:, :, wrist] - body[:, :, elbow], axis=-1))
    np.testing.assert_allclose(reach, 0.9 * limb, rtol=1e-6)
    assert np.abs(_bones(bent, sk) - lengths).max() < 1e-6
    with pytest.raises(SkeletonError, match="tree"):
        reach_limb(body, type(sk)(sk.name, sk.joints, sk.bones), (shoulder, elbow, wrist), target)


def test_hold_labels_are_the_real_couples_hand_contacts(take):
    """Labels count nearly the frames the duet contact metric counts on real salsa (hands make most contact)."""
    sk = take.skeleton
    pair = torch.as_tensor(take.positions, dtype=torch.float32)
    leg = metrics.leg_length(take.positions.reshape(-1, *take.positions.shape[-2:]), sk)
    labels = hold_labels(pair[0][None], pair[1][None], hand_index(sk), leg)[0].numpy()  # [T, 2]
    held = labels.max(-1) > 0
    touch = bone_contact(take.positions[None], sk, leg)[0]
    assert 0.15 < held.mean() < 0.6  # a salsa couple holds hands much of the time, not always
    assert (held & touch).sum() / held.sum() > 0.9  # a held hand is a contact
    assert held.sum() / touch.sum() > 0.75  # and most contacts are held hands
    apart = pair[1] + torch.tensor([3.0, 0.0, 0.0])  # the same follow, far away: no hold
    assert hold_labels(pair[0][None], apart[None], hand_index(sk), leg).sum() == 0


def test_a_held_hand_is_brought_to_the_leaders_with_the_arm_reaching(take):
    sk = take.skeleton
    leg = metrics.leg_length(take.positions.reshape(-1, *take.positions.shape[-2:]), sk)
    lead, follow = take.positions[0][None], take.positions[1][None].copy()
    _, _, _, hand = _arm(sk, "right")
    leader_hand = lead[:, :, _joint(sk, "left_hand")]
    # the follow's right hand a little off the lead's left hand (0.2 leg lengths): a hold the model predicts
    off = leader_hand - follow[:, :, hand] + np.array([0.2 * leg, 0.0, 0.0], np.float32)
    follow[:, :, hand_joints(sk, "right")] += off[:, :, None]
    follow = follow.astype(np.float32)
    held = np.zeros((*follow.shape[:2], 2), np.float32)
    held[:, 20:, 1] = 1.0  # right hand held from frame 20 on
    out = hold_hands(lead, follow, sk, leg, held)
    gap = np.linalg.norm(out[:, :, hand] - leader_hand, axis=-1)[0]
    before = np.linalg.norm(follow[:, :, hand] - leader_hand, axis=-1)[0]
    assert np.mean(gap[30:] < 2 * HOLD_GAP * leg) > 0.8  # held: the hands meet (where the arm can reach)
    assert np.all(gap[30:] < before[30:])  # and where it cannot, the hand still goes towards the other
    assert np.all(gap[:10] > 0.15 * leg)  # not held yet: left as it was
    assert np.abs(_bones(out, sk) - _bones(follow, sk)).max() < 1e-4  # the arm reaches, it does not stretch
    pull = out[0, :40, hand] - follow[0, :40, hand]  # a cut would move the hand 0.2 leg lengths in a frame
    assert np.linalg.norm(np.diff(pull, axis=0), axis=-1).max() < 0.08 * leg  # taken smoothly
    assert np.array_equal(hold_hands(lead, follow, sk, leg, None), follow)
    assert np.array_equal(hold_hands(lead, follow, sk, leg, np.zeros_like(held)), follow)

"""One geometry for numpy and torch: the same root, centring, heading and bone lengths on either side."""

from __future__ import annotations

import numpy as np
import torch

from pasdeux.body import facing_angle, root_joints
from pasdeux.geometry import centre_horizontally, fit_bone_lengths, forward, from_frame, root_point, to_frame
from pasdeux.kinematics import fix_bone_lengths
from pasdeux.models.leader_frame import facing_joints


def test_numpy_and_torch_give_the_same_root_centring_and_turns(duet):
    x = duet.positions[:, :50]
    root = root_joints(duet.skeleton)
    r_np, r_t = root_point(x, root), root_point(torch.as_tensor(x), root)
    np.testing.assert_array_equal(r_np, r_t.numpy())
    c_np = centre_horizontally(x, r_np[..., [0, 2]])
    np.testing.assert_array_equal(c_np, centre_horizontally(torch.as_tensor(x), r_t[..., [0, 2]]).numpy())
    assert np.abs(root_point(c_np, root)[..., [0, 2]]).max() < 1e-6 and np.array_equal(c_np[..., 1], x[..., 1])
    lh, rh, ls, rs = facing_joints(duet.skeleton)
    fwd_np = forward(x, [(lh, rh), (ls, rs)])
    np.testing.assert_allclose(fwd_np, forward(torch.as_tensor(x), [(lh, rh), (ls, rs)]).numpy(), atol=1e-6)
    unit = fwd_np / np.linalg.norm(fwd_np, axis=-1, keepdims=True)
    turned = to_frame(c_np, unit[..., None, :])
    np.testing.assert_allclose(from_frame(turned, unit[..., None, :]), c_np, atol=1e-5)
    np.testing.assert_allclose(turned, to_frame(torch.as_tensor(c_np), torch.as_tensor(unit)[..., None, :]).numpy(),
                               atol=1e-6)
    # In its own frame a body faces +z: its forward turned into that frame is (0, 1).
    np.testing.assert_allclose(to_frame(unit, unit), np.broadcast_to([0.0, 1.0], unit.shape), atol=1e-5)


def test_the_facing_angle_is_the_heading_of_the_forward_direction(duet):
    x = duet.positions[0, :40]
    lh, rh, ls, rs = facing_joints(duet.skeleton)
    fwd = forward(x, [(lh, rh), (ls, rs)])
    np.testing.assert_allclose(facing_angle(x, duet.skeleton), np.arctan2(fwd[:, 0], fwd[:, 1]), atol=1e-5)


def test_one_bone_length_walk_serves_one_dancer_and_several(duet):
    x = duet.positions[:, :30].astype(np.float64)
    sk = duet.skeleton
    lengths = np.stack([np.full(len(sk.bones), 0.1), np.full(len(sk.bones), 0.2)])  # one set per dancer
    both = fit_bone_lengths(x, sk, lengths)
    np.testing.assert_allclose(sk.bone_lengths(both)[0], 0.1, atol=1e-9)
    np.testing.assert_allclose(sk.bone_lengths(both)[1], 0.2, atol=1e-9)
    np.testing.assert_allclose(fit_bone_lengths(x[0], sk, lengths[0]), both[0])
    np.testing.assert_allclose(fix_bone_lengths(x, sk, lengths), both)  # the rest-pose fit is the same walk
    half = fit_bone_lengths(x[0], sk, lengths[0], strength=0.5)  # part of the way: the geometric mean
    np.testing.assert_allclose(sk.bone_lengths(half), np.sqrt(sk.bone_lengths(x[0]) * 0.1), rtol=1e-6)

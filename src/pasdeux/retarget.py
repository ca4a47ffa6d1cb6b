"""Motion of one skeleton on another, by body roles: a filmed dancer (`mediapipe33`) on a mocap model's skeleton.

The joints two skeletons share are found by what they are (`pasdeux.body` roles: the hips, knees, ankles,
heels, toes, shoulders, elbows, wrists, hands and head), not by name, so any pair of skeletons that
`pasdeux.body` reads works. The source is first scaled to the target body's size (the ratio of leg lengths,
hip to ankle, which every skeleton names alike); the mapped roles then pin the target's joints, and the joints
the source lacks (a pelvis, a spine, collars, fingers, eye ends) are completed frame by frame with the pose the
target's training poses make most likely given the mapped ones (ridge regression on a PCA of those poses).
Last, every bone is set to the target's lengths, so the body is rigid and sized like the bodies the model
learned, and the feet stand on the target's floor (phrase by phrase: a filmed floor drifts).

Roles whose definitions differ between skeletons are not mapped: the pelvis (a joint above the hips in SMPL
and in mocap, their middle in MediaPipe), the spine and neck (a joint of the spine in mocap, the middle of
the shoulders in MediaPipe) and the head top; the completion places them from the mapped ones. The hand is
mapped: a knuckle in most skeletons (MediaPipe's index, SMPL's hand, CMU's middle finger's first joint), it
turns the hand, and the fingers follow it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from pasdeux.body import SIDES, candidates, leg_length, role_indices, root_trajectory
from pasdeux.errors import ShapeError, SkeletonError
from pasdeux.grounding import local_floor, lowest_foot
from pasdeux.models.bones import fit_bone_lengths
from pasdeux.motion import Skeleton

# Landmarks every skeleton places alike (a joint centre or a bony point), in the order notes list them.
MAPPED_ROLES = ("head",) + tuple(f"{side}_{part}" for part in
                                          ("hip", "knee", "ankle", "heel", "foot", "shoulder", "elbow", "wrist",
                                           "hand")
                                          for side in SIDES)
# Without these a pose cannot be placed, scaled or completed soundly; the error names the missing ones.
NEEDED_ROLES = tuple(f"{side}_{part}" for part in ("hip", "knee", "ankle", "shoulder", "elbow", "wrist")
                     for side in SIDES)
RIDGE = 1e-2  # in units of the training poses' own spread per component
TRAVEL_SPREAD = 10.0  # the spread given to the pose's shift along the floor: 10 m, so hardly held back
RELAX_SWEEPS = 30  # sweeps sharing the bones' errors before the tree walk makes them exact
PINNED_SHARE = 0.05  # a mapped joint's share of a bone's error against a completed joint's 1
FLOOR_PERCENTILE = 5  # the floor under a motion: this percentile of its lowest foot point, as `grounding` does
FLOOR_SMOOTH_S = 0.5  # seconds: the floor under each frame smoothed so, that the lead is never jerked up or down


@dataclass(frozen=True)
class TargetBody:
    """What is known of the bodies a model learned: its skeleton, the training poses' `mean` `[J*3]` and
    principal directions scaled by their spread `basis` `[J*3, K]` (poses centred per frame on the root's
    x, z), the bones' lengths (`None`: keep the completed ones), the leg length and the floor height."""

    skeleton: Skeleton
    mean: np.ndarray
    basis: np.ndarray
    bone_lengths: np.ndarray | None
    leg_length: float
    floor: float | None

    @classmethod
    def from_poses(cls, positions: np.ndarray, skeleton: Skeleton, components: int = 32) -> TargetBody:
        """The body of real motion `[..., T, J, 3]` of `skeleton`: its poses' PCA, mean bone lengths, leg length
        and floor."""
        pos = np.asarray(positions, np.float64).reshape(-1, skeleton.n_joints, 3)
        pos = pos[np.isfinite(pos).all(axis=(1, 2))]
        if len(pos) < 2:
            raise ShapeError("a body needs at least two complete poses")
        root = root_trajectory(pos, skeleton)
        flat = (pos - root[:, None] * np.array([1.0, 0.0, 1.0])).reshape(len(pos), -1)
        mean = flat.mean(0)
        _, sv, vt = np.linalg.svd(flat - mean, full_matrices=False)
        k = min(components, len(sv))
        lengths = skeleton.bone_lengths(pos).mean(0) if skeleton.parents is not None else None
        return cls(skeleton, mean, vt[:k].T * sv[:k] / np.sqrt(len(pos)), lengths, leg_length(pos, skeleton),
                   _floor(pos, skeleton))


@dataclass(frozen=True)
class RoleMap:
    """The roles found on both skeletons: the source joints whose mean is each role, and the target's."""

    roles: tuple[str, ...]
    source: tuple[tuple[int, ...], ...]
    target: tuple[tuple[int, ...], ...]

    def weights(self, n_joints: int) -> np.ndarray:
        """`[roles, n_joints]`: each row averages the target joints standing for its role."""
        w = np.zeros((len(self.roles), n_joints))
        for r, idx in enumerate(self.target):
            w[r, list(idx)] = 1.0 / len(idx)
        return w


def role_map(source: Skeleton, target: Skeleton) -> RoleMap:
    """The `MAPPED_ROLES` both skeletons name, or a SkeletonError naming the needed roles either one lacks."""
    found = [(r, role_indices(source, r), role_indices(target, r)) for r in MAPPED_ROLES]
    for side, name in ((1, source.name), (2, target.name)):
        missing = [f[0] for f in found if f[side] is None and f[0] in NEEDED_ROLES]
        if missing:
            raise SkeletonError(
                f"moving motion of skeleton {source.name!r} onto {target.name!r} by body roles needs the "
                f"{', '.join(missing)}, which skeleton {name!r} does not name (looked for e.g. "
                f"{', '.join(str(candidates(r)[0]) for r in missing)}); rename its joints or use a skeleton "
                "such as smpl24, hybrik29 or mediapipe33")
    both = [f for f in found if f[1] is not None and f[2] is not None]
    return RoleMap(tuple(f[0] for f in both), tuple(f[1] for f in both), tuple(f[2] for f in both))


def _points(positions: np.ndarray, groups: tuple[tuple[int, ...], ...]) -> np.ndarray:
    """`[T, len(groups), 3]`: the mean of each group of joints of `positions` `[T, J, 3]`."""
    return np.stack([positions[:, list(g)].mean(1) for g in groups], axis=1)


def _with_travel(basis: np.ndarray) -> np.ndarray:
    """`basis` `[J*3, K]` and three more directions moving the whole pose along x, y and z, hardly held back:
    the poses are centred on the root, which the observations do not place (the pelvis is a joint in one
    skeleton, the middle of the hips in another), and a filmed floor lies at any height, so where the body
    stands among the observations is solved for too (its floor is set afterwards)."""
    n_joints = basis.shape[0] // 3
    travel = np.zeros((n_joints, 3, 3))
    for axis in range(3):
        travel[:, axis, axis] = TRAVEL_SPREAD
    return np.concatenate([basis, travel.reshape(-1, 3)], axis=1)


def complete_from(observed: np.ndarray, weights: np.ndarray, mean: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Poses `[T, J, 3]` most likely under the PCA model `mean` + `basis` given `observed` `[T, R, 3]`, the
    means of joints that `weights` `[R, J]` names (ridge regression on the components, the poses free to shift
    along the floor), each observed mean then met exactly by moving its joints together."""
    n_joints = weights.shape[1]
    basis = _with_travel(basis)
    b = basis.reshape(n_joints, 3, -1)
    a = np.einsum("rj,jck->rck", weights, b).reshape(-1, basis.shape[1])  # [R*3, K]
    m = (weights @ mean.reshape(n_joints, 3)).ravel()
    rhs = a.T @ (observed.reshape(len(observed), -1) - m).T  # [K, T]
    coef = np.linalg.solve(a.T @ a + RIDGE * np.eye(basis.shape[1]), rhs)
    full = (mean[:, None] + basis @ coef).T.reshape(len(observed), n_joints, 3)
    for r in range(len(weights)):
        joints = np.nonzero(weights[r])[0]
        full[:, joints] += (observed[:, r] - full[:, joints].mean(1))[:, None]
    return full


def _floor(positions: np.ndarray, skeleton: Skeleton) -> float | None:
    """The floor under a motion `[T, J, 3]`, or None when the skeleton names no feet."""
    try:
        return float(np.percentile(lowest_foot(positions, skeleton), FLOOR_PERCENTILE))
    except SkeletonError:
        return None


def _relax(positions: np.ndarray, skeleton: Skeleton, lengths: np.ndarray, pinned: np.ndarray,
           iterations: int = RELAX_SWEEPS) -> np.ndarray:
    """Positions `[T, J, 3]` moved towards bones of `lengths`, each bone's error shared between its ends, the
    `pinned` `[J]` joints (mapped from the source) taking `PINNED_SHARE` of what a completed joint takes: the
    completed spine and collars bend to the mapped shoulders and hips, not the other way round."""
    a, b = np.asarray(skeleton.bones).T
    weight = np.where(pinned, PINNED_SHARE, 1.0)
    wa, wb = weight[a] / (weight[a] + weight[b]), weight[b] / (weight[a] + weight[b])
    count = np.bincount(np.concatenate([a, b]), minlength=skeleton.n_joints)[:, None]
    out = positions.astype(np.float64)
    for _ in range(iterations):
        vec = out[:, b] - out[:, a]
        norm = np.linalg.norm(vec, axis=-1, keepdims=True)
        error = vec * (1 - lengths[:, None] / np.maximum(norm, 1e-8))  # the child end too far out by
        move = np.zeros_like(out)
        np.add.at(move, (slice(None), a), error * wa[:, None])
        np.add.at(move, (slice(None), b), -error * wb[:, None])
        out += move / np.maximum(count, 1)
    return out


def _rigid(positions: np.ndarray, body: TargetBody, pinned: np.ndarray) -> np.ndarray:
    """Every bone of `positions` `[T, J, 3]` at the body's length: errors shared along the bones first (mostly by
    the completed joints), then made exact walking the tree, as generated bodies are made rigid."""
    if body.bone_lengths is None or body.skeleton.parents is None:
        return positions
    lengths = np.asarray(body.bone_lengths, np.float64)
    return fit_bone_lengths(_relax(positions, body.skeleton, lengths, pinned), body.skeleton, lengths)


def _on_floor(positions: np.ndarray, body: TargetBody, fps: float | None) -> tuple[np.ndarray, str | None]:
    """`positions` `[T, J, 3]` raised or lowered onto the body's floor: as a whole, or given `fps`, phrase by
    phrase (the floor under each frame judged over `PHRASE_S` around it, as `grounding` judges it, and
    smoothed), since a filmed floor drifts as the dancer moves about a camera that is not level; and a note
    on how far the motion's own floor drifted."""
    if body.floor is None or _floor(positions, body.skeleton) is None:
        return positions, None
    if fps is None or len(positions) < 3:
        return positions + np.array([0.0, body.floor - _floor(positions, body.skeleton), 0.0]), None
    under = gaussian_filter1d(local_floor(positions, body.skeleton, fps)[0], FLOOR_SMOOTH_S * fps, mode="nearest")
    out = positions.copy()
    out[..., 1] += (body.floor - under)[:, None]
    drift = under.max() - under.min()
    return out, f"feet set on the model's floor phrase by phrase (the lead's own floor drifted {100 * drift:.0f} cm)"


def retarget(positions: np.ndarray, source: Skeleton, body: TargetBody,
             fps: float | None = None) -> tuple[np.ndarray, list[str]]:
    """Positions `[T, J', 3]` of the target body's skeleton for one dancer's `positions` `[T, J, 3]` of
    `source`, and notes saying what was mapped, what completed, the scale and how much the bones moved. Given
    the motion's `fps`, its feet are set on the body's floor phrase by phrase, else as a whole."""
    pos = np.asarray(positions, np.float64)
    if pos.ndim != 3 or pos.shape[1:] != (source.n_joints, 3):
        raise ShapeError(f"expected one dancer's positions [frames, {source.n_joints}, 3]; got shape {pos.shape}")
    if not np.isfinite(pos).all():
        raise ShapeError("the motion has missing joints; fill its gaps first (pasdeux.data.fill_gaps)")
    target = body.skeleton
    roles = role_map(source, target)
    scale = body.leg_length / leg_length(pos, source)
    points = _points(pos, roles.source) * scale  # the source at the target's size
    hips = points[:, [roles.roles.index("left_hip"), roles.roles.index("right_hip")]].mean(1)
    points[..., [0, 2]] -= hips[:, [0, 2]].mean(0) * (1 - 1 / scale)  # scaled about the dance's middle
    offset = (hips * np.array([1.0, 0.0, 1.0]))[:, None]  # about where the root stands; completion places it
    completed = complete_from(points - offset, roles.weights(target.n_joints), body.mean, body.basis) + offset
    pinned = np.zeros(target.n_joints, bool)
    pinned[[j for idx in roles.target for j in idx]] = True
    out = _rigid(completed, body, pinned)
    moved = np.linalg.norm(_points(out, roles.target) - points, axis=-1)
    out, floor_note = _on_floor(out, body, fps)
    notes = _notes(source, body, roles, scale, moved)
    return out.astype(np.float32), notes + ([floor_note] if floor_note else [])


def _notes(source: Skeleton, body: TargetBody, roles: RoleMap, scale: float, moved: np.ndarray) -> list[str]:
    """What was mapped, what completed, the scale and how far fitting the bones moved the mapped joints."""
    target = body.skeleton
    mapped = {j for idx in roles.target for j in idx}
    lacking = [j for i, j in enumerate(target.joints) if i not in mapped]
    pairs = [f"{r} -> {target.joints[i[0]]}" if len(i) == 1 else r for r, i in zip(roles.roles, roles.target)]
    worst = roles.roles[int(moved.max(0).argmax())]
    bones = (f"bones set to the model's lengths: the mapped joints moved {100 * moved.mean():.1f} cm on average "
             f"(at most {100 * moved.max():.1f} cm, the {worst.replace('_', ' ')}; by 95 % of the frames at most "
             f"{100 * np.percentile(moved.max(1), 95):.1f} cm)"
             if body.bone_lengths is not None and target.parents is not None
             else "bones kept as completed (the model knows no bone lengths, or its skeleton is no tree)")
    return [f"moved from skeleton {source.name!r} onto {target.name!r} by body roles: {len(roles.roles)} roles "
            f"mapped ({', '.join(pairs)})",
            f"scaled by {scale:.3g} to the model's body (leg length {body.leg_length / scale:.3g} -> "
            f"{body.leg_length:.3g})",
            f"{len(lacking)} joint(s) the lead lacks completed from the model's training poses"
            + (f": {', '.join(lacking)}" if lacking else ""),
            bones]

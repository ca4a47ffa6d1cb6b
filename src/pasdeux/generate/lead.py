"""A lead for the duet model from any motion: one dancer, at the model's frame rate, on the model's skeleton.

A lead whose skeleton differs from the model's but shares its joints by name (SMPL's 24 joints against a
model trained on HybrIK's 29) is completed: the missing joints are filled, frame by frame, with the pose
the model's training data makes most likely given the joints that are there (a PCA of the training poses,
fitted by ridge regression to the shared joints). A lead that shares too few joints by name (a filmed
`mediapipe33` dancer for a model trained on CMU mocap) is moved onto the model's skeleton by body roles
(`pasdeux.retarget`): scaled to the model's body, its pelvis, hips, knees, feet, shoulders, elbows, wrists and
head pinning the model's, the rest completed the same way and every bone set to the model's lengths. A solo
model keeps no PCA of its training poses: its own prior samples stand for them. A lead lacking the body's
main joints is refused, naming them.

A given motion whose floor lies where the model's dancers never stood (captured with the origin elsewhere:
the model saw every height as it was) is moved up or down onto the model's floor before the model sees it
(`on_model_floor`), and what the model makes of it is moved back, so it stands on the given motion's floor.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from pasdeux.body import leg_length, resolve, root_trajectory
from pasdeux.data import fill_gaps
from pasdeux.errors import ShapeError, SkeletonError
from pasdeux.grounding import FloorModel
from pasdeux.models.base import MotionModel
from pasdeux.motion import Motion, Skeleton
from pasdeux.retarget import TargetBody, retarget

MIN_SHARED = 0.75  # share of the model's joints a lead must name
CORE = ("pelvis", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
        "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "head")
RIDGE = 1e-2  # in units of the training poses' own spread per component
SAMPLED_PHRASES = 16  # prior phrases standing for a solo model's training poses


def _bare(name: str) -> str:
    return name.rsplit(":", 1)[-1].lower()


def shared_joints(source: Skeleton, target: Skeleton) -> np.ndarray:
    """For each joint of `target`, the index of the same-named joint of `source`, or -1."""
    index = {_bare(j): i for i, j in enumerate(source.joints)}
    return np.array([index.get(_bare(j), -1) for j in target.joints])


def check_shared(source: Skeleton, target: Skeleton) -> np.ndarray:
    """`shared_joints`, or a SkeletonError naming the joints a lead lacks when it shares too few."""
    found = shared_joints(source, target)
    missing = [target.joints[i] for i in np.nonzero(found < 0)[0]]
    core = [r for r, idx in zip(CORE, resolve(target, CORE, "a lead")) if any(found[i] < 0 for i in idx)]
    if core or len(missing) > (1 - MIN_SHARED) * target.n_joints:
        raise SkeletonError(
            f"the lead's skeleton {source.name!r} shares only {int((found >= 0).sum())} of the model's "
            f"{target.n_joints} joints ({target.name!r}) by name; missing: {', '.join(missing[:40])}"
            + (f" (the body needs {', '.join(core)})" if core else "")
            + "; rename the lead's joints to the model's names or train on this skeleton")
    return found


def complete(partial: np.ndarray, present: np.ndarray, mean: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Poses `[T, J, 3]` (centred per frame) with the joints where `present` `[J]` is False filled from the PCA
    model `mean` `[J*3]` + `basis` `[J*3, K]` fitted to the present joints by ridge regression."""
    obs = np.repeat(present, 3)
    b_o = basis[obs]
    coef = np.linalg.solve(b_o.T @ b_o + RIDGE * np.eye(basis.shape[1]),
                           b_o.T @ (partial.reshape(len(partial), -1)[:, obs] - mean[obs]).T)  # [K, T]
    full = (mean[:, None] + basis @ coef).T.reshape(partial.shape).astype(np.float32)
    full[:, present] = partial[:, present]
    return full


def as_lead(model: MotionModel, motion: Motion, dancer: int = 0) -> tuple[Motion, list[str]]:
    """Dancer `dancer` of `motion` as a one-dancer Motion at the model's rate on its skeleton, and notes on what
    was done to it (gaps filled, resampled, joints completed)."""
    solo = fill_gaps(motion.dancer(dancer))
    if np.isnan(solo.positions).any():
        raise ShapeError(f"dancer {dancer} of {motion.source or 'the lead'} has gaps too long to fill; trim or "
                         "repair it first")
    notes = []
    if abs(solo.fps - model.fps) > 1e-6:
        notes.append(f"lead resampled from {solo.fps:g} to {model.fps:g} fps (the model's rate)")
        solo = solo.resample(model.fps)
    if solo.skeleton.joints != model.skeleton.joints:
        solo, note = _on_model_skeleton(model, solo)
        notes.append(note)
    return solo, notes


def on_model_floor(positions: np.ndarray, skeleton: Skeleton, floor: FloorModel | None) -> tuple[np.ndarray,
                                                                                                    np.ndarray]:
    """Sequences `[N, T, J, 3]` moved up or down to stand where the dancers of `floor` (a model's
    `FloorModel`) stood (`FloorModel.lift`: not at all within their range), and each move `[N]`; subtract
    it from what the model makes of them to stand that on their own floor. No move without a floor model."""
    pos = np.array(positions, np.float32)
    lift = np.zeros(len(pos), np.float32) if floor is None else floor.lift(pos, skeleton).astype(np.float32)
    pos[..., 1] += lift[:, None, None]
    return pos, lift


def on_model_skeleton(model: MotionModel, motion: Motion, dancer: int = 0) -> tuple[Motion, list[str]]:
    """`motion` as it is when it has the model's skeleton (no notes); else dancer `dancer` of it moved onto the
    model's skeleton (by joint name, or by body roles), gaps filled, at its own rate, with notes saying how."""
    if motion.skeleton.joints == model.skeleton.joints:
        return motion, []
    if not -motion.n_dancers <= dancer < motion.n_dancers:
        raise ShapeError(f"dancer {dancer} does not exist; the phrase has {motion.n_dancers} dancer(s)")
    solo = fill_gaps(motion.dancer(dancer))
    if np.isnan(solo.positions).any():
        raise ShapeError(f"dancer {dancer} of {motion.source or 'the phrase'} has gaps too long to fill; trim or "
                         "repair it first")
    out, note = _on_model_skeleton(model, solo)
    return out, [note]


def _on_model_skeleton(model: MotionModel, solo: Motion) -> tuple[Motion, str]:
    try:
        found = check_shared(solo.skeleton, model.skeleton)
    except SkeletonError:  # too few joints by name: by body roles, scaled to the model's body
        out, notes = retarget(solo.positions[0], solo.skeleton, target_body(model), solo.fps)
        note = "lead " + "; ".join(notes)
        return Motion(out[None], model.skeleton, solo.fps, solo.source, solo.notes), note
    present = found >= 0
    pos = np.zeros((solo.n_frames, model.skeleton.n_joints, 3), np.float32)
    pos[:, present] = solo.positions[0][:, found[present]]
    root = root_trajectory(pos, model.skeleton).copy()
    root[:, 1] = 0
    mean, basis = pose_model(model)
    full = complete(pos - root[:, None], present, mean, basis) + root[:, None]
    missing = [model.skeleton.joints[i] for i in np.nonzero(~present)[0]]
    note = (f"lead mapped by joint name from skeleton {solo.skeleton.name!r} to {model.skeleton.name!r}"
            + (f"; {len(missing)} joint(s) it lacks completed from the training poses: {', '.join(missing)}"
               if missing else ""))
    return Motion(full[None], model.skeleton, solo.fps, solo.source, solo.notes), note  # the caller notes it


def target_body(model: MotionModel) -> TargetBody:
    """What `model` knows of the bodies it learned: the PCA of its training poses (a duet model keeps one; for a
    solo model, of its own prior phrases), its bone lengths, leg length and floor."""
    if hasattr(model, "pose_model"):
        mean, basis = model.pose_model()
        body = TargetBody(model.skeleton, mean, basis, None, leg_length(mean.reshape(1, -1, 3), model.skeleton),
                          None)
    else:
        from pasdeux.generate.pipeline import sample

        frames = max(model.window, model.min_frames)
        body = TargetBody.from_poses(sample(model, SAMPLED_PHRASES, frames, seed=0), model.skeleton)
    floor, lengths = model.floor_model, _bone_lengths(model)
    return replace(body, bone_lengths=body.bone_lengths if lengths is None else lengths,
                   leg_length=body.leg_length if floor is None else floor.leg_length,
                   floor=body.floor if floor is None else floor.floor)


def pose_model(model: MotionModel) -> tuple[np.ndarray, np.ndarray]:
    """Mean `[J*3]` and principal directions scaled by their spread `[J*3, K]` of the model's training poses."""
    body = target_body(model)
    return body.mean, body.basis


def _bone_lengths(model: MotionModel) -> np.ndarray | None:
    """The training skeleton's mean bone lengths a model keeps (a duet model in its solo model of leaders)."""
    for part in (model, getattr(model, "solo", None)):
        lengths = getattr(part, "bone_target", None)
        if lengths is not None and bool((lengths > 0).all()):
            return lengths.cpu().numpy()
    return None

"""Duet files for training, checked before anything is written: two solo files of one couple (the two BVH files of
a salsa take) joined the way `pasdeux convert A.bvh duet.npz --pair B.bvh` does, or two dancers picked from a file
that holds more (a group, or a duet whose dancers should swap roles)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

import pasdeux
from pasdeux.motion import Motion
from pasdeux.studio import scrub
from pasdeux.studio.library import Library, LibraryError

DUETS = "duets"  # the library folder paired duets go to
FPS_TOLERANCE = 1e-3
MIN_TOGETHER = 64  # frames both picked dancers must be present in: one model window


def problems(a: Motion, b: Motion, name_a: str, name_b: str) -> list[str]:
    """Why two motions cannot be the two dancers of one take (none when they can)."""
    out = []
    for m, name in ((a, name_a), (b, name_b)):
        if m.n_dancers != 1:
            out.append(f"{name} already holds {m.n_dancers} dancers (choose two solo files, or train on it as it is)")
    if abs(a.fps - b.fps) > FPS_TOLERANCE:
        out.append(f"{name_a} is at {a.fps:g} fps but {name_b} at {b.fps:g} fps")
    if a.n_frames != b.n_frames:
        out.append(f"{name_a} has {a.n_frames} frames ({a.duration:.2f} s) but {name_b} has {b.n_frames} "
                   f"({b.duration:.2f} s)")
    if a.skeleton.joints != b.skeleton.joints:  # BVH skeletons are named after their file: the joints must agree
        out.append(f"{name_a} has {a.n_joints} joints ({a.skeleton.name}) but {name_b} has {b.n_joints} "
                   f"({b.skeleton.name}), or they are named differently")
    return out


def pair(library: Library, rel_a: str, rel_b: str, name: str | None = None, names: dict | None = None) -> Path:
    """Write the duet of `rel_a` (dancer 1) and `rel_b` (dancer 2) to duets/; a clear 400 when they do not fit."""
    if rel_a == rel_b:
        raise LibraryError(f"choose two different files: {rel_a!r} was chosen for both dancers")
    path_a, path_b = library.motion_file(rel_a), library.motion_file(rel_b)
    a, b = pasdeux.load(path_a), pasdeux.load(path_b)
    found = problems(a, b, rel_a, rel_b)
    if found:
        raise LibraryError("these two files are not the two dancers of one take: " + "; ".join(found) + ". Pair "
                           "the two files of one recording (e.g. 60_02.bvh and 61_02.bvh); nothing was written")
    duet = Motion.concat([a, b], axis="dancers")
    duet = dataclasses.replace(duet, source=f"{rel_a} + {rel_b}",
                               notes=[*duet.notes, f"paired in the studio: dancer 1 is {rel_a}, dancer 2 is {rel_b}"])
    duet = scrub.motion(duet, names or {})  # the file names no folder of this machine
    out = library.new_path(DUETS, name or f"{Path(rel_a).stem}+{Path(rel_b).stem}", ".npz")
    pasdeux.save(duet, out)
    return out


def pick_problems(m: Motion, dancers: tuple[int, int], name: str) -> list[str]:
    """Why dancers `dancers` (0-based) of `m` cannot be picked as a couple (none when they can)."""
    if dancers[0] == dancers[1]:
        return [f"dancer {dancers[0] + 1} was chosen twice: choose two different dancers"]
    missing = [d for d in dancers if not 0 <= d < m.n_dancers]
    if missing:
        return [f"{name} holds {m.n_dancers} dancer(s): there is no dancer {', '.join(str(d + 1) for d in missing)}"]
    present = ~np.isnan(m.positions).all(axis=(2, 3))  # [D, T]: a frame where a dancer has any joint
    both = present[list(dancers)].all(axis=0)
    if both.sum() < MIN_TOGETHER:
        return [f"dancers {dancers[0] + 1} and {dancers[1] + 1} of {name} are both present in only {int(both.sum())} "
                f"frames; a couple needs at least {MIN_TOGETHER}"]
    return []


def pick(library: Library, rel: str, dancers: tuple[int, int], name: str | None = None,
         names: dict | None = None) -> Path:
    """Write dancers `dancers` of `rel` (in that order: dancer 1, dancer 2) as a duet file in duets/; a clear 400
    when they cannot be a couple, nothing written."""
    m = pasdeux.load(library.motion_file(rel))
    found = pick_problems(m, dancers, rel)
    if found:
        raise LibraryError("cannot pick these dancers as a couple: " + "; ".join(found) + "; nothing was written")
    a, b = dancers
    duet = dataclasses.replace(m.dancer(a, b), notes=[*m.notes, f"picked in the studio: dancer 1 is dancer {a + 1} "
                                                                 f"of {rel}, dancer 2 is its dancer {b + 1}"])
    duet = scrub.motion(duet, names or {})
    out = library.new_path(DUETS, name or f"{Path(rel).stem}-dancers{a + 1}+{b + 1}", ".npz")
    pasdeux.save(duet, out)
    return out

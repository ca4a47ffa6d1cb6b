"""Two solo files of one couple (the two BVH files of a salsa take) joined into one duet file of the library, the
way `pasdeux convert A.bvh duet.npz --pair B.bvh` does, checked before anything is written."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pasdeux
from pasdeux.motion import Motion
from pasdeux.studio import scrub
from pasdeux.studio.library import Library, LibraryError

DUETS = "duets"  # the library folder paired duets go to
FPS_TOLERANCE = 1e-3


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

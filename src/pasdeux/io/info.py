"""What is in a motion file: sizes, units, missing data, repairs, bone-length consistency, duet spacing."""

from __future__ import annotations

import os
import re
import warnings

import numpy as np

from pasdeux.body import root_trajectory
from pasdeux.errors import SkeletonError
from pasdeux.io import detect_format, load
from pasdeux.motion import Motion

UNIT_SYMBOLS = {"millimetres": "mm", "centimetres": "cm"}


def length_unit(motion: Motion) -> tuple[str, str]:
    """The unit lengths of this motion are in ("m", or the file's own when reading found it is probably not
    metres and left it as stored) and a sentence saying so."""
    for note in motion.notes:
        found = re.search(r"probably in (millimetres|centimetres)", note)
        if found:
            unit = found.group(1)
            return UNIT_SYMBOLS[unit], f"as stored, probably {unit} (the file does not say; see notes)"
    return "m", "metres where the reader knows the file's units, else as stored (see notes)"


def describe(motion: Motion, format: str | None = None) -> dict:
    """A JSON-safe summary of a Motion (what `pasdeux info` prints)."""
    total = motion.n_dancers * motion.n_frames * motion.n_joints
    unit, units = length_unit(motion)
    return {
        "source": motion.source,
        "format": format,
        "dancers": motion.n_dancers,
        "frames": motion.n_frames,
        "fps": motion.fps,
        "duration_s": round(motion.duration, 3),
        "joints": motion.n_joints,
        "end_sites": sum(j.endswith("_end") for j in motion.skeleton.joints),  # BVH End Sites read as joints
        "skeleton": motion.skeleton.name,
        "axes": "y-up",
        "units": units,
        "length_unit": unit,
        "missing": {"count": motion.n_missing, "share": motion.n_missing / total if total else 0.0},
        "notes": list(motion.notes),
        "labels": list(motion.labels),
        "provenance": motion.provenance,
        "bones": bone_consistency(motion),
        "pelvis_distance": pelvis_distance(motion),
    }


def describe_file(path: str | os.PathLike, format: str | None = None, **options) -> dict:
    """Read a file and describe it (a song or a video's soundtrack: `pasdeux.music.info`)."""
    from pasdeux.music.info import describe_music, is_music_file

    if format is None and is_music_file(path):
        return describe_music(path)
    fmt = format or detect_format(path)
    return describe(load(path, format=fmt, **options), fmt)


def bone_consistency(motion: Motion) -> list[dict]:
    """Per bone: mean length, and its coefficient of variation over frames (averaged over dancers), worst first.

    The CV is taken per dancer because two people's bones differ in length without either being inconsistent.
    """
    if not motion.skeleton.bones:
        return []
    lengths = motion.skeleton.bone_lengths(motion.positions.astype(np.float64))  # [D, T, B]
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # dancers with no valid frame give NaN, skipped below
        mean_d, std_d = np.nanmean(lengths, axis=1), np.nanstd(lengths, axis=1)  # [D, B]
        cv = np.nanmean(np.where(mean_d > 0, std_d / np.where(mean_d > 0, mean_d, 1), np.nan), axis=0)
        mean = np.nanmean(lengths.reshape(-1, lengths.shape[-1]), axis=0)
    for b, (i, j) in enumerate(motion.skeleton.bones):
        if np.isfinite(mean[b]) and np.isfinite(cv[b]):
            out.append({"bone": f"{motion.skeleton.joints[i]}-{motion.skeleton.joints[j]}",
                        "mean": float(mean[b]), "cv": float(cv[b])})
    return sorted(out, key=lambda r: -r["cv"])


def pelvis_distance(motion: Motion) -> dict | None:
    """Min, mean and max distance between the first two dancers' pelvises (None for solos)."""
    if motion.n_dancers < 2:
        return None
    try:
        roots = root_trajectory(motion.positions[:2].astype(np.float64), motion.skeleton)  # [2, T, 3]
    except SkeletonError:
        return None
    d = np.linalg.norm(roots[0] - roots[1], axis=-1)
    d = d[~np.isnan(d)]
    if not len(d):
        return None
    return {"min": float(d.min()), "mean": float(d.mean()), "max": float(d.max())}


def format_table(info: dict, worst_bones: int = 8) -> str:
    """The human-readable report of one file."""
    if info.get("kind") == "music":
        from pasdeux.music.info import format_music_table

        return format_music_table(info)
    miss, unit = info["missing"], info.get("length_unit", "m")
    rows = [
        ("format", str(info["format"])),
        ("dancers", str(info["dancers"])),
        ("frames", f"{info['frames']} ({info['duration_s']:.2f} s at {info['fps']:g} fps)"),
        ("joints", f"{info['joints']}"
                   + (f" ({info['joints'] - info['end_sites']} joints + {info['end_sites']} end sites)"
                      if info["end_sites"] else "") + f" (skeleton {info['skeleton']})"),
        ("axes", f"{info['axes']} (converted on reading)"),
        ("units", info["units"]),
        ("missing", f"{miss['count']} joint positions ({100 * miss['share']:.2f}%)"),
    ]
    if info["pelvis_distance"]:
        p = info["pelvis_distance"]
        rows.append(("pelvis distance", f"{p['min']:.2f} - {p['max']:.2f} {unit} (mean {p['mean']:.2f})"))
    if info.get("labels"):
        rows.append(("labels", ", ".join(info["labels"])))
    lines = [str(info["source"])] + [f"  {k:<16}{v}" for k, v in rows]
    if info.get("provenance"):
        lines.append("  provenance (how it was generated):")
        lines += [f"    {k:<14}{v}" for k, v in info["provenance"].items()]
    if info["notes"]:
        lines.append("  notes (what reading did, in order):")
        lines += [f"    - {n}" for n in info["notes"]]
    if info["bones"]:
        lines.append(f"  bone lengths, least consistent first ({len(info['bones'])} bones; "
                     "cv = std / mean over frames, per dancer):")
        lines += [f"    {b['bone']:<32}{b['mean']:8.3f} {unit:<2} cv {b['cv']:.3f}"
                  for b in info["bones"][:worst_bones]]
    return "\n".join(lines)

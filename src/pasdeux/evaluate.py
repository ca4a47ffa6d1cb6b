"""`pasdeux evaluate`: score generated dance against real dance, every number beside its floor.

The real files are split by time into a reference span and a floor span: with `split=True` the
benchmark split (train = first 70 %, test = last 15 %; the test span is the reference), otherwise
the first half against the second half. Every row (the floor, each generated file, a model's prior
samples) is scored against the same reference by the same code, so the floor row says what real
dance of these dancers scores and a generated row can be read against it.

Everything is brought to the protocol's 30 fps first (`--fps` changes it), with the anti-aliased
resampler. Every length threshold is a fraction of the reference's `leg_length`, and the feet of
every row are measured against the reference's floor (`metrics.feet`), so a floating body cannot
bring its own raised floor.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pasdeux import metrics
from pasdeux.data import center, duet_windows, fill_gaps, repair_glitches, solo_windows, time_split
from pasdeux.errors import ShapeError, SkeletonError
from pasdeux.files import write_text_atomic
from pasdeux.motion import Motion, Skeleton, resample_positions

WINDOW, STRIDE, REF_STRIDE = 64, 8, 2  # BENCHMARK.md: 64-frame windows, real reference at stride 2
N_SAMPLES = 256  # prior samples drawn from a model (BENCHMARK.md: 256 generated windows)
ORDER = ("windows", "fid_k", "fid_g", "fid_cd", "diversity", "div_cd", "jitter_ratio", "recon_mse",
         "jitter_ratio_recon", "mean_speed", "bone_cv", "foot_contact_share", "foot_skating_ratio", "floating",
         "contact_rate", "penetration", "responsiveness", "bed", "max_partner_distance")


@dataclass
class Source:
    """One row of the report: solo windows, continuous solo sequences and (for duets) duet motions."""

    name: str
    windows: np.ndarray  # centred per frame, [N, WINDOW, J, 3]
    world: np.ndarray | None  # the same windows with their travel kept (first frame centred), for the feet
    sequences: list[np.ndarray]  # continuous solos centred per frame, [T, J, 3] each
    duets: list[Motion] = field(default_factory=list)
    recon: np.ndarray | None = None  # a model's reconstruction of the reference windows (stride 8)


@dataclass
class Reference:
    """The real set every row is scored against, with its feature spaces fitted once."""

    source: Source
    windows8: np.ndarray  # stride-8 windows, the ones models reconstruct
    skeleton: Skeleton
    fps: float
    kinetic: metrics.KineticSpace
    geometric: metrics.GeometricSpace | None
    accel: float
    duet_windows: np.ndarray | None
    cross: metrics.CrossDistanceSpace | None
    leg_length: float  # the reference's mean hip-to-ankle distance: every threshold is a fraction of it
    floor: float | None  # the reference's floor height, under every row's feet (None: no feet to find)
    # The reference's own normalised features, computed once and compared with every row.
    kinetic_features: np.ndarray = field(init=False)
    geometric_features: np.ndarray | None = field(init=False)
    cross_features: np.ndarray | None = field(init=False)

    def __post_init__(self) -> None:
        w = self.source.windows
        self.kinetic_features = self.kinetic.features(w)
        self.geometric_features = self.geometric.features(w) if self.geometric is not None else None
        self.cross_features = self.cross.features(self.duet_windows) if self.cross is not None else None


def _prepare(m: Motion, skeleton: Skeleton, fps: float, what: str, real: bool = False) -> Motion:
    if m.skeleton.joints != skeleton.joints:
        raise SkeletonError(f"{what} uses skeleton {m.skeleton.name!r} ({m.n_joints} joints) but the real data uses "
                            f"{skeleton.name!r} ({skeleton.n_joints}); evaluate motion of one skeleton")
    m = fill_gaps(m)
    if real:  # tracking failures are not dance; in generated motion the same jump is a defect to score
        m = repair_glitches(m)
    if np.isnan(m.positions).any():
        raise ShapeError(f"{what} has gaps too long to fill; trim it or fill it before evaluating")
    return m.resample(fps) if abs(m.fps - fps) > 1e-6 else m


def _repairs(motions: list[Motion]) -> list[str]:
    """The glitch repairs made to the real motions, one line each, for the report."""
    return [f"{m.source or 'real motion'}: {n}" for m in motions for n in m.notes if "tracking glitches" in n]


def _floor(world: np.ndarray, skeleton: Skeleton) -> float | None:
    try:
        return metrics.floor_height(world, skeleton)
    except SkeletonError:
        return None  # no feet named: the feet metrics are left out


def source_from_motions(name: str, motions: list[Motion], stride: int = STRIDE) -> Source:
    """A report row from motions: each dancer is a solo; two-dancer motions are also scored as duets."""
    sk = motions[0].skeleton
    seqs = [center(m.positions[d], sk, "frame") for m in motions for d in range(m.n_dancers)]
    too_short = [m.source for m in motions if m.n_frames < WINDOW]
    if too_short:
        raise ShapeError(f"{name}: needs at least {WINDOW} frames per motion; {', '.join(too_short)} is shorter")
    return Source(name, solo_windows(motions, WINDOW, stride), solo_windows(motions, WINDOW, stride, "first"), seqs,
                  [m for m in motions if m.n_dancers == 2])


def build_reference(motions: list[Motion]) -> Reference:
    """Fit the kinetic, geometric and cross-distance spaces of the real reference motions."""
    sk, fps = motions[0].skeleton, motions[0].fps
    src = source_from_motions("real reference", motions, REF_STRIDE)
    try:
        geometric = metrics.GeometricSpace.fit(src.windows, sk, fps)
    except SkeletonError:
        geometric = None  # skeletons without SMPL-like limbs get no fid_g
    duet_w, cross = None, None
    if src.duets and all(metrics.role_indices(sk, r) is not None for r in metrics.duet.KEY_ROLES):
        duet_w = np.concatenate([duet_windows(m, WINDOW, REF_STRIDE) for m in src.duets])
        cross = metrics.CrossDistanceSpace.fit(duet_w, sk)
    return Reference(src, solo_windows(motions, WINDOW, STRIDE), sk, fps, metrics.KineticSpace.fit(src.windows, fps),
                     geometric, _accel(src.windows, fps), duet_w, cross, _leg(motions),
                     _floor(src.world, sk))


def _accel(windows: np.ndarray, fps: float) -> float:
    """Mean acceleration per frame at the protocol's 30 fps (BENCHMARK.md's jitter)."""
    return metrics.mean_acceleration(metrics.at_protocol_rate(windows, fps))


def _leg(motions: list[Motion]) -> float:
    """The reference's leg length; SkeletonError names missing hips or ankles."""
    return metrics.leg_length(np.concatenate([m.positions.reshape(-1, m.n_joints, 3) for m in motions]),
                              motions[0].skeleton)


def _feet(x: np.ndarray | None, ref: Reference) -> dict[str, float]:
    if x is None or ref.floor is None:
        return {}
    return metrics.foot_metrics(x, ref.skeleton, ref.fps, ref.leg_length, ref.floor)


def _duet_scores(src: Source, ref: Reference, compare: bool) -> dict[str, float]:
    if not src.duets or ref.cross is None:
        return {}
    sk = ref.skeleton
    whole = np.concatenate([duet_windows(m, m.n_frames, m.n_frames) for m in src.duets], axis=2)
    wins = np.concatenate([duet_windows(m, WINDOW, STRIDE) for m in src.duets])
    leg = ref.leg_length
    out = {"div_cd": metrics.mean_pairwise_distance(ref.cross.features(wins)),
           "contact_rate": metrics.contact_rate(whole, sk, leg), "penetration": metrics.penetration(whole, sk, leg),
           "responsiveness": metrics.responsiveness(wins, sk, ref.fps), "bed": metrics.bed(wins, sk, ref.fps, leg),
           "max_partner_distance": metrics.max_partner_distance(whole, sk)}
    if compare:
        out = {"fid_cd": metrics.frechet_distance(ref.cross.features(wins), ref.cross_features), **out}
    return out


def score(src: Source, ref: Reference, compare: bool = True) -> dict[str, float]:
    """All metrics of one row; `compare=False` gives the reference's own statistics (no distances)."""
    w = src.windows
    out: dict[str, float] = {"windows": len(w)}
    kinetic = ref.kinetic.features(w)
    if compare:
        out["fid_k"] = metrics.frechet_distance(kinetic, ref.kinetic_features)
        if ref.geometric is not None:
            out["fid_g"] = metrics.frechet_distance(ref.geometric.features(w), ref.geometric_features)
    out["diversity"] = metrics.mean_pairwise_distance(kinetic)
    out["jitter_ratio"] = _accel(w, ref.fps) / ref.accel
    speeds = [metrics.speed_curve(s, ref.fps).mean() for s in src.sequences]
    out["mean_speed"] = float(np.mean(speeds)) / ref.leg_length  # leg lengths per second
    out["bone_cv"] = metrics.bone_cv(w, ref.skeleton)
    out.update(_feet(src.world, ref))
    if src.recon is not None:
        out["recon_mse"] = metrics.recon_mse(src.recon, ref.windows8)
        out["jitter_ratio_recon"] = metrics.jitter_ratio(src.recon, ref.windows8, ref.fps)
    out.update(_duet_scores(src, ref, compare))
    return out


def model_source(model: Any, ref: Reference, n_samples: int = N_SAMPLES, seed: int = 0) -> Source:
    """A row of `n_samples` prior phrases from a trained model, plus its reconstruction of the reference."""
    from pasdeux.generate import pipeline, place

    if tuple(model.skeleton.joints) != ref.skeleton.joints:
        raise SkeletonError(f"the model uses skeleton {model.skeleton.name!r} but the real data uses "
                            f"{ref.skeleton.name!r}; evaluate it on data of its own skeleton")
    # The model runs at its own rate; its phrases are brought to the evaluation's (a no-op when they agree).
    frames = max(model.min_frames, int(round(WINDOW * model.fps / ref.fps)))
    prior, root_velocity = pipeline.sample_with_root(model, n_samples, frames, seed=seed)
    world = place(prior, root_velocity, np.zeros((n_samples, 2), np.float32))  # feet metrics keep the travel
    prior, world = (_to_rate(a, model.fps, ref.fps, WINDOW) for a in (prior, world))
    long = pipeline.sample(model, 1, max(model.min_frames, int(round(10 * model.fps))), seed=seed)[0]  # 10 s
    long = _to_rate(long[None], model.fps, ref.fps)[0]
    recon = pipeline.reconstruct(model, _to_rate(ref.windows8, ref.fps, model.fps))
    recon = _to_rate(recon, model.fps, ref.fps, ref.windows8.shape[1])
    return Source(f"model {model.name} (prior)", prior, world, [long], recon=recon)


def _to_rate(x: np.ndarray, fps: float, target: float, frames: int | None = None) -> np.ndarray:
    """Windows `[N, T, J, 3]` resampled from `fps` to `target`, cut or edge-padded to `frames`."""
    out = resample_positions(x, fps, target, axis=1)
    if frames is not None and out.shape[1] != frames:
        out = out[:, :frames] if out.shape[1] > frames else np.pad(
            out, ((0, 0), (0, frames - out.shape[1]), (0, 0), (0, 0)), mode="edge")
    return out.astype(np.float32)


@dataclass
class Report:
    """Rows of metrics (the reference's own statistics first, then the floor, then generated rows)."""

    rows: dict[str, dict[str, float]]
    reference: str
    floor: str
    fps: float
    skeleton: str
    leg_length: float = float("nan")  # the reference's mean hip-to-ankle distance, in the data's units
    floor_height: float | None = None  # the reference's floor, under every row's feet
    notes: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"reference": self.reference, "floor": self.floor, "fps": self.fps, "skeleton": self.skeleton,
                "leg_length": self.leg_length, "floor_height": self.floor_height, "thresholds": thresholds(),
                "notes": self.notes, "rows": self.rows, "files": self.files}

    def markdown(self, guide: bool = True) -> str:
        """The rows as a Markdown table, one column per source (and, with `guide`, how to read it)."""
        names = list(self.rows)
        present = {k for r in self.rows.values() for k in r}
        keys = [k for k in ORDER if k in present] + sorted(present - set(ORDER))
        lines = ["# pasdeux evaluation", "", f"Reference: {self.reference}.", f"Floor: {self.floor}.",
                 f"Scored at {self.fps:g} fps. Body size: leg length {self.leg_length:.4g} (the reference's mean "
                 "hip-to-ankle distance, in the data's units); every threshold is a fraction of it."]
        if self.floor_height is not None:
            lines.append(f"The floor is the reference's, at height {self.floor_height:.4g}, under every row's feet.")
        lines += [f"Note: {n}" for n in self.notes]
        lines += ["", "| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
        for k in keys:
            lines.append(f"| {k} | " + " | ".join(_fmt(self.rows[n].get(k)) for n in names) + " |")
        if guide:
            lines += ["", GUIDE]
        return "\n".join(lines) + "\n"


GUIDE = """How to read it: `fid_k` (kinetic), `fid_g` (geometric) and `fid_cd` (duet cross-distances) are
Frechet distances to the reference (lower is closer; compare with the floor row, real dance of the same
dancers). `jitter_ratio` is mean acceleration over the reference's (1 is real; above is shaky, below is
frozen or over-smoothed). `diversity` and `div_cd` are mean pairwise distances of normalised kinetic and
cross-distance features (compare with the reference). `mean_speed` is in leg lengths per second. `bone_cv`
is bone-length variation (rigid skeletons give 0; video-extracted poses are not rigid). The feet are measured
with the travel kept, against the reference's floor: `foot_contact_share` is the share of frames with a foot
planted (its lowest point under 0.08 leg lengths), `foot_skating_ratio` the share of those frames in which
no planted foot holds its place (even the stillest one's pivot moves faster than 0.5 leg lengths per second
over 1/6 s: a shuffle counts, a turn on the ball does not), and `floating` the median height of the lowest
foot point, in leg lengths. Duets: `contact_rate` is the share of frames in which bones of the two dancers
come within 0.06 leg lengths, `penetration` the share with the pelvises closer than 0.22, `responsiveness`
the best correlation (lags up to 1 s) of the two dancers' speed curves, `bed` how closely the partner's
kinematic beats echo the leader's (1: on them), `max_partner_distance` the largest pelvis distance (data
units)."""


def thresholds() -> dict[str, float]:
    """Every threshold of the report, in leg lengths (distances) and leg lengths per second (speeds)."""
    from pasdeux.metrics import beats, duet, feet

    return {"foot_contact_height": feet.CONTACT_HEIGHT, "foot_skate_speed": feet.SKATE_SPEED,
            "foot_skate_span_s": feet.SKATE_SPAN_S,
            "contact_distance": duet.CONTACT_DISTANCE, "penetration_distance": duet.PENETRATION_DISTANCE,
            "beat_min_prominence": beats.MIN_PROMINENCE}


def _fmt(v: float | None) -> str:
    if v is None:
        return "-"
    if isinstance(v, int) or float(v).is_integer() and abs(v) >= 1:
        return str(int(v))
    return f"{v:.4g}"


def evaluate(real: list[Motion], generated: list[Motion] | dict[str, Motion] | None = None, model: Any = None,
             split: bool = False,
             out: str | os.PathLike | None = None, n_samples: int = N_SAMPLES, seed: int = 0,
             plots: bool = True, fps: float | None = None, music: Any = None) -> Report:
    """Score generated motions (a list, or row name -> motion) and/or a model's prior samples against real
    motions; see the module doc. Everything is resampled to `fps` (default: the protocol's 30). With `music`
    (a `pasdeux.Music`), generated and real motions also get their beat figures against it
    (`pasdeux.music.scoring`)."""
    if not real:
        raise ShapeError("give at least one real motion to compare against")
    sk, fps = real[0].skeleton, float(fps or metrics.PROTOCOL_FPS)
    real = [_prepare(m, sk, fps, m.source or "real motion", real=True) for m in real]
    if split:
        parts = [time_split(m) for m in real]
        ref_m, floor_m = [p["test"] for p in parts], [p["train"] for p in parts]
        ref_txt, floor_txt = "the test span (last 15 %) of each real file", "real train span (first 70 %)"
    else:
        ref_m = [m.frames(m.n_frames // 2) for m in real]
        floor_m = [m.frames(0, m.n_frames // 2) for m in real]
        ref_txt, floor_txt = "the second half of each real file", "real first half"
    ref = build_reference(ref_m)
    sources = [source_from_motions(floor_txt, floor_m)]
    named = generated.items() if isinstance(generated, dict) else (
        (Path(g.source).stem if g.source else f"generated {k + 1}", g) for k, g in enumerate(generated or []))
    generated_rows = []
    for name, g in named:
        generated_rows.append((_unique(name, sources), g))
        sources.append(source_from_motions(generated_rows[-1][0], [_prepare(g, sk, fps, name)]))
    if model is not None:
        sources.append(model_source(model, ref, n_samples, seed))
    rows = {"real reference": score(ref.source, ref, compare=False)}
    rows.update({s.name: score(s, ref) for s in sources})
    notes = _repairs(real) + _notes(ref, rows)
    if music is not None:
        from pasdeux.music.scoring import add_music_rows

        notes += add_music_rows(rows, real, generated_rows, music)
    report = Report(rows, ref_txt, floor_txt, fps, sk.name, ref.leg_length, ref.floor, notes)
    if out is not None:
        write_report(report, [ref.source, *sources], ref, Path(out), plots)
    return report


def _notes(ref: Reference, rows: dict[str, dict[str, float]]) -> list[str]:
    """What the reader must know to read the figures: rows too small for their Frechet distances, a duet
    without depth."""
    n_features = int(ref.kinetic.keep.sum())
    small = [f"{name} ({int(r['windows'])})" for name, r in rows.items() if "fid_k" in r and r["windows"] < n_features]
    out = [f"fewer windows than the {n_features} kinetic features in {', '.join(small)}: a Frechet distance from "
           "so few windows is inflated by their number alone; compare rows of similar size"] if small else []
    if not ref.source.duets or ref.cross is None:
        return out
    depth = np.concatenate([metrics.body_points(m.positions, ref.skeleton, ("pelvis",), "depth")[..., 0, 2].ravel()
                            for m in ref.source.duets])
    if depth.std() < 1e-6 * ref.leg_length:
        out.append("the real duet has no depth between the dancers (both pelvises at one depth in every frame, as "
                   "in poses extracted from one video): contact_rate and penetration measure overlap in the image")
    return out


def _unique(name: str, sources: list[Source]) -> str:
    taken = {s.name for s in sources}
    k, candidate = 2, name
    while candidate in taken:
        candidate, k = f"{name} ({k})", k + 1
    return candidate


def write_report(report: Report, sources: list[Source], ref: Reference, out: Path, plots: bool = True) -> None:
    """Write report.json, report.md and (with `plots`) speed.png and kinetic.png into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    if plots:
        from pasdeux.metrics.plots import plot_kinetic, plot_speed

        report.files["speed"] = str(plot_speed(sources, ref.fps, out / "speed.png", ref.leg_length))
        report.files["kinetic"] = str(plot_kinetic(sources, ref.kinetic, out / "kinetic.png"))
    report.files["markdown"] = str(write_text_atomic(out / "report.md", report.markdown()))
    report.files["json"] = str(out / "report.json")
    write_text_atomic(out / "report.json", json.dumps(report.to_dict(), indent=1))

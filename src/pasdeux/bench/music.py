"""`pasdeux bench music` ("music-v1" of BENCHMARK.md): beat tracking on real songs, and dance generated to them.

1. Tracking: every registry song (`pasdeux.music.songs`: the Frets on Fire packs of Debian, with their charts'
   tempo) is analysed whole; its tempo is checked against the chart's (within 2 %, and at which metrical
   level), its beats against the chart's grid and its downbeats against the chart's bar lines.
2. Generation: for each song, a span (`SPAN_START_S` = 30 s in, past the intros, `seconds` long) is danced
   by a solo model and a duet model for each seed (offset per song, `SONG_SEED_STRIDE`), as
   `generate prior --music` and `duet prior --music` make it
   (`generate.to_music`: the best fitting of three draws, warped to the beats; with `pieces`, chosen a piece at a
   time, `to_music.guided_latent`, and a duet's partner too, `to_music.guided_partners`, on one map from both
   dancers' stops), timed (`generate_s`).
   The same generation without music (same model, seed and length: what the mode makes without `--music`) is
   the row to beat. Each is
   scored with the beat alignment score and beat hits (`metrics.music`; beside them the hits on the strong
   beats, counts 1, 3, 5, 7, the ceiling each dance's own number of stops puts on both, and the share of the
   dance's stops on a beat), kinematic beats per second with their ratio to the plain row's
   (`kinematic_beats_ratio`, and `no_extra_beats`: within `EXTRA_BEATS_BOUND`, music-v1's rule), the
   warp's largest local tempo change, a duet's lead's and partner's own BAS (`bas_lead`, `bas_partner`),
   jitter (mean acceleration over the real test windows') and the feet (`metrics.foot_metrics` against the
   real data's floor), beside the same figures of the real test dance
   of the model's data (the solo protocol's video duet or the duet protocol's salsa takes, chosen by the
   model's skeleton). That real dance is also scored against every song's span (`real_to_songs`): it was
   not made to these songs, so its hits are the chance level, and its ceiling what real dancers' stops allow.

Models: `--solo-model` / `--duet-model` (a run or model folder), else the `default` and `duet` recipes
trained here for `budget_s` on the solo-v1 (video) and duet-v3 (salsa) training data.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pasdeux import metrics
from pasdeux.bench.common import Progress, machine, write_json
from pasdeux.errors import ConfigError
from pasdeux.motion import Motion

PROTOCOL = "music-v1"
SPAN_START_S = 30.0
SEEDS = (0, 1, 2)
# Song k is danced with seeds s + SONG_SEED_STRIDE * k: every run its own dance. With one seed list for all songs
# (whose spans are equally long) 8 songs x 3 seeds were 3 dances, and their plain rows stopped 8 % less than the
# model's mean over draws by chance (1.05 against 1.14 kinematic beats per second): a ratio to them said more
# about those 3 dances than about the warp
SONG_SEED_STRIDE = 1000
WINDOW, STRIDE = 64, 8
BEAT_KEYS = ("bas", "beat_hits", "beat_hits_ceiling", "beat_hits_strong", "beat_hits_strong_ceiling",
             "stops_on_beats", "kinematic_beats_per_s")
# music-v1: aligning must not be bought with extra kinematic beats. 5 %: one stop in a 20 s span of a dance that
# stops about once a second, the smallest change one run can show; the warp alone, without its beat pulse, moved
# the rate by -1.6 % (solo) on the benchmark's songs and seeds
EXTRA_BEATS_BOUND = 0.05
# A duet's BAS is the mean of its two dancers' own (each dancer's stops found alone), so each is kept beside it:
# where the lead lands and the partner does not, the pair's score hides it
DANCER_KEYS = ("bas_lead", "bas_partner")
SUMMED = (*BEAT_KEYS, *DANCER_KEYS, "jitter_ratio", "foot_contact_share", "foot_skating_ratio", "floating")
TIMED = ("generate_s",)


def track_songs(songs, say: Progress) -> tuple[list[dict], dict]:
    """Per song, the tracking figures against its chart (`songs.tracking_scores`) and the analysis time; and the
    whole songs, analysed, for the generation part."""
    from pasdeux.music import load_music
    from pasdeux.music.songs import tracking_scores

    rows, analysed = [], {}
    for k, song in enumerate(songs):
        say.step(f"song {k + 1} of {len(songs)} ({song.name}): beats and counts")
        start = time.perf_counter()
        music = load_music(song.path)
        row = tracking_scores(music, song)
        row.update(analysis_s=round(time.perf_counter() - start, 2), duration_s=round(music.duration, 2))
        rows.append(row)
        analysed[song.name] = music
        say.log(f"{song.name}: {row['tempo_found']:.1f} BPM (chart {row['tempo_known']:.1f}), "
                f"beats on grid {row.get('beats_on_grid')}, downbeats on bars {row.get('downbeats_on_bars')}")
    return rows, analysed


def tracking_summary(rows: list[dict]) -> dict:
    n = len(rows)
    on = [r["downbeats_on_bars"] for r in rows if r.get("downbeats_on_bars") is not None]
    return {"songs": n, "tempo_ok": sum(r["tempo_ok"] for r in rows),
            "tempo_ok_at_half_or_double": sum(r["tempo_ok_at_level"] for r in rows),
            "beats_on_grid_mean": float(np.mean([r.get("beats_on_grid", 0.0) for r in rows])) if n else None,
            "downbeats_on_bars_mean": float(np.mean(on)) if on else None}


def dance_figures(motion: Motion, span, real_accel: float, leg: float, floors: Sequence[float]) -> dict:
    """BAS, beat hits (all beats and strong ones, with their ceilings), kinematic beats per second, jitter ratio
    and feet of one motion (each dancer as a solo, averaged) against a music span (`Music`) it starts with."""
    from pasdeux.data import solo_windows

    figures = beat_figures(motion, span, leg)
    figures["jitter_ratio"] = metrics.mean_acceleration(solo_windows([motion], WINDOW, STRIDE)) / real_accel
    feet = [_feet(motion.positions[d], motion, leg, floors[d % len(floors)]) for d in range(motion.n_dancers)]
    for key in feet[0]:
        figures[key] = float(np.mean([f[key] for f in feet if key in f]))
    return figures


def beat_figures(motion: Motion, span, leg: float) -> dict:
    """The beat figures (`BEAT_KEYS`) of a motion against a music span it starts with; for a duet (lead, partner)
    also each dancer's BAS (`DANCER_KEYS`)."""
    out = metrics.music_alignment(motion.positions, motion.skeleton, span.beats, motion.fps, leg, span.counts)
    figures = {k: out[k] for k in BEAT_KEYS}
    if motion.n_dancers == len(DANCER_KEYS):
        figures.update({k: d["bas"] for k, d in zip(DANCER_KEYS, out["dancers"], strict=True)})
    return figures


def _feet(positions: np.ndarray, motion: Motion, leg: float, floor: float) -> dict:
    from pasdeux.data import windows
    from pasdeux.errors import SkeletonError

    world = np.asarray(windows(positions, WINDOW, STRIDE), np.float32)  # travel kept
    try:
        return metrics.foot_metrics(world, motion.skeleton, motion.fps, leg, floor)
    except SkeletonError:
        return {}


class Dancers:
    """A trained model (solo or duet) with the real test dance of its data, whose figures it stands beside."""

    def __init__(self, kind: str, model: Any, real: list[Motion], floors: list[float], leg: float,
                 pieces: bool | None = None):
        from pasdeux.data import solo_windows

        self.kind, self.model, self.real, self.floors, self.leg = kind, model, real, floors, leg
        # chosen a piece at a time (`to_music.guided_latent`), else among whole draws; None: as generation does
        # (solos a piece at a time, duets among whole draws)
        self.pieces = pieces
        self.accel = metrics.mean_acceleration(solo_windows(real, WINDOW, STRIDE))

    def generate(self, grid, seed: int, info: dict) -> tuple[Motion, Motion, float, float]:
        """(danced to the music as `pasdeux generate prior --music` / `duet prior --music` make it, the same
        generation without music cut to the span's length, the warp's largest local tempo change, the seconds
        the dance to music took). Without music the mode makes draw 0 of `to_music` (the seed itself), so that
        is the row to beat."""
        from pasdeux.generate import to_music

        seconds = to_music.generated_seconds(grid, self.model.fps)
        start = time.perf_counter()
        if self.kind == "solo":
            from pasdeux.generate.solo import prior

            danced = to_music.prior_to_music(self.model, grid, 1, seed, info, pieces=self.pieces)
            taken = time.perf_counter() - start
            plain = prior(self.model, 1, seconds, seed)
        else:
            from pasdeux.generate.duet import duet_prior

            danced = to_music.duet_prior_to_music(self.model, grid, 1, seed, info, "a2b", pieces=bool(self.pieces))
            taken = time.perf_counter() - start
            plain = duet_prior(self.model, 1, seconds, seed, direction="a2b")
        change = max(w["max_tempo_change"] for w in danced.provenance["music_fit"]["warps"])
        return danced, plain.frames(0, danced.n_frames), float(change), taken

    def real_row(self) -> dict:
        """The real test dance's jitter (1 by definition) and feet, and its kinematic beats per second."""
        rows = []
        for m in self.real:
            f = dance_figures(m, _NoMusic(), self.accel, self.leg, self.floors)
            rows.append({k: v for k, v in f.items() if k == "kinematic_beats_per_s" or k not in BEAT_KEYS})
        return {k: float(np.mean([r[k] for r in rows if k in r])) for k in rows[0]}


class _NoMusic:
    """A span without beats, for the figures of real dance that no song goes with."""

    beats, counts = np.zeros(0), np.zeros(0, np.int64)


def real_to_songs(real: Sequence[Motion], spans: dict, leg: float) -> dict:
    """The real test dance (each file from its start, as long as the span) scored against every song's span:
    dance that was not made to the song, so its figures are the chance level; per song and their mean."""
    per_song = {}
    for name, span in spans.items():
        rows = [beat_figures(m.frames(0, min(m.n_frames, int(round(span.duration * m.fps)) + 1)), span, leg)
                for m in real]
        per_song[name] = {k: float(np.nanmean([r[k] for r in rows])) for k in BEAT_KEYS}
    mean = {k: float(np.nanmean([r[k] for r in per_song.values()])) for k in BEAT_KEYS}
    return {"mean": mean, "songs": per_song}


def song_spans(analysed: dict, seconds: float) -> dict:
    """Each song's benchmark span: `seconds` from `SPAN_START_S` (earlier for a song too short for it)."""
    return {name: music.span(min(SPAN_START_S, max(0.0, music.duration - seconds)), seconds)
            for name, music in analysed.items()}


def dance_to_songs(dancers: Dancers, analysed: dict, seconds: float, seeds: Sequence[int], say: Progress) -> dict:
    """Every song's span danced with and without the music, per seed; the means; the real row."""
    from pasdeux.generate.music_sync import BeatGrid

    per_song = []
    spans = song_spans(analysed, seconds)
    for k, (name, span) in enumerate(spans.items()):
        grid = BeatGrid.of(span)
        info = span.provenance()
        say.step(f"{dancers.kind}: dancing {name} from {span.start:g} s, seeds {list(seeds)}")
        for seed in (s + SONG_SEED_STRIDE * k for s in seeds):
            danced, plain, tempo_change, seconds_taken = dancers.generate(grid, seed, info)
            row = {"song": name, "seed": seed, "local_tempo_change": round(tempo_change, 4),
                   "generate_s": round(seconds_taken, 3)}
            row.update({f"{k}_music": v for k, v in dance_figures(danced, span, dancers.accel, dancers.leg,
                                                                  dancers.floors).items()})
            row.update({f"{k}_plain": v for k, v in dance_figures(plain, span, dancers.accel, dancers.leg,
                                                                  dancers.floors).items()})
            per_song.append(row)
    return {"real": dancers.real_row(), "real_to_songs": real_to_songs(dancers.real, spans, dancers.leg),
            "mean": summarise(per_song), "runs": per_song}


def summarise(rows: list[dict]) -> dict:
    """Means over songs and seeds, the BAS ratio (music over plain), the kinematic beats' ratio (music over plain)
    with whether it stays within `EXTRA_BEATS_BOUND`, and the worst local tempo change."""
    out = {}
    for key in SUMMED:
        for side in ("music", "plain"):
            values = [r[f"{key}_{side}"] for r in rows if f"{key}_{side}" in r]
            if values:
                out[f"{key}_{side}"] = float(np.nanmean(values))
    if out.get("bas_plain"):
        out["bas_ratio"] = out["bas_music"] / out["bas_plain"]
    if out.get("kinematic_beats_per_s_plain"):  # the rule made visible: the dance's own number of stops kept
        out["kinematic_beats_ratio"] = out["kinematic_beats_per_s_music"] / out["kinematic_beats_per_s_plain"]
        out["no_extra_beats"] = bool(out["kinematic_beats_ratio"] <= 1 + EXTRA_BEATS_BOUND)
    out["local_tempo_change_max"] = max((r["local_tempo_change"] for r in rows), default=None)
    for key in TIMED:
        if any(key in r for r in rows):
            out[key] = float(np.mean([r[key] for r in rows if key in r]))
    out["runs"] = len(rows)
    return out


def solo_dancers(model_path: str | os.PathLike | None, budget_s: float, root: Path, seed: int,
                 say: Progress) -> Dancers:
    """The solo model (loaded, or the `default` recipe trained on solo-v1) and the real test solos of its data."""
    from pasdeux.bench.solo import solo_data, train_one

    data = solo_data("video")
    if model_path is None:
        say.step(f"solo: training the default recipe on solo-v1 for {budget_s:g} s")
        model = train_one("default", data, budget_s, root / "solo", seed, False).model
    else:
        model = _load(model_path)
        if tuple(model.skeleton.joints) != tuple(data.skeleton.joints):
            data = solo_data("mocap")
    _same_skeleton(model, data.skeleton, "solo")
    return Dancers("solo", model, data.motions["test"], [data.floor.floor], data.floor.leg_length)


def duet_dancers(model_path: str | os.PathLike | None, budget_s: float, root: Path, seed: int,
                 say: Progress) -> Dancers:
    """The duet model (loaded, or the `duet` recipe trained on the salsa block) and the real test duets of
    its data, each dancer on its own floor."""
    from pasdeux.bench.duet_data import salsa_data, video_data

    data = salsa_data()
    if model_path is None:
        from pasdeux.config import load_config
        from pasdeux.training import train

        say.step(f"duet: training the duet recipe on the salsa block for {budget_s:g} s")
        model = train(load_config("duet"), data.train, data.val, budget_s=budget_s, run_dir=root / "duet",
                      seed=seed, progress=False).model
    else:
        model = _load(model_path)
        if tuple(model.skeleton.joints) != tuple(data.skeleton.joints):
            data = video_data()
    _same_skeleton(model, data.skeleton, "duet")
    return Dancers("duet", model, data.test, [data.floor(1), data.floor(0)], data.leg)


def _load(path: str | os.PathLike) -> Any:
    from pasdeux.models import load_model

    return load_model(path)


def _same_skeleton(model: Any, skeleton, kind: str) -> None:
    if tuple(model.skeleton.joints) != tuple(skeleton.joints):
        raise ConfigError(f"the {kind} model's skeleton {model.skeleton.name!r} is neither the video duet's nor "
                          "the salsa takes' one: give a model trained on the shared data")


def bench_music(seconds: float = 20.0, seeds: Sequence[int] = SEEDS, solo_model: str | os.PathLike | None = None,
                duet_model: str | os.PathLike | None = None, budget_s: float = 120.0, generate: bool = True,
                songs_root: str | os.PathLike | None = None, max_songs: int | None = None,
                out: str | os.PathLike | None = None, log: Callable[[str], None] | None = None,
                pieces: bool | None = None) -> dict[str, Any]:
    """Run music-v1 (see the module doc); returns (and writes to `out`) its JSON object. `pieces`: dance chosen a
    piece at a time (`to_music.guided_latent`) rather than among whole draws; None: as generation does (solos a
    piece at a time, duets among whole draws)."""
    from pasdeux.music.songs import INSTALL_HINT, SONG_ROOT, registry_songs

    songs = registry_songs(songs_root)[:max_songs]
    if not songs:
        raise ConfigError(f"no registry song found under {songs_root or SONG_ROOT}; {INSTALL_HINT}")
    if seconds <= 0 or budget_s <= 0:
        raise ConfigError(f"--seconds and --budget-s must be positive; got {seconds}, {budget_s}")
    steps = [("song", 20.0)] * len(songs)
    if generate:
        steps += [("train", budget_s + 30.0)] * ((solo_model is None) + (duet_model is None))
        steps += [("dance", 5.0 * len(seeds))] * (2 * len(songs))
    say = Progress(steps, log)
    rows, analysed = track_songs(songs, say)
    result: dict[str, Any] = {"protocol": PROTOCOL, "machine": machine(), "songs": rows,
                              "tracking": tracking_summary(rows), "span_s": seconds, "seeds": list(seeds),
                              "pieces": pieces}
    if generate:
        with tempfile.TemporaryDirectory(prefix="pasdeux-bench-music-") as tmp:
            for make, path in ((solo_dancers, solo_model), (duet_dancers, duet_model)):
                dancers = make(path, budget_s, Path(tmp), seeds[0], say)
                dancers.pieces = pieces
                result[dancers.kind] = dance_to_songs(dancers, analysed, seconds, seeds, say)
                say.log(f"{dancers.kind}: {_short(result[dancers.kind]['mean'])}")
    say.end(f"{PROTOCOL} done")
    if out is not None:
        write_json(result, Path(out))
    return result


def _short(d: dict) -> str:
    return ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in d.items()
                     if isinstance(v, float | bool))

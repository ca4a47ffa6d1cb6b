"""What the studio's worker processes run: generation, regeneration, comparison and export.

torch, the models and matplotlib live here, never in the app process, so a slow or crashing task
cannot stall or take down the server (see `jobs.Workers`). The app validates every path before a
task sees it; tasks receive absolute paths inside the library and library-relative names for records.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

import pasdeux
from pasdeux.errors import ConfigError
from pasdeux.generate import modes
from pasdeux.motion import Motion
from pasdeux.runs import MODEL_WEIGHTS, model_folder
from pasdeux.studio import provenance, scrub

_models: dict[str, tuple[tuple[int, int], Any]] = {}


def init_worker() -> None:
    """Set up a worker process: one torch thread. Requests are small, and on a busy CPU intra-op threads spin and
    wait more than they compute (a 64-frame variation: 16 ms with one thread, 430 ms with two on 2 busy cores);
    the pool runs requests side by side in processes instead."""
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)


def warm() -> int:
    """Import the heavy modules now, so the first real request does not wait for them; returns the pid."""
    import torch  # noqa: F401

    import pasdeux.generate.duet  # noqa: F401
    import pasdeux.generate.partners  # noqa: F401
    import pasdeux.generate.solo  # noqa: F401

    return os.getpid()


def model_at(folder: str) -> Any:
    """The trained model in a run or model folder, loaded once per worker until its weights change."""
    from pasdeux.models import load_model

    weights = model_folder(folder)
    st = (weights / MODEL_WEIGHTS).stat() if weights else None
    key = (st.st_size, st.st_mtime_ns) if st else (0, 0)
    cached = _models.get(folder)
    if cached is None or cached[0] != key:
        _models[folder] = (key, load_model(folder))
    return _models[folder][1]


_sources: dict[str, tuple[tuple[int, int], Motion]] = {}  # motion files a worker read, until they change


def _source(file: str) -> Motion:
    st = os.stat(file)
    key = (st.st_size, st.st_mtime_ns)
    if _sources.get(file, (None,))[0] != key:
        if len(_sources) >= 8:  # a few sources at a time: a choreographer works on one or two files
            _sources.pop(next(iter(_sources)))
        _sources[file] = (key, pasdeux.load(file))
    return _sources[file][1]


def phrase(spec: dict) -> Motion:
    """The span `start`, `frames` of one library motion file."""
    motion = _source(spec["file"])
    start, frames = int(spec["start"]), int(spec["frames"])
    if start < 0 or frames < 1 or start + frames > motion.n_frames:
        raise ConfigError(f"{spec['path']} has {motion.n_frames} frames; cannot take {frames} frames from frame "
                          f"{start}. Select a phrase inside the motion")
    if not 0 <= int(spec.get("dancer", 0)) < motion.n_dancers:
        raise ConfigError(f"{spec['path']} has {motion.n_dancers} dancer(s); there is no dancer "
                          f"{int(spec['dancer']) + 1}")
    return motion.frames(start, start + frames)


def model_phrase(spec: dict, model: Any) -> Motion:
    """The span of `phrase(spec)` at the model's frame rate: the client selects frames of the file, which may be
    at another rate (a 120 fps take for a 30 fps model); the whole file is resampled, then the span is cut."""
    from pasdeux.generate import phrase as at_model_rate

    span, motion = phrase(spec), _source(spec["file"])
    if abs(motion.fps - model.fps) <= 1e-6:
        return span
    return at_model_rate(motion, model, int(spec["start"]) / motion.fps, int(spec["frames"]) / motion.fps)


def generate(request: dict) -> dict:
    """Run one generation request, save the result with its provenance, return its viewer payload."""
    from pasdeux.viz.viewer import motion_payload, with_music

    mode, p = modes.get(request["mode"]), request["params"]
    model = model_at(request["model_file"])
    spans = request["phrases"]
    phrases = [model_phrase(s, model) for s in spans]
    dancers = [int(s["dancer"]) for s in spans]
    files = request.get("files", {})  # settings naming a library file: the worker reads where it is
    result = mode.run(model, phrases, dancers, {**p, **{k: f["file"] for k, f in files.items()}})
    ghost = mode.ghost.make(phrases[0], dancers[0], model, p.get("n", 1)) if mode.ghost else None
    weights = model_folder(request["model_file"])
    record = provenance.studio_record(request["model"], provenance.file_digest(weights) if weights else None, spans,
                                      files)
    if mode.name == "transition":
        record["sections"] = provenance.sections(phrases[0].n_frames, phrases[1].n_frames, result.n_frames)
    result = provenance.attach(result, record)
    result = scrub.motion(result, request.get("names", {}))  # the file names no folder of this machine
    pasdeux.save(result, request["out"])
    out: dict[str, Any] = {"provenance": result.provenance,
                           "payload": motion_payload(result, ghost, title=request["title"])}
    if "music" in files:  # danced to a song of the library: the viewer plays it with the result
        out["payload"] = with_music(out["payload"], files["music"]["file"], p.get("music_start") or 0.0)
    if request.get("compare_to"):
        before = pasdeux.load(request["compare_to"]).positions
        same = before.shape == result.positions.shape
        out["identical"] = bool(same and np.array_equal(before, result.positions))
        out["max_abs_diff"] = float(np.abs(before - result.positions).max()) if same else None
    return out


def influence(model_file: str, motion_file: str, direction: str, out_dir: str) -> dict:
    """Which leader body parts move which partner parts: the part heatmap PNG and the JSON (both levels) in
    `out_dir`; the strongest part pairs, and the leader joints' importance for the viewer's rings."""
    from pasdeux.analysis import influence as measure
    from pasdeux.viz.plots import plot_part_influence

    out = Path(out_dir)
    if not (out / "influence.json").is_file():  # the same model, file and direction give the same map
        result = measure(model_at(model_file), [pasdeux.load(motion_file)], direction)
        parts = result.parts
        plot_part_influence(parts.matrix, parts.leader_parts, parts.partner_parts, out / "influence.png",
                            f"which leader parts move which partner parts ({direction}, {parts.windows} windows)")
        result.save(out / "influence.json")
    data = json.loads((out / "influence.json").read_text())
    return {**{k: data[k] for k in ("direction", "windows", "leader_importance", "leader_joints")},
            "top": data["parts"]["top"], "units": data["parts"]["units"]}


def check_recipe(recipe: str, overrides: list[str]) -> str | None:
    """Refuse a recipe or override that `pasdeux train` would refuse, or whose value is not of the kind the
    recipe's own value is (a word for a number, a fraction for a count), before a process is started for it;
    return the model family it trains."""
    from pasdeux.config import load_config, model_options, parse_overrides

    given = parse_overrides(overrides)
    config = load_config(recipe, given)  # unknown keys are refused here, naming the valid ones
    base = load_config(recipe)
    defaults = {**{f"model.{k}": v for k, v in model_options(base).items()},
                **{f"{s}.{k}": v for s, values in base.items() if s != "model" for k, v in values.items()}}
    for key, value in given.items():
        problem = _value_problem(value, defaults.get(key))
        if problem:
            raise ConfigError(f"override {key}={value!r}: {problem} (the recipe has {key}={defaults[key]!r})")
    return (config.get("model") or {}).get("name")  # the model family it trains (default, pose, duet...)


def _value_problem(value: Any, default: Any) -> str | None:
    """Why `value` cannot stand where the recipe has `default` (None when it can, or when any value may)."""
    if default is None or value is None:
        return None
    if isinstance(default, bool):
        return None if isinstance(value, bool) else "expected true or false"
    if isinstance(default, int | float):
        wanted = "a whole number" if isinstance(default, int) else "a number"
        if isinstance(value, bool) or not isinstance(value, int | float) or \
                (isinstance(default, int) and not isinstance(value, int)):
            return f"expected {wanted}"
        if default > 0 and value <= 0:
            return f"expected {wanted} above 0"
        return None
    if isinstance(default, str) and not isinstance(value, str):
        return "expected a word"
    if isinstance(default, list | tuple) and not isinstance(value, list | tuple):
        return "expected a list like [a, b]"
    return None


def source_ghost_payload(result_file: str, source: dict, title: str, mode: str, model_file: str | None) -> dict:
    """A generated result's viewer payload over what it came from (the mode's ghost): the phrase under each
    variation, the lead's real partner beside a generated one."""
    from pasdeux.viz.viewer import motion_payload

    result, dancer, ghost = pasdeux.load(result_file), int(source.get("dancer", 0)), modes.get(mode).ghost
    shown = None
    if ghost is not None and (model_file or not ghost.needs_model):
        model = model_at(model_file) if model_file else None
        shown = ghost.make(phrase(source), dancer, model, result.n_dancers)
    return motion_payload(result, shown, title=title)


def extract_video(video: str, out: str, status_file: str, dancers: int, model: str, name: str) -> None:
    """Extract a video's motion into `out` (its own process), keeping `status_file` current: frames done and
    expected, then done or failed with the message that says why."""
    import time

    from pasdeux.errors import PasdeuxError
    from pasdeux.files import write_text_atomic

    def status(**fields: Any) -> None:
        write_text_atomic(status_file, json.dumps(fields))

    last = [0.0]

    def progress(done: int, total: int | None) -> None:
        if time.monotonic() - last[0] > 0.5:  # a few writes a second are enough for a progress bar
            last[0] = time.monotonic()
            status(state="running", done=done, total=total)

    status(state="running", done=0, total=None)
    try:
        from pasdeux.extract import run
        from pasdeux.extract.unseen import marked
        from pasdeux.music.soundtrack import keep_soundtrack

        # Parts the video did not show are said first in the notes, and kept in the record for the page.
        motion, warned = marked(run(video, progress=progress, dancers=dancers, model=model))
        # The staged copy's path becomes the name the user uploaded (upload-xxxx.mp4 is the studio's own).
        motion = scrub.motion(motion, {video: name, Path(video).name: name})
        motion = keep_soundtrack(motion, video, out)  # the rehearsal's sound beside it, to dance to (--music)
        pasdeux.save(motion, out)
        status(state="done", done=motion.n_frames, total=motion.n_frames, warnings=warned)
    except PasdeuxError as e:
        status(state="failed", message=str(e).replace(video, name).replace(Path(video).name, name))
    except Exception as e:  # whatever else happened is shown to the user as it is
        status(state="failed", message=scrub.text(f"{type(e).__name__}: {e}", {video: name, Path(video).name: name}))


def compare(result_file: str, real_file: str, result_name: str, out_dir: str) -> dict:
    """The `pasdeux evaluate` report of a result against real dance, with its plots written to `out_dir`."""
    from pasdeux.evaluate import evaluate
    from pasdeux.studio.reading import meanings

    result, real = pasdeux.load(result_file), pasdeux.load(real_file)
    # A duet result is scored couple by couple, in the real couple's order, so the partner figures (fid_cd, bed,
    # responsiveness...) stand beside the real couple's; several partners or duets give a row each.
    pairs = modes.couples(result) if real.n_dancers == 2 else None
    rows = {result_name: result} if not pairs else \
        {result_name if len(pairs) == 1 else f"couple {k + 1}": c for k, c in enumerate(pairs)}
    report = evaluate([real], rows, out=out_dir)
    keys = {k for row in report.rows.values() for k in row}
    return {**report.to_dict(), "markdown": report.markdown(guide=True), "meanings": meanings(keys),
            "plots": sorted(Path(f).name for f in report.files.values() if f.endswith(".png"))}


def export(motion_file: str, fmt: str, out: str, start: int, frames: int | None,
           names: dict[str, str] | None = None) -> str:
    """Write a motion (or a span of it) as npz, BVH, CSV, GIF, MP4 or a standalone HTML viewer; `names` maps the
    machine's folders to what the user knows them as, so no exported note names them."""
    motion = scrub.motion(pasdeux.load(motion_file), names or {})
    stop = None if frames is None else start + frames
    if start >= motion.n_frames or (stop is not None and stop > motion.n_frames):
        raise ConfigError(f"the motion has {motion.n_frames} frames; cannot export frames {start} to {stop}")
    if fmt in ("npz", "bvh", "csv"):
        return str(pasdeux.save(motion.frames(start, stop), out))
    return str(pasdeux.animate(motion, out=out, start=start, frames=frames, title=Path(motion_file).name))

"""What the studio does, between the routes and the pieces it reuses: one `Studio` per library.

It checks every request against the library (paths, kinds, sizes), turns it into a task for a worker
or a `pasdeux train` process, and records where generated motion came from.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import re
import secrets
import shutil
import time
from pathlib import Path

import pasdeux
from pasdeux.config import NAMED_CONFIGS
from pasdeux.errors import ConfigError
from pasdeux.generate import modes
from pasdeux.runs import model_folder
from pasdeux.studio import pairing, provenance, runinfo, scrub, tasks
from pasdeux.studio.jobs import Extraction, Extractions, Training, Workers
from pasdeux.studio.library import VIDEO_SUFFIXES, Library, LibraryError, NotInLibrary, safe_name
from pasdeux.studio.schemas import CompareBody, GenerateBody, InfluenceBody, ResumeBody, Span, TrainBody

GENERATED, RUNS, EXTRACTED, VIDEOS = "generated", "runs", "extracted", "videos"  # library folders the studio fills
EXPORTS = {"npz": ".npz", "bvh": ".bvh", "csv": ".csv", "gif": ".gif", "mp4": ".mp4", "html": ".html"}
TOKEN = re.compile(r"^[0-9a-f]{16}$")
KEEP_REPORTS = 20  # comparison reports (with their plots) kept for the page
OVERRIDE = re.compile(r"^(model|data|train|optim)\.[A-Za-z_][A-Za-z0-9_]*=[^\n]{0,200}$")


class Studio:
    """A library with its worker pool and training processes."""

    def __init__(self, root: str | Path, max_upload_bytes: int = 200 << 20, workers: int = 1) -> None:
        self.training = Training()
        self.extractions = Extractions()
        self.library = Library(root, max_upload_bytes, busy=self.training.is_running)
        self.workers = Workers(workers)
        self.names = scrub.library_names(str(self.library.root))  # the library's folder, as the user knows it

    def close(self) -> None:
        """Stop training runs and workers."""
        self.training.shutdown()
        self.extractions.shutdown()
        self.workers.shutdown()

    def scan(self) -> dict:
        """The library listing, with the live state of the runs training now."""
        listing = self.library.scan()
        for entry in listing["models"]:
            run_dir = self.library.root / entry["path"]
            if run_dir in self.training.runs:
                entry["status"] = self.training.state(run_dir)
        return listing

    # --- generation ------------------------------------------------------------------------
    async def generate(self, body: GenerateBody) -> dict:
        """Generate, keep the result in the library with its provenance, and return it with its viewer payload."""
        mode = modes.get(body.mode)
        need = mode.phrases
        phrases = [s for s in (body.source, body.source_b) if s is not None][:need]
        if len(phrases) < need:
            raise ConfigError(f"{body.mode} needs {need} phrase(s): select "
                              + ("a phrase in the viewer" if need == 1 else "phrases A and B"))
        # A duet's leader is the phrase's dancer unless told otherwise: dancer 1 leads as A (a2b), dancer 2 as B.
        chosen = {"seed": body.seed if body.seed is not None else secrets.randbelow(2**31),
                  "direction": body.direction or ("b2a" if phrases and phrases[0].dancer == 1 else "a2b")}
        params = {k: chosen.get(k, getattr(body, k, None)) for k in mode.settings}
        request = {"mode": body.mode, "params": params, "files": self._setting_files(params),
                   **self._model_and_sources(body.model, phrases, body.mode)}
        stem = body.name or _stem(body.mode, phrases, params)
        out = self.library.new_path(GENERATED, stem, ".npz")
        request.update(out=str(out), title=out.name, names=self.names)
        result = await self.workers.call(tasks.generate, request)
        return {**result, "motion": await asyncio.to_thread(self.library.motion_summary, out)}

    async def regenerate(self, rel: str) -> dict:
        """Make a generated motion again from its provenance, as a new file, and say whether it came out identical."""
        path = self.library.motion_file(rel)
        record = provenance.read(await asyncio.to_thread(pasdeux.load, path))
        if not record or record.get("tool") != "pasdeux studio" or record.get("mode") not in modes.MODES:
            raise LibraryError(f"{rel!r} carries no studio provenance, so it cannot be regenerated here")
        spans = [Span(**s) for s in provenance.phrases(record)]
        params = provenance.settings(record)
        request = {"mode": record["mode"], "params": params, "files": self._setting_files(params),
                   **self._model_and_sources(record["model"], spans, record["mode"])}
        changed = self._changed_inputs(record)
        out = self.library.new_path(GENERATED, Path(rel).stem + "-again", ".npz")
        request.update(out=str(out), title=out.name, compare_to=str(path), names=self.names)
        result = await self.workers.call(tasks.generate, request)
        summary = await asyncio.to_thread(self.library.motion_summary, out)
        return {**result, "changed_inputs": changed, "motion": summary}

    def _setting_files(self, params: dict) -> dict[str, dict]:
        """The files that settings name (a registry setting of type FILE), checked inside the library."""
        out = {}
        for key in modes.file_settings():
            if params.get(key) is not None:
                out[key] = {"path": params[key], "file": str(self._setting_file(key, params[key]))}
        return out

    def _setting_file(self, key: str, rel: str) -> Path:
        path, wanted = self.library.resolve(rel), modes.SETTINGS[key].suffixes
        if not path.is_file() or (wanted and path.suffix.lower() not in wanted):
            raise LibraryError(f"{rel!r} is not a file {key} can use" + (f" ({', '.join(wanted)})" if wanted else ""))
        return path

    def _model_and_sources(self, model: str, spans: list[Span], mode: str) -> dict:
        folder = self.library.model_folder(model)
        duet = runinfo.model_family(folder) == "duet"
        if duet != (mode in modes.modes_of("duet")):
            raise ConfigError(f"{model!r} is a duet model: it makes partners and duets (modes "
                              f"{', '.join(modes.modes_of('duet'))})" if duet else
                              f"{model!r} is a solo model; {mode} needs a duet model (train one with the duet "
                              "recipe on two-dancer motion)")
        return {"model": model, "model_file": str(folder),
                "phrases": [{**s.model_dump(), "file": str(self.library.motion_file(s.path))} for s in spans]}

    def _changed_inputs(self, record: dict) -> list[str]:
        """The inputs of a record whose files changed since (the result will then differ)."""
        changed = []
        for rel, digest in provenance.digests(record).items():
            try:
                if rel == record.get("model"):
                    path = self.library.model_folder(rel)
                elif any(record.get(k) == rel for k in modes.file_settings()):
                    path = self.library.resolve(rel)
                else:
                    path = self.library.motion_file(rel)
            except LibraryError:
                changed.append(rel)  # gone, or not readable here any more
                continue
            if provenance.file_digest(model_folder(path) or path) != digest:
                changed.append(rel)
        return changed

    async def payload(self, rel: str, ghost: str | None = None, with_source: bool = False) -> dict:
        """The viewer payload of a motion, with another motion as a ghost or (`with_source`, for variations and
        partners) what it came from."""
        from pasdeux.viz.viewer import motion_payload

        path = self.library.motion_file(rel)
        motion = await asyncio.to_thread(pasdeux.load, path)
        record = provenance.read(motion) if with_source else None
        under = modes.MODES[record["mode"]].ghost if record and record.get("mode") in modes.MODES else None
        if under and under.on_reopen and provenance.phrases(record):  # what the mode shows its results over
            spec = provenance.phrases(record)[0]
            try:
                spec["file"] = str(self.library.motion_file(spec["path"]))
                model = str(self.library.model_folder(record["model"])) if under.needs_model else None
            except LibraryError:
                spec = None  # the source (or model) was renamed or deleted since: the result is shown alone
            if spec is not None:
                return await self._with_music(await self.workers.call(
                    tasks.source_ghost_payload, str(path), spec, path.name, record["mode"], model), motion)
        other = await asyncio.to_thread(pasdeux.load, self.library.motion_file(ghost)) if ghost else None
        return await self._with_music(await asyncio.to_thread(motion_payload, motion, other, title=path.name),
                                      motion)

    async def _with_music(self, payload: dict, motion) -> dict:
        """A result danced to a song of the library plays it (a song gone, unreadable or outside: shown silent)."""
        from pasdeux.errors import PasdeuxError
        from pasdeux.viz.viewer import with_music

        song = (motion.provenance or {}).get("music")
        try:
            file = self.library.resolve(song) if isinstance(song, str) else None
            if file is None or not file.is_file():
                return payload
            return await asyncio.to_thread(with_music, payload, file, motion.provenance.get("music_start") or 0.0)
        except PasdeuxError:
            return payload

    # --- compare and export ----------------------------------------------------------------
    async def compare(self, body: CompareBody) -> dict:
        """The evaluation report of a result against real dance (by default the file it was generated from)."""
        result = self.library.motion_file(body.result)
        real_rel = body.real or self._default_real(result)
        token = secrets.token_hex(8)
        reports = self.library.state_dir("compare")
        for old in sorted(reports.iterdir(), key=lambda p: p.stat().st_mtime)[:-KEEP_REPORTS]:
            shutil.rmtree(old, ignore_errors=True)  # the page shows the latest reports; older plots go
        out = reports / token
        report = await self.workers.call(tasks.compare, str(result), str(self.library.motion_file(real_rel)),
                                         result.stem, str(out))
        return {**report, "id": token, "real": real_rel, "result": body.result}

    def _default_real(self, result: Path) -> str:
        record = provenance.read(pasdeux.load(result)) or {}
        spans = provenance.phrases(record)
        if spans:
            return spans[0]["path"]
        raise ConfigError(f"{self.library.relative(result)!r} has no source phrase to compare with; choose the real "
                          "motion to compare it against")

    def plot(self, kind: str, token: str, name: str) -> Path:
        """A plot of an earlier comparison (`compare`: speed.png, kinetic.png) or influence (influence.png)."""
        names = {"compare": ("speed.png", "kinetic.png"), "influence": ("influence.png",)}[kind]
        path = self.library.state_dir(kind) / token / name
        if not TOKEN.match(token) or name not in names or not path.is_file():
            raise NotInLibrary(f"no such {kind} plot; run it again")
        return path

    async def influence(self, body: InfluenceBody) -> dict:
        """The influence heatmap of a duet model on the leads of a library motion (computed once per version)."""
        folder, path = self.library.model_folder(body.model), self.library.motion_file(body.path)
        inputs = f"{provenance.file_digest(model_folder(folder))}:{provenance.file_digest(path)}:{body.direction}"
        token = hashlib.sha256(inputs.encode()).hexdigest()[:16]
        out = self.library.state_dir("influence") / token
        out.mkdir(exist_ok=True)
        result = await self.workers.call(tasks.influence, str(folder), str(path), body.direction, str(out))
        return {**result, "id": token, "model": body.model, "path": body.path}

    async def export(self, rel: str, fmt: str, start: int = 0, frames: int | None = None) -> Path:
        """A motion written as a download in one of EXPORTS (the caller deletes the file's folder after sending)."""
        if fmt not in EXPORTS:
            raise ConfigError(f"cannot export as {fmt!r}; formats are: {', '.join(EXPORTS)}")
        path = self.library.motion_file(rel)
        folder = self.library.state_dir("exports") / secrets.token_hex(8)
        folder.mkdir()
        out = folder / (path.stem + EXPORTS[fmt])
        try:
            await self.workers.call(tasks.export, str(path), fmt, str(out), start, frames, self.names)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return out

    def pair(self, rel_a: str, rel_b: str, name: str | None = None) -> dict:
        """Join two solo files of one take into a duet file of the library (duets/), checked first."""
        out = pairing.pair(self.library, rel_a, rel_b, name, self.names)
        return self.library.motion_summary(out)

    def pick(self, rel: str, dancers: tuple[int, int], name: str | None = None) -> dict:
        """Two dancers of one file as a duet file of the library (duets/), checked first."""
        out = pairing.pick(self.library, rel, dancers, name, self.names)
        return self.library.motion_summary(out)

    # --- videos -----------------------------------------------------------------------------
    def start_extraction(self, filename: str, stream, dancers: int, model: str) -> dict:
        """Extract the motion of an uploaded video in its own process; the video and its motion join the
        library (videos/, extracted/) only when extraction succeeds."""
        from pasdeux.extract.pipeline import MAX_DANCERS  # as `pasdeux extract` follows (lazily: numpy-heavy)

        if not 1 <= dancers <= MAX_DANCERS:
            raise ConfigError(f"dancers must be a whole number from 1 to {MAX_DANCERS}; got {dancers}")
        if model not in ("lite", "full", "heavy"):
            raise ConfigError(f"the landmark model must be lite, full or heavy; got {model!r}")
        name, staged = self.library.stage(filename, stream, VIDEO_SUFFIXES, "videos")
        job = secrets.token_hex(8)
        try:
            state = self.extractions.start(job, staged, name, dancers, model, lambda ex: self._place(ex, name))
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        return {"job": job, "video": name, "status": state}

    def _place(self, ex: Extraction, name: str) -> dict:
        """Keep an extraction's video and motion in the library; the motion then names the video it came from."""
        stem = Path(name).stem
        video = self.library.relative(self.library.adopt(ex.video, VIDEOS, stem))
        motion = pasdeux.load(ex.out)
        record = dict(motion.provenance)
        record["extract"] = {**record.get("extract", {}), "video": video}
        pasdeux.save(dataclasses.replace(motion, source=video, provenance=record), ex.out)
        return {"motion": self.library.relative(self.library.adopt(ex.out, EXTRACTED, stem)), "video": video}

    def extraction_status(self, job: str) -> dict:
        """How far an extraction is, and where its motion went when it is done."""
        if not TOKEN.match(job):
            raise NotInLibrary("no such extraction")
        state = self.extractions.state(job)
        if state.get("motion"):
            state["entry"] = self.library.motion_summary(self.library.resolve(state["motion"]))
        return state

    # --- training --------------------------------------------------------------------------
    async def start_training(self, body: TrainBody) -> dict:
        """Start a training run on library files in its own process; returns its folder and state."""
        recipe = self._recipe(body.recipe)
        options = ["--config", recipe, "--seed", str(body.seed)]
        for rel in body.files:
            options += ["--data", str(self.library.motion_file(rel))]
        if body.budget_s is not None:
            options += ["--budget-s", f"{body.budget_s:g}"]
        if body.epochs is not None:
            options += ["--epochs", str(body.epochs)]
        for item in body.overrides:
            if not OVERRIDE.match(item) or item.startswith("data.files"):
                raise ConfigError(f"override {item!r} is not SECTION.KEY=VALUE (e.g. optim.lr=3e-4, data.files "
                                  "excepted: choose the files above)")
        family = await self.workers.call(tasks.check_recipe, recipe, body.overrides)  # refused now, not later
        if family == "duet":
            self._check_duet_files(body.files)
        name = safe_name(body.name) if body.name else f"{Path(recipe).stem}-{time.strftime('%Y%m%d-%H%M%S')}"
        run_dir = self.library.new_path(RUNS, name, "")
        state = self.training.start(run_dir, options, body.overrides, body.budget_s)
        return {"path": self.library.relative(run_dir), "status": state}

    def _check_duet_files(self, files: list[str]) -> None:
        """A duet recipe learns from two dancers at once: every file must hold a couple."""
        solo = [rel for rel in files if self.library.motion_summary(self.library.motion_file(rel)).get("dancers") != 2]
        if solo:
            raise ConfigError(f"the duet recipe learns from couples, but {', '.join(solo)} "
                              f"{'holds' if len(solo) == 1 else 'hold'} no two dancers: pair the two files of one "
                              "take, or pick two dancers of a file with more (Library -> Pair two files into a "
                              "duet), then train on the duet it makes")

    def _recipe(self, recipe: str) -> str:
        if recipe in NAMED_CONFIGS:
            return recipe
        path = self.library.resolve(recipe, must_exist=False)
        if path.suffix.lower() not in (".yaml", ".yml") or not path.is_file():
            raise ConfigError(f"recipe {recipe!r} is neither {', '.join(NAMED_CONFIGS)} nor a YAML file of the "
                              "library")
        return str(path)

    def run_folder(self, rel: str) -> Path:
        """A run folder of the library."""
        path = self.library.resolve(rel)
        if not path.is_dir() or not runinfo.is_run_or_model(path):
            raise LibraryError(f"{rel!r} is not a training run folder")
        return self.library.folder_without_links_out(path)

    def resume_training(self, body: ResumeBody) -> dict:
        """Continue a stopped or finished run from its last checkpoint."""
        run_dir = self.run_folder(body.path)
        options = self.training.resume_args(run_dir)
        # `pasdeux train --resume` counts its budget and epochs from the start of the run, not of this session.
        done = runinfo.status(run_dir)
        if body.more_epochs is not None:
            options += ["--epochs", str(int(done.get("epoch") or 0) + 1 + body.more_epochs)]
            budget = None
        else:
            budget = float(done.get("elapsed_s") or 0) + (body.more_s or 60.0)
            options += ["--budget-s", f"{budget:.1f}"]
        return {"path": body.path, "status": self.training.start(run_dir, options, [], budget)}

    def run_status(self, rel: str) -> dict:
        """A run's state, progress, loss series and the end of what it printed."""
        run_dir = self.run_folder(rel)
        return {"path": rel, "status": self.training.state(run_dir), "losses": runinfo.losses(run_dir),
                "log": runinfo.log_tail(run_dir, 20), "has_checkpoint": runinfo.checkpoint(run_dir) is not None,
                "has_plot": runinfo.loss_curves(run_dir).is_file(), "summary": runinfo.summary(run_dir, rel)}

    def loss_curves(self, rel: str) -> Path:
        """The loss-curve PNG training drew for a run."""
        png = runinfo.loss_curves(self.run_folder(rel))
        if not png.is_file():
            raise NotInLibrary(f"{rel!r} has no loss-curve picture yet (training draws it when it finishes)")
        return png


def _stem(mode: str, phrases: list[Span], params: dict) -> str:
    """A readable file name for a result: mode, source and the settings that shaped it."""
    src = "-".join(Path(s.path).stem for s in phrases)
    extra = f"-sigma{params['sigma']:g}" if "sigma" in params else ""
    return f"{mode}-{src}{extra}" if src else f"{mode}{extra}"  # prior.npz, not prior-prior.npz

"""The studio's processes: a pool of workers for generation, comparison and export, and training runs.

Both keep the app process light and responsive: torch and the models load in the workers, and each
training run is its own `pasdeux train` process whose progress is read from its run folder. A worker
that dies (killed, out of memory) is replaced and the request that was running reports it; a failing
training run is reported with the message it printed.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pasdeux.errors import PasdeuxError
from pasdeux.runs import Run
from pasdeux.studio import runinfo, tasks
from pasdeux.studio.library import AlreadyInLibrary, LibraryError, NotInLibrary

STOP_GRACE_S = 120.0  # seconds a stopped run has to finish its step, export its model and exit before it is killed


class WorkerFailed(PasdeuxError):
    """A worker process stopped while it ran a request (it is replaced for the next one)."""

    status = 500


class Workers:
    """A pool of spawned worker processes running `pasdeux.studio.tasks` functions."""

    def __init__(self, n: int = 1) -> None:
        self.n = max(1, int(n))
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn, not fork: the app runs threads (uvicorn, training watchers) that fork would copy mid-state.
                self._pool = ProcessPoolExecutor(self.n, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=tasks.init_worker)
            return self._pool

    def warm(self) -> None:
        """Start the workers and import torch in them now rather than on the first request."""
        pool = self._executor()
        for _ in range(self.n):
            pool.submit(tasks.warm)

    async def call(self, fn, *args: Any) -> Any:
        """Run `fn(*args)` in a worker; user errors come back as they were raised there."""
        pool = self._executor()
        if not self._alive(pool):  # a worker died while idle: nothing was lost, start fresh ones
            self._replace(pool)
            pool = self._executor()
        future = pool.submit(fn, *args)
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            self._replace(pool)
            raise WorkerFailed("the worker process stopped while it ran this request (out of memory or killed); "
                               "it has been restarted: try again, with fewer or shorter phrases") from None

    def pids(self) -> list[int]:
        """Process ids of the live workers."""
        pool = self._pool
        return [p.pid for p in _processes(pool) if p.is_alive()] if pool else []

    @staticmethod
    def _alive(pool: ProcessPoolExecutor) -> bool:
        return not getattr(pool, "_broken", False) and all(p.is_alive() for p in _processes(pool))

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        """Stop the workers."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


# What a run does before its first step (starting Python and torch, reading and windowing the data, building the
# model): on a busy 2-core machine a duet run spent 95 s here, which the page showed as a bare clock.
PREPARING = "preparing (reading the data and building the model)"


@dataclass
class TrainingRun:
    """One `pasdeux train` process the studio started."""

    run_dir: Path
    argv: list[str]
    process: subprocess.Popen
    started: float = field(default_factory=time.time)
    budget_s: float | None = None
    stop_requested: bool = False
    ended: float | None = None

    def elapsed(self) -> float:
        """Seconds the process ran (so far, while it runs)."""
        if self.ended is None and self.process.poll() is not None:
            self.ended = time.time()
        return round((self.ended or time.time()) - self.started, 1)

    def state(self, written: dict) -> dict:
        """The status training wrote, overlaid with what the studio knows of the process: running, stopping,
        stopped, done or failed (with the message that says why)."""
        info = {**written, "elapsed_s": written.get("elapsed_s", self.elapsed())}
        if self.budget_s and not info.get("budget_s"):
            info["budget_s"] = self.budget_s
        code = self.process.poll()
        if code is None:
            if "step" not in written:  # the run has not reached its first step: say so rather than a bare clock
                info.setdefault("phase", PREPARING)
            return {**info, "state": "stopping" if self.stop_requested else "running", "pid": self.process.pid}
        info["exit_code"] = code
        if code == 0 and info.get("state") in ("done", "stopped"):
            return info
        if self.stop_requested:  # stopped before training could say so (still loading data, or killed)
            return {**info, "state": "stopped"}
        if code == 0:
            return {**info, "state": "done"}
        return {**info, "state": "failed", "message": failure_message(self.run_dir, written)}


class Training:
    """Training runs as separate processes: start, watch, stop, resume."""

    def __init__(self, max_running: int = 1) -> None:
        self.max_running = max_running
        self.runs: dict[Path, TrainingRun] = {}
        self._lock = threading.Lock()

    def is_running(self, run_dir: Path) -> bool:
        """Whether a run folder (or one inside `run_dir`) is training now."""
        run_dir = Path(run_dir)
        return any(r.process.poll() is None and (p == run_dir or run_dir in p.parents) for p, r in self.runs.items())

    def start(self, run_dir: Path, options: list[str], overrides: list[str], budget_s: float | None = None) -> dict:
        """Start `pasdeux train OPTIONS --out RUN_DIR -- OVERRIDES` as its own process."""
        with self._lock:
            running = [r for r in self.runs.values() if r.process.poll() is None]
            if len(running) >= self.max_running:
                raise AlreadyInLibrary(f"{running[0].run_dir.name} is training; stop it before starting another "
                                       "(one run at a time keeps the studio responsive)")
            run_dir.mkdir(parents=True, exist_ok=True)
            # After `--` an override can only be KEY=VALUE, never an option such as --out.
            argv = [sys.executable, "-m", "pasdeux", "train", *options, "--out", str(run_dir), "--no-progress",
                    "--", *overrides]
            with open(run_dir / runinfo.LOG_FILE, "ab") as log:
                log.write(f"$ pasdeux {' '.join(argv[3:])}\n".encode())
                log.flush()
                proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        cwd=run_dir, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                                        start_new_session=True)  # its own group: stopping it stops all of it
            self.runs[run_dir] = TrainingRun(run_dir, argv, proc, budget_s=budget_s)
        return self.state(run_dir)

    def resume_args(self, run_dir: Path) -> list[str]:
        """The arguments continuing a run from its last checkpoint (refused while it trains or without one)."""
        if self.is_running(run_dir):
            raise AlreadyInLibrary(f"{run_dir.name} is training already")
        if runinfo.checkpoint(run_dir) is None:
            every = runinfo.run_config(run_dir).get("train", {}).get("checkpoint_every_steps")
            raise LibraryError(f"{run_dir.name} has no checkpoint to resume from: it stopped before its first one"
                               + (f" (written every {every} steps)" if every else "") + "; start a new run instead")
        return ["--resume", str(run_dir)]

    def stop(self, run_dir: Path) -> dict:
        """Ask a run to stop after its current step (it still exports its model); asked again, it stops at once.
        A run that has not exited after STOP_GRACE_S is killed."""
        run = self.runs.get(run_dir)
        if run is None or run.process.poll() is not None:
            raise LibraryError(f"{run_dir.name} is not training")
        first = not run.stop_requested
        run.stop_requested = True
        _signal(run.process, signal.SIGINT)
        if first:
            threading.Thread(target=_kill_later, args=(run.process, STOP_GRACE_S), daemon=True).start()
        return self.state(run_dir)

    def state(self, run_dir: Path) -> dict:
        """What the run's files say, overlaid with what the studio knows of its process."""
        written = runinfo.status(run_dir)
        run = self.runs.get(run_dir)
        return run.state(written) if run is not None else dict(written)

    def shutdown(self) -> None:
        """Stop every run still training (the studio does not leave processes behind)."""
        live = [r for r in self.runs.values() if r.process.poll() is None]
        for r in live:
            r.stop_requested = True
            _signal(r.process, signal.SIGINT)
        for r in live:
            try:
                r.process.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                _signal(r.process, signal.SIGKILL)
                r.process.wait()
                _mark_killed(r.run_dir)


def _mark_killed(run_dir: Path) -> None:
    """Record a run killed mid-phase (it could not finish within the grace) as stopped: its status.json would
    otherwise say 'running' to every studio opened on the library afterwards."""
    written = runinfo.status(run_dir)
    if written.get("state") == "running":
        kept = {k: v for k, v in written.items() if k not in ("state", "updated", "phase")}
        message = f"stopped when the studio closed, while {written.get('phase') or 'training'}"
        Run(run_dir).write_status("stopped", **{**kept, "message": message})


@dataclass
class Extraction:
    """One video being turned into motion, in its own process; `status_file` is what it reports."""

    video: Path
    out: Path
    status_file: Path
    process: Any
    placed: dict = field(default_factory=dict)  # where the motion and the video went in the library
    final: dict | None = None  # its last status, kept once the process ended (its staging files are gone then)


class Extractions:
    """Video extractions (`pasdeux.extract`), one at a time, each in its own process."""

    def __init__(self) -> None:
        self.jobs: dict[str, Extraction] = {}
        self._lock = threading.Lock()

    def start(self, job: str, video: Path, name: str, dancers: int, model: str, on_done) -> dict:
        """Extract `video` (a staged copy of the file `name`); `on_done(extraction)` places the results when it
        succeeds."""
        with self._lock:
            if any(j.process.is_alive() for j in self.jobs.values()):
                raise AlreadyInLibrary("a video is being extracted; wait for it to finish")
            out, status = video.with_suffix(".npz"), video.with_suffix(".json")
            proc = multiprocessing.get_context("spawn").Process(
                target=tasks.extract_video, args=(str(video), str(out), str(status), dancers, model, name),
                daemon=True)
            proc.start()
            self.jobs[job] = Extraction(video, out, status, proc)
        threading.Thread(target=self._finish, args=(self.jobs[job], on_done), daemon=True).start()
        return self.state(job)

    def _finish(self, job: Extraction, on_done) -> None:
        job.process.join()
        written, placed = self._written(job), {}
        if written.get("state") == "done":
            try:
                placed = on_done(job)
            except Exception as e:  # the page must hear of it, not wait for ever
                placed = {"state": "failed", "message": f"the motion could not be kept in the library: {e}"}
        for f in (job.video, job.out, job.status_file):  # staging is emptied: nothing piles up in uploads/
            f.unlink(missing_ok=True)
        job.placed = placed
        job.final = written  # set last: the page hears how it ended only once staging is empty

    def state(self, job: str) -> dict:
        """running (frames done of expected), done (with where it went) or failed (with why)."""
        ex = self.jobs.get(job)
        if ex is None:
            raise NotInLibrary("no such extraction")
        if ex.final is None:  # extracting, or its end being recorded (the result placed, staging emptied)
            return {**self._written(ex), "state": "running"}
        info = dict(ex.final)
        if info.get("state") not in ("done", "failed"):
            info = {"state": "failed", "message": f"the extraction process stopped (exit code {ex.process.exitcode})"}
        return {**info, **ex.placed}

    @staticmethod
    def _written(job: Extraction) -> dict:
        try:
            return json.loads(job.status_file.read_text())
        except (OSError, ValueError):
            return {"state": "running", "done": 0, "total": None}

    def shutdown(self) -> None:
        """Stop extractions still running."""
        for job in self.jobs.values():
            if job.process.is_alive():
                job.process.terminate()
                job.process.join(10)


def _processes(pool: ProcessPoolExecutor) -> list:
    # The executor keeps its processes privately; reading them lets a dead idle worker be replaced up front.
    return list((getattr(pool, "_processes", None) or {}).values())


def failure_message(run_dir: Path, written: dict | None = None) -> str:
    """The line that says why a run failed: the CLI's `error: ...`, the error training recorded, else the end of
    what the process printed (a traceback's last line)."""
    lines = [ln.strip() for ln in runinfo.log_tail(run_dir, 200, runinfo.LOG_FILE).splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error: ")]
    if errors:
        return errors[-1][len("error: "):]
    if written and written.get("error"):
        return str(written["error"])
    return lines[-1] if lines else "the training process stopped without a message"


def _signal(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_later(proc: subprocess.Popen, grace: float) -> None:
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        _signal(proc, signal.SIGKILL)

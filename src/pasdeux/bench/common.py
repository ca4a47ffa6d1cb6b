"""What every benchmark protocol shares: the shared data's location, the machine, JSON output, progress
lines with the time left, and reading a training history (time to a target quality)."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from pasdeux.errors import ConfigError
from pasdeux.files import write_text_atomic

SHARED = Path("../shared/data")  # BENCHMARK.md's data folder, relative to the project root


def find_shared(name: str, path: str | os.PathLike | None = None) -> Path:
    """A file or folder of the shared data: `path` when given, else `../shared/data/<name>` from the working
    directory or from the source tree."""
    if path is not None:
        found = Path(path)
        if not found.exists():
            raise ConfigError(f"the benchmark data {found} does not exist; pass --data with the right path")
        return found
    for candidate in (SHARED / name, Path(__file__).resolve().parents[3] / SHARED / name):
        if candidate.exists():
            return candidate
    raise ConfigError(f"the benchmark data {SHARED / name} is not there (run from the project root); pass --data")


def machine() -> dict[str, Any]:
    """The device models trained on and the CPU threads torch uses."""
    import torch

    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    return {"device": device, "threads": torch.get_num_threads()}


GEN_THREADS = 1  # generation is timed on one CPU thread (the `gen_threads` of results)


@contextmanager
def generation_threads(n: int = GEN_THREADS) -> Iterator[None]:
    """Torch on `n` threads for a timing: a single long-form generation is many small operations, and on a
    shared machine two threads fighting a busy core made one take 40 times longer than on one."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def write_json(obj: dict, path: Path) -> Path:
    """Write JSON whole or not at all."""
    return write_text_atomic(path, json.dumps(obj, indent=1))


def short(d: dict) -> str:
    """A dict of scores as one readable line."""
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in d.items())


def clock(seconds: float) -> str:
    """Seconds as m:ss (or h:mm:ss)."""
    m, s = divmod(int(round(max(seconds, 0.0))), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}" if m >= 60 else f"{m}:{s:02d}"


class Progress:
    """One line per step on stderr: which step of how many, the time so far, and about how long is left.

    Each step is announced with the seconds it is expected to take (a training budget is known; scoring
    is estimated from the steps of that kind done so far, `guess_s` before the first one), so the time
    left is the sum of what the remaining steps are expected to take."""

    def __init__(self, steps: Sequence[tuple[str, float | None]], log: Callable[[str], None] | None = None) -> None:
        self.plan = list(steps)  # (kind, expected seconds or None to estimate)
        self.log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
        self.started = time.monotonic()
        self.done: dict[str, list[float]] = {}
        self.index, self._step_started, self._kind = 0, None, None

    def _expected(self, kind: str, given: float | None, guess_s: float) -> float:
        if given is not None:
            return given
        took = self.done.get(kind)
        return float(np.mean(took)) if took else guess_s

    def step(self, what: str, guess_s: float = 30.0) -> None:
        """Start the next planned step, described by `what`, and print where the run stands."""
        self._finish()
        if self.index >= len(self.plan):
            raise ConfigError(f"progress: more steps than the {len(self.plan)} planned")
        left = sum(self._expected(k, s, guess_s) for k, s in self.plan[self.index:])
        elapsed = time.monotonic() - self.started
        self.index += 1
        self._kind, self._step_started = self.plan[self.index - 1][0], time.monotonic()
        self.log(f"[{self.index}/{len(self.plan)}] {what} | {clock(elapsed)} elapsed, about {clock(left)} left")

    def _finish(self) -> None:
        if self._step_started is not None:
            self.done.setdefault(self._kind, []).append(time.monotonic() - self._step_started)
            self._step_started = None

    def end(self, what: str = "done") -> None:
        """Close the last step and print the total time."""
        self._finish()
        self.log(f"{what} in {clock(time.monotonic() - self.started)}")


def time_to_quality(history: Sequence[dict], target: float) -> float | None:
    """First `time_s` at which `val_recon_mse` reached `target` (None if it never did)."""
    for h in history:
        v = h.get("val_recon_mse")
        if v is not None and np.isfinite(v) and v <= target:
            return float(h["time_s"])
    return None


def final_val_recon(history: Sequence[dict]) -> float:
    """The last validation recon_mse in a training history."""
    vals = [h["val_recon_mse"] for h in history if h.get("val_recon_mse") is not None]
    if not vals:
        raise ConfigError("the training history holds no val_recon_mse; cannot compare with the seed")
    return float(vals[-1])

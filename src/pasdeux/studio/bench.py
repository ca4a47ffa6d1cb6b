"""`pasdeux bench studio`: the studio under load, over real HTTP on this machine.

A temporary library gets the shared duet and a small trained model (the default recipe trained for a few
seconds, or `model=` a run or model folder). The studio is served by uvicorn on a free loopback port; then
(1) single 64-frame variation requests one after another give the round trip a choreographer waits for,
and (2) `requests` variation requests sent at once must all succeed, and give p50/p95 latency.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pasdeux.errors import ConfigError

DUET = "duet.npy"


def _model_into(lib: Path, model: str | None, train_s: float, data: Path, say: Callable[[str], None]) -> str:
    """Put a trained model into the library; returns its library path."""
    from pasdeux.runs import model_folder

    if model is not None:
        folder = model_folder(model)
        if folder is None:
            raise ConfigError(f"{model}: holds no trained model; give a run or model folder")
        shutil.copytree(folder, lib / "models" / "bench")
        return "models/bench"
    import pasdeux
    from pasdeux.config import load_config
    from pasdeux.data import time_split
    from pasdeux.training import train

    say(f"training a small default model for {train_s:g} s ...")
    parts = time_split(pasdeux.load(data))
    train(load_config("default"), [parts["train"]], [parts["val"]], budget_s=train_s, run_dir=lib / "runs" / "bench",
          progress=False)
    return "runs/bench"


def _serve(lib: Path, workers: int) -> tuple[Any, threading.Thread, str]:
    import uvicorn

    from pasdeux.studio.app import create_app
    from pasdeux.studio.server import free_port

    port = free_port("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(lib, port=port, workers=workers), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the studio did not start")
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


async def _timed(client, body: dict) -> tuple[float, int, str]:
    t0 = time.perf_counter()
    r = await client.post("/api/generate", json=body)
    return time.perf_counter() - t0, r.status_code, "" if r.status_code == 200 else r.text[:300]


async def _load(url: str, body: dict, requests: int, singles: int) -> tuple[list[float], list[tuple], float]:
    import httpx

    limits = httpx.Limits(max_connections=requests, max_keepalive_connections=requests)
    async with httpx.AsyncClient(base_url=url, timeout=600, limits=limits) as client:
        warm = await _timed(client, body)  # the worker loads the model once
        if warm[1] != 200:
            raise RuntimeError(f"the studio refused the variation request: {warm[2]}")
        single = [(await _timed(client, body))[0] for _ in range(singles)]
        t0 = time.perf_counter()
        batch = await asyncio.gather(*(_timed(client, body) for _ in range(requests)))
        return single, batch, time.perf_counter() - t0


def bench_studio(requests: int = 50, frames: int = 64, n: int = 1, model: str | None = None, train_s: float = 20.0,
                 workers: int = 2, singles: int = 10, data: str | None = None,
                 say: Callable[[str], None] = print) -> dict[str, Any]:
    """Serve a studio and measure variation round trips, alone and `requests` at once; returns the figures."""
    from pasdeux.bench import find_data

    if requests < 1 or frames < 8 or n < 1:
        raise ConfigError("--requests and -n must be at least 1 and --frames at least 8")
    source = find_data(data)
    with tempfile.TemporaryDirectory(prefix="pasdeux-bench-studio-") as tmp:
        lib = Path(tmp)
        shutil.copy(source, lib / DUET)
        model_path = _model_into(lib, model, train_s, source, say)
        server, thread, url = _serve(lib, workers)
        body = {"mode": "variations", "model": model_path, "sigma": 0.5, "n": n, "seed": 0,
                "source": {"path": DUET, "dancer": 0, "start": 300, "frames": frames}}
        say(f"studio at {url}: {singles} single requests, then {requests} at once ...")
        try:
            single, results, wall = asyncio.run(_load(url, body, requests, singles))
        finally:
            server.should_exit = True
            thread.join(timeout=120)
    latencies = [r[0] for r in results]
    failures = [r for r in results if r[1] != 200]
    return {"benchmark": "studio", "requests": requests, "ok": requests - len(failures), "failed": len(failures),
            "failures": sorted({f"{code}: {text}" for _, code, text in failures})[:3],
            "frames": frames, "variations_per_request": n, "workers": workers, "model": model or "default, trained "
            f"{train_s:g} s", "roundtrip_s": {"median": statistics.median(single), "max": max(single)},
            "concurrent_s": {"p50": float(np.percentile(latencies, 50)), "p95": float(np.percentile(latencies, 95)),
                             "max": max(latencies)},
            "concurrent_wall_s": wall, "throughput_per_s": requests / wall}

"""Training from the studio: runs in their own process, watched live, stopped, resumed, failures reported; reading
recipes and run folders needs neither Lightning nor a model; the `pasdeux studio` command's address rules."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from pasdeux.cli import main
from pasdeux.studio import server

PORT = 8423
DUET_NAME = "duet_ilya_hannah.npy"
TINY = ["model.hidden=16", "model.latent_channels=8", "data.stride=24", "train.batch_size=16",
        "train.prior_samples=16", "train.checkpoint_every_steps=2", "train.val_every_steps=4"]


@pytest.fixture(scope="module")
def library(tmp_path_factory, tiny_run, shared_data):
    lib = tmp_path_factory.mktemp("library")
    shutil.copytree(tiny_run, lib / "runs" / "tiny")
    shutil.copy(shared_data / DUET_NAME, lib / DUET_NAME)
    return lib


def status(client, path: str) -> dict:
    r = client.get("/api/runs/status", params={"path": path})
    assert r.status_code == 200, r.text
    return r.json()


def wait_for(client, path: str, ok, seconds: float = 240) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        info = status(client, path)
        if ok(info):
            return info
        time.sleep(0.5)
    raise AssertionError(f"{path} did not get there in {seconds} s: {info['status']}\n{info['log']}")


def test_recipes_are_listed_with_their_settings(client):
    recipes = {r["name"]: r for r in client.get("/api/recipes").json()}
    assert set(recipes) == {"default", "seed", "pose", "duet"}
    assert recipes["default"]["model"] == "default" and "latent_channels" in recipes["default"]["text"]


def test_a_run_trains_in_its_own_process_stops_and_resumes(client, library):
    r = client.post("/api/runs", json={"recipe": "default", "files": [DUET_NAME], "epochs": 10000, "name": "mine",
                                       "overrides": TINY})
    assert r.status_code == 201, r.text
    path = r.json()["path"]
    assert path == "runs/mine"
    first = r.json()["status"]
    assert first["state"] == "running" and first["pid"] != os.getpid()
    again = client.post("/api/runs", json={"files": [DUET_NAME], "epochs": 1})
    assert again.status_code == 409 and "stop it" in again.json()["detail"]  # one run at a time
    assert client.post("/api/library/delete", json={"path": path}).status_code == 409  # not while it trains
    try:
        _watch_stop_resume(client, library, path)
    finally:  # a failure above must not leave the run training into the next test
        if client.app.state.studio.training.is_running(library / path):
            client.post("/api/runs/stop", json={"path": path})
            wait_for(client, path, lambda i: i["status"]["state"] != "stopping", 180)


def _watch_stop_resume(client, library, path: str) -> None:
    live = wait_for(client, path, lambda i: i["has_checkpoint"] and i["losses"]["train"])
    # status.json is rewritten every few seconds, so it may lag the checkpoint a step
    assert live["status"]["state"] == "running" and live["status"]["step"] >= 1
    assert all(v > 0 for _, v in live["losses"]["train"])
    assert client.get("/api/library").status_code == 200  # the app answers while the run trains
    stop = client.post("/api/runs/stop", json={"path": path})
    assert stop.status_code == 200 and stop.json()["status"]["state"] in ("stopping", "stopped")
    stopped = wait_for(client, path, lambda i: i["status"]["state"] == "stopped", 180)
    step = stopped["status"]["step"]
    assert client.post("/api/runs/stop", json={"path": path}).status_code == 400  # not training
    r = client.post("/api/runs/resume", json={"path": path, "more_epochs": 1})
    assert r.status_code == 200 and r.json()["status"]["state"] == "running"
    done = wait_for(client, path, lambda i: i["status"]["state"] in ("done", "failed"))
    assert done["status"]["state"] == "done", done["log"]
    assert done["status"]["step"] >= step  # it continued from the checkpoint, not from step 0
    assert "--resume" in (library / path / "studio.log").read_text()
    model = next(m for m in client.get("/api/library").json()["models"] if m["path"] == path)
    assert model["trained"] and model["family"] == "default"
    png = client.get("/api/runs/loss-curve", params={"path": path})
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    assert client.post("/api/library/delete", json={"path": path}).status_code == 200
    assert not (library / path).exists()


def test_a_failing_run_is_reported_with_its_message(client):
    r = client.post("/api/runs", json={"files": [DUET_NAME], "epochs": 1, "name": "broken",
                                       "overrides": ["model.window=4096"]})  # longer than any training span
    assert r.status_code == 201
    failed = wait_for(client, "runs/broken", lambda i: i["status"]["state"] != "running", 120)
    assert failed["status"]["state"] == "failed"
    assert "no training window of 4096 frames" in failed["status"]["message"]
    assert client.get("/api/library").status_code == 200
    assert client.post("/api/runs/resume", json={"path": "runs/broken"}).status_code == 400  # no checkpoint


@pytest.mark.parametrize("body, status", [
    ({"files": [DUET_NAME], "recipe": "nope"}, 400),
    ({"files": [DUET_NAME], "overrides": ["optim.nope=1"]}, 400),  # refused before any process starts
    ({"files": [DUET_NAME], "overrides": ["optim.lr=abc"]}, 400),  # a value of the wrong kind, too
    ({"files": [DUET_NAME], "overrides": ["model.hidden=12.5"]}, 400),
    ({"files": [DUET_NAME], "overrides": ["train.batch_size=-3"]}, 400),
    ({"files": [DUET_NAME], "overrides": ["--out=/tmp/elsewhere"]}, 400),
    ({"files": [DUET_NAME], "overrides": ["data.files=[/etc/passwd]"]}, 400),
    ({"files": [DUET_NAME], "overrides": ["/etc/passwd"]}, 400),
    ({"files": []}, 422),
    ({"files": ["runs/tiny"]}, 400),
])
def test_training_requests_that_are_refused(client, library, body, status):
    before = sorted(p.name for p in (library / "runs").iterdir())
    r = client.post("/api/runs", json={"epochs": 1, **body})
    assert r.status_code == status, r.text
    assert sorted(p.name for p in (library / "runs").iterdir()) == before


@pytest.mark.parametrize("override, words", [("optim.lr=abc", ["optim.lr", "a number"]),
                                             ("train.bogus=1", ["train.bogus", "valid train keys"]),
                                             ("model.hidden=0", ["model.hidden", "above 0"])])
def test_a_refused_override_names_its_key_and_what_it_needs(client, override, words):
    r = client.post("/api/runs", json={"files": [DUET_NAME], "epochs": 1, "overrides": [override]})
    assert r.status_code == 400 and all(w in r.json()["detail"] for w in words), r.text


def test_bench_studio_needs_nothing_beyond_the_package_dependencies():
    import tomllib
    from pathlib import Path

    deps = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
    names = {d.split(">")[0].split("=")[0].split("<")[0].strip().lower() for d in deps["dependencies"]}
    assert {"httpx", "uvicorn", "fastapi"} <= names  # what `pasdeux bench studio` imports


def test_reading_recipes_and_runs_imports_neither_lightning_nor_torch(library):
    code = f"""
import json, sys
from fastapi.testclient import TestClient
from pasdeux.studio import create_app
c = TestClient(create_app({str(library)!r}, port=8424), base_url="http://127.0.0.1:8424")  # no lifespan: no workers
out = [c.get("/api/library").status_code, c.get("/api/recipes").status_code,
       c.get("/api/runs/status", params={{"path": "runs/tiny"}}).json()["status"]["state"],
       c.get("/api/motions/payload", params={{"path": {DUET_NAME!r}}}).status_code]
print(json.dumps([out, [m for m in ("lightning", "torch", "pasdeux.models") if m in sys.modules]]))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    answers, heavy = json.loads(proc.stdout.strip().splitlines()[-1])
    assert answers == [200, 200, "done", 200] and heavy == []


def test_remote_binding_needs_a_flag_and_warns(monkeypatch, tmp_path):
    assert main(["studio", "--library", str(tmp_path), "--host", "0.0.0.0"]) == 2
    said, served = [], []
    monkeypatch.setattr("uvicorn.Server.run", lambda self: served.append(self.config.host))
    server.serve(tmp_path, host="0.0.0.0", port=0, allow_remote=True, say=said.append)
    assert served == ["0.0.0.0"] and said[0].startswith("WARNING") and "no login" in said[0]
    said.clear()
    server.serve(tmp_path, port=0, say=said.append)
    assert not any("WARNING" in s for s in said) and said[0].startswith("pasdeux studio: http://127.0.0.1:")


def test_a_taken_port_is_a_clear_error(tmp_path, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        assert main(["studio", "--library", str(tmp_path), "--port", str(taken)]) == 2
    assert "choose another --port" in capsys.readouterr().err


def test_bench_studio_serves_concurrent_variations_over_http(tiny_run, capsys):
    assert main(["bench", "studio", "--requests", "6", "--model", str(tiny_run), "--workers", "1"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["requests"] == 6 and result["ok"] == 6 and result["failures"] == []
    assert 0 < result["roundtrip_s"]["median"] <= result["roundtrip_s"]["max"]
    assert 0 < result["concurrent_s"]["p50"] <= result["concurrent_s"]["p95"] <= result["concurrent_s"]["max"]


BUDGET_S, BUDGET_MARGIN_S = 20.0, 15.0  # a run keeps to its budget within this margin, on a loaded machine too


def test_a_budgeted_run_keeps_to_its_budget_and_says_what_it_does_when_not_stepping(duet, tmp_path, monkeypatch,
                                                                                   capsys):
    """The budget is the whole run's wall-clock time (validation and fitting the prior included), and while the
    run is not stepping its status and progress line say what it does, never just a time past the budget."""
    import torch

    from pasdeux.config import load_config
    from pasdeux.data import time_split
    from pasdeux.runs import Run
    from pasdeux.training import callbacks, train

    torch.set_num_threads(1)
    written = []
    write_status = Run.write_status

    def recording(self, state, **fields):
        written.append((state, fields.get("phase", ""), fields.get("elapsed_s", 0.0)))
        write_status(self, state, **fields)

    monkeypatch.setattr(Run, "write_status", recording)
    parts = time_split(duet)
    cfg = load_config("default", {"train.val_every_steps": 10})  # validating during the run, as the recipes do
    train(cfg, [parts["train"]], [parts["val"]], budget_s=BUDGET_S, run_dir=tmp_path / "run", progress=True)
    final = json.loads((tmp_path / "run" / "status.json").read_text())
    assert final["state"] == "done" and final["step"] > 0
    assert final["elapsed_s"] <= BUDGET_S + BUDGET_MARGIN_S, final  # the run's own clock, not the test's
    phases = {phase for state, phase, _ in written if state == "running"}
    assert {callbacks.VALIDATING, callbacks.FITTING, callbacks.SCORING, callbacks.SAVING} <= phases, phases
    line = capsys.readouterr().err
    assert callbacks.FITTING in line and callbacks.SAVING in line  # the CLI's progress line says it too


def test_a_run_killed_when_the_studio_closes_is_not_left_running(tmp_path):
    from pasdeux.runs import Run
    from pasdeux.studio import jobs, runinfo

    killed, finished = Run(tmp_path / "killed"), Run(tmp_path / "finished")
    for run in (killed, finished):
        run.path.mkdir()
    killed.write_status("running", step=1, elapsed_s=420.0, budget_s=60.0, phase="fitting the prior and calibrating")
    finished.write_status("done", step=21, elapsed_s=55.0)
    for run in (killed, finished):
        jobs._mark_killed(run.path)
    st = runinfo.status(killed.path)
    assert st["state"] == "stopped" and (st["step"], st["elapsed_s"]) == (1, 420.0) and "phase" not in st
    assert st["message"] == "stopped when the studio closed, while fitting the prior and calibrating"
    assert runinfo.status(finished.path)["state"] == "done"  # a run that ended says what it said

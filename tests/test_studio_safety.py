"""The studio loses nothing and leaks nothing: deleted work goes to a trash that restores it, no link leads out of
the library, a zip bomb is refused from its headers, malformed provenance is a 4xx, and no answer or exported file
names the machine's folders."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

import pasdeux

PORT = 8427
DUET_NAME = "duet_ilya_hannah.npy"


@pytest.fixture(scope="module")
def library(tmp_path_factory, tiny_run, shared_data) -> Path:
    lib = tmp_path_factory.mktemp("library")
    shutil.copytree(tiny_run, lib / "runs" / "tiny")
    shutil.copy(shared_data / DUET_NAME, lib / DUET_NAME)
    return lib


@pytest.fixture(scope="module")
def outside(tmp_path_factory) -> Path:
    """A folder outside the library holding a secret text and a PNG that must never be served."""
    folder = tmp_path_factory.mktemp("outside")
    (folder / "secret.txt").write_text("TOP-SECRET-LINE\n")
    (folder / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\nTOP-SECRET-PNG")
    (folder / "metrics.csv").write_text("step,train_loss\n1,TOP-SECRET-CSV\n")
    return folder


def variations(client, **body):
    body = {"mode": "variations", "model": "runs/tiny", "sigma": 0.5, "n": 2, "seed": 1,
            "source": {"path": DUET_NAME, "dancer": 0, "start": 300, "frames": 64}, **body}
    r = client.post("/api/generate", json=body)
    assert r.status_code == 200, r.text
    return r.json()["motion"]["path"]


def listed(client) -> set[str]:
    data = client.get("/api/library").json()
    return {m["path"] for m in data["motions"]} | {m["path"] for m in data["models"]}


# --- 1. deleting goes to a trash that restores ---------------------------------------------------------------------
def test_a_deleted_motion_goes_to_the_trash_and_comes_back_whole(client, library):
    shutil.copy(library / DUET_NAME, library / "take.npy")
    before = (library / "take.npy").read_bytes()
    r = client.post("/api/library/delete", json={"path": "take.npy"})
    assert r.status_code == 200 and r.json()["trash"]["path"] == "take.npy"
    assert "take.npy" not in listed(client) and not (library / "take.npy").exists()
    trash = client.get("/api/trash").json()
    entry = next(e for e in trash if e["path"] == "take.npy")
    assert entry["kind"] == "motion" and entry["name"] == "take.npy"
    r = client.post("/api/trash/restore", json={"id": entry["id"]})
    assert r.status_code == 200 and r.json()["path"] == "take.npy"
    assert (library / "take.npy").read_bytes() == before and "take.npy" in listed(client)
    assert all(e["id"] != entry["id"] for e in client.get("/api/trash").json())
    assert client.post("/api/trash/restore", json={"id": entry["id"]}).status_code == 404


def test_a_restored_file_whose_name_was_taken_meanwhile_gets_a_fresh_name(client, library):
    shutil.copy(library / DUET_NAME, library / "again.npy")
    entry = client.post("/api/library/delete", json={"path": "again.npy"}).json()["trash"]
    shutil.copy(library / DUET_NAME, library / "again.npy")  # a new file under the old name: kept as it is
    assert client.post("/api/trash/restore", json={"id": entry["id"]}).json()["path"] == "again-2.npy"
    assert (library / "again.npy").is_file() and (library / "again-2.npy").is_file()


def test_a_deleted_run_is_restored_and_the_trash_is_emptied_only_when_asked(client, library):
    shutil.copytree(library / "runs" / "tiny", library / "runs" / "old")
    entry = client.post("/api/library/delete", json={"path": "runs/old"}).json()["trash"]
    assert entry["kind"] == "run" and "runs/old" not in listed(client)
    client.get("/api/library")  # listing, generating and restarting never empty the trash
    assert any(e["id"] == entry["id"] for e in client.get("/api/trash").json())
    assert client.post("/api/trash/restore", json={"id": entry["id"]}).json()["path"] == "runs/old"
    assert client.get("/api/library").json()["models"] and "runs/old" in listed(client)
    client.post("/api/library/delete", json={"path": "runs/old"})
    r = client.post("/api/trash/empty")
    assert r.status_code == 200 and r.json()["emptied"] >= 1
    assert client.get("/api/trash").json() == [] and not (library / "runs" / "old").exists()


@pytest.mark.parametrize("bad", ["../x", "20250101-000000-zzzzzzzz", "", "a" * 40])
def test_restoring_something_not_in_the_trash_is_refused(client, bad):
    assert client.post("/api/trash/restore", json={"id": bad}).status_code in (404, 422)


# --- 2. no link leads out ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def evil_run(library, outside) -> str:
    """A run folder whose log, loss curve, metrics, config and model weights are links to files outside."""
    run = library / "runs" / "evil-run"
    shutil.copytree(library / "runs" / "tiny", run)
    (run / "status.json").write_text(json.dumps({"state": "done", "step": 3}))
    for name, target in [("train.log", "secret.txt"), ("loss_curves.png", "secret.png"), ("studio.log", "secret.txt"),
                         ("model/model.safetensors", "secret.png")]:
        (run / name).unlink(missing_ok=True)
        (run / name).symlink_to(outside / target)
    logs = run / "logs" / "version_9"
    logs.mkdir(parents=True)
    (logs / "metrics.csv").symlink_to(outside / "metrics.csv")
    return "runs/evil-run"


def test_a_run_folder_with_links_out_is_listed_as_refused_and_never_read(client, evil_run):
    data = client.get("/api/library").json()
    entry = next(m for m in data["models"] if m["path"] == evil_run)
    assert entry["status"]["state"] == "refused" and not entry["trained"]
    for method, url, kwargs in [("GET", "/api/runs/status", {"params": {"path": evil_run}}),
                                ("GET", "/api/runs/loss-curve", {"params": {"path": evil_run}}),
                                ("POST", "/api/runs/resume", {"json": {"path": evil_run}}),
                                ("POST", "/api/runs/stop", {"json": {"path": evil_run}}),
                                ("POST", "/api/generate", {"json": {"mode": "prior", "model": evil_run}}),
                                ("POST", "/api/influence", {"json": {"model": evil_run, "path": DUET_NAME}})]:
        r = client.request(method, url, **kwargs)
        assert r.status_code == 403, (url, r.status_code, r.text)
        assert "links" in r.json()["detail"] and b"TOP-SECRET" not in r.content, url
    assert b"TOP-SECRET" not in client.get("/api/library").content


def test_the_studios_own_folders_as_links_out_are_never_written_through(client, library, outside, tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    for name in ("trash", "compare"):
        real = library / ".pasdeux-studio" / name
        shutil.rmtree(real, ignore_errors=True)
        real.symlink_to(target, target_is_directory=True)
    shutil.copy(library / DUET_NAME, library / "victim.npy")
    try:
        r = client.post("/api/library/delete", json={"path": "victim.npy"})
        assert r.status_code == 403 and "link" in r.json()["detail"]
        assert (library / "victim.npy").is_file()  # refused: nothing moved
        assert client.post("/api/compare", json={"result": DUET_NAME, "real": DUET_NAME}).status_code == 403
        assert list(target.iterdir()) == []
    finally:
        for name in ("trash", "compare"):
            (library / ".pasdeux-studio" / name).unlink()
        (library / "victim.npy").unlink()


def test_a_generated_folder_that_links_out_is_refused(client, library, tmp_path):
    (library / "generated").mkdir(exist_ok=True)
    shutil.move(library / "generated", tmp_path / "gen-kept")
    (library / "generated").symlink_to(tmp_path, target_is_directory=True)
    try:
        body = {"mode": "variations", "model": "runs/tiny", "n": 1, "seed": 1,
                "source": {"path": DUET_NAME, "dancer": 0, "start": 300, "frames": 64}}
        assert client.post("/api/generate", json=body).status_code == 403
        assert sorted(p.name for p in tmp_path.iterdir()) == ["gen-kept"]
    finally:
        (library / "generated").unlink()
        shutil.move(tmp_path / "gen-kept", library / "generated")


# --- 3. zip bombs ----------------------------------------------------------------------------------------------------
def _bomb(path: Path, frames: int = 1_000_000) -> Path:
    """An npz of pasdeux's layout holding `frames` frames of zeros (29 joints): ~350 MB unpacked, < 1 MB packed."""
    motion = pasdeux.load(Path(__file__).resolve().parents[2] / "shared" / "data" / DUET_NAME).frames(0, 2)
    meta = {"format": "pasdeux-motion-1", "skeleton": motion.skeleton.to_dict(), "fps": 30.0, "source": "",
            "notes": [], "labels": [], "provenance": {}}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("positions.npy", "w", force_zip64=True) as f:
            header = io.BytesIO()
            np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                          "shape": (frames, 29, 3)})
            f.write(header.getvalue())
            zeros = bytes(1 << 22)
            left = frames * 29 * 3 * 4
            while left > 0:
                f.write(zeros[: min(left, len(zeros))])
                left -= len(zeros)
        zf.writestr("meta.npy", _npy(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)))
    return path


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


BOMB_RSS_BOUND_MB = 120  # what handling the upload may add to the app's peak memory (the bomb unpacks to 348 MB)


def test_a_zip_bomb_upload_is_refused_from_its_headers_within_a_memory_bound(tmp_path):
    bomb = _bomb(tmp_path / "bomb.npz")
    assert bomb.stat().st_size < 2 << 20
    lib = tmp_path / "lib"
    lib.mkdir()
    script = textwrap.dedent(f"""
        import json, re
        from fastapi.testclient import TestClient
        from pasdeux.studio.app import create_app

        def peak():  # the process's peak resident memory so far (kB)
            return int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))

        with TestClient(create_app({str(lib)!r}, port=8428), base_url="http://127.0.0.1:8428") as c:
            c.get("/api/library")
            before = peak()
            with open({str(bomb)!r}, "rb") as f:
                r = c.post("/api/motions", files={{"file": ("bomb.npz", f)}})
            print(json.dumps({{"status": r.status_code, "detail": r.json()["detail"], "grew_kb": peak() - before,
                               "listed": c.get("/api/library").json()["motions"]}}))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status"] == 413 and "1,000,000 frames" in result["detail"], result
    assert result["listed"] == [] and not any(p.is_file() for p in lib.rglob("*"))
    assert result["grew_kb"] < BOMB_RSS_BOUND_MB * 1024, result


def test_a_bomb_placed_in_the_library_by_hand_is_listed_unreadable_and_never_loaded(client, library):
    _bomb(library / "bomb.npz", frames=300_000)
    try:
        entry = next(m for m in client.get("/api/library").json()["motions"] if m["path"] == "bomb.npz")
        assert entry["kind"] == "unreadable" and "300,000 frames" in entry["error"]
        r = client.get("/api/motions/payload", params={"path": "bomb.npz"})
        assert r.status_code == 413 and "300,000 frames" in r.json()["detail"]
    finally:
        (library / "bomb.npz").unlink()


def test_the_limits_follow_this_machines_memory():
    from pasdeux.studio import limits

    assert limits.max_unpacked_bytes() == min(512 << 20, limits.memory_bytes() // 16)
    assert limits.memory_bytes() > 256 << 20


# --- 4. errors a user can act on ---------------------------------------------------------------------------------
def test_malformed_provenance_is_a_4xx_that_names_the_field(client, library, duet):
    record = {"tool": "pasdeux studio", "mode": "variations", "model": "runs/tiny", "source": DUET_NAME,
              "source_dancer": 0, "source_start": "zero", "source_frames": 64, "sigma": 0.5, "n": 1, "seed": 0}
    pasdeux.save(dataclasses.replace(duet.frames(0, 80), provenance=record), library / "bad-prov.npz")
    try:
        for method, url, kwargs in [("GET", "/api/motions/payload", {"params": {"path": "bad-prov.npz",
                                                                               "with_source": "true"}}),
                                    ("POST", "/api/compare", {"json": {"result": "bad-prov.npz"}}),
                                    ("POST", "/api/generate/again", {"json": {"path": "bad-prov.npz"}})]:
            r = client.request(method, url, **kwargs)
            assert 400 <= r.status_code < 500, (url, r.status_code, r.text)
            assert "source_start" in r.json()["detail"] and "'zero'" in r.json()["detail"], r.text
    finally:
        (library / "bad-prov.npz").unlink()


def test_no_answer_or_exported_file_names_the_librarys_folder(client, library):
    roots = {str(library), os.path.realpath(library)}
    result = variations(client)
    answers = [client.get("/api/library"), client.get("/api/motions/info", params={"path": DUET_NAME}),
               client.get("/api/motions/info", params={"path": result}),
               client.get("/api/motions/payload", params={"path": result, "with_source": "true"}),
               client.post("/api/compare", json={"result": result}),
               client.get("/api/motions/info", params={"path": "nothing.npy"}),
               client.post("/api/generate", json={"mode": "prior", "model": DUET_NAME}),
               client.get("/api/runs/status", params={"path": "runs/tiny"}),
               client.post("/api/motions", files={"file": ("broken.npz", b"PK\x03\x04broken")})]
    for fmt in ("npz", "csv", "bvh"):
        for src in (DUET_NAME, result):
            r = client.get("/api/motions/export", params={"path": src, "format": fmt})
            assert r.status_code == 200
            answers.append(r)
            if fmt == "npz":
                exported = Path(library.parent / f"exported-{Path(src).stem}.npz")
                exported.write_bytes(r.content)
                m = pasdeux.load(exported)
                text = json.dumps([m.source, m.notes, m.provenance])
                assert not any(root in text for root in roots), text
    for r in answers:
        assert not any(root.encode() in r.content for root in roots), (r.url, r.text[:2000])
    stored = pasdeux.load(library / result)  # what the library keeps names no folder either
    assert not any(root in json.dumps([stored.source, stored.notes, stored.provenance]) for root in roots)

"""The studio's HTTP API: library, uploads, viewer payloads, generation with provenance, compare, export, and
every refusal (size, malformed files, paths outside the library, foreign hosts and origins)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

import pasdeux
from io_fixtures import write_all
from pasdeux.cli import main
from pasdeux.studio import create_app

PORT = 8421
BASE = f"http://127.0.0.1:{PORT}"
DUET_NAME = "duet_ilya_hannah.npy"
MAX_MB = 4


@pytest.fixture(scope="module")
def library(tmp_path_factory, tiny_run, shared_data) -> Path:
    lib = tmp_path_factory.mktemp("library")
    shutil.copytree(tiny_run, lib / "runs" / "tiny")
    return lib


@pytest.fixture(scope="module")
def client(library, shared_data):
    with TestClient(create_app(library, port=PORT, max_upload_mb=MAX_MB), base_url=BASE) as c:
        with open(shared_data / DUET_NAME, "rb") as f:
            assert c.post("/api/motions", files={"file": (DUET_NAME, f)}).status_code == 201
        yield c


def listing(client) -> dict:
    r = client.get("/api/library")
    assert r.status_code == 200
    return r.json()


def paths(client) -> set[str]:
    return {m["path"] for m in listing(client)["motions"]}


def stray_files(library: Path) -> list[str]:
    """Temporary or half-written files anywhere in the library (there must never be any)."""
    return [str(p) for p in library.rglob("*") if p.is_file() and (".part" in p.name or p.name.startswith("upload-"))]


def generate(client, **body):
    body = {"mode": "variations", "model": "runs/tiny", "sigma": 0.5, "n": 3, "seed": 1,
            "source": {"path": DUET_NAME, "dancer": 0, "start": 300, "frames": 64}, **body}
    return client.post("/api/generate", json=body)


# --- the page --------------------------------------------------------------------------------
def test_page_scripts_and_viewer_are_served_locally(client):
    page = client.get("/")
    assert page.status_code == 200 and "pasdeux studio" in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing from the network
    for asset in ("/static/studio.js", "/static/api.js", "/static/studio.css", "/static/pasdeux-viewer.min.js"):
        assert client.get(asset).status_code == 200, asset
    assert "createViewer" in client.get("/static/pasdeux-viewer.min.js").text
    assert page.headers["x-frame-options"] == "DENY"  # no clickjacking from a page that frames the studio
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_the_page_builds_its_generate_form_from_the_registry_of_modes(client):
    from pasdeux.generate import modes

    listed = client.get("/api/modes").json()
    assert [m["name"] for m in listed["modes"]] == list(modes.MODES)
    partner = next(m for m in listed["modes"] if m["name"] == "partner")
    assert partner["kind"] == "duet" and partner["phrases"] == 1 and partner["ghost"] == "the real partner"
    sigma = listed["settings"]["sigma"]
    assert (sigma["minimum"], sigma["maximum"], sigma["type"]) == (0.0, 5.0, "float") and sigma["help"]
    page = client.get("/").text + client.get("/static/generate.js").text
    assert "duet_prior" not in page and "bridge_seconds" not in page  # no mode or setting written into the page


# --- library and uploads -----------------------------------------------------------------------
def test_uploaded_duet_is_listed_with_kind_dancers_length_skeleton(client):
    duet = next(m for m in listing(client)["motions"] if m["path"] == DUET_NAME)
    assert (duet["kind"], duet["dancers"], duet["frames"], duet["fps"], duet["skeleton"]) == \
        ("motion", 2, 1800, 30.0, "hybrik29")
    model = next(m for m in listing(client)["models"] if m["path"] == "runs/tiny")
    assert model["trained"] and model["family"] == "default" and model["window"] == 64
    assert model["skeleton"] == "hybrik29" and model["status"]["state"] == "done"


def test_info_panel_is_what_pasdeux_info_prints(client, library, capsys):
    info = client.get("/api/motions/info", params={"path": DUET_NAME}).json()
    assert info["info"]["dancers"] == 2 and info["provenance"] is None
    capsys.readouterr()
    assert main(["info", str(library / DUET_NAME)]) == 0
    # the same table, naming the file by its library path rather than the folder on this machine
    assert info["text"].strip() == capsys.readouterr().out.strip().replace(str(library) + "/", "")


def test_upload_takes_every_format_the_readers_know(client, tmp_path, shared_data):
    files = write_all(tmp_path / "formats", shared_data / "cmu_salsa")
    assert "bvh" in files
    for fmt, path in files.items():
        r = client.post("/api/motions", files={"file": (path.name, path.read_bytes())})
        assert r.status_code == 201, (fmt, r.text)
        assert r.json()["format"] == fmt and r.json()["frames"] > 0
        client.post("/api/library/delete", json={"path": r.json()["path"]})


def test_an_existing_name_gets_a_fresh_one(client, library):
    r = client.post("/api/motions", files={"file": (DUET_NAME, (library / DUET_NAME).read_bytes())})
    assert r.status_code == 201 and r.json()["path"] == "duet_ilya_hannah-2.npy"
    assert client.post("/api/library/delete", json={"path": "duet_ilya_hannah-2.npy"}).status_code == 200


def _pickled_npy() -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    return buf.getvalue()


@pytest.mark.parametrize("name, content, words", [
    ("garbage.npy", b"this is not a numpy file at all", "not a valid .npy"),
    ("pickled.npy", _pickled_npy(), "pickle"),
    ("truncated.npz", b"PK\x03\x04" + b"\x00" * 40, "npz"),
    ("cut.bvh", b"HIERARCHY\nROOT Hips\n{\n  OFFSET 0 0", "bvh"),
    ("notes.txt", b"hello", "takes motion files"),
    ("empty.csv", b"", "empty"),
    (".hidden.npy", b"x" * 10, "not a usable file name"),
])
def test_malformed_or_hostile_uploads_are_refused_and_nothing_is_added(client, library, name, content, words):
    before = paths(client)
    r = client.post("/api/motions", files={"file": (name, content)})
    assert r.status_code == 400, r.text
    assert words.lower() in r.json()["detail"].lower()
    assert str(library) not in r.json()["detail"]  # messages name library paths, not this machine's folders
    assert paths(client) == before and stray_files(library) == []


def test_upload_file_name_cannot_climb_out_of_the_library(client, library, duet, tmp_path):
    small = pasdeux.save(duet.frames(0, 40), tmp_path / "small.npz")
    r = client.post("/api/motions", files={"file": ("../../escaped.npz", small.read_bytes())})
    assert r.status_code == 201 and r.json()["path"] == "escaped.npz"  # the folder part is dropped
    assert (library / "escaped.npz").is_file()
    assert not (library.parent / "escaped.npz").exists() and not (library.parent.parent / "escaped.npz").exists()
    assert client.post("/api/library/delete", json={"path": "escaped.npz"}).status_code == 200


def test_uploads_over_the_limit_get_413_with_or_without_a_length(client, library):
    before = paths(client)
    big = b"\x93NUMPY" + b"\x00" * (MAX_MB * 2**20 + 1)
    r = client.post("/api/motions", files={"file": ("big.npy", big)})
    assert r.status_code == 413 and "--max-upload-mb" in r.json()["detail"]

    def chunks():  # no Content-Length: the guard counts the bytes as they arrive
        head = b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.npy"\r\n\r\n'
        yield head
        for _ in range(MAX_MB + 1):
            yield b"\x00" * 2**20

    r = client.post("/api/motions", content=chunks(), headers={"content-type": "multipart/form-data; boundary=b"})
    assert r.status_code == 413
    assert paths(client) == before and stray_files(library) == []


def test_upload_without_the_file_field_says_how(client):
    r = client.post("/api/motions", files={"motion": ("a.npy", b"123")})
    assert r.status_code == 400 and "'file'" in r.json()["detail"]


def test_rename_and_delete_stay_inside_the_library(client, library):
    shutil.copy(library / DUET_NAME, library / "copy.npy")
    r = client.post("/api/library/rename", json={"path": "copy.npy", "name": "solo take"})
    assert r.status_code == 200 and r.json()["path"] == "solo take.npy"
    assert "solo take.npy" in paths(client) and "copy.npy" not in paths(client)
    assert client.post("/api/library/rename", json={"path": "solo take.npy", "name": DUET_NAME}).status_code == 409
    assert client.post("/api/library/rename", json={"path": "solo take.npy", "name": "x.bvh"}).status_code == 400
    assert client.post("/api/library/rename", json={"path": "solo take.npy", "name": "../x.npy"}).status_code == 400
    assert client.post("/api/library/delete", json={"path": "solo take.npy"}).status_code == 200
    assert not (library / "solo take.npy").exists()
    assert client.post("/api/library/delete", json={"path": "solo take.npy"}).status_code == 404
    (library / "plain").mkdir(exist_ok=True)
    assert client.post("/api/library/delete", json={"path": "plain"}).status_code == 400
    assert (library / "plain").is_dir()


# --- paths: every path-taking endpoint refuses to leave the library ---------------------------------
@pytest.fixture(scope="module")
def outside(library, tmp_path_factory) -> Path:
    """A motion file outside the library, with links to it (and to its folder) inside."""
    folder = tmp_path_factory.mktemp("outside")
    shutil.copy(library / DUET_NAME, folder / "secret.npy")
    (library / "link.npy").symlink_to(folder / "secret.npy")
    (library / "linkdir").symlink_to(folder, target_is_directory=True)
    return folder


# Paths that would leave the library: each request naming one is refused with 403.
HOSTILE = ["../secret.npy", "/etc/passwd", "runs/../../secret.npy", ".pasdeux-studio/uploads", "link.npy",
           "linkdir/secret.npy"]


def _requests(p: str) -> list[tuple[str, str, dict]]:
    span = {"path": p, "dancer": 0, "start": 0, "frames": 64}
    return [
        ("GET", "/api/motions/info", {"params": {"path": p}}),
        ("GET", "/api/motions/payload", {"params": {"path": DUET_NAME, "ghost": p}}),
        ("GET", "/api/motions/payload", {"params": {"path": p}}),
        ("GET", "/api/motions/export", {"params": {"path": p, "format": "npz"}}),
        ("GET", "/api/runs/status", {"params": {"path": p}}),
        ("GET", "/api/runs/loss-curve", {"params": {"path": p}}),
        ("POST", "/api/library/rename", {"json": {"path": p, "name": "x.npy"}}),
        ("POST", "/api/library/delete", {"json": {"path": p}}),
        ("POST", "/api/generate", {"json": {"mode": "variations", "model": "runs/tiny", "source": span}}),
        ("POST", "/api/generate", {"json": {"mode": "prior", "model": p}}),
        ("POST", "/api/generate/again", {"json": {"path": p}}),
        ("POST", "/api/compare", {"json": {"result": p}}),
        ("POST", "/api/compare", {"json": {"result": DUET_NAME, "real": p}}),
        ("POST", "/api/influence", {"json": {"model": p, "path": DUET_NAME}}),
        ("POST", "/api/influence", {"json": {"model": "runs/tiny", "path": p}}),
        ("POST", "/api/runs", {"json": {"files": [p], "epochs": 1}}),
        ("POST", "/api/runs", {"json": {"files": [DUET_NAME], "recipe": p, "epochs": 1}}),
        ("POST", "/api/runs/stop", {"json": {"path": p}}),
        ("POST", "/api/runs/resume", {"json": {"path": p}}),
    ]


@pytest.mark.parametrize("hostile", HOSTILE + ["%2e%2e/secret.npy"])
def test_no_endpoint_reads_or_writes_outside_the_library(client, library, outside, hostile):
    for method, url, kwargs in _requests(hostile):
        r = client.request(method, url, **kwargs)
        # Percent signs are no escape: that name is looked for inside the library (and is not there).
        expected = (403,) if hostile in HOSTILE else (400, 404)
        assert r.status_code in expected, (method, url, hostile, r.status_code, r.text)
        assert len(r.content) < 1000  # a message, never the file, its viewer payload or an export of it
    assert (outside / "secret.npy").is_file() and sorted(p.name for p in outside.iterdir()) == ["secret.npy"]
    assert (library / "link.npy").is_symlink()


def test_listing_skips_links_out_and_the_studios_own_files(client, outside):
    listed = paths(client)
    assert "link.npy" not in listed and not any(p.startswith(("linkdir", ".")) for p in listed)


# --- the guard: host, origin -------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["evil.example:8421", "127.0.0.1:9999", "attacker.test", ""])
def test_foreign_host_headers_are_refused(client, host):
    r = client.get("/api/library", headers={"host": host})
    assert r.status_code == 400 and "refused" in r.json()["detail"]
    assert client.get("/", headers={"host": host}).status_code == 400


def test_the_studio_answers_at_its_loopback_names(client):
    assert client.get("/api/library", headers={"host": f"localhost:{PORT}"}).status_code == 200
    assert client.get("/api/library", headers={"host": f"[::1]:{PORT}"}).status_code == 200


@pytest.mark.parametrize("origin", ["http://evil.example", "null", f"http://127.0.0.1:{PORT + 1}",
                                    f"https://127.0.0.1:{PORT}"])
def test_state_changes_from_a_foreign_origin_get_403(client, library, origin):
    shutil.copy(library / DUET_NAME, library / "keep.npy")
    headers = {"origin": origin}
    assert client.post("/api/library/delete", json={"path": "keep.npy"}, headers=headers).status_code == 403
    assert client.post("/api/motions", files={"file": ("x.npy", b"1")}, headers=headers).status_code == 403
    assert generate(client, n=1).status_code == 200  # the same request from nowhere foreign works
    assert (library / "keep.npy").is_file()
    ok = client.post("/api/library/delete", json={"path": "keep.npy"}, headers={"origin": BASE})
    assert ok.status_code == 200


def test_cross_site_reads_of_the_api_are_refused_but_the_page_opens(client):
    assert client.get("/api/library", headers={"sec-fetch-site": "cross-site"}).status_code == 403
    assert client.get("/", headers={"sec-fetch-site": "cross-site"}).status_code == 200


def test_what_a_killed_studio_left_half_done_is_cleared_at_start(tmp_path):
    from pasdeux.studio.library import Library

    staging = tmp_path / ".pasdeux-studio" / "uploads"
    staging.mkdir(parents=True)
    (staging / "upload-abc.npy").write_bytes(b"\x93NUMPY half")
    (tmp_path / "kept.npy").write_bytes(b"x")
    Library(tmp_path)
    assert not staging.exists() and (tmp_path / "kept.npy").exists()

"""Duets in the studio: a partner for a chosen leader (its real partner as the ghost), whole duets, duet
variations, each kept with provenance and made again exactly, and the influence heatmap beside them."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from fastapi.testclient import TestClient

import pasdeux
from pasdeux.studio import create_app

PORT = 8425
DUET_NAME = "duet_ilya_hannah.npy"
PHRASE = {"path": DUET_NAME, "dancer": 1, "start": 600, "frames": 96}


@pytest.fixture(scope="module")
def library(tmp_path_factory, tiny_duet_run, tiny_run, shared_data):
    lib = tmp_path_factory.mktemp("library")
    shutil.copytree(tiny_duet_run, lib / "runs" / "duet")
    shutil.copytree(tiny_run, lib / "runs" / "solo")
    shutil.copy(shared_data / DUET_NAME, lib / DUET_NAME)
    return lib


@pytest.fixture(scope="module")
def client(library):
    with TestClient(create_app(library, port=PORT), base_url=f"http://127.0.0.1:{PORT}") as c:
        yield c


def generate(client, **body):
    return client.post("/api/generate", json={"mode": "partner", "model": "runs/duet", "sigma": 0.5, "n": 2,
                                              "seed": 3, "source": PHRASE, **body})


def test_the_duet_model_is_listed_as_one(client):
    model = next(m for m in client.get("/api/library").json()["models"] if m["path"] == "runs/duet")
    assert model["family"] == "duet" and model["trained"]


def test_a_partner_answers_the_chosen_leader_beside_its_real_partner(client, library, duet):
    r = generate(client)
    assert r.status_code == 200, r.text
    out = r.json()
    result = pasdeux.load(library / out["motion"]["path"])
    assert result.positions.shape == (3, 96, 29, 3) and result.labels == ("lead", "partner 1", "partner 2")
    np.testing.assert_allclose(result.positions[0], duet.positions[1, 600:696], atol=1e-4)  # dancer 2 leads
    assert not np.allclose(result.positions[1], result.positions[2])  # two different answers
    prov = out["provenance"]
    assert (prov["mode"], prov["direction"], prov["lead_dancer"], prov["sigma"], prov["seed"]) == \
        ("partner", "b2a", 1, 0.5, 3)
    assert (prov["source"], prov["source_dancer"], prov["source_start"], prov["model"]) == \
        (DUET_NAME, 1, 600, "runs/duet")
    ghosts = [f for f in out["payload"]["figures"] if f["ghost"]]
    assert [f["label"] for f in ghosts] == ["real partner"]
    again = client.post("/api/generate/again", json={"path": out["motion"]["path"]}).json()
    assert again["identical"] is True
    shown = client.get("/api/motions/payload", params={"path": out["motion"]["path"], "with_source": True}).json()
    assert [f["label"] for f in shown["figures"] if f["ghost"]] == ["real partner"]  # also when opened later


def test_the_leader_can_be_named_explicitly(client, library, duet):
    r = generate(client, direction="a2b", source={**PHRASE, "dancer": 0}, n=1)
    assert r.status_code == 200, r.text
    result = pasdeux.load(library / r.json()["motion"]["path"])
    np.testing.assert_allclose(result.positions[0], duet.positions[0, 600:696], atol=1e-4)
    assert r.json()["provenance"]["direction"] == "a2b"


@pytest.mark.parametrize("body, dancers", [({"mode": "duet_prior", "n": 2, "seconds": 3}, 4),
                                           ({"mode": "duet_variations", "n": 2}, 4)])
def test_whole_duets_and_duet_variations(client, library, body, dancers):
    r = generate(client, **body)
    assert r.status_code == 200, r.text
    motion = pasdeux.load(library / r.json()["motion"]["path"])
    assert motion.n_dancers == dancers and np.isfinite(motion.positions).all()
    assert client.post("/api/generate/again", json={"path": r.json()["motion"]["path"]}).json()["identical"]


def test_solo_and_duet_models_refuse_each_others_modes(client):
    r = generate(client, model="runs/solo")
    assert r.status_code == 400 and "duet model" in r.json()["detail"]
    r = generate(client, mode="variations")
    assert r.status_code == 400 and "is a duet model" in r.json()["detail"]
    assert generate(client, n=1).status_code == 200  # and the server keeps serving


def test_the_influence_heatmap_of_the_duet_model(client):
    r = client.post("/api/influence", json={"model": "runs/duet", "path": DUET_NAME, "direction": "b2a"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["direction"] == "b2a" and out["windows"] > 0 and len(out["top"]) >= 5
    assert len(out["leader_importance"]) == 29 and max(out["leader_importance"]) == pytest.approx(1.0)
    png = client.get("/api/influence/plot", params={"id": out["id"]})
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    again = client.post("/api/influence", json={"model": "runs/duet", "path": DUET_NAME, "direction": "b2a"})
    assert again.json()["id"] == out["id"] and again.json()["top"] == out["top"]  # computed once per version
    assert client.post("/api/influence", json={"model": "runs/solo", "path": DUET_NAME}).status_code == 400
    assert client.get("/api/influence/plot", params={"id": "0" * 16}).status_code == 404

"""`pasdeux demo`, the README's main job: every promised result is written and readable."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

import pasdeux
from pasdeux.cli import main


def test_demo_writes_every_result(shared_data, tmp_path, capsys):
    out = tmp_path / "demo"
    data = shared_data / "duet_ilya_hannah.npy"
    assert main(["demo", "--data", str(data), "--out", str(out), "--budget-s", "8", "--long-seconds", "12",
                 "--duet-data", str(shared_data / "cmu_salsa"), "--duet-budget-s", "8"]) == 0
    printed = capsys.readouterr().out
    assert str(out.resolve()) in printed and "long_form.html" in printed

    for name in ("variations_sigma0.25.gif", "variations_sigma0.5.gif", "variations_sigma1.gif", "prior.gif",
                 "long_form.gif", "long_form.html", "report/report.md", "report/speed.png",
                 "run/model/model.safetensors", "run/loss_curves.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 1000, name

    long = pasdeux.load(out / "long_form.bvh")
    assert long.n_frames == 12 * 30 and np.isfinite(long.positions).all()
    variations = pasdeux.load(out / "variations_sigma0.5.npz")
    assert variations.n_dancers == 3
    assert Image.open(out / "prior.gif").n_frames == 4 * 30

    report = json.loads((out / "report" / "report.json").read_text())
    assert {"prior samples", "long-form", "variations (sigma 0.5)"} <= set(report["rows"])
    assert np.isfinite(report["rows"]["long-form"]["fid_k"])
    summary = json.loads((out / "demo.json").read_text())
    assert summary["figures"]["gen_realtime_factor"] > 0

    for name in ("partner_13.gif", "partner_13.html", "partner_14.html", "influence.png", "influence.json",
                 "report/report.md", "run/model/model.safetensors"):
        assert (out / "duet" / name).is_file() and (out / "duet" / name).stat().st_size > 1000, name
    influence = json.loads((out / "duet" / "influence.json").read_text())
    assert influence["parts"]["leader_parts"][:3] == ["head", "torso", "pelvis"]  # the part map the PNG draws
    partner = pasdeux.load(out / "duet" / "partner_13.npz")
    assert partner.labels == ("lead", "partner") and partner.provenance["mode"] == "partner"
    duet_report = json.loads((out / "duet" / "report" / "report.json").read_text())
    assert np.isfinite(duet_report["rows"]["partner for 13 (a2b)"]["fid_cd"])
    assert '"highlight"' in (out / "duet" / "partner_13.html").read_text()

"""The studio end to end in real headless Chromium: `pasdeux studio` on a temporary library; upload the shared duet,
play it, select a phrase, generate three sigma-0.5 variations, compare, train and stop a run, download a BVH.

Screenshots are kept in test-artifacts/studio/ (or $PASDEUX_TEST_ARTIFACTS/studio); the test prints the folder.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

import pasdeux
from test_viz_browser import ARGS, CHROMIUM, hue_count

REPO = Path(__file__).resolve().parents[1]
DUET_NAME = "duet_ilya_hannah.npy"
TINY = "model.hidden=16\nmodel.latent_channels=8\ndata.stride=24\ntrain.batch_size=16\ntrain.prior_samples=16\n" \
       "train.checkpoint_every_steps=2\ntrain.val_every_steps=4\ntrain.log_every_steps=1"


@pytest.fixture(scope="module")
def artifacts() -> Path:
    folder = Path(os.environ.get("PASDEUX_TEST_ARTIFACTS", REPO / "test-artifacts")) / "studio"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture(scope="module")
def studio(tmp_path_factory, tiny_run, tiny_duet_run):
    """`pasdeux studio` serving a fresh library (with tiny solo and duet models) on a free port; stopped with Ctrl-C."""
    lib = tmp_path_factory.mktemp("library")
    shutil.copytree(tiny_run, lib / "runs" / "tiny")
    shutil.copytree(tiny_duet_run, lib / "runs" / "duet")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "pasdeux", "studio", "--library", str(lib), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read() if proc.poll() else "no answer"
        time.sleep(0.2)
    yield url, lib
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "pasdeux studio stopped" in out, out[-3000:]
    left = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(lib) not in left  # no worker or training process outlives the studio


@pytest.fixture(scope="module")
def page(studio):
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: install it with `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    url, _ = studio
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ctx = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
        pg = ctx.new_page()
        pg.requests, pg.errors, pg.failed = [], [], []
        pg.on("request", lambda r: pg.requests.append(r.url))
        pg.on("response", lambda r: pg.failed.append((r.request.method, r.url.split("?")[0], r.status))
              if r.status >= 400 else None)
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))
        # A refused request is logged as a console error too; those are checked through pg.failed instead.
        pg.on("console", lambda m: pg.errors.append(m.text)
              if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
        pg.goto(url)
        pg.wait_for_selector("body[data-ready=true]", timeout=30000)
        yield pg
        browser.close()


def until(page, expression: str, timeout: float = 30) -> None:
    """Wait until a JS expression is true. (Playwright's wait_for_function evaluates strings, which the studio's
    Content-Security-Policy forbids, as it should; page.evaluate goes through the debugger protocol instead.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {expression}"
        time.sleep(0.1)


def viewer_state(page) -> dict:
    return page.evaluate("window.studioViewer.state()")


def shot(page, artifacts: Path, name: str) -> np.ndarray:
    """Save a screenshot of the whole studio; return the viewer's pixels (RGB) for checks."""
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.screenshot(path=str(artifacts / f"{name}.png"))
    img = Image.open(io.BytesIO(page.locator("#viewer").screenshot())).convert("RGB")
    return np.asarray(img).astype(int)[50:-60]


def confirm(page, button: str, done: str) -> None:
    """Answer a button's question (asked on its first click, answered by a second within 6 s) and wait for `done`;
    on a busy machine the question may lapse between reading it and the second click, so it is asked again."""
    for _ in range(3):
        if "?" not in page.inner_text(button):
            page.click(button)
        page.click(button)
        try:
            page.wait_for_selector(done, state="attached", timeout=10000)
            return
        except Exception:  # noqa: BLE001 - the question lapsed: ask again
            continue
    raise AssertionError(f"{button} did not do what it asked")


def test_a_choreographer_session_end_to_end(page, studio, artifacts, shared_data, tmp_path, capsys):
    url, lib = studio
    with capsys.disabled():
        print(f"\nstudio screenshots: {artifacts}")
    # upload the shared duet; it is listed and starts playing
    page.set_input_files("#upload-input", str(shared_data / DUET_NAME))
    page.wait_for_selector(f"#motion-list li[data-path='{DUET_NAME}'].current", timeout=30000)
    until(page, "window.studioViewer && window.studioViewer.state().frames === 1800", 30)
    until(page, "window.studioViewer.state().frame > 15", 20)
    assert viewer_state(page)["playing"] and viewer_state(page)["dancersVisible"] == [True, True]
    assert "2 dancers · 60.0 s (1800 frames) · hybrik29" in page.inner_text("#motion-list")
    assert "pelvis distance" in page.inner_text("#info-text")
    img = shot(page, artifacts, "1-duet-playing")
    assert hue_count(img, "blue") > 300 and hue_count(img, "orange") > 300

    # select a phrase by dragging on the timeline, then make it exactly 64 frames from frame 300
    box = page.locator("#track").bounding_box()
    x = lambda f: box["x"] + box["width"] * (f + 0.5) / 1800  # noqa: E731
    page.mouse.move(x(300), box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(x(330), box["y"] + box["height"] / 2, steps=5)
    page.mouse.move(x(363), box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    # the page speaks seconds: 300 frames at 30 fps is 10 s, 64 frames 2.13 s. (Read once the page has handled the
    # drag: on a loaded machine one fresh-clone run read the boxes still at the phrase before it, 0 s.)
    until(page, "document.querySelector('#sel-start').value !== '0'", 10)
    start, length = float(page.input_value("#sel-start")), float(page.input_value("#sel-length"))
    assert abs(start * 30 - 300) <= 2 and abs(length * 30 - 64) <= 3
    page.fill("#sel-start", "10")
    page.dispatch_event("#sel-start", "change")
    page.fill("#sel-length", "2.13")
    page.dispatch_event("#sel-length", "change")
    assert "frames 300–364" in page.inner_text("#sel-time")
    page.click("#sel-play")  # plays the phrase in a loop: it reaches the phrase's end and wraps to its start
    seen, deadline = [], time.monotonic() + 60
    while not (seen and max(seen) > 340 and seen[-1] < 320) and time.monotonic() < deadline:
        seen.append(viewer_state(page)["frame"])
        time.sleep(0.05)
    # The loop is kept by the page between the viewer's own ticks, so one tick (at most 0.25 s, 8 frames on a
    # slow headless renderer) may show past the phrase's end before it wraps.
    assert max(seen) > 340 and seen[-1] < 320 and all(300 <= f < 364 + 8 for f in seen), seen
    assert viewer_state(page)["playing"]
    shot(page, artifacts, "2-phrase-selected")

    # three variations at sigma 0.5 with the tiny model; they play beside the phrase as ghosts
    page.select_option("#gen-model", "runs/tiny")
    page.select_option("#gen-mode", "variations")
    page.locator("#gen-sigma").evaluate("(el) => { el.value = '0.5'; el.dispatchEvent(new Event('input')); }")
    page.fill("#gen-n", "3")
    page.click("#gen-button")
    page.wait_for_selector("#gen-results li", timeout=60000)
    until(page, "window.studioViewer.state().frames === 64", 30)
    st = viewer_state(page)
    assert st["dancersVisible"] == [True, True, True] and st["ghostVisible"]
    page.evaluate("window.studioViewer.pause(); window.studioViewer.seek(32)")
    img = shot(page, artifacts, "3-variations-sigma0.5")
    assert hue_count(img, "blue") > 200 and hue_count(img, "orange") > 200 and hue_count(img, "pink") > 100
    result = next((lib / "generated").glob("variations-*.npz"))
    assert pasdeux.load(result).positions.shape == (3, 64, 29, 3)
    assert "sigma 0.5" in page.inner_text("#gen-results")
    page.select_option("#ghost-select", "")  # the ghost overlay can be turned off and chosen
    until(page, "window.studioViewer.state().frames === 64 && !window.studioViewer.state().ghostVisible")
    page.select_option("#ghost-select", "@source")
    until(page, "window.studioViewer.state().ghostVisible && window.studioViewer.state().dancersVisible.length === 3")

    # a generation that cannot run says why, in the page
    page.select_option("#gen-mode", "interpolate")
    page.click("#gen-button")
    page.wait_for_selector("#gen-status.error", timeout=20000)
    assert "phrases A and B" in page.inner_text("#gen-status")
    page.select_option("#gen-mode", "variations")

    # compare the result with its source: the evaluate table and plots
    page.click(".tabs button[data-tab=compare]")
    until(page, "document.querySelector('#cmp-result').value.startsWith('generated/')")
    page.click("#cmp-button")
    page.wait_for_selector("#cmp-table table.report", timeout=120000)
    until(page, "[...document.querySelectorAll('#cmp-plots img')].every(i => i.complete && "
                           "i.naturalWidth > 100)", 30)
    assert "fid_k" in page.inner_text("#cmp-table") and "real first half" in page.inner_text("#cmp-table")
    # each figure says what it means and which way is better, beside the floor
    fid = page.inner_text("#cmp-table tr[data-metric=fid_k]")
    assert "dynamics" in fid and "lower" in fid
    assert "shaky" in page.inner_text("#cmp-table tr[data-metric=jitter_ratio]")
    assert page.locator("#cmp-table tr[data-metric=contact_rate]").count() == 0  # a duet-only figure, solo result
    shot(page, artifacts, "4-compare")
    page.click("#cmp-plots a >> nth=0")  # a plot opens full size over the page, and closes on a click
    page.wait_for_selector(".lightbox img", timeout=5000)
    shot(page, artifacts, "4b-plot-full-size")
    page.click(".lightbox")
    assert page.locator(".lightbox").count() == 0

    # download the result as BVH: it loads back as the same three dancers
    page.click(".tabs button[data-tab=export]")
    with page.expect_download(timeout=60000) as dl:
        page.click("#exp-links a[data-format=bvh]")
    bvh = tmp_path / dl.value.suggested_filename
    dl.value.save_as(bvh)
    assert bvh.suffix == ".bvh"
    back = pasdeux.load(bvh)
    assert back.positions.shape == (3, 64, 29, 3)
    np.testing.assert_allclose(back.positions, pasdeux.load(result).positions, atol=1e-3)

    # a partner for the phrase's dancer with the duet model, beside the real partner, and the influence heatmap
    page.click(".tabs button[data-tab=generate]")
    page.select_option("#gen-model", "runs/duet")
    assert page.input_value("#gen-mode") == "partner"  # a duet model offers the duet modes
    page.fill("#gen-n", "1")
    page.click("#gen-button")
    until(page, "window.studioViewer.state().dancersVisible.length === 2 && window.studioViewer.state().ghostVisible",
          60)
    page.wait_for_selector("#gen-influence:not([hidden])", timeout=120000)
    until(page, "document.querySelector('#gen-influence-img').complete && "
                "document.querySelector('#gen-influence-img').naturalWidth > 100", 30)
    page.evaluate("window.studioViewer.pause(); window.studioViewer.seek(32)")
    img = shot(page, artifacts, "5-partner")
    assert hue_count(img, "blue") > 200 and hue_count(img, "orange") > 200
    assert "→" in page.inner_text("#gen-influence-top")
    assert page.input_value("#ghost-select") == "@source"  # "the real partner"
    partner = next((lib / "generated").glob("partner-*.npz"))
    assert pasdeux.load(partner).labels == ("lead", "partner")

    # start a short training run, watch it, stop it
    page.click(".tabs button[data-tab=train]")
    page.check(f"#train-files input[value='{DUET_NAME}']")
    page.fill("#train-epochs", "10000")
    page.fill("#train-name", "studio-run")
    page.fill("#train-overrides", TINY)
    page.click("#train-start")
    until(page, "document.querySelector('#run-state').textContent.startsWith('running')", 30)
    until(page, "/step ([4-9]|\\d\\d)/.test(document.querySelector('#run-state').textContent)", 240)
    assert "running" in page.inner_text("#model-list li[data-path='runs/studio-run']")
    assert not page.is_disabled("#run-stop")
    shot(page, artifacts, "6-training")
    page.click("#run-stop")
    until(page, "document.querySelector('#run-state').textContent.startsWith('stopped')", 60)
    assert not page.is_disabled("#run-resume")  # it has a checkpoint to continue from
    shot(page, artifacts, "7-training-stopped")

    # a video of a dancer: extracted with progress, its motion joins the library and plays
    from pasdeux.extract import synthetic

    video = synthetic.write(tmp_path / "rehearsal.mp4", synthetic.frames(30, people=1))
    page.click("#video-box summary")
    page.select_option("#video-model", "lite")
    page.set_input_files("#video-input", str(video))
    until(page, "document.querySelector('#video-status').textContent.startsWith('extracted')", 300)
    until(page, "window.studioViewer.state().frames === 30", 30)
    # the photograph shows head and shoulders: the page says the legs are made up, not the dancer's
    assert "legs were seen in only" in page.inner_text("#video-status")
    assert "warning" in page.get_attribute("#video-status", "class")
    assert "parts not seen" in page.inner_text("#motion-list li[data-path='extracted/rehearsal.npz']")
    until(page, "document.querySelector('#info-provenance .warning') !== null")
    assert "mediapipe33" in page.inner_text("#motion-list li[data-path='extracted/rehearsal.npz']")
    shot(page, artifacts, "8-video-extracted")

    origin = url.rstrip("/")
    assert [u for u in page.requests if not u.startswith((origin, "data:", "blob:"))] == []
    assert page.errors == []
    assert page.failed == [("POST", f"{origin}/api/generate", 400)]  # only the interpolation without phrases


def test_the_result_is_what_delete_acts_on_and_the_trash_gives_it_back(page, studio, artifacts, duet, tmp_path):
    url, lib = studio
    take = tmp_path / "trapduet.npy"
    np.save(take, np.asarray(duet.positions, dtype=np.float32))
    page.set_input_files("#upload-input", str(take))
    page.wait_for_selector("#motion-list li[data-path='trapduet.npy'].current", timeout=30000)
    until(page, "window.studioViewer && window.studioViewer.state().frames === 1800", 30)
    for field, value in (("#sel-start", "10"), ("#sel-length", "2.13")):
        page.fill(field, value)
        page.dispatch_event(field, "change")
    page.click(".tabs button[data-tab=generate]")
    page.select_option("#gen-model", "runs/tiny")
    page.select_option("#gen-mode", "variations")
    page.fill("#gen-n", "2")
    page.click("#gen-button")
    page.wait_for_selector("#gen-results li[data-path*='trapduet']", timeout=60000)
    result = page.get_attribute("#gen-results li[data-path*='trapduet']", "data-path")
    # the info panel, the rename box, the highlighted entry and Delete all point at the result, not the source
    until(page, f"document.querySelector('#info-title').textContent === {result!r}")
    assert page.input_value("#rename-input") == result.split("/")[-1]
    until(page, f"document.querySelector('#motion-list li.current')?.dataset.path === {result!r}")
    page.click("#delete-button")
    question = page.inner_text("#delete-button")
    assert result.split("/")[-1] in question and "trash" in question  # the confirmation names the file
    shot(page, artifacts, "9-delete-names-the-result")
    confirm(page, "#delete-button", f"#trash-list li[data-path='{result}']")
    assert not (lib / result).exists() and (lib / "trapduet.npy").is_file()  # the source recording is untouched
    assert page.locator(f"#motion-list li[data-path='{result}']").count() == 0
    page.click("#trash-box summary")
    shot(page, artifacts, "10-trash")
    page.click(f"#trash-list li[data-path='{result}'] button.restore")
    page.wait_for_selector(f"#motion-list li[data-path='{result}']", timeout=20000)
    assert (lib / result).is_file()

    # the source, deleted on purpose, waits in the trash until the trash is emptied (which asks, with a count)
    page.click("#motion-list li[data-path='trapduet.npy']")
    until(page, "document.querySelector('#info-title').textContent === 'trapduet.npy'")
    until(page, "window.studioViewer && window.studioViewer.state().frames === 1800", 30)
    page.click("#delete-button")
    assert "trapduet.npy" in page.inner_text("#delete-button")
    page.click("#delete-button")
    page.wait_for_selector("#trash-list li[data-path='trapduet.npy']", state="attached", timeout=20000)
    assert page.locator("#viewer canvas").count() == 0  # the deleted motion is not left playing
    page.click("#trash-empty")
    assert page.inner_text("#trash-empty") == "Delete 1 item for good?"
    page.click("#trash-empty")
    until(page, "document.querySelector('#trash-summary').textContent === 'Trash (empty)'")
    assert not (lib / "trapduet.npy").exists() and not list((lib / ".pasdeux-studio" / "trash").iterdir())


def test_a_motion_that_cannot_be_shown_leaves_nothing_stale_on_the_stage(page, studio, artifacts, duet, shared_data):
    import dataclasses

    url, lib = studio
    if not (lib / DUET_NAME).exists():
        shutil.copy(shared_data / DUET_NAME, lib / DUET_NAME)
    record = {"tool": "pasdeux studio", "mode": "variations", "model": "runs/tiny", "source": DUET_NAME,
              "source_dancer": 0, "source_start": "zero", "source_frames": 64, "sigma": 0.5, "n": 1, "seed": 0}
    pasdeux.save(dataclasses.replace(duet.frames(0, 80), provenance=record), lib / "edited.npz")
    page.reload()  # the page lists the file written beside it
    page.wait_for_selector("body[data-ready=true]", timeout=30000)
    page.click(f"#motion-list li[data-path='{DUET_NAME}']")
    until(page, "window.studioViewer && window.studioViewer.state().frames === 1800", 30)
    page.click("#motion-list li[data-path='edited.npz']")
    page.wait_for_selector("#viewer .empty.error", timeout=20000)
    text = page.inner_text("#viewer")
    assert "edited.npz cannot be shown" in text and "source_start" in text
    assert page.locator("#viewer canvas").count() == 0
    shot(page, artifacts, "11-malformed-provenance")
    (lib / "edited.npz").unlink()


def test_a_phrase_is_set_in_seconds_and_keeps_them_on_a_file_at_another_rate(page, studio, artifacts, duet):
    import dataclasses

    url, lib = studio
    pasdeux.save(dataclasses.replace(duet.frames(0, 960), fps=120.0), lib / "take120.npz")  # 8 s at 120 fps
    pasdeux.save(duet.frames(0, 240), lib / "take30.npz")  # 8 s at 30 fps
    page.reload()
    page.wait_for_selector("body[data-ready=true]", timeout=30000)
    page.click("#motion-list li[data-path='take120.npz']")
    until(page, "window.studioViewer && window.studioViewer.state().frames === 960", 30)
    for field, value in (("#sel-start", "1"), ("#sel-length", "2")):
        page.fill(field, value)
        page.dispatch_event(field, "change")
    page.click(".tabs button[data-tab=export]")
    page.check("#exp-phrase")
    href = page.get_attribute("#exp-links a[data-format=npz]", "href")
    assert "start=120&frames=240" in href, href  # 1 s to 3 s of a 120 fps take
    assert "1.00 s – 3.00 s" in page.inner_text("#exp-what")
    shot(page, artifacts, "12-phrase-in-seconds-120fps")
    page.click("#motion-list li[data-path='take30.npz']")
    until(page, "window.studioViewer && window.studioViewer.state().frames === 240", 30)
    # the same seconds, so the same span of the dance: 30 frames from frame 30 at 30 fps
    assert page.input_value("#sel-start") == "1" and page.input_value("#sel-length") == "2"
    href = page.get_attribute("#exp-links a[data-format=npz]", "href")
    assert "start=30&frames=60" in href, href
    assert "frames 30–90 at 30 fps" in page.inner_text("#sel-time")
    page.click(".tabs button[data-tab=generate]")
    page.select_option("#gen-model", "runs/tiny")
    page.select_option("#gen-mode", "variations")
    assert "take30.npz, dancer 1, 1.00 s – 3.00 s" in page.inner_text("#gen-phrases")
    shot(page, artifacts, "13-phrase-in-seconds-30fps")


def test_a_transition_marks_phrase_a_the_bridge_and_phrase_b(page, studio, artifacts, shared_data):
    url, lib = studio
    if not (lib / DUET_NAME).exists():
        shutil.copy(shared_data / DUET_NAME, lib / DUET_NAME)
        page.reload()
        page.wait_for_selector("body[data-ready=true]", timeout=30000)
    page.click(f"#motion-list li[data-path='{DUET_NAME}']")
    until(page, "window.studioViewer && window.studioViewer.state().frames === 1800", 30)
    for start, which in (("10", "a"), ("30", "b")):
        for field, value in (("#sel-start", start), ("#sel-length", "2.13")):
            page.fill(field, value)
            page.dispatch_event(field, "change")
        page.click(f"#sel-{which}")
    page.click(".tabs button[data-tab=generate]")
    page.select_option("#gen-model", "runs/tiny")
    page.select_option("#gen-mode", "transition")
    page.fill("#gen-bridge", "2")
    page.click("#gen-button")
    page.wait_for_selector("#gen-results li[data-path^='generated/transition-']", timeout=60000)
    rel = page.get_attribute("#gen-results li[data-path^='generated/transition-']", "data-path")
    result = pasdeux.load(lib / rel)
    total = result.n_frames
    until(page, f"window.studioViewer.state().frames === {total}", 30)
    bridge = total - 128  # the two 64-frame phrases around it
    assert bridge >= 60  # 2 s at 30 fps, rounded up to whole latent steps
    assert [(s["name"], s["start"], s["end"]) for s in result.provenance["sections"]] == [
        ("phrase A", 0, 64), ("bridge", 64, 64 + bridge), ("phrase B", 64 + bridge, total)]
    # the timeline marks the three parts where they are
    track = page.locator("#track").bounding_box()
    for name, start, end in (("phrase A", 0, 64), ("bridge", 64, 64 + bridge), ("phrase B", 64 + bridge, total)):
        mark = page.locator(f"#marks .mark[data-section='{name}']")
        assert name in mark.inner_text()
        box = mark.bounding_box()
        assert abs(box["x"] - track["x"] - track["width"] * start / total) < 3
        assert abs(box["width"] - track["width"] * (end - start) / total) < 3
    until(page, f"document.querySelector('#info-title').textContent === {rel!r}")
    until(page, "document.querySelector('#info-provenance .sections') !== null")
    text = page.inner_text("#info-provenance .sections")
    assert text.startswith("phrase A 0.00 s – 2.13 s · bridge 2.13 s")
    assert f"phrase B {(64 + bridge) / 30:.2f} s" in text
    page.evaluate("window.studioViewer.pause(); window.studioViewer.seek(90)")
    shot(page, artifacts, "14-transition-marked")


def test_the_loss_chart_shows_train_and_validation_each_readable(page, studio, artifacts):
    import json

    url, lib = studio
    run = lib / "runs" / "curves"
    (run / "logs" / "version_0").mkdir(parents=True)
    (run / "status.json").write_text(json.dumps({"state": "done", "step": 400, "elapsed_s": 60}))
    rows = ["step,train_loss,val_recon_mse"]
    for step in range(0, 401, 10):  # train falls from 10 to about 0.1; validation from 0.050 to 0.040
        val = f"{0.05 - 0.01 * step / 400:.5f}" if step % 50 == 0 else ""
        rows.append(f"{step},{10 * np.exp(-step / 30) + 0.1:.5f},{val}")
    (run / "logs" / "version_0" / "metrics.csv").write_text("\n".join(rows) + "\n")
    page.reload()
    page.wait_for_selector("body[data-ready=true]", timeout=30000)
    page.click("#model-list li[data-path='runs/curves']")
    until(page, "document.querySelector('#run-state').textContent.startsWith('done')", 30)
    # How tall each curve is drawn, read from the canvas's pixels in its own colour.
    extents = page.evaluate("""() => {
      const c = document.querySelector('#run-chart'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const near = (i, rgb) => Math.abs(d[i] - rgb[0]) + Math.abs(d[i + 1] - rgb[1]) + Math.abs(d[i + 2] - rgb[2]) < 60
        && d[i + 3] > 200;
      const out = {};
      for (const [name, rgb] of [['train', [31, 95, 191]], ['val', [224, 123, 31]]]) {
        const rows = [];
        for (let y = 0; y < c.height; y++) {
          for (let x = 0; x < c.width; x++) if (near(4 * (y * c.width + x), rgb)) { rows.push(y); break; }
        }
        out[name] = rows.length ? (Math.max(...rows) - Math.min(...rows)) / c.height : 0;
      }
      return out;
    }""")
    # Each curve fills most of its own panel (half the chart): a fall of a fifth is as visible as one of 100 times.
    assert extents["train"] > 0.3 and extents["val"] > 0.3, extents
    page.locator("#run-chart").screenshot(path=str(artifacts / "15-loss-chart.png"))
    shot(page, artifacts, "15b-train-panel")


DUET_TINY = "model.hidden=24\nmodel.latent_channels=8\nmodel.partner_channels=8\ndata.stride=8\ntrain.batch_size=8"


@pytest.mark.slow  # a duet model on the 57-joint salsa skeleton: validating it takes minutes on a 2-core CPU
def test_a_duet_from_two_paired_bvh_files_trained_and_answered_from_the_page(page, studio, artifacts, shared_data):
    url, lib = studio
    for name in ("60_02.bvh", "61_02.bvh", "60_03.bvh"):
        shutil.copy(shared_data / "cmu_salsa" / name, lib / name)
    page.reload()
    page.wait_for_selector("body[data-ready=true]", timeout=30000)
    page.click("#pair-box summary")
    # two takes that are not one couple are refused before anything is written, saying why
    page.select_option("#pair-a", "60_02.bvh")
    page.select_option("#pair-b", "60_03.bvh")
    page.click("#pair-button")
    page.wait_for_selector("#pair-status.error", timeout=30000)
    assert "frames" in page.inner_text("#pair-status") and "nothing was written" in page.inner_text("#pair-status")
    shot(page, artifacts, "16-pair-refused")
    assert not (lib / "duets").exists() or not list((lib / "duets").iterdir())
    page.select_option("#pair-b", "61_02.bvh")
    page.click("#pair-button")
    duet = "duets/60_02+61_02.npz"
    page.wait_for_selector(f"#motion-list li[data-path='{duet}'].current", timeout=60000)
    until(page, "window.studioViewer && window.studioViewer.state().dancersVisible.length === 2", 30)
    shot(page, artifacts, "17-paired-duet")

    # the Train panel is ready for the duet recipe on the pair; a short budgeted run trains a duet model
    page.click(".tabs button[data-tab=train]")
    assert page.input_value("#train-recipe") == "duet"
    assert page.is_checked(f"#train-files input[value='{duet}']")
    assert page.locator("#train-files input:checked").count() == 1
    page.fill("#train-epochs", "1")
    page.fill("#train-name", "salsa-duet")
    page.fill("#train-overrides", DUET_TINY)
    page.click("#train-start")
    until(page, "document.querySelector('#run-title').textContent === 'runs/salsa-duet'", 30)
    until(page, "/^(done|failed)/.test(document.querySelector('#run-state').textContent)", 900)
    assert page.inner_text("#run-state").startswith("done"), page.inner_text("#run-state")
    shot(page, artifacts, "18-duet-trained")

    # a partner for dancer 1 of the pair, from the model just trained
    page.click(f"#motion-list li[data-path='{duet}']")
    until(page, "window.studioViewer && window.studioViewer.state().dancersVisible.length === 2", 30)
    for field, value in (("#sel-start", "2"), ("#sel-length", "4")):
        page.fill(field, value)
        page.dispatch_event(field, "change")
    page.click(".tabs button[data-tab=generate]")
    until(page, "[...document.querySelectorAll('#gen-model option')].some(o => o.value === 'runs/salsa-duet')", 30)
    page.select_option("#gen-model", "runs/salsa-duet")
    assert page.input_value("#gen-mode") == "partner"
    page.fill("#gen-n", "1")
    page.click("#gen-button")
    page.wait_for_selector("#gen-results li[data-path^='generated/partner-60_02+61_02']", timeout=120000)
    rel = page.get_attribute("#gen-results li[data-path^='generated/partner-60_02+61_02']", "data-path")
    partner = pasdeux.load(lib / rel)
    assert partner.labels == ("lead", "partner") and partner.n_dancers == 2
    assert abs(partner.duration - 4) < 0.2 and np.isfinite(partner.positions).all()
    until(page, "window.studioViewer.state().dancersVisible.length === 2 && window.studioViewer.state().ghostVisible",
          60)
    page.evaluate("window.studioViewer.pause(); window.studioViewer.seek(30)")
    shot(page, artifacts, "19-partner-from-paired-duet")


def _with_duet(lib: Path, shared_data: Path) -> None:
    """The shared duet in the library (the session test uploads it; a test run on its own copies it)."""
    if not (lib / DUET_NAME).exists():
        shutil.copy(shared_data / DUET_NAME, lib / DUET_NAME)


def test_two_dancers_of_a_file_are_picked_for_the_duet_recipe(page, studio, artifacts, shared_data):
    url, lib = studio
    _with_duet(lib, shared_data)
    page.reload()
    page.wait_for_selector("body[data-ready=true]", timeout=30000)
    page.click("#pair-box summary")
    page.select_option("#pick-file", DUET_NAME)
    for field, value in (("#pick-a", "2"), ("#pick-b", "2")):
        page.fill(field, value)
    page.click("#pick-button")  # the same dancer twice: refused before anything is written, saying why
    page.wait_for_selector("#pick-status.error", timeout=30000)
    said = page.inner_text("#pick-status")
    assert "chosen twice" in said and "nothing was written" in said
    page.fill("#pick-b", "1")  # dancer 2 leads as dancer 1 of the new duet
    page.click("#pick-button")
    picked = "duets/duet_ilya_hannah-dancers2+1.npz"
    page.wait_for_selector(f"#motion-list li[data-path='{picked}'].current", timeout=60000)
    assert "dancer 2 of duet_ilya_hannah.npy is dancer 1" in page.inner_text("#pick-status")
    shot(page, artifacts, "20-dancers-picked")
    page.click(".tabs button[data-tab=train]")  # the Train panel is ready for the duet recipe on the couple
    assert page.input_value("#train-recipe") == "duet"
    assert page.is_checked(f"#train-files input[value='{picked}']")
    np.testing.assert_array_equal(pasdeux.load(lib / picked).positions, pasdeux.load(lib / DUET_NAME).positions[[1, 0]])


def test_a_partner_is_compared_with_the_real_couple_from_the_page(page, studio, artifacts, shared_data):
    url, lib = studio
    _with_duet(lib, shared_data)
    r = httpx.post(f"{url}api/generate", json={"mode": "partner", "model": "runs/duet", "n": 2, "seed": 5,
                                               "source": {"path": DUET_NAME, "dancer": 0, "start": 300,
                                                          "frames": 96}}, timeout=120)
    assert r.status_code == 200, r.text
    rel = r.json()["motion"]["path"]
    page.reload()
    page.wait_for_selector("body[data-ready=true]", timeout=30000)
    page.click(".tabs button[data-tab=compare]")
    page.select_option("#cmp-result", rel)
    page.select_option("#cmp-real", DUET_NAME)
    page.click("#cmp-button")
    page.wait_for_selector("#cmp-table tr[data-metric=fid_cd]", timeout=120000)
    heads = page.locator("#cmp-table th").all_inner_texts()
    assert any(h.endswith("couple 1") for h in heads) and any(h.endswith("couple 2") for h in heads)
    assert any("real first half" in h for h in heads)  # the real couple, scored the same way
    row = page.locator("#cmp-table tr[data-metric=fid_cd] td").all_inner_texts()
    assert "spacing" in row[0] and row[-1] == "lower"  # what it means and which way is better
    scored = [v for h, v in zip(heads, row) if "couple" in h or "first half" in h]
    assert len(scored) == 3 and all(float(v) > 0 for v in scored), row  # each couple beside the real one
    for duet_figure in ("responsiveness", "bed", "contact_rate"):
        assert page.locator(f"#cmp-table tr[data-metric={duet_figure}]").count() == 1
    shot(page, artifacts, "21-partner-compared")


# The case: a 60 s budget (on this 2-core machine shared by five engineers, preparing, validating once and
# finishing alone took 51 s of a 20 s run); the margin is tests/test_studio_training.py's.
BUDGET_S, BUDGET_MARGIN_S = 60, 15
PHASES = ("preparing", "validating", "fitting the prior", "scoring", "saving")  # what a run says when not stepping


@pytest.mark.slow  # a 60 s run with its start: over a minute
def test_a_budgeted_run_from_the_page_ends_within_its_budget_and_says_what_it_does(page, studio, artifacts,
                                                                                   shared_data):
    url, lib = studio
    _with_duet(lib, shared_data)
    page.reload()
    page.wait_for_selector("body[data-ready=true]", timeout=30000)
    page.click(".tabs button[data-tab=train]")
    page.select_option("#train-recipe", "default")
    for box in page.locator("#train-files input:checked").all():
        box.uncheck()
    page.check(f"#train-files input[value='{DUET_NAME}']")
    page.fill("#train-budget", str(BUDGET_S))
    page.fill("#train-epochs", "")
    page.fill("#train-name", "budgeted")
    page.fill("#train-overrides", TINY)
    # every text the run's status line shows, as it shows it
    page.evaluate("""() => { window.seenStates = [];
      new MutationObserver(() => window.seenStates.push(document.querySelector('#run-state').textContent))
        .observe(document.querySelector('#run-state'), { childList: true, characterData: true, subtree: true }); }""")
    page.click("#train-start")
    until(page, "document.querySelector('#run-title').textContent === 'runs/budgeted'", 30)
    shown = False
    deadline = time.monotonic() + 600
    while not page.evaluate("/^(done|failed)/.test(document.querySelector('#run-state').textContent)"):
        assert time.monotonic() < deadline, page.inner_text("#run-state")
        if not shown and page.evaluate("/^running: /.test(document.querySelector('#run-state').textContent)"):
            shot(page, artifacts, "22-budgeted-run-not-stepping")
            shown = True
        time.sleep(0.2)
    assert page.inner_text("#run-state").startswith("done"), page.inner_text("#run-state")
    took = json.loads((lib / "runs" / "budgeted" / "status.json").read_text())["elapsed_s"]
    assert took <= BUDGET_S + BUDGET_MARGIN_S, f"a {BUDGET_S} s run took {took:.0f} s by its own clock"
    seen = page.evaluate("window.seenStates")
    said = [s for s in seen if s.startswith("running: ")]  # what it did when it was not stepping, in words
    assert said and all(any(w in s for w in PHASES) for s in said), seen
    assert any("preparing" in s for s in said) and any(w in s for s in said for w in PHASES[1:]), said
    assert not any(s.startswith("running ·") and f"of a {BUDGET_S} s budget" in s and
                   int(re.search(r"(\d+) s · of a", s)[1]) > BUDGET_S + BUDGET_MARGIN_S for s in seen), seen
    shot(page, artifacts, "23-budgeted-run-done")

"""The studio end to end in real headless Chromium: `pasdeux studio` on a temporary library; upload the shared duet,
play it, select a phrase, generate three sigma-0.5 variations, compare, train and stop a run, download a BVH.

Screenshots are kept in test-artifacts/studio/ (or $PASDEUX_TEST_ARTIFACTS/studio); the test prints the folder.
"""

from __future__ import annotations

import io
import os
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
    start, length = int(page.input_value("#sel-start")), int(page.input_value("#sel-frames"))
    assert abs(start - 300) <= 2 and abs(length - 64) <= 3
    page.fill("#sel-start", "300")
    page.dispatch_event("#sel-start", "change")
    page.fill("#sel-frames", "64")
    page.dispatch_event("#sel-frames", "change")
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
    for field, value in (("#sel-start", "300"), ("#sel-frames", "64")):
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
    if "trash?" not in page.inner_text("#delete-button"):  # the question lapsed while the screenshot was taken
        page.click("#delete-button")
    page.click("#delete-button")
    page.wait_for_selector(f"#trash-list li[data-path='{result}']", state="attached", timeout=20000)
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

"""The HTML viewer in real headless Chromium: offline, drawn, and every control doing what it says.

Needs Debian's `chromium` (apt-get install -y chromium); `.ci/run` installs it. Without it these tests fail.
"""

from __future__ import annotations

import io
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import pasdeux

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
        # A loaded CI machine can stall software WebGL past the GPU watchdog; after a few such kills Chromium
        # turns WebGL off for the session and every canvas stays blank while the pages' scripts run on.
        "--disable-gpu-watchdog", "--disable-gpu-process-crash-limit"]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("Chromium is missing: install it with `apt-get install -y chromium` (as root); the viewer "
                    "tests need a real browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
                              args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page_file(duet, tmp_path_factory) -> Path:
    ghost = duet.with_positions(np.roll(duet.positions, -20, axis=1))  # stands in for a generated phrase
    return pasdeux.animate(duet, ghost, out=tmp_path_factory.mktemp("viewer") / "duet.html", start=600, frames=90)


@pytest.fixture()
def page(browser, page_file):
    ctx = browser.new_context(viewport={"width": 900, "height": 600})
    pg = ctx.new_page()
    pg.requests, pg.errors = [], []
    pg.on("request", lambda r: pg.requests.append(r.url))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.goto(page_file.as_uri())
    pg.wait_for_function("window.pasdeuxViewer && window.pasdeuxViewer.state().frame >= 0", timeout=30000)
    pg.evaluate("window.pasdeuxViewer.pause(); window.pasdeuxViewer.seek(45)")
    pg.wait_for_function("window.pasdeuxViewer.state().frame === 45")
    yield pg
    assert not pg.errors, f"the page raised: {pg.errors}"
    ctx.close()


def state(page) -> dict:
    return page.evaluate("window.pasdeuxViewer.state()")


def pixels(page) -> np.ndarray:
    """The 3D stage as RGB (without the legend and control bar), after two animation frames so it is drawn."""
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB")).astype(int)[50:-60]


def hue_count(img: np.ndarray, kind: str) -> int:
    """Pixels of a colour family: the lit 3D figures shade, so test families, not exact colours."""
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    masks = {"blue": (b - r > 60) & (b - g > 30),  # dancer 1
             "orange": (r - b > 90) & (r - g > 40) & (g - b > 25),  # dancer 2
             "pink": (r - g > 40) & (b - g > 10) & (r > b)}  # ghost 1 (translucent magenta)
    return int(masks[kind].sum())


def test_loads_offline_with_no_network(page, page_file):
    allowed = {page_file.as_uri()}
    outside = [u for u in page.requests if u not in allowed and not u.startswith("data:")]
    assert outside == [], f"the viewer reached for the network: {outside}"


def test_canvas_shows_both_dancers_and_ghost(page):
    img = pixels(page)
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 200, "the canvas looks blank"
    assert hue_count(img, "blue") > 300
    assert hue_count(img, "orange") > 300
    assert hue_count(img, "pink") > 100


def test_play_advances_and_pause_stops(page):
    page.evaluate("window.pasdeuxViewer.seek(0); window.pasdeuxViewer.play()")
    page.wait_for_function("window.pasdeuxViewer.state().frame >= 10", timeout=10000)
    assert state(page)["playing"]
    page.click(".pdx-play")  # the button pauses too
    frozen = state(page)
    assert not frozen["playing"]
    page.wait_for_timeout(500)
    assert state(page)["frame"] == frozen["frame"]


def test_scrub_bar_and_keys_seek(page):
    page.locator(".pdx-scrub").evaluate("(el) => { el.value = 70; el.dispatchEvent(new Event('input')); }")
    page.wait_for_function("window.pasdeuxViewer.state().frame === 70")
    assert page.locator(".pdx-time").inner_text().endswith("71/90")
    page.focus(".pdx-viewer")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("window.pasdeuxViewer.state().frame === 69")


def test_ghost_and_dancer_toggles_hide_them(page):
    page.locator(".pdx-ghost input").uncheck()
    assert state(page)["ghostVisible"] is False
    assert hue_count(pixels(page), "pink") < 20
    page.locator(".pdx-chip input").first.uncheck()
    assert state(page)["dancersVisible"] == [False, True]
    img = pixels(page)
    assert hue_count(img, "blue") < 20
    assert hue_count(img, "orange") > 300


def test_speed_and_loop_controls(page):
    page.select_option(".pdx-speed", "2")
    assert state(page)["speed"] == 2
    page.locator(".pdx-loop input").uncheck()
    page.evaluate("window.pasdeuxViewer.seek(80); window.pasdeuxViewer.play()")
    page.wait_for_function("!window.pasdeuxViewer.state().playing", timeout=10000)
    assert state(page)["frame"] == 89  # stopped on the last frame instead of looping


def test_loop_wraps_to_the_start_at_normal_speed(page):
    # At slow speed a tick advances less than one frame (also on 60 Hz displays at speed 1): it must still wrap.
    assert state(page)["loop"]
    page.evaluate("window.pasdeuxViewer.setSpeed(0.25); window.pasdeuxViewer.seek(88); window.pasdeuxViewer.play()")
    page.wait_for_function("window.pasdeuxViewer.state().frame < 10", timeout=10000)
    assert state(page)["playing"]


def test_notebook_iframe_runs_the_viewer(browser, duet, tmp_path):
    """What Jupyter shows for `pasdeux.show(...)`: a sandboxed srcdoc iframe whose viewer plays."""
    cell = tmp_path / "notebook.html"
    cell.write_text("<html><body><p>Out[1]:</p>" + pasdeux.show(duet, frames=60)._repr_html_() + "</body></html>")
    ctx = browser.new_context(viewport={"width": 900, "height": 650})
    pg = ctx.new_page()
    requests = []
    pg.on("request", lambda r: requests.append(r.url))
    pg.goto(cell.as_uri())
    pg.wait_for_function("document.querySelector('iframe') !== null")
    frame = pg.frames[1]
    frame.wait_for_function("window.pasdeuxViewer && window.pasdeuxViewer.state().frame > 0", timeout=30000)
    assert frame.evaluate("window.pasdeuxViewer.state().playing")

    def both_dancers_drawn() -> bool:
        img = np.asarray(Image.open(io.BytesIO(pg.locator("iframe").screenshot())).convert("RGB")).astype(int)
        return hue_count(img[50:-60], "blue") > 300 and hue_count(img[50:-60], "orange") > 300

    # A busy machine may composite the first WebGL frames late: wait for a drawn frame, not a fixed time.
    deadline = time.monotonic() + 30
    while not both_dancers_drawn() and time.monotonic() < deadline:
        pg.wait_for_timeout(200)
    lost = frame.evaluate("(() => { const c = document.querySelector('canvas');"
                          " const gl = c && (c.getContext('webgl2') || c.getContext('webgl'));"
                          " return gl ? gl.isContextLost() : 'no context' })()")
    if not both_dancers_drawn():
        pg.screenshot(path=str(tmp_path / "notebook.png"))
    assert both_dancers_drawn(), (f"the iframe's viewer plays but draws no dancers (WebGL context lost: {lost}; "
                                  f"the page as drawn: {tmp_path / 'notebook.png'})")
    assert [u for u in requests if not u.startswith(("file:", "data:", "about:"))] == []
    ctx.close()


def test_viewer_laid_out_after_it_starts_frames_the_dancers(browser, duet, tmp_path):
    """A notebook output (or a hidden tab) can get its size only after the viewer has started: the camera is
    framed again for the real size, so the dancers fill the view instead of standing tiny in the distance."""
    cell = tmp_path / "hidden.html"
    cell.write_text('<html><body><div id="out" style="width:0;height:0;overflow:hidden">'
                    + pasdeux.show(duet, frames=60)._repr_html_() + "</div></body></html>")
    ctx = browser.new_context(viewport={"width": 900, "height": 650})
    pg = ctx.new_page()
    pg.goto(cell.as_uri())
    pg.wait_for_function("document.querySelector('iframe') !== null")
    pg.frames[1].wait_for_function("window.pasdeuxViewer && window.pasdeuxViewer.state().frame > 0", timeout=30000)
    pg.evaluate("document.getElementById('out').style.cssText = 'width:884px'")

    def dancers() -> int:
        img = np.asarray(Image.open(io.BytesIO(pg.locator("iframe").screenshot())).convert("RGB")).astype(int)
        return min(hue_count(img[50:-60], "blue"), hue_count(img[50:-60], "orange"))

    deadline = time.monotonic() + 30
    while dancers() < 2000 and time.monotonic() < deadline:
        pg.wait_for_timeout(200)
    assert dancers() >= 2000  # framed, each dancer is several thousand pixels; unframed, a few dozen
    ctx.close()


def test_follow_glides_the_camera_after_the_dancers(page, duet):
    def centre(frame: int) -> np.ndarray:  # the dancers' mean (x, z) at a frame of the clip (source 600 + frame)
        return np.nanmean(duet.positions[:, 600 + frame], axis=(0, 1))[[0, 2]]

    def target() -> np.ndarray:
        return np.array(state(page)["target"])[[0, 2]]

    page.evaluate("window.pasdeuxViewer.seek(0)")
    assert np.linalg.norm(target() - centre(0)) > 0.2  # the fixed camera looks at the whole clip's centre
    page.locator(".pdx-follow input").check()
    page.wait_for_function("window.pasdeuxViewer.state().follow")
    page.wait_for_timeout(2500)
    assert np.linalg.norm(target() - centre(0)) < 0.1
    page.evaluate("window.pasdeuxViewer.seek(89)")  # the dancers moved about 0.4 m
    page.wait_for_timeout(2500)
    assert np.linalg.norm(target() - centre(89)) < 0.1

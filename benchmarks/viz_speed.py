"""Viz speed: 300-frame duet GIFs (plain; ghost + trails), an MP4, an 1800-frame HTML export, viewer cost.

Run as `python benchmarks/viz_speed.py [--frames 300] [--no-browser]`; prints one JSON line.
Targets: 300-frame duet GIF < 30 s on 2 cores; 1800-frame duet HTML < 3 MB and < 1 s.
The browser figures come from headless Chromium with software WebGL (SwiftShader), so `draw_ms` is a CPU
upper bound; a real GPU draws this scene far faster. `pose_ms` is the viewer's own JavaScript work per frame.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DUET = ROOT.parent / "shared" / "data" / "duet_ilya_hannah.npy"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]


def timed(fn, *args, **kw) -> tuple[float, Path]:
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return round(time.perf_counter() - t0, 3), out


def viewer_cost(page_file: Path) -> dict:
    """Per-frame pose and draw milliseconds of the viewer, measured by its own `profile()`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(page_file.as_uri())
        page.wait_for_function("window.pasdeuxViewer && window.pasdeuxViewer.state().frame >= 0", timeout=60000)
        page.evaluate("window.pasdeuxViewer.pause()")
        prof = page.evaluate("window.pasdeuxViewer.profile(300)")
        browser.close()
    return {"viewer_pose_ms": round(prof["poseMs"], 4), "viewer_draw_ms_swiftshader": round(prof["drawMs"], 2),
            "viewer_viewport": "1280x720"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium measurement")
    args = parser.parse_args()

    import pasdeux

    duet = pasdeux.load(DUET)
    result: dict = {"benchmark": "viz_speed", "gif_frames": args.frames, "size": "800x560"}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        result["gif_s"], gif = timed(pasdeux.animate, duet, out=tmp / "duet.gif", frames=args.frames)
        result["gif_mb"] = round(gif.stat().st_size / 1e6, 2)
        ghost = duet.with_positions(np.roll(duet.positions, -15, axis=1))  # stands in for a generated duet
        result["gif_ghost_trails_s"], _ = timed(pasdeux.animate, duet, ghost, out=tmp / "ghost.gif",
                                                frames=args.frames, trails=True)
        result["mp4_s"], mp4 = timed(pasdeux.animate, duet, out=tmp / "duet.mp4", frames=args.frames)
        result["mp4_mb"] = round(mp4.stat().st_size / 1e6, 2)
        result["html_frames"] = duet.n_frames
        result["html_s"], page = timed(pasdeux.animate, duet, out=tmp / "duet.html")
        result["html_mb"] = round(page.stat().st_size / 1e6, 2)
        if not args.no_browser and CHROMIUM.exists():
            result.update(viewer_cost(page))
    print(json.dumps(result))


if __name__ == "__main__":
    main()

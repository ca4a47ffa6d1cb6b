"""Seeing and hearing a dance together: an MP4's sound track as long as its video and in time with it, and the
viewer page's music carried inside the page and in sync with the frames in headless Chromium (after a seek, a
pause and a loop)."""

from __future__ import annotations

import base64
import json
import re

import av
import numpy as np
import pytest

import pasdeux
from pasdeux.cli import main
from pasdeux.errors import ConfigError
from pasdeux.music import Music
from pasdeux.viz import sound

RATE = 16000
FRAMES = 75  # 2.5 s at 30 fps


def click_track(seconds: float = 10.0, click_at: tuple[float, ...] = (1.0, 2.0)) -> Music:
    """Silence with a 1 kHz click (20 ms) at each of `click_at` seconds."""
    t = np.arange(int(seconds * RATE)) / RATE
    y = np.zeros_like(t)
    for c in click_at:
        on = (t >= c) & (t < c + 0.02)
        y[on] = 0.8 * np.sin(2 * np.pi * 1000 * t[on])
    beats = np.asarray(click_at, np.float64)
    return Music(y.astype(np.float32), RATE, 60.0, beats, np.arange(len(beats)) % 8 + 1, beats[:1],
                 np.zeros(1, np.float32), np.zeros(1), "/music/clicks.wav")


def streams(path) -> tuple[float, float, np.ndarray, int]:
    """An MP4's video length (frames / rate), its sound's length as players read it (the stream's duration,
    which trims the AAC encoder's padding), the decoded mono sound and its rate."""
    with av.open(str(path)) as box:
        v = box.streams.video[0]
        frames = sum(1 for _ in box.decode(v))
        video_s = frames / float(v.average_rate)
    with av.open(str(path)) as box:
        a = box.streams.audio[0]
        sound_s = float(a.duration * a.time_base)
        chunks = [f.to_ndarray().reshape(f.to_ndarray().shape[0], -1).mean(0) if f.format.is_planar
                  else f.to_ndarray().reshape(-1, a.channels).mean(1) for f in box.decode(a)]
        return video_s, sound_s, np.concatenate(chunks), a.rate


def test_mp4_sound_is_as_long_as_the_video_and_in_time(duet, tmp_path):
    # The motion starts 1 s into the music; the animation shows it from its frame 30 (1 s in): the first
    # click (music 2.0 s) must sound at 0 s of the video, the one at 3.0 s at 1.0 s.
    music = click_track(click_at=(2.0, 3.0))
    out = pasdeux.animate(duet, out=tmp_path / "clicks.mp4", start=30, frames=FRAMES, size=(240, 180),
                          music=music, music_start=1.0)
    video_s, sound_s, y, rate = streams(out)
    assert video_s == pytest.approx(FRAMES / 30)
    assert sound_s == pytest.approx(video_s, abs=1 / 30)  # as long as the video, to a frame
    loud = np.flatnonzero(np.abs(y) > 0.2) / rate
    assert loud[0] == pytest.approx(0.0, abs=0.03)
    assert loud[loud > 0.5][0] == pytest.approx(1.0, abs=0.03)


def test_music_is_refused_where_it_cannot_play(duet, tmp_path):
    with pytest.raises(ConfigError, match="GIF has no sound"):
        pasdeux.animate(duet, out=tmp_path / "x.gif", frames=10, music=click_track())
    with pytest.raises(ConfigError, match="within the song"):
        sound.soundtrack(click_track(seconds=2.0), 3.0, 1.0)
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_the_page_carries_its_music(duet, tmp_path):
    page = pasdeux.animate(duet, out=tmp_path / "m.html", start=30, frames=FRAMES, music=click_track())
    payload = json.loads(re.search(r'id="pasdeux-data">(.*?)</script>', page.read_text()).group(1))
    audio = payload["audio"]
    assert audio["source"] == "clicks.wav" and audio["start"] == pytest.approx(1.0)
    assert audio["seconds"] == pytest.approx(FRAMES / 30)
    head, data = audio["src"].split(",", 1)
    assert head == "data:audio/ogg;base64"
    blob = base64.b64decode(data)
    assert blob[:4] == b"OggS" and len(blob) < sound.OPUS_KBPS * 1000 / 8 * audio["seconds"] * 1.5 + 4000


def test_animate_command_plays_a_song_file(duet, tmp_path):
    """From the command line, the song's start taken from the motion's provenance (it was made to 1 s in)."""
    motion = duet.frames(0, 60)
    motion = motion.with_positions(motion.positions, provenance={"music": "/elsewhere/clicks.wav",
                                                                     "music_start": 1.0})
    pasdeux.save(motion, tmp_path / "m.npz")
    song = sound.write_wav(sound.soundtrack(click_track(click_at=(1.5,)), 0.0, 10.0), tmp_path / "clicks.wav")
    assert main(["animate", str(tmp_path / "m.npz"), "--music", str(song), "-o", str(tmp_path / "m.mp4"),
                 "--size", "160x120"]) == 0
    video_s, sound_s, y, rate = streams(tmp_path / "m.mp4")
    assert sound_s == pytest.approx(video_s, abs=1 / 30) and video_s == pytest.approx(2.0)
    assert np.flatnonzero(np.abs(y) > 0.2)[0] / rate == pytest.approx(0.5, abs=0.03)
    assert main(["animate", str(tmp_path / "m.npz"), "--music", str(song), "-o", str(tmp_path / "m.gif")]) == 2
    assert main(["animate", str(tmp_path / "m.npz"), "--music", str(tmp_path / "none.wav"), "-o",
                 str(tmp_path / "n.mp4")]) == 2
    assert not (tmp_path / "m.gif").exists() and not (tmp_path / "n.mp4").exists()


def test_a_payload_takes_its_music_from_the_frames_it_shows(duet):
    from pasdeux.viz.viewer import motion_payload, with_music

    payload = with_music(motion_payload(duet, start=60, frames=30), click_track(), start=0.5)
    assert payload["audio"]["start"] == pytest.approx(2.5) and payload["audio"]["seconds"] == pytest.approx(1.0)


@pytest.fixture(scope="module")
def music_page(duet, tmp_path_factory):
    music = click_track(seconds=12.0, click_at=tuple(np.arange(0.5, 12, 0.5)))
    return pasdeux.animate(duet, out=tmp_path_factory.mktemp("music") / "music.html", start=60, frames=240,
                           music=music)


@pytest.fixture(scope="module")
def chromium():
    """Playwright's Chromium launcher and the arguments the viewer tests start it with."""
    from playwright.sync_api import sync_playwright

    from test_viz_browser import ARGS, CHROMIUM

    with sync_playwright() as p:
        yield lambda *extra: p.chromium.launch(executable_path=CHROMIUM, args=ARGS + list(extra))


@pytest.fixture(scope="module")
def sync_browser(chromium):
    browser = chromium("--autoplay-policy=no-user-gesture-required")
    yield browser
    browser.close()


def test_viewer_frames_follow_the_music(sync_browser, music_page):
    ctx = sync_browser.new_context(viewport={"width": 700, "height": 500})
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(music_page.as_uri())
    page.wait_for_function("window.pasdeuxViewer && window.pasdeuxViewer.state().audio.ready >= 2", timeout=30000)
    v = "window.pasdeuxViewer"
    # A seek puts the music at the frame's time.
    page.evaluate(f"{v}.pause(); {v}.seek(45)")
    s = page.evaluate(f"{v}.state()")
    assert s["frame"] == 45 or s["time"] == pytest.approx(1.5)
    assert s["audio"]["time"] == pytest.approx(1.5, abs=1e-3) and s["audio"]["paused"]
    # Playing, the music's clock leads: the frame shown is the one at the music's time.
    page.evaluate(f"{v}.play()")
    page.wait_for_function(f"{v}.state().audio.time > 1.8 && !{v}.state().audio.paused", timeout=10000)
    gaps = page.evaluate(f"""new Promise(done => {{ const gaps = []; let n = 0;
        const look = () => {{ const s = {v}.state();
          gaps.push(s.audio.time * s.fps - s.frame); if (++n < 20) requestAnimationFrame(look); else done(gaps); }};
        requestAnimationFrame(look); }})""")
    # Within a few frames: the music runs on between a frame's drawing and this read (a loaded machine draws
    # late); drifting apart would grow past this within the 20 reads.
    assert max(abs(g) for g in gaps) < 6, gaps
    # Paused, the picture is the music's frame exactly.
    page.evaluate(f"{v}.pause()")
    s = page.evaluate(f"{v}.state()")
    assert s["frame"] == int(s["audio"]["time"] * s["fps"] + 1e-6) and s["audio"]["paused"]
    # Looped: past the last frame both start again together.
    page.evaluate(f"{v}.seek(235); {v}.play()")
    page.wait_for_function(f"{v}.state().frame < 40 && {v}.state().frame > 0", timeout=10000)
    page.evaluate(f"{v}.pause()")
    s = page.evaluate(f"{v}.state()")
    assert s["frame"] == int(s["audio"]["time"] * s["fps"] + 1e-6) and s["audio"]["time"] < 40 / 30
    assert not errors, errors
    ctx.close()


@pytest.mark.slow  # a second browser (7 s); the sync itself is checked by the test above
def test_a_click_starts_music_a_browser_held_back(chromium, music_page):
    """Browsers keep sound silent until the user acts: the frames play alone, and the first press of play
    starts the music where the frames are, in sync from then on."""
    browser = chromium()  # the default autoplay policy
    try:
        page = browser.new_page(viewport={"width": 700, "height": 500})
        page.goto(music_page.as_uri())
        v = "window.pasdeuxViewer"
        page.wait_for_function(f"{v} && {v}.state().audio.blocked && {v}.state().frame > 5", timeout=30000)
        assert page.evaluate(f"{v}.state().audio.paused")  # silent, while the frames run on their own clock
        page.click(".pdx-play")
        page.wait_for_function(f"!{v}.state().audio.paused && {v}.state().audio.time > 0.3", timeout=10000)
        page.evaluate(f"{v}.pause()")
        s = page.evaluate(f"{v}.state()")
        assert s["frame"] == int(s["audio"]["time"] * s["fps"] + 1e-6) and s["audio"]["time"] > 0.3
    finally:
        browser.close()

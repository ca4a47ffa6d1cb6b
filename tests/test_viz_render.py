"""GIF/MP4 rendering of the real duet: frame counts, sizes, and both dancers' (and the ghost's) colours."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import pasdeux
from pasdeux.body import effectors
from pasdeux.cli import main
from pasdeux.errors import ConfigError, ShapeError
from pasdeux.viz.scene import DANCER_COLORS, GHOST_ALPHA, GHOST_COLORS, build_scene

SIZE = (320, 224)  # multiples of 16: what the renderer keeps


def rgb(color: str, alpha: float = 1.0) -> np.ndarray:
    c = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)], float)
    return 255 + alpha * (c - 255)  # over the white background


def count_near(frame: np.ndarray, color: np.ndarray, tol: float) -> int:
    """Pixels of `color` in the stage area (below the legend, whose swatches always carry every colour)."""
    stage = frame[int(0.2 * frame.shape[0]):, :, :3].astype(float)
    return int((np.linalg.norm(stage - color, axis=-1) < tol).sum())


def gif_frames(path) -> list[np.ndarray]:
    im = Image.open(path)
    out = []
    for i in range(im.n_frames):
        im.seek(i)
        out.append(np.asarray(im.convert("RGB")))
    return out


def mp4_frames(path) -> tuple[dict, list[np.ndarray]]:
    import imageio_ffmpeg

    gen = imageio_ffmpeg.read_frames(str(path))
    meta = next(gen)
    w, h = meta["size"]
    return meta, [np.frombuffer(b, np.uint8).reshape(h, w, 3) for b in gen]


def shifted(motion: pasdeux.Motion, frames: int) -> pasdeux.Motion:
    """A stand-in for a generated phrase: the same duet some frames later."""
    return motion.with_positions(np.roll(motion.positions, -frames, axis=1))


def test_gif_of_duet_has_frames_size_and_both_dancers(duet, tmp_path):
    out = pasdeux.animate(duet, out=tmp_path / "duet.gif", start=600, frames=24, size=SIZE)
    frames = gif_frames(out)
    assert len(frames) == 24
    assert frames[0].shape == (SIZE[1], SIZE[0], 3)
    for f in frames[::6]:
        assert count_near(f, rgb(DANCER_COLORS[0]), 30) > 40, "dancer 1's colour is missing"
        assert count_near(f, rgb(DANCER_COLORS[1]), 30) > 40, "dancer 2's colour is missing"
        assert count_near(f, rgb(GHOST_COLORS[0], GHOST_ALPHA), 25) == 0, "a ghost was drawn without one"
    assert not np.array_equal(frames[0], frames[-1]), "the animation does not move"


def test_gif_plays_at_real_time(duet, tmp_path):
    out = pasdeux.animate(duet, out=tmp_path / "t.gif", frames=30, size=SIZE)
    im = Image.open(out)
    total = 0
    for i in range(im.n_frames):
        im.seek(i)
        total += im.info["duration"]
    assert total == pytest.approx(1000, abs=20)  # 30 frames at 30 fps last one second


def test_mp4_with_ghost_shows_ghost_colour(duet, tmp_path):
    ghost = shifted(duet, 20)
    out = pasdeux.animate(duet, ghost, out=tmp_path / "duet.mp4", start=600, frames=20, size=SIZE)
    meta, frames = mp4_frames(out)
    assert len(frames) == 20
    assert tuple(meta["size"]) == SIZE
    assert meta["fps"] == pytest.approx(30)
    ghost_color = rgb(GHOST_COLORS[0], GHOST_ALPHA)
    for f in frames[::5]:
        assert count_near(f, rgb(DANCER_COLORS[0]), 40) > 40
        assert count_near(f, rgb(DANCER_COLORS[1]), 40) > 40
        assert count_near(f, ghost_color, 25) > 20, "the ghost's translucent colour is missing"


def test_one_dancer_and_trails(duet, tmp_path):
    out = pasdeux.animate(duet, out=tmp_path / "solo.gif", dancers=[1], start=300, frames=12, size=SIZE,
                          trails=True)
    last = gif_frames(out)[-1]
    assert count_near(last, rgb(DANCER_COLORS[1]), 30) > 40
    assert count_near(last, rgb(DANCER_COLORS[0]), 30) == 0  # dancer 0 is not drawn


def test_bvh_at_120fps_is_resampled_to_30(shared_data, tmp_path):
    pair = shared_data / "cmu_salsa" / "61_02.bvh"
    salsa = pasdeux.load(shared_data / "cmu_salsa" / "60_02.bvh", pair=pair)
    out = pasdeux.animate(salsa, out=tmp_path / "salsa.gif", start=240, frames=120, size=SIZE)
    frames = gif_frames(out)
    assert len(frames) == 30  # one second: 120 source frames at 120 fps -> 30 GIF frames
    assert count_near(frames[10], rgb(DANCER_COLORS[0]), 30) > 40
    assert count_near(frames[10], rgb(DANCER_COLORS[1]), 30) > 40


def test_scene_floor_framing_and_effectors(duet):
    scene = build_scene(duet, start=0, frames=300)
    ankles = duet.positions[:, :300, [7, 8, 27, 28], 1]
    assert np.percentile(ankles.min(-1), 2) - 0.05 < scene.floor < np.median(ankles)
    heads = duet.positions[:, :300, 15, 1]
    assert scene.hi[1] > np.median(heads) > scene.floor + 1.0  # y is up: heads are high above the floor
    assert [duet.skeleton.joints[j] for j in effectors(duet.skeleton)] == [
        "left_hand", "right_hand", "left_toe", "right_toe"]


def test_missing_joints_are_skipped_not_fatal(duet, tmp_path):
    pos = duet.positions[:, :10].copy()
    pos[0, :, 20:24] = np.nan  # dancer 1 lost a hand
    pos[1, 5] = np.nan  # dancer 2 vanished for a frame
    out = pasdeux.animate(duet.with_positions(pos), out=tmp_path / "gaps.gif", size=SIZE)
    frames = gif_frames(out)
    assert len(frames) == 10
    assert count_near(frames[5], rgb(DANCER_COLORS[1]), 30) == 0
    assert count_near(frames[4], rgb(DANCER_COLORS[1]), 30) > 40


def test_user_errors_say_what_to_do(duet, tmp_path):
    with pytest.raises(ConfigError, match="gif, .mp4, .html"):
        pasdeux.animate(duet, out=tmp_path / "x.avi")
    with pytest.raises(ConfigError, match="dancer 5 does not exist"):
        pasdeux.animate(duet, out=tmp_path / "x.gif", dancers="5")
    with pytest.raises(ConfigError, match="outside the motion"):
        pasdeux.animate(duet, out=tmp_path / "x.gif", start=5000)
    with pytest.raises(ConfigError, match="out="):
        pasdeux.animate(duet)
    with pytest.raises(ConfigError, match="50 fps"):
        pasdeux.animate(duet, out=tmp_path / "x.gif", fps=100)
    with pytest.raises(ShapeError, match="missing"):
        pasdeux.animate(duet.with_positions(np.full_like(duet.positions[:, :5], np.nan)), out=tmp_path / "x.gif")
    assert not list(tmp_path.iterdir()), "a failed call left a file behind"


def test_cli_animate_gif_and_errors(shared_data, tmp_path, capsys):
    src = str(shared_data / "duet_ilya_hannah.npy")
    out = tmp_path / "cli.gif"
    assert main(["animate", src, "--start", "3", "--seconds", "0.5", "--size", "320x224", "--trails",
                 "--dancers", "0,1", "-o", str(out)]) == 0
    assert len(gif_frames(out)) == 15
    assert "wrote" in capsys.readouterr().out
    assert main(["animate", src, "--dancers", "0,x", "-o", str(tmp_path / "y.gif")]) == 2
    assert "dancers must be" in capsys.readouterr().err
    assert main(["animate", src, "--size", "big", "-o", str(tmp_path / "y.gif")]) == 2
    assert main(["animate", str(tmp_path / "nope.npy"), "-o", str(tmp_path / "y.gif")]) == 2
    assert not (tmp_path / "y.gif").exists()


def test_picture_is_upright_and_not_mirrored(duet):
    """Seen from the front (+z) as in the viewer: +x is to the right, +y is up, +z comes towards us."""
    from mpl_toolkits.mplot3d import proj3d

    from pasdeux.viz.render import Stage, to_mpl

    rotation = to_mpl(np.eye(3))
    assert np.linalg.det(rotation) == pytest.approx(1.0)  # a rotation, never a reflection
    stage = Stage(build_scene(duet, frames=5), SIZE)
    stage.frame(0)
    c = (stage.scene.lo + stage.scene.hi) / 2
    pts = to_mpl(np.array([c, c + [0.5, 0, 0], c + [0, 0.5, 0], c + [0, 0, 0.5]]))
    x, y, depth = proj3d.proj_transform(*pts.T, stage.ax.get_proj())
    px, py = stage.ax.transData.transform(np.c_[x, y]).T
    assert px[1] > px[0] + 5 and abs(py[1] - py[0]) < abs(px[1] - px[0])  # +x: right
    assert py[2] > py[0] + 5 and abs(px[2] - px[0]) < abs(py[2] - py[0])  # +y: up
    assert depth[3] < depth[0]  # +z: nearer the camera (matplotlib depth grows away from it)
    stage.close()


def test_highlighted_joints_are_ringed_in_gifs_and_carried_to_the_viewer(duet, tmp_path):
    from pasdeux.viz.render import HIGHLIGHT_COLOR
    from pasdeux.viz.viewer import motion_payload

    weights = np.zeros(duet.n_joints)
    weights[[duet.skeleton.index("left_wrist"), duet.skeleton.index("right_knee")]] = [1.0, 0.5]
    plain = gif_frames(pasdeux.animate(duet, out=tmp_path / "plain.gif", start=600, frames=4, size=SIZE))
    marked = gif_frames(pasdeux.animate(duet, out=tmp_path / "marked.gif", start=600, frames=4, size=SIZE,
                                        highlight={0: weights}))
    gold = rgb(HIGHLIGHT_COLOR)
    assert count_near(plain[0], gold, 40) == 0 and count_near(marked[0], gold, 40) > 20
    payload = motion_payload(duet.frames(0, 10), highlight={0: weights})
    assert payload["figures"][0]["highlight"][duet.skeleton.index("left_wrist")] == 1.0
    assert "highlight" not in payload["figures"][1]
    with pytest.raises(ConfigError, match="one per joint"):
        motion_payload(duet.frames(0, 10), highlight={0: weights[:5]})
    with pytest.raises(ConfigError, match="dancer 3"):
        motion_payload(duet.frames(0, 10), highlight={3: weights})

"""`pasdeux extract` end to end on videos made from a real photograph (written to tmp at test time)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import pasdeux
from pasdeux import ConfigError, FormatError
from pasdeux.cli import main
from pasdeux.extract import run, synthetic

N = 45
MISSING = {20, 21}  # frames the second person steps out of the picture


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("videos")
    empty = [np.full((540, 960, 3), synthetic.STAGE, np.uint8) for _ in range(8)]
    for i, frame in enumerate(empty):  # a stage with a moving light on it, and nobody
        frame[100:200, 50 + 40 * i:250 + 40 * i] = (200, 180, 120)
    corrupt = folder / "corrupt.mp4"
    good = synthetic.write(folder / "for_corrupt.mp4", synthetic.frames(10))
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + good.read_bytes()[4000:9000])
    return {
        "solo": synthetic.write(folder / "solo.mp4", synthetic.frames(N, people=1)),
        "duet": synthetic.write(folder / "duet.mp4", synthetic.frames(N, people=2, missing={1: MISSING})),
        "empty": synthetic.write(folder / "empty.mp4", empty),
        "corrupt": corrupt,
        "folder": folder,
    }


@pytest.fixture(scope="module")
def solo(videos):
    return run(videos["solo"], dancers=1)


@pytest.fixture(scope="module")
def duet(videos):
    return run(videos["duet"], dancers=2)


def _shoulders(ex, d: int) -> np.ndarray:
    return ex.image[d][:, [11, 12], :2]  # [T, 2, 2] pixels


def test_one_person_found_in_every_frame_with_shoulders_on_her(solo):
    m = solo.motion
    assert m.n_dancers == 1 and m.n_frames == N and m.skeleton.name == "mediapipe33" and m.fps == 30
    assert solo.found.all()
    boxes = synthetic.layout(N, 1)[:, 0]
    sh = _shoulders(solo, 0)
    inside = (sh[..., 0] >= boxes[:, None, 0]) & (sh[..., 0] <= boxes[:, None, 2]) & \
             (sh[..., 1] >= boxes[:, None, 1]) & (sh[..., 1] <= boxes[:, None, 3])
    assert inside.all()
    # her left shoulder is on the picture's right (she faces the camera)
    assert (sh[:, 0, 0] > sh[:, 1, 0]).all()


def test_world_shoulders_are_a_real_shoulder_width_apart(solo, duet):
    for ex in (solo, duet):
        sk = ex.motion.skeleton
        width = np.linalg.norm(ex.motion.positions[:, :, sk.index("left_shoulder")]
                               - ex.motion.positions[:, :, sk.index("right_shoulder")], axis=-1)
        assert 0.25 < np.nanmedian(width) < 0.5, np.nanmedian(width, axis=1)


def test_the_motion_follows_the_person_across_the_frame(solo):
    # the photograph slides 120 px to the right and back: the dancer's pelvis travels right, then left
    x = solo.motion.positions[0, :, 0, 0]
    mid = N // 2
    assert x[mid] - x[0] > 0.1 and x[mid] - x[-1] > 0.1
    assert solo.motion.positions[0, :, solo.motion.skeleton.index("neck"), 1].min() > 0.5  # above the floor


def test_two_people_keep_their_identities_and_a_missed_frame_is_filled_and_reported(duet):
    m = duet.motion
    assert m.n_dancers == 2
    boxes = synthetic.layout(N, 2)
    for d in range(2):
        seen = duet.found[d]
        centre = _shoulders(duet, d).mean(1)[seen]
        box = boxes[seen, d]
        assert ((centre[:, 0] > box[:, 0]) & (centre[:, 0] < box[:, 2])).all(), f"dancer {d + 1} changed person"
    assert not duet.found[1, sorted(MISSING)].any() and duet.found[0].all()
    gap = m.positions[1, sorted(MISSING)]
    # filled; a joint the model also saw poorly around the gap may stay NaN, but only where the notes say so
    left = [m.skeleton.joints[j] for j in np.where(~np.isfinite(gap).all((0, 2)))[0]]
    gaps = " ".join(n for n in m.notes if "left as NaN" in n)
    assert len(left) <= 3 and all(f"joint {name}: frames" in gaps for name in left), (left, m.notes)
    assert any("dancer 2 missed in 2 frame(s), filled by interpolation: frames 20-21" in n for n in m.notes)
    assert (m.positions[0, :, 0, 0] < m.positions[1, :, 0, 0]).all()  # dancer 1 stays on the left


def test_two_people_walking_past_each_other_keep_their_identities(videos):
    # they cross in the middle, the one in front (in a maroon jacket) hiding the other for a while
    n = 60
    ex = run(synthetic.write(videos["folder"] / "cross.mp4", synthetic.frames(n, people=2, cross=True)), dancers=2)
    truth = synthetic.layout(n, 2, cross=True)[..., [0, 2]].mean(-1)  # [T, 2] centres
    x = _shoulders(ex, 0).mean(1)[:, 0], _shoulders(ex, 1).mean(1)[:, 0]
    for d in range(2):
        seen = ex.found[d]
        assert seen[:10].all() and seen[-10:].sum() >= 6  # both are there before and after the crossing
        assert np.abs(x[d][seen] - truth[seen, d]).max() < 120, f"dancer {d + 1} changed person"
    notes = " ".join(ex.motion.notes)
    assert "costume colours" in notes and "left as NaN" in notes  # the hidden dancer's gap is reported


def test_notes_and_provenance_say_what_was_assumed(duet):
    notes = " ".join(duet.motion.notes)
    assert "pinhole camera" in notes and "field of view 60 deg (assumed" in notes
    cam = duet.motion.provenance["extract"]["camera"]
    assert cam["tilt"] in ("estimated", "assumed level") and len(cam["rotation"]) == 3
    assert "rigid body" in notes and "bone lengths varied by" in notes
    assert "look alike" in notes  # two copies of one photograph: identities follow the trails
    assert "Savitzky-Golay" in notes
    cam = duet.motion.provenance["extract"]["camera"]
    assert cam["width"] == 960 and cam["focal_px"] == pytest.approx(480 / np.tan(np.radians(30)))


def test_nobody_in_the_video_is_refused_clearly(videos):
    with pytest.raises(FormatError, match="no person found in any of its 8 frames"):
        run(videos["empty"])


def test_a_corrupt_or_missing_video_is_refused(videos, tmp_path):
    with pytest.raises(FormatError, match="corrupt.mp4: (not a readable video|the video is damaged|.*no frames)"):
        run(videos["corrupt"])
    with pytest.raises(FormatError, match="no such video file"):
        run(tmp_path / "absent.mp4")
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all")
    with pytest.raises(FormatError, match="not a readable video"):
        run(text)


def test_two_dancers_asked_of_a_solo_video_says_so(videos):
    with pytest.raises(ConfigError, match="only one person was found.*dancers=1"):
        run(videos["solo"], dancers=2)


def test_bad_options_are_refused():
    with pytest.raises(ConfigError, match="dancers must be a whole number from 1 to 8"):
        run("x.mp4", dancers=0)
    with pytest.raises(ConfigError, match="pick takes at most one X,Y@SECONDS per dancer"):
        run("x.mp4", dancers=1, pick=[(1, 2, 0), (3, 4, 0)])
    with pytest.raises(ConfigError, match="unknown extraction option"):
        run("x.mp4", colour="red")
    with pytest.raises(ConfigError, match="model must be one of lite, full, heavy"):
        run("x.mp4", model="huge")


def test_progress_callback_counts_frames(videos):
    seen = []
    pasdeux.extract(videos["solo"], progress=lambda done, total: seen.append((done, total)), model="lite",
                    fps=15)
    assert [d for d, _ in seen] == list(range(1, len(seen) + 1)) and len(seen) in (22, 23, 24)
    assert seen[-1][1] in (22, 23, 24)


def test_extracted_motion_feeds_metrics_models_and_bvh(duet, tmp_path):
    from pasdeux import metrics
    from pasdeux.data import fill_gaps, solo_windows
    from pasdeux.generate.pipeline import reconstruct
    from pasdeux.models import MotionModel, build_model

    m = fill_gaps(duet.motion)  # what the metrics ask for where a joint was unseen for longer than extraction fills
    pos = m.positions
    assert np.isfinite(pos).all()
    assert np.isfinite(metrics.bone_cv(pos[0], m.skeleton))
    assert np.isfinite(metrics.foot_metrics(pos[:1], m.skeleton, m.fps)["foot_skating_ratio"])
    assert metrics.geometric_features(pos[:1], m.skeleton, m.fps).shape[0] == 1
    assert np.isfinite(metrics.contact_rate(pos[None], m.skeleton))
    windows = solo_windows([m], 16, 8)
    world_windows = np.concatenate([np.lib.stride_tricks.sliding_window_view(p, 16, axis=0)[::8]
                                    .transpose(0, 3, 1, 2) for p in pos])
    model = build_model("default", {"window": 16}, m.skeleton, MotionModel.fit_stats(world_windows, m.skeleton))
    assert windows.shape[1:] == (16, 35, 3)
    assert np.isfinite(reconstruct(model, windows[:2])).all()
    back = pasdeux.load(pasdeux.save(m, tmp_path / "duet.bvh"))  # joint rotations of the tree, both dancers
    assert back.skeleton.joints == m.skeleton.joints and np.abs(back.positions - pos).max() < 1e-4
    again = pasdeux.load(pasdeux.save(m, tmp_path / "duet.npz"))
    assert again.provenance == m.provenance and again.notes == m.notes


def test_cli_extract_writes_the_motion_and_a_check_video(videos, tmp_path, capsys):
    out, check = tmp_path / "solo.npz", tmp_path / "check.mp4"
    assert main(["extract", str(videos["solo"]), "-o", str(out), "--check", str(check), "--no-progress",
                 "--model", "lite"]) == 0
    said = capsys.readouterr().out
    assert "1 dancer(s) x 45 frames x 35 joints (mediapipe33)" in said and "found dancer 1 in 45 of 45" in said
    assert pasdeux.load(out).n_frames == N and check.stat().st_size > 10_000
    assert main(["info", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["dancers"] == 1
    over = tmp_path / "over.gif"
    assert main(["animate", str(out), "--video", str(videos["solo"]), "--video-layout", "behind", "-o", str(over),
                 "--seconds", "0.17"]) == 0
    assert over.stat().st_size > 10_000
    assert main(["animate", str(out), "--video", str(videos["solo"]), "-o", str(tmp_path / "v.html")]) == 2
    assert main(["extract", str(videos["empty"]), "-o", str(tmp_path / "none.npz"), "--no-progress"]) == 2
    assert "no person found" in capsys.readouterr().err
    assert not (tmp_path / "none.npz").exists()
    assert main(["extract", str(videos["solo"]), "-o", str(tmp_path / "x.gif")]) == 2


def test_animate_draws_the_skeleton_over_and_beside_the_video(duet, videos, tmp_path):
    from pasdeux.viz.video import video_frame

    m = duet.motion
    over = video_frame(m, videos["duet"], 10, "behind", size=(960, 540))
    plain = synthetic.frames(N, people=2, missing={1: MISSING})[10]
    changed = np.abs(over.astype(int) - plain.astype(int)).sum(-1) > 60
    boxes = synthetic.layout(N, 2)[10]
    for x0, y0, x1, y1 in boxes:  # each person has skeleton lines drawn on her
        assert changed[y0:y1, x0:x1].mean() > 0.005
    assert changed[:100].mean() < 0.01  # and the empty stage above them stays clean
    side = video_frame(m, videos["duet"], 10, "beside", size=(960, 540))
    assert side.shape[1] > over.shape[1]  # the 3D view sits to the right of the frame
    out = pasdeux.animate(m, out=tmp_path / "side.mp4", video=videos["duet"], video_layout="beside", frames=6)
    assert out.stat().st_size > 5_000
    with pytest.raises(ConfigError, match="carries no camera"):
        pasdeux.animate(m.with_positions(m.positions, provenance={}), out=tmp_path / "x.mp4", video=videos["duet"],
                        video_layout="behind")


def test_bench_extract_reports_frames_per_second(tmp_path):
    from pasdeux.extract.bench import bench_extract

    result = bench_extract(seconds=1, model="lite", out=tmp_path / "b.json", say=lambda s: None, real=False)
    assert result["solo_fps"] > 0 and result["duet_fps"] > 0 and result["frames"] == 30
    assert min(result["duet_found"]) >= 27 and result["solo_found"] == [30]  # both people, nearly every frame
    assert result["duet_60s_seconds"] == pytest.approx(1800 / result["duet_fps"], rel=0.01)
    assert json.loads((tmp_path / "b.json").read_text()) == result


def _relay(n: int, gone: int, behind: int, step: int = 6, size: tuple[int, int] = (960, 540)):
    """Frames of a person walking right who leaves the picture at frame `gone`, and of a second one (mirrored) who
    comes in 2 frames later `behind` pixels back along the first one's way and walks left; and each one's box."""
    w, h = size
    photo = synthetic.photograph(int(h * 0.75))
    ph, pw = photo.shape[:2]
    boxes = np.full((n, 2, 4), -1)
    for t in range(n):
        if t < gone:
            boxes[t, 0] = (120 + step * t, h - ph, 120 + step * t + pw, h)
        elif t >= gone + 2:
            x = 120 + step * (gone - 1) - behind - step * (t - gone - 2)
            boxes[t, 1] = (x, h - ph, x + pw, h)
    frames = []
    for t in range(n):
        canvas = np.empty((h, w, 3), np.uint8)
        canvas[:] = synthetic.STAGE
        for k, img in enumerate((photo, photo[:, ::-1])):
            if boxes[t, k, 0] >= 0:
                x0, y0, x1, y1 = boxes[t, k]
                canvas[y0:y1, x0:x1] = img
        frames.append(canvas)
    return frames, boxes


def test_a_dancer_who_leaves_is_not_taken_over_by_someone_who_comes_in_behind(videos):
    # The one followed (seen longest) walks out of the picture; 2 frames later another comes in a third of a visible
    # body behind, walking back: near enough to be joined as the dancer found again, but off the way the dancer went.
    n, gone = 44, 24
    frames, boxes = _relay(n, gone, behind=50)
    ex = run(synthetic.write(videos["folder"] / "relay.mp4", frames), dancers=1, model="lite")
    seen = np.nonzero(ex.found[0])[0]
    x = _shoulders(ex, 0).mean(1)[seen, 0]
    assert seen.max() < gone, f"the dancer's identity moved to the newcomer in frames {seen[seen >= gone]}"
    assert len(seen) >= gone - 2 and ((x > boxes[seen, 0, 0]) & (x < boxes[seen, 0, 2])).all()

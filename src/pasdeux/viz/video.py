"""A motion beside or over the video it was extracted from: what a user checks first after extraction.

`behind`: each dancer's skeleton drawn over the video frame, projected back through the camera the
extraction assumed (its `provenance["extract"]["camera"]`), so a wrong joint, a swapped dancer or a
bad placement shows at once. `beside`: the video frame next to the 3D stick figure of the same frame.
Frames are matched by time from the start of both.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pasdeux.errors import ConfigError
from pasdeux.motion import Motion

LAYOUTS = ("beside", "behind")


def camera_of(motion: Motion) -> dict:
    """The camera an extraction assumed, or ConfigError when the motion was not extracted from video."""
    cam = (motion.provenance.get("extract") or {}).get("camera") if isinstance(motion.provenance, dict) else None
    if not cam or not {"width", "height", "focal_px", "position_m"} <= set(cam):
        raise ConfigError("this motion carries no camera (it was not made by `pasdeux extract`), so it cannot be "
                          "drawn over a video; use --video-layout beside")
    return cam


def project(positions: np.ndarray, camera: dict, size: tuple[int, int]) -> np.ndarray:
    """Room positions `[..., 3]` (y up) to pixels `[..., 2]` of frames of `size` (width, height)."""
    cam = (np.asarray(positions, np.float64) - np.asarray(camera["position_m"])) * np.array([1.0, -1.0, -1.0])
    if "rotation" in camera:  # a tilted camera: the extraction turned its axes level (rows: camera -> level)
        cam = cam @ np.asarray(camera["rotation"], np.float64)
    k = size[0] / camera["width"]  # the frames may be decoded at another size than during extraction
    f = camera["focal_px"] * k
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(cam[..., 2] > 1e-3, cam[..., 2], np.nan)
        return np.stack([f * cam[..., 0] / z + size[0] / 2, f * cam[..., 1] / z + size[1] / 2], axis=-1)


def draw_skeletons(frame: np.ndarray, points: np.ndarray, bones, colors: list[str], width: int = 3) -> np.ndarray:
    """A copy of an RGB frame with each dancer's bones `[D, J, 2]` (pixels) drawn in its colour."""
    from PIL import Image, ImageDraw

    img = Image.fromarray(np.ascontiguousarray(frame[..., :3]))
    draw = ImageDraw.Draw(img)
    for d, pts in enumerate(points):
        for a, b in bones:
            p, q = pts[a], pts[b]
            if np.isfinite(p).all() and np.isfinite(q).all():
                draw.line([tuple(p), tuple(q)], fill=colors[d % len(colors)], width=width)
        r = width + 1
        for p in pts:
            if np.isfinite(p).all():
                draw.ellipse([p[0] - r, p[1] - r, p[0] + r, p[1] + r], fill=colors[d % len(colors)])
    return np.asarray(img)


def render_with_video(motion: Motion, video: str | os.PathLike, out: str | os.PathLike, layout: str = "behind",
                      size: tuple[int, int] = (800, 560), frames: int | None = None) -> Path:
    """Write `out` (.mp4 or .gif): the motion over (`behind`) or beside (`beside`) its video."""
    from pasdeux.extract.video import open_video
    from pasdeux.viz.writers import VideoWriter

    if layout not in LAYOUTS:
        raise ConfigError(f"video layout must be one of {', '.join(LAYOUTS)}; got {layout!r}")
    out = Path(out)
    if out.suffix.lower() not in (".mp4", ".gif"):
        raise ConfigError(f"cannot draw a motion with its video into {out.name!r}: write an .mp4 or a .gif")
    info, stream = open_video(video, fps=motion.fps, max_side=max(size))
    panel = _Panels(motion, layout, (info.width, info.height), size)
    n = min(motion.n_frames, frames or motion.n_frames)
    with VideoWriter(out, panel.size, motion.fps, None if out.suffix.lower() == ".mp4" else _palette()) as writer:
        for t, frame in zip(range(n), stream):
            writer.write(_rgba(panel(frame, t)))
    panel.close()
    return out


class _Panels:
    """Builds one output picture per frame for a layout."""

    def __init__(self, motion: Motion, layout: str, video_size: tuple[int, int], size: tuple[int, int]):
        from pasdeux.viz.scene import DANCER_COLORS

        self.motion, self.layout, self.video_size = motion, layout, video_size
        self.colors = list(DANCER_COLORS)
        self.stage = None
        if layout == "behind":
            self.points = project(motion.positions, camera_of(motion), video_size)  # [D, T, J, 2]
            self.size = _even(video_size)
        else:
            from pasdeux.viz.render import Stage, even_size
            from pasdeux.viz.scene import build_scene

            h = _even(video_size)[1]
            stage_size = even_size((int(h * 1.1), h))
            self.stage = Stage(build_scene(motion), stage_size)
            self.size = _even((video_size[0] + stage_size[0], max(h, stage_size[1])))

    def __call__(self, frame: np.ndarray, t: int) -> np.ndarray:
        w, h = self.size
        if self.layout == "behind":
            pic = draw_skeletons(frame, self.points[:, t], self.motion.skeleton.bones, self.colors)
            return _fit(pic, (w, h))
        canvas = np.full((h, w, 3), 255, np.uint8)
        canvas[:frame.shape[0], :frame.shape[1]] = frame[:h, :w]
        view = np.asarray(self.stage.frame(t))[..., :3]
        canvas[:view.shape[0], w - view.shape[1]:] = view[:h]
        return canvas

    def close(self) -> None:
        if self.stage is not None:
            self.stage.close()


def video_frame(motion: Motion, video: str | os.PathLike, t: int, layout: str = "behind",
                size: tuple[int, int] = (800, 560)) -> np.ndarray:
    """One RGB picture of frame `t` in a layout (for a quick look, or a PNG)."""
    from pasdeux.extract.video import open_video

    info, stream = open_video(video, fps=motion.fps, max_side=max(size))
    panel = _Panels(motion, layout, (info.width, info.height), size)
    try:
        for i, frame in enumerate(stream):
            if i == t:
                return panel(frame, t)
    finally:
        panel.close()
    raise ConfigError(f"the video has fewer than {t + 1} frames")


def _even(size: tuple[int, int]) -> tuple[int, int]:
    return size[0] // 2 * 2, size[1] // 2 * 2


def _fit(pic: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return pic[:size[1], :size[0]]


def _rgba(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], axis=-1))


def _palette() -> np.ndarray:
    """A fixed 256-colour palette for video GIFs: 8 x 8 x 4 levels of red, green and blue."""
    r, g, b = np.meshgrid(np.linspace(0, 255, 8), np.linspace(0, 255, 8), np.linspace(0, 255, 4), indexing="ij")
    return np.stack([r, g, b], -1).reshape(-1, 3).astype(np.uint8)

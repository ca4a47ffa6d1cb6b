"""`animate()`: one call from a motion (and an optional ghost) to a GIF, an MP4 or an offline HTML viewer."""

from __future__ import annotations

import os
from pathlib import Path

from pasdeux.errors import ConfigError
from pasdeux.motion import Motion
from pasdeux.viz.scene import build_scene

OUTPUTS = (".gif", ".mp4", ".html")
# GIF delays count in hundredths of a second and browsers slow down anything faster than 50 fps.
DEFAULT_FPS_CAP = {".gif": 30.0, ".mp4": 60.0}
MAX_GIF_FPS = 50.0


def as_motion(obj: Motion | str | os.PathLike, what: str = "motion") -> Motion:
    """A Motion, loading it first when given a file path."""
    if isinstance(obj, Motion):
        return obj
    if isinstance(obj, (str, os.PathLike)):
        from pasdeux.io import load

        return load(obj)
    raise ConfigError(f"{what} must be a pasdeux.Motion or a path to a motion file, not {type(obj).__name__}")


def output_fps(suffix: str, motion_fps: float, fps: float | None) -> float | None:
    """Frame rate to render at: the user's, else the motion's capped to what the format plays well."""
    if fps is not None:
        if not fps > 0:
            raise ConfigError(f"fps must be positive; got {fps}")
        if suffix == ".gif" and fps > MAX_GIF_FPS:
            raise ConfigError(f"GIFs cannot play faster than {MAX_GIF_FPS:g} fps; use --fps 30 or write an .mp4")
        return float(fps)
    cap = DEFAULT_FPS_CAP.get(suffix)
    return cap if cap is not None and motion_fps > cap else None


def animate(motion: Motion | str | os.PathLike, ghost: Motion | str | os.PathLike | None = None,
            out: str | os.PathLike | None = None, dancers=None, start: int = 0, frames: int | None = None,
            fps: float | None = None, trails: bool = False, size: tuple[int, int] = (800, 560),
            title: str | None = None, elev: float = 12.0, azim: float = -72.0,
            video: str | os.PathLike | None = None, video_layout: str = "beside",
            highlight: dict | None = None, music=None, music_start: float | None = None) -> Path:
    """Animate a motion (with an optional translucent ghost) to `out`: .gif, .mp4 or .html; returns the path.

    `video`: the video the motion was extracted from, drawn `beside` the 3D figure or with the skeleton
    projected over it (`behind`; needs the camera `pasdeux extract` records). `highlight`: `{dancer: weight per
    joint}` marks joints (a leader's most influential ones, from `pasdeux.analysis.influence`). `music` (a
    `pasdeux.Music` or a sound file) plays with an .mp4 or .html, `music_start` seconds into it at the motion's
    first frame (default: where the motion's provenance says it was made to that music, else 0).
    """
    if out is None:
        raise ConfigError("say where to write the animation: out='dance.gif' (or .mp4, or .html for the 3D viewer)")
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in OUTPUTS:
        raise ConfigError(f"cannot animate to {out.name!r}: the output must end in {', '.join(OUTPUTS)}")
    motion = as_motion(motion)
    if video is not None:
        if music is not None:
            raise ConfigError("--music and --video together are not supported: the video brings its own sound")
        if suffix == ".html":
            raise ConfigError("a video can be drawn into a .gif or .mp4, not into the .html viewer")
        from pasdeux.viz.video import render_with_video

        return render_with_video(motion, video, out, layout=video_layout, size=size, frames=frames)
    ghost = None if ghost is None else as_motion(ghost, "ghost")
    scene = build_scene(motion, ghost, dancers=dancers, start=start, frames=frames,
                        fps=output_fps(suffix, motion.fps, fps), title=title, highlight=highlight)
    audio = None if music is None else _soundtrack(scene, motion, music, music_start, suffix)
    if suffix == ".html":
        from pasdeux.viz.viewer import export_html

        return export_html(scene, out, audio)
    from pasdeux.viz.render import render_video

    return render_video(scene, out, size=size, trails=trails, elev=elev, azim=azim, audio=audio)


def _soundtrack(scene, motion: Motion, music, music_start: float | None, suffix: str):
    """The music span under the scene's frames: from the music time of its first frame, as long as it lasts."""
    from pasdeux.viz.sound import as_music, soundtrack

    if suffix == ".gif":
        raise ConfigError("a GIF has no sound: write an .mp4 or an .html viewer page to hear the music")
    music = as_music(music)
    if music_start is None:
        made = motion.provenance or {}
        name = os.path.basename(str(getattr(music, "path", None) or ""))
        same = bool(name) and os.path.basename(str(made.get("music") or "")) == name
        music_start = float(made.get("music_start") or 0.0) if same else 0.0
    return soundtrack(music, float(music_start) + scene.t0, scene.n_frames / scene.fps)

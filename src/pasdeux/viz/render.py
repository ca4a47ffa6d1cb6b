"""Matplotlib stick-figure animation of a `Scene` to GIF or MP4, with a translucent ghost.

The figure is built once; each frame only swaps the segments of a few `Line3DCollection`s and the counter
text, then the Agg buffer goes straight to ffmpeg. pasdeux is y-up; matplotlib's 3D axes are z-up, so
points map as (x, y, z) -> (x, -z, y), a proper rotation (no mirroring).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pasdeux.body import effectors, head_joints
from pasdeux.errors import ConfigError
from pasdeux.viz.scene import GHOST_ALPHA, OUTLIER_PERCENT, Scene, head_radius
from pasdeux.viz.writers import VideoWriter, gif_palette

BACKGROUND = "#ffffff"
FLOOR_COLOR = "#d4d4d4"
SHADOW_COLOR = "#e3e3e3"  # opaque: overlapping shadow bones must not darken
TEXT_COLOR = "#333333"
TRAIL_SECONDS = 0.8
HIGHLIGHT_COLOR = "#f2b600"  # rings around highlighted joints (a leader's most influential ones)
HIGHLIGHT_MIN = 0.15  # joints weighted below this are not ringed
FILL = 0.95  # the dancers' widest extent over the clip spans this fraction of the picture


def _without_head_bones(bones: np.ndarray, heads: list[int]) -> np.ndarray:
    return bones[~np.isin(bones, heads).all(1)] if heads else bones


def _fade(image: np.ndarray, dpi: float) -> tuple[np.ndarray, int, int]:
    """Agg filter: the artist's own rendered layer at ghost opacity."""
    image[..., 3] *= GHOST_ALPHA
    return image, 0, 0


def to_mpl(points: np.ndarray) -> np.ndarray:
    """pasdeux y-up `[..., 3]` to matplotlib z-up coordinates."""
    return np.stack([points[..., 0], -points[..., 2], points[..., 1]], axis=-1)


def even_size(size: tuple[int, int]) -> tuple[int, int]:
    """Pixel size rounded to multiples of 16 (what H.264 encoders want), at least 160 x 128."""
    w, h = (int(v) for v in size)
    if w < 64 or h < 64:
        raise ConfigError(f"size must be at least 64 x 64 pixels; got {w} x {h}")
    return max(160, 16 * round(w / 16)), max(128, 16 * round(h / 16))


class Stage:
    """A matplotlib figure holding the scene; `frame(i)` poses it at frame `i` and returns its RGBA pixels."""

    def __init__(self, scene: Scene, size: tuple[int, int], trails: bool = False, elev: float = 12.0,
                 azim: float = -72.0, line_width: float | None = None):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from mpl_toolkits.mplot3d import Axes3D  # noqa: F401  (registers the 3d projection)

        self.scene, self.size = scene, size
        dpi = 100
        self.fig = Figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi, facecolor=BACKGROUND)
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_axes((0, 0, 1, 1), projection="3d", facecolor=BACKGROUND)
        self.ax.set_axis_off()
        self.ax.computed_zorder = False  # draw floor, shadows, ghost, dancers in that order, always
        # Bones keep a readable thickness at any output size.
        self.lw = line_width or max(1.5, 3.2 * min(size) / 560)
        self._frame_camera(elev, azim)
        self._floor()
        self.pos = to_mpl(scene.positions)
        self.ghost = None if scene.ghost is None else to_mpl(scene.ghost)
        self.bones = np.asarray(scene.skeleton.bones, dtype=int).reshape(-1, 2)
        self.ghost_bones = (None if scene.ghost_skeleton is None
                            else np.asarray(scene.ghost_skeleton.bones, dtype=int).reshape(-1, 2))
        self._artists(trails)
        self._labels()
        self._background = None
        self._fit_zoom()
        # set_box_aspect shrinks the axes to the box's aspect; draw over the whole picture, not inside it.
        for artist in [*self.ax.collections, *self.ax.lines]:
            artist.set_clip_on(False)

    # --- set-up ---------------------------------------------------------------------------
    def _frame_camera(self, elev: float, azim: float) -> None:
        """Fixed limits for the whole clip, equal scale on all axes, floor at the bottom."""
        s = self.scene
        lo, hi = to_mpl(s.lo), to_mpl(s.hi)
        lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
        centre = (lo + hi) / 2
        half = np.maximum((hi - lo) / 2 + 0.12, 0.6)  # margin so no limb touches the frame edge
        zlo, zhi = s.floor, max(hi[2], s.floor + 1.0) + 0.08
        self.lims = ((centre[0] - half[0], centre[0] + half[0]), (centre[1] - half[1], centre[1] + half[1]),
                     (zlo, zhi))
        self.ax.set_xlim(*self.lims[0])
        self.ax.set_ylim(*self.lims[1])
        self.ax.set_zlim(*self.lims[2])
        self.ax.set_box_aspect([b - a for a, b in self.lims])
        self.ax.set_proj_type("persp", focal_length=0.6)
        self.ax.view_init(elev=elev, azim=azim)

    def _fit_zoom(self) -> None:
        """Zoom so every point of the clip stays in the picture (below the legend), as large as possible."""
        from mpl_toolkits.mplot3d import proj3d

        pts = to_mpl(self.scene.all_points())
        pts = pts[np.isfinite(pts).all(1)]
        pts = pts[:: max(1, len(pts) // 20000)]
        pts = np.concatenate([pts, np.c_[pts[:, :2], np.full(len(pts), self.scene.floor)]])  # shadows too
        zoom = 1.0
        for _ in range(3):  # perspective makes the fit slightly non-linear; a few rounds settle it
            self.ax.set_box_aspect([b - a for a, b in self.lims], zoom=zoom)
            self.canvas.draw()
            x, y, _ = proj3d.proj_transform(*pts.T, self.ax.get_proj())
            fx, fy = self.fig.transFigure.inverted().transform(self.ax.transData.transform(np.c_[x, y])).T
            # Half-extent from the picture centre, as a fraction of the room available on that side.
            q = 1 - OUTLIER_PERCENT / 100
            reach = max(np.quantile(np.abs(fx - 0.5), q) / 0.5, (np.quantile(fy, q) - 0.5) / 0.42,
                        (0.5 - np.quantile(fy, 1 - q)) / 0.48)
            zoom *= FILL / reach
        self.ax.set_box_aspect([b - a for a, b in self.lims], zoom=zoom)

    def _floor(self) -> None:
        """A half-metre grid on the floor plane, reaching past the framed area so no one dances at its edge."""
        from mpl_toolkits.mplot3d.art3d import Line3DCollection

        (x0, x1), (y0, y1), _ = self.lims
        x0, x1, y0, y1 = x0 - 1.0, x1 + 1.0, y0 - 1.0, y1 + 1.0
        z = self.scene.floor
        xs = np.arange(np.ceil(x0 / 0.5) * 0.5, x1 + 1e-9, 0.5)
        ys = np.arange(np.ceil(y0 / 0.5) * 0.5, y1 + 1e-9, 0.5)
        segs = [[(x, y0, z), (x, y1, z)] for x in xs] + [[(x0, y, z), (x1, y, z)] for y in ys]
        self.ax.add_collection3d(Line3DCollection(segs, colors=FLOOR_COLOR, linewidths=0.8, zorder=0), autolim=False)

    def _collection(self, color: str, alpha: float | None, width: float, zorder: float):
        from mpl_toolkits.mplot3d.art3d import Line3DCollection

        col = Line3DCollection([], colors=color, alpha=alpha, linewidths=width, capstyle="round",
                               joinstyle="round", zorder=zorder)
        self.ax.add_collection3d(col, autolim=False)
        return col

    def _artists(self, trails: bool) -> None:
        from matplotlib.colors import to_rgba

        s = self.scene
        self.shadows = [self._collection(SHADOW_COLOR, 1.0, self.lw * 1.3, 1) for _ in range(len(s.colors))]
        # Ghosts are drawn opaque into their own layer, then faded as a whole (group opacity): overlapping
        # bones do not stack into darker blots at the joints.
        # All ghosts share one collection (each filter pass costs a full-frame layer), heads included as rings.
        self.ghost_layer = self._collection("none", 1.0, self.lw * 1.15, 2)
        if self.ghost is not None:
            self.ghost_layer.set_agg_filter(_fade)
        self.ghost_rgba = [to_rgba(c) for c in s.ghost_colors]
        self.lines = [self._collection(c, 1.0, self.lw, 3) for c in s.colors]
        # A ring for the head tells up from down at a glance; bones inside the head would show through it.
        self.head_joints = head_joints(s.skeleton)
        self.ghost_head_joints = head_joints(s.ghost_skeleton) if s.ghost_skeleton else []
        self.bones = _without_head_bones(self.bones, self.head_joints)
        if self.ghost_bones is not None:
            self.ghost_bones = _without_head_bones(self.ghost_bones, self.ghost_head_joints)
        self.ring = self._ring_shape(1.0)
        self.head_size = head_radius(s.positions, self.head_joints)
        self.ghost_head_size = head_radius(s.ghost, self.ghost_head_joints) if s.ghost is not None else 0.0
        # Highlighted joints get rings sized by their weight, one collection for all dancers.
        self.marks = [(d, np.nonzero(w >= HIGHLIGHT_MIN)[0], w[w >= HIGHLIGHT_MIN])
                      for d, w in enumerate(s.highlight) if w is not None]
        self.mark_layer = self._collection(HIGHLIGHT_COLOR, 1.0, self.lw, 3.5) if self.marks else None
        self.trail_joints = effectors(s.skeleton) if trails else []
        self.trail_len = max(2, int(round(TRAIL_SECONDS * s.fps)))
        self.trails = []
        for c in (s.colors if self.trail_joints else []):
            col = self._collection(c, None, self.lw * 0.5, 2.5)  # alpha None: per-segment alphas rule
            col.set_capstyle("butt")  # round caps of translucent segments would overlap into beads
            rgba = np.tile(to_rgba(c), (self.trail_len - 1, 1))
            rgba[:, 3] = np.linspace(0.05, 0.6, self.trail_len - 1)  # older segments fade out
            self.trails.append((col, np.tile(rgba, (len(self.trail_joints), 1))))

    def _labels(self) -> None:
        from matplotlib.lines import Line2D
        from matplotlib.transforms import offset_copy

        s = self.scene
        fs = max(7.0, 9.5 * min(self.size) / 560)
        texts = []
        if s.title:
            texts.append(self.fig.text(0.015, 0.975, s.title, ha="left", va="top", color=TEXT_COLOR,
                                       fontsize=fs * 1.1, weight="bold"))
        below = offset_copy(self.fig.transFigure, fig=self.fig, y=-1.8 * fs if s.title else 0, units="points")
        self.counter = self.fig.text(0.015, 0.975, self._counter_text(s.n_frames - 1), ha="left", va="top",
                                     color=TEXT_COLOR, fontsize=fs, family="monospace", transform=below)
        texts.append(self.counter)
        handles = [Line2D([], [], color=c, lw=self.lw, label=lab) for c, lab in zip(s.colors, s.labels)]
        handles += [Line2D([], [], color=c, lw=self.lw, alpha=GHOST_ALPHA, label=lab)
                    for c, lab in zip(s.ghost_colors, s.ghost_labels)]
        if len(handles) > 1:
            self._place_legend(handles, texts, fs)

    def _place_legend(self, handles: list, texts: list, fs: float) -> None:
        """Legend top right in one row; in two rows, or at the bottom, when it would cover the title."""
        renderer = self.canvas.get_renderer()
        boxes = [t.get_window_extent(renderer) for t in texts]
        for ncols, loc in ((len(handles), "upper right"), (2, "upper right"), (len(handles), "lower right")):
            legend = self.fig.legend(handles=handles, loc=loc, frameon=False, fontsize=fs, handlelength=1.4,
                                     ncols=min(ncols, len(handles)), borderaxespad=0.4, labelcolor=TEXT_COLOR,
                                     columnspacing=1.2)
            box = legend.get_window_extent(renderer)
            if not any(box.overlaps(b) for b in boxes):
                return
            legend.remove()
        self.fig.legend(handles=handles, loc="lower right", frameon=False, fontsize=fs * 0.85, ncols=2,
                        handlelength=1.2, borderaxespad=0.3, labelcolor=TEXT_COLOR)

    def _counter_text(self, f: int) -> str:
        s = self.scene
        return f"frame {f + 1:>{len(str(s.n_frames))}}/{s.n_frames}   {s.t0 + f / s.fps:6.2f} s"

    # --- per frame ------------------------------------------------------------------------
    @staticmethod
    def _segments(points: np.ndarray, bones: np.ndarray) -> np.ndarray:
        segs = np.stack([points[bones[:, 0]], points[bones[:, 1]]], axis=1)
        return segs[np.isfinite(segs).all(axis=(1, 2))]  # a missing joint hides its bones, nothing else

    def _ring_shape(self, radius: float) -> np.ndarray:
        """Segments `[28, 2, 3]` of a unit circle facing the camera, centred on the origin."""
        e, a = np.radians(self.ax.elev), np.radians(self.ax.azim)
        view = np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])
        u = np.array([-np.sin(a), np.cos(a), 0.0])
        v = np.cross(view, u)
        t = np.linspace(0, 2 * np.pi, 29)
        pts = radius * (np.cos(t)[:, None] * u + np.sin(t)[:, None] * v)
        return np.stack([pts[:-1], pts[1:]], axis=1)

    def _with_head(self, segs: np.ndarray, points: np.ndarray, heads: list[int], size: float) -> np.ndarray:
        """Bone segments of one body at one frame plus its head ring (when the head is there)."""
        if heads:
            centre = points[heads].mean(0)
            if np.isfinite(centre).all():
                # The ring just reaches the head joints in this frame (pose-estimated bodies are not rigid).
                reach = np.linalg.norm(points[heads] - centre, axis=-1).max() if len(heads) > 1 else size
                segs = np.concatenate([segs, self.ring * np.clip(reach, 0.8 * size, 1.2 * size) + centre])
        return segs

    def _pose_ghosts(self, f: int) -> None:
        bodies = [self._with_head(self._segments(self.ghost[d, f], self.ghost_bones), self.ghost[d, f],
                                  self.ghost_head_joints, self.ghost_head_size) for d in range(len(self.ghost_rgba))]
        self.ghost_layer.set_segments(np.concatenate(bodies))
        self.ghost_layer.set_color(np.repeat(self.ghost_rgba, [len(b) for b in bodies], axis=0))

    def pose(self, f: int) -> None:
        """Move every artist to frame `f`."""
        s = self.scene
        for d, line in enumerate(self.lines):
            bones = self._segments(self.pos[d, f], self.bones)
            line.set_segments(self._with_head(bones, self.pos[d, f], self.head_joints, self.head_size))
            shadow = bones.copy()
            shadow[..., 2] = s.floor
            self.shadows[d].set_segments(shadow)
        if self.ghost is not None:
            self._pose_ghosts(f)
        if self.trails:
            f0 = max(0, f - self.trail_len + 1)
            for d, (col, rgba) in enumerate(self.trails):
                path = self.pos[d, f0:f + 1][:, self.trail_joints]  # [t, effectors, 3]
                segs = np.stack([path[:-1], path[1:]], axis=2).transpose(1, 0, 2, 3)  # [effectors, t-1, 2, 3]
                n = segs.shape[1]
                keep = np.isfinite(segs).all(axis=(2, 3))
                col.set_segments(segs[keep])
                col.set_color(rgba.reshape(len(self.trail_joints), -1, 4)[:, -n:][keep] if n else rgba[:0])
        if self.mark_layer is not None:
            rings = [self.ring * (self.head_size * (0.3 + 0.45 * w)) + self.pos[d, f, j]
                     for d, joints, weights in self.marks for j, w in zip(joints, weights)]
            rings = np.concatenate(rings) if rings else np.empty((0, 2, 3))
            self.mark_layer.set_segments(rings[np.isfinite(rings).all(axis=(1, 2))])
        self.counter.set_text(self._counter_text(f))

    def _moving(self) -> list:
        """Artists that change every frame, in drawing order."""
        trails = [col for col, _ in self.trails]
        marks = [self.mark_layer] if self.mark_layer is not None else []
        return sorted([*self.shadows, self.ghost_layer, *trails, *self.lines, *marks], key=lambda a: a.get_zorder())

    def frame(self, f: int) -> memoryview:
        """RGBA pixels `[height, width, 4]` of frame `f`."""
        moving = self._moving()
        if self._background is None:
            # Floor, title and legend never change: render them once, then blit and draw only what moves.
            for a in [*moving, self.counter]:
                a.set_visible(False)
            self.canvas.draw()  # also fixes the 3D projection matrix for the whole clip
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            for a in [*moving, self.counter]:
                a.set_visible(True)
        self.pose(f)
        self.canvas.restore_region(self._background)
        for a in moving:
            a.do_3d_projection()
            self.ax.draw_artist(a)
        self.fig.draw_artist(self.counter)
        return self.canvas.buffer_rgba()

    def close(self) -> None:
        self.fig.clear()


def render_video(scene: Scene, out: Path, size: tuple[int, int] = (800, 560), trails: bool = False,
                 elev: float = 12.0, azim: float = -72.0, audio=None) -> Path:
    """Render the scene to `out` (.gif or .mp4, with `audio`, a `viz.sound.Soundtrack`, as its sound); returns
    the path."""
    out = Path(out)
    size = even_size(size)
    stage = Stage(scene, size, trails=trails, elev=elev, azim=azim)
    marks = [HIGHLIGHT_COLOR] if any(w is not None for w in scene.highlight) else []
    palette = gif_palette([BACKGROUND, FLOOR_COLOR, SHADOW_COLOR, TEXT_COLOR, *scene.colors, *marks],
                          [(c, GHOST_ALPHA) for c in scene.ghost_colors])
    try:
        with VideoWriter(out, size, scene.fps, palette, audio) as writer:
            for f in range(scene.n_frames):
                writer.write(stage.frame(f))
    finally:
        stage.close()
    return out

"""`show()`: the interactive 3D viewer inline in Jupyter, with no network needed."""

from __future__ import annotations

import html
import os
from pathlib import Path

from pasdeux.errors import ConfigError
from pasdeux.motion import Motion
from pasdeux.viz.animate import as_motion
from pasdeux.viz.viewer import motion_payload, viewer_html, write_text_atomic


class Viewer:
    """A viewer page that Jupyter displays inline (iframe `srcdoc`, so its scripts run) and that can be saved."""

    def __init__(self, page: str, height: int = 520):
        if height < 200:
            raise ConfigError(f"height must be at least 200 pixels; got {height}")
        self.page, self.height = page, int(height)

    def _repr_html_(self) -> str:
        # srcdoc keeps the page self-contained; sandboxing without same-origin isolates it from the notebook.
        return (f'<iframe srcdoc="{html.escape(self.page, quote=True)}" style="width:100%;height:{self.height}px;'
                f'border:0;border-radius:6px" sandbox="allow-scripts" loading="eager" '
                f'title="pasdeux viewer"></iframe>')

    def save(self, path: str | os.PathLike) -> Path:
        """Write the standalone HTML page."""
        return write_text_atomic(Path(path), self.page)

    def __repr__(self) -> str:
        return f"<pasdeux Viewer: {len(self.page) / 1e6:.1f} MB page; display it in Jupyter or .save('x.html')>"


def show(motion: Motion | str | os.PathLike, ghost: Motion | str | os.PathLike | None = None, dancers=None,
         start: int = 0, frames: int | None = None, fps: float | None = None, title: str | None = None,
         height: int = 520, autoplay: bool = True, highlight: dict | None = None) -> Viewer:
    """The interactive viewer of a motion (and optional ghost), displayed inline when it is a cell's result;
    `highlight` marks joints (`{dancer: weight per joint}`)."""
    payload = motion_payload(as_motion(motion), None if ghost is None else as_motion(ghost, "ghost"),
                             dancers=dancers, start=start, frames=frames, fps=fps, title=title, highlight=highlight)
    return Viewer(viewer_html(payload, autoplay=autoplay), height)

"""Test videos made from a real photograph of a person, for the tests and `pasdeux bench extract`.

No dance video ships with pasdeux, but matplotlib ships a real photograph of a person (Grace Hopper,
`grace_hopper.jpg`). A clip sets one copy of it, or two side by side (the second mirrored), on a
plain stage and slides them across the frame over time, so detection, tracking, identities, gaps
and speed can be checked on real image content. The photograph shows head and shoulders only.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

STAGE = (64, 70, 78)  # a dark grey stage


def photograph(height: int = 360) -> np.ndarray:
    """matplotlib's sample photograph of a person, RGB uint8, scaled to `height` pixels."""
    from matplotlib import cbook
    from PIL import Image

    with cbook.get_sample_data("grace_hopper.jpg") as f:
        img = Image.open(f).convert("RGB")
        w = round(img.width * height / img.height)
        return np.asarray(img.resize((w, height), Image.BILINEAR))


def layout(n: int, people: int = 1, size: tuple[int, int] = (960, 540), travel: float = 120.0,
           cross: bool = False) -> np.ndarray:
    """Where each copy of the photograph lies in each frame: boxes `[n, people, 4]` (x0, y0, x1, y1).

    `cross`: the two people walk past each other instead, the second in front (hiding the first)."""
    w, h = size
    ph = int(h * 0.75)
    pw = round(photograph_size()[0] * ph / photograph_size()[1])
    slots = [w // 2 - pw // 2] if people == 1 else [w // 4 - pw // 2, 3 * w // 4 - pw // 2 - 40]
    out = np.zeros((n, people, 4), int)
    for t in range(n):
        shift = int(round(travel / 2 * (1 - np.cos(2 * np.pi * t / max(n, 2)))))
        for k, x0 in enumerate(slots):
            if cross and people == 2:
                a, b = (0, w - pw) if k == 0 else (w - pw, 0)
                x = int(round(a + (b - a) * t / max(n - 1, 1)))
            else:
                x = int(np.clip(x0 + shift, 0, w - pw))
            out[t, k] = (x, h - ph, x + pw, h)
    return out


def photograph_size() -> tuple[int, int]:
    """Width and height of the photograph as shipped."""
    return 512, 600


def frames(n: int, people: int = 1, size: tuple[int, int] = (960, 540), travel: float = 120.0,
           missing: dict[int, set[int]] | None = None, cross: bool = False) -> list[np.ndarray]:
    """`n` frames `[H, W, 3]` with `people` (1 or 2) copies of the photograph (the second mirrored), each
    sliding `travel` pixels to the right and back (see `layout`); `missing` maps a person index to the
    frames it is left out of. With `cross` the two walk past each other and the second, in front, wears
    a maroon jacket (the photograph's navy one recoloured), so the two can be told apart."""
    w, h = size
    photo = photograph(int(h * 0.75))
    costume = photo.copy()  # the same person in a maroon jacket instead of a navy one
    chest = slice(int(0.62 * photo.shape[0]), None)
    costume[chest] = np.clip(photo[chest].astype(int) + np.array([90, 0, -10]), 0, 255).astype(np.uint8)
    copies = [photo, costume[:, ::-1] if cross else photo[:, ::-1]][:people]
    boxes = layout(n, people, size, travel, cross)
    out = []
    for t in range(n):
        canvas = np.empty((h, w, 3), np.uint8)
        canvas[:] = STAGE
        for k, img in enumerate(copies):
            if missing and t in missing.get(k, set()):
                continue
            x0, y0, x1, y1 = boxes[t, k]
            canvas[y0:y1, x0:x1] = img[:y1 - y0, :x1 - x0]
        out.append(canvas)
    return out


def write(path: str | os.PathLike, images: list[np.ndarray], fps: float = 30.0) -> Path:
    """Write frames as an H.264 MP4 with the ffmpeg of imageio-ffmpeg."""
    import imageio_ffmpeg

    path = Path(path)
    h, w = images[0].shape[:2]
    writer = imageio_ffmpeg.write_frames(str(path), (w, h), fps=fps, codec="libx264", quality=8,
                                         macro_block_size=1, ffmpeg_log_level="error")
    writer.send(None)
    for img in images:
        writer.send(np.ascontiguousarray(img))
    writer.close()
    return path

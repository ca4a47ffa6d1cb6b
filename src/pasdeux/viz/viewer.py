"""The offline 3D viewer: a compact JSON payload of a motion and one self-contained HTML page showing it.

The page inlines the three.js bundle built by `viewer/` (npm), so it opens straight from disk with no
network. Positions travel as int16 millimetres in base64: 1800 frames of a duet weigh under 1 MB.
"""

from __future__ import annotations

import base64
import html
import json
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from pasdeux import files
from pasdeux.body import head_joints
from pasdeux.errors import ConfigError
from pasdeux.motion import Motion, Skeleton
from pasdeux.viz.scene import Scene, body_height, build_scene, head_radius

PAYLOAD_FORMAT = "pasdeux-motion"
PAYLOAD_VERSION = 1
MISSING = -32768  # int16 code of a missing (NaN) joint
_INT16_REACH = 32000  # leave a little headroom below 32767 for rounding


@lru_cache(maxsize=1)
def viewer_bundle() -> str:
    """The minified viewer + three.js script (global `PasdeuxViewer`)."""
    return resources.files("pasdeux.viz").joinpath("assets/pasdeux-viewer.min.js").read_text("utf-8")


def _quantiser(points: np.ndarray) -> tuple[np.ndarray, float]:
    """Origin (mm-rounded centre) and metres-per-unit so every finite point fits an int16; 1 mm when it can."""
    finite = points[np.isfinite(points).all(-1)]
    lo, hi = finite.min(0), finite.max(0)
    origin = np.round((lo + hi) / 2, 3)
    reach = float(np.abs(finite - origin).max()) if finite.size else 0.0
    return origin, max(0.001, reach / _INT16_REACH)


def _encode(positions: np.ndarray, origin: np.ndarray, scale: float) -> str:
    """`[frames, joints, 3]` metres -> base64 of little-endian int16 in units of `scale`, MISSING for NaN."""
    q = np.round((positions - origin) / scale)
    q = np.where(np.isfinite(q), q, MISSING).astype("<i2")
    return base64.b64encode(q.tobytes()).decode("ascii")


def _skeleton_spec(sk: Skeleton, positions: np.ndarray) -> dict:
    heads = head_joints(sk)
    return {"name": sk.name, "joints": list(sk.joints), "bones": [list(b) for b in sk.bones], "head": heads,
            "head_radius": head_radius(positions, heads)}


def scene_payload(scene: Scene) -> dict:
    """The JSON-safe payload the viewer component reads (see `motion_payload`)."""
    origin, scale = _quantiser(scene.all_points())
    skeletons = [_skeleton_spec(scene.skeleton, scene.positions)]
    figures = [{"label": lab, "color": c, "ghost": False, "skeleton": 0, "positions": _encode(p, origin, scale)}
               for p, c, lab in zip(scene.positions, scene.colors, scene.labels)]
    for fig, weights in zip(figures, scene.highlight):
        if weights is not None:
            fig["highlight"] = np.round(weights, 3).tolist()
    if scene.ghost is not None:
        skeletons.append(_skeleton_spec(scene.ghost_skeleton, scene.ghost))
        figures += [{"label": lab, "color": c, "ghost": True, "skeleton": 1, "positions": _encode(p, origin, scale)}
                    for p, c, lab in zip(scene.ghost, scene.ghost_colors, scene.ghost_labels)]
    return {"format": PAYLOAD_FORMAT, "version": PAYLOAD_VERSION, "title": scene.title, "fps": scene.fps,
            "frames": scene.n_frames, "t0": scene.t0, "floor": scene.floor,
            # Bone and head sizes follow the body, so small-unit mocap does not look like balloons.
            "body_scale": float(np.clip(body_height(scene.positions) / 1.6, 0.25, 4.0)),
            "bounds": [scene.lo.tolist(), scene.hi.tolist()], "skeletons": skeletons, "figures": figures,
            "quant": {"origin": origin.tolist(), "scale": scale}, "missing": MISSING}


def motion_payload(motion: Motion, ghost: Motion | None = None, **scene_options) -> dict:
    """JSON-safe viewer payload of a motion and optional ghost (options as for `animate`: dancers, start, ...)."""
    return scene_payload(build_scene(motion, ghost, **scene_options))


def decode_positions(payload: dict, figure: int) -> np.ndarray:
    """Positions `[frames, joints, 3]` (metres, NaN for missing) of one payload figure: the inverse of the encoding."""
    fig = payload["figures"][figure]
    n_joints = len(payload["skeletons"][fig["skeleton"]]["joints"])
    q = np.frombuffer(base64.b64decode(fig["positions"]), "<i2").reshape(payload["frames"], n_joints, 3)
    out = q * payload["quant"]["scale"] + np.asarray(payload["quant"]["origin"])
    return np.where(q == MISSING, np.nan, out).astype(np.float32)


def _safe_json(payload: dict) -> str:
    # Escaping "<" keeps a title such as "</script>" from ending the data block early.
    return json.dumps(payload, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")


def viewer_html(payload: dict, autoplay: bool = True) -> str:
    """One self-contained HTML page (no network) showing the payload in the interactive 3D viewer."""
    if payload.get("format") != PAYLOAD_FORMAT:
        raise ConfigError("viewer_html needs a payload made by pasdeux.viz.motion_payload()")
    title = html.escape(payload.get("title") or "motion")
    options = json.dumps({"autoplay": bool(autoplay)})
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="pasdeux">
<title>{title} - pasdeux</title>
<style>html, body {{ margin: 0; height: 100%; background: #f4f3ef; }} #pasdeux {{ position: fixed; inset: 0; }}</style>
</head>
<body>
<div id="pasdeux"></div>
<script type="application/json" id="pasdeux-data">{_safe_json(payload)}</script>
<script>{viewer_bundle()}</script>
<script>
window.pasdeuxViewer = PasdeuxViewer.createViewer(document.getElementById("pasdeux"),
  JSON.parse(document.getElementById("pasdeux-data").textContent), {options});
</script>
</body>
</html>
"""


def write_text_atomic(path: Path, text: str) -> Path:
    """Write `text` to `path` whole or not at all; an unwritable place is a user error."""
    try:
        return files.write_text_atomic(path, text)
    except OSError as e:
        raise ConfigError(f"cannot write {path}: {e.strerror or e}; choose a folder you can write to") from None


def audio_payload(track) -> dict:
    """The viewer payload's `audio`: a `viz.sound.Soundtrack` as an Ogg/Opus data URI starting at the first
    frame, with where it comes from."""
    from pasdeux.viz.sound import opus_data_uri

    return {"src": opus_data_uri(track), "source": track.source, "start": round(track.start, 6),
            "seconds": round(track.seconds, 6)}


def with_music(payload: dict, music, start: float = 0.0) -> dict:
    """The payload with its music: `music` (a sound file or `pasdeux.Music`) from `start` seconds at the motion's
    first frame, the span under the payload's frames (its `t0` on), played in sync by the viewer."""
    from pasdeux.viz.sound import soundtrack

    track = soundtrack(music, float(start) + payload.get("t0", 0.0), payload["frames"] / payload["fps"])
    return {**payload, "audio": audio_payload(track)}


def export_html(scene: Scene, out: str | os.PathLike, audio=None) -> Path:
    """Write the scene as an offline interactive viewer page (playing `audio`, a `viz.sound.Soundtrack`, in
    sync with the frames); returns the path."""
    payload = scene_payload(scene)
    if audio is not None:
        payload["audio"] = audio_payload(audio)
    return write_text_atomic(Path(out), viewer_html(payload))

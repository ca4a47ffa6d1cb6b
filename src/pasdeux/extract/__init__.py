"""Video to 3D motion: `pasdeux.extract("rehearsal.mp4", dancers=2)` returns a `Motion` on `mediapipe33`.

BlazePose (MediaPipe's pose detector and landmark models, run with LiteRT on the CPU) per frame, a
few more people followed than dancers and the dancers chosen once over the whole video, placed in the
room through a camera whose tilt and height come from where their feet meet the floor, fitted to rigid
bodies, cleaned and smoothed. `run()` returns the same motion with what the models saw (frame
landmarks, visibility).

Modules, one concern each: `models` (the model cache and its set-up), `video` (decoding), `detect`
(the person detector, on tiles too), `roi` (the region the landmark model looks at), `landmarks` (the
landmark model), `tracking` (following each person frame to frame), `identity` (tracklets joined into
people, the dancers chosen, crossed identities undone), `world` (the floor, the camera's tilt, placement
in the room), `rigid` (one set of bone lengths per dancer), `filter` (cleaning and smoothing), `unseen`
(parts the video hardly showed), `pipeline` (all of it), `synthetic` (test videos from a photograph),
`footage` (real clips from OpenCV's vtest.avi), `quality` (found share, identity switches, floor
flatness, bone-length variation), `bench` (speed and quality).
"""

from __future__ import annotations

import sys
import types

from pasdeux.extract.pipeline import Extraction, Options, extract, run

__all__ = ["extract", "run", "Extraction", "Options"]


class _CallableModule(types.ModuleType):
    """`pasdeux.extract` is both this package and the function: `pasdeux.extract(path)` calls `extract`."""

    def __call__(self, path, **options):
        return extract(path, **options)


sys.modules[__name__].__class__ = _CallableModule

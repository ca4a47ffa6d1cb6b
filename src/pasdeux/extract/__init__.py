"""Video to 3D motion: `pasdeux.extract("rehearsal.mp4", dancers=2)` returns a `Motion` on `mediapipe33`.

BlazePose (MediaPipe's pose detector and landmark models, run with LiteRT on the CPU) per frame, one
or two dancers tracked through the video, placed in the room through an assumed camera, cleaned and
smoothed. `run()` returns the same motion with what the models saw (frame landmarks, visibility).

Modules, one concern each: `models` (the model cache and its set-up), `video` (decoding), `detect`
(the person detector), `roi` (the region the landmark model looks at), `landmarks` (the landmark
model), `tracking` (following each dancer frame to frame), `identity` (undoing crossed identities),
`world` (placement in the room), `filter` (cleaning and smoothing), `pipeline` (all of it),
`synthetic` (test videos from a photograph), `bench` (extraction speed).
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

"""The bodies the studio's API accepts, with the bounds that keep one request from running for hours."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from pasdeux.generate.modes import FILE, MAX_SEED, MODES, SETTINGS, Setting


class Span(BaseModel):
    """A phrase: one dancer of a library motion, `frames` frames from frame `start`."""

    path: str
    dancer: int = Field(0, ge=0, le=63)
    start: int = Field(0, ge=0)
    frames: int = Field(64, ge=1, le=36_000)


class _Generation(BaseModel):
    """One generation request: a mode, a model, its phrases and a name; the settings come from the registry."""

    model: str
    source: Span | None = None
    source_b: Span | None = None
    name: str | None = Field(None, max_length=120)


def _setting_field(s: Setting) -> tuple[Any, Any]:
    """The type and bounds of one registry setting as a request field."""
    bounds = {k: v for k, v in (("ge", s.minimum), ("gt", s.above), ("le", s.maximum)) if v is not None}
    if s.choices:
        kind: Any = Literal[tuple(v for v, _ in s.choices if v)]
    elif s.type == FILE:
        kind, bounds = str, {"max_length": 1024}  # a library path, checked by the library before it is read
    else:
        kind = s.type
    return (kind | None if s.default is None else kind), Field(s.default, description=s.help, **bounds)


def generate_body() -> type[BaseModel]:
    """The generation request as the registry of modes has it (`pasdeux.generate.modes`): a mode, and one field
    per setting of any mode (which of them count depends on the mode)."""
    return create_model("GenerateBody", __base__=_Generation, __module__=__name__,
                        mode=(Literal[tuple(MODES)], ...), **{name: _setting_field(s) for name, s in SETTINGS.items()})


GenerateBody = generate_body()


class PathBody(BaseModel):
    path: str


class PairBody(BaseModel):
    """Two solo files of one take to join into a duet: `a` becomes dancer 1, `b` dancer 2."""

    a: str
    b: str
    name: str | None = Field(None, max_length=120)


class PickBody(BaseModel):
    """Two dancers of one file to train on as a couple: `dancers[0]` becomes dancer 1, `dancers[1]` dancer 2
    (0-based, as the API counts them)."""

    path: str
    dancers: tuple[int, int] = Field(..., description="two dancers of the file, 0-based")
    name: str | None = Field(None, max_length=120)


class TrashBody(BaseModel):
    id: str = Field(..., max_length=40)


class RenameBody(BaseModel):
    path: str
    name: str = Field(..., min_length=1, max_length=200)


class TrainBody(BaseModel):
    """A training run: a recipe, library motion files, a budget, and KEY=VALUE overrides."""

    recipe: str = "default"
    files: list[str] = Field(..., min_length=1, max_length=64)
    name: str | None = Field(None, max_length=120)
    budget_s: float | None = Field(None, gt=0.0, le=7 * 86_400)
    epochs: int | None = Field(None, ge=1, le=1_000_000)
    overrides: list[str] = Field(default_factory=list, max_length=64)
    seed: int = Field(0, ge=0, le=MAX_SEED)


class ResumeBody(BaseModel):
    """Continue a run for `more_s` seconds or `more_epochs` epochs beyond where it stopped (default 60 s)."""

    path: str
    more_s: float | None = Field(None, gt=0.0, le=7 * 86_400)
    more_epochs: int | None = Field(None, ge=1, le=1_000_000)


class InfluenceBody(BaseModel):
    """Which leader joints move which partner joints, for a duet model on the leads of a motion file."""

    model: str
    path: str
    direction: Literal["a2b", "b2a"] = "a2b"


class CompareBody(BaseModel):
    """Score `result` against the real motion `real` (default: the result's source)."""

    result: str
    real: str | None = None

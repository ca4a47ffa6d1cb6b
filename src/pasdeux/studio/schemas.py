"""The bodies the studio's API accepts, with the bounds that keep one request from running for hours."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

MAX_SEED = 2**31 - 1


class Span(BaseModel):
    """A phrase: one dancer of a library motion, `frames` frames from frame `start`."""

    path: str
    dancer: int = Field(0, ge=0, le=63)
    start: int = Field(0, ge=0)
    frames: int = Field(64, ge=1, le=36_000)


class GenerateBody(BaseModel):
    """One generation request; which fields count depends on the mode."""

    mode: Literal["variations", "prior", "interpolate", "transition", "long", "partner", "duet_prior",
                  "duet_variations"]
    model: str
    source: Span | None = None
    source_b: Span | None = None
    sigma: float = Field(0.5, ge=0.0, le=5.0)
    n: int = Field(3, ge=1, le=16)
    seed: int | None = Field(None, ge=0, le=MAX_SEED)
    seconds: float = Field(4.0, gt=0.0, le=600.0)
    steps: int = Field(8, ge=2, le=16)
    bridge_seconds: float = Field(2.0, gt=0.0, le=60.0)  # length of a transition's bridge
    direction: Literal["a2b", "b2a"] | None = None  # duets: who leads (default: the phrase's dancer)
    name: str | None = Field(None, max_length=120)


class PathBody(BaseModel):
    path: str


class PairBody(BaseModel):
    """Two solo files of one take to join into a duet: `a` becomes dancer 1, `b` dancer 2."""

    a: str
    b: str
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

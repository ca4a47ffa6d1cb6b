"""One registry of generation modes: what each mode is called, whether it needs a solo or a duet model, how many
phrases it starts from, the function that runs it, its settings and what its result is shown over.

Everything that offers generation reads this one list: the studio's request schema (`studio/schemas.py`), its
worker (`studio/tasks.py`), its provenance (which settings make a result again), the page (`GET /api/modes`
builds the form) and the CLI (`pasdeux generate ...`, `pasdeux duet ...`: help texts and the functions run).
Importing it needs neither torch nor the models: the functions import them when they run.

How to add a setting (for example a music file and its span):
  1. one `Setting` in `SETTINGS`: name, type (`float`, `int`, `str` or `FILE` for a file of the library),
     default, bounds, unit, label and help; choices for a word;
  2. its name in the `settings` of each mode that takes it, and a keyword of the mode's function (the
     `run_*` adapter below passes `settings[name]` on).
  The studio's schema, worker, provenance (a file setting also records its SHA-256) and form follow from that;
  the CLI gains it with one parameter `name: T = option("MODE", "name", default)` on the mode's command.
How to add a mode: a function `run_NAME(model, phrases, dancers, settings) -> Motion` and one `Mode` in `MODES`
(a duet mode also says how its result's dancers form couples, for Compare); the mode appears in the studio by
itself, and a CLI command calls `MODES[name].run`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pasdeux.motion import Motion

MAX_SEED = 2**31 - 1
FILE = "file"  # a setting whose value names a file: a library path in the studio, a path in the CLI
MUSIC_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".mp4", ".mov", ".webm", ".mkv")  # songs, and videos' sound

Run = Callable[[Any, list["Motion"], list[int], dict[str, Any]], "Motion"]


@dataclass(frozen=True)
class Setting:
    """One setting of one or more modes, with the bounds the studio's API enforces and how the page shows it."""

    name: str
    type: Any  # float, int, str or FILE
    default: Any
    label: str
    help: str
    minimum: float | None = None  # inclusive
    above: float | None = None  # exclusive lower bound (a length must be more than 0)
    maximum: float | None = None
    unit: str | None = None  # "s" for seconds
    choices: tuple[tuple[str, str], ...] = ()  # (value, what the page says) for a word; "" is the default
    suffixes: tuple[str, ...] = ()  # the file kinds a FILE setting accepts (".wav", ...)
    form: dict[str, Any] = field(default_factory=dict)  # the page's input: id, widget, a gentler range, step

    def public(self) -> dict[str, Any]:
        """What the page needs to build its field (JSON)."""
        out = asdict(self)
        out["type"] = self.type if isinstance(self.type, str) else self.type.__name__
        out["choices"] = [{"value": v, "label": t} for v, t in self.choices]
        return out


@dataclass(frozen=True)
class Ghost:
    """What a result is shown over: `make(phrase, dancer, model, n)` gives it (or None), `label` names it in the
    page; `on_reopen` when it is shown again when the result is opened later (from its provenance)."""

    label: str
    make: Callable[[Any, int, Any, int], Any]
    on_reopen: bool = True
    needs_model: bool = False


@dataclass(frozen=True)
class Mode:
    """One way of generating: its name, solo or duet model, phrases it starts from, function and settings."""

    name: str
    kind: Literal["solo", "duet"]
    label: str
    phrases: int
    settings: tuple[str, ...]
    run: Run
    ghost: Ghost | None = None
    hints: dict[str, str] = field(default_factory=dict)  # what a setting means in this mode, where it differs
    couples: Callable[[Any, str], list] | None = None  # a duet mode's result as couples (dancer A, dancer B)

    def public(self) -> dict[str, Any]:
        """What the page needs: name, kind, label, phrases, settings, and the ghost's name."""
        return {"name": self.name, "kind": self.kind, "label": self.label, "phrases": self.phrases,
                "settings": list(self.settings), "ghost": self.ghost.label if self.ghost else None,
                "ghost_on_reopen": bool(self.ghost and self.ghost.on_reopen)}


SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("sigma", float, 0.5, "sigma", "how far from the phrase: 0 reproduces it; larger is bolder",
            minimum=0.0, maximum=5.0, form={"widget": "range", "max": 2, "step": 0.05}),
    Setting("n", int, 3, "count", "how many results, side by side", minimum=1, maximum=16),
    Setting("seconds", float, 4.0, "seconds", "length of each result in seconds", above=0.0, maximum=600.0,
            unit="s", form={"min": 1, "step": 1, "unit": ""}),
    Setting("direction", str, None, "leader", "who leads: a2b, dancer 1 leads and the partner is dancer 2; b2a the "
            "reverse (default: the phrase's dancer)",
            choices=(("", "the phrase's dancer"), ("a2b", "dancer 1 leads"), ("b2a", "dancer 2 leads"))),
    Setting("steps", int, 8, "steps", "phrases on the way from A to B", minimum=2, maximum=16),
    Setting("bridge_seconds", float, 2.0, "bridge", "length of the generated bridge between A and B in seconds",
            above=0.0, maximum=60.0, unit="s", form={"id": "bridge", "min": 0.1, "step": 0.1}),
    Setting("seed", int, None, "seed", "random seed (a fresh one is drawn and recorded when none is given)",
            minimum=0, maximum=MAX_SEED, form={"placeholder": "random", "width": "8em"}),
    Setting("music", FILE, None, "music", "a song to dance to (WAV, FLAC, OGG, MP3 or a video's sound): the result "
            "lasts as long as the music span and lands on its beats (generate.music_sync)", suffixes=MUSIC_SUFFIXES),
    Setting("music_start", float, 0.0, "music from", "seconds into the music where the dance begins", minimum=0.0,
            unit="s", form={"step": 0.5}),
    Setting("music_seconds", float, None, "music length", "seconds of music to dance to (default: the length "
            "asked, or a partner's whole lead)", above=0.0, maximum=600.0, unit="s", form={"step": 0.5}),
)}
MUSIC = ("music", "music_start", "music_seconds")


# --- what each mode runs: (model, phrases at the model's rate, their dancers, settings) -> Motion ---------------
def run_variations(model: Any, phrases: list, dancers: list[int], s: dict) -> Motion:
    from pasdeux.generate.solo import variations

    return variations(model, phrases[0], s["sigma"], s["n"], s["seed"], dancer=dancers[0])


def run_prior(model: Any, phrases: list, dancers: list[int], s: dict) -> Motion:
    if s.get("music"):  # danced to a span of music
        from pasdeux.generate.to_music import run_mode

        return run_mode("prior", model, phrases, dancers, s)
    from pasdeux.generate.solo import prior

    return prior(model, s["n"], s["seconds"], s["seed"])


def run_interpolate(model: Any, phrases: list, dancers: list[int], s: dict) -> Motion:
    from pasdeux.generate.solo import interpolate

    return interpolate(model, phrases[0], phrases[1], s["steps"], dancer_a=dancers[0], dancer_b=dancers[1])


def run_transition(model: Any, phrases: list, dancers: list[int], s: dict) -> Motion:
    from pasdeux.generate.solo import transition

    return transition(model, phrases[0], phrases[1], bridge_seconds=s["bridge_seconds"], dancer_a=dancers[0],
                      dancer_b=dancers[1], seed=s["seed"])


def run_long(model: Any, phrases: list, dancers: list[int], s: dict) -> Motion:
    if s.get("music"):  # danced to a span of music
        from pasdeux.generate.to_music import run_mode

        return run_mode("long", model, phrases, dancers, s)
    from pasdeux.generate.solo import long_form

    return long_form(model, s["seconds"], s["seed"])


def run_partner(model: Any, phrases: list, dancers: list[int], s: dict) -> Motion:
    if s.get("music"):  # danced to a span of music
        from pasdeux.generate.to_music import run_mode

        return run_mode("partner", model, phrases, dancers, s)
    from pasdeux.generate.partners import partner

    return partner(model, phrases[0], s["sigma"], s["n"], s["seed"], lead_dancer=dancers[0],
                   direction=s["direction"])


def run_duet_prior(model: Any, phrases: list, dancers: list[int], s: dict) -> Motion:
    if s.get("music"):  # danced to a span of music
        from pasdeux.generate.to_music import run_mode

        return run_mode("duet_prior", model, phrases, dancers, s)
    from pasdeux.generate.duet import duet_prior

    return duet_prior(model, s["n"], s["seconds"], s["seed"], direction=s["direction"])


def run_duet_variations(model: Any, phrases: list, dancers: list[int], s: dict) -> Motion:
    from pasdeux.generate.duet import duet_variations

    return duet_variations(model, phrases[0], s["sigma"], s["n"], s["seed"], direction=s["direction"])


# --- what a result is shown over ----------------------------------------------------------------------------
def source_under_variations(phrase: Motion, dancer: int, model: Any, n: int) -> Motion:
    """The phrase under each of `n` variations (a phrase of another skeleton as the model's body dances it)."""
    from pasdeux.generate.lead import on_model_skeleton
    from pasdeux.generate.solo import ghost_for_variations

    if model is None:  # reopened without its model: the phrase as it was filmed
        return ghost_for_variations(phrase, n, dancer)
    moved, notes = on_model_skeleton(model, phrase, dancer)
    return ghost_for_variations(moved, n, 0 if notes else dancer)


def real_partner_of_lead(phrase: Motion, dancer: int, model: Any, n: int) -> Motion | None:
    """The lead's real partner (when the phrase is a duet) beside the generated ones."""
    from pasdeux.generate.partners import real_partner

    return real_partner(phrase, dancer, model)


def source_duet(phrase: Motion, dancer: int, model: Any, n: int) -> Motion | None:
    """The duet itself under its one variation (several are set side by side, where one ghost would mislead)."""
    return phrase if n == 1 else None


# --- a duet result as couples, each in the training pairs' order (A, B), to be scored like the real couple -------
def lead_with_each_partner(result: Motion, direction: str) -> list[Motion]:
    """A partner result holds the lead, then each partner: one couple per partner."""
    order = (lambda k: (0, k)) if direction == "a2b" else (lambda k: (k, 0))
    return [result.dancer(*order(k)) for k in range(1, result.n_dancers)]


def pairs_side_by_side(result: Motion, direction: str) -> list[Motion]:
    """Duets set side by side, each as (leader, partner): the leader is B when B leads."""
    order = (0, 1) if direction == "a2b" else (1, 0)
    return [result.dancer(2 * k + order[0], 2 * k + order[1]) for k in range(result.n_dancers // 2)]


def pairs_in_place(result: Motion, direction: str) -> list[Motion]:
    """Duets set side by side, each already A then B."""
    return [result.dancer(2 * k, 2 * k + 1) for k in range(result.n_dancers // 2)]


def couples(result: Motion) -> list[Motion] | None:
    """The couples of a duet mode's result, from its provenance (None for a solo result or plain motion)."""
    record = result.provenance or {}
    mode = MODES.get(record.get("mode"))
    if mode is None or mode.couples is None:
        return None
    return mode.couples(result, record.get("direction") or "a2b")


MODES: dict[str, Mode] = {m.name: m for m in (
    Mode("variations", "solo", "variations of the phrase", 1, ("sigma", "n", "seed"), run_variations,
         Ghost("its source phrase", source_under_variations)),
    Mode("prior", "solo", "fresh phrases (prior samples)", 0, ("n", "seconds", "seed", *MUSIC), run_prior,
         hints={"seconds": "length of each phrase in seconds"}),
    Mode("interpolate", "solo", "interpolate phrase A to B", 2, ("steps",), run_interpolate),
    Mode("transition", "solo", "transition from phrase A to B", 2, ("bridge_seconds", "seed"), run_transition),
    Mode("long", "solo", "long-form solo", 0, ("seconds", "seed", *MUSIC), run_long,
         hints={"seconds": "length in seconds"}),
    Mode("partner", "duet", "a partner for the phrase's dancer", 1, ("sigma", "n", "seed", "direction", *MUSIC),
         run_partner, Ghost("the real partner", real_partner_of_lead, needs_model=True),
         hints={"sigma": "0: the model's best guess; 1: its own spread",
          "n": "partners to draw for the one lead (all in the same space)"}, couples=lead_with_each_partner),
    Mode("duet_variations", "duet", "variations of the duet phrase", 1, ("sigma", "n", "seed", "direction"),
         run_duet_variations, Ghost("its source duet", source_duet, on_reopen=False),
         hints={"sigma": "0 reproduces the duet; larger is bolder", "n": "variations, set side by side"},
         couples=pairs_in_place),
    Mode("duet_prior", "duet", "fresh duets", 0, ("n", "seconds", "seed", "direction", *MUSIC),
         run_duet_prior,
         hints={"n": "duets, set side by side", "seconds": "length of each duet in seconds"},
         couples=pairs_side_by_side),
)}


def get(name: str) -> Mode:
    """The mode called `name`; ConfigError naming the modes there are."""
    from pasdeux.errors import ConfigError

    if name not in MODES:
        raise ConfigError(f"unknown generation mode {name!r}; modes are: {', '.join(MODES)}")
    return MODES[name]


def modes_of(kind: str) -> tuple[str, ...]:
    """The names of the modes for a solo or a duet model."""
    return tuple(name for name, m in MODES.items() if m.kind == kind)


def file_settings() -> tuple[str, ...]:
    """The settings whose value names a file."""
    return tuple(name for name, s in SETTINGS.items() if s.type == FILE)


def catalogue() -> dict[str, Any]:
    """The registry as JSON for the page: every mode and every setting."""
    return {"modes": [m.public() for m in MODES.values()], "settings": {k: s.public() for k, s in SETTINGS.items()}}


def help_for(setting: str, mode: str | None = None) -> str:
    """What `setting` means, in `mode` where the mode says it differently."""
    hints = MODES[mode].hints if mode else {}
    return hints.get(setting, SETTINGS[setting].help)


def option(mode: str, name: str, default: Any = ..., *flags: str) -> Any:
    """A Typer option for setting `name` of `mode` with the registry's help text; `default` is the command's own
    where given (a command line makes one file at a time, so its counts and lengths may differ from the page's)."""
    import typer

    s = SETTINGS[name]
    if name not in MODES[mode].settings:
        raise KeyError(f"mode {mode!r} has no setting {name!r}")
    value = s.default if default is ... else default
    names = flags or (f"--{name.replace('_', '-')}",)
    return typer.Option(value, *names, help=help_for(name, mode))

"""The `pasdeux` command line: thin wrappers that parse, call the library, and report.

Each command group lives in its own module and registers itself on `app`. Heavy imports
(torch, Lightning, matplotlib) happen inside commands so `pasdeux --help` stays fast.
"""

from __future__ import annotations

import sys

import typer

from pasdeux.errors import PasdeuxError

app = typer.Typer(
    name="pasdeux",
    help="AI-generated choreography, from solos to duets: read, see, train, generate, measure.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_COMMAND_LINE: list[str] = []  # the arguments of the running command, for options whose order matters


def command_line() -> list[str]:
    """The arguments `main` was given (or the process's), in order."""
    return list(_COMMAND_LINE or sys.argv[1:])


# Importing these modules registers their commands on `app` (order = order in `pasdeux --help`).
# isort: off
from pasdeux.cli import commands_io  # noqa: E402,F401  info, convert
from pasdeux.cli import commands_extract  # noqa: E402,F401  extract
from pasdeux.cli import commands_music  # noqa: E402,F401  music info, music plot
from pasdeux.cli import commands_viz  # noqa: E402,F401  animate, plot-losses
from pasdeux.cli import commands_model  # noqa: E402,F401  train, generate
from pasdeux.cli import commands_duet  # noqa: E402,F401  duet, influence
from pasdeux.cli import commands_retarget  # noqa: E402,F401  retarget
from pasdeux.cli import commands_eval  # noqa: E402,F401  evaluate, bench
from pasdeux.cli import commands_demo  # noqa: E402,F401  demo
from pasdeux.cli import commands_studio  # noqa: E402,F401  studio
# isort: on


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; user errors print one clear line and give 2, never a traceback."""
    _COMMAND_LINE[:] = list(argv) if argv is not None else sys.argv[1:]
    try:
        app(args=argv, prog_name="pasdeux")  # standalone: usage errors exit 2 with Typer's message
    except PasdeuxError as e:
        typer.echo(f"error: {e}", err=True)
        return 2
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return 0

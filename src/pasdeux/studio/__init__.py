"""pasdeux studio: a local web app over a library of motion files and training runs.

`serve()` runs it (what `pasdeux studio` does); `create_app()` gives the FastAPI app itself. The app
process stays light: generation, comparison and export run in worker processes (`jobs.Workers`), and
each training run is its own `pasdeux train` process.
"""

from pasdeux.studio.server import DEFAULT_PORT, create_app, serve

__all__ = ["create_app", "serve", "DEFAULT_PORT"]

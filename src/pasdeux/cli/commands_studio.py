"""`pasdeux studio`: the local web app over a library folder of motion files and training runs."""

from __future__ import annotations

from pathlib import Path

import typer

from pasdeux.cli import app


@app.command()
def studio(
    library: Path = typer.Option(Path("pasdeux-library"), "--library", "-l",
                                 help="Folder of motion files and training runs (created if missing)."),
    port: int = typer.Option(8421, "--port", "-p", min=0, max=65535, help="Port to listen on (0: any free one)."),
    open_browser: bool = typer.Option(False, "--open", help="Open the studio in the default web browser."),
    max_upload_mb: float = typer.Option(200.0, "--max-upload-mb", help="Largest motion file an upload may be."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback unless --allow-remote)."),
    allow_remote: bool = typer.Option(False, "--allow-remote",
                                      help="Allow a non-loopback --host: other machines can then use the studio."),
    workers: int = typer.Option(2, "--workers", min=1, max=16,
                                help="Worker processes for generation, comparison and export (one CPU thread each)."),
) -> None:
    """See, generate, train and keep dance in the browser: a local web app over a library folder."""
    from pasdeux.studio import serve

    serve(library, host=host, port=port, open_browser=open_browser, max_upload_mb=max_upload_mb,
          allow_remote=allow_remote, workers=workers, say=typer.echo)

"""Running the studio: check the address, warn about remote binding, serve with uvicorn."""

from __future__ import annotations

import socket
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path

from pasdeux.errors import ConfigError
from pasdeux.studio.app import create_app
from pasdeux.studio.security import is_loopback

DEFAULT_PORT = 8421
DEFAULT_UPLOAD_MB = 200.0


def free_port(host: str, port: int) -> int:
    """`port` if it can be bound on `host` (any free port for 0); a clear error when it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError as e:
            raise ConfigError(f"cannot listen on {host}:{port} ({e.strerror or e}); choose another --port "
                              "(or --port 0 for any free one)") from None
        return s.getsockname()[1]


def serve(library: str | Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT, open_browser: bool = False,
          max_upload_mb: float = DEFAULT_UPLOAD_MB, allow_remote: bool = False, workers: int = 2,
          say: Callable[[str], None] = print) -> None:
    """Serve the studio over `library` at http://HOST:PORT until interrupted."""
    import uvicorn

    if not is_loopback(host):
        if not allow_remote:
            raise ConfigError(f"--host {host} would let other machines reach the studio; add --allow-remote if you "
                              "mean it (the studio has no login)")
        say(f"WARNING: the studio listens on {host}: anyone who can reach this machine can read, change and "
            "delete the library. It has no login; use it on networks you trust only.")
    if not max_upload_mb > 0:
        raise ConfigError(f"--max-upload-mb must be positive; got {max_upload_mb:g}")
    port = free_port(host, port)
    app = create_app(library, host=host, port=port, max_upload_mb=max_upload_mb, workers=workers)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    say(f"pasdeux studio: {url}  (library: {app.state.studio.library.root}; Ctrl-C stops it)")
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False))
    if open_browser:
        def open_when_up() -> None:
            while not server.started and not server.should_exit:
                threading.Event().wait(0.1)
            if server.started:
                webbrowser.open(url)

        threading.Thread(target=open_when_up, daemon=True).start()
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it shut down on; for a server that is a normal stop
        pass
    say("pasdeux studio stopped")

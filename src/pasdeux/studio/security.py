"""The studio's guard: only its own address, no driving from other web pages, bounded request bodies.

- A request whose Host header is not the studio's own address is refused (400): a page on another
  domain that re-points its DNS name at 127.0.0.1 (DNS rebinding) reaches the port, not the studio.
- A state-changing request (POST, PUT, PATCH, DELETE) from another origin is refused (403), and so is
  any API request a browser marks as cross-site, so no page a user happens to visit can drive it.
- A request body over the limit gets 413, whether or not it announces its length.
"""

from __future__ import annotations

import ipaddress
import json
import socket

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}
FORM_OVERHEAD = 64 << 10  # multipart boundaries and headers around an uploaded file
# Sent with every response: no framing by other pages (clickjacking), nothing loaded from elsewhere.
HEADERS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"),
           (b"content-security-policy", b"default-src 'self'; img-src 'self' data: blob:; media-src 'self' data: "
                                        b"blob:; style-src 'self' "
                                        b"'unsafe-inline'; frame-ancestors 'none'; form-action 'self'")]


def is_loopback(host: str) -> bool:
    """Whether a bind address only accepts connections from this machine."""
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, port: int) -> set[str]:
    """The Host header values that name this studio (`name:port`), for a bind address and port."""
    names = {host}
    if is_loopback(host):
        names |= LOOPBACK_NAMES
    elif host in ("0.0.0.0", "::"):
        # Bound everywhere: the machine's own names and addresses (and loopback) are its address.
        names |= LOOPBACK_NAMES | {socket.gethostname(), socket.getfqdn()}
        try:
            names |= {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)}
        except OSError:
            pass
    out = set()
    for n in names:
        n = f"[{n}]" if ":" in n and not n.startswith("[") else n
        out.add(f"{n.lower()}:{port}")
        if port == 80:
            out.add(n.lower())
    return out


class Guard:
    """ASGI middleware applying the rules of this module to every HTTP request."""

    def __init__(self, app, hosts: set[str], max_upload: int) -> None:
        self.app, self.hosts = app, {h.lower() for h in hosts}
        self.max_upload, self.max_body = int(max_upload), int(max_upload) + FORM_OVERHEAD
        self.origins = {f"http://{h}" for h in self.hosts}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self.refusal(scope, headers)
        if refusal is not None:
            return await _reply(send, *refusal)
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            return await _reply(send, 413, _too_large(self.max_upload))
        started = False
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _BodyTooLarge()
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), *HEADERS]}
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _reply(send, 413, _too_large(self.max_upload))

    def refusal(self, scope, headers: dict[str, str]) -> tuple[int, str] | None:
        """(status, message) when the request must be refused, else None."""
        host = headers.get("host", "").lower()
        if host not in self.hosts:
            return 400, (f"refused: this is pasdeux studio at {sorted(self.hosts)[0]}, and the request named host "
                         f"{host or '(none)'!r}; open the studio at its own address")
        origin = headers.get("origin")
        cross_site = headers.get("sec-fetch-site") == "cross-site"
        if scope["method"] in UNSAFE_METHODS and origin is not None and origin.lower() not in self.origins:
            return 403, f"refused: a page from {origin} cannot change the studio; use the studio's own page"
        if (cross_site or (origin is not None and origin.lower() not in self.origins)) \
                and scope["path"].startswith("/api/"):
            return 403, "refused: another web site cannot use the studio's API"
        return None


class _BodyTooLarge(Exception):
    pass


def _too_large(limit: int) -> str:
    return (f"the request is larger than the upload limit of {limit / 2**20:.0f} MB; start the studio with "
            "--max-upload-mb to raise it")


async def _reply(send, status: int, message: str) -> None:
    body = json.dumps({"detail": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"), *HEADERS]})
    await send({"type": "http.response.body", "body": body})

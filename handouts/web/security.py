"""The front-desk page's safe defaults: the Host check, the password, and the headers on every answer.

HTTP Basic auth whenever a password is set (the `serve` command refuses any address but loopback without
one), a Host allow-list on every address (against DNS rebinding, see `host_allowed`), a Content-Security-Policy
that lets a page load only this server's own files, and `no-store` on every answer that may carry patient data.
"""

import hmac
import ipaddress
import re
import socket

from flask import Flask, Response, request

from .shared import settings

# Pages load only this server's files; the handout PDF is shown from a blob: URL the page makes.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; frame-src 'self' blob:; object-src 'self' blob:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
# The live preview is the sheet's pages as pictures (data: URIs) with their text, and never a script.
PREVIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox allow-same-origin"
)
ASSET_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"  # an SVG logo opened alone runs nothing
# A Host header: a name or IPv4 address, or an IPv6 address in brackets; then an optional port.
_HOST = re.compile(r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[^:\[\]/\s]+))(?::[0-9]{1,5})?")


def host_allowed(header: str | None, names: frozenset[str]) -> bool:
    """Whether a request's Host header names this server: one of `names`, or an address of this computer.

    DNS rebinding needs a name the attacker controls (`attacker.example`) that their page first
    loads from, then points at this computer: the browser then sends `Host: attacker.example` with
    the attacker's page as the origin. So names are allowed only when listed. An address in Host is
    the browser's own origin for that address, no one else's: it is allowed when it is one of this
    computer's addresses (one a socket can be bound to), so the front desk may type the server's
    address on any of its networks without a list of them to keep up to date.
    """
    found = _HOST.fullmatch(header or "")
    if found is None:
        return False
    host = plain_host(found["v6"] or found["name"])
    return host in names or _is_this_computer(host)


def plain_host(host: str) -> str:
    """A host name or address as compared: no brackets, lower case, no trailing dot."""
    return host.strip("[]").lower().rstrip(".")


def _is_this_computer(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if address.is_unspecified or address.is_multicast:  # 0.0.0.0 and :: are every address, not one
        return False
    with socket.socket(socket.AF_INET6 if address.version == 6 else socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((str(address), 0))
        except OSError:  # EADDRNOTAVAIL: not an address of this computer
            return False
    return True


def check_host(app: Flask, trusted_hosts: list[str] | None) -> None:
    """First of all, before the password and the CSRF check: a Host that is not this server's gets nothing."""
    if trusted_hosts is None:
        return
    names = frozenset(map(plain_host, trusted_hosts))

    @app.before_request
    def this_server_only() -> Response | None:
        if host_allowed(request.headers.get("Host"), names):
            return None
        return Response(
            "This page answers only at the address the handouts tool printed "
            "(to reach it by another name, start it with --allow-host NAME).",
            400,
            mimetype="text/plain",
        )


def protect(app: Flask) -> None:
    @app.before_request
    def require_password() -> Response | None:
        password = settings().password
        if password is None:
            return None
        auth = request.authorization
        given = (auth.password or "") if auth is not None and auth.type == "basic" else ""
        if hmac.compare_digest(given.encode("utf-8"), password.encode("utf-8")):
            return None
        return Response(
            "This page needs the password it was started with.",
            401,
            {"WWW-Authenticate": 'Basic realm="Patient handouts", charset="UTF-8"'},
            mimetype="text/plain",
        )

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.endpoint not in ("static", "assets.asset", "assets.theme"):
            response.headers["Cache-Control"] = "no-store"  # pages and PDFs may carry a patient's name
        return response

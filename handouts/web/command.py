"""`handouts serve`: the front-desk page on this computer, or on the network with a password.

Served by waitress (a production WSGI server in pure Python, no request log) rather than
Flask's development server, so the page can run all day and never writes a patient's name to a log.
Flask and waitress are imported when the command runs, so other `handouts` commands start as fast.
"""

import ipaddress
import sys
from pathlib import Path

import click

from ..catalog import Catalog
from ..errors import UserError

MIN_PASSWORD = 8


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this computer only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_listen(host: str, password: str | None) -> None:
    """Refuse to put the page on a network without a password (patient data would be open to all)."""
    if is_loopback(host):
        return
    if not password:
        raise UserError(
            f"refusing to listen on {host} without a password: anyone on that network could open the page. "
            "Set HANDOUTS_WEB_PASSWORD (or --password), or leave --host at 127.0.0.1"
        )
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password is {len(password)} characters long: use at least {MIN_PASSWORD}")


def make_server(app, host: str, port: int):
    """A waitress server bound to host:port (port 0: a free port; see `.effective_port`)."""
    from waitress.server import create_server

    from .app import MAX_UPLOAD

    try:
        return create_server(
            app,
            host=host.strip("[]"),
            port=port,
            threads=4,
            ident="handouts",
            max_request_body_size=MAX_UPLOAD,
            clear_untrusted_proxy_headers=True,
        )
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port} ({exc.strerror}): choose another --port or --host") from None


@click.command()
@click.option(
    "--practice",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="HANDOUTS_PRACTICE",
    help="Practice folder (branding, overrides, surgeons). Default: $HANDOUTS_PRACTICE, else the built-in sample.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; any but 127.0.0.1 (this computer only) needs --password.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--password",
    envvar="HANDOUTS_WEB_PASSWORD",
    help="Password for the page (any user name), needed on any address but 127.0.0.1. "
    "Prefer $HANDOUTS_WEB_PASSWORD: an option shows in the process list.",
)
def serve(practice: Path | None, host: str, port: int, password: str | None) -> None:
    """Start the front-desk page: pick a visit, type a name, print.

    Open the address it prints in a browser on this computer. Stop it with Ctrl+C.

    \b
    Examples:
      handouts serve
      handouts serve --practice ./my-practice --port 8080
      HANDOUTS_WEB_PASSWORD='long secret' handouts serve --host 0.0.0.0
    """
    from .app import LOOPBACK_HOSTS, create_app

    try:
        check_listen(host, password)
        Catalog.load(practice)  # a broken practice folder stops here, not at the front desk
        trusted = [*LOOPBACK_HOSTS, host] if is_loopback(host) and ":" not in host else None
        server = make_server(create_app(practice, password=password, trusted_hosts=trusted), host, port)
    except UserError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"The handouts page is ready: http://{shown}:{server.effective_port}/  (Ctrl+C to stop)")
    if not is_loopback(host):
        click.echo("Anyone who opens it needs the password; it is sent unencrypted, so use it on a trusted network.")
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        server.close()

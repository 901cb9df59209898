"""`handouts serve`: the front-desk page on this computer, or on the network with a password.

Served by waitress (a production WSGI server in pure Python, no request log) rather than
Flask's development server, so the page can run all day and never writes a patient's name to a log.
Flask and waitress are imported when the command runs, so other `handouts` commands start as fast.

Every address gets the Host check (against DNS rebinding, see `security.host_allowed`): the page answers
to this computer's addresses and to the names `allowed_names` lists, and to nothing else.
"""

import ipaddress
import signal
import socket
import sys
from pathlib import Path

import click

from ..base.errors import UserError
from ..config.catalog import Catalog
from ..runs.mapped import read_rows

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


def allowed_names(host: str, extra: list[str]) -> list[str]:
    """The names the page may be reached by besides this computer's addresses (which are always allowed).

    On loopback: `localhost` and the --host given. On a network address or all of them (0.0.0.0, ::):
    also this computer's name, its full name and its `.local` (mDNS) name, which is what a front
    desk types. Any other name (a DNS alias, a name on another network) is added with --allow-host:
    a name is never guessed, since a name nobody listed is exactly what DNS rebinding sends.
    """
    names = ["localhost", *extra]
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        names.append(host)  # --host clinic-pc: that name; an address is allowed as this computer's
    if not is_loopback(host):
        name = socket.gethostname()
        names += [name, socket.getfqdn(), f"{name}.local"]
    return list(dict.fromkeys(names))


# Half-sent requests hold a connection each but no thread (waitress reads requests in its main loop):
# room for many more connections than waitress's 100, idle ones closed after 30 s, checked every 5 s,
# poll() rather than select() (which fails past 1024 open files), and headers kept small.
CONNECTION_LIMITS = {
    "connection_limit": 500,
    "channel_timeout": 30,
    "cleanup_interval": 5,
    "asyncore_use_poll": True,
    "max_request_header_size": 64 * 1024,
}


def make_server(app, host: str, port: int):
    """A waitress server bound to host:port (port 0: a free port; see `.effective_port`)."""
    from waitress.server import create_server

    from ..web.app import MAX_UPLOAD

    try:
        return create_server(
            app,
            host=host.strip("[]"),
            port=port,
            threads=4,
            ident="handouts",
            max_request_body_size=MAX_UPLOAD,
            clear_untrusted_proxy_headers=True,
            **CONNECTION_LIMITS,
        )
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port} ({exc.strerror}): choose another --port or --host") from None


def _stop(signum: int, frame: object) -> None:
    """SIGTERM as Ctrl+C: the render workers stop and the temporary folders go, as on a normal exit."""
    raise KeyboardInterrupt


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
@click.option(
    "--allow-host",
    "allow_hosts",
    metavar="NAME",
    multiple=True,
    help="Another name the page may be opened by, e.g. a DNS alias (repeatable). "
    "This computer's addresses and its name are always allowed; any other name is refused.",
)
@click.option(
    "--schedule",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The day's schedule (as for 'handouts batch'), loaded as the practice's list on every desk's Today "
    "page; read again when the file changes.",
)
def serve(
    practice: Path | None,
    host: str,
    port: int,
    password: str | None,
    allow_hosts: tuple[str, ...],
    schedule: Path | None,
) -> None:
    """Start the front-desk page: today's patients, pick a visit, type a name, print.

    Open the address it prints in a browser on this computer. Stop it with Ctrl+C.

    \b
    Examples:
      handouts serve
      handouts serve --practice ./my-practice --schedule /exports/today.csv
      handouts serve --practice ./my-practice --port 8080
      HANDOUTS_WEB_PASSWORD='long secret' handouts serve --host 0.0.0.0 --allow-host handouts.clinic.example
    """
    from ..runs.pool import render_pool
    from ..web.app import create_app

    try:
        check_listen(host, password)
        catalog = Catalog.load(practice)  # a broken practice folder stops here, not at the front desk
        names = allowed_names(host, list(allow_hosts))
        if schedule is not None:
            read_rows(catalog, schedule)  # a schedule that cannot be read stops here, with its reason
        on_network = not is_loopback(host)  # approving on the page is off there (web/drafts.py)
        app = create_app(practice, password=password, trusted_hosts=names, schedule=schedule, on_network=on_network)
        server = make_server(app, host, port)
        render_pool().warm()
    except UserError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"The handouts page is ready: http://{shown}:{server.effective_port}/  (Ctrl+C to stop)")
    if schedule is not None:
        click.echo(f"Today's list: http://{shown}:{server.effective_port}/today")
    if not is_loopback(host):
        click.echo("Anyone who opens it needs the password; it is sent unencrypted, so use it on a trusted network.")
        click.echo(f"It answers at this computer's addresses and as: {', '.join(names)} (more with --allow-host NAME).")
    signal.signal(signal.SIGTERM, _stop)  # a service manager's stop ends the page as Ctrl+C does
    try:
        server.run()  # returns on Ctrl+C: waitress takes the interrupt itself
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    click.echo("Stopped.")

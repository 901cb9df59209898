"""Shared fixtures: the built-in catalog, and a helper that renders and fails on any WeasyPrint warning."""

import http.server
import os
import threading
from pathlib import Path

import pytest

from handouts.build import build
from handouts.catalog import Catalog
from handouts.pdf import weasyprint_warnings
from handouts.render import Renderer
from handouts.request import build_request

ROOT = Path(__file__).resolve().parent.parent
# The record of handouts given is off unless a test turns it on (tests/test_record.py), so no test
# writes a ledger into a fixture folder.
os.environ["HANDOUTS_LEDGER"] = "off"
NAME = "Zoë O'Brien-Nuñez"
VISITS = ("new-patient", "conservative-care", "injection", "surgical-consult", "post-op", "post-op-fusion")
MAX_PAGES = 6  # standard print; large print at most twice that (shared/docs/health-literacy.md, `handouts lint`)
SURGERY = {"post-op": {"surgery_date": "2026-03-10"}, "post-op-fusion": {"surgery_date": "2026-03-10"}}


def render(renderer: Renderer, visit: str, patient: str = NAME, date: str = "2026-03-14", fmt: str = "pdf", **kw):
    """Build one handout; WeasyPrint's warnings (a missing font, a bad rule) fail the test."""
    request = build_request(renderer.catalog, visit, patient, date, **kw)
    with weasyprint_warnings() as warnings:
        data = build(renderer, request, fmt)
    assert warnings == [], warnings
    return data


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/*.txt from the handouts as they print now (review the diff, commit with the change)",
    )


@pytest.fixture(scope="session")
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture(scope="session")
def renderer(catalog) -> Renderer:
    return Renderer(catalog)


@pytest.fixture(scope="session")
def handouts(renderer) -> dict[str, bytes]:
    """Every built-in visit type rendered once for the same made-up patient."""
    return {visit: render(renderer, visit) for visit in VISITS}


@pytest.fixture(scope="session")
def spanish(renderer) -> dict[tuple[str, bool], bytes]:
    """Every visit type in Spanish, standard and large print, post-op with a surgery date."""
    return {
        (visit, large): render(renderer, visit, sets=SURGERY.get(visit), large_print=large, lang="es")
        for visit in VISITS
        for large in (False, True)
    }


@pytest.fixture(scope="session")
def large(renderer) -> dict[str, bytes]:
    """Every built-in visit type in large print."""
    return {visit: render(renderer, visit, large_print=True) for visit in VISITS}


@pytest.fixture
def listener():
    """A local HTTP server that records every request it receives."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgresql_url():
    """A throwaway PostgreSQL cluster started here with initdb and pg_ctl (Debian's `postgresql`
    package, installed by `scripts/setup --test`); as root, it runs as the `postgres` user."""
    import glob
    import pwd
    import shutil
    import subprocess
    import tempfile

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb") or ""]
    if not found[-1]:
        pytest.skip("PostgreSQL is not installed (scripts/setup --test installs it)")
    bin_dir = Path(found[-1]).parent
    # Not under pytest's or the tool's own 0700 temporary folders: the postgres user works in it.
    folder = Path(tempfile.mkdtemp(prefix="handouts-pg-", dir=os.environ.get("TMPDIR") or "/tmp"))
    data, port = folder / "data", _free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]

    def run(*args: str) -> None:
        done = subprocess.run([*as_user, *args], capture_output=True, text=True)
        if done.returncode:
            pytest.fail(f"{Path(args[0]).name} failed: {done.stderr.strip()}")

    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "handouts", "--auth=trust", "-E", "UTF8")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start")
    run(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "handouts", "handouts")
    try:
        yield f"postgresql://handouts@127.0.0.1:{port}/handouts"
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)

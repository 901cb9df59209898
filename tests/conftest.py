"""Shared fixtures: the built-in catalog, and a helper that renders and fails on any WeasyPrint warning."""

import gc
import http.server
import os
import re
import shutil
import threading
from pathlib import Path

import pytest

from handouts.compose.request import build_request
from handouts.config.catalog import Catalog
from handouts.config.models import PAGE_REF
from handouts.engine.build import Builder, build
from handouts.engine.pdf import weasyprint_warnings
from handouts.render.renderer import Renderer

import pdfcheck
import runshare

ROOT = Path(__file__).resolve().parent.parent
# The record of handouts given is off unless a test turns it on (tests/test_record.py), so no test
# writes a ledger into a fixture folder.
os.environ["HANDOUTS_LEDGER"] = "off"
NAME = "Zoë O'Brien-Nuñez"
VISITS = ("new-patient", "conservative-care", "injection", "surgical-consult", "post-op", "post-op-fusion")
MAX_PAGES = 6  # standard print; large print at most twice that (shared/docs/health-literacy.md, `handouts lint`)
SURGERY = {"post-op": {"surgery_date": "2026-03-10"}, "post-op-fusion": {"surgery_date": "2026-03-10"}}


def as_printed(line: str) -> re.Pattern:
    """A key point or next step of a visit type's file as it prints: each `{page:ID}` a page number."""
    return re.compile(r"\d+".join(re.escape(part) for part in PAGE_REF.split(line)[::2]))


def finished(client, location: str, timeout: float = 120):
    """A job's result page (a whole day uploaded on the page), once its worker process is done; the
    page shows its progress meanwhile. `client` is Flask's test client of the browser that started it."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get(location + "/status.json").get_json()["state"] in ("done", "failed"):
            return client.get(location)
        time.sleep(0.2)
    raise AssertionError(f"the job did not finish in {timeout} s")


class _Shared:
    """A renderer whose files no test changes, the builder that builds its handouts, and what it built."""

    def __init__(self, renderer: Renderer) -> None:
        self.builder = Builder(renderer)
        self.made: dict[tuple, bytes] = {}


_SHARED: dict[Renderer, _Shared] = {}


def shared(renderer: Renderer) -> Renderer:
    """`renderer`, its handouts shared by `render` from now on: only for files no test changes."""
    _SHARED[renderer] = _Shared(renderer)
    return renderer


def _key(value):
    """A dict key for an argument of `render` (a dict of --set fields, a list of modules to skip)."""
    if isinstance(value, dict):
        return tuple(sorted(value.items()))
    return tuple(value) if isinstance(value, list) else value


def render(renderer: Renderer, visit: str, patient: str = NAME, date: str = "2026-03-14", fmt: str = "pdf", **kw):
    """Build one handout; WeasyPrint's warnings (a missing font, a bad rule) fail the test.

    With a `shared` renderer (the session's, of the built-in catalog; a fixture practice no test
    changes) each distinct handout is built once in the run and its bytes shared by every test that
    asks for the same one, in every worker process (runshare.py), with what is read from it
    (pdfcheck): a test that only reads a PDF need not wait for it again. And they are built as a
    batch builds them, by one builder that lays out a kind's detail pages once, then only page 1
    for each patient (the same bytes as a builder of its own: tests/test_speed.py). Any other
    renderer builds afresh, as `make` does."""
    kept = _SHARED.get(renderer)
    if kept is None:
        return _built(lambda request: build(renderer, request, fmt), renderer, visit, patient, date, **kw)
    # Arguments left at build_request's defaults (None, False) ask for the same handout as leaving them out.
    key = (visit, patient, date, fmt, *sorted((k, _key(v)) for k, v in kw.items() if v not in (None, False)))
    if key not in kept.made:
        # Keyed by what the handout is made from: every input file's sha256 (the catalog's snapshot),
        # the folders they are in, and the request. The code is this run's own (runshare.py).
        catalog = renderer.catalog
        name = runshare.key(catalog.snapshot.id, str(catalog.search.builtin), str(catalog.search.practice), key)
        made = RUN.get(f"handout-{name}", lambda: _built(
            lambda request: kept.builder.build(request, fmt), renderer, visit, patient, date, **kw))
        pdfcheck.share(made)
        kept.made[key] = made
    return kept.made[key]


def _built(make, renderer: Renderer, visit: str, patient: str, date: str, **kw) -> bytes:
    request = build_request(renderer.catalog, visit, patient, date, **kw)
    with weasyprint_warnings() as warnings:
        data = make(request)
    assert warnings == [], warnings
    return data


RUN: runshare.RunShare | None = None  # this run's share, once the session has begun


@pytest.fixture(scope="session", autouse=True)
def run_share(tmp_path_factory) -> runshare.RunShare:
    """The folder where this run's processes share the handouts they build and what they read from them."""
    global RUN
    RUN = pdfcheck.RUN = runshare.for_this_run(tmp_path_factory.getbasetemp())
    return RUN


def pytest_collection_finish(session) -> None:
    """Run the cycle collector less often, over less.

    WeasyPrint and pdfplumber make millions of short-lived objects per handout, while the imports
    and the shared handouts and layouts above are many long-lived ones: at Python's default
    thresholds the collector walked the whole heap again and again, a fifth of the suite's time.
    What the imports made is set aside for good (as `handouts` itself does, __main__.py), and the
    young objects are collected in larger rounds. A process a test starts afresh (a command, a
    spawned worker) has Python's defaults; a forked one inherits these."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def pytest_sessionfinish(session) -> None:
    """Let go of the shared handouts (and their builder's layouts) and of what was read from PDFs before
    pytest's last walk of the heap for unraisable exceptions: over a heap that size it took more than
    5 s, and pytest-xdist interrupts a worker whose end takes that long (an ignored KeyboardInterrupt
    printed after the run)."""
    _SHARED.clear()
    pdfcheck.forget()


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
    """The built-in catalog's renderer; `render` shares what it builds with it across the session."""
    return shared(Renderer(catalog))


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


class Postgres:
    """The tests' PostgreSQL cluster: its address, and a way to stop it (killed: `-m immediate`)
    and start it again."""

    def __init__(self, url: str, run, pg_ctl: list[str]) -> None:
        self.url, self._run, self._pg_ctl = url, run, pg_ctl

    def stop(self) -> None:
        self._run(*self._pg_ctl, "-m", "immediate", "stop")

    def start(self) -> None:
        self._run(*self._pg_ctl, "start")

    def running(self) -> bool:
        try:
            self._run(*self._pg_ctl, "status")
        except pytest.fail.Exception:
            return False
        return True


@pytest.fixture(scope="session")
def postgresql_url(postgresql):
    return postgresql.url


@pytest.fixture(scope="session")
def postgresql():
    """A throwaway PostgreSQL cluster started here with initdb and pg_ctl (Debian's `postgresql`
    package, installed by `scripts/setup --test`); as root, it runs as the `postgres` user."""
    import glob
    import pwd
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
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w"]
    run(*pg_ctl, "start")
    run(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "handouts", "handouts")
    try:
        yield Postgres(f"postgresql://handouts@127.0.0.1:{port}/handouts", run, pg_ctl)
    finally:  # a test may have left it stopped
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


class Cups:
    """A CUPS server of the tests' own, with a cups-pdf queue: every job it prints arrives as a PDF file."""

    def __init__(self, folder: Path, queue: str) -> None:
        self.folder, self.queue, self.out = folder, queue, folder / "out"

    def lpadmin(self, *args: str) -> None:
        import subprocess

        subprocess.run(["lpadmin", *args], check=True, capture_output=True)

    def printed(self, job: str, timeout: float = 90) -> bytes:
        """The PDF that job `job` (e.g. FrontDesk-3) came out as, once CUPS has finished it."""
        import subprocess
        import time

        number = job.rsplit("-", 1)[1]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pending = subprocess.run(["lpstat", "-o"], capture_output=True, text=True).stdout
            found = list(self.out.glob(f"*job_{number}.pdf"))
            if found and job not in pending.split():
                return found[0].read_bytes()
            time.sleep(0.2)
        log = (self.folder / "log" / "error_log").read_text(errors="replace")[-2000:]
        raise AssertionError(f"job {job} did not arrive as a PDF within {timeout} s; CUPS's log ends:\n{log}")


@pytest.fixture(scope="session")
def cups():
    """cupsd started here with its configuration in a temporary folder, listening on a socket there,
    and a queue `FrontDesk` on Debian's cups-pdf backend (scripts/setup --test installs cups-daemon,
    cups-client and printer-driver-cups-pdf). Every CUPS client the tests run (lp, lpstat; the
    tool's own) talks to it through CUPS_SERVER. cups-pdf reads its settings from /etc/cups only,
    so the queue's own file there (cups-pdf-<name>.conf, naming the output folder) is added for
    the session and removed after; that needs root, as cups-pdf itself does."""
    import secrets
    import signal
    import subprocess
    import tempfile
    import time

    backend, ppd = Path("/usr/lib/cups/backend/cups-pdf"), Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")
    missing = [name for name in ("cupsd", "lpadmin", "lp", "lpstat") if not shutil.which(name)]
    missing += [str(path) for path in (backend, ppd) if not path.exists()]
    if missing:
        pytest.skip(f"CUPS cannot run here: {', '.join(missing)} not installed (scripts/setup --test installs them)")
    if os.geteuid() != 0:
        pytest.skip("CUPS cannot run here: cups-pdf writes PDFs only as root, and these tests are not run as root")
    # Not under pytest's 0700 folders: cupsd runs its filters as the `lp` user, which must reach the spool.
    folder = Path(tempfile.mkdtemp(prefix="handouts-cups-", dir="/tmp"))
    folder.chmod(0o755)
    for name in ("conf", "spool", "tmp", "cache", "state", "log", "out"):
        (folder / name).mkdir(mode=0o755)
    for name in ("spool", "tmp"):
        (folder / name).chmod(0o1777)
    (folder / "conf" / "cups-files.conf").write_text(
        "".join(
            f"{key} {value}\n"
            for key, value in {
                "ServerRoot": folder / "conf",
                "RequestRoot": folder / "spool",
                "TempDir": folder / "tmp",
                "CacheDir": folder / "cache",
                "StateDir": folder / "state",
                "ServerBin": "/usr/lib/cups",
                "DataDir": "/usr/share/cups",
                "AccessLog": folder / "log" / "access_log",
                "ErrorLog": folder / "log" / "error_log",
                "PageLog": folder / "log" / "page_log",
                "SystemGroup": "root",
            }.items()
        )
    )
    socket_path = folder / "cups.sock"
    (folder / "conf" / "cupsd.conf").write_text(
        f"Listen {socket_path}\nLogLevel info\nBrowsing Off\nWebInterface No\nDefaultAuthType Basic\n"
        "<Location />\n  Order allow,deny\n  Allow localhost\n</Location>\n"
    )
    tag = f"handouts-test-{secrets.token_hex(4)}"
    config = Path("/etc/cups") / f"cups-pdf-{tag}.conf"
    config.write_text(f"Out {folder / 'out'}\nAnonDirName {folder / 'out'}\nSpool {folder / 'cups-pdf'}\nGrp root\n")
    before = os.environ.get("CUPS_SERVER")
    os.environ["CUPS_SERVER"] = str(socket_path)
    conf = [str(folder / "conf" / "cupsd.conf"), "-s", str(folder / "conf" / "cups-files.conf")]
    daemon = subprocess.Popen(["cupsd", "-f", "-c", *conf], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while subprocess.run(["lpstat", "-r"], capture_output=True, text=True).stdout.strip() != "scheduler is running":
            if daemon.poll() is not None:
                pytest.fail(f"cupsd did not start: {daemon.communicate()[1].decode(errors='replace')}")
            if time.monotonic() > deadline:
                pytest.fail("cupsd did not answer within 15 s")
            time.sleep(0.1)
        server = Cups(folder, "FrontDesk")
        server.lpadmin("-p", server.queue, "-E", "-v", f"cups-pdf:/{tag}", "-P", str(ppd))
        yield server
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=15)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        if before is None:
            os.environ.pop("CUPS_SERVER", None)
        else:
            os.environ["CUPS_SERVER"] = before
        config.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)


def printing_practice(tmp_path: Path, fixture: Path = Path(__file__).parent / "fixtures" / "practice") -> Path:
    """A copy of the fixture practice that prints on the tests' CUPS queue FrontDesk."""
    folder = Path(shutil.copytree(fixture, tmp_path / "practice"))
    toml = folder / "practice.toml"
    toml.write_text('printer = "FrontDesk"\n' + toml.read_text())
    return folder

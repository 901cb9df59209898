"""What the web benchmarks share: the real server started as a user starts it, a browser's session,
and the memory of the server with its render workers.

Made-up names only. The record of handouts given is off (HANDOUTS_LEDGER=off).
"""

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VISITS = ("new-patient", "conservative-care", "injection", "surgical-consult", "post-op")


@contextmanager
def server() -> Iterator[tuple[subprocess.Popen, str]]:
    """`handouts serve --port 0` in its own process, the built-in sample practice; (process, base URL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOUTS_")}
    env |= {"HANDOUTS_LEDGER": "off", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "handouts", "serve", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process, re.search(r"(http://\S+:\d+)/", process.stdout.readline()).group(1)
    finally:
        process.terminate()
        process.wait(timeout=20)


class Page:
    """A browser's session with the page: its cookie and the form's CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.opener.open(base + "/").read().decode()
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def handout(self, n: int) -> float:
        """Seconds for one handout, asked for as the front desk's form does."""
        fields = {"csrf_token": self.token, "visit": VISITS[n % 5], "patient": f"Desk Patient {n}"}
        fields["date"] = "2026-03-14"
        started = time.perf_counter()
        with self.opener.open(self.base + "/handout", urllib.parse.urlencode(fields).encode()) as response:
            assert response.headers["Content-Type"] == "application/pdf"
            response.read()
        return time.perf_counter() - started

    def upload(self, rows: int) -> str:
        """The schedule, uploaded as the 'A whole day' page does; the job's address."""
        lines = (f"{VISITS[i % 5]},Batch Patient {i},2026-03-14\n" for i in range(rows))
        schedule = "visit,patient,date\n" + "".join(lines)
        boundary = uuid.uuid4().hex
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{self.token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="schedule"; filename="day.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n{schedule}\r\n--{boundary}--\r\n"
        ).encode()
        request = urllib.request.Request(self.base + "/batch", body)
        request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
        with self.opener.open(request) as response:
            return response.url

    def state(self, job: str) -> dict:
        with self.opener.open(job + "/status.json") as response:
            return json.loads(response.read())


def rss_mb(pid: int) -> float:
    """Resident memory of one process, in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def render_workers(pid: int) -> list[int]:
    """The server's render workers (runs/pool.py): the processes multiprocessing spawned for it. Not a
    background job's worker (that one is a whole batch of its own, at a lower priority: nice 10)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # from the state on: parent 2nd, nice 17th
            spawned = b"multiprocessing.spawn" in (stat.parent / "cmdline").read_bytes()
            if int(fields[1]) == pid and spawned and int(fields[16]) == 0:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return found


def server_mb(pid: int) -> float:
    """The page's memory: its own process and its render workers."""
    total = 0.0
    for p in [pid, *render_workers(pid)]:
        try:
            total += rss_mb(p)
        except OSError:
            continue  # a worker replaced meanwhile
    return total

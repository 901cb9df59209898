#!/usr/bin/env python3
"""The front desk while a whole day is made on the page: single-handout latency and server memory.

    python benchmarks/desk.py                  # a 300-row upload, the built-in sample practice
    python benchmarks/desk.py --rows 1000 --json

Starts `handouts serve` (the real server, in its own process) on a free loopback port, then, in the
same run:
1. alone: single handouts (POST /handout, the front desk's form) one after another;
2. during a batch: the same handouts while an uploaded schedule of --rows rows is made by the
   page's background job, until the job is done;
3. the server's memory (VmRSS of its process; the job's worker is a process of its own): idle after
   the first handouts, the highest seen during the job, and a few seconds after it.
Made-up names only. The record of handouts given is off (HANDOUTS_LEDGER=off).
"""

import argparse
import http.cookiejar
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VISITS = ("new-patient", "conservative-care", "injection", "surgical-consult", "post-op")


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
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def summary(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "n": len(times),
        "median_s": round(statistics.median(times), 3),
        "p90_s": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 3),
        "max_s": round(max(times), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300, help="rows of the uploaded schedule (default 300)")
    parser.add_argument("--alone", type=int, default=10, help="single handouts measured alone (default 10)")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()

    env = {**os.environ, "HANDOUTS_LEDGER": "off", "PYTHONUNBUFFERED": "1"}
    env.pop("HANDOUTS_PRACTICE", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "handouts", "serve", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = re.search(r"(http://\S+:\d+)/", server.stdout.readline()).group(1)
        page = Page(base)
        for n in range(len(VISITS)):  # each visit type's first handout lays out its shared pages, once a day
            page.handout(n)
        alone = [page.handout(n) for n in range(args.alone)]
        idle = rss_mb(server.pid)

        job = page.upload(args.rows)
        during, peak, started = [], idle, time.perf_counter()
        n = 0
        while page.state(job)["state"] not in ("done", "failed"):
            during.append(page.handout(n))
            peak = max(peak, rss_mb(server.pid))
            n += 1
            time.sleep(0.5)
        batch_seconds = time.perf_counter() - started
        outcome = page.state(job)
        time.sleep(3)
        after = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=20)

    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "rows": args.rows,
        "batch": {"state": outcome["state"], "made": outcome["done"], "seconds": round(batch_seconds, 1)},
        "single_handout_alone": summary(alone),
        "single_handout_during_batch": summary(during),
        "server_rss_mb": {"idle": round(idle), "peak_during_batch": round(peak), "after_batch": round(after)},
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"Machine: {result['machine']}")
    print(f"Batch: {args.rows} rows made on the page in {result['batch']['seconds']} s ({outcome['state']})")
    print(f"{'single handout':<22}{'n':>5}{'median s':>10}{'p90 s':>8}{'max s':>8}")
    for label, key in (("alone", "single_handout_alone"), ("during the batch", "single_handout_during_batch")):
        row = result[key]
        print(f"{label:<22}{row['n']:>5}{row['median_s']:>10}{row['p90_s']:>8}{row['max_s']:>8}")
    rss = result["server_rss_mb"]
    print(f"Server memory (MB): idle {rss['idle']}, during the batch at most {rss['peak_during_batch']}, "
          f"after {rss['after_batch']}")


if __name__ == "__main__":
    main()

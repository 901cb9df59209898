#!/usr/bin/env python3
"""The page under load: handouts from warm render workers, not one lock (issue 15, target 1).

    python benchmarks/web.py                          # alone, then 10 and 50 browsers, 60 s each
    python benchmarks/web.py --clients 10 --seconds 20

In one run:
1. the batch rate, the baseline: `handouts batch` of 120 rows as a user runs it (benchmarks/batch.py);
2. `handouts serve` started as a user starts it (the built-in sample practice, no record kept),
   warmed by 10 browsers for --warm seconds (not measured): each visit type's first handouts lay out
   its shared pages, as the desk's first handouts of the day do;
3. alone: --alone handouts one after another (the front desk's form, POST /handout);
4. for each --clients count: that many browsers, each with its own session, asking for a handout in
   a loop (the five visit types in turn) for --seconds: latency of each handout (median, p95, max),
   handouts per second against the batch rate, errors, and the memory of the server with its render
   workers (VmRSS, the highest seen);
5. that memory when warm and idle, and --rest seconds after the last burst.
"""

import argparse
import os
import platform
import statistics
import threading
import time

from batch import batch
from serving import VISITS, Page, server, server_mb


def percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def load(base: str, clients: int, seconds: float, pid: int) -> dict:
    """`clients` browsers asking for handouts in a loop for `seconds`: latencies, errors, peak memory."""
    pages = [Page(base) for _ in range(clients)]
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    deadline = 0.0

    def browser(k: int) -> None:
        start.wait()
        n = k
        while time.perf_counter() < deadline:
            try:
                took = pages[k].handout(n)
            except Exception as exc:  # noqa: BLE001 -- counted and shown, not raised: the run goes on
                with lock:
                    errors.append(type(exc).__name__)
            else:
                with lock:
                    times.append(took)
            n += len(VISITS) + 1  # each browser walks through the visit types in its own order

    threads = [threading.Thread(target=browser, args=(k,), daemon=True) for k in range(clients)]
    for thread in threads:
        thread.start()
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    start.wait()
    peak = 0.0
    while any(thread.is_alive() for thread in threads):
        peak = max(peak, server_mb(pid))
        time.sleep(0.5)
    elapsed = time.perf_counter() - started
    return {"times": times, "errors": errors, "rate": len(times) / elapsed, "peak_mb": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warm", type=float, default=20, help="seconds of unmeasured load first (default 20)")
    parser.add_argument("--alone", type=int, default=20)
    parser.add_argument("--rest", type=float, default=10, help="seconds after the last burst (default 10)")
    parser.add_argument("--batch-rows", type=int, default=120)
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load average {os.getloadavg()[0]:.1f}")
    baseline = batch(args.batch_rows, None)
    batch_rate = args.batch_rows / baseline["seconds"]
    print(f"batch N={args.batch_rows}: {batch_rate:.2f} handouts/s ({baseline['seconds']:.1f} s, start-up included)")
    with server() as (process, base):
        load(base, 10, args.warm, process.pid)
        page = Page(base)
        alone = [page.handout(n) for n in range(args.alone)]
        print(f"alone: {args.alone} handouts one after another, median {statistics.median(alone):.3f} s, "
              f"p95 {percentile(alone, 0.95):.3f} s")
        time.sleep(2)
        idle = server_mb(process.pid)
        for clients in args.clients:
            run = load(base, clients, args.seconds, process.pid)
            times, kinds = run["times"], sorted(set(run["errors"]))
            print(
                f"{clients} browsers, {args.seconds:.0f} s: {len(times)} handouts, {run['rate']:.2f}/s "
                f"({run['rate'] / batch_rate:.0%} of the batch rate); latency median {statistics.median(times):.3f} s, "
                f"p95 {percentile(times, 0.95):.3f} s, max {max(times):.3f} s; errors {len(run['errors'])}"
                f"{' ' + str(kinds) if kinds else ''}; memory at most {run['peak_mb']:.0f} MB"
            )
        time.sleep(args.rest)
        after = server_mb(process.pid)
    print(f"memory of the server and its render workers: warm and idle {idle:.0f} MB, "
          f"{args.rest:.0f} s after the last burst {after:.0f} MB; load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

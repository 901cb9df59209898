#!/usr/bin/env python3
"""The front desk while a whole day is made on the page: single-handout latency and server memory.

    python benchmarks/desk.py                  # a 300-row upload, the built-in sample practice
    python benchmarks/desk.py --rows 1000 --json

Starts `handouts serve` (the real server, in its own process) on a free loopback port, then, in the
same run:
1. alone: single handouts (POST /handout, the front desk's form) one after another;
2. during a batch: the same handouts while an uploaded schedule of --rows rows is made by the
   page's background job, until the job is done;
3. the server's memory (VmRSS of its process and its render workers; the job's batch is a process of
   its own): idle after the first handouts, the highest seen during the job, and a few seconds after it.
Made-up names only. The record of handouts given is off (HANDOUTS_LEDGER=off).
"""

import argparse
import json
import os
import platform
import statistics
import time

from serving import VISITS, Page, server, server_mb


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

    with server() as (process, base):
        page = Page(base)
        for n in range(2 * len(VISITS)):  # each visit type's first handouts lay out its shared pages, once a day
            page.handout(n)
        alone = [page.handout(n) for n in range(args.alone)]
        idle = server_mb(process.pid)

        job = page.upload(args.rows)
        during, peak, started = [], idle, time.perf_counter()
        n = 0
        while page.state(job)["state"] not in ("done", "failed"):
            during.append(page.handout(n))
            peak = max(peak, server_mb(process.pid))
            n += 1
            time.sleep(0.5)
        batch_seconds = time.perf_counter() - started
        outcome = page.state(job)
        time.sleep(3)
        after = server_mb(process.pid)

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

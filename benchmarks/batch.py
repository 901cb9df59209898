#!/usr/bin/env python3
"""Batch throughput and peak memory against the naive way, measured in the same run.

    python benchmarks/batch.py                 # N = 200 and N = 1000, all cores
    python benchmarks/batch.py --sizes 50 --naive 20

Naive: one process, one fresh WeasyPrint render per handout (new FontConfiguration, whole
document laid out and written), serially; its rate is taken over --naive handouts. Batch:
`run_batch` as `handouts batch` runs it. Each batch runs in a child process so its peak memory
(the largest worker and the main process, from getrusage) is its own. Rows carry only a name and
a date, cycling through the five built-in visit types.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

VISITS = ("new-patient", "conservative-care", "injection", "surgical-consult", "post-op")


def write_schedule(path: Path, n: int) -> None:
    lines = ["visit,patient,date"] + [f"{VISITS[i % 5]},Patient Number {i},2026-03-14" for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def naive_rate(count: int) -> float:
    from weasyprint import HTML

    from handouts.catalog import Catalog
    from handouts.fetcher import ASSET_BASE, AssetFetcher
    from handouts.pdf import ACCESSIBLE
    from handouts.render import Renderer
    from handouts.request import build_request

    catalog = Catalog.load()
    renderer = Renderer(catalog)
    started = time.perf_counter()
    for i in range(count):
        request = build_request(catalog, VISITS[i % 5], f"Patient Number {i}", "2026-03-14")
        html = renderer.preview_html(request)
        HTML(string=html, base_url=ASSET_BASE, url_fetcher=AssetFetcher(catalog.search)).write_pdf(
            pdf_variant=ACCESSIBLE
        )
    return count / (time.perf_counter() - started)


def child(n: int, workers: int | None) -> None:
    """Run one batch and print its numbers as JSON (a separate process: clean peak memory)."""
    from handouts.batch import run_batch
    from handouts.catalog import Catalog

    with tempfile.TemporaryDirectory() as tmp:
        schedule = Path(tmp) / "day.csv"
        write_schedule(schedule, n)
        result = run_batch(Catalog.load(), schedule, Path(tmp) / "out", workers=workers)
        assert result.made == n and not result.failed, result.failed
    print(
        json.dumps(
            {
                "seconds": result.seconds,
                "worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                "main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--naive", type=int, default=60, help="handouts rendered the naive way")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.workers)
        return

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    naive = naive_rate(args.naive)
    print(f"naive: {naive:.2f} handouts/s (one process, fresh render each, {args.naive} handouts)")
    peaks = {}
    for n in args.sizes:
        command = [sys.executable, __file__, "--child", str(n)]
        if args.workers:
            command += ["--workers", str(args.workers)]
        out = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        rate = n / out["seconds"]
        peaks[n] = out
        print(
            f"batch N={n}: {rate:.2f} handouts/s, ratio {rate / naive:.2f}x naive; "
            f"peak memory: worker {out['worker_mb']:.0f} MB, main {out['main_mb']:.0f} MB"
        )
    if len(peaks) > 1:
        small, large = peaks[min(peaks)], peaks[max(peaks)]
        growth = max(large["worker_mb"] / small["worker_mb"], large["main_mb"] / small["main_mb"]) - 1
        print(f"peak memory growth from N={min(peaks)} to N={max(peaks)}: {growth * 100:+.1f}%")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""`handouts batch` against the naive way, measured in the same run, with peak memory.

    python benchmarks/batch.py                       # N = 120 and N = 1000, all cores
    python benchmarks/batch.py --sizes 200 5000 --naive 0    # memory only: no naive loop

Naive: one process, one fresh WeasyPrint render per handout, serially: the handout's HTML from
the project's templates, then WeasyPrint alone (benchmarks/plain.py: a new FontConfiguration, every
stylesheet parsed, the whole document laid out and written, PDF/UA-1). Half of its --naive
handouts are rendered before the batches and half after, so a machine that gets busier or quieter
during the run weighs on both alike.
Batch: `handouts batch day.csv -o out` as a user runs it, in a fresh process, start-up included,
timed from outside. Its peak memory (getrusage: the main process, and the largest worker) is its
own. Rows carry only a name and a date, cycling through the five built-in visit types.

Besides wall-clock ratios, CPU seconds per handout (all processes, user and system) are printed:
on a machine shared with other work, the wall-clock ratio of a parallel batch to a serial loop
drops with the cores the batch does not get, the CPU time much less.
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

VISITS = ("new-patient", "conservative-care", "injection", "surgical-consult", "post-op")

# `handouts batch` exactly as the script starts it, reporting its own peak memory and CPU when it exits.
BATCH = """
import atexit, json, resource, sys
report, *sys.argv[1:] = sys.argv[1:]
def done():
    me, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(report, "w") as out:
        json.dump({"main_mb": me.ru_maxrss / 1024, "worker_mb": workers.ru_maxrss / 1024,
                   "cpu": me.ru_utime + me.ru_stime + workers.ru_utime + workers.ru_stime}, out)
atexit.register(done)
sys.argv[0] = "handouts"
from handouts.__main__ import run
run()
"""


def write_schedule(path: Path, n: int) -> None:
    lines = ["visit,patient,date"] + [f"{VISITS[i % 5]},Patient Number {i},2026-03-14" for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def naive(first: int, count: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of `count` fresh renders, the naive way (benchmarks/plain.py)."""
    from plain import render

    from handouts.compose.request import build_request
    from handouts.config.catalog import Catalog
    from handouts.engine.fetcher import ASSET_BASE
    from handouts.render.renderer import Renderer

    catalog = Catalog.load()
    renderer = Renderer(catalog)
    folders = [str(folder) for folder in catalog.search.dirs("assets")]

    def one(i: int) -> None:
        request = build_request(catalog, VISITS[i % 5], f"Patient Number {i}", "2026-03-14")
        render(renderer.preview_html(request), ASSET_BASE, folders)

    one(first)  # not timed: this process's first render loads what every later one finds loaded
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(first, first + count):
        one(i)
    return time.perf_counter() - wall, time.process_time() - cpu


def batch(n: int, workers: int | None) -> dict:
    """Seconds, CPU seconds and peak memory of one `handouts batch` of n rows."""
    with tempfile.TemporaryDirectory() as tmp:
        schedule, report = Path(tmp) / "day.csv", Path(tmp) / "report.json"
        write_schedule(schedule, n)
        command = [sys.executable, "-c", BATCH, str(report), "batch", str(schedule), "-o", f"{tmp}/out"]
        command += ["--no-record"] + (["-j", str(workers)] if workers else [])
        env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOUTS_")}  # the built-in sample practice
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        seconds = time.perf_counter() - started
        made = len(list(Path(tmp, "out").glob("*.pdf")))
        assert made == n, f"made {made} of {n}"
        return {"seconds": seconds, **json.loads(report.read_text())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[120, 1000])
    parser.add_argument("--naive", type=int, default=40, help="handouts rendered the naive way (0: none)")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    half = args.naive // 2
    before = naive(0, half) if half else (0.0, 0.0)
    runs = {n: batch(n, args.workers) for n in args.sizes}
    after = naive(half, args.naive - half) if args.naive else (0.0, 0.0)
    if args.naive:
        wall, cpu = (before[0] + after[0]) / args.naive, (before[1] + after[1]) / args.naive
        print(f"naive: {1 / wall:.2f} handouts/s, {cpu:.3f} CPU s each (one process, fresh render each, "
              f"{args.naive} handouts, half before the batches and half after)")
    for n, run in runs.items():
        rate = n / run["seconds"]
        each = run["cpu"] / n
        ratio = f", ratio {rate * wall:.2f}x naive ({cpu / each:.2f}x less CPU per handout)" if args.naive else ""
        print(
            f"batch N={n}: {rate:.2f} handouts/s ({run['seconds']:.1f} s, start-up included){ratio}; {each:.3f} CPU s "
            f"each; peak memory: worker {run['worker_mb']:.0f} MB, main {run['main_mb']:.0f} MB"
        )
    if len(runs) > 1:
        small, large = runs[min(runs)], runs[max(runs)]
        growth = max(large["worker_mb"] / small["worker_mb"], large["main_mb"] / small["main_mb"]) - 1
        print(f"peak memory growth from N={min(runs)} to N={max(runs)}: {growth * 100:+.1f}%")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"(this process: {usage.ru_maxrss / 1024:.0f} MB; load average now {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()

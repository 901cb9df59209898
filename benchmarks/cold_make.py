#!/usr/bin/env python3
"""Cold `handouts make` against the floor, measured in the same run.

    python benchmarks/cold_make.py               # 7 repetitions each, median
    python benchmarks/cold_make.py --repeat 11 --visit post-op

Floor: a fresh Python that imports WeasyPrint and renders the same handout's HTML (the one-page
preview of the same request, written to a file beforehand) with the same fonts, PDF/UA-1, to a
file: start-up, import, layout and writing, nothing of ours. Make: `handouts make` as a user runs
it, in a fresh process each time (built-in sample practice, --no-record, -o a file). The two are
run alternately, so a machine that gets busier slows both; each prints its median and the ratio,
of the wall-clock time (what a user waits) and of the CPU time (less disturbed by other work).
"""

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PATIENT, DATE = "Patient Number 1", "2026-03-14"

PLAIN = Path(__file__).with_name("plain.py")  # the floor: WeasyPrint alone


def timed(command: list[str]) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds) of one run: the CPU time shows less of what else the machine does."""
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def report(name: str, runs: list[tuple[float, float]]) -> tuple[float, float]:
    wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
    print(f"{name}: median {wall:.3f} s wall, {cpu:.3f} s CPU ({', '.join(f'{r[0]:.2f}' for r in runs)})")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--visit", default="new-patient")
    args = parser.parse_args()
    os.environ.pop("HANDOUTS_PRACTICE", None)  # the built-in sample practice, for `make` as for the floor's HTML

    from handouts.compose.request import build_request
    from handouts.config.catalog import Catalog
    from handouts.engine.fetcher import ASSET_BASE
    from handouts.render.renderer import Renderer

    catalog = Catalog.load()
    html = Renderer(catalog).preview_html(build_request(catalog, args.visit, PATIENT, DATE))
    handouts = Path(sys.executable).with_name("handouts")
    if "handouts.__main__" not in handouts.read_text(encoding="utf-8", errors="replace"):
        sys.exit(f"{handouts} predates the current entry point (pyproject's [project.scripts]): run scripts/setup")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "handout.html"
        page.write_text(html, encoding="utf-8")
        folders = [str(d) for d in catalog.search.dirs("assets")]
        floor_cmd = [sys.executable, str(PLAIN), ASSET_BASE, str(page), f"{tmp}/floor.pdf", *folders]
        make_cmd = [str(handouts), "make", args.visit, "-p", PATIENT, "-d", DATE, "--no-record", "-o", f"{tmp}/m.pdf"]
        timed(floor_cmd), timed(make_cmd)  # once each untimed: the files in the page cache for both
        floor, make = [], []
        for _ in range(args.repeat):
            floor.append(timed(floor_cmd))
            make.append(timed(make_cmd))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    floor_wall, floor_cpu = report("floor", floor)
    make_wall, make_cpu = report("make ", make)
    print(
        f"cold make: {make_wall / floor_wall:.2f}x the floor wall-clock, {make_cpu / floor_cpu:.2f}x its CPU time "
        f"({args.visit}, {args.repeat} runs each)"
    )


if __name__ == "__main__":
    main()

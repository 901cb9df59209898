"""A whole day's handouts made (and printed), for the page's background jobs: in a worker of its own.

`run(FOLDER)` reads FOLDER/job.json (written by jobs.py), runs `run_batch` on the schedule there,
with the page's choices, in this process, and leaves in FOLDER:

- progress: "done total", rewritten as each handout is made, for the page's progress bar;
- print.pdf: the print file, every handout starting on a front side (separator sheets if asked);
- errors.csv: the rows that failed, line and reason (no names).

The single handouts (their file names carry patients' names) are removed once the print file is
made. jobs.py runs it in a worker process of its own (runs/pool.py), not in one of the page's
render workers: they stay free for the front desk's single handouts, the memory a day's layouts
take goes back to the system when the job's worker ends, and that worker runs at a lower priority
so the desk's own handouts come first.
"""

import json
import shutil
from pathlib import Path
from typing import Any

from ..base.output import write_atomic
from ..compose.identity import of_row
from ..config.catalog import Catalog
from ..delivery.printing import PrintError, send
from ..record.recorder import Recorder
from ..render.renderer import Renderer
from ..runs.batch import run_batch
from ..runs.manifest import read_manifest
from ..runs.schedule import Row
from .desk import PRINTED, Day


def job_day(folder: Path) -> tuple[dict[str, Any], Day]:
    """The job's settings (job.json) and its day: the schedule with the desk's choices."""
    spec = json.loads((folder / "job.json").read_text(encoding="utf-8"))
    day = Day(spec["name"], (folder / "schedule").read_bytes(), spec["dates"], spec["separator"],
              {int(line): fix for line, fix in spec["fixes"].items()})
    return spec, day


def run(folder: Path) -> dict[str, Any]:
    """The job in `folder`: what it made, printed and could not make. UserError when the schedule or the
    practice cannot be read."""
    spec, day = job_day(folder)
    catalog = Catalog.load(Path(spec["practice"]) if spec["practice"] else None)
    rows = day.schedule_rows(catalog)
    if spec["lines"] is not None:
        wanted = set(spec["lines"])
        rows = [row for row in rows if row.line in wanted]
    out, merged = folder / "handouts", folder / "print.pdf"

    def progress(done: int, total: int) -> None:
        write_atomic(folder / "progress", f"{done} {total}".encode())

    # Nothing is recorded as made: a handout is given when it is printed (below) or the print file
    # is downloaded or printed from the page (app.give_batch, with "handouts"); a job killed half
    # way, or one whose file nobody took, gave nothing.
    printing = spec["print"] is not None
    result = run_batch(catalog, rows, out, workers=1, merge=merged, separator=day.separator, dates=day.dates,
                       progress=progress, record=False)
    answer: dict[str, Any] = {
        "made": result.made,
        "skipped": result.skipped,
        "failed": [[error.line, error.reason] for error in result.failed],
        "warnings": result.warnings,
        "printed": [],
        "job": None,
        "print_error": None,
        "handouts": [[int(e["row"]), e["sha256"]] for e in _manifest(out).values()],
    }
    if result.errors_csv and result.errors_csv.is_file():
        shutil.copyfile(result.errors_csv, folder / "errors.csv")
    if printing and result.made:
        try:
            printed = send(merged.read_bytes(), merged.name, spec["print"], catalog.practice)
        except PrintError as exc:
            answer["print_error"] = exc.desk
        else:
            answer["job"], answer["printed"] = printed.job, _record(catalog, day, rows, out)
    shutil.rmtree(out, ignore_errors=True)
    return answer


def _manifest(out: Path) -> dict[str, dict[str, str]]:
    return read_manifest(out / "manifest.csv") if (out / "manifest.csv").is_file() else {}


def _record(catalog: Catalog, day: Day, rows: list[Row], out: Path) -> list[int]:
    """Record each handout of a print that CUPS took as given (web-print); the lines recorded."""
    by_line = {row.line: row for row in rows}
    recorder = Recorder(catalog, Renderer(catalog), PRINTED)
    lines = []
    try:
        for entry in read_manifest(out / "manifest.csv").values():
            row = by_line[int(entry["row"])]
            request = day.request(catalog, row)
            recorder.add(request, entry["sha256"], of_row(row.line, row.values, request.patient))
            lines.append(row.line)
    finally:
        recorder.finish()
    return sorted(lines)

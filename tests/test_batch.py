"""A clinic day from a schedule: encodings, bad rows, resume after a kill, collisions, merge, manifest."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.cli.main import main
from handouts.runs.batch import run_batch

import pdfcheck
from conftest import NAME, ROOT, render

HEADER = "visit,patient,date,id\n"


def schedule(tmp_path: Path, text: str, name: str = "day.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def manifest(folder: Path) -> list[dict[str, str]]:
    with (folder / "manifest.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def batch(*args: str):
    return CliRunner().invoke(main, ["batch", *args])


@pytest.mark.parametrize(
    ("text", "encoding", "extra"),
    [
        ("\ufeffVisit;Patient Name;Visit Date\ninjection;Zoë O'Brien-Nuñez;2026-03-14\n", "utf-8", []),
        ("visit,patient,date\ninjection,Zoë O'Brien-Nuñez,2026-03-14\n", "cp1252", []),
        ("visit,patient,date\ninjection,Zoë O'Brien-Nuñez,2026-03-14\n", "cp1252", ["--encoding", "cp1252"]),
        ("PATIENT\tVISIT\tDATE\nZoë O'Brien-Nuñez\tinjection\t2026-03-14\n", "utf-8", []),
    ],
)
def test_schedules_as_clinics_export_them(tmp_path, text, encoding, extra):
    out = tmp_path / "out"
    result = batch(str(schedule(tmp_path, text, encoding=encoding)), "-o", str(out), "-j", "1", *extra)
    assert result.exit_code == 0, result.output
    [entry] = manifest(out)
    assert entry["patient"] == NAME
    assert NAME in pdfcheck.text((out / entry["file"]).read_bytes())


def test_json_lines(tmp_path):
    rows = [{"visit": "post-op", "patient": NAME, "date": "2026-03-14", "surgery_date": "2026-03-10"}]
    path = schedule(tmp_path, "\n".join(json.dumps(r) for r in rows) + "\n{broken\n", "day.jsonl")
    out = tmp_path / "out"
    result = batch(str(path), "-o", str(out), "-j", "1")
    assert result.exit_code == 1 and "Line 2: not valid JSON" in result.output
    text = pdfcheck.text((out / manifest(out)[0]["file"]).read_bytes())
    assert "Mar 24 to Mar 31" in text


def test_bad_rows_are_reported_and_every_good_row_is_made(tmp_path):
    text = HEADER + (
        "injection,Ana Silva,2026-03-14,A1\n"
        "bogus,Tom Baker,2026-03-14,A2\n"
        "injection,,2026-03-14,A3\n"
        "new-patient,Li Wei,2026-02-30,A4\n"
        "new-patient,Li Wei,2026-03-14,A5\n"
    )
    out = tmp_path / "out"
    result = batch(str(schedule(tmp_path, text)), "-o", str(out), "-j", "2")
    assert result.exit_code == 1
    assert "Made 2, skipped 0 (already made), failed 3" in result.output
    assert "Line 3: unknown visit type 'bogus'" in result.output
    with (out / "errors.csv").open() as handle:
        errors = list(csv.DictReader(handle))
    assert [list(e) for e in errors] == [["line", "reason"]] * 3  # line and reason only: no names, no ids
    assert [e["line"] for e in errors] == ["3", "4", "5"]
    assert "Tom Baker" not in (out / "errors.csv").read_text()  # no patient data in the error report
    assert [e["id"] for e in manifest(out)] == ["A1", "A5"]


def test_same_name_same_day_gets_two_files_and_each_file_only_its_patient(tmp_path):
    text = (
        HEADER
        + "injection,Tom Baker,2026-03-14,1\ninjection,Tom Baker,2026-03-14,2\ninjection,Ana Silva,2026-03-14,3\n"
    )
    out = tmp_path / "out"
    assert batch(str(schedule(tmp_path, text)), "-o", str(out), "-j", "2").exit_code == 0
    entries = manifest(out)
    assert len({e["file"] for e in entries}) == 3
    for entry in entries:
        content = pdfcheck.text((out / entry["file"]).read_bytes())
        assert entry["patient"] in content
        others = {"Tom Baker", "Ana Silva"} - {entry["patient"]}
        assert not any(other in content for other in others)


def test_batch_pages_match_a_single_handout(tmp_path, renderer):
    out = tmp_path / "out"
    text = HEADER + f"conservative-care,{NAME},2026-03-14,1\nconservative-care,Tom Baker,2026-03-14,2\n"
    assert batch(str(schedule(tmp_path, text)), "-o", str(out), "-j", "1").exit_code == 0
    made = (out / manifest(out)[0]["file"]).read_bytes()
    single = render(renderer, "conservative-care")
    assert pdfcheck.text(made) == pdfcheck.text(single)
    assert pdfcheck.figure_alts(made) == pdfcheck.figure_alts(single)


def test_manifest_records_what_each_patient_was_given(tmp_path):
    import hashlib

    out = tmp_path / "out"
    text = HEADER + "injection,Ana Silva,2026-03-14,R-17\n"
    assert batch(str(schedule(tmp_path, text)), "-o", str(out)).exit_code == 0
    [entry] = manifest(out)
    assert list(entry)[:8] == ["row", "id", "patient", "visit", "date", "version", "file", "sha256"]
    assert entry["row"] == "2" and entry["id"] == "R-17" and entry["version"] == "0.1.0"
    assert entry["sha256"] == hashlib.sha256((out / entry["file"]).read_bytes()).hexdigest()


def test_rerun_makes_only_what_is_missing(tmp_path, catalog):
    rows = "".join(f"injection,Patient {i},2026-03-14,{i}\n" for i in range(5))
    path, out = schedule(tmp_path, HEADER + rows), tmp_path / "out"
    first = run_batch(catalog, path, out, workers=1)
    assert first.made == 5
    entries = manifest(out)
    stamps = {e["file"]: (out / e["file"]).stat().st_mtime_ns for e in entries}
    (out / entries[1]["file"]).unlink()  # lost
    (out / entries[3]["file"]).write_bytes(b"%PDF- half written by another program")  # damaged
    lines = (out / "manifest.csv").read_text().splitlines()
    (out / "manifest.csv").write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:20])  # kill mid-append
    again = run_batch(catalog, path, out, workers=1)
    assert (again.made, again.skipped) == (3, 2)
    assert [(out / e["file"]).stat().st_mtime_ns == stamps[e["file"]] for e in entries] == [
        True,
        False,
        True,
        False,
        False,
    ]
    assert len(manifest(out)) == 5
    assert run_batch(catalog, path, out, workers=1, force=True).made == 5


def test_a_batch_killed_half_way_resumes(tmp_path):
    rows = "".join(f"new-patient,Patient {i},2026-03-14,{i}\n" for i in range(10))
    path, out = schedule(tmp_path, HEADER + rows), tmp_path / "out"
    command = [sys.executable, str(ROOT / "generate.py"), "batch", str(path), "-o", str(out), "-j", "1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while len(list(out.glob("*.pdf"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = {p.name: p.stat().st_mtime_ns for p in out.glob("*.pdf")}
    assert 3 <= len(finished) < 10
    assert not list(out.glob(".*.part"))  # nothing half-written is left looking like a handout
    result = batch(str(path), "-o", str(out), "-j", "2")
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("*.pdf"))) == 10 and len(manifest(out)) == 10
    unchanged = [name for name, stamp in finished.items() if (out / name).stat().st_mtime_ns == stamp]
    assert len(unchanged) >= len(finished) - 1  # at most the file whose manifest line the kill cut off


def test_merge_starts_every_handout_on_a_front_side(tmp_path):
    # an odd handout (new-patient in large print, 11 pages) and an even one (conservative care, 6 pages)
    rows = [
        "new-patient,Ana Silva,2026-03-14,1,yes",
        "conservative-care,Tom Baker,2026-03-14,2,",
        "post-op,Li Wei,2026-03-14,3,",
    ]
    text = "visit,patient,date,id,large_print\n" + "".join(f"{row}\n" for row in rows)
    out, printed = tmp_path / "out", tmp_path / "print.pdf"
    assert batch(str(schedule(tmp_path, text)), "-o", str(out), "--merge", str(printed)).exit_code == 0
    counts = [pdfcheck.pages((out / e["file"]).read_bytes()) for e in manifest(out)]
    assert counts[0] % 2 == 1 and counts[1] % 2 == 0, f"this test needs an odd and an even handout, not {counts}"
    padded = [count + count % 2 for count in counts]
    assert pdfcheck.pages(printed.read_bytes()) == sum(padded)
    starts = [0, padded[0], padded[0] + padded[1]]
    for start, name in zip(starts, ["Ana Silva", "Tom Baker", "Li Wei"], strict=True):
        assert start % 2 == 0 and name in pdfcheck.page_text(printed.read_bytes(), start + 1)
    assert pdfcheck.page_text(printed.read_bytes(), padded[0]) == ""  # the padding page after an odd handout

    with_sheets = tmp_path / "sheets.pdf"
    merged = batch(str(schedule(tmp_path, text)), "-o", str(out), "--merge", str(with_sheets), "--separator")
    assert merged.exit_code == 0
    data = with_sheets.read_bytes()
    assert pdfcheck.pages(data) == 2 * 3 + sum(padded)
    assert "Handouts for Ana Silva" in pdfcheck.page_text(data, 1) and pdfcheck.page_text(data, 2) == ""
    assert "Handouts for Tom Baker" in pdfcheck.page_text(data, 2 + padded[0] + 1)


def test_bad_schedule_files_are_user_errors(tmp_path):
    missing = batch(str(tmp_path / "nope.csv"), "-o", str(tmp_path / "out"))
    assert missing.exit_code == 2 and "cannot read the schedule" in missing.output
    no_column = batch(str(schedule(tmp_path, "name,when\nA,B\n")), "-o", str(tmp_path / "out"))
    assert no_column.exit_code == 2 and "has no column visit" in no_column.output
    pattern = batch(str(schedule(tmp_path, HEADER)), "-o", str(tmp_path / "o2"), "--names", "{nope}")
    assert pattern.exit_code == 2 and "unknown field {nope}" in pattern.output


def test_spreadsheet_dates_workbooks_and_misspelt_columns(tmp_path):
    us = schedule(tmp_path, "visit;patient;date;Surgery Dat\npost-op;Ana Silva;3/14/2026;3/10/2026\n", "us.csv")
    refused = batch(str(us), "-o", str(tmp_path / "a"))
    assert refused.exit_code == 1 and "run the batch with --dates us" in refused.output
    assert "column 'surgery_dat' is not used by any visit type: did you mean 'surgery_date'?" in refused.output
    made = batch(str(us), "-o", str(tmp_path / "b"), "--dates", "us")
    assert made.exit_code == 0 and manifest(tmp_path / "b")[0]["date"] == "2026-03-14"
    eu = schedule(tmp_path, "visit,patient,date\ninjection,Ana Silva,14/03/2026\n", "eu.csv")
    assert batch(str(eu), "-o", str(tmp_path / "c"), "--dates", "eu").exit_code == 0
    workbook = tmp_path / "day.xlsx"
    workbook.write_bytes(b"PK\x03\x04 a zip archive")
    result = batch(str(workbook), "-o", str(tmp_path / "d"))
    assert result.exit_code == 2 and "Save As > 'CSV UTF-8'" in result.output


def test_the_manifest_follows_the_schedule_when_rows_move(tmp_path, catalog):
    out = tmp_path / "out"
    first = schedule(tmp_path, HEADER + "injection,Tom Baker,2026-03-14,A-1003\ninjection,Mary Jones,2026-03-14,A-1\n")
    run_batch(catalog, first, out, workers=1)
    moved = schedule(tmp_path, HEADER + "injection,Mary Jones,2026-03-14,A-1\ninjection,Tom Baker,2026-03-14,A-9999\n")
    again = run_batch(catalog, moved, out, workers=1)
    assert (again.made, again.skipped) == (0, 2)
    assert [(e["row"], e["id"], e["patient"]) for e in manifest(out)] == [
        ("2", "A-1", "Mary Jones"),
        ("3", "A-9999", "Tom Baker"),
    ]


def test_ctrl_c_stops_a_batch_at_once_and_says_how_to_go_on(tmp_path):
    rows = "".join(f"injection,Patient {i},2026-03-14,{i}\n" for i in range(80))
    path, out = schedule(tmp_path, HEADER + rows), tmp_path / "out"
    command = [sys.executable, str(ROOT / "generate.py"), "batch", str(path), "-o", str(out), "-j", "2"]
    # Ctrl-C as in a terminal, even where the test runner itself ignores SIGINT (a background job,
    # pytest-xdist's workers): a child inherits an ignored signal.
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while len(list(out.glob("*.pdf"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends
    stderr = process.communicate(timeout=30)[1]
    assert process.returncode == 130 and "run the same command again to make the rest" in stderr
    time.sleep(1)
    files = len(list(out.glob("*.pdf")))
    assert files < 40  # stopped at once, not after finishing the queue
    assert len(manifest(out)) >= files - 4  # at most the handouts in flight go unrecorded

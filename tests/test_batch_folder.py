"""A batch's folder: one writer, nothing half-done, nothing left behind, a record a spreadsheet may open.

Real processes are started and killed (kill -9), real disks fill up (a small tmpfs, where this
machine lets the tests mount one), and what is left is read from /proc and the folders themselves.
"""

import contextlib
import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.base import output
from handouts.cli.main import main
from handouts.runs.batch import run_batch
from handouts.runs.manifest import read_manifest

import pdfcheck
from conftest import ROOT

HEADER = "visit,patient,date,id\n"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def schedule(tmp_path: Path, rows: int, name: str = "day.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(f"injection,Patient {i},2026-03-14,{i}\n" for i in range(rows)))
    return path


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """`handouts ...` as a real process of its own."""
    return subprocess.Popen(
        [sys.executable, str(ROOT / "generate.py"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )


def wait_until(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _stat(pid: int) -> list[str] | None:
    """/proc/PID/stat after the command name: [state, ppid, ...], or None when gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text.rsplit(")", 1)[1].split()


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        fields = _stat(int(entry.name)) if entry.name.isdigit() else None
        if fields and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def pdfs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.pdf"))


# --- one writer ------------------------------------------------------------------------------------


def test_a_second_batch_into_the_same_folder_is_refused_and_the_first_keeps_every_row(tmp_path):
    out = tmp_path / "out"
    first = start("batch", str(schedule(tmp_path, 12)), "-o", str(out), "-j", "1")
    wait_until(lambda: len(pdfs(out)) >= 1)
    second = CliRunner().invoke(main, ["batch", str(schedule(tmp_path, 12, "other.csv")), "-o", str(out)])
    assert second.exit_code == 2, second.output
    assert second.output.startswith(f"Error: another batch is writing into {out} right now: wait for it to finish")
    stdout, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr
    assert "Made 12, skipped 0" in stdout
    assert len(read_manifest(out / "manifest.csv")) == 12 == len(pdfs(out))
    # The folder is free again once a batch is over.
    again = CliRunner().invoke(main, ["batch", str(schedule(tmp_path, 12)), "-o", str(out), "-j", "2"])
    assert again.exit_code == 0 and "skipped 12" in again.output


# --- a killed batch ----------------------------------------------------------------------------------


def test_workers_die_with_a_batch_killed_with_kill_9(tmp_path):
    out = tmp_path / "out"
    process = start("batch", str(schedule(tmp_path, 60)), "-o", str(out), "-j", "2")
    workers: list[int] = []
    try:
        wait_until(lambda: len(pdfs(out)) >= 2)
        workers = children(process.pid)
        assert len(workers) >= 2, workers
        os.kill(process.pid, signal.SIGKILL)  # the main process only, as the OOM killer or a kill -9 would
        process.wait()
        with contextlib.suppress(AssertionError):
            wait_until(lambda: not any(running(pid) for pid in workers), 10)
        assert [pid for pid in workers if running(pid)] == []
    finally:
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_the_next_run_removes_what_a_killed_one_left_and_temporary_files_stay_private(tmp_path):
    out, tmp = tmp_path / "out", tmp_path / "tmp"
    tmp.mkdir()
    env = {"TMPDIR": str(tmp)}
    path = schedule(tmp_path, 40)
    process = start("batch", str(path), "-o", str(out), "-j", "2", env=env)
    wait_until(lambda: len(pdfs(out)) >= 2)
    os.killpg(process.pid, signal.SIGKILL)  # the batch and its workers, mid-handout
    process.wait()
    # What the kill left: WeasyPrint's fonts in the process's own folder, inside the user's 0700 one.
    private = tmp / f"handouts-{os.getuid()}"
    assert sorted(p.name for p in tmp.iterdir()) == [private.name]
    assert private.stat().st_mode & 0o777 == 0o700
    [left] = list(private.iterdir())
    assert left.stat().st_mode & 0o777 == 0o700 and list(left.glob("weasyprint-*"))
    # A part file as a kill mid-write leaves it: a whole handout, the patient's name in its name.
    stale = out / ".2026-03-14_injection_Patient-39.pdf.k1ll3d00.part"
    stale.write_bytes(pdfs(out)[0].read_bytes())

    rerun = start("batch", str(path), "-o", str(out), "-j", "2", env=env)
    stdout, stderr = rerun.communicate(timeout=180)
    assert rerun.returncode == 0, stderr
    assert not list(out.glob(".*.part"))
    assert list(private.iterdir()) == []  # the killed run's folder, and the rerun's own
    assert len(pdfs(out)) == 40 == len(read_manifest(out / "manifest.csv"))


def test_a_part_file_being_written_is_never_taken_for_a_leftover(tmp_path):
    live = tmp_path / ".a.pdf.live0000.part"
    live.write_bytes(b"%PDF- being written")
    stale = tmp_path / ".a.pdf.dead0000.part"
    stale.write_bytes(b"%PDF- left by a kill")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import fcntl,sys,time; f=open({str(live)!r}); fcntl.flock(f, 2); print(1, flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline()  # the lock is held
        output.remove_leftovers(tmp_path)
        assert live.exists() and not stale.exists()
    finally:
        holder.kill()
        holder.wait()
    output.remove_leftovers(tmp_path)
    assert not live.exists()


def test_a_web_server_killed_mid_upload_leaves_nothing_after_the_next_start(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    upload = tmp_path / "day.csv"
    upload.write_text(schedule(tmp_path, 40).read_text())
    # The page's job as the server starts it (a worker process), then the server killed mid-way.
    script = (
        "import time; from pathlib import Path; from handouts.web.desk import Day; from handouts.web.jobs import Jobs; "
        "spec = {'practice': None, 'name': 'day.csv', 'dates': None, 'separator': False, 'fixes': {}, "
        "'lines': None, 'print': None}; "
        f"Jobs().start('owner', spec, Path({str(upload)!r}).read_bytes()); time.sleep(120)"
    )
    env = {**os.environ, "TMPDIR": str(tmp)}
    server = subprocess.Popen([sys.executable, "-c", script], env=env)
    private = tmp / f"handouts-{os.getuid()}"
    wait_until(lambda: len(list(private.glob("*/job-*/handouts/*.pdf"))) >= 2)
    workers = children(server.pid)  # the job's worker (and multiprocessing's resource tracker)
    assert workers
    server.kill()
    server.wait()
    [left] = list(private.glob("*/job-*"))
    assert (left / "schedule").is_file()
    wait_until(lambda: not any(running(pid) for pid in workers))  # the worker died with the server
    assert sorted(p.name for p in tmp.iterdir()) == [private.name]  # nothing in the shared folder itself

    made = subprocess.run(
        [
            sys.executable,
            str(ROOT / "generate.py"),
            "make",
            "injection",
            "-p",
            "Ana Silva",
            "-o",
            str(tmp_path / "a.pdf"),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    assert list(private.iterdir()) == []


# --- a full disk ----------------------------------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A small real disk of its own, or the test is skipped where this machine cannot mount one."""
    path.mkdir()
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    ).returncode:
        pytest.skip("cannot mount a tmpfs here (the disk-full tests need root or CAP_SYS_ADMIN)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def fill(disk: Path) -> None:
    """Take every free block of `disk`."""
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
    with contextlib.suppress(OSError):
        while True:
            os.write(fd, b"\0" * 4096)
    os.close(fd)


def batch(*args: str):
    return CliRunner().invoke(main, ["batch", *args])


def test_a_batch_into_a_full_disk_is_one_line_and_leaves_no_empty_manifest(tmp_path):
    with tmpfs(tmp_path / "disk", "256k") as disk:
        fill(disk)
        result = batch(str(schedule(tmp_path, 2)), "-o", str(disk / "out"))
        assert result.exit_code == 2, result.output
        assert result.output == f"Error: could not write {disk / 'out' / 'manifest.csv'}: No space left on device\n"
        assert not (disk / "out" / "manifest.csv").exists()


def test_a_disk_that_fills_mid_batch_loses_no_record_and_the_rerun_makes_the_rest(tmp_path):
    path = schedule(tmp_path, 8)
    with tmpfs(tmp_path / "disk", "128k") as disk:
        out = disk / "out"
        result = batch(str(path), "-o", str(out), "-j", "1")
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        assert "No space left on device" in result.output
        made = read_manifest(out / "manifest.csv")
        assert 1 <= len(made) < 8 and {p.name for p in pdfs(out)} == set(made)
        for name, entry in made.items():
            assert entry["patient"] in pdfcheck.text((out / name).read_bytes())
        assert not list(out.glob(".*.part"))
        report = result.output + (out / "errors.csv").read_text() if (out / "errors.csv").exists() else result.output
        assert "Patient" not in report  # a reason never names the file, and file names carry names

        subprocess.run(["mount", "-o", "remount,size=2m", str(disk)], check=True)
        again = batch(str(path), "-o", str(out), "-j", "1")
        assert again.exit_code == 0, again.output
        assert f"Made {8 - len(made)}, skipped {len(made)}" in again.output
        assert len(read_manifest(out / "manifest.csv")) == 8 == len(pdfs(out))


def test_a_manifest_that_cannot_grow_fails_its_rows_and_is_never_cut(tmp_path, catalog):
    """Only the manifest's disk is full (a file bind-mounted from a full tmpfs), the handouts' is not."""
    out = tmp_path / "out"
    out.mkdir()
    with tmpfs(tmp_path / "disk", "64k") as disk:
        kept = disk / "manifest.csv"
        header = "row,id,patient,visit,date,version,file,sha256,key\n"
        kept.write_text(header + "x" * (4096 - len(header) - 1) + "\n")  # its last block full
        fill(disk)
        (out / "manifest.csv").touch()
        subprocess.run(["mount", "--bind", str(kept), str(out / "manifest.csv")], check=True)
        try:
            result = run_batch(catalog, schedule(tmp_path, 2), out, workers=1)
            assert kept.read_text() == header + "x" * (4096 - len(header) - 1) + "\n"
        finally:
            subprocess.run(["umount", str(out / "manifest.csv")], check=True)
    assert result.made == 0
    assert [(e.line, e.reason) for e in result.failed] == [
        (2, "could not record this row's handout in manifest.csv: No space left on device"),
        (3, "could not record this row's handout in manifest.csv: No space left on device"),
    ]
    assert pdfs(out) == []  # a handout not in the record is not left as if it were made


def test_a_line_cut_short_is_dropped_alone_and_its_handout_made_again(tmp_path, catalog):
    path = tmp_path / "day.csv"
    path.write_text(
        HEADER + 'injection,Ana Silva,2026-03-14,1\ninjection,"Baker, Tom",2026-03-14,2\n'
        "injection,Li Wei,2026-03-14,3\n"
    )
    out = tmp_path / "out"
    assert run_batch(catalog, path, out, workers=1).made == 3
    header, ana, tom, li = (out / "manifest.csv").read_text().splitlines()
    assert tom.startswith('3,2,"Baker, Tom"')
    # As a kill mid-line leaves it, then a rerun appends after it.
    (out / "manifest.csv").write_text("\n".join([header, ana, tom[: tom.index("Baker") + 5], li]) + "\n")
    stamps = {p.name: p.stat().st_mtime_ns for p in pdfs(out)}
    again = run_batch(catalog, path, out, workers=1)
    assert (again.made, again.skipped) == (1, 2)
    remade = [p.name for p in pdfs(out) if p.stat().st_mtime_ns != stamps[p.name]]
    assert remade == ["2026-03-14_injection_Baker-Tom.pdf"]
    assert [e["id"] for e in read_manifest(out / "manifest.csv").values()] == ["1", "2", "3"]


# --- what the folder's files say ----------------------------------------------------------------------


def test_errors_csv_gives_the_line_and_the_reason_never_a_file_name(tmp_path):
    out = tmp_path / "out"
    (out / "2026-03-14_injection_Ann-Person.pdf").mkdir(parents=True)  # something already has the name
    path = tmp_path / "day.csv"
    path.write_text(HEADER + "injection,Ann Person,2026-03-14,9\ninjection,Ana Silva,2026-03-14,10\n")
    result = batch(str(path), "-o", str(out), "-j", "1")
    assert result.exit_code == 1
    assert "Line 2: could not write this row's handout: a folder has its file name" in result.output
    errors = (out / "errors.csv").read_text()
    assert errors == "line,reason\n2,could not write this row's handout: a folder has its file name\n"
    assert "Person" not in result.output


def test_a_manifest_that_is_a_symbolic_link_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "precious.csv"
    elsewhere.write_text("not the batch's\n")
    (out / "manifest.csv").symlink_to(elsewhere)
    result = batch(str(schedule(tmp_path, 1)), "-o", str(out))
    assert result.exit_code == 2
    assert result.output == (
        f"Error: output {out / 'manifest.csv'} is a symbolic link: remove it, or give the path of a regular file\n"
    )
    assert elsewhere.read_text() == "not the batch's\n" and pdfs(out) == []


def test_cells_never_open_as_formulas_and_a_rerun_still_reads_its_own_record(tmp_path, catalog):
    path = tmp_path / "day.csv"
    path.write_text(
        HEADER
        + 'injection,@Ana Silva,2026-03-14,=HYPERLINK("http://x")\n'
        + "injection,+Tom Baker,2026-03-14,-5\n"
        + "injection,=Li Wei,2026-03-14,'quoted\n"
        + "bogus,Mo Said,2026-03-14,@x\n"
    )
    out = tmp_path / "out"
    first = run_batch(catalog, path, out, workers=1)
    assert first.made == 3 and len(first.failed) == 1
    for name in ("manifest.csv", "errors.csv"):
        with (out / name).open(newline="", encoding="utf-8") as handle:
            cells = [cell for row in csv.reader(handle) for cell in row]
        assert not [cell for cell in cells if cell.startswith(FORMULA_START)], name
    entries = sorted((e["id"], e["patient"]) for e in read_manifest(out / "manifest.csv").values())
    assert entries == [("'quoted", "=Li Wei"), ("-5", "+Tom Baker"), ('=HYPERLINK("http://x")', "@Ana Silva")]
    again = run_batch(catalog, path, out, workers=1)
    assert (again.made, again.skipped) == (0, 3)

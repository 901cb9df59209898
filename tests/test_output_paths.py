"""`make -o`: a file, a folder, standard output, and paths that are none of these."""

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.cli.main import main

import pdfcheck
from conftest import NAME, ROOT


def make(*args: str):
    return CliRunner().invoke(main, ["make", "injection", "-p", NAME, "-d", "2026-03-14", *args])


def make_process(*args: str, cwd=None) -> subprocess.CompletedProcess:
    command = [sys.executable, str(ROOT / "generate.py"), "make", "injection", "-p", NAME, "-d", "2026-03-14", *args]
    return subprocess.run(command, capture_output=True, cwd=cwd)


def test_an_existing_target_that_is_not_a_regular_file_is_refused(tmp_path):
    pipe = tmp_path / "printer.pdf"
    os.mkfifo(pipe)
    result = make("-o", str(pipe))
    assert result.exit_code == 2
    assert result.output == f"Error: output {pipe} exists and is not a regular file: choose another -o path\n"
    assert stat.S_ISFIFO(pipe.lstat().st_mode)
    link = tmp_path / "latest.pdf"
    link.symlink_to(tmp_path / "elsewhere.pdf")
    refused = make("-o", str(link))
    assert refused.exit_code == 2 and "is a symbolic link" in refused.output
    assert link.is_symlink() and not (tmp_path / "elsewhere.pdf").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may make a device node, and only root could replace one")
def test_root_never_replaces_a_device(tmp_path):
    full = tmp_path / "full"  # the same device as /dev/full, so a test of old code never breaks the real one
    os.mknod(full, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    result = make("-o", str(full))
    assert result.exit_code == 2
    assert result.output == f"Error: output {full} exists and is not a regular file: choose another -o path\n"
    assert stat.S_ISCHR(full.lstat().st_mode)


def test_a_trailing_slash_means_a_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    missing = make("-o", "nope/")
    assert missing.exit_code == 2
    assert missing.output == "Error: output folder nope does not exist: create it or choose another -o path\n"
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "day").mkdir()
    for given in ("day/", "day"):  # an existing folder, with or without the slash
        assert make("-o", given).exit_code == 0
    assert sorted(p.name for p in (tmp_path / "day").iterdir()) == [
        "injection-2026-03-14.pdf",
        "injection-2026-03-14_2.pdf",
    ]
    assert NAME in pdfcheck.text((tmp_path / "day" / "injection-2026-03-14.pdf").read_bytes())


def test_dash_writes_the_pdf_to_standard_output(tmp_path):
    done = make_process("-o", "-", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"%PDF-") and NAME in pdfcheck.text(done.stdout)
    assert done.stderr == b"" and list(tmp_path.iterdir()) == []


def test_a_path_the_system_refuses_is_one_line(tmp_path):
    done = make("-o", "/proc/x.pdf")
    assert done.exit_code == 2
    assert done.stderr.splitlines() == [
        "Error: could not write /proc/x.pdf: No such file or directory"
        if os.geteuid() == 0
        else "Error: output folder /proc is not writable: choose another -o path"
    ]


def test_make_removes_what_a_killed_make_of_the_same_file_left(tmp_path):
    left = tmp_path / ".x.pdf.k1ll3d00.part"  # as a kill mid-write leaves it: a whole handout
    left.write_bytes(b"%PDF- Ann Person's handout")
    other = tmp_path / ".y.pdf.k1ll3d00.part"
    other.write_bytes(b"%PDF- not this file's")
    assert make("-o", str(tmp_path / "x.pdf")).exit_code == 0
    assert not left.exists() and other.exists()


@pytest.mark.parametrize("command", ["make", "folder", "batch"])
def test_a_path_through_a_file_or_too_long_is_one_line_for_every_output(tmp_path, command):
    """`-o FILE/x.pdf` where FILE is a regular file (NotADirectoryError), a name over the system's
    limit, a loop of links: one plain line and exit code 2, whichever command writes the file."""
    (tmp_path / "FILE").write_text("not a folder")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    schedule = tmp_path / "day.csv"
    schedule.write_text(f"visit,patient,date\ninjection,{NAME},2026-03-14\n")
    for target, reason in [
        (tmp_path / "FILE" / "x.pdf", f"a part of its path ({tmp_path / 'FILE'}) is a file, not a folder"),
        (tmp_path / "FILE" / "sub" / "x.pdf", "is a file, not a folder"),
        (tmp_path / ("a" * 300) / "x.pdf", "is too long"),
        (tmp_path / ("a" * 300), "is too long"),
        (tmp_path / "loop" / "x.pdf", "loop of symbolic links"),
    ]:
        args = {
            "make": ["make", "injection", "-p", NAME, "-o", str(target)],
            "batch": ["batch", str(schedule), "-o", str(tmp_path / "out"), "-j", "1", "--force", "--no-record",
                      "--merge", str(target)],
            "folder": ["make", "injection", "-p", NAME, "-o", f"{target}/"],
        }[command]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, (target, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        lines = result.output.splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: output ") and "choose another -o path" in lines[0]
        if command != "folder":  # a folder given with a slash: the default name inside it, named in the line
            assert reason in lines[0], lines[0]


@pytest.mark.parametrize("name", ["ledger.sqlite", "approvals.toml", "practice.toml", "styles/practice.css", "x.pdf"])
def test_no_output_is_written_into_the_practice_folder(tmp_path, monkeypatch, name):
    """-o among the practice's files would replace its record, approvals, settings or templates."""
    monkeypatch.delenv("HANDOUTS_LEDGER")
    practice = Path(shutil.copytree(Path(__file__).parent / "fixtures" / "practice", tmp_path / "practice"))
    made = make("-o", str(tmp_path / "given.pdf"), "--practice", str(practice))
    assert made.exit_code == 0, made.output
    before = {p: p.read_bytes() for p in practice.rglob("*") if p.is_file()}
    target = practice / name
    refused = [
        make("-o", str(target), "--practice", str(practice)),
        CliRunner().invoke(main, ["reprint", "1", "-o", str(target), "--practice", str(practice)]),
    ]
    schedule = tmp_path / "day.csv"
    schedule.write_text("visit,patient,date\ninjection,Test Person,2026-03-14\n")
    for args in (["-o", str(practice / "out")], ["-o", str(tmp_path / "out"), "--merge", str(target)]):
        refused.append(CliRunner().invoke(main, ["batch", str(schedule), *args, "--practice", str(practice)]))
    for result in refused:
        assert result.exit_code == 2 and "is inside the practice folder" in result.output, result.output
    assert {p: p.read_bytes() for p in practice.rglob("*") if p.is_file()} == before

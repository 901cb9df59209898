"""The command line as a user meets it: output files, help, and one-line errors with exit code 2."""

import json
import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from handouts import __version__
from handouts.cli.main import main

import pdfcheck
from conftest import NAME, ROOT, VISITS


def run(*args: str, **kw):
    return CliRunner().invoke(main, list(args), catch_exceptions=False, **kw)


def test_make_writes_the_default_file_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("make", "injection", "--patient", NAME, "--date", "2026-03-14")
    assert result.exit_code == 0, result.output
    pdf = (tmp_path / "injection-2026-03-14.pdf").read_bytes()
    assert NAME in pdfcheck.text(pdf)


# What `make` never uses: the record's database code (with a practice that records nothing), the
# web server, the batch's process pool and progress bar, the PDF joining and reading code.
NOT_FOR_MAKE = (
    *("sqlalchemy", "alembic", "flask", "waitress", "rich", "pypdf", "pdfplumber", "multiprocessing", "concurrent"),
    *("babel.messages", "markdown_it", "handouts.runs.batch", "handouts.web.app", "handouts.record.ledger"),
    "handouts.quality.lint",
    "sqlite3",  # the spool's, loaded only when a record waits or is looked for
)


def test_cold_make_imports_only_what_it_uses(tmp_path):
    """A cold `make` is about as fast as WeasyPrint alone (issue 15): every module the command
    loads, as Python lists them for the real process, is one it needs."""
    target = tmp_path / "h.pdf"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "handouts", "make", "injection", "-p", NAME, "-o", str(target)],
        capture_output=True, text=True, env={k: v for k, v in os.environ.items() if not k.startswith("HANDOUTS_")},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert NAME in pdfcheck.text(target.read_bytes())
    assert sorted(m for m in loaded if m.startswith(NOT_FOR_MAKE)) == []


def test_make_html_format(tmp_path):
    out = tmp_path / "h.html"
    assert run("make", "post-op", "-p", "Ana Silva", "--format", "html", "-o", str(out)).exit_code == 0
    assert "Ana Silva" in out.read_text()


def test_list_json_names_every_visit_and_its_modules():
    data = json.loads(run("list", "--json").output)
    assert [v["id"] for v in data] == list(VISITS)
    assert all("red-flags" in v["modules"] for v in data)


def test_version_and_help_with_examples():
    assert __version__ in run("--version").output
    assert "Examples:" in run("--help").output
    for name in main.list_commands(click.Context(main)):  # every command, including any added later
        output = run(name, "--help").output
        assert "Examples:" in output and f"handouts {name}" in output, name


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["make", "consult", "-p", "A B"], "unknown visit type 'consult': choose one of"),
        (["make", "injection", "-p", "A B", "-d", "14/03/2026"], "is not written as YYYY-MM-DD"),
        (["make", "injection", "-p", "A B", "-d", "2026-02-30"], "is not a real date"),
        (["make", "injection", "-p", "   "], "the patient name is empty"),
        (["make", "injection", "-p", "x" * 151], "the most allowed is 150"),
        (["make", "injection", "-p", "A\x07B"], "control"),
        (["make", "injection", "-p", "A B", "--set", "procedure=x"], "has no field 'procedure'"),
        (["make", "post-op", "-p", "A B", "--set", "colour=red"], "its fields are: follow_up, procedure, surgery_date"),
        (["make", "post-op", "-p", "A B", "--set", "oops"], "is not FIELD=VALUE"),
        (["make", "injection", "-p", "A B", "-o", "/nonexistent/dir/x.pdf"], "does not exist"),
        (["make", "injection", "--practice", "/nonexistent", "-p", "A B"], "does not exist"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_file(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_folder(tmp_path, monkeypatch):
    # Root may write anywhere, so the refusal is simulated where the tool asks the system.
    monkeypatch.setattr("handouts.base.output.os.access", lambda path, mode: False)
    result = CliRunner().invoke(main, ["make", "injection", "-p", "A B", "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2 and "is not writable" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("handouts.base.output.os.replace", refuse)
    result = CliRunner().invoke(main, ["make", "injection", "-p", "A B", "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2 and "No space left on device" in result.output
    assert list(tmp_path.iterdir()) == []


def test_generate_py_behaves_like_the_console_script(tmp_path):
    out = tmp_path / "n.pdf"
    done = subprocess.run(
        [sys.executable, str(ROOT / "generate.py"), "make", "new-patient", "-p", NAME, "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert NAME in pdfcheck.text(out.read_bytes())
    bad = subprocess.run(
        [sys.executable, str(ROOT / "generate.py"), "make", "nope", "-p", "A"], capture_output=True, text=True
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("Error: unknown visit type") and "Traceback" not in bad.stderr


def test_make_never_overwrites_another_patients_default_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("make", "injection", "-p", "Ana Silva", "-d", "2026-03-14").exit_code == 0
    assert run("make", "injection", "-p", "Tom Baker", "-d", "2026-03-14").exit_code == 0
    assert "Ana Silva" in pdfcheck.text((tmp_path / "injection-2026-03-14.pdf").read_bytes())
    assert "Tom Baker" in pdfcheck.text((tmp_path / "injection-2026-03-14_2.pdf").read_bytes())


def test_an_output_name_that_says_another_format_is_refused(tmp_path):
    result = CliRunner().invoke(
        main, ["make", "injection", "-p", "A B", "--format", "html", "-o", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code == 2 and "name it x.html" in result.output and not (tmp_path / "x.pdf").exists()

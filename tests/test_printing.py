"""Printing through a real CUPS server (the `cups` fixture: cupsd with a cups-pdf queue, FrontDesk).

What arrives is what a printer would print: the job goes through CUPS's filters (PDF to PostScript)
and cups-pdf writes it back to a PDF of images and outlines. So the patient's name is checked as a
person at the printer would see it: the place where the sent handout prints the name looks the same
on the page that came out, and unlike the same handout made for someone else.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.cli.main import main
from handouts.config.catalog import Catalog
from handouts.config.models import Practice
from handouts.delivery.printing import PrintError, check_queue, options

import pdfcheck
from conftest import NAME

FIXTURE = Path(__file__).parent / "fixtures" / "practice"
OTHER = "Walter Jankowski"


def practice_printing(tmp_path: Path, settings: str) -> Path:
    """A copy of the fixture practice with these lines at the top of practice.toml."""
    folder = Path(shutil.copytree(FIXTURE, tmp_path / "practice"))
    toml = folder / "practice.toml"
    toml.write_text(settings + "\n" + toml.read_text())
    return folder


def make(tmp_path: Path, *args: str, patient: str = NAME):
    return CliRunner().invoke(
        main, ["make", "injection", "-p", patient, "-d", "2026-03-14", "--no-record", *args], catch_exceptions=False
    )


def job_of(output: str) -> str:
    found = re.search(r"Sent to the printer FrontDesk as job (FrontDesk-\d+)\.", output)
    assert found, output
    return found.group(1)


def assert_carries(printed: bytes, sent: bytes, name: str, other: bytes | None = None) -> None:
    """`printed` shows `name` where `sent` prints it (in ink), and not what `other` prints there."""
    page, box = pdfcheck.name_box(sent, name)
    came_out = pdfcheck.region(printed, page, box)
    same = pdfcheck.printed_difference(printed, sent, page, box)
    assert same < 12 and min(came_out) < 100, same
    if other is not None:
        unlike = pdfcheck.difference(came_out, pdfcheck.region(other, page, box))
        assert unlike > 3 * same, (same, unlike)


def test_make_print_sends_the_handout_to_the_practice_printer(cups, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    practice = practice_printing(tmp_path, 'printer = "FrontDesk"')
    result = make(tmp_path, "--practice", str(practice), "-o", "ana.pdf", "--print")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"Wrote {Path('ana.pdf')}"
    sent = (tmp_path / "ana.pdf").read_bytes()
    printed = cups.printed(job_of(result.output))
    assert pdfcheck.pages(printed) == pdfcheck.pages(sent) and pdfcheck.page_size_pt(printed) == (612, 792)
    other = make(tmp_path, "--practice", str(practice), "-o", "other.pdf", patient=OTHER)
    assert other.exit_code == 0
    assert_carries(printed, sent, NAME, (tmp_path / "other.pdf").read_bytes())
    log = (cups.folder / "log" / "page_log").read_text()
    assert "two-sided-long-edge" in log and NAME not in log  # the job's title is the file name, not the patient


def test_batch_print_sends_the_print_file_in_order(cups, tmp_path):
    schedule = tmp_path / "day.csv"
    schedule.write_text(f"visit,patient,date\ninjection,{NAME},2026-03-14\nnew-patient,{OTHER},2026-03-14\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["batch", str(schedule), "-o", str(out), "-j", "1", "--no-record", "--separator", "--print=FrontDesk"]
    )
    assert result.exit_code == 0, result.output
    sent = (out / "print.pdf").read_bytes()  # no --merge: the print file goes in the output folder
    printed = cups.printed(job_of(result.output))
    assert pdfcheck.pages(printed) == pdfcheck.pages(sent)
    # The separator sheet before the first handout names its patient; the other patient's comes later.
    text = pdfcheck.text(sent)
    assert text.index(NAME) < text.index(OTHER)
    assert pdfcheck.name_box(sent, NAME)[0] == 0
    assert_carries(printed, sent, NAME)
    assert_carries(printed, sent, OTHER)


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("missing", "the printer Nowhere is not found: check its name with `lpstat -p`"),
        ("stopped", "the printer Jammed is stopped (paper jam): fix it (paper, toner, a jam), start it again "
         "(cupsenable Jammed"),
        ("refusing", "the printer Full refuses jobs (tray full): let it take jobs again (cupsaccept Full"),
    ],
)
def test_a_print_that_fails_says_why_and_keeps_the_handout(cups, tmp_path, monkeypatch, state, message):
    queue = {"missing": "Nowhere", "stopped": "Jammed", "refusing": "Full"}[state]
    if state != "missing":
        cups.lpadmin("-p", queue, "-E", "-v", "file:///dev/null")
        command = ["cupsdisable", "-r", "paper jam"] if state == "stopped" else ["cupsreject", "-r", "tray full"]
        subprocess.run([*command, queue], check=True)
    monkeypatch.chdir(tmp_path)
    result = make(tmp_path, "-o", "ana.pdf", f"--print={queue}")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines[0] == f"Wrote {Path('ana.pdf')}" and len(lines) == 2
    assert lines[1].startswith(f"Error: {message}"), lines[1]
    assert lines[1].endswith("Not printed; the handout is saved as ana.pdf: print it again when the printer is ready")
    assert pdfcheck.pages((tmp_path / "ana.pdf").read_bytes()) > 1


def test_no_print_system_is_said_plainly(tmp_path, monkeypatch):
    monkeypatch.setenv("CUPS_SERVER", str(tmp_path / "no-cups.sock"))
    if shutil.which("lpstat") is None:
        pytest.skip("CUPS's lpstat is not installed (scripts/setup --test installs cups-client)")
    with pytest.raises(PrintError, match=r"^the print system \(CUPS\) is not running on this computer"):
        check_queue("FrontDesk")


def test_print_options_come_from_the_practice():
    practice = Catalog.load().practice
    assert options(practice) == ["-o", "sides=two-sided-long-edge", "-o", "media=Letter"]
    assert options(practice, "a4")[-1] == "media=A4"
    own = Practice.model_validate(
        {**practice.model_dump(), "printing": {"sides": "one-sided", "media": "Legal", "tray": "Tray2"}}
    )
    assert options(own, "a4") == ["-o", "sides=one-sided", "-o", "media=Legal,Tray2"]
    with pytest.raises(ValueError, match="printer"):
        Practice.model_validate({**practice.model_dump(), "printer": "Front Desk; rm"})

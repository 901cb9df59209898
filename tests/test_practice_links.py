"""A practice folder is data: nothing in it may point outside it (issue 10, section 3).

The payloads are the issue's: a template that is a link to a file elsewhere, included from a
practice template; an assets folder that is a link elsewhere, with `<a rel=attachment>`. Each
command (make, batch, check, serve, customize) refuses the folder with one line naming the link,
and nothing from outside reaches a PDF. A copy of the same files (not a link) is the control:
it shows the PDF reader below would see the outside text if it got in.
"""

import io
import os
import shutil
import socket
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner

from handouts.cli.main import main
from handouts.web import create_app

import pdfcheck

FIXTURE = Path(__file__).parent / "fixtures" / "practice"
SECRET = "Outside-canary-7c1e"
EXTEND = '{{% extends "default:handout.html" %}}{{% block title %}}<p>{}</p>{{{{ super() }}}}{{% endblock %}}'
INCLUDE = EXTEND.format('{% include "pw.html" %}')
ATTACH = EXTEND.format('<a rel="attachment" href="notes.txt">notes</a>')


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def embedded(pdf: bytes) -> list[bytes]:
    """Every file the PDF carries: document attachments and file-attachment annotations."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    files = [data for versions in reader.attachments.values() for data in versions]
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            spec = annot.get_object().get("/FS")
            if spec is not None:
                files.append(spec.get_object()["/EF"]["/F"].get_object().get_data())
    return files


def leaked(pdf: bytes) -> bool:
    return SECRET in pdfcheck.text(pdf) or any(SECRET.encode() in data for data in embedded(pdf))


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder outside the practice, with a file no handout may show."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "pw.html").write_text(f"{SECRET} root:x:0:0\n")
    (folder / "notes.txt").write_text(f"{SECRET}\n")
    shutil.copy(FIXTURE / "assets" / "riverbend.png", folder / "riverbend.png")
    return folder


@pytest.fixture
def practice(tmp_path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "practice"))


def linked_template(practice: Path, outside: Path) -> Path:
    (practice / "templates" / "handout.html").write_text(INCLUDE)
    (practice / "templates" / "pw.html").symlink_to(outside / "pw.html")
    return practice


def linked_assets(practice: Path, outside: Path) -> Path:
    (practice / "templates" / "handout.html").write_text(ATTACH)
    shutil.rmtree(practice / "assets")
    (practice / "assets").symlink_to(outside, target_is_directory=True)
    return practice


def make(practice: Path, out: Path):
    return invoke("make", "post-op", "-p", "Ana Example", "--practice", str(practice), "-o", str(out))


@pytest.mark.parametrize(("payload", "named"), [(linked_template, "templates/pw.html"), (linked_assets, "assets")])
def test_make_refuses_a_link_and_nothing_from_outside_prints(practice, outside, tmp_path, payload, named):
    payload(practice, outside)
    out = tmp_path / "handout.pdf"
    result = make(practice, out)
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert f"Error: practice folder {practice}: {named} (a link to {outside}" in line
    assert "replace each link with a copy of what it points to" in line
    assert not out.exists() and SECRET not in line


@pytest.mark.parametrize("payload", [linked_template, linked_assets])
def test_the_same_files_copied_in_are_read(practice, outside, tmp_path, payload):
    """The control: with real copies the PDF does carry the text, so `leaked` would have seen a leak."""
    payload(practice, outside)
    for path in (practice / "templates" / "pw.html", practice / "assets"):
        if path.is_symlink():
            target = path.resolve()
            path.unlink()
            (shutil.copytree if target.is_dir() else shutil.copy)(target, path)
    out = tmp_path / "handout.pdf"
    assert make(practice, out).exit_code == 0
    assert leaked(out.read_bytes())


def test_check_names_every_link(practice, outside):
    linked_template(practice, outside)
    (practice / "assets" / "riverbend.png").unlink()
    (practice / "assets" / "riverbend.png").symlink_to(outside / "riverbend.png")
    (practice / "templates" / "modules" / "nested").mkdir(parents=True)
    (practice / "templates" / "modules" / "nested" / "x.html").symlink_to("/etc/hostname")
    os.mkfifo(practice / "styles" / "pipe.css")
    (practice / "approvals.toml").symlink_to(outside / "notes.txt")
    (practice / "visits" / "extra.toml").symlink_to(outside / "notes.txt")
    result = invoke("check", "--practice", str(practice))
    assert result.exit_code == 2
    line = result.output.strip()
    assert len(line.splitlines()) == 1
    assert f"templates/pw.html (a link to {outside / 'pw.html'}) and 1 more: " in line  # five named, then a count
    for named in (
        "approvals.toml (a link to",
        "assets/riverbend.png (a link to",
        "styles/pipe.css (not a plain file)",
        "templates/modules/nested/x.html (a link to /etc/hostname)",
        "templates/pw.html (a link to",
    ):
        assert named in line


def test_batch_makes_nothing_from_a_linked_folder(practice, outside, tmp_path):
    linked_assets(practice, outside)
    schedule = tmp_path / "day.csv"
    schedule.write_text("visit,patient,date\npost-op,Ana Example,2026-03-14\n")
    out = tmp_path / "out"
    result = invoke("batch", str(schedule), "-o", str(out), "-j", "1", "--practice", str(practice))
    assert result.exit_code == 2 and "assets (a link to" in result.output
    assert not out.exists() or not list(out.rglob("*.pdf"))


def test_the_page_refuses_a_linked_folder(practice, outside, caplog):
    """Refused on the page in the desk's words; the link, by its path, in the server's log."""
    linked_template(practice, outside)
    client = create_app(practice).test_client()
    page = client.get("/")
    assert page.status_code == 500 and "The practice settings have a problem" in page.text
    assert "templates/pw.html (a link to" in caplog.text
    assert client.get("/assets/riverbend.png").status_code == 500
    assert SECRET not in page.text and SECRET not in caplog.text


def test_serve_stops_before_listening(practice, outside):
    linked_assets(practice, outside)
    with socket.socket() as busy:  # were the folder let through, serve would stop here instead of serving on
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = invoke("serve", "--practice", str(practice), "--port", str(busy.getsockname()[1]))
    assert result.exit_code == 2 and "assets (a link to" in result.output


def test_customize_and_init_never_write_through_a_link(practice, outside, tmp_path):
    (practice / "styles").rename(practice / "styles-real")
    (practice / "styles").symlink_to(outside, target_is_directory=True)
    result = invoke("customize", "styles/handout.css", "--practice", str(practice))
    assert result.exit_code == 2 and "styles (a link to" in result.output
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "surgeons").symlink_to(outside, target_is_directory=True)
    result = invoke("init-practice", str(fresh))
    assert result.exit_code == 2 and "surgeons (a link to" in result.output
    assert sorted(p.name for p in outside.iterdir()) == ["notes.txt", "pw.html", "riverbend.png"]


def test_the_folder_itself_may_be_reached_through_a_link(practice, tmp_path):
    """Only what is inside is checked: `--practice /srv/practice`, a link to the real folder, is the user's choice."""
    (tmp_path / "via-link").symlink_to(practice, target_is_directory=True)
    out = tmp_path / "handout.pdf"
    assert make(tmp_path / "via-link", out).exit_code == 0
    assert "Riverbend Spine Center" in pdfcheck.text(out.read_bytes())

"""The day's list is the practice's, not the browser's: it and each row's status live in the practice's
record (SQLite or PostgreSQL), so every desk and every server of the practice sees one list, and a
restart loses nothing. Two servers (two apps, as two `handouts serve` on two computers, each with its
own copy of the practice folder) share a real PostgreSQL; printing goes to a real CUPS (`cups`)."""

import io
import json
import logging
import re
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_desk import DAY, act, form_fields, load, row, text

from handouts.cli.main import main
from handouts.record.ledger import Ledger
from handouts.record.recorder import SAVED
from handouts.web import create_app

import pdfcheck
from conftest import NAME

FIXTURE = Path(__file__).parent / "fixtures" / "practice"
SECRETS = (NAME, "O'Brien", "Jankowski", "Mei-Ling", "A-1", "A-2", "A-3")


def desk(tmp_path: Path, name: str, ledger: str | None = None) -> Path:
    """One desk's copy of the practice folder, printing on the tests' CUPS queue, its record at `ledger`
    (None: ledger.sqlite in the folder)."""
    folder = Path(shutil.copytree(FIXTURE, tmp_path / name))
    toml = folder / "practice.toml"
    settings = 'printer = "FrontDesk"\n' + (f'ledger = "{ledger}"\n' if ledger else "")
    toml.write_text(settings + toml.read_text())
    return folder


@pytest.fixture
def shared_ledger(postgresql, monkeypatch):
    """The tests' PostgreSQL, emptied (the day's list too), for a practice's desks to share."""
    monkeypatch.delenv("HANDOUTS_LEDGER")
    ledger = Ledger.open(postgresql.url)
    with ledger.engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE day_rows, days, record_units, records, filesets, blobs RESTART IDENTITY")
    ledger.close()
    yield postgresql.url
    if not postgresql.running():
        postgresql.start()


def statuses(page) -> dict[int, str]:
    return {int(line): status for line, status in re.findall(r'id="row-(\d+)"[^>]*data-status="([^"]+)"', page.text)}


def day_id(page) -> str:
    return re.search(r'name="day" value="([^"]+)"', page.text).group(1)


def printed_job(page, line: int) -> str:
    found = re.search(r"Sent to the printer FrontDesk as job (FrontDesk-\d+)\.", row(page, line))
    assert found, row(page, line)
    return found.group(1)


def history(practice: Path) -> list[dict]:
    listed = CliRunner().invoke(main, ["history", "--json", "--show-names", "--practice", str(practice)])
    assert listed.exit_code == 0, listed.output
    return json.loads(listed.stdout)


def test_two_servers_on_one_postgresql_show_one_list_and_each_others_statuses(shared_ledger, tmp_path, cups):
    one = create_app(desk(tmp_path, "desk-1", shared_ledger)).test_client()
    two = create_app(desk(tmp_path, "desk-2", shared_ledger)).test_client()
    assert "No schedule is loaded yet" in text(two.get("/today"))

    assert load(one).status_code == 303
    seen = two.get("/today")  # another server, another browser: the list the first desk loaded
    assert "4 patients: 1 needs a fix, 3 ready to print, 0 given." in text(seen)
    assert day_id(seen) == day_id(one.get("/today"))
    assert row(seen, 2).startswith(f"2 After your decompression surgery March 14, 2026 {NAME} ID A-1")

    first = printed_job(act(one, "print", line="2"), 2)  # each desk prints one patient
    second = printed_job(act(two, "print", line="4"), 4)
    for client in (one, two):
        page = client.get("/today")
        assert statuses(page) == {2: "given", 3: "fix", 4: "given", 5: "not-given"}
        for line in (2, 4):
            assert re.search(r"Printed at \d\d:\d\d", row(page, line)), row(page, line)
        assert "Print all not yet given (1)" in text(page)
    for job, line, other in ((first, 2, two), (second, 4, one)):  # each printed what the other desk previews
        preview = other.get(re.search(rf'href="(/today/[^"]+/{line}/preview.pdf)"', other.get("/today").text).group(1))
        assert pdfcheck.pages(cups.printed(job)) == pdfcheck.pages(preview.data) > 0

    fixed = act(two, "fix", line="3", visit="injection")  # a row fixed at one desk is fixed at the other
    assert "Corrected on this page" in row(fixed, 3)
    page = one.get("/today")
    assert row(page, 3).startswith("3 Your epidural steroid injection March 14, 2026 Tom Baker ID A-2")
    assert "Corrected on this page" in row(page, 3) and statuses(page)[3] == "not-given"
    printed_job(act(one, "print", line="3"), 3)
    assert statuses(two.get("/today")) == {2: "given", 3: "given", 4: "given", 5: "not-given"}


def test_a_restart_keeps_the_list_its_fixes_and_who_has_theirs(tmp_path, monkeypatch):
    """SQLite (ledger.sqlite in the practice folder): the server stops and starts again; every browser
    (a new session cookie, a new server secret) finds the list as it was."""
    monkeypatch.delenv("HANDOUTS_LEDGER")
    practice = desk(tmp_path, "practice")
    before = create_app(practice).test_client()
    load(before, DAY.replace("2026-03-14,A-3", "3/14/2026,A-3"))
    act(before, "options", dates="us")
    act(before, "fix", line="3", visit="injection")
    download = before.post("/today/download", data={**form_fields(before), "line": "2"})
    assert download.mimetype == "application/pdf"
    listed = before.get("/today")

    after = create_app(practice).test_client()  # the server started again
    page = after.get("/today")
    assert day_id(page) == day_id(listed)
    assert "Dates with slashes are read month first (3/14/2026)." in text(page)
    assert row(page, 3).startswith("3 Your epidural steroid injection March 14, 2026 Tom Baker")
    assert "Corrected on this page" in row(page, 3)
    assert re.search(r"Downloaded at \d\d:\d\d", row(page, 2)), row(page, 2)
    assert statuses(page) == {2: "given", 3: "not-given", 4: "not-given", 5: "not-given"}
    assert "4 patients: 0 need a fix, 3 ready to print, 1 given." in text(page)


def test_a_practice_without_a_record_says_the_list_is_this_servers_only(tmp_path):
    """`ledger = "off"` (as the built-in sample practice): the list is every browser's on this server, and
    the page says plainly that it is lost when the server restarts."""
    practice = desk(tmp_path, "practice")
    app = create_app(practice)
    load(app.test_client())
    other = app.test_client()  # another desk's browser on the same server
    page = other.get("/today")
    assert "4 patients: 1 needs a fix, 3 ready to print, 0 given." in text(page)
    assert (
        "This practice keeps no record of handouts given: the day's list and who has been given their handout are "
        "kept by this server only, and are lost when it restarts."
    ) in text(page)
    restarted = text(create_app(practice).test_client().get("/today"))
    assert "No schedule is loaded yet" in restarted and "kept by this server only" in restarted


def test_a_handout_a_batch_made_is_not_given_and_print_all_prints_it(tmp_path, monkeypatch, cups):
    """`handouts batch` the night before makes (and records) every handout of the day: none of them is
    in a patient's hand yet. The page says so, and "Print all not yet given" prints them."""
    monkeypatch.delenv("HANDOUTS_LEDGER")
    practice = desk(tmp_path, "practice")
    schedule = tmp_path / "day.csv"
    schedule.write_text(DAY)
    made = CliRunner().invoke(main, ["batch", str(schedule), "-o", str(tmp_path / "out"), "--practice", str(practice)])
    assert made.exit_code == 1, made.output  # the row to fix (line 3) fails; the other three are made
    assert [record["how"] for record in history(practice)] == ["batch"] * 3

    client = create_app(practice).test_client()
    load(client)
    page = client.get("/today")
    assert statuses(page) == {2: "not-given", 3: "fix", 4: "not-given", 5: "not-given"}
    assert "4 patients: 1 needs a fix, 3 ready to print, 0 given." in text(page)
    for line in (2, 4, 5):
        assert re.search(r"Not given Made in a batch at \d\d:\d\d", row(page, line)), row(page, line)
    assert "Print all not yet given (3)" in text(page)

    act(client, "print-all")
    deadline = time.monotonic() + 180
    while client.get("/today/job.json").get_json()["state"] not in ("done", "failed"):
        assert time.monotonic() < deadline, "the job did not finish"
        time.sleep(0.3)
    page = client.get("/today")
    job = re.search(r"Printed 3 handouts as job (FrontDesk-\d+)\.", text(page))
    assert job, text(page)
    assert statuses(page) == {2: "given", 3: "fix", 4: "given", 5: "given"}
    assert cups.printed(job.group(1))
    assert [record["how"] for record in history(practice)] == ["batch"] * 3 + ["web-print"] * 3


def test_postgresql_stopped_mid_morning_the_list_stays_and_what_was_done_reaches_the_record(
    shared_ledger, postgresql, tmp_path, caplog
):
    """The desk keeps working from this server's copy of the list, told so in one line; a fix made
    meanwhile reaches the practice's record when the database is back, and the other desk sees it."""
    caplog.set_level(logging.DEBUG)
    app = create_app(desk(tmp_path, "desk-1", shared_ledger))
    app.extensions["handouts"].ledgers.retry = 0.2  # tried again this often (30 s at a clinic)
    one, two = app.test_client(), create_app(desk(tmp_path, "desk-2", shared_ledger)).test_client()
    load(one)
    postgresql.stop()

    page = one.get("/today")
    assert page.status_code == 200 and statuses(page) == {2: "not-given", 3: "fix", 4: "not-given", 5: "not-given"}
    assert text(page).count("cannot be reached") == 1
    assert "The practice's record cannot be reached: this is this server's copy of the list" in text(page)
    fixed = act(one, "fix", line="3", visit="injection")
    assert statuses(fixed)[3] == "not-given" and "Corrected on this page" in row(fixed, 3)
    download = one.post("/today/download", data={**form_fields(one), "line": "2"})
    assert download.mimetype == "application/pdf" and download.headers["X-Record-Notice"] == SAVED
    assert statuses(one.get("/today"))[2] == "given"

    postgresql.start()
    time.sleep(0.3)
    page = one.get("/today")
    assert "cannot be reached" not in text(page)
    deadline = time.monotonic() + 60
    while statuses(two.get("/today")).get(2) != "given":  # the record waiting in the spool moves in the background
        assert time.monotonic() < deadline, "the handout given while the database was down never reached it"
        time.sleep(0.2)
    seen = two.get("/today")
    assert row(seen, 3).startswith("3 Your epidural steroid injection March 14, 2026 Tom Baker")
    assert statuses(seen) == {2: "given", 3: "not-given", 4: "not-given", 5: "not-given"}
    assert not any(secret in caplog.text for secret in SECRETS)


def test_a_list_loaded_while_the_record_is_down_becomes_the_practices_when_it_is_back(
    shared_ledger, postgresql, tmp_path
):
    app = create_app(desk(tmp_path, "desk-1", shared_ledger))
    app.extensions["handouts"].ledgers.retry = 0.2
    one, two = app.test_client(), create_app(desk(tmp_path, "desk-2", shared_ledger)).test_client()
    postgresql.stop()
    assert "The practice's record cannot be reached" in text(one.get("/today"))  # said before any list is loaded
    load(one)
    assert "4 patients" in text(one.get("/today"))
    postgresql.start()
    time.sleep(0.3)
    assert day_id(one.get("/today")) == day_id(two.get("/today"))


def test_the_schedule_file_serve_was_given_is_every_desks_list(shared_ledger, tmp_path):
    """`serve --schedule FILE` on one server: its list is the practice's (the other server sees it);
    started again with the same file, the list keeps its fixes."""
    schedule = tmp_path / "today.csv"
    schedule.write_text(DAY)
    one = create_app(desk(tmp_path, "desk-1", shared_ledger), schedule=schedule).test_client()
    two = create_app(desk(tmp_path, "desk-2", shared_ledger)).test_client()
    act(one, "fix", line="3", visit="injection")
    assert row(two.get("/today"), 3).startswith("3 Your epidural steroid injection")
    again = create_app(desk(tmp_path, "desk-3", shared_ledger), schedule=schedule).test_client()
    assert row(again.get("/today"), 3).startswith("3 Your epidural steroid injection")
    assert day_id(again.get("/today")) == day_id(two.get("/today"))


def test_an_upload_is_read_back_byte_for_byte(shared_ledger, tmp_path):
    """The schedule as uploaded (its bytes, a BOM and Windows line ends as Excel writes them) is what
    the other desk reads."""
    one = create_app(desk(tmp_path, "desk-1", shared_ledger)).test_client()
    two = create_app(desk(tmp_path, "desk-2", shared_ledger)).test_client()
    data = ("\ufeff" + DAY.replace("\n", "\r\n")).encode("utf-8")
    token = re.search(r'name="csrf_token" value="([^"]+)"', one.get("/today").text).group(1)
    one.post("/today/load", data={"csrf_token": token, "schedule": (io.BytesIO(data), "Day.CSV")},
             content_type="multipart/form-data")
    assert "4 patients: 1 needs a fix, 3 ready to print, 0 given." in text(two.get("/today"))
    assert text(one.get("/today")) == text(two.get("/today"))
    ledger = Ledger.open(shared_ledger)
    with ledger.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT name, data FROM days").all()
    ledger.close()
    assert stored == [("schedule.csv", data)]


def test_purge_removes_a_list_loaded_before_its_date(tmp_path, monkeypatch):
    """A schedule is patient data, as the records are: `purge` takes it with them."""
    monkeypatch.delenv("HANDOUTS_LEDGER")
    practice = desk(tmp_path, "practice")
    client = create_app(practice).test_client()
    load(client)
    purged = CliRunner().invoke(main, ["purge", "--before", "2999-01-01", "--yes", "--practice", str(practice)])
    assert purged.exit_code == 0, purged.output
    assert "No schedule is loaded yet" in text(create_app(practice).test_client().get("/today"))


def test_copy_record_takes_the_days_list_to_postgresql(shared_ledger, tmp_path):
    """A practice moving its record from SQLite to PostgreSQL mid-morning keeps its list and its fixes (the
    list a desk already pointed at PostgreSQL loaded there gives way, as to any list loaded after it)."""
    practice = desk(tmp_path, "practice")
    elsewhere = create_app(desk(tmp_path, "desk-1", shared_ledger)).test_client()
    load(elsewhere, "visit,patient,date\ninjection,Ana Silva,2026-03-14\n")
    before = create_app(practice).test_client()
    load(before)
    act(before, "fix", line="3", visit="injection")
    copied = CliRunner().invoke(main, ["copy-record", "--to", shared_ledger, "--practice", str(practice)])
    assert copied.exit_code == 0, copied.output
    after = create_app(desk(tmp_path, "desk-2", shared_ledger)).test_client().get("/today")
    assert day_id(after) == day_id(before.get("/today"))
    assert row(after, 3).startswith("3 Your epidural steroid injection March 14, 2026 Tom Baker")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_migrations_make_the_tables_schema_py_describes(backend, tmp_path, request):
    """The ledger is made by its migrations and used through schema.py: they say the same tables, columns
    and indexes (the day's list among them), in SQLite and PostgreSQL."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from handouts.record.schema import metadata

    url = request.getfixturevalue("shared_ledger") if backend == "postgresql" else f"sqlite:///{tmp_path / 'l.sqlite'}"
    ledger = Ledger.open(url)
    with ledger.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []
    ledger.close()

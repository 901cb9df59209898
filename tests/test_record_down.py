"""The record is down, or broken: the patient still gets the handout, nothing is lost, nothing leaks.

A real PostgreSQL is stopped (`pg_ctl -m immediate`: as if killed) and started again mid-command,
mid-batch and mid-morning on the web page; a real disk fills (a small tmpfs); ledger.sqlite is
damaged, garbage, a folder, a link, read-only. Every handout given must end up in the ledger
exactly once, and no message, log line or traceback may carry a patient's name, id or note.
"""

import hashlib
import io
import json
import logging
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_batch_folder import fill, tmpfs

from handouts.cli.main import main
from handouts.config.catalog import Catalog
from handouts.record.ledger import Ledger
from handouts.record.recorder import SAVED
from handouts.record.spool import SPOOL_FILE, Spool, target
from handouts.runs.batch import run_batch
from handouts.runs.manifest import read_manifest
from handouts.web.app import create_app

FIXTURE = Path(__file__).parent / "fixtures" / "practice"
NAME, MRN, NOTE = "Maria Xavier-Lopez", "MRN-40417", "Bring the brace on Tuesday"
SECRETS = (NAME, "Xavier", MRN, NOTE)


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def plain(result, code: int = 2) -> str:
    """The command's output: exit `code`, one line, no traceback and nothing of the patient's."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert not any(secret in result.output for secret in SECRETS), result.output
    return result.output


def one_line(result, code: int = 2) -> str:
    output = plain(result, code)
    assert len(output.strip().splitlines()) == 1, output
    return output.strip()


def make(practice: Path, out: Path, *extra: str):
    return invoke(
        "make", "injection", "-p", NAME, "--id", MRN, "--note", NOTE, "-d", "2026-03-14", "-o", out,
        "--practice", practice, *extra,
    )


def history(practice: Path) -> list[dict]:
    result = invoke("history", "--json", "--show-names", "--practice", practice)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def sqlite_practice(tmp_path, monkeypatch) -> Path:
    monkeypatch.delenv("HANDOUTS_LEDGER")
    return Path(shutil.copytree(FIXTURE, tmp_path / "practice"))


@pytest.fixture
def pg_practice(postgresql, tmp_path, monkeypatch):
    """A practice whose ledger is the tests' PostgreSQL, emptied; started again after the test."""
    ledger = Ledger.open(postgresql.url)
    with ledger.engine.begin() as connection:
        # numbers from 1 again, whatever other tests of the session (or a crash) took
        connection.exec_driver_sql("TRUNCATE record_units, records, filesets, blobs RESTART IDENTITY")
    ledger.close()
    practice = Path(shutil.copytree(FIXTURE, tmp_path / "practice"))
    toml = practice / "practice.toml"
    toml.write_text(f'ledger = "{postgresql.url}"\n' + toml.read_text())
    monkeypatch.delenv("HANDOUTS_LEDGER")
    yield practice
    if not postgresql.running():
        postgresql.start()


def waiting(practice: Path) -> int:
    return Spool(practice / SPOOL_FILE).count()


# --- section 3: the record is down ------------------------------------------------------------------


def test_make_with_postgresql_stopped_gives_the_handout_and_the_next_command_records_it(
    pg_practice, postgresql, tmp_path
):
    first = make(pg_practice, tmp_path / "first.pdf")
    assert first.exit_code == 0 and "(record " in first.output, first.output
    postgresql.stop()

    given = make(pg_practice, tmp_path / "given.pdf")
    assert plain(given, 0).strip().splitlines() == [f"Wrote {tmp_path / 'given.pdf'}", SAVED]
    pdf = (tmp_path / "given.pdf").read_bytes()
    spool = pg_practice / SPOOL_FILE
    assert stat.S_IMODE(spool.stat().st_mode) == 0o600 and waiting(pg_practice) == 1

    down = invoke("history", "--practice", pg_practice)
    assert "1 record of handouts given waits in" in one_line(down), down.output

    postgresql.start()
    listed = invoke("history", "--json", "--show-names", "--practice", pg_practice)
    assert f"Added 1 record(s) of handouts given that waited in the spool ({spool})." in listed.stderr
    records = json.loads(listed.stdout)
    assert [(r["patient"], r["patient_id"]) for r in records] == [(NAME, MRN), (NAME, MRN)]
    assert records[1]["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert waiting(pg_practice) == 0 and len(history(pg_practice)) == 2

    number = records[1]["record"]  # PostgreSQL skips some numbers after a crash
    again = invoke("reprint", number, "-o", tmp_path / "again.pdf", "--practice", pg_practice)  # its files were kept
    assert again.exit_code == 0 and f"identical to record {number}" in again.output, again.output


def test_a_move_into_the_ledger_cut_short_adds_each_record_once(pg_practice, postgresql, tmp_path):
    postgresql.stop()
    for n in range(3):
        assert make(pg_practice, tmp_path / f"{n}.pdf").exit_code == 0
    assert waiting(pg_practice) == 3
    postgresql.start()
    # The move crashed after the ledger took the first record, before the spool let it go.
    key, record = Spool(pg_practice / SPOOL_FILE).waiting()[0]
    ledger = Ledger.open(postgresql.url)
    files, read = Spool(pg_practice / SPOOL_FILE)._fileset(record["fileset"])
    ledger.store_files(record["fileset"], files, read)
    ledger.add(key=key, **record)
    ledger.close()
    records = history(pg_practice)
    assert len(records) == 3 and len({r["sha256"] for r in records}) == 1  # three givings of one handout
    assert waiting(pg_practice) == 0 and len(history(pg_practice)) == 3


def test_postgresql_killed_and_started_again_mid_batch_loses_no_record(pg_practice, postgresql, tmp_path):
    rows = 8
    schedule = tmp_path / "day.csv"
    schedule.write_text("visit,patient,date,id\n" + "".join(
        f"injection,Patient {chr(65 + i)},2026-03-14,P-{i}\n" for i in range(rows)
    ))

    def progress(done: int, total: int) -> None:
        if done == 2:
            postgresql.stop()
        if done == 5:
            postgresql.start()

    catalog = Catalog.load(pg_practice)
    result = run_batch(catalog, schedule, tmp_path / "out", workers=1, progress=progress)
    assert result.made == rows and not result.failed
    made = read_manifest(tmp_path / "out" / "manifest.csv")
    records = history(pg_practice)
    assert sorted(r["patient_id"] for r in records) == [f"P-{i}" for i in range(rows)]
    assert sorted(r["sha256"] for r in records) == sorted(e["sha256"] for e in made.values())
    assert waiting(pg_practice) == 0

    again = invoke("batch", schedule, "-o", tmp_path / "out", "--practice", pg_practice)
    assert f"skipped {rows}" in again.output and len(history(pg_practice)) == rows  # nothing twice


def test_a_full_disk_under_the_ledger_stops_no_batch_and_a_rerun_records_what_the_manifest_has(tmp_path, monkeypatch):
    """The ledger and its spool on a disk with no room left (the handouts on another): every row is
    made and in manifest.csv; the run again, once there is room, records each of them, once."""
    monkeypatch.delenv("HANDOUTS_LEDGER")
    schedule = tmp_path / "day.csv"
    rows = "".join(f"injection,Patient {i},2026-03-14,{i}\n" for i in range(4))
    schedule.write_text("visit,patient,date,id\n" + rows)
    with tmpfs(tmp_path / "disk", "2m") as disk:
        practice = Path(shutil.copytree(FIXTURE, disk / "practice"))
        fill(disk)
        first = invoke("batch", schedule, "-o", tmp_path / "out", "-j", "1", "--practice", practice)
        output = plain(first, 0)
        assert "Made 4" in output and "4 handout(s) made are in manifest.csv but not yet in the record" in output
        assert len(read_manifest(tmp_path / "out" / "manifest.csv")) == 4

        (disk / "filler").unlink()
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        again = invoke("batch", schedule, "-o", tmp_path / "out", "-j", "1", "--practice", practice)
        assert again.exit_code == 0 and "skipped 4" in again.output, again.output
        assert "4 handout(s) made before were missing from the record: added now" in again.output
        records = history(practice)
        assert sorted(r["patient_id"] for r in records) == ["0", "1", "2", "3"]
        assert {r["how"] for r in records} == {"batch"}

        third = invoke("batch", schedule, "-o", tmp_path / "out", "-j", "1", "--practice", practice)
        assert "missing from the record" not in third.output and len(history(practice)) == 4


def statuses(client) -> dict[int, str]:
    """The Today page's status of each row, by line."""
    page = client.get("/today")
    assert page.status_code == 200
    return {int(line): status for line, status in re.findall(r'id="row-(\d+)"[^>]*data-status="([^"]+)"', page.text)}


def _form(client, **fields) -> dict:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)
    return {"csrf_token": token, "visit": "injection", "date": "2026-03-14", "patient": NAME, "note": NOTE} | fields


def test_the_page_with_postgresql_stopped_mid_morning_gives_every_handout_and_records_it_once(
    pg_practice, postgresql, caplog
):
    app = create_app(pg_practice)
    app.extensions["handouts"].ledgers.retry = 0.2  # the background move tries again this often
    client = app.test_client()
    caplog.set_level(logging.DEBUG)
    schedule = "visit,patient,date,id\n" + "".join(f"injection,Patient {c},2026-03-14,T-{c}\n" for c in "ABC")
    token = _form(client)["csrf_token"]
    client.post("/today/load", data={"csrf_token": token, "schedule": (io.BytesIO(schedule.encode()), "day.csv")})

    before = client.post("/handout", data=_form(client, patient="Early Patient"))
    assert before.mimetype == "application/pdf" and "X-Record-Notice" not in before.headers
    day = re.search(r'name="day" value="([^"]+)"', client.get("/today").text).group(1)
    early = client.post("/today/download", data={"csrf_token": token, "day": day, "line": "3"})  # Patient B
    assert early.mimetype == "application/pdf" and "X-Record-Notice" not in early.headers
    assert statuses(client) == {2: "not-given", 3: "given", 4: "not-given"}
    postgresql.stop()
    given = []
    for name in ("Patient One", "Patient Two", "Patient Three"):
        answer = client.post("/handout", data=_form(client, patient=name))
        assert answer.status_code == 200 and answer.mimetype == "application/pdf"
        assert answer.headers["X-Record-Notice"] == SAVED
        given.append(hashlib.sha256(answer.data).hexdigest())
    assert statuses(client) == {2: "not-given", 3: "given", 4: "not-given"}  # the list still opens, as it was
    download = client.post("/today/download", data={"csrf_token": token, "day": day, "line": "2"})
    assert download.mimetype == "application/pdf" and download.headers["X-Record-Notice"] == SAVED
    given.append(hashlib.sha256(download.data).hexdigest())
    assert statuses(client) == {2: "given", 3: "given", 4: "not-given"}  # given while the database is down
    assert waiting(pg_practice) == 4

    postgresql.start()
    deadline = time.monotonic() + 60
    while waiting(pg_practice) and time.monotonic() < deadline:
        time.sleep(0.2)  # nobody asks: the page moves them in the background
    assert waiting(pg_practice) == 0
    records = history(pg_practice)
    assert sorted(r["sha256"] for r in records[2:]) == sorted(given) and len(records) == 6
    assert [r["how"] for r in records] == ["web"] * 6
    assert statuses(client) == {2: "given", 3: "given", 4: "not-given"}
    assert not any(secret in caplog.text for secret in SECRETS)


# --- section 4: the record fails cleanly and leaks nothing -------------------------------------------


def _damage(ledger: Path) -> None:
    """Overwrite the pages of the index on records.patient_id: the file opens, a new record cannot be written."""
    with sqlite3.connect(ledger) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the file itself
        query = "SELECT rootpage FROM sqlite_master WHERE name = 'ix_records_patient_id'"
        page = connection.execute(query).fetchone()[0]
        size = connection.execute("PRAGMA page_size").fetchone()[0]
    connection.close()
    with ledger.open("r+b") as handle:
        handle.seek((page - 1) * size)
        handle.write(b"\xff" * size)


def test_a_damaged_ledger_says_so_in_one_line_without_the_patient_and_keeps_the_record(sqlite_practice, tmp_path):
    assert make(sqlite_practice, tmp_path / "first.pdf").exit_code == 0
    ledger = sqlite_practice / "ledger.sqlite"
    _damage(ledger)

    result = make(sqlite_practice, tmp_path / "x.pdf")
    line = one_line(result)
    assert f"wrote {tmp_path / 'x.pdf'} and saved for the record, but" in line and "damaged" in line
    assert (tmp_path / "x.pdf").is_file() and waiting(sqlite_practice) == 1
    assert "database disk image is malformed" in one_line(invoke("history", "--practice", sqlite_practice))

    client = create_app(sqlite_practice).test_client()
    answer = client.post("/handout", data=_form(client))
    assert answer.mimetype == "application/pdf" and "damaged" in answer.headers["X-Record-Notice"]
    assert not any(secret in answer.headers["X-Record-Notice"] for secret in SECRETS)
    assert waiting(sqlite_practice) == 2

    ledger.rename(tmp_path / "damaged.sqlite")  # as the message says: moved aside
    records = history(sqlite_practice)
    assert [(r["patient"], r["how"]) for r in records] == [(NAME, "make"), (NAME, "web")]


@pytest.mark.parametrize("kind", ["garbage", "text", "folder", "link", "dangling link"])
def test_a_ledger_sqlite_that_is_no_ledger_is_one_line_and_exit_2(sqlite_practice, tmp_path, kind):
    ledger = sqlite_practice / "ledger.sqlite"
    elsewhere = tmp_path / "elsewhere.sqlite"
    if kind == "garbage":
        ledger.write_bytes(os.urandom(20000))
    elif kind == "text":
        ledger.write_text(f"{NAME}\n")
    elif kind == "folder":
        ledger.mkdir()
    else:
        if kind == "link":
            assert make(sqlite_practice, tmp_path / "seed.pdf").exit_code == 0
            ledger.rename(elsewhere)
        ledger.symlink_to(elsewhere)
    before = elsewhere.read_bytes() if elsewhere.exists() else None

    commands = (
        ["history"], ["reprint", "1"], ["purge", "--before", "2020-01-01", "--yes"], ["export", "1", "--fhir", "x"],
    )
    for command in commands:
        line = one_line(invoke(*command, "--practice", sqlite_practice))
        assert line.startswith("Error: ") and str(ledger) in line
    made = one_line(make(sqlite_practice, tmp_path / "x.pdf"))
    assert "saved for the record" in made and (tmp_path / "x.pdf").is_file()
    if "link" in kind:
        assert "symbolic link" in made
        assert (elsewhere.read_bytes() if elsewhere.exists() else None) == before  # never written through


def test_a_read_only_ledger_is_one_line_and_exit_2(tmp_path, monkeypatch):
    monkeypatch.delenv("HANDOUTS_LEDGER")
    with tmpfs(tmp_path / "disk", "32m") as disk:
        practice = Path(shutil.copytree(FIXTURE, disk / "practice"))
        assert make(practice, tmp_path / "seed.pdf").exit_code == 0
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        try:
            line = one_line(invoke("history", "--practice", practice))
            assert "Read-only file system" in line and str(practice / "ledger.sqlite") in line
            made = make(practice, tmp_path / "x.pdf")
            assert made.exit_code == 2 and "Traceback" not in made.output and NAME not in made.output
            assert "could not be recorded" in made.output  # nowhere to keep it: said, never silent
        finally:
            subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)


@pytest.mark.parametrize("number", ["99999999999999999999", str(2**63), "0"])
def test_a_record_number_no_database_holds_is_one_line(sqlite_practice, tmp_path, number):
    assert make(sqlite_practice, tmp_path / "seed.pdf").exit_code == 0
    for command in (["reprint", number], ["export", number, "--fhir", tmp_path / "x.json"]):
        line = one_line(invoke(*command, "--practice", sqlite_practice))
        assert line == f"Error: there is no record {int(number)} in the ledger: see 'handouts history'"


def test_a_database_error_never_carries_the_values_of_its_statement(sqlite_practice, postgresql):
    """SQLAlchemy puts a statement's values into its errors, and PostgreSQL quotes the failing
    row (DETAIL) or a value it cannot read: none of it reaches a message."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from handouts.base.errors import UserError

    files = Catalog.load(sqlite_practice).snapshot
    for url in (f"sqlite:///{sqlite_practice / 'ledger.sqlite'}", postgresql.url):
        ledger = Ledger.open(url)
        with pytest.raises(SQLAlchemyError) as raised, ledger.engine.begin() as connection:
            connection.execute(text("INSERT INTO records (patient) VALUES (:name)"), {"name": NAME})
        assert "[SQL parameters hidden due to hide_parameters=True]" in str(raised.value)
        ledger.store_fileset(files)
        bad = {"visit": None, "patient": NAME, "note": NOTE}  # visit may not be empty: the row fails
        with pytest.raises(UserError) as refused:
            ledger.add(how="make", request=bad, patient_id=MRN, sha256="0" * 64, content="c", units={},
                       fileset=files.id)
        assert refused.value.__suppress_context__ and "visit" in str(refused.value)
        messages = [str(refused.value)]
        if url == postgresql.url:  # a value too long for its column: PostgreSQL's data errors may quote it
            with pytest.raises(UserError) as unread:
                ledger.add(how="make", request={"visit": "x", "patient": NAME}, patient_id=MRN, sha256="0" * 64,
                           content=NAME, units={}, fileset=files.id)
            messages.append(str(unread.value))
            with pytest.raises(SQLAlchemyError) as quoted, ledger.engine.connect() as connection:
                connection.execute(text("SELECT CAST(:value AS integer)"), {"value": NAME})
            assert NAME in str(quoted.value)  # "invalid input syntax for type integer: "Maria ...""
            messages.append(str(ledger._fault(quoted.value, "cannot read the ledger")))
        for message in messages:
            assert not any(secret in message for secret in SECRETS), message
        ledger.close()


def test_a_batch_makes_its_output_folders_owner_only(tmp_path):
    schedule = tmp_path / "day.csv"
    schedule.write_text("visit,patient,date\ninjection,Ana Silva,2026-03-14\n")
    out = tmp_path / "new" / "deeper" / "out"
    result = invoke("batch", schedule, "-o", out, "-j", "1")
    assert result.exit_code == 0, result.output
    for folder in (tmp_path / "new", tmp_path / "new" / "deeper", out):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_the_spool_refuses_a_link(sqlite_practice, tmp_path):
    (sqlite_practice / SPOOL_FILE).symlink_to(tmp_path / "elsewhere")
    (sqlite_practice / "ledger.sqlite").mkdir()  # the ledger cannot take the record either
    line = one_line(make(sqlite_practice, tmp_path / "x.pdf"))
    assert "could not be recorded" in line and "symbolic link" in line
    assert not (tmp_path / "elsewhere").exists()
    assert target("sqlite:///x") != target("sqlite:///y")


def test_the_page_gives_the_handout_when_neither_the_ledger_nor_the_spool_can_take_its_record(sqlite_practice):
    """The patient in front of the desk still goes home with the handout; the desk is told plainly it is
    not recorded, and the server log says so without the patient."""
    (sqlite_practice / SPOOL_FILE).mkdir()  # the spool cannot be written
    (sqlite_practice / "ledger.sqlite").mkdir()  # nor the ledger
    client = create_app(sqlite_practice).test_client()
    logs = io.StringIO()
    handler = logging.StreamHandler(logs)
    logging.getLogger().addHandler(handler)
    try:
        answer = client.post("/handout", data=_form(client))
    finally:
        logging.getLogger().removeHandler(handler)
    assert answer.mimetype == "application/pdf"
    assert answer.headers["X-Record-Notice"].startswith("Not recorded:")
    assert not any(secret in logs.getvalue() + answer.headers["X-Record-Notice"] for secret in SECRETS)


def test_a_ledger_locked_by_another_program_gives_the_handout_and_spools_its_record(sqlite_practice, tmp_path):
    """Another program holds a write lock on ledger.sqlite (a backup, an open sqlite3 shell): the handout
    is given after the ledger's busy wait (ledger.BUSY_SECONDS, 5) and its record waits in the spool."""
    assert make(sqlite_practice, tmp_path / "first.pdf").exit_code == 0
    holder = sqlite3.connect(sqlite_practice / "ledger.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = make(sqlite_practice, tmp_path / "x.pdf")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 0 and (tmp_path / "x.pdf").is_file(), result.output
    assert waiting(sqlite_practice) == 1


@pytest.mark.parametrize("url", ["postgresql://u:p@h:abc/db", "postgresql://u:p@[::1/db", "mysql://u:p@h/db"])
def test_a_ledger_address_that_is_no_address_gives_the_handout(sqlite_practice, tmp_path, monkeypatch, url):
    monkeypatch.setenv("HANDOUTS_LEDGER", url)
    line = one_line(make(sqlite_practice, tmp_path / "x.pdf"))
    assert "saved for the record, but the ledger" in line and (tmp_path / "x.pdf").is_file()
    assert waiting(sqlite_practice) == 1


def test_a_password_in_the_ledger_address_query_is_never_shown(sqlite_practice, monkeypatch):
    monkeypatch.setenv("HANDOUTS_LEDGER", "postgresql://127.0.0.1:1/db?password=s3cret-pw&sslpassword=s3cret-ssl")
    output = invoke("history", "--practice", sqlite_practice).output
    assert "127.0.0.1" in output and "s3cret" not in output

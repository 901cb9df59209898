"""The day's list is the practice's, not the browser's: it and each row's status live in the practice's
record (SQLite or PostgreSQL), so every desk and every server of the practice sees one list, and a
restart loses nothing. Two servers (two apps, as two `handouts serve` on two computers, each with its
own copy of the practice folder) share a real PostgreSQL; printing goes to a real CUPS (`cups`)."""

import json
import re
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_desk import DAY, act, load, row, text

from handouts.cli.main import main
from handouts.record.ledger import Ledger
from handouts.web import create_app

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


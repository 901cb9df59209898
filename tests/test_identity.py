"""One patient is never taken for another: a schedule's patient id is the patient everywhere (the
Today list's statuses, its filter and search, "Print all not yet given", the record, the batch,
history and reprint), and two rows with one name and no id are two patients. The Chromium run of
the same day is in test_web_e2e.py."""

import io
import json
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_desk import form_fields, row, text

from handouts.cli.main import main
from handouts.compose.identity import NO_ONE, Identity, of_id, of_row
from handouts.record.ledger import Ledger, Record
from handouts.web import create_app

from conftest import printing_practice

FIXTURE = Path(__file__).parent / "fixtures" / "practice"
# Two patients named Maria Garcia told apart by their ids, and two named Tom Baker with no id at all.
DAY = "\n".join(
    [
        "visit,patient,date,id",
        "new-patient,Maria Garcia,2026-03-14,MRN-1",
        "new-patient,Maria Garcia,2026-03-14,MRN-2",
        "injection,Tom Baker,2026-03-14,",
        "injection,Tom Baker,2026-03-14,",
    ]
)


@pytest.fixture
def practice(tmp_path) -> Path:
    return printing_practice(tmp_path)


@pytest.fixture(params=["ledger", "no-ledger"])
def recorded(request, practice, monkeypatch) -> Path:
    """The practice with its ledger.sqlite on, or with no ledger (the server's own log of what it gave)."""
    if request.param == "ledger":
        monkeypatch.delenv("HANDOUTS_LEDGER")
    return practice


def records(practice: Path) -> list[Record]:
    ledger = Ledger.open(f"sqlite:///{practice / 'ledger.sqlite'}")
    try:
        return ledger.history()
    finally:
        ledger.close()


def who(found: list[Record]) -> list[tuple[str | None, str | None]]:
    """(patient id, row key) of each record, in order."""
    return [(record.patient_id, record.request.get("row_key")) for record in found]


def load(client, data: str = DAY):
    page = client.get("/today")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    fields = {"csrf_token": csrf, "schedule": (io.BytesIO(data.encode()), "day.csv")}
    assert client.post("/today/load", data=fields, content_type="multipart/form-data").status_code == 303


def shown(page) -> list[int]:
    """The lines of the rows the page shows (the others are hidden by the search or the filter)."""
    return [int(line) for line in re.findall(r'<tr id="row-(\d+)"[^>]*data-status="[^"]+">', page.text)]


def status(page, line: int) -> str:
    return re.search(rf'<tr id="row-{line}"[^>]*data-status="([^"]+)"', page.text).group(1)


def test_an_id_is_the_patient_and_a_row_without_one_is_only_itself():
    first = of_row(2, {"patient": "Maria Garcia", "id": "MRN-1"}, "Maria Garcia")
    second = of_row(3, {"patient": "Maria Garcia", "id": "MRN-2"}, "Maria Garcia")
    assert first == Identity("MRN-1", name="Maria Garcia") and not first.same(second)
    assert first.same(of_row(9, {"id": " MRN-1 ", "visit": "post-op"}, "maria  garcia"))  # moved, same id
    assert not first.same(of_row(2, {"id": "MRN-1"}, "John Smith"))  # the id under another name: checked
    assert not first.same(Identity(name="Maria Garcia"))  # a record with no id is not hers
    values = {"visit": "injection", "patient": "Tom Baker", "date": "2026-03-14", "id": ""}
    tom, other_tom = of_row(4, values, "Tom Baker"), of_row(5, values, "Tom Baker")
    assert tom.patient_id is None and tom.row_key and not tom.same(other_tom)
    assert tom.same(of_row(4, dict(values), "Tom Baker"))
    assert not tom.same(of_row(4, {**values, "surgeon": "lee"}, "Tom Baker"))  # changed: not given, not another
    assert not NO_ONE.same(NO_ONE) and not NO_ONE.same(tom) and not tom.same(NO_ONE)
    assert of_id(None, "Tom Baker") == NO_ONE and of_id("  A-7 ", "Tom Baker") == Identity("A-7", name="Tom Baker")
    # one id however it was typed: full-width forms, a non-breaking hyphen or a minus sign
    for typed in ("ＭＲＮ-１", "MRN\u20111", "MRN\u22121", "MRN\u20131"):
        assert first.same(of_row(7, {"id": typed}, "Maria Garcia")), typed


def test_one_given_is_not_her_namesake_on_the_list_and_in_the_record(recorded):
    """Downloads on the Today page: each counts for its own row only, whatever the names."""
    client = create_app(recorded).test_client()
    load(client)
    page = client.get("/today")
    assert "4 patients: 0 need a fix, 4 ready to print, 0 given." in text(page)
    assert "Maria Garcia ID MRN-1 Same name as line 3: another patient" in row(page, 2)
    assert "Maria Garcia ID MRN-2 Same name as line 2: another patient" in row(page, 3)
    assert "Tom Baker Same name as line 5: another patient" in row(page, 4)
    assert "Print for Maria Garcia, ID MRN-2" in row(page, 3) and "Print for Tom Baker, line 5" in row(page, 5)

    for line in ("2", "4"):
        answer = client.post("/today/download", data={**form_fields(client), "line": line})
        assert answer.mimetype == "application/pdf", answer.text
    page = client.get("/today")
    assert [status(page, line) for line in (2, 3, 4, 5)] == ["given", "not-given", "given", "not-given"]
    assert "Not given" in row(page, 3) and "Not given" in row(page, 5)
    assert "4 patients: 0 need a fix, 2 ready to print, 2 given." in text(page)
    assert "Print all not yet given (2)" in text(page)
    assert shown(client.get("/today?status=not-given")) == [3, 5]
    assert shown(client.get("/today?status=given")) == [2, 4]
    assert shown(client.get("/today?q=mrn-2")) == [3]  # found by the id too
    if (recorded / "ledger.sqlite").exists():
        found = records(recorded)
        assert [(r.patient, r.patient_id) for r in found] == [("Maria Garcia", "MRN-1"), ("Tom Baker", None)]
        tom = {"visit": "injection", "patient": "Tom Baker", "date": "2026-03-14", "id": ""}
        assert found[1].request["row_key"] == of_row(4, tom, "Tom Baker").row_key
    else:
        assert not (recorded / "ledger.sqlite").exists()


def test_print_all_prints_everyone_not_yet_given_by_identity(recorded, cups):
    client = create_app(recorded).test_client()
    load(client)
    for line in ("2", "4"):
        assert client.post("/today/print", data={**form_fields(client), "line": line}).status_code == 303
    page = client.get("/today")
    assert [status(page, line) for line in (2, 3, 4, 5)] == ["given", "not-given", "given", "not-given"]
    assert client.post("/today/print-all", data=form_fields(client)).status_code == 303
    deadline = time.monotonic() + 180
    while client.get("/today/job.json").get_json()["state"] not in ("done", "failed"):
        assert time.monotonic() < deadline, "the job did not finish"
        time.sleep(0.3)
    page = client.get("/today")
    assert re.search(r"Printed 2 handouts as job FrontDesk-\d+\.", text(page)), text(page)
    assert [status(page, line) for line in (2, 3, 4, 5)] == ["given"] * 4
    assert "Print all not yet given (0)" in text(page)
    if (recorded / "ledger.sqlite").exists():
        found = records(recorded)
        ids = [r.patient_id for r in found]
        assert sorted(filter(None, ids)) == ["MRN-1", "MRN-2"] and ids.count(None) == 2
        keys = [r.request.get("row_key") for r in found if r.patient_id is None]
        assert len(set(keys)) == 2 and None not in keys
        assert {r.how for r in found} == {"web-print"}


def test_the_batch_records_each_patient_once_and_a_reprint_is_for_the_same_one(practice, tmp_path, monkeypatch):
    monkeypatch.delenv("HANDOUTS_LEDGER")
    schedule = tmp_path / "day.csv"
    schedule.write_text(DAY)
    run = CliRunner().invoke(main, ["batch", str(schedule), "-o", str(tmp_path / "out"), "-j", "1",
                                    "--practice", str(practice)])
    assert run.exit_code == 0, run.output
    found = records(practice)
    assert [r.patient_id for r in found] == ["MRN-1", "MRN-2", None, None]
    assert len({r.request["row_key"] for r in found[2:]}) == 2 and "row_key" not in found[0].request
    reprint = CliRunner().invoke(main, ["reprint", "3", "-o", str(tmp_path / "again.pdf"), "--practice", str(practice)])
    assert reprint.exit_code == 0, reprint.output
    again = records(practice)[-1]
    assert (again.how, again.patient_id, again.request["row_key"]) == ("reprint", None, found[2].request["row_key"])
    by_id = CliRunner().invoke(main, ["history", "--json", "--id", " MRN-2 ", "--practice", str(practice)])
    assert [r["record"] for r in json.loads(by_id.output)] == [2]


# The shape of a clinic's export (see ../shared/data/schedules): its own column names, the patient id
# as "Patient ID", US dates, and two patients named Juan Garcia on one day for one kind of visit.
EXPORT = "\n".join(
    [
        "Appointment Date,Appointment Time,Patient Name,Patient ID,Appointment Type,Preferred Language",
        "12/09/2026,7:45 AM,Grace Holloway,100233,new-patient,English",
        "12/09/2026,9:45 AM,Juan Garcia,101402,new-patient,English",
        "12/09/2026,10:00 AM,Juan Garcia,101999,new-patient,English",
    ]
)


def test_an_export_with_two_patients_of_one_name_keeps_them_two(practice, tmp_path, monkeypatch):
    monkeypatch.delenv("HANDOUTS_LEDGER")
    client = create_app(practice).test_client()
    load(client, EXPORT)
    assert client.post("/today/options", data={**form_fields(client), "dates": "us"}).status_code == 303
    page = client.get("/today")
    assert "Juan Garcia ID 101402" in row(page, 3) and "Juan Garcia ID 101999" in row(page, 4)
    answer = client.post("/today/download", data={**form_fields(client), "line": "4"})
    assert answer.mimetype == "application/pdf", answer.text
    page = client.get("/today")
    assert [status(page, line) for line in (2, 3, 4)] == ["not-given", "not-given", "given"]
    assert who(records(practice)) == [("101999", None)]

    schedule = tmp_path / "export.csv"
    schedule.write_text(EXPORT)
    run = CliRunner().invoke(main, ["batch", str(schedule), "-o", str(tmp_path / "out"), "--dates", "us", "-j", "1",
                                    "--practice", str(practice)])
    assert run.exit_code == 0, run.output
    assert who(records(practice))[1:] == [("100233", None), ("101402", None), ("101999", None)]


def test_two_columns_that_both_give_the_id_are_refused_not_guessed(tmp_path):
    schedule = tmp_path / "day.csv"
    schedule.write_text("visit,patient,date,MRN,Patient ID\nnew-patient,Maria Garcia,2026-03-14,MRN-1,77\n")
    run = CliRunner().invoke(main, ["batch", str(schedule), "-o", str(tmp_path / "out")])
    assert run.exit_code == 2 and "Traceback" not in run.output
    assert "the columns 'MRN' and 'Patient ID' both mean 'id': keep one of them" in run.output
    assert "Maria" not in run.output and not (tmp_path / "out").exists()
    lines = tmp_path / "day.jsonl"
    lines.write_text(
        json.dumps({"visit": "new-patient", "patient": "Maria Garcia", "date": "2026-03-14", "mrn": "MRN-1",
                    "Record Number": "77"}) + "\n"
        + json.dumps({"visit": "new-patient", "patient": "Ana Silva", "date": "2026-03-14", "id": "MRN-3"}) + "\n"
    )
    run = CliRunner().invoke(main, ["batch", str(lines), "-o", str(tmp_path / "out2"), "-j", "1"])
    assert "Line 1: the columns 'mrn' and 'Record Number' both mean 'id'" in run.output, run.output
    assert "Made 1," in run.output  # the other rows are made
    assert "Maria" not in run.output

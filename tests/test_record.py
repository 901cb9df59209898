"""The record of every handout given, on SQLite and on a real PostgreSQL: make, batch and the web
page record; history finds; reprint is byte-identical; recall finds by version; export gives a
FHIR R4 Bundle that fhir.resources accepts; purge deletes; many writers lose nothing."""

import base64
import hashlib
import json
import multiprocessing
import re
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.cli.main import main
from handouts.config.catalog import Catalog
from handouts.record.address import ledger_url
from handouts.record.ledger import Ledger
from handouts.web.app import create_app

import pdfcheck

FIXTURE = Path(__file__).parent / "fixtures" / "practice"
MRS_X = "Maria Xavier-Lopez"


def invoke(*args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], **kw)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path, monkeypatch) -> tuple[Path, str]:
    """A practice folder and its ledger: ledger.sqlite in the folder, or a fresh PostgreSQL database."""
    practice = Path(shutil.copytree(FIXTURE, tmp_path / "practice"))
    if request.param == "sqlite":
        monkeypatch.delenv("HANDOUTS_LEDGER")
        return practice, f"sqlite:///{practice / 'ledger.sqlite'}"
    url = request.getfixturevalue("postgresql_url")
    ledger = Ledger.open(url)
    with ledger.engine.begin() as connection:
        # numbers from 1 again, whatever other tests of the session (or a crash) took
        connection.exec_driver_sql("TRUNCATE record_units, records, filesets, blobs RESTART IDENTITY")
    ledger.close()
    toml = practice / "practice.toml"
    toml.write_text(f'ledger = "{url}"\n' + toml.read_text())
    monkeypatch.delenv("HANDOUTS_LEDGER")
    return practice, url


def test_the_ledger_is_where_the_practice_says(tmp_path):
    assert ledger_url("", tmp_path, {}) == f"sqlite:///{tmp_path.resolve() / 'ledger.sqlite'}"
    assert ledger_url("", None, {}) is None  # the built-in sample practice records nothing
    assert ledger_url("off", tmp_path, {}) is None
    assert ledger_url("", tmp_path, {"HANDOUTS_LEDGER": "off"}) is None
    assert ledger_url("postgresql://h/db", tmp_path, {}) == "postgresql://h/db"
    assert ledger_url("", tmp_path, {"HANDOUTS_LEDGER": "postgresql://x/y"}) == "postgresql://x/y"


def test_every_way_records_and_history_reprint_recall_export_purge(backend, tmp_path):
    practice, url = backend
    made = tmp_path / "make.pdf"
    result = invoke(
        "make", "injection", "-p", MRS_X, "-d", "2026-03-14", "--id", "A-1001", "-o", made, "--practice", practice
    )
    assert result.exit_code == 0 and "(record 1)" in result.output, result.output

    schedule = tmp_path / "day.csv"
    schedule.write_text("visit,patient,date,id\nnew-patient,Tom Baker,2026-03-14,B-2\npost-op,Ana Silva,2026-03-14,\n")
    result = invoke("batch", schedule, "-o", tmp_path / "batch", "-j", "1", "--practice", practice)
    assert result.exit_code == 0, result.output

    web = create_app(practice).test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/").text).group(1)
    answer = web.post(
        "/handout", data={"csrf_token": token, "visit": "conservative-care", "patient": "Li Wei", "date": "2026-03-14"}
    )
    assert answer.mimetype == "application/pdf"

    listed = invoke("history", "--json", "--practice", practice)
    rows = json.loads(listed.output)
    assert [(r["record"], r["how"], r["visit"]) for r in rows] == [
        (1, "make", "injection"),
        (2, "batch", "new-patient"),
        (3, "batch", "post-op"),
        (4, "web", "conservative-care"),
    ]
    assert all("patient" not in r for r in rows) and MRS_X not in listed.output
    assert rows[0]["sha256"] == hashlib.sha256(made.read_bytes()).hexdigest()
    named = json.loads(
        invoke("history", "--json", "--show-names", "--patient", "xavier", "--practice", practice).output
    )
    assert [(r["patient"], r["patient_id"]) for r in named] == [(MRS_X, "A-1001")]
    by_id = json.loads(invoke("history", "--json", "--id", "B-2", "--practice", practice).output)
    assert [r["record"] for r in by_id] == [2]
    assert json.loads(invoke("history", "--json", "--since", "2999-01-01", "--practice", practice).output) == []
    table = invoke("history", "--practice", practice).output
    assert "Names and patient ids are hidden" in table and "Tom Baker" not in table

    again = tmp_path / "again.pdf"
    reprinted = invoke("reprint", "1", "-o", again, "--practice", practice)
    assert reprinted.exit_code == 0 and "identical to record 1" in reprinted.output
    assert again.read_bytes() == made.read_bytes()

    # The practice corrects the injection text: the reprint is still what Mrs. X was given.
    module = practice / "templates" / "modules" / "injections.html"
    module.write_text("<p>A corrected text.</p>")
    old = again.with_name("old.pdf")
    reprinted = invoke("reprint", "1", "-o", old, "--practice", practice)
    assert reprinted.exit_code == 0, reprinted.output
    assert "Changed since: module:injections: version" in reprinted.output
    assert old.read_bytes() == made.read_bytes() and "A corrected text." not in pdfcheck.text(old.read_bytes())

    version = json.loads(invoke("history", "--json", "--practice", practice).output)[0]
    ledger = Ledger.open(url)
    carried = ledger.get(1).units["module:injections"]
    recalled = invoke(
        "recall", "injections", "--version", carried[:6], "--json", "--show-names", "--practice", practice
    )
    assert {(r["patient"], r["how"]) for r in json.loads(recalled.output)} == {(MRS_X, "make"), (MRS_X, "reprint")}
    assert version["content"] == ledger.get(1).content

    bundle_file = tmp_path / "chart.json"
    exported = invoke("export", "1", "2", "--fhir", bundle_file, "--practice", practice)
    assert exported.exit_code == 0, exported.output
    from fhir.resources.R4B.bundle import Bundle

    bundle = Bundle.model_validate_json(bundle_file.read_text())
    first = bundle.entry[0].resource
    assert first.__resource_type__ == "DocumentReference" and first.subject.display == MRS_X
    assert first.subject.identifier.value == "A-1001" and first.type.coding[0].code == "34895-3"
    attachment = first.content[0].attachment
    pdf = attachment.data  # fhir.resources decodes base64Binary
    assert json.loads(bundle_file.read_text())["entry"][0]["resource"]["content"][0]["attachment"]["data"] == (
        base64.b64encode(made.read_bytes()).decode()
    )
    assert pdf == made.read_bytes() and attachment.size == len(pdf) and attachment.contentType == "application/pdf"
    assert attachment.hash == hashlib.sha1(pdf).digest()  # base64 in the JSON, decoded by fhir.resources

    purged = invoke("purge", "--before", "2999-01-01", "--yes", "--practice", practice)
    assert purged.exit_code == 0 and "Deleted 6 record(s)" in purged.output
    assert invoke("history", "--practice", practice).output.startswith("No records.")


def test_export_titles_each_handout_in_its_own_language(tmp_path, monkeypatch):
    """A Spanish handout goes to the chart titled in Spanish, its document marked Spanish, as the patient's PDF is."""
    monkeypatch.delenv("HANDOUTS_LEDGER")
    practice = tmp_path / "practice"
    assert invoke("init-practice", practice).exit_code == 0  # the starter folder: English and Spanish
    for lang in ("es", "en"):
        result = invoke("make", "injection", "-p", MRS_X, "--lang", lang, "-o", tmp_path / f"{lang}.pdf",
                        "--practice", practice)
        assert result.exit_code == 0, result.output
    exported = invoke("export", "1", "2", "--fhir", tmp_path / "chart.json", "--practice", practice)
    assert exported.exit_code == 0, exported.output
    from fhir.resources.R4B.bundle import Bundle

    bundle = Bundle.model_validate_json((tmp_path / "chart.json").read_text())
    spanish, english = (entry.resource for entry in bundle.entry)
    assert spanish.content[0].attachment.title == "Su inyección epidural de esteroides"
    assert spanish.description.startswith("Su inyección epidural de esteroides (handout record 1")
    assert (spanish.language, spanish.content[0].attachment.language) == ("es", "es")
    assert "Su inyección epidural de esteroides" in pdfcheck.text((tmp_path / "es.pdf").read_bytes())
    assert english.content[0].attachment.title == "Your epidural steroid injection"
    assert (english.language, english.content[0].attachment.language) == ("en", "en")


def test_no_record_and_the_ledger_file_is_private(tmp_path, monkeypatch):
    monkeypatch.delenv("HANDOUTS_LEDGER")
    practice = Path(shutil.copytree(FIXTURE, tmp_path / "practice"))
    out = tmp_path / "x.pdf"
    assert invoke("make", "injection", "-p", "A B", "-o", out, "--no-record", "--practice", practice).exit_code == 0
    assert not (practice / "ledger.sqlite").exists()
    assert invoke("make", "injection", "-p", "A B", "-o", tmp_path / "y.pdf", "--practice", practice).exit_code == 0
    ledger = practice / "ledger.sqlite"
    assert stat.S_IMODE(ledger.stat().st_mode) == 0o600
    assert sqlite3.connect(ledger).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    samples = invoke("make", "injection", "-p", "A B", "-o", tmp_path / "z.pdf")  # the built-in sample practice
    assert samples.exit_code == 0 and "(record" not in samples.output


def test_a_broken_ledger_says_so_without_the_patient(tmp_path, monkeypatch):
    practice = Path(shutil.copytree(FIXTURE, tmp_path / "practice"))
    monkeypatch.setenv("HANDOUTS_LEDGER", "postgresql://nobody@127.0.0.1:1/none")
    result = invoke("make", "injection", "-p", MRS_X, "-o", tmp_path / "x.pdf", "--practice", practice)
    # the handout is given first; its record waits in the spool (tests/test_record_down.py)
    assert result.exit_code == 0 and "Saved for the record" in result.output and MRS_X not in result.output
    assert (tmp_path / "x.pdf").exists()
    result = invoke("history", "--practice", practice)
    assert result.exit_code == 2 and "cannot open the ledger" in result.output and "1 record of" in result.output
    monkeypatch.setenv("HANDOUTS_LEDGER", str(tmp_path / "none" / "ledger.sqlite"))
    result = invoke("history", "--practice", practice)
    assert result.exit_code == 2 and "no ledger yet" in result.output


def _writer(url: str, practice: str, worker: int, count: int) -> None:
    from handouts.compose.identity import of_id
    from handouts.compose.request import build_request
    from handouts.record.recorder import Recorder
    from handouts.render.renderer import Renderer

    catalog = Catalog.load(Path(practice))
    recorder = Recorder(catalog, Renderer(catalog), "batch")
    for i in range(count):
        request = build_request(catalog, "injection", f"Writer {worker} Patient {i}", "2026-03-14")
        recorder.add(request, f"{worker:032x}{i:032x}", of_id(f"W{worker}-{i}", request.patient))
    recorder.close()


def test_many_writers_at_once_lose_no_record(backend):
    practice, url = backend
    Ledger.open(url).store_fileset(Catalog.load(practice).snapshot)  # as any first handout would
    workers, count = 6, 25
    context = multiprocessing.get_context("fork")  # each writer opens its own connections
    processes = [context.Process(target=_writer, args=(url, str(practice), w, count)) for w in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
        assert process.exitcode == 0
    records = Ledger.open(url).history()
    assert len(records) == workers * count
    assert len({r.patient_id for r in records}) == workers * count
    assert all(r.units for r in records)


def test_a_practice_moves_its_record_from_sqlite_to_postgresql(tmp_path, monkeypatch, postgresql_url):
    """`copy-record` takes every handout given (numbers, files, versions) into an empty PostgreSQL database: the
    practice points at it and history, reprint (byte for byte) and the next number go on from there."""
    monkeypatch.delenv("HANDOUTS_LEDGER", raising=False)
    practice = Path(shutil.copytree(FIXTURE, tmp_path / "practice"))
    made = tmp_path / "first.pdf"
    first = invoke("make", "injection", "-p", MRS_X, "-d", "2026-03-14", "--id", "A-1001", "-o", made,
                   "--practice", practice)
    assert first.exit_code == 0, first.output
    schedule = tmp_path / "day.csv"
    schedule.write_text("visit,patient,date\nnew-patient,Tom Baker,2026-03-14\npost-op,Ana Silva,2026-03-14\n")
    assert invoke("batch", schedule, "-o", tmp_path / "batch", "-j", "1", "--practice", practice).exit_code == 0
    before = json.loads(invoke("history", "--json", "--show-names", "--practice", practice).output)
    assert len(before) == 3

    ledger = Ledger.open(postgresql_url)
    with ledger.engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE record_units, records, filesets, blobs RESTART IDENTITY")
    ledger.close()
    copied = invoke("copy-record", "--to", postgresql_url, "--practice", practice)
    assert copied.exit_code == 0, copied.output
    assert "Copied 3 handout record(s)" in copied.output and "handouts:" not in copied.output.split("to ", 1)[1][:12]
    assert MRS_X not in copied.output

    toml = practice / "practice.toml"
    toml.write_text(f'ledger = "{postgresql_url}"\n' + toml.read_text())
    (practice / "ledger.sqlite").rename(tmp_path / "old-ledger.sqlite")  # the copy alone must do
    after = json.loads(invoke("history", "--json", "--show-names", "--practice", practice).output)
    assert after == before
    again = tmp_path / "again.pdf"
    reprinted = invoke("reprint", "1", "-o", again, "--practice", practice)
    assert reprinted.exit_code == 0 and again.read_bytes() == made.read_bytes(), reprinted.output
    batch = invoke("reprint", "3", "-o", tmp_path / "three.pdf", "--practice", practice)
    assert batch.exit_code == 0 and "identical to record 3" in batch.output, batch.output
    nxt = invoke("make", "injection", "-p", "Li Wei", "-d", "2026-03-15", "-o", tmp_path / "n.pdf", "--practice",
                 practice)
    assert "(record 6)" in nxt.output, nxt.output  # the reprints were 4 and 5: numbers go on after the copied ones

    # Into a ledger that holds handouts already: refused, nothing copied twice.
    (tmp_path / "old-ledger.sqlite").rename(practice / "ledger.sqlite")
    toml.write_text(toml.read_text().split("\n", 1)[1])
    refused = invoke("copy-record", "--to", postgresql_url, "--practice", practice)
    assert refused.exit_code == 2 and "already holds handouts" in refused.output, refused.output
    assert len(json.loads(invoke("history", "--json", "--practice", practice).output)) == 3
    same = invoke("copy-record", "--to", practice / "ledger.sqlite", "--practice", practice)
    assert same.exit_code == 2 and "another ledger" in same.output, same.output


def test_history_finds_a_name_as_it_is_typed_at_the_desk(backend, tmp_path):
    """`history --patient` finds "Zoë O'Brien-Núñez" typed without accents, apostrophe or hyphen, or with a curly
    apostrophe, in SQLite and PostgreSQL alike; a name that only looks close is not found."""
    practice, _ = backend
    made = invoke("make", "injection", "-p", "Zoë O'Brien-Núñez", "-d", "2026-03-14", "-o", tmp_path / "z.pdf",
                  "--practice", practice)
    assert made.exit_code == 0, made.output
    other = invoke("make", "injection", "-p", "Tom Baker", "-o", tmp_path / "t.pdf", "--practice", practice)
    assert other.exit_code == 0, other.output
    for typed in ("obrien", "O’Brien", "o'brien", "zoe", "ZOË", "Nunez", "zoe o brien nunez", "brien-nunez"):
        found = invoke("history", "--json", "--show-names", "--patient", typed, "--practice", practice).output
        found = json.loads(found)
        assert [r["patient"] for r in found] == ["Zoë O'Brien-Núñez"], typed
    for typed in ("zoey", "baker nunez"):
        assert json.loads(invoke("history", "--json", "--patient", typed, "--practice", practice).output) == [], typed

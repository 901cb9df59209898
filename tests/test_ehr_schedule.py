"""Schedules as EHRs write them, mapped once in the practice's schedule.toml, and FHIR schedules.

What the user gets: the handouts' PDFs (name, visit date), manifest.csv, what `batch` and
`schedule check` print, and the Today list. Made-up patients only.
"""

import csv
import io
import json
import re
from datetime import date, timedelta
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.cli.main import main
from handouts.config.catalog import Catalog
from handouts.quality.check import check
from handouts.web import create_app
from handouts.web.desk import Day

import pdfcheck

SCHEDULES = Path(__file__).parent / "fixtures" / "schedules"
TOMORROW = date.today() + timedelta(days=1)  # tomorrow's clinic: never the day the batch runs
US = TOMORROW.strftime("%m/%d/%Y")
SURGERY = (TOMORROW - timedelta(days=12)).strftime("%m/%d/%Y")
PRINTED = f"{TOMORROW:%B} {TOMORROW.day}, {TOMORROW.year}"
EHR_HEADER = "Appt Date,Appt Time,MRN,Patient Name,DOB,Visit Type,Provider,Language,Surgery Date\n"
EHR = EHR_HEADER + "".join(
    [
        f'{US},8:00 AM,100201,"Lopez, Maria",04/12/1951,NEW PATIENT,"KIM, DANIEL MD",English,\n',
        f'{US},8:30 AM,100202,"Ibarra, Ramón",11/02/1948,INJECTION,"KIM, DANIEL MD",Spanish,\n',
        f'{US},9:00 AM,100203,"Osei, Harriet",01/30/1950,POST OP DECOMP,"KIM, DANIEL MD",English,{SURGERY}\n',
    ]
)
MAPPING = """\
# How this practice's EHR writes its schedule export
dates = "us"
names = "last-first"
ignore = ["Appt Time", "DOB"]

[columns]
date = "Appt Date"
surgeon = "Provider"

[visits]
"NEW PATIENT" = "new-patient"
INJECTION = "injection"
"POST OP DECOMP" = "post-op"

[surgeons]
"KIM, DANIEL MD" = "kim"
"""


def practice(tmp_path: Path, mapping: str | None = MAPPING) -> Path:
    """A practice folder as `init-practice` writes it, with a surgeon, and the schedule mapping if given."""
    folder = tmp_path / "practice"
    assert CliRunner().invoke(main, ["init-practice", str(folder)]).exit_code == 0
    (folder / "surgeons" / "kim.toml").write_text('name = "Dr. Daniel Kim"\ncredentials = "MD"\n')
    if mapping is not None:
        (folder / "schedule.toml").write_text(mapping)
    return folder


def run(*args: str):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def batch(tmp_path: Path, folder: Path, data: str, name: str = "export.csv", *extra: str):
    schedule = tmp_path / name
    schedule.write_text(data, encoding="utf-8")
    return run("batch", schedule, "-o", tmp_path / "out", "-j", "1", "--no-record", "--practice", folder, *extra)


def manifest(tmp_path: Path) -> list[dict[str, str]]:
    with (tmp_path / "out" / "manifest.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def pdf_text(tmp_path: Path, entry: dict[str, str]) -> str:
    return pdfcheck.text((tmp_path / "out" / entry["file"]).read_bytes())


# --- a CSV export, mapped once -------------------------------------------------------------------


def test_an_ehr_export_is_dated_from_its_own_column_and_names_print_first_last(tmp_path):
    folder = practice(tmp_path)
    result = batch(tmp_path, folder, EHR)
    assert result.exit_code == 0, result.output
    entries = manifest(tmp_path)
    assert [e["patient"] for e in entries] == ["Maria Lopez", "Ramón Ibarra", "Harriet Osei"]
    assert [e["id"] for e in entries] == ["100201", "100202", "100203"]
    assert {e["date"] for e in entries} == {TOMORROW.isoformat()}
    assert [e["visit"] for e in entries] == ["new-patient", "injection", "post-op"]
    maria = pdf_text(tmp_path, entries[0])
    assert "Prepared for: Maria Lopez" in maria
    assert f"Visit date: {PRINTED}" in maria
    assert "Lopez, Maria" not in maria and "1951" not in maria  # not the EHR's order, never the birth date
    assert "Dr. Daniel Kim" in maria  # the provider's name in the export, mapped to the surgeon's profile
    assert "Preparado para" in pdf_text(tmp_path, entries[1])
    assert "Warning" not in result.output  # the columns it does not use are ignored as the practice said


def test_without_the_mapping_the_batch_refuses_and_names_the_columns(tmp_path):
    folder = practice(tmp_path, mapping=None)
    result = batch(tmp_path, folder, EHR)
    assert result.exit_code == 2
    message = result.output
    assert "has no column date" in message
    for column in ("Appt Date", "Appt Time", "MRN", "Patient Name", "DOB", "Visit Type", "Provider"):
        assert f"'{column}'" in message
    assert "schedule.toml" in message
    assert not (tmp_path / "out" / "manifest.csv").exists()  # nothing dated today
    for name in ("Lopez", "Ibarra", "Osei", "100201"):
        assert name not in message


def test_a_row_without_a_date_is_refused_never_dated_today(tmp_path):
    folder = practice(tmp_path, mapping=None)
    data = (
        "visit,patient,date\n"
        f"injection,Ana Silva,{TOMORROW.isoformat()}\n"
        "injection,Tom Baker,\n"
    )
    result = batch(tmp_path, folder, data)
    assert result.exit_code == 1
    assert [e["patient"] for e in manifest(tmp_path)] == ["Ana Silva"]
    assert "Line 3: this row has no visit date" in result.output
    assert date.today().isoformat() not in (tmp_path / "out" / "manifest.csv").read_text()


def test_a_json_lines_row_without_a_date_is_refused(tmp_path):
    folder = practice(tmp_path, mapping=None)
    data = json.dumps({"visit": "injection", "patient": "Ana Silva"}) + "\n"
    result = batch(tmp_path, folder, data, "day.jsonl")
    assert result.exit_code == 1
    assert "Line 1: this row has no visit date" in result.output


def test_an_empty_visit_type_reads_plainly(tmp_path):
    folder = practice(tmp_path)
    data = EHR_HEADER + f'{US},8:00 AM,100201,"Lopez, Maria",,,"KIM, DANIEL MD",English,\n'
    result = batch(tmp_path, folder, data)
    assert result.exit_code == 1
    assert "Line 2: this row has no visit type" in result.output
    assert "''" not in result.output


def test_a_visit_name_the_mapping_lacks_says_where_to_add_it(tmp_path):
    folder = practice(tmp_path)
    data = EHR_HEADER + f'{US},8:00 AM,100201,"Lopez, Maria",,FOLLOW UP,"KIM, DANIEL MD",English,\n'
    result = batch(tmp_path, folder, data)
    assert result.exit_code == 1
    assert "unknown visit type 'FOLLOW UP'" in result.output
    assert "schedule.toml [visits]" in result.output


def test_a_provider_the_mapping_lacks_is_refused_not_given_another_sheet(tmp_path):
    folder = practice(tmp_path)
    data = EHR_HEADER + f'{US},8:00 AM,100201,"Lopez, Maria",,NEW PATIENT,"NEW, DOCTOR MD",English,\n'
    result = batch(tmp_path, folder, data)
    assert result.exit_code == 1
    assert "'NEW, DOCTOR MD'" in result.output and "schedule.toml [surgeons]" in result.output


def test_the_command_line_date_order_wins_over_the_mapping(tmp_path):
    folder = practice(tmp_path, MAPPING.replace('dates = "us"', 'dates = "eu"'))
    data = EHR_HEADER + '03/04/2027,8:00 AM,100201,"Lopez, Maria",,NEW PATIENT,"KIM, DANIEL MD",English,\n'
    assert batch(tmp_path, folder, data).exit_code == 0
    assert manifest(tmp_path)[0]["date"] == "2027-04-03"  # day first, as schedule.toml says
    assert batch(tmp_path, folder, data, "export.csv", "--dates", "us", "--force").exit_code == 0
    assert manifest(tmp_path)[0]["date"] == "2027-03-04"


def test_a_date_not_real_in_the_mapped_order_names_schedule_toml(tmp_path):
    folder = practice(tmp_path)
    data = EHR_HEADER + '14/03/2027,8:00 AM,100201,"Lopez, Maria",,NEW PATIENT,"KIM, DANIEL MD",English,\n'
    result = batch(tmp_path, folder, data)
    assert result.exit_code == 1
    assert "'14/03/2027' is not a real date read as month/day/year" in result.output
    assert 'schedule.toml dates = "us"' in result.output


# --- schedule.toml, checked as the practice's other files ----------------------------------------


@pytest.mark.parametrize(
    ("mapping", "said"),
    [
        ("[colums]\ndate = 'Appt Date'\n", "unknown key 'colums': did you mean 'columns'?"),
        ('dates = "usa"\n', "key 'dates'"),
        ("[columns]\ndtae = 'Appt Date'\n", "key 'columns.dtae': no visit type reads a column 'dtae'"),
        ("[visits]\n'NEW PATIENT' = 'new-patients'\n", "key 'visits.NEW PATIENT': unknown visit type 'new-patients'"),
        ("[surgeons]\n'KIM, DANIEL MD' = 'kym'\n", "key 'surgeons.KIM, DANIEL MD': no surgeon profile 'kym'"),
        ("[columns]\ndate = 'Appt Date'\nsurgery_date = 'appt date'\n", "both name the column 'appt date'"),
        ("[visits]\n'NEW PATIENT' = 'new-patient'\n'new  patient' = 'injection'\n", "'new  patient'"),
        ("names = 'last-first'\nnames = 'first-last'\n", "not valid TOML"),
    ],
)
def test_a_mistake_in_schedule_toml_is_one_line_naming_file_and_key(tmp_path, mapping, said):
    folder = practice(tmp_path, mapping)
    result = batch(tmp_path, folder, EHR)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {folder / 'schedule.toml'}: ")
    assert said in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_practice_check_names_a_schedule_toml_mistake(tmp_path):
    folder = practice(tmp_path, "[visits]\n'NEW PATIENT' = 'new-patients'\n")
    catalog = Catalog.load(folder)  # a mistake there does not stop the desk's single handouts
    label, problems = next(item for item in check(catalog) if item[0] == "schedule.toml")
    assert problems == [f"{folder / 'schedule.toml'}: key 'visits.NEW PATIENT': unknown visit type 'new-patients'"
                        f"; known: {', '.join(catalog.visits)}"]


def test_a_link_as_schedule_toml_is_refused(tmp_path):
    folder = practice(tmp_path, mapping=None)
    (tmp_path / "elsewhere.toml").write_text(MAPPING)
    (folder / "schedule.toml").symlink_to(tmp_path / "elsewhere.toml")
    result = batch(tmp_path, folder, EHR)
    assert result.exit_code == 2
    assert "schedule.toml (a link to" in result.output


# --- handouts schedule check ---------------------------------------------------------------------


def test_schedule_check_shows_how_each_column_and_value_is_read(tmp_path):
    folder = practice(tmp_path)
    schedule = tmp_path / "export.csv"
    schedule.write_text(EHR + f'{US},9:30 AM,100204,"Baker, Tom",,FOLLOW UP,"KIM, DANIEL MD",English,\n')
    result = run("schedule", "check", schedule, "--practice", folder)
    assert result.exit_code == 2, result.output
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    assert "Appt Date -> date (schedule.toml [columns])" in lines
    assert "MRN -> id" in lines
    assert "Patient Name -> patient" in lines
    assert "DOB -> not used (schedule.toml ignore)" in lines
    assert "NEW PATIENT (1 row) -> new-patient: Leg pain when you walk: your first visit" in lines
    assert "FOLLOW UP (1 row) -> unknown: add it to schedule.toml [visits]" in lines
    assert "KIM, DANIEL MD (4 rows) -> kim: Dr. Daniel Kim, MD" in lines
    assert "Spanish (1 row) -> es: Spanish" in lines
    assert f"{US} -> {TOMORROW.isoformat()} ({TOMORROW:%A}, {PRINTED})" in lines
    assert "Dates: the surgery date, month first (schedule.toml dates = \"us\"):" in lines
    assert not any(line.startswith("(empty)") for line in lines)  # a surgery date may be left empty
    assert any('Last, First' in line and 'names = "last-first"' in line for line in lines)
    assert "Maria" not in result.output  # names only with --show-names
    assert "3 rows ready, 1 cannot be made:" in lines
    assert "Line 5: unknown visit type 'FOLLOW UP'" in result.output
    shown = run("schedule", "check", schedule, "--practice", folder, "--show-names")
    assert "Lopez, Maria -> Maria Lopez" in " ".join(shown.output.split())


def test_schedule_check_without_a_mapping_explains_the_missing_date(tmp_path):
    folder = practice(tmp_path, mapping=None)
    schedule = tmp_path / "export.csv"
    schedule.write_text(EHR)
    result = run("schedule", "check", schedule, "--practice", folder)
    assert result.exit_code == 2
    assert "has no column date" in result.output and "'Appt Date'" in result.output
    assert "Traceback" not in result.output


def test_schedule_check_of_a_clean_schedule_exits_0(tmp_path):
    folder = practice(tmp_path)
    schedule = tmp_path / "export.csv"
    schedule.write_text(EHR)
    result = run("schedule", "check", schedule, "--practice", folder)
    assert result.exit_code == 0, result.output
    assert "3 rows ready." in result.output


# --- the clinic's exports as they come (tests/fixtures/schedules) ---------------------------------

CLINIC_A = """\
dates = "us"
capitals = "capitalize"
ignore = ["Appointment Time"]
skip = ["CANCELLED"]

[columns]
surgeon = "Resource"
lang = "Preferred Language"
surgery_date = "Procedure Date"

[visits]
"NEW PT SPINE" = "new-patient"
"CONSERV F/U" = "conservative-care"
ESI = "injection"
"SURG CONSULT" = "surgical-consult"
"POST OP LAMI" = "post-op"
"POST OP FUSION" = "post-op-fusion"

[surgeons]
"KIM, DANIEL MD" = "kim"
"OKAFOR, ADA MD" = "okafor"
"""


def clinic_practice(tmp_path: Path, mapping: str) -> Path:
    folder = practice(tmp_path, mapping)
    (folder / "surgeons" / "okafor.toml").write_text('name = "Dr. Ada Okafor"\n')
    return folder


def test_a_clinic_export_with_split_capital_names_on_the_today_list(tmp_path):
    folder = clinic_practice(tmp_path, CLINIC_A)
    day = Day.from_file(SCHEDULES / "clinic-export-a.csv")
    rows = day.rows(Catalog.load(folder), [])
    assert [row.error for row in rows] == [""] * 9  # the cancelled visit is not on the list
    assert [row.patient for row in rows][:5] == [
        "Grace Holloway", "Luis Alberto Vargas", "Mary-Kate O'Connell", "Thanh Nguyen", "María José Peña",
    ]
    assert {row.request.visit_date for row in rows} == {date(2026, 12, 9)}
    washington = rows[6].request
    assert (washington.visit.id, washington.surgeon.id, washington.fields["surgery_date"]) == (
        "post-op", "kim", date(2026, 11, 25)
    )
    assert rows[1].request.lang == "es"
    assert rows[7].namesakes == [10] and rows[8].namesakes == [9]  # two Juan Garcias, told apart by id


def test_schedule_check_of_a_clinic_export_says_what_is_skipped(tmp_path):
    folder = clinic_practice(tmp_path, CLINIC_A)
    result = run("schedule", "check", SCHEDULES / "clinic-export-a.csv", "--practice", folder)
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    assert "Patient Last Name -> last_name" in lines and "Patient First Name -> first_name" in lines
    assert "CANCELLED (1 row) -> skipped (schedule.toml skip)" in lines
    assert 'written in capitals in 9 of 9 rows: printed capitalized (schedule.toml capitals = "capitalize")' in lines
    assert "9 rows ready, 1 skipped." in lines


# --- FHIR schedules --------------------------------------------------------------------------------

FHIR_MAPPING = """\
[visits]
NPSPINE = "new-patient"
"Epidural steroid injection" = "injection"

[surgeons]
"Practitioner/dr-kim" = "kim"
"""


def fhir_bundle(tomorrow: date = TOMORROW) -> dict:
    """A searchset Bundle as an EHR's API gives it, built and checked by fhir.resources (FHIR R4)."""
    from fhir.resources.R4B.appointment import Appointment
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.patient import Patient

    start = f"{tomorrow.isoformat()}T08:00:00-06:00"
    kim = {"actor": {"reference": "Practitioner/dr-kim", "display": "Daniel Kim, MD"}, "status": "accepted"}
    osei = Patient(
        id="p1",
        identifier=[{"system": "urn:clinic:mrn", "value": "100455"}],
        name=[{"use": "official", "family": "Osei", "given": ["Harriet", "Ama"]}],
        communication=[{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "en-US"}]}}],
    )
    ibarra = Patient(  # contained in its appointment, as some EHRs send the patient
        id="pat",
        identifier=[
            {"system": "urn:clinic:acct", "value": "A-9"},
            {"type": {"coding": [{"code": "MR"}]}, "system": "urn:clinic:mrn", "value": "100761"},
        ],
        name=[{"family": "Ibarra", "given": ["Ramón"]}],
        communication=[
            {"language": {"coding": [{"code": "en"}]}},
            {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "es-MX"}]}, "preferred": True},
        ],
    )
    appointments = [
        Appointment(
            id="a1",
            status="booked",
            appointmentType={"coding": [{"system": "urn:clinic:appt-type", "code": "NPSPINE"}]},
            start=start,
            participant=[{"actor": {"reference": "Patient/p1", "display": "Harriet Osei"}, "status": "accepted"}, kim],
        ),
        Appointment(
            id="a2",
            status="booked",
            contained=[ibarra],
            serviceType=[{"coding": [{"code": "ESI", "display": "Epidural steroid injection"}]}],
            start=f"{tomorrow.isoformat()}T23:30:00-06:00",  # late in the clinic's own day: its date stays
            participant=[{"actor": {"reference": "#pat"}, "status": "accepted"}, kim],
        ),
        Appointment(
            id="a3",
            status="cancelled",
            appointmentType={"coding": [{"code": "NPSPINE"}]},
            start=start,
            participant=[{"actor": {"reference": "Patient/p1"}, "status": "declined"}],
        ),
    ]
    bundle = Bundle(
        type="searchset",
        entry=[{"resource": a, "search": {"mode": "match"}} for a in appointments]
        + [{"resource": osei, "search": {"mode": "include"}}],
    )
    return json.loads(bundle.model_dump_json(exclude_none=True))


def test_a_fhir_bundle_through_batch(tmp_path):
    folder = practice(tmp_path, FHIR_MAPPING)
    result = batch(tmp_path, folder, json.dumps(fhir_bundle(), indent=2), "schedule.json")
    assert result.exit_code == 0, result.output
    entries = manifest(tmp_path)
    assert [(e["patient"], e["id"], e["visit"], e["date"]) for e in entries] == [
        ("Harriet Ama Osei", "100455", "new-patient", TOMORROW.isoformat()),
        ("Ramón Ibarra", "100761", "injection", TOMORROW.isoformat()),
    ]
    harriet = pdf_text(tmp_path, entries[0])
    assert "Prepared for: Harriet Ama Osei" in harriet and f"Visit date: {PRINTED}" in harriet
    assert "Dr. Daniel Kim" in harriet
    assert "Preparado para" in pdf_text(tmp_path, entries[1])  # the patient's preferred language


def test_fhir_ndjson_through_batch(tmp_path):
    folder = practice(tmp_path, FHIR_MAPPING)
    resources = [entry["resource"] for entry in fhir_bundle()["entry"]]
    data = "".join(json.dumps(resource) + "\n" for resource in resources)
    result = batch(tmp_path, folder, data, "Appointment.ndjson")
    assert result.exit_code == 0, result.output
    assert [e["patient"] for e in manifest(tmp_path)] == ["Harriet Ama Osei", "Ramón Ibarra"]
    assert [e["row"] for e in manifest(tmp_path)] == ["1", "2"]  # the lines of the file


def test_an_appointment_whose_patient_was_not_sent_is_refused_on_its_own(tmp_path):
    folder = practice(tmp_path, FHIR_MAPPING)
    appointments = [e["resource"] for e in fhir_bundle()["entry"] if e["resource"]["resourceType"] == "Appointment"]
    data = "".join(json.dumps(resource) + "\n" for resource in appointments)  # bulk export: no Patient lines
    assert batch(tmp_path, folder, data, "Appointment.ndjson").exit_code == 0
    assert [(e["patient"], e["id"]) for e in manifest(tmp_path)] == [("Harriet Osei", ""), ("Ramón Ibarra", "100761")]
    del appointments[0]["participant"][0]["actor"]["display"]  # the participant's display is all there was
    data = "".join(json.dumps(resource) + "\n" for resource in appointments)
    result = batch(tmp_path, folder, data, "Appointment.ndjson")
    assert result.exit_code == 1
    assert "Line 1: this appointment's Patient is not in the file" in result.output  # no name: none to print
    assert [e["patient"] for e in manifest(tmp_path)] == ["Ramón Ibarra"]  # contained in its appointment
    assert "Line 3: no handout: the appointment is cancelled" in result.output


def test_a_fhir_appointment_whose_type_is_not_mapped_is_refused_with_its_code(tmp_path):
    folder = practice(tmp_path, FHIR_MAPPING.replace('NPSPINE = "new-patient"\n', ""))
    schedule = tmp_path / "schedule.json"
    schedule.write_text(json.dumps(fhir_bundle()))
    result = run("schedule", "check", schedule, "--practice", folder)
    assert result.exit_code == 2
    assert "NPSPINE (1 row) -> unknown: add it to schedule.toml [visits]" in " ".join(result.output.split())
    assert "cancelled (1 row) -> skipped" in " ".join(result.output.split())
    assert "(empty)" not in result.output  # the cancelled appointment is not a visit without a type


def test_a_fhir_bundle_that_is_one_page_of_a_search_is_refused(tmp_path):
    folder = practice(tmp_path, FHIR_MAPPING)
    bundle = fhir_bundle() | {"link": [{"relation": "next", "url": "https://ehr.example/Appointment?page=2"}]}
    result = batch(tmp_path, folder, json.dumps(bundle), "schedule.json")
    assert result.exit_code == 2
    assert "one page of a FHIR search" in result.output and "ehr.example" not in result.output


def test_the_clinics_fhir_export(tmp_path):
    folder = clinic_practice(tmp_path, FHIR_MAPPING + '"Practitioner/dr-okafor" = "okafor"\n')
    result = run("schedule", "check", SCHEDULES / "clinic-export-b.fhir.json", "--practice", folder)
    assert result.exit_code == 0, result.output
    assert "2 rows ready, 1 skipped." in result.output


def test_the_today_page_reads_the_export_with_the_mapping(tmp_path):
    folder = practice(tmp_path)
    client = create_app(folder).test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/today").text).group(1)
    fields = {"csrf_token": csrf, "schedule": (io.BytesIO(EHR.encode()), "export.csv")}
    assert client.post("/today/load", data=fields, content_type="multipart/form-data").status_code == 303
    page = " ".join(unescape(re.sub(r"<[^>]+>", " ", client.get("/today").text)).split())
    assert f"Leg pain when you walk: your first visit {PRINTED} Maria Lopez ID 100201" in page
    assert "3 patients: 0 need a fix, 3 ready to print, 0 given." in page

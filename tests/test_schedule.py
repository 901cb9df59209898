"""Every schedule cell read as the clinic meant it, or its row refused with the reason; no patient data in messages."""

import codecs
import csv
import io
import json
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.cli.main import main
from handouts.runs.rows import folded
from handouts.web.app import create_app

import pdfcheck
from conftest import ROOT, finished

FIXTURE = Path(__file__).parent / "fixtures" / "practice"
HEADER = "visit,patient,date\n"


def batch(tmp_path: Path, data: bytes | str, *extra: str, name: str = "day.csv"):
    """The batch command on a schedule of these bytes, into tmp_path/out."""
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return CliRunner().invoke(main, ["batch", str(path), "-o", str(tmp_path / "out"), "-j", "1", *extra])


def made(tmp_path: Path) -> list[str]:
    """The patients whose handouts were made, each checked in its PDF's text."""
    out = tmp_path / "out"
    with (out / "manifest.csv").open(encoding="utf-8") as handle:
        entries = list(csv.DictReader(handle))
    for entry in entries:
        assert entry["patient"] in pdfcheck.text((out / entry["file"]).read_bytes())
    return [entry["patient"] for entry in entries]


def report(tmp_path: Path, result) -> str:
    """All the person is told: the command's output and errors.csv."""
    return result.output + (tmp_path / "out" / "errors.csv").read_text(encoding="utf-8")


# --- cells too large -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_an_oversize_cell_fails_its_row_and_the_others_are_made(tmp_path, kind):
    big = "x" * 140_000  # over the csv module's own limit of 131,072 characters
    rows = [("Ana Silva", "A1"), ("Tom Baker", big), ("Li Wei", "A3")]
    if kind == "csv":
        data = "visit,patient,date,id\n" + "".join(f'injection,{p},2026-03-14,"{i}"\n' for p, i in rows)
    else:
        values = [{"visit": "injection", "patient": p, "date": "2026-03-14", "id": i} for p, i in rows]
        data = "".join(json.dumps(value) + "\n" for value in values)
    result = batch(tmp_path, data, name=f"day.{kind}")
    assert result.exit_code == 1, result.output
    line = 3 if kind == "csv" else 2
    assert (
        f"Line {line}: the cell in column 'id' is 140,000 characters long; the most allowed is 10,000" in result.output
    )
    assert made(tmp_path) == ["Ana Silva", "Li Wei"]
    assert "Tom Baker" not in report(tmp_path, result)


def test_an_oversize_cell_uploaded_on_the_page_is_one_rows_error(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    client = create_app(FIXTURE).test_client()
    page = client.get("/batch").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = HEADER + f"injection,Ana Silva,2026-03-14\ninjection,{'x' * 140_000},2026-03-14\n"
    fields = {"csrf_token": token, "schedule": (io.BytesIO(data.encode()), "day.csv")}
    response = client.post("/batch", data=fields, content_type="multipart/form-data")
    assert response.status_code == 303
    result = finished(client, response.headers["Location"]).text
    assert "1 made" in result and "1 need fixing" in result
    assert "140,000 characters long" in result


# --- JSON Lines -----------------------------------------------------------------------------------


def test_json_values_that_are_not_text_are_refused_naming_line_and_column(tmp_path):
    """`{'a': 1}` or `True` printed as a patient's name is a wrong handout: such a value is refused
    with its line and column; a whole number as the id and true/false as large_print are what they say."""
    lines = [
        {"visit": "injection", "patient": {"a": 1}},
        {"visit": "injection", "patient": True},
        {"visit": "injection", "patient": ["Ana", "Silva"]},
        {"visit": "injection", "patient": 12},
        {"visit": "injection", "patient": "Ana Silva", "date": 20260314},
        {"visit": "post-op", "patient": "Ana Silva", "procedure": False},
        {"visit": "injection", "patient": "Ana Silva", "id": 1.5},
        {"visit": "injection", "patient": "Li Wei", "date": "2026-03-14", "id": 1001, "large_print": True},
    ]
    data = "".join(json.dumps(line) + "\n" for line in lines)
    result = batch(tmp_path, data, name="day.jsonl")
    assert result.exit_code == 1, result.output
    for line, (column, kind) in enumerate(
        [("patient", "an object"), ("patient", "true or false"), ("patient", "a list"), ("patient", "a number"),
         ("date", "a number"), ("procedure", "true or false"), ("id", "a number")], 1
    ):
        assert f"Line {line}: column '{column}' holds {kind} where text is expected" in result.output, result.output
    assert made(tmp_path) == ["Li Wei"]
    with (tmp_path / "out" / "manifest.csv").open(encoding="utf-8") as handle:
        assert [row["id"] for row in csv.DictReader(handle)] == ["1001"]
    pdf = next((tmp_path / "out").glob("*.pdf")).read_bytes()
    assert "{'a': 1}" not in report(tmp_path, result) and "True" not in pdfcheck.text(pdf)
    assert statistics.median(pdfcheck.font_sizes(pdf)) >= 17  # large_print: true is large print (18 pt)


def test_a_json_line_that_gives_a_key_twice_is_refused(tmp_path):
    """JSON keeps the last of two "patient" keys without a word: the handout would carry one name and
    the record the other's id."""
    data = (
        '{"visit": "injection", "patient": "Ana Silva", "patient": "Bob Other", "id": "MRN-1"}\n'
        '{"visit": "injection", "patient": "Li Wei", "date": "2026-03-14", "id": "MRN-2"}\n'
    )
    result = batch(tmp_path, data, name="day.jsonl")
    assert result.exit_code == 1 and "Line 1: the key 'patient' is in this line twice" in result.output, result.output
    assert made(tmp_path) == ["Li Wei"]


def test_a_json_line_nested_too_deep_or_with_an_endless_number_is_one_rows_error(tmp_path, monkeypatch):
    deep = '{"visit": "injection", "patient": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
    endless = '{"visit": "injection", "patient": "Tom Baker", "id": ' + "9" * 5000 + "}\n"
    good = '{"visit": "injection", "patient": "Li Wei", "date": "2026-03-14"}\n'
    result = batch(tmp_path, deep + endless + good, name="day.jsonl")
    assert result.exit_code == 1, result.output
    assert "Line 1: not a schedule row: its JSON is nested too deeply" in result.output
    assert "Line 2: not a schedule row: it holds a number too long to read" in result.output
    assert made(tmp_path) == ["Li Wei"]
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))  # the page: the rows' errors, not HTTP 500
    client = create_app(FIXTURE).test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/batch").text).group(1)
    fields = {"csrf_token": token, "schedule": (io.BytesIO((deep + good).encode()), "day.jsonl")}
    response = client.post("/batch", data=fields, content_type="multipart/form-data")
    assert response.status_code == 303, response.text[:300]
    page = finished(client, response.headers["Location"]).text
    assert "1 made" in page and "nested too deeply" in page


# --- encodings ------------------------------------------------------------------------------------


def test_a_row_in_another_encoding_is_refused_and_no_name_is_misread(tmp_path):
    data = (
        (HEADER + "injection,Zoë Nuñez,2026-03-14\n").encode()
        + "injection,Chloé Brontë,2026-03-14\n".encode("cp1252")  # pasted in from an older export
        + b"injection,Ana Silva,2026-03-14\n"
    )
    result = batch(tmp_path, data)
    assert result.exit_code == 1, result.output
    assert "Line 3: this line is not UTF-8 text like the rest of the schedule" in result.output
    assert made(tmp_path) == ["Zoë Nuñez", "Ana Silva"]
    told = report(tmp_path, result) + (tmp_path / "out" / "manifest.csv").read_text(encoding="utf-8")
    assert "Ã" not in told and "Chlo" not in told


def test_windows_1252_files_are_read_and_a_byte_it_does_not_define_is_a_row_error(tmp_path):
    data = (HEADER + "injection,Zoë Nuñez,2026-03-14\n").encode("cp1252") + b"injection,Ana\x81 Silva,2026-03-14\n"
    result = batch(tmp_path, data)
    assert result.exit_code == 1, result.output
    assert "Line 3: this line is not Windows-1252 text like the rest of the schedule" in result.output
    assert made(tmp_path) == ["Zoë Nuñez"]


# Rows shaped like the practice's EHR export (../shared/data/schedules/clinic-export-a.csv): names in
# capitals, "LAST, FIRST" in quotes, record numbers; and one name written in each legacy code page.
EXPORT_ROWS = 'visit,patient,date,id\nnew-patient,"HOLLOWAY, GRACE",2026-12-09,100233\n'
LEGACY = {
    "cp1250": "Łukasz Wójcik",
    "iso8859_2": "Paweł Dąbrowski",
    "cp850": "Zoë Nuñez",
    "mac_roman": "José García",
    "shift_jis": "山田太郎",
    "koi8_r": "Иван Петров",
}


@pytest.mark.parametrize("encoding", sorted(LEGACY))
def test_a_schedule_in_another_code_page_is_refused_by_line_not_printed_as_mojibake(tmp_path, encoding):
    """Each of these decodes as Windows-1252 without an error, to "£ukasz", "Zo‰ Nu¤ez", "JosŽ Garc’a",
    "ŽR“c‘¾˜Y", "é×ÁÎ ðÅÔÒÏ×": the line is refused, naming it; the other rows are made. Named with
    --encoding, the same file prints the name as written."""
    name = LEGACY[encoding]
    data = (EXPORT_ROWS + f"injection,{name},2026-12-09,101117\n").encode(encoding)
    result = batch(tmp_path, data)
    assert result.exit_code == 1, result.output
    assert "Line 3: this line does not read as Windows-1252 text" in result.output
    assert "save the whole file again as 'CSV UTF-8', or name its encoding with --encoding" in result.output
    assert made(tmp_path) == ["HOLLOWAY, GRACE"]
    mojibake = data.decode("cp1252", errors="replace").splitlines()[-1].split(",")[1]
    assert mojibake not in report(tmp_path, result)
    named = batch(tmp_path, data, "--encoding", encoding)
    assert named.exit_code == 0, named.output
    assert made(tmp_path) == ["HOLLOWAY, GRACE", name]


def test_utf8_encoded_twice_is_refused_and_windows_1252_still_reads(tmp_path):
    twice = "injection,Zoë Nuñez,2026-12-09,101117\n".encode().decode("cp1252")  # "ZoÃ« NuÃ±ez"
    result = batch(tmp_path, EXPORT_ROWS + twice)
    assert result.exit_code == 1, result.output
    assert "Line 3: this line holds text encoded twice" in result.output
    assert made(tmp_path) == ["HOLLOWAY, GRACE"] and "NuÃ±ez" not in report(tmp_path, result)
    names = ["PEÑA, MARÍA JOSÉ", "BERGSTRÖM, ERIK", "Renée O’Brien", "Søren Åberg", "Mª José Smith–Jones"]
    rows = "".join(f'injection,"{name}",2026-12-09,10{n}\n' for n, name in enumerate(names))
    for data in ((EXPORT_ROWS + rows).encode("cp1252"), codecs.BOM_UTF8 + (EXPORT_ROWS + rows).encode()):
        kept = batch(tmp_path, data, "--force")
        assert kept.exit_code == 0, kept.output
        assert made(tmp_path) == ["HOLLOWAY, GRACE", *names]


def test_a_legacy_encoding_named_for_a_utf8_file_is_refused(tmp_path):
    result = batch(tmp_path, HEADER + "injection,Zoë Nuñez,2026-03-14\n", "--encoding", "cp1252")
    assert result.exit_code == 2
    assert "the schedule is UTF-8 text" in result.output and "run the batch without --encoding" in result.output
    unknown = batch(tmp_path, HEADER, "--encoding", "rot13")
    assert unknown.exit_code == 2 and "unknown encoding" in unknown.output


def test_excel_unicode_text_and_old_mac_line_endings(tmp_path):
    utf16 = "visit\tpatient\tdate\r\ninjection\tZoë Nuñez\t2026-03-14\r\n".encode("utf-16")  # with its BOM
    assert batch(tmp_path, utf16).exit_code == 0
    assert made(tmp_path) == ["Zoë Nuñez"]
    result = batch(tmp_path, "visit,patient,date\rinjection,Ana Silva,2026-03-14\r", "--force")
    assert result.exit_code == 0, result.output
    assert made(tmp_path) == ["Ana Silva"]


# --- cells in the wrong place ---------------------------------------------------------------------


def test_an_unquoted_comma_in_a_name_is_a_row_error_that_says_to_quote_it(tmp_path):
    result = batch(tmp_path, HEADER + 'injection,Baker, Tom,2026-03-14\ninjection,"Silva, Ana",2026-03-14\n')
    assert result.exit_code == 1, result.output
    assert "Line 2: this row has 4 cells but the header names 3 columns" in result.output
    assert "must be in double quotes" in result.output
    assert made(tmp_path) == ["Silva, Ana"]
    assert "Baker" not in report(tmp_path, result) and "Tom" not in report(tmp_path, result)


def test_a_name_piece_pushed_into_the_date_column_is_not_echoed(tmp_path):
    result = batch(tmp_path, HEADER + "injection,Baker, Tom\n")
    assert result.exit_code == 1, result.output
    assert "Line 2: the cell in column 'date' starts with a space after the comma" in result.output
    assert "put a name with a comma in double quotes" in result.output
    assert "Tom" not in report(tmp_path, result)
    unspaced = batch(tmp_path, HEADER + "injection,Baker,Tom\n")  # no space: the date's own check says it
    assert "Line 2: the date is not a date: it has more than digits in it (not shown here)" in unspaced.output
    assert "put a name with a comma in double quotes" in unspaced.output and "Tom" not in report(tmp_path, unspaced)


@pytest.mark.parametrize(
    ("column", "separator"),
    [(column, ",") for column in ("id", "surgeon", "lang", "large_print", "procedure", "surgery_date", "mrn")]
    + [("id", "\t")],
)
def test_a_name_cut_by_an_unquoted_comma_is_refused_whichever_optional_column_follows(tmp_path, column, separator):
    """`visit,date,patient,id` with `new-patient,2026-03-14,Baker, Tom` printed "Baker" with the MRN "Tom":
    the row has as many cells as the header only by accident. Its second half starts with a space
    where the file has none after its separators: refused, whatever column it landed in."""
    rows = [
        ["visit", "date", "patient", column],
        ["post-op", "2026-03-14", "Baker" + (", Tom" if separator == "," else "\t Tom")],
        ["post-op", "2026-03-14", '"Silva, Ana"' if separator == "," else "Silva, Ana"],
    ]
    result = batch(tmp_path, "".join(separator.join(row) + "\n" for row in rows))
    assert result.exit_code == 1, result.output
    name, key = {"\t": "tab"}.get(separator, "comma"), {"mrn": "id"}.get(column, column)
    assert f"Line 2: the cell in column '{key}' starts with a space after the {name}" in result.output
    if separator == ",":
        assert "put a name with a comma in double quotes" in result.output
    assert made(tmp_path) == ["Silva, Ana"]
    told = report(tmp_path, result) + (tmp_path / "out" / "manifest.csv").read_text(encoding="utf-8")
    assert "Tom" not in told and "Baker" not in told


def test_a_file_written_with_spaces_after_its_commas_is_read_as_written(tmp_path):
    result = batch(tmp_path, "visit, patient, date, id\ninjection, Ana Silva, 2026-03-14, A-1\n")
    assert result.exit_code == 0, result.output
    assert made(tmp_path) == ["Ana Silva"]


def test_a_schedule_without_a_header_line_is_refused_without_echoing_it(tmp_path):
    result = batch(tmp_path, "new-patient, Maria Lopez, 2026-03-14\ninjection, Ana Silva, 2026-03-14\n")
    assert result.exit_code == 2
    assert "has no column visit, patient or date in its first line" in result.output
    assert "add one if the file starts with a patient's row" in result.output
    assert "maria" not in result.output.lower() and "lopez" not in result.output.lower()
    misspelt = batch(tmp_path, "visit,patiemt,date\ninjection,Ana Silva,2026-03-14\n")
    assert misspelt.exit_code == 2 and "has no column patient in its first line (its columns are 'visit', " in (
        misspelt.output
    )


NOT_CLOSED = 'a double quote (") opens a cell on this line and is not closed on it'


@pytest.mark.parametrize(
    ("stray", "later", "reason"),
    [
        ('"Ana Silva', "A-3", NOT_CLOSED),  # the quote runs to the end of the file
        ('"Ana Silva', '"A-3"', NOT_CLOSED),  # the quote ends at the next one, two rows down
        ('"Ana" Silva', '"A-3"', "a quoted cell has text after its closing quote"),
    ],
)
def test_a_stray_double_quote_costs_only_its_own_row(tmp_path, stray, later, reason):
    rows = [f"{stray},2026-03-14", "Tom Baker,2026-03-14", f"Li Wei,2026-03-14,{later}", "Mary Jones,2026-03-14"]
    result = batch(tmp_path, "visit,patient,date,id\n" + "".join(f"injection,{row}\n" for row in rows))
    assert result.exit_code == 1, result.output
    assert f"Line 2: {reason}" in result.output
    assert made(tmp_path) == ["Tom Baker", "Li Wei", "Mary Jones"]


def test_a_file_of_stray_quotes_is_read_in_two_passes_not_one_per_line(tmp_path):
    path = tmp_path / "day.csv"
    path.write_text(HEADER + ',",a","\n' * 50_000)  # each line, read afresh, opens a quote no line closes
    command = [sys.executable, str(ROOT / "generate.py"), "batch", str(path), "-o", str(tmp_path / "out")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert "Line 2: a double quote" in result.stderr
    assert 'Line 3: a double quote (") opens a cell on this line and is not closed on it: close it' in result.stderr
    assert "(lines 4-50001 were not read)" in result.stderr


def test_line_breaks_are_kept_in_other_columns_and_refused_in_a_name(tmp_path):
    text = "visit,patient,date,notes\n" + 'injection,Ana Silva,2026-03-14,"call back\nafter 5\u2028or\x85later"\n'
    result = batch(tmp_path, text + 'injection,"Tom\nBaker",2026-03-14,\ninjection,Li Wei,2026-03-14,\n')
    assert result.exit_code == 1, result.output
    assert "Line 4: the cell in column 'patient' runs over several lines" in result.output  # lines end at \r or \n only
    assert made(tmp_path) == ["Ana Silva", "Li Wei"]


# --- names that print otherwise than they read ----------------------------------------------------


@pytest.mark.parametrize("control", ["\u202e", "\u202a", "\u2067", "\u2069", "\u200f", "\u061c"])
def test_direction_controls_are_refused_in_names_and_notes(tmp_path, control):
    name = f"{control}avliS anA"
    result = batch(tmp_path, HEADER + f"injection,{name},2026-03-14\ninjection,Li Wei,2026-03-14\n")
    assert result.exit_code == 1, result.output
    code = f"U+{ord(control):04X}"
    assert f"Line 2: the patient name contains a hidden character that turns the text's direction ({code})" in (
        result.output
    )
    assert made(tmp_path) == ["Li Wei"]
    note = CliRunner().invoke(
        main, ["make", "injection", "-p", "Ana Silva", "--note", f"Call {control}us", "-o", str(tmp_path / "a.pdf")]
    )
    assert note.exit_code == 2 and "the note contains a hidden character" in note.output


# Characters that print as nothing: zero-width space and joiners, word joiner, soft hyphen, variation
# selector, a tag character, the Hangul fillers, the blank braille pattern, a byte-order mark inside text.
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufe0f", "\U000e0041", "\u3164", "\u115f", "\u1160",
             "\uffa0", "\u2800", "\ufeff", "\u034f", "\u180e"]


def test_invisible_characters_are_refused_in_every_text_that_prints(tmp_path):
    rows = "".join(f"injection,Ana{ch} Silva,2026-03-14\n" for ch in INVISIBLE) + "injection,\u3164,2026-03-14\n"
    result = batch(tmp_path, HEADER + rows + "injection,Li Wei,2026-03-14\n")
    assert result.exit_code == 1, result.output
    with (tmp_path / "out" / "errors.csv").open(encoding="utf-8") as handle:
        reasons = {int(row["line"]): row["reason"] for row in csv.DictReader(handle)}
    for line, ch in enumerate([*INVISIBLE, "\u3164"], 2):
        assert reasons[line].startswith(f"the patient name contains an invisible character (U+{ord(ch):04X}")
    assert made(tmp_path) == ["Li Wei"]  # not one handout with a name that looks like another, or empty
    target = str(tmp_path / "a.pdf")
    for ch in INVISIBLE:
        for option in (["--note", f"Call{ch} us"], ["--set", f"procedure=L4{ch}-L5"]):
            typed = CliRunner().invoke(main, ["make", "post-op", "-p", "Ana Silva", *option, "-o", target])
            assert typed.exit_code == 2 and "contains an invisible character" in typed.output, typed.output
            assert len(typed.output.splitlines()) == 1 and not (tmp_path / "a.pdf").exists()


def test_invisible_characters_are_refused_in_a_practice_s_files(tmp_path):
    practice = Path(shutil.copytree(FIXTURE, tmp_path / "practice"))
    profile = practice / "surgeons" / "lee.toml"
    for ch in ["\u200b", "\u3164", "\U000e0041"]:
        profile.write_text(f'name = "Dr.{ch} Avery Lee"\n', encoding="utf-8")
        result = CliRunner().invoke(
            main, ["make", "injection", "-p", "Ana Silva", "--surgeon", "lee", "--practice", str(practice),
                   "-o", str(tmp_path / "a.pdf")]
        )
        assert result.exit_code == 2
        assert f"{profile}: key 'name': contains an invisible character (U+{ord(ch):04X}" in result.output
    profile.unlink()
    settings = practice / "practice.toml"
    settings.write_text(settings.read_text().replace('name = "', 'name = "\u2060', 1), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--practice", str(practice)])
    assert result.exit_code == 2
    assert "key 'name': contains an invisible character (U+2060, WORD JOINER)" in result.output


# --- dates ----------------------------------------------------------------------------------------


def test_an_impossible_date_is_quoted_as_written(tmp_path):
    text = "visit,patient,date,surgery_date\npost-op,Ana Silva,2/30/2026,2/1/2026\npost-op,Li Wei,3/14/2026,13/1/2026\n"
    result = batch(tmp_path, text, "--dates", "us")
    assert result.exit_code == 1
    assert "Line 2: the date '2/30/2026' is not a real date read as month/day/year (--dates us)" in result.output
    assert "Line 3: the surgery date '13/1/2026' is not a real date read as month/day/year" in result.output
    assert "2026-02-30" not in result.output


def test_dates_in_another_order_are_said_once_with_the_fix(tmp_path):
    rows = "".join(f"injection,Patient {n},3/1{n}/2026\n" for n in range(5))
    result = batch(tmp_path, HEADER + rows + "bogus,Ana Silva,2026-03-14\n")
    assert result.exit_code == 1
    fix = "run the batch with --dates us (month first) or --dates eu (day first)"
    assert result.output.count(fix) == 1
    assert f"Lines 2-6: dates written with slashes (3/14/2026 or 14/03/2026) need their order: {fix}" in result.output
    assert "Line 7: unknown visit type 'bogus'" in result.output
    with (tmp_path / "out" / "errors.csv").open() as handle:
        assert [row["line"] for row in csv.DictReader(handle)] == ["2", "3", "4", "5", "6", "7"]  # each row on record


def test_folded_lines_read_short():
    assert folded([(3, "a")]) == [("Line 3", "a")]
    assert folded([(2, "a"), (3, "a"), (4, "b"), (5, "a"), (9, "a")]) == [("Lines 2-3, 5, 9", "a"), ("Line 4", "b")]
    assert folded([(n, "a") for n in range(2, 40, 2)]) == [("Lines 2, 4, 6, 8, 10, 12, 14, 16 and 11 more", "a")]

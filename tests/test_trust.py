"""What is printed is what was asked: one build path for make, batch and the web page, detail
pages that cannot carry one patient's data into another's handout, and practice templates that
cannot run code."""

import csv
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.cli.main import main
from handouts.web.app import create_app

import pdfcheck
from conftest import NAME

FIXTURE = Path(__file__).parent / "fixtures" / "practice"
VISITS = ("new-patient", "conservative-care", "injection", "surgical-consult", "post-op", "pre-op-class")
POST_OP = {"surgeon": "lee", "surgery_date": "2026-03-10", "procedure": "L4-L5 decompression"}


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def practice_with(tmp_path: Path, files: dict[str, str]) -> Path:
    """A copy of the fixture practice (which already overrides templates and styles) plus `files`."""
    folder = Path(shutil.copytree(FIXTURE, tmp_path / "practice"))
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


@pytest.fixture(scope="module")
def overriding(tmp_path_factory) -> Path:
    """A practice whose detail template and style add text of their own (not personal)."""
    folder = practice_with(
        tmp_path_factory.mktemp("trust"),
        {
            "templates/modules/pathway.html": '{% include "default:modules/pathway.html" %}'
            '<p class="x">This plan is for {{ practice.name }} patients.</p>',
        },
    )
    with (folder / "styles" / "practice.css").open("a") as css:
        css.write("\n.x { text-transform: uppercase; }\n")
    return folder


def test_make_batch_and_web_give_the_same_bytes(tmp_path, overriding):
    """Every visit type, and each print size, through the three interfaces: the sizes take turns
    (the interfaces share one build path, which a visit type in either size takes alike)."""
    requests = [(visit, n % 2 == 1) for n, visit in enumerate(VISITS)]
    made = {}
    for visit, large in requests:
        out = tmp_path / f"make-{visit}-{large}.pdf"
        sets = [a for k in ("surgery_date", "procedure") for a in ("--set", f"{k}={POST_OP[k]}")]
        args = ["make", visit, "-p", NAME, "-d", "2026-03-14", "-o", out, "--practice", overriding]
        args += [*(sets + ["--surgeon", "lee"] if visit == "post-op" else []), *(["--large-print"] if large else [])]
        result = invoke(*args)
        assert result.exit_code == 0, result.output
        made[visit, large] = out.read_bytes()

    schedule = tmp_path / "day.csv"
    with schedule.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["visit", "patient", "date", "large_print", "id", "surgeon", "surgery_date", "procedure"])
        for visit, large in requests:
            extra = [POST_OP[k] for k in ("surgeon", "surgery_date", "procedure")] if visit == "post-op" else [""] * 3
            writer.writerow([visit, NAME, "2026-03-14", "yes" if large else "no", f"{visit}-{large}", *extra])
    out = tmp_path / "batch"
    result = invoke("batch", schedule, "-o", out, "-j", "2", "--practice", overriding)
    assert result.exit_code == 0, result.output
    with (out / "manifest.csv").open(newline="") as handle:
        batched = {row["id"]: (out / row["file"]).read_bytes() for row in csv.DictReader(handle)}

    web = create_app(overriding).test_client()
    page = web.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    for visit, large in requests:
        form = {"csrf_token": token, "visit": visit, "patient": NAME, "date": "2026-03-14", "paper": "letter"}
        form |= POST_OP if visit == "post-op" else {}
        form |= {"large_print": "1"} if large else {}
        response = web.post("/handout", data=form)
        assert response.status_code == 200 and response.mimetype == "application/pdf", response.text[:300]
        assert response.data == made[visit, large], f"web and make differ for {visit} (large print: {large})"
        assert batched[f"{visit}-{large}"] == made[visit, large], f"batch and make differ for {visit} ({large})"
    text = pdfcheck.text(made["new-patient", False])
    assert "THIS PLAN IS FOR RIVERBEND SPINE CENTER PATIENTS." in text and NAME in text


PERSONAL_ON_A_DETAIL_PAGE = {
    "patient": "<p class='x'>This plan is for {{ patient }}.</p>",
    "patient|upper": "<p>This plan is for {{ patient|upper }}.</p>",
    "visit_date": "<p>Seen {{ visit_date.strftime('%B %d') }}.</p>",
    "note": "{% if note %}<p>{{ note[0] }}</p>{% endif %}",
}


def refused_by_make_and_check(folder: Path, visit: str, *phrases: str) -> str:
    """`make` and `check` both stop on the practice (exit 2, no PDF) with messages holding every
    phrase; their output, for what must not be in it."""
    out = folder.parent / "x.pdf"
    made = invoke("make", visit, "-p", NAME, "-o", out, "--practice", folder)
    assert made.exit_code == 2 and not out.exists()
    checked = invoke("check", "--practice", folder)
    assert checked.exit_code == 2
    for phrase in phrases:
        assert phrase in made.output and phrase in checked.output, phrase
    return made.output + checked.output


@pytest.mark.parametrize("payload", PERSONAL_ON_A_DETAIL_PAGE.values(), ids=PERSONAL_ON_A_DETAIL_PAGE)
def test_a_personal_value_on_a_detail_page_is_refused_at_load_and_in_check(tmp_path, payload):
    template = '{% include "default:modules/pathway.html" %}' + payload
    where = "templates/modules/pathway.html"
    folder = practice_with(tmp_path, {where: template})
    output = refused_by_make_and_check(folder, "new-patient", where, "may appear on page 1 only")
    assert NAME not in output


# Each would print a stand-in on the detail pages where the patient's value would have been.
PERSONAL_IN_ANY_FORM = {
    "upper": "<p>For {{ patient|upper }}</p>",
    "default": "<p>For {{ patient|default('you') }}</p>",
    "d": "<p>For {{ note|d('no note') }}</p>",
    "is-defined": "{% if visit_date is defined %}<p>{{ visit_date }}</p>{% else %}<p>Your visit</p>{% endif %}",
    "is-undefined": "{% if patient is undefined %}<p>Dear patient</p>{% endif %}",
    "length": "<p>{{ note|length }} notes</p>",
    "tojson": "<p>{{ patient|tojson }}</p>",
    "dynamic-include": "{% include 'partials/' ~ 'greet.html' %}",
}


@pytest.mark.parametrize("payload", PERSONAL_IN_ANY_FORM.values(), ids=PERSONAL_IN_ANY_FORM)
def test_a_personal_value_in_the_page_templates_detail_block_fails_when_rendered(tmp_path, payload):
    """What a static look cannot see (a block of the page template, a dynamic include) fails when the
    handout is made, in every form: a default or a test never prints a stand-in instead."""
    template = '{% extends "default:handout.html" %}{% block modules %}{{ super() }}' + payload + "{% endblock %}"
    files = {"templates/handout.html": template, "templates/partials/greet.html": "<p>Hello {{ patient }}</p>"}
    folder = practice_with(tmp_path, files)
    output = _refused_by_make(folder)
    assert "is personal and may appear on page 1" in output and "html" in output


SANDBOX_ESCAPES = {
    "cycler": "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "lipsum": "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "namespace": "{{ namespace.__init__.__globals__ }}",
    "mutate": "{% set x = practice.__dict__ %}{{ x }}",
}


@pytest.mark.parametrize("payload", SANDBOX_ESCAPES.values(), ids=SANDBOX_ESCAPES)
def test_a_practice_template_cannot_run_code(tmp_path, payload):
    template = '{% extends "default:handout.html" %}{% block title %}' + payload + "{{ super() }}{% endblock %}"
    folder = practice_with(tmp_path, {"templates/handout.html": template})
    assert "uid=" not in refused_by_make_and_check(folder, "injection", "template error")
    web = create_app(folder).test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/").text).group(1)
    answer = web.post("/handout", data={"csrf_token": token, "visit": "injection", "patient": NAME})
    assert answer.mimetype != "application/pdf" and "uid=" not in answer.text and "template error" in answer.text


# --- templates get data, not objects ---------------------------------------------------------------

MARK = "sandbox-escape"


def _pickle(marker: Path) -> str:
    """A protocol-0 pickle (printable) that touches `marker` when loaded, as a Jinja string literal."""
    return "'cos\\nsystem\\n(S\\'touch " + str(marker) + "\\'\\ntR.'"


# Every way a template could reach a model's method: by attribute, through |attr, by item, through a
# format string; on each object of the context; and methods of plain values (a date's, a dict's).
CALLABLE_PAYLOADS = {
    "attribute": "{{ practice.parse_raw(P, proto='pickle', allow_pickle=True).name }}",
    "attr-filter": "{{ (practice|attr('parse_raw'))(P, proto='pickle', allow_pickle=True) }}",
    "item": "{{ practice['parse_raw'](P, proto='pickle', allow_pickle=True) }}",
    "visit": "{{ visit.parse_raw(P, proto='pickle', allow_pickle=True) }}",
    "module": "{{ modules[0].parse_raw(P, proto='pickle', allow_pickle=True) }}",
    "module-copy": "{{ modules[0].model_copy() }}",
    "validate-json": "{{ visit.model_validate_json('{}') }}",
    "format": "{{ '{0.parse_raw}'.format(practice) }}",
    "format-filter": "{{ '%s'|format(practice.parse_raw) }}",
    "dict-method": "{% for k, v in instructions.items() %}{{ k }}{% endfor %}",
    "date-method": "{{ visit_date.replace(year=1) }}",
    "str-method": "{{ practice.name.format(practice) }}",
}


def _payload_practice(tmp_path: Path, payload: str) -> tuple[Path, Path]:
    marker = tmp_path / MARK
    body = payload.replace("P", _pickle(marker)) if "(P," in payload else payload
    template = '{% extends "default:handout.html" %}{% block title %}' + body + "{{ super() }}{% endblock %}"
    return practice_with(tmp_path, {"templates/handout.html": template}), marker


def _refused_by_make(folder: Path, visit: str = "injection") -> str:
    out = folder.parent / "x.pdf"
    made = invoke("make", visit, "-p", NAME, "-o", out, "--practice", folder)
    assert made.exit_code == 2 and not out.exists() and "template error" in made.output, made.output
    return made.output


@pytest.mark.parametrize("payload", CALLABLE_PAYLOADS.values(), ids=CALLABLE_PAYLOADS)
def test_no_method_of_the_context_can_be_called(tmp_path, payload):
    folder, marker = _payload_practice(tmp_path, payload)
    _refused_by_make(folder)
    assert not marker.exists()


def test_a_method_call_is_refused_by_make_check_web_and_batch(tmp_path):
    """The four ways a handout is made share the environment; each refuses the payload alike."""
    folder, marker = _payload_practice(tmp_path, CALLABLE_PAYLOADS["attribute"])
    refused_by_make_and_check(folder, "injection", "template error")
    web = create_app(folder).test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/").text).group(1)
    answer = web.post("/handout", data={"csrf_token": token, "visit": "injection", "patient": NAME})
    assert answer.mimetype != "application/pdf" and "template error" in answer.text
    schedule = tmp_path / "day.csv"
    schedule.write_text(f"visit,patient,date\ninjection,{NAME},2026-03-14\n")
    batched = invoke("batch", schedule, "-o", tmp_path / "out", "-j", "1", "--practice", folder)
    assert batched.exit_code == 1 and "template error" in batched.output
    assert not list((tmp_path / "out").glob("*.pdf"))
    assert not marker.exists()


def test_a_template_planted_in_the_record_is_refused_on_reprint_as_on_make(tmp_path, monkeypatch):
    """Edited ledger rows (a stored file and the list that names it, consistent with each other) must not
    run code when the record is made again: the reprint refuses it as make would refuse it today."""
    import json
    import sqlite3

    monkeypatch.delenv("HANDOUTS_LEDGER")  # this practice keeps its record in its folder
    folder = practice_with(tmp_path, {"templates/handout.html": '{% extends "default:handout.html" %}'})
    made = invoke("make", "injection", "-p", NAME, "-o", tmp_path / "given.pdf", "--practice", folder)
    assert made.exit_code == 0, made.output
    marker = tmp_path / MARK
    planted = _payload_practice(tmp_path / "planted", CALLABLE_PAYLOADS["attribute"])[0] / "templates/handout.html"
    stored = sqlite3.connect(folder / "ledger.sqlite")
    with stored:
        digest = _planted_blob(stored, planted.read_bytes())
        (ident, files), = stored.execute("SELECT id, files FROM filesets")
        edited = [[r, p, digest if (r, p) == ("practice", PAGE) else d] for r, p, d in json.loads(files)]
        stored.execute("UPDATE filesets SET files = ? WHERE id = ?", (json.dumps(edited), ident))
    stored.close()
    (folder / "templates/handout.html").write_text('{% extends "default:handout.html" %}{# edited #}')
    for command in (["reprint", "1", "-o", tmp_path / "again.pdf"], ["export", "1", "--fhir", tmp_path / "x.json"]):
        result = invoke(*command, "--practice", folder)
        assert result.exit_code == 2 and "template error" in result.output, result.output
    assert not marker.exists() and not (tmp_path / "again.pdf").exists()


PAGE = "templates/handout.html"


def _callables(value, where: str):
    """Every callable reachable from `value` (the way a template reaches things: attributes of records,
    items of mappings and sequences), with where it is."""
    from markupsafe import Markup

    from handouts.render.environment import Withheld
    from handouts.render.plain import Record

    if isinstance(value, Withheld | str | int | float | type(None)) or type(value).__name__ == "date":
        return
    if isinstance(value, Markup):
        return
    if callable(value):
        yield where
    elif isinstance(value, Record):
        for name in value:
            yield from _callables(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _callables(item, f"{where}[{key!r}]")
    elif isinstance(value, tuple):
        for n, item in enumerate(value):
            yield from _callables(item, f"{where}[{n}]")
    else:
        yield f"{where}: {type(value).__name__} is not plain data"


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_name_a_template_can_reach_is_plain_data(lang):
    """Page 1 and the detail pages of every visit type, with every field; in English with the fixture
    practice's surgeon (sections, instructions, links), in Spanish from the built-ins."""
    from handouts.compose.request import build_request
    from handouts.config.catalog import Catalog
    from handouts.render.renderer import PageNumbers, Renderer

    catalog = Catalog.load(FIXTURE if lang == "en" else None)
    renderer = Renderer(catalog)
    for visit in catalog.visits:
        sets = {k: v for k, v in POST_OP.items() if k != "surgeon"} if visit.startswith("post-op") else {}
        request = build_request(
            catalog, visit_id=visit, patient=NAME, visit_date="2026-03-14", sets=sets,
            surgeon="lee" if lang == "en" else None, note="A note.", lang=lang,
        )
        for part, page in (("summary", {"page_numbers": PageNumbers(6, {"red-flags": 2}).anchors}), ("details", {})):
            found = list(_callables(renderer.context(request, part, **page), f"{visit}:{part}"))
            assert found == []


# --- a render has a time limit -------------------------------------------------------------------

ENDLESS = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"


@pytest.fixture(scope="module")
def endless(tmp_path_factory) -> Path:
    """A practice whose injection text loops (all but) forever, with a time limit of 3 seconds."""
    folder = practice_with(tmp_path_factory.mktemp("endless"), {"templates/modules/injections.html": ENDLESS})
    toml = folder / "practice.toml"
    toml.write_text("time_limit = 3\n" + toml.read_text())
    return folder


def test_a_template_that_never_ends_is_stopped_in_make(endless, tmp_path):
    made = invoke("make", "injection", "-p", NAME, "-o", tmp_path / "x.pdf", "--practice", endless)
    assert made.exit_code == 2 and "took more than 3 seconds" in made.output and not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_template_that_never_ends_costs_its_rows_only_in_a_batch(endless, tmp_path, workers):
    schedule = tmp_path / "day.csv"
    rows = [f"{visit},{NAME} {n},2026-03-14" for n, visit in enumerate(["new-patient", "injection", "new-patient"])]
    schedule.write_text("visit,patient,date\n" + "\n".join(rows) + "\n")
    result = invoke("batch", schedule, "-o", tmp_path / "out", "-j", workers, "--practice", endless)
    assert result.exit_code == 1 and "took more than 3 seconds" in result.output
    with (tmp_path / "out" / "manifest.csv").open(newline="") as handle:
        made = [row["row"] for row in csv.DictReader(handle)]
    assert made == ["2", "4"]  # every good row made, the one after the stopped one too


def test_a_template_that_never_ends_answers_the_desk_and_the_next_handout_is_made(endless):
    web = create_app(endless).test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/").text).group(1)
    stopped = web.post("/handout", data={"csrf_token": token, "visit": "injection", "patient": NAME})
    assert stopped.mimetype != "application/pdf" and "took more than 3 seconds" in stopped.text
    made = web.post("/handout", data={"csrf_token": token, "visit": "new-patient", "patient": NAME})
    assert made.mimetype == "application/pdf"


def _stored_files_edited(tmp_path: Path, edit) -> tuple[Path, Path]:
    """A practice with one recorded handout whose stored file list `edit(files, connection)` changed,
    and a practice file changed since (so a reprint lays the stored files out)."""
    import json
    import sqlite3

    folder = practice_with(tmp_path, {})
    made = invoke("make", "injection", "-p", NAME, "-o", tmp_path / "given.pdf", "--practice", folder)
    assert made.exit_code == 0, made.output
    stored = sqlite3.connect(folder / "ledger.sqlite")
    with stored:
        (ident, files), = stored.execute("SELECT id, files FROM filesets")
        edited = json.dumps(edit(json.loads(files), stored))
        stored.execute("UPDATE filesets SET files = ? WHERE id = ?", (edited, ident))
    stored.close()
    with (folder / "styles" / "practice.css").open("a") as css:
        css.write("\n/* edited */\n")
    return folder, tmp_path / "outside"


def _planted_blob(connection, data: bytes) -> str:
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    connection.execute("INSERT INTO blobs (id, data) VALUES (?, ?)", (digest, data))
    return digest


STORED_FILE_EDITS = {
    "absolute-root": lambda files, db: files + [["/tmp", "x-planted.pth", _planted_blob(db, b"1")]],
    "climbing-root": lambda files, db: files + [["../../../../../../tmp", "x-planted.pth", _planted_blob(db, b"2")]],
    "climbing-path": lambda files, db: files + [["practice", "templates/../../x-planted.pth", _planted_blob(db, b"3")]],
    "unknown-top": lambda files, db: files + [["practice", "x-planted.pth", _planted_blob(db, b"4")]],
    "listed-twice": lambda files, db: files + [files[0]],
    "empty-path": lambda files, db: files + [["practice", "", files[0][2]]],
    "not-a-list": lambda files, db: {"a": 1},
    "other-bytes": lambda files, db: db.execute("UPDATE blobs SET data = ? WHERE id = ?", (b"x", files[0][2]))
    and files,
}


@pytest.mark.parametrize("edit", STORED_FILE_EDITS.values(), ids=STORED_FILE_EDITS)
def test_an_edited_stored_file_list_is_refused_in_one_line_and_writes_nothing_outside(tmp_path, monkeypatch, edit):
    """The ledger's file list names where a reprint writes each file: a root or path that leaves the
    private folder, an entry twice, or bytes that are not the ones listed are a damaged record."""
    monkeypatch.delenv("HANDOUTS_LEDGER")
    folder, _ = _stored_files_edited(tmp_path, edit)
    for command in (["reprint", "1", "-o", tmp_path / "again.pdf"], ["export", "1", "--fhir", tmp_path / "x.json"]):
        result = invoke(*command, "--practice", folder)
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        assert "the files stored with this record are damaged" in result.output
    assert not Path("/tmp/x-planted.pth").exists() and not (tmp_path / "again.pdf").exists()


HUGE = {
    "center": "{% set a = 'x'|center(3000000000) %}",
    "format": "{% set a = '%3000000000s'|format(1) %}",
    "doubling": "{% set ns = namespace(x='x' * 100000) %}{% for i in range(20) %}{% set ns.x = ns.x ~ ns.x %}"
    "{% endfor %}",
}


@pytest.mark.parametrize("payload", HUGE.values(), ids=HUGE)
def test_a_template_that_builds_huge_text_is_stopped_and_the_next_handout_is_made(tmp_path, payload):
    """Each one allocation, or a few, of gigabytes: a handout may hold 2 GB at most (limits.py), so a
    practice template cannot take the computer's memory from the page, the database or other workers."""
    folder = practice_with(tmp_path, {"templates/modules/injections.html": payload})
    made = invoke("make", "injection", "-p", NAME, "-o", tmp_path / "x.pdf", "--practice", folder)
    assert made.exit_code == 2 and "needed more than 2 GB of memory" in made.output, made.output
    other = invoke("make", "new-patient", "-p", NAME, "-o", tmp_path / "y.pdf", "--practice", folder)
    assert other.exit_code == 0, other.output


def test_a_process_that_holds_much_already_still_makes_a_handout():
    """The memory limit was 2 GB for the whole process: a long-lived one (a test run, a render worker
    after a day of layouts) that held that much already failed every handout, and a test worker
    crashed mid-batch. The limit is 2 GB on top of what the process holds."""
    import mmap

    from handouts.base.limits import limits

    held = mmap.mmap(-1, 2 * 1024**3 + 256 * 1024**2, flags=mmap.MAP_PRIVATE)  # data, never touched: no memory used
    try:
        with limits(30):
            made = bytearray(64 * 1024**2)
        assert len(made) == 64 * 1024**2
    finally:
        held.close()


DEEP = "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}"
CARELESS_FILES = {
    "nested module": ({"templates/modules/walking.html": DEEP}, "templates/modules/walking.html:1: template error: "
                      "brackets, filters or blocks are nested too deeply"),
    "nested page": ({"templates/handout.html": '{% extends "default:handout.html" %}{% block title %}' + DEEP
                     + "{% endblock %}"}, "handout.html:1: template error: brackets, filters or blocks are nested"),
    "cp1252 template": ({"templates/modules/walking.html": b"<p>caf\xe9</p>"}, "walking.html is not UTF-8 text"),
    "cp1252 style": ({"styles/practice.css": b"/* caf\xe9 */ h1 { color: #000 }"}, "practice.css is not UTF-8 text"),
}


@pytest.mark.parametrize(("files", "message"), CARELESS_FILES.values(), ids=CARELESS_FILES)
def test_a_template_or_style_that_cannot_be_read_is_one_line_in_make_and_on_the_page(tmp_path, files, message):
    folder = practice_with(tmp_path, {})
    for name, content in files.items():
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    made = invoke("make", "new-patient", "-p", NAME, "-o", tmp_path / "x.pdf", "--practice", folder)
    assert made.exit_code == 2 and message in made.output and "Traceback" not in made.output, made.output
    web = create_app(folder).test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/").text).group(1)
    answer = web.post("/handout", data={"csrf_token": token, "visit": "new-patient", "patient": NAME})
    assert answer.mimetype != "application/pdf" and "The handout could not be made" in answer.text
    assert message.split(":")[-1].strip() in answer.text.replace("&#39;", "'")


@pytest.mark.parametrize(
    "payload",
    ["{{ practice[patient] }}", "{{ practice[note[0]] }}", "{{ 1 + patient }}", "{{ practice[fields.procedure] }}"],
)
def test_a_template_error_never_carries_the_patients_values(tmp_path, payload):
    """Jinja quotes a key or value it could not use; the message goes to the screen, errors.csv and the page."""
    template = '{% extends "default:handout.html" %}{% block title %}' + payload + "{{ super() }}{% endblock %}"
    folder = practice_with(tmp_path, {"templates/handout.html": template})
    secret, note, procedure = "Zelda O'Secretname", "Bring the brace Tuesday", "L4-L5 fusion"
    made = invoke("make", "post-op", "-p", secret, "--note", note, "--set", f"procedure={procedure}",
                  "-o", tmp_path / "x.pdf", "--practice", folder)
    assert made.exit_code == 2 and "template error" in made.output, made.output
    assert not any(value in made.output for value in (secret, "Secretname", note, procedure))
    schedule = tmp_path / "day.csv"
    schedule.write_text(f'visit,patient,date,procedure\npost-op,"{secret}",2026-03-14,{procedure}\n')
    batched = invoke("batch", schedule, "-o", tmp_path / "out", "-j", "1", "--practice", folder)
    errors = (tmp_path / "out" / "errors.csv").read_text()
    assert batched.exit_code == 1 and "template error" in errors
    assert not any(value in batched.output + errors for value in (secret, "Secretname", procedure))

"""The front-desk page through Flask's test client: every route, every error, the safe defaults."""

import base64
import io
import json
import logging
import re
import shutil
import socket
import tomllib
from datetime import date
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.base.errors import UserError
from handouts.base.output import WriteError, write_atomic
from handouts.base.scratch import private_tempdir
from handouts.cli.main import main
from handouts.cli.serve import is_loopback, serve
from handouts.config import approvers
from handouts.config.catalog import Catalog
from handouts.render.renderer import Renderer
from handouts.web import create_app
from handouts.web.drafts import NOT_AN_APPROVER

import pdfcheck
from conftest import NAME, finished

FIXTURE = Path(__file__).parent / "fixtures" / "practice"
WEB = Path(__file__).resolve().parent.parent / "handouts" / "web"


@pytest.fixture(scope="module")
def client():
    return create_app().test_client()


@pytest.fixture(scope="module")
def riverbend():
    return create_app(FIXTURE).test_client()


@pytest.fixture
def practice(tmp_path) -> Path:
    """A writable copy of the fixture practice, for saving a surgeon's defaults."""
    return Path(shutil.copytree(FIXTURE, tmp_path / "practice"))


def token(client, url: str = "/") -> str:
    """The CSRF token of the form on `url` (and the session cookie that goes with it)."""
    page = client.get(url)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def post(client, url: str = "/handout", **fields):
    return client.post(url, data={"csrf_token": token(client), **fields})


def error_beside(page: str, field: str) -> str:
    """The message shown beside `field`, as the person reads it."""
    found = re.search(rf'<p class="error" id="{re.escape(field)}-error">(.*?)</p>', page, re.S)
    assert found, f"no message beside {field!r}"
    return unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip("! ").strip()


def refused(client, url: str, data: dict, field: str, message: str) -> str:
    """Post a form that must come back (400) with `message` beside `field` ("form": anywhere on the
    page, for a message that belongs to no one field); the page, as HTML."""
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert message in (error_beside(response.text, field) if field != "form" else unescape(response.text))
    return response.text


# --- the page -------------------------------------------------------------------------------------


def test_page_offers_every_visit_with_its_purpose_and_today(client, catalog):
    page = client.get("/")
    assert page.status_code == 200
    for visit in catalog.visits.values():
        assert f'value="{visit.id}"' in page.text
        assert unescape(page.text).count(visit.purpose) == 1
    assert f'name="date" type="date" value="{date.today().isoformat()}"' in page.text
    for label in ('for="patient"', 'for="date"', 'for="note"', 'name="paper" value="a4"', 'name="large_print"'):
        assert label in page.text
    assert 'id="surgeon"' not in page.text  # no profiles in the built-in practice: no dropdown


def test_surgeon_dropdown_and_practice_branding(riverbend):
    page = riverbend.get("/")
    assert '<option value="lee">Dr. Avery Lee, MD</option>' in page.text
    assert "Riverbend Spine Center" in page.text
    assert "--brand: #006400" in riverbend.get("/theme.css").text
    unknown = post(riverbend, visit="post-op", patient="Ana Silva", surgeon="nobody")
    assert error_beside(unknown.text, "surgeon") == "Unknown surgeon 'nobody'; known surgeons: lee."
    assert 'aria-invalid="true" aria-describedby="surgeon-error"' in unknown.text


def test_pages_load_only_local_files(client):
    """No CDN, no external font: every src/href is a path on this server, and the CSP says so."""
    for url in ("/", "/surgeon", "/batch"):
        page = client.get(url)
        assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
        for link in re.findall(r'(?:src|href|action)="([^"]*)"', page.text):
            assert link.startswith(("/", "#")), link
    loads = r"""(?:src|href|action)\s*=\s*["']?([^"' >]+)|url\(\s*["']?([^"')]+)|@import\s+["']([^"']+)"""
    for path in [*WEB.glob("static/*"), *WEB.glob("templates/*")]:
        for found in re.findall(loads, path.read_text(encoding="utf-8")):
            link = "".join(found)
            assert not re.match(r"(https?:)?//", link), f"{path.name}: {link}"
    assert client.get("/static/page.css").status_code == 200
    assert client.get("/static/page.js").status_code == 200


# --- POST /handout: the contract -----------------------------------------------------------------


def test_handout_is_a_pdf_with_the_name_and_title(client):
    response = post(client, visit="post-op", patient=NAME, date="2026-03-14", surgery_date="2026-03-10")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'inline; filename="post-op-2026-03-14.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    text = pdfcheck.text(response.data)
    assert NAME in text and "After your decompression surgery" in text
    assert "March 14, 2026" in text and "Mar 10" in text  # the visit date, and the surgery date on the timeline


def test_large_print_a4_and_download(client):
    response = post(client, visit="injection", patient="Tom Baker", paper="a4", large_print="1", download="1")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert pdfcheck.page_size_pt(response.data) == (595, 842)
    assert max(pdfcheck.font_sizes(response.data)) > 20 and "Tom Baker" in pdfcheck.text(response.data)


def test_surgeon_profile_on_the_handout(riverbend):
    response = post(riverbend, visit="post-op", patient=NAME, surgeon="lee", note="Bring your walker.")
    text = pdfcheck.text(response.data)
    assert "Dr. Avery Lee, MD" in text and "Dr. Lee's rule: walk three times a day." in text
    assert "Bring your walker." in text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"visit": ""}, "visit", "Choose one of these visit types."),
        ({"visit": "consult"}, "visit", "Unknown visit type 'consult'"),
        ({"patient": "   "}, "patient", "Type the patient's name as it should be printed."),
        ({"patient": "x" * 151}, "patient", "The patient name is 151 characters long; the most allowed is 150."),
        ({"patient": "Ana\x07Silva"}, "patient", "The patient name contains a control"),
        ({"date": "2026-02-30"}, "date", "The date '2026-02-30' is not a real date"),
        ({"date": "14/03/2026"}, "date", "is not written as YYYY-MM-DD"),
        ({"paper": "legal"}, "paper", "Choose US Letter or A4."),
        ({"surgery_date": "2026-13-01"}, "surgery_date", "The surgery date '2026-13-01' is not a real date"),
        ({"surgeon": "nobody"}, "surgeon", "Unknown surgeon 'nobody'"),
        ({"note": "x" * 1501}, "note", "The note is 1501 characters long"),
    ],
)
def test_bad_input_shows_the_form_again_with_the_message_beside_the_field(client, fields, field, message):
    values = {"visit": "post-op", "patient": "Ana Silva", "date": "2026-03-14", **fields}
    response = post(client, **values)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert message in error_beside(response.text, field)
    if field != "surgeon":  # no profiles, no dropdown: the message stands alone
        assert f'aria-describedby="{field}-error"' in response.text
    assert "Please check the field marked below." in response.text
    if field != "visit":
        assert 'value="post-op" checked' in response.text  # what was typed stays
    if field != "patient":
        assert 'value="Ana Silva"' in response.text


def test_every_problem_at_once(client):
    response = post(client, visit="", patient="", date="2026-02-30")
    assert {"visit", "patient", "date"} <= set(re.findall(r'id="(\w+)-error"', response.text))
    assert "Please check the fields marked below." in response.text


def test_csrf_token_is_required(client):
    no_token = client.post("/handout", data={"visit": "injection", "patient": NAME})
    wrong = client.post("/handout", data={"visit": "injection", "patient": NAME, "csrf_token": "forged"})
    for response in (no_token, wrong):
        assert response.status_code == 400 and response.mimetype == "text/html"
        assert "press the button again" in response.text
        assert f'value="{NAME}"'.replace("'", "&#39;") in response.text  # the form again, as typed, with a fresh token
    again = client.post("/handout", data={"visit": "injection", "patient": NAME, "csrf_token": token(client)})
    assert again.mimetype == "application/pdf"


def test_a_token_from_another_session_is_refused(client):
    stranger = create_app().test_client()
    assert post(stranger, visit="injection", patient="A").status_code == 200
    response = client.post("/handout", data={"visit": "injection", "patient": "A", "csrf_token": token(stranger)})
    assert response.status_code == 400


def test_wrong_method_and_unknown_page(client):
    assert client.get("/handout").status_code == 405
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "There is no page here." in missing.text


def test_request_size_is_limited(client):
    huge = client.post("/handout", data={"csrf_token": "x", "note": "x" * (6 * 1024 * 1024)})
    assert huge.status_code == 413 and "larger than 5 MB" in huge.text


def test_patient_data_is_not_logged(client, caplog):
    caplog.set_level(logging.DEBUG)
    post(client, visit="injection", patient=NAME)
    post(client, visit="injection", patient=NAME, date="bad")
    client.post("/handout", data={"visit": "injection", "patient": NAME})
    assert all(NAME not in record.getMessage() for record in caplog.records)


# --- safe defaults -------------------------------------------------------------------------------


def test_security_headers():
    page = create_app().test_client().get("/")
    assert page.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_password_when_configured():
    client = create_app(password="correct horse battery").test_client()
    refused = client.get("/")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Basic")
    assert client.get("/", auth=("frontdesk", "wrong")).status_code == 401
    assert client.get("/static/page.css").status_code == 401
    assert client.get("/", auth=("frontdesk", "correct horse battery")).status_code == 200


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("127.0.0.1:8000", 200),
        ("127.0.0.5", 200),  # all of 127/8 is this computer
        ("[::1]:8000", 200),
        ("localhost:8000", 200),
        ("LocalHost.:8000", 200),  # names compare without case or a trailing dot
        ("clinic-pc", 200),
        ("rebound.example:8000", 400),  # DNS rebinding: the attacker's own name
        ("clinic-pc.rebound.example", 400),
        ("localhost.rebound.example:8000", 400),
        ("203.0.113.7:8000", 400),  # an address, but not one of this computer's
        ("0.0.0.0:8000", 400),
        ("[::]:8000", 400),
        ("[::1:8000", 400),
        ("clinic-pc/x", 400),
    ],
)
def test_host_header_must_name_this_computer(host, status):
    client = create_app(trusted_hosts=["localhost", "Clinic-PC"]).test_client()
    response = client.get("/", headers={"Host": host})
    assert response.status_code == status, host
    if status == 400:
        assert "--allow-host NAME" in response.text and "csrf_token" not in response.text


def test_assets_only_from_the_asset_folders(client, riverbend):
    font = client.get("/assets/fonts/AtkinsonHyperlegible_400Regular.ttf")
    assert font.status_code == 200 and font.mimetype == "font/ttf"
    logo = client.get("/assets/logo.svg")
    assert logo.mimetype == "image/svg+xml" and "sandbox" in logo.headers["Content-Security-Policy"]
    assert riverbend.get("/assets/riverbend.png").mimetype == "image/png"
    escapes = ("../pyproject.toml", "%2e%2e/pyproject.toml", "..%2Fpyproject.toml", "fonts/../../README.md")
    bad_names = ("%00", "fonts/%00", "logo.svg%00.png", "x" * 300, "x/" * 3000, "%ff", "%ED%A0%80")
    for name in (*escapes, *bad_names, "nope.svg"):
        assert client.get(f"/assets/{name}").status_code == 404, name[:20]


# --- the surgeon's post-op sheet ------------------------------------------------------------------


def test_surgeon_page_fills_in_the_profile(riverbend):
    page = riverbend.get("/surgeon?id=lee")
    assert page.status_code == 200
    assert "Dr. Lee&#39;s rule: walk three times a day.</textarea>" in page.text
    assert 'name="follow_up_weeks" type="text" inputmode="numeric" value="2"' in page.text
    assert "Practice rule: no driving until your surgeon says it is safe." in page.text  # shown as what prints if empty
    assert 'src="/surgeon/preview?id=lee"' in page.text
    assert riverbend.get("/surgeon").text.count("walk three times a day") == 1  # the only profile is opened
    unknown = riverbend.get("/surgeon?id=nobody")
    assert unknown.status_code == 404 and "There is no profile 'nobody'" in unescape(unknown.text)


def test_surgeon_page_shows_what_prints_for_an_empty_topic(riverbend, catalog):
    """Beside each topic, the text that prints when the surgeon leaves it empty: the practice's own
    [post_op] where it has one, else the built-in starter text (content/post-op.toml)."""
    page = unescape(riverbend.get("/surgeon?id=lee").text)
    hints = dict(re.findall(r'<label for="t-(\w+)">.*?</label>\s*<p class="hint">(.*?)</p>', page, re.S))
    assert "Practice rule: no driving until your surgeon says it is safe." in hints["driving"]
    for topic in ("activity", "lifting", "wound_care", "medicines"):
        starter = getattr(catalog.post_op, topic)
        assert starter and starter[:60] in hints[topic], topic


def test_surgeon_page_without_a_practice_says_saving_is_off(client):
    page = client.get("/surgeon")
    assert page.status_code == 200 and "Saving, approving and adding a profile need a practice folder" in page.text
    assert "There are no surgeon profiles yet" in page.text


def test_preview_is_the_printed_sheet_page_by_page(riverbend):
    """Issue 14: the preview said "read the box on page  and act" and put the footer under the header;
    it now shows the sheet's PDF, each page a picture, with the page numbers as printed."""
    preview = riverbend.get("/surgeon/preview?id=lee")
    assert preview.mimetype == "text/html"
    assert preview.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "script-src" not in preview.headers["Content-Security-Policy"]  # no script may run at all
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', preview.text)
    sheet = post(riverbend, visit="post-op", patient="Sample Patient", surgeon="lee").data
    assert len(images) == pdfcheck.pages(sheet) and "Page 1 of" in preview.text
    assert all(base64.b64decode(image).startswith(b"\x89PNG") for image in images)
    text = unescape(preview.text)
    assert re.search(r"read the box on page \d+ and act right away", text), "the page number is missing"
    assert "After your decompression surgery" in text and "Sample Patient" in text
    assert "Dr. Lee's rule: walk three times a day." in text and "Dr. Lee's extra tips" in text
    assert re.findall(r'(?:src|href)="([^"]*)"', preview.text) == [f"data:image/png;base64,{i}" for i in images]


def test_preview_follows_the_edits_and_escapes_them(riverbend):
    fields = {"surgeon": "lee", "activity": "Walk <b>five</b> times {{ 7*7 }}", "follow_up_weeks": "3"}
    fields |= {"surgery_date": "2026-03-10", "procedure": "L4-L5 decompression"}
    preview = riverbend.post("/surgeon/preview", data={"csrf_token": token(riverbend, "/surgeon"), **fields})
    assert "Walk &lt;b&gt;five&lt;/b&gt; times {{ 7*7 }}" in preview.text
    assert "March 31, 2026" in preview.text  # follow-up: surgery date + 3 weeks
    assert "L4-L5 decompression" in preview.text
    text = unescape(preview.text)
    assert "Dr. Lee's rule: keep the dressing dry." not in text  # emptied: not set in the profile any more
    assert "Practice rule: no driving until your surgeon says it is safe." in text  # empty: the practice's text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"activity": "x" * 4001}, "Activity: This is 4001 characters long; the most allowed is 4000."),
        ({"follow_up_weeks": "two"}, "Write a whole number of weeks"),
        ({"follow_up_weeks": "60"}, "from 1 to 52"),
        ({"surgery_date": "2026-99-01"}, "is not a real date"),
        ({"medicines": "Take one\x00"}, "Medicines: This text contains a control or unassigned character"),
    ],
)
def test_preview_says_what_to_fix(riverbend, fields, message):
    data = {"csrf_token": token(riverbend, "/surgeon"), "surgeon": "lee", **fields}
    preview = riverbend.post("/surgeon/preview", data=data)
    assert "Fix this to see the preview" in preview.text and message in unescape(preview.text)


def test_preview_of_the_practice_defaults(client):
    data = {"csrf_token": token(client, "/surgeon"), "driving": "No driving for two weeks."}
    preview = client.post("/surgeon/preview", data=data)
    assert "No driving for two weeks." in preview.text and "Sample Patient" in preview.text


def test_save_as_my_defaults(practice, monkeypatch):
    monkeypatch.delenv("HANDOUTS_LEDGER")  # the record on: the save's trial print must not be recorded as given
    client = create_app(practice).test_client()
    before = tomllib.loads((practice / "surgeons" / "lee.toml").read_text())
    data = {
        "csrf_token": token(client, "/surgeon?id=lee"),
        "surgeon": "lee",
        "activity": "Walk five times a day.\nRest between walks.",
        "wound_care": "",
        "lifting": "Nothing heavier than 4½ kg – a gallon of milk.",  # any character the fonts have is fine
        "follow_up_weeks": "3",
        "procedure": "not saved",
    }
    response = client.post("/surgeon/save", data=data)
    assert response.status_code == 303 and response.headers["Location"] == "/surgeon?id=lee&saved=lee"
    path = practice / "surgeons" / "lee.toml"
    assert path.stat().st_mode & 0o777 == 0o644
    saved = tomllib.loads(path.read_text())
    assert saved["post_op"] == {
        "activity": "Walk five times a day.\nRest between walks.",
        "lifting": "Nothing heavier than 4½ kg – a gallon of milk.",
        "follow_up_weeks": 3,
    }
    assert {k: v for k, v in saved.items() if k != "post_op"} == {k: v for k, v in before.items() if k != "post_op"}
    assert Catalog.load(practice).surgeons["lee"].post_op.follow_up_weeks == 3  # the whole practice still loads
    page = client.get(response.headers["Location"])
    assert "Saved. These are now Dr. Avery Lee, MD" in unescape(page.text) and "Walk five times a day." in page.text
    assert [p.name for p in path.parent.iterdir()] == ["lee.toml"]  # no temporary file left behind
    assert not (practice / "ledger.sqlite").exists()


def test_save_keeps_the_profile_files_comments_and_layout(practice):
    path = practice / "surgeons" / "lee.toml"
    text = path.read_text().replace('phone = "555-0150"', 'phone = "555-0150"  # the office line, not my cell')
    path.write_text("# Dr. Lee's profile: ask Sam before changing it.\n" + text)
    client = create_app(practice).test_client()
    data = {"csrf_token": token(client, "/surgeon?id=lee"), "surgeon": "lee", "activity": "Walk.\r\nRest."}
    data |= {"driving": "Wait.", "wound_care": "Dr. Lee's rule: keep the dressing dry.", "follow_up_weeks": "2"}
    assert client.post("/surgeon/save", data=data).status_code == 303
    saved = path.read_text()
    assert saved.startswith("# Dr. Lee's profile: ask Sam before changing it.\n")
    assert 'phone = "555-0150"  # the office line, not my cell\n' in saved
    # a kept key stays where it was, a new one follows the last, the lines typed are lines in the file
    assert '[post_op]\nactivity = """Walk.\nRest."""\nwound_care = "Dr. Lee' in saved
    assert 'follow_up_weeks = 2\ndriving = "Wait."\n\n[visits.post-op]' in saved
    assert saved.endswith('- Tip two {{ 7*7 }}\n"""\n')  # the rest of the file as it was
    assert Catalog.load(practice).surgeons["lee"].post_op.activity == "Walk.\nRest."


def test_save_into_a_profile_without_post_op_instructions(practice):
    """A profile written by hand with no [post_op] table (or an empty one at the end of the file): the
    first save gives it one (the page answered with an error, and the preview of the practice's own
    defaults, an empty [post_op] at the end of practice.toml, did too)."""
    path = practice / "surgeons" / "lee.toml"
    text = path.read_text()
    start, end = text.index("[post_op]"), text.index("[visits.post-op]")
    path.write_text(text[:start] + text[end:])
    client = create_app(practice).test_client()
    data = {"csrf_token": token(client, "/surgeon?id=lee"), "surgeon": "lee", "driving": "Wait two weeks."}
    assert client.post("/surgeon/save", data=data).status_code == 303
    assert tomllib.loads(path.read_text())["post_op"] == {"driving": "Wait two weeks."}
    assert Catalog.load(practice).surgeons["lee"].post_op.driving == "Wait two weeks."


def opened(page: str) -> dict[str, str]:
    """The post-op form's fields as `page` holds them: what a browser sends back when Save is pressed."""
    start = page.index('<form id="postop"')
    form = page[start : page.index("</form>", start)]
    inputs = re.findall(r'<input [^>]*?name="(\w+)"[^>]*? value="([^"]*)"', form)
    typed = re.findall(r'<textarea id="t-\w+" name="(\w+)"[^>]*>(.*?)</textarea>', form, re.S)
    return {name: unescape(value) for name, value in inputs + typed}


def test_two_browsers_saving_one_profile_the_later_is_refused_and_shown_what_changed(practice):
    """Both were told "Saved" and the first edit was lost: now the second save, from a page opened
    before the first, is refused, keeps what was typed, and shows the first one's text; saving
    again then replaces it knowingly. A change elsewhere in the file (not the instructions) is kept."""
    path = practice / "surgeons" / "lee.toml"
    app = create_app(practice)
    first, second = app.test_client(), app.test_client()
    mine, theirs = (opened(browser.get("/surgeon?id=lee").text) for browser in (first, second))
    assert first.post("/surgeon/save", data={**mine, "activity": "Walk four times a day."}).status_code == 303
    late = second.post("/surgeon/save", data={**theirs, "driving": "No driving for two weeks."})
    assert late.status_code == 400
    page = unescape(late.text)
    assert "Not saved. Someone saved this profile after you opened this page" in page
    assert "Changed: Activity." in page
    assert error_beside(late.text, "activity").startswith(
        "Changed since you opened this page. Saved now: “Walk four times a day.” Yours is below"
    )
    assert "No driving for two weeks." in page  # what the second one typed is still in the form
    saved = tomllib.loads(path.read_text())["post_op"]
    assert saved["activity"] == "Walk four times a day." and "driving" not in saved
    again = opened(late.text)  # the refused page holds the file's version now: saving again is knowing
    assert mine["version"] == theirs["version"] != again["version"]
    assert second.post("/surgeon/save", data={**again, "activity": "Walk four times a day."}).status_code == 303
    saved = tomllib.loads(path.read_text())["post_op"]
    assert saved["activity"] == "Walk four times a day." and saved["driving"] == "No driving for two weeks."
    # someone edits the phone number by hand meanwhile: nothing of the instructions changed, so the save goes
    fresh = opened(first.get("/surgeon?id=lee").text)
    path.write_text(path.read_text().replace('phone = "555-0150"', 'phone = "555-0199"'))
    assert first.post("/surgeon/save", data={**fresh, "lifting": "Nothing heavy."}).status_code == 303
    assert 'phone = "555-0199"' in path.read_text() and 'lifting = "Nothing heavy."' in path.read_text()


def test_save_needs_no_approval_first(practice):
    """New text is a draft until approved; the trial print on save does not ask for the approval."""
    toml = practice / "practice.toml"
    toml.write_text("require_approval = true\n" + toml.read_text())
    client = create_app(practice).test_client()
    data = {"csrf_token": token(client, "/surgeon?id=lee"), "surgeon": "lee", "activity": "Walk twice a day."}
    assert client.post("/surgeon/save", data=data).status_code == 303
    assert "Walk twice a day." in (practice / "surgeons" / "lee.toml").read_text()


def test_save_without_a_practice_folder_is_refused(client):
    response = client.post("/surgeon/save", data={"csrf_token": token(client, "/surgeon"), "activity": "Walk."})
    assert response.status_code == 400
    message = "Not saved. Saving, approving and adding a profile need a practice folder: start the page with --practice"
    assert message in unescape(response.text)


def test_save_needs_the_csrf_token(practice):
    client = create_app(practice).test_client()
    before = (practice / "surgeons" / "lee.toml").read_bytes()
    response = client.post("/surgeon/save", data={"surgeon": "lee", "activity": "Forged."})
    assert response.status_code == 400 and "press the button again" in response.text
    assert (practice / "surgeons" / "lee.toml").read_bytes() == before


def test_a_broken_practice_file_is_said_plainly_and_named_in_the_log(practice, caplog):
    """The desk reads that the settings have a problem and whom to tell; the file and key go to the server's
    log, for whoever keeps the practice folder."""
    client = create_app(practice).test_client()
    (practice / "practice.toml").write_text('name = "Riverbend"\nnmae = "typo"\nphone = "555"\n')
    page = client.get("/")
    assert page.status_code == 500 and "The practice settings have a problem" in page.text
    assert "nmae" not in page.text and "practice.toml" not in page.text
    assert "unknown key 'nmae'" in caplog.text and "practice.toml" in caplog.text


# --- approving the texts, adding a profile --------------------------------------------------------


SECRET = "tulip mortar 42"  # Dr. Lee's own approval secret


def approving(practice: Path, on_network: bool = False):
    """A client of the page served on this computer (loopback), Dr. Lee an approver of the practice with SECRET."""
    approvers.add(practice, "Dr. Avery Lee", "MD, spine surgeon", SECRET)
    return create_app(practice, on_network=on_network).test_client()


def drafts_on(page: str) -> dict[str, str]:
    """The drafts the page offers to approve: unit -> version."""
    return dict(re.findall(r'name="unit" value="([a-z]+:[a-z0-9-]+)=([0-9a-f]+)"', page))


# The texts of Dr. Lee's post-op sheet that print as drafts in the fixture practice: the general ones,
# the surgeon's own, and the practice's styles and images (style:practice).
SHEET_DRAFTS = ["module:post-op-care", "module:red-flags", "visit:post-op", "surgeon:lee", "style:practice"]


def test_surgeon_page_lists_the_drafts_with_why_and_version(practice):
    client = approving(practice)
    page = client.get("/surgeon?id=lee")
    units = Renderer(Catalog.load(practice)).units
    assert drafts_on(page.text) == {uid: units[uid].version for uid in SHEET_DRAFTS}
    text = unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page.text)))  # as read
    assert "Your care at home module:post-op-care, version " + units["module:post-op-care"].version in text
    assert "Common practice, not in the clinical source" in text and "The practice's own text." in text
    assert 'id="by" name="by" type="text" value="Dr. Avery Lee"' in page.text  # prefilled from the profile
    assert 'id="secret" name="secret" type="password"' in page.text and 'name="role"' not in page.text
    assert "I have read this text" in page.text


def test_approve_writes_the_record_and_the_draft_mark_goes(practice):
    client = approving(practice)
    page = client.get("/surgeon?id=lee")
    assert "Draft: not yet approved by Riverbend" in client.get("/surgeon/preview?id=lee").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    drafts = drafts_on(page.text)
    data = {"csrf_token": csrf, "surgeon": "lee", "by": " dr. avery  LEE ", "secret": SECRET, "confirm": "yes"}
    response = client.post("/surgeon/approve", data={**data, "unit": [f"{u}={v}" for u, v in drafts.items()]})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/surgeon?id=lee&approved={len(SHEET_DRAFTS)}"
    record = Catalog.load(practice).approvals  # the file `handouts approve` writes, read as `make` reads it
    for unit, version in drafts.items():
        approval = record.of(unit, version)
        assert (approval.by, approval.role) == ("Dr. Avery Lee", "MD, spine surgeon")  # as approvers.toml has them
    assert (practice / "approvals.toml").read_text().startswith("# Who approved which text")
    after = client.get(response.headers["Location"])
    assert f"Approved {len(SHEET_DRAFTS)} texts: recorded in the practice&#39;s approvals.toml" in after.text
    assert drafts_on(after.text) == {} and "is approved or comes from the clinical source" in after.text
    assert "Draft: not yet approved" not in client.get("/surgeon/preview?id=lee").text
    handout = post(client, visit="post-op", patient=NAME, surgeon="lee")
    assert NAME in pdfcheck.text(handout.data) and "not yet approved" not in pdfcheck.text(handout.data)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"confirm": None}, "confirm", "Confirm that you have read the text: tick the box."),
        ({"unit": None}, "units", "Tick each text you have read and approve."),
        ({"unit": "module:red-flags=0123456789"}, "units", "module:red-flags: changed or approved since this page"),
        ({"csrf_token": "stale"}, "form", "press the button again"),
        ({"csrf_token": None}, "form", "press the button again"),
    ],
)
def test_approve_refuses_and_writes_nothing(practice, change, field, message):
    client = approving(practice)
    page = client.get("/surgeon?id=lee")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    unit = next(f"{u}={v}" for u, v in drafts_on(page.text).items() if u == "module:red-flags")
    data = {"csrf_token": csrf, "surgeon": "lee", "by": "Dr. Avery Lee", "secret": SECRET, "confirm": "yes"}
    data["unit"] = unit
    data = {key: value for key, value in (data | change).items() if value is not None}
    answer = refused(client, "/surgeon/approve", data, field, message)
    assert not (practice / "approvals.toml").exists()
    assert drafts_on(answer)["module:red-flags"] == unit.partition("=")[2]  # the list is still there


def approve_all(client, **change) -> tuple:
    """Post the approval of every draft of Dr. Lee's sheets as he would, with `change`; (response, page before)."""
    page = client.get("/surgeon?id=lee")
    units = Renderer(Catalog.load(client.application.extensions["handouts"].practice)).units
    wanted = ["module:post-op-care", "module:red-flags", "visit:post-op", "surgeon:lee"]
    data = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1), "surgeon": "lee"}
    data |= {"by": "Dr. Avery Lee", "secret": SECRET, "confirm": "yes"}
    data["unit"] = [f"{u}={units[u].version}" for u in wanted]
    data = {key: value for key, value in (data | change).items() if value is not None}
    return client.post("/surgeon/approve", data=data), page


@pytest.mark.parametrize(
    "change",
    [
        {"secret": None},
        {"secret": ""},
        {"secret": "tulip mortar 43"},
        {"by": "Dr. Ana Diaz"},  # a name that is no approver's, with Dr. Lee's secret
        {"by": "", "confirm": None},
    ],
)
def test_approving_on_the_page_needs_the_approvers_own_secret(practice, change):
    """A name typed proves nothing: without the approver's own secret, 403 and nothing written."""
    client = approving(practice)
    response, _ = approve_all(client, **change)
    assert response.status_code == 403
    assert error_beside(response.text, "secret") == NOT_AN_APPROVER
    assert not (practice / "approvals.toml").exists()
    assert approve_all(client)[0].status_code == 303  # the same form, with the secret: approved
    assert 'by = "Dr. Avery Lee"' in (practice / "approvals.toml").read_text()


def test_approving_on_the_page_needs_an_approver_set_up(practice):
    client = create_app(practice, on_network=False).test_client()
    response, page = approve_all(client)
    assert 'id="approve-form"' not in page.text
    assert "needs an approver's own secret" in unescape(page.text) and "handouts approver --by" in unescape(page.text)
    assert response.status_code == 403 and "Nothing approved. Approving on this page needs" in unescape(response.text)
    assert not (practice / "approvals.toml").exists()


def test_approving_on_the_page_is_off_on_a_network_address(practice):
    """Served on the network, the secret would cross it in the clear: no approving on the page, even with it."""
    client = approving(practice, on_network=True)
    response, page = approve_all(client)
    assert 'id="approve-form"' not in page.text and "off while the page is served on the network" in page.text
    assert response.status_code == 403 and "Nothing approved. Approving on this page is off" in response.text
    assert not (practice / "approvals.toml").exists()


def test_handouts_approver_keeps_a_hash_of_the_secret_only(practice):
    from handouts.cli.main import main

    def add(by: str, secret: str, *more: str):
        args = ["approver", "--by", by, *more, "--practice", str(practice)]
        return CliRunner().invoke(main, args, input=f"{secret}\n{secret}\n")

    assert add("Dr. Avery Lee, MD", "short").exit_code == 2
    assert not (practice / "approvers.toml").exists()
    made = add("Dr. Avery Lee, MD", SECRET)
    assert made.exit_code == 0 and "Dr. Avery Lee (MD) may approve texts on the surgeon page" in made.output
    assert add("Dr. Ana Diaz, DO", "another long one").exit_code == 0
    again = add("dr. avery  lee", "a new secret, longer", "--role", "MD, spine surgeon")  # the same person
    assert again.exit_code == 0
    path = practice / "approvers.toml"
    assert path.stat().st_mode & 0o777 == 0o600 and SECRET not in path.read_text()
    kept = approvers.load(practice)
    assert [(a.by, a.role) for a in kept] == [("Dr. Ana Diaz", "DO"), ("dr. avery lee", "MD, spine surgeon")]
    assert approvers.verify(kept, "Dr. Avery Lee", "a new secret, longer") is not None
    assert approvers.verify(kept, "Dr. Avery Lee", SECRET) is None  # the old secret no longer works
    assert approvers.verify(kept, "Dr. Ana Diaz", "a new secret, longer") is None  # nor another's


def test_serve_says_whether_it_is_on_the_network(monkeypatch):
    seen = []

    def stop(practice, **options):
        seen.append(options["on_network"])
        raise UserError("stopped here")

    monkeypatch.setattr("handouts.web.app.create_app", stop)
    env = {"HANDOUTS_WEB_PASSWORD": "correct horse battery"}
    for host in ("127.0.0.1", "::1", "0.0.0.0", "192.168.1.20"):
        assert CliRunner().invoke(serve, ["--host", host], env=env).exit_code == 2
    assert seen == [False, False, True, True]


def test_the_sample_practice_cannot_be_approved(client):
    page = client.get("/surgeon")
    assert "Not approved here: saving, approving and adding a profile need a practice folder" in page.text
    assert 'name="unit"' not in page.text and 'id="new-profile"' not in page.text
    data = {"csrf_token": token(client, "/surgeon"), "by": "A. Person", "role": "MD", "confirm": "yes"}
    response = client.post("/surgeon/approve", data={**data, "unit": "module:red-flags=0123456789"})
    assert response.status_code == 400 and "Nothing approved. Saving, approving and adding" in response.text
    response = client.post("/surgeon/new", data={**data, "new_id": "ana", "new_name": "Dr. Ana Diaz"})
    assert response.status_code == 400 and "Not added. Saving, approving and adding" in response.text


def test_add_a_surgeon_profile(practice):
    client = approving(practice)
    data = {"csrf_token": token(client, "/surgeon"), "new_id": "diaz", "new_name": " Dr. Ana  Diaz"}
    data["new_phone"] = "555-0177"
    response = client.post("/surgeon/new", data=data)
    assert response.status_code == 303 and response.headers["Location"] == "/surgeon?id=diaz&added=diaz"
    path = practice / "surgeons" / "diaz.toml"
    assert path.stat().st_mode & 0o777 == 0o644
    text = path.read_text()
    assert text.startswith("# A surgeon profile: copy this file")  # the starter, with its comments
    assert 'name = "Dr. Ana Diaz"\nphone = "555-0177"' in text and "credentials" not in text
    assert "# [visits.post-op]" in text
    assert tomllib.loads(text) == {"name": "Dr. Ana Diaz", "phone": "555-0177", "post_op": {}}
    page = client.get(response.headers["Location"])
    assert "Added Dr. Ana Diaz (surgeons/diaz.toml)" in page.text
    assert '<option value="diaz" selected>Dr. Ana Diaz</option>' in page.text
    assert '<option value="lee">Dr. Avery Lee, MD</option>' in page.text
    assert 'id="by" name="by" type="text" value="Dr. Ana Diaz"' in page.text  # her own sheet's drafts, under her name
    assert sorted(p.name for p in path.parent.iterdir()) == ["diaz.toml", "lee.toml"]  # no part file left


SAVE, ADD = "/surgeon/save", "/surgeon/new"
SURGEON_FORMS = {SAVE: {"surgeon": "lee"}, ADD: {"new_id": "diaz", "new_name": "Dr. Ana Diaz"}}


@pytest.mark.parametrize(
    ("url", "fields", "field", "message"),
    [
        (SAVE, {"follow_up_weeks": "0"}, "follow_up_weeks", "Use a number of weeks from 1 to 52"),
        (SAVE, {"medicines": "x" * 4001}, "medicines", "This is 4001 characters long"),
        (SAVE, {"surgeon": "nobody"}, "form", "Not saved. Choose your profile first"),
        # what `make` would refuse for that surgeon's sheets afterwards (issue 10): refused on save instead
        (SAVE, {"activity": "Walk \x1b[31mdaily"}, "activity", "This text contains a control or unassigned character"),
        (SAVE, {"lifting": "No lifting\x00"}, "lifting", "This text contains a control or unassigned character"),
        (SAVE, {"driving": "Drive \U0001f44d"}, "driving", "The printed sheet cannot show \U0001f44d (U+1F44D)"),
        (SAVE, {"wound_care": "Keep it \u202edry"}, "wound_care", "This text contains a hidden character that turns"),
        (ADD, {"new_id": "Ana Diaz"}, "new_id", "Use lower-case letters, digits and hyphens"),
        (ADD, {"new_id": "../diaz"}, "new_id", "Use lower-case letters, digits and hyphens"),
        (ADD, {"new_id": ""}, "new_id", "Use lower-case letters, digits and hyphens"),
        (ADD, {"new_id": "lee"}, "new_id", "There is already a profile 'lee': open it above, or choose another ID."),
        (ADD, {"new_name": ""}, "new_name", "The name is empty: fill it in."),
        (ADD, {"new_credentials": "MD\u202e"}, "new_credentials", "The credentials contains a hidden character"),
        # "Dr. 👍" was saved, then every handout of that surgeon failed: refused on save instead
        (ADD, {"new_name": "Dr. \U0001f44d"}, "new_name", "The handouts cannot print \U0001f44d (U+1F44D)"),
        (ADD, {"new_credentials": "MD \U0001f9ec"}, "new_credentials", "cannot print \U0001f9ec (U+1F9EC)"),
        (ADD, {"new_name": "Dr. Ana\u200b Diaz"}, "new_name", "The name contains an invisible character (U+200B"),
        (ADD, {"csrf_token": "stale"}, "form", "press the button again"),
    ],
)
def test_saving_or_adding_a_profile_refuses_bad_values_and_writes_nothing(practice, url, fields, field, message):
    client = create_app(practice).test_client()
    folder = practice / "surgeons"
    before = {path.name: path.read_bytes() for path in folder.iterdir()}
    data = {"csrf_token": token(client, "/surgeon"), **SURGEON_FORMS[url], **fields}
    page = refused(client, url, data, field, message)
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before  # no file changed, none added
    if url == ADD:
        assert "<details class=\"more add-profile\" open>" in page  # the form open again, as typed
        assert f'value="{data["new_id"]}"' in unescape(page) and f'value="{data["new_name"]}"' in unescape(page)


def test_a_profile_file_with_text_no_font_prints_is_refused_at_load_naming_file_and_key(practice):
    """Written by hand, "Dr. 👍" stops only that surgeon's handouts, saying which file and key; the
    names the bundled fonts print (accents, Greek, Chinese, Korean) load as before."""
    folder = practice / "surgeons"
    (folder / "thumb.toml").write_text('name = "Dr. \U0001f44d"\n', encoding="utf-8")
    (folder / "tips.toml").write_text(
        'name = "Dr. Zoë Nuñez"\n[[visits.post-op.sections]]\ntitle = "Tips"\ntext = "Rest \U0001f9ec often."\n',
        encoding="utf-8",
    )
    (folder / "world.toml").write_text('name = "Dr. Zoë Ξένη 山田 김민준"\n', encoding="utf-8")
    catalog = Catalog.load(practice)
    assert catalog.broken_surgeons["thumb"] == (
        f"{folder / 'thumb.toml'}: key 'name': a character cannot be printed with the handout's fonts: "
        "\U0001f44d (U+1F44D); remove it, or say it in words"
    )
    assert "tips.toml: key 'visits.post-op.sections.0.text': a character cannot be printed" in (
        catalog.broken_surgeons["tips"]
    )
    assert set(catalog.surgeons) == {"lee", "world"}
    client = create_app(practice).test_client()
    data = {"csrf_token": token(client), "visit": "injection", "patient": NAME, "date": "2026-03-14"}
    refused_page = client.post("/handout", data={**data, "surgeon": "thumb"})
    assert refused_page.status_code == 400 and "thumb.toml: key &#39;name&#39;" in refused_page.text
    made = client.post("/handout", data={**data, "surgeon": "world"})
    assert made.mimetype == "application/pdf" and "Dr. Zoë Ξένη 山田 김민준" in pdfcheck.text(made.data)


def test_a_new_profile_is_never_written_over_a_file(tmp_path):
    """The last step of adding a profile: a file that appeared after the check is kept, not replaced."""
    target = tmp_path / "diaz.toml"
    target.write_text("# someone else's\n")
    with pytest.raises(WriteError, match="File exists"):
        write_atomic(target, b'name = "Dr. Ana Diaz"\n', mode=0o644, replace=False)
    assert target.read_text() == "# someone else's\n" and list(tmp_path.iterdir()) == [target]
    write_atomic(tmp_path / "new.toml", b"x = 1\n", mode=0o644, replace=False)
    assert (tmp_path / "new.toml").read_text() == "x = 1\n" and len(list(tmp_path.iterdir())) == 2


# --- a whole day from a schedule ------------------------------------------------------------------

SCHEDULE = "\n".join(
    [
        "visit,patient,date",
        f"post-op,{NAME},2026-03-14",
        "consult,Bad Visit,2026-03-14",
        "injection,Tom Baker,2026-02-30",
    ]
)


def upload(client, data: bytes, name: str = "day.csv"):
    fields = {"csrf_token": token(client, "/batch"), "schedule": (io.BytesIO(data), name)}
    return client.post("/batch", data=fields, content_type="multipart/form-data")


def test_batch_upload_gives_the_print_file_and_the_error_report(riverbend):
    assert riverbend.get("/batch").status_code == 200
    response = upload(riverbend, SCHEDULE.encode())
    assert response.status_code == 303
    running = riverbend.get(response.headers["Location"])
    assert running.status_code == 200 and "<progress" in running.text  # answered at once, made in the background
    page = finished(riverbend, response.headers["Location"])
    assert "1 made" in page.text and "2 need fixing" in page.text
    assert re.search(r"<td>Line 3</td><td>Unknown visit type &#39;consult&#39;", page.text)
    assert re.search(r"<td>Line 4</td><td>The date &#39;2026-02-30&#39; is not a real date", page.text)
    pdf = riverbend.get(response.headers["Location"] + "/handouts.pdf")
    assert pdf.mimetype == "application/pdf" and NAME in pdfcheck.text(pdf.data)
    assert "Riverbend Spine Center" in pdfcheck.text(pdf.data)  # the practice's branding, not the built-in
    # A batch made earlier in this process (another practice, or before an edit) leaves nothing behind.
    builtin = create_app().test_client()
    location = upload(builtin, SCHEDULE.encode()).headers["Location"]
    finished(builtin, location)
    again = builtin.get(location + "/handouts.pdf")
    assert "Sample Spine Practice" in pdfcheck.text(again.data) and "Riverbend" not in pdfcheck.text(again.data)
    report = riverbend.get(response.headers["Location"] + "/errors.csv")
    assert report.mimetype == "text/csv" and report.text.splitlines()[0] == "line,reason"
    # The single handouts (their file names carry names) are gone; the print file stays, privately, for a while.
    for job in private_tempdir().glob("job-*"):
        assert not (job / "handouts").exists() and job.stat().st_mode & 0o077 == 0


def test_an_uploaded_day_is_given_when_its_print_file_is_downloaded_or_printed_not_when_made(practice, monkeypatch):
    """The upload page recorded every row as given as it was made, even when the job was killed half
    way and nobody printed or downloaded anything. Now a job records nothing; the print file shown
    on the page records nothing; downloading it (or pressing Print) records each handout in it once."""
    monkeypatch.delenv("HANDOUTS_LEDGER", raising=False)
    client = create_app(practice).test_client()

    def given() -> list[tuple[str, str]]:
        listed = CliRunner().invoke(main, ["history", "--json", "--show-names", "--practice", str(practice)])
        return [] if listed.output.startswith("Error: no ledger yet") else [
            (row["how"], row["patient"]) for row in json.loads(listed.output)
        ]

    schedule = "visit,patient,date,id\ninjection,Ana Silva,2026-03-14,A-1\ninjection,Tom Baker,2026-03-14,\n"
    location = upload(client, schedule.encode()).headers["Location"]
    assert "2 made" in finished(client, location).text
    assert given() == []  # made, not given
    shown = client.get(location + "/handouts.pdf")  # the frame on the result page
    assert shown.mimetype == "application/pdf" and given() == []
    downloaded = client.get(location + "/handouts.pdf?download=1")
    assert "Tom Baker" in pdfcheck.text(downloaded.data)
    assert sorted(given()) == [("web", "Ana Silva"), ("web", "Tom Baker")]
    printed = client.post(location + "/given", data={"csrf_token": token(client, location)})
    assert printed.status_code == 303 and printed.headers["Location"].endswith("/handouts.pdf")
    client.get(location + "/handouts.pdf?download=1")
    assert len(given()) == 2  # given once, however often it is taken
    ids = CliRunner().invoke(main, ["history", "--json", "--id", "A-1", "--practice", str(practice)])
    assert len(json.loads(ids.output)) == 1
    # another day, printed from the page (the Print button), is given then
    other = upload(client, b"visit,patient,date\ninjection,Li Wei,2026-03-14\n").headers["Location"]
    finished(client, other)
    assert len(given()) == 2
    answer = client.post(other + "/given", data={"csrf_token": token(client, other)},
                         headers={"Accept": "application/json"})
    assert answer.get_json() == {"given": True} and ("web", "Li Wei") in given()


def test_a_schedule_wide_mistake_is_said_once_with_its_fix(riverbend):
    rows = "\n".join(f"injection,Patient {n},3/{n}/2026" for n in range(1, 13))
    location = upload(riverbend, f"visit,patient,date\n{rows}\n".encode()).headers["Location"]
    page = unescape(finished(riverbend, location).text)
    assert "0 made" in page and page.count("need their order") == 1 and "Lines 2-13" in page
    fields = {"csrf_token": token(riverbend, location), "dates": "us"}
    again = riverbend.post(location + "/dates", data=fields)
    assert again.status_code == 303
    fixed = finished(riverbend, again.headers["Location"])
    assert "12 made" in fixed.text and "need fixing" not in fixed.text
    pdf = riverbend.get(again.headers["Location"] + "/handouts.pdf")
    assert "March 12, 2026" in pdfcheck.text(pdf.data)


def test_batch_results_answer_only_to_the_browser_that_uploaded(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    app = create_app(FIXTURE)
    mine, other = app.test_client(), app.test_client()
    result = upload(mine, SCHEDULE.encode()).headers["Location"]
    finished(mine, result)
    for url in (result, result + "/handouts.pdf", result + "/errors.csv"):
        assert mine.get(url).status_code == 200, url
        refused = other.get(url)  # the same URL from another browser: as if it never existed
        assert refused.status_code == 404 and NAME not in refused.text and b"%PDF" not in refused.data, url
    other.get("/batch")  # a session of its own does not help either
    assert other.get(result).status_code == 404


def test_batch_upload_errors(riverbend):
    empty = riverbend.post("/batch", data={"csrf_token": token(riverbend, "/batch")})
    assert empty.status_code == 400 and error_beside(empty.text, "schedule") == "Choose the schedule file first."
    headless = upload(riverbend, b"name;when\nAna;2026-03-14\n")
    assert headless.status_code == 400 and "has no column visit" in error_beside(headless.text, "schedule")
    forged = riverbend.post("/batch", data={"schedule": (io.BytesIO(b"x"), "a.csv")})
    assert forged.status_code == 400
    assert riverbend.get("/batch/not-a-key").status_code == 404
    assert riverbend.get("/batch/not-a-key/handouts.pdf").status_code == 404
    assert riverbend.get("/batch/not-a-key/errors.csv").status_code == 404


# --- handouts serve -------------------------------------------------------------------------------


def test_serve_refuses_the_network_without_a_password(monkeypatch):
    monkeypatch.delenv("HANDOUTS_WEB_PASSWORD", raising=False)
    result = CliRunner().invoke(serve, ["--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert result.output.startswith("Error: refusing to listen on 0.0.0.0 without a password")
    assert len(result.output.strip().splitlines()) == 1
    short = CliRunner().invoke(serve, ["--host", "192.168.1.20"], env={"HANDOUTS_WEB_PASSWORD": "short"})
    assert short.exit_code == 2 and "use at least 8" in short.output


def test_serve_stops_on_a_schedule_it_cannot_read(tmp_path):
    missing = CliRunner().invoke(serve, ["--schedule", str(tmp_path / "today.csv")])
    assert missing.exit_code == 2 and "cannot read the schedule" in missing.output
    headless = tmp_path / "headless.csv"
    headless.write_text("Ana Silva;2026-03-14\n")
    result = CliRunner().invoke(serve, ["--schedule", str(headless)])
    assert result.exit_code == 2 and "has no column" in result.output and len(result.output.splitlines()) == 1


def test_serve_stops_on_a_broken_practice_or_a_busy_port(tmp_path):
    missing = CliRunner().invoke(serve, ["--practice", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(serve, ["--port", str(port)])
    assert result.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in result.output


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("127.0.0.2", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("clinic-pc", False),
    ],
)
def test_loopback(host, loopback):
    assert is_loopback(host) is loopback

"""The front-desk page in a real headless Chromium (Debian's `chromium`, driven by Playwright).

The real server (waitress) runs in a thread on a free loopback port. The tests use the page as a
person would, by keyboard where it matters, and read the PDF the page offers for download.
The screenshot of the page goes to tests/_artifacts/web-page.png (for a look after a CI run);
HANDOUTS_WEB_SCREENSHOT=docs/web-page.png makes the one in docs/front-desk.md.
"""

import json
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.is_file():
    pytest.skip(
        "Debian's chromium is not installed (/usr/bin/chromium); scripts/setup --test installs it",
        allow_module_level=True,
    )

from click.testing import CliRunner  # noqa: E402
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from handouts.cli.main import main  # noqa: E402
from handouts.cli.serve import allowed_names, make_server  # noqa: E402
from handouts.config import approvers  # noqa: E402
from handouts.record.ledger import Ledger  # noqa: E402
from handouts.web import create_app  # noqa: E402

import pdfcheck  # noqa: E402
from conftest import NAME, printing_practice  # noqa: E402

# What a person sees is awaited up to 20 s (Playwright's default is 5): the first handout of a server whose
# workers are still starting takes longer than that on a loaded two-core machine. An assertion waits only
# until it holds, so this makes no passing test slower.
expect.set_options(timeout=20_000)

FIXTURE = Path(__file__).parent / "fixtures" / "practice"
ARTIFACTS = Path(__file__).parent / "_artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def running(practice: Path) -> Iterator[str]:
    """The real server for a practice folder, as `handouts serve` runs it, on a free loopback port."""
    app = create_app(practice, trusted_hosts=allowed_names("127.0.0.1", []), on_network=False)
    server = make_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """The fixture practice (one surgeon profile), read only."""
    with running(FIXTURE) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    """A fresh page that records every request and every console error (a CSP refusal is one)."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    expected = "the server responded with a status of 400"  # the form again, with messages beside fields
    page.on("console", lambda msg: msg.type == "error" and expected not in msg.text and problems.append(msg.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    context.close()
    network = [url for url in requests if url.startswith(("http:", "https:", "ws:", "wss:", "ftp:"))]
    assert [url for url in network if not url.startswith(base_url + "/")] == [], "loaded from elsewhere"
    assert problems == []


def test_make_a_handout_with_the_keyboard_and_download_it(page: Page, base_url: str):
    page.goto(base_url + "/")
    expect(page.get_by_role("heading", name="Make a patient handout")).to_be_visible()
    # Tab to the visit types, arrows to the post-op visit, Tab on to the name.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "visit":
            break
    post_op = page.get_by_role("radio", name="After your decompression surgery")
    for _ in range(10):
        page.keyboard.press("ArrowRight")
        if post_op.is_checked():
            break
    expect(post_op).to_be_checked()
    expect(page.get_by_label("Surgery date")).to_be_visible()  # the post-op visit's own fields appear
    page.keyboard.press("Tab")
    expect(page.get_by_label("Patient's name")).to_be_focused()
    page.keyboard.type(NAME)
    page.get_by_label("Surgeon").select_option("lee")
    page.get_by_label("Surgery date").fill("2026-03-10")
    page.get_by_label("Visit date", exact=True).fill("2026-03-14")
    page.get_by_label("Patient's name").press("Enter")

    expect(page.get_by_role("heading", name="The handout is ready")).to_be_visible()
    expect(page.locator("#result-what")).to_contain_text(NAME)
    expect(page.get_by_role("button", name="Print")).to_be_focused()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename == "post-op-2026-03-14.pdf"  # no patient name in it
    text = pdfcheck.text(Path(download.value.path()).read_bytes())
    assert NAME in text and "After your decompression surgery" in text
    assert "Dr. Lee's rule: walk three times a day." in text and "March 14, 2026" in text

    page.get_by_role("button", name="Next patient").click()
    expect(page.get_by_label("Patient's name")).to_have_value("")
    expect(page.get_by_role("radio", name="Leg pain when you walk")).to_be_focused()


def test_the_form_post_answers_a_pdf_for_scripts(page: Page, base_url: str):
    """The contract: POST /handout with form fields (and the page's CSRF token) gives application/pdf."""
    page.goto(base_url + "/")
    csrf = page.locator('input[name="csrf_token"]').input_value()
    response = page.request.post(
        base_url + "/handout", form={"csrf_token": csrf, "visit": "injection", "patient": NAME, "date": "2026-03-14"}
    )
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert "Your epidural steroid injection" in pdfcheck.text(response.body())


def test_a_mistake_is_shown_beside_its_field(page: Page, base_url: str):
    page.goto(base_url + "/")
    page.get_by_role("radio", name="Your epidural steroid injection").check()
    page.get_by_role("button", name="Make handout").click()
    name = page.get_by_label("Patient's name")
    expect(page.locator("#patient-error")).to_have_text("! Type the patient's name as it should be printed.")
    expect(name).to_be_focused()
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("radio", name="Your epidural steroid injection")).to_be_checked()
    name.fill("Tom Baker")
    name.press("Enter")
    expect(page.get_by_role("heading", name="The handout is ready")).to_be_visible()


def test_surgeon_sees_the_sheet_change_while_typing(page: Page, base_url: str):
    page.goto(base_url + "/surgeon?id=lee")
    sheet = page.frame_locator("#preview")
    expect(sheet.locator("body")).to_contain_text("After your decompression surgery")
    expect(sheet.locator("body")).to_contain_text("Dr. Lee's rule: walk three times a day.")
    expect(sheet.locator("body")).to_contain_text(re.compile(r"read the box on page \d+ and act right away"))
    page.get_by_label("Activity").fill("Walk five times a day, starting tonight.")
    expect(sheet.locator("body")).to_contain_text("Walk five times a day, starting tonight.")
    # The printed pages themselves, drawn from the PDF: a letter page's width at 1.5 pixels a point.
    expect(sheet.locator("figcaption").first).to_have_text(re.compile(r"Page 1 of \d"))
    assert sheet.locator("img").first.evaluate("e => e.naturalWidth") == 918


def test_surgeon_approves_the_sheet_and_the_draft_mark_goes(browser: Browser, tmp_path: Path):
    practice = Path(shutil.copytree(FIXTURE, tmp_path / "practice"))
    approvers.add(practice, "Dr. Avery Lee", "MD", "tulip mortar 42")
    with running(practice) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(url + "/surgeon?id=lee")
        sheet = page.frame_locator("#preview")
        expect(sheet.locator("body")).to_contain_text("Draft: not yet approved by Riverbend Spine Center")
        page.get_by_label("Your approval secret").fill("tulip mortar 42")
        expect(page.get_by_label("Your name")).to_have_value("Dr. Avery Lee")
        texts = page.locator("#approve-form ul.drafts input[type=checkbox]")
        expect(texts).to_have_count(5)
        for box in texts.all():
            box.check()
        page.get_by_role("button", name="Approve under my name").click()
        expect(page.locator("#confirm-error")).to_contain_text("Confirm that you have read the text")
        assert not (practice / "approvals.toml").exists()
        expect(texts.first).to_be_checked()  # the ticks kept: only the confirmation is missing
        page.get_by_label("I have read this text").check()
        page.get_by_label("Your approval secret").fill("tulip mortar 42")  # a password field is not filled in again
        page.get_by_role("button", name="Approve under my name").click()
        expect(page.get_by_role("status")).to_contain_text("Approved 5 texts")
        expect(sheet.locator("body")).to_contain_text("After your decompression surgery")
        expect(sheet.locator("body")).not_to_contain_text("not yet approved")
        assert 'by = "Dr. Avery Lee"' in (practice / "approvals.toml").read_text()
        context.close()


def test_screenshot(page: Page, base_url: str):
    """The filled-in page, as in docs/front-desk.md; written outside the tracked files unless asked."""
    target = Path(os.environ.get("HANDOUTS_WEB_SCREENSHOT") or ARTIFACTS / "web-page.png")
    target.parent.mkdir(parents=True, exist_ok=True)
    page.goto(base_url + "/")
    page.get_by_role("radio", name="After your decompression surgery").check()
    page.get_by_label("Patient's name").fill(NAME)
    page.get_by_label("Surgeon").select_option("lee")
    page.get_by_label("Procedure").fill("L4-L5 decompression")
    page.get_by_label("Surgery date").fill("2026-03-10")
    page.get_by_label("Visit date", exact=True).fill("2026-03-14")
    page.get_by_role("button", name="Make handout").focus()
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000


DAY = "\n".join(
    [
        "visit,patient,date,surgeon",
        f"post-op,{NAME},2026-03-14,lee",
        "injection,Walter Jankowski,2026-03-14,",
        "consult,Tom Baker,2026-03-14,",
        "new-patient,Mei-Ling Park,2026-03-14,",
        "conservative-care,Rosa Delgado,2026-03-14,",
    ]
)


def today_with(browser: Browser, url: str, tmp_path: Path, day: str) -> tuple:
    """A desk's browser on the Today page with `day` (a schedule's text) loaded with the keyboard."""
    schedule = tmp_path / "today.csv"
    schedule.write_text(day)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url + "/today")
    page.get_by_label("Schedule file").set_input_files(str(schedule))
    page.get_by_role("button", name="Load the list").press("Enter")
    return context, page


def test_the_desk_prints_one_and_all_not_yet_given(browser: Browser, cups, tmp_path: Path):
    """The desk's morning with the keyboard alone: load the day, print one patient, find another,
    correct a row, print all not yet given, and see every status change; then the same page at 200%."""
    practice = printing_practice(tmp_path)
    with running(practice) as url:
        context, page = today_with(browser, url, tmp_path, DAY)
        expect(page.get_by_text("5 patients: 1 needs a fix, 4 ready to print, 0 given.")).to_be_visible()

        first = page.locator("#row-2")
        expect(first.get_by_role("rowheader")).to_have_text(NAME)
        expect(first).to_contain_text("After your decompression surgery")
        expect(first).to_contain_text("Dr. Avery Lee, MD")
        expect(first).to_contain_text("English")
        button = first.get_by_role("button", name=f"Print for {NAME}")
        button.focus()
        page.keyboard.press("Enter")
        expect(page.locator("#row-2 .row-message")).to_contain_text("Sent to the printer FrontDesk as job FrontDesk-")
        expect(page.locator("#row-2 .given")).to_contain_text("Printed at")
        expect(page.locator("#row-2").get_by_role("button", name=f"Print for {NAME}")).to_be_focused()
        job = page.locator("#row-2 .row-message").inner_text().split(" as job ")[1].rstrip(".")
        preview = page.request.get(url + first.get_by_role("link", name=f"Preview for {NAME}").get_attribute("href"))
        assert NAME in pdfcheck.text(preview.body())  # what the Preview link shows, and nothing recorded for it
        assert pdfcheck.pages(cups.printed(job)) == pdfcheck.pages(preview.body())

        # docs/front-desk.md's picture: one given, one to fix, the rest to print.
        target = Path(os.environ.get("HANDOUTS_DESK_SCREENSHOT") or ARTIFACTS / "front-desk.png")
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target), full_page=True)

        page.get_by_label("Find a patient").fill("walter")
        expect(page.locator("#row-3")).to_be_visible()
        expect(page.locator("#row-5")).to_be_hidden()
        expect(page.locator("#shown")).to_have_text("Showing 1 of 5.")
        assert "walter" not in page.url  # the name typed never goes into the address
        for typed in ("obrien nunez", "O’Brien", "zoe"):  # Zoë O'Brien-Nuñez as a desk types her name
            page.get_by_label("Find a patient").fill(typed)
            expect(page.locator("#row-2")).to_be_visible()
            expect(page.locator("#row-3")).to_be_hidden()
        page.get_by_label("Find a patient").fill("")

        # The row the schedule got wrong: its error, and the fix typed on the page.
        wrong = page.locator("#row-4")
        expect(wrong).to_contain_text("Unknown visit type 'consult'")
        expect(wrong.get_by_label("Visit type")).to_be_hidden()  # folded: one line with its Fix button
        wrong.locator("summary", has_text="Fix").focus()
        page.keyboard.press("Enter")
        wrong.get_by_label("Visit type").select_option("surgical-consult")
        wrong.get_by_role("button", name="Save for this row").press("Enter")
        expect(page.locator("#row-4")).to_contain_text("Talking about surgery")
        expect(page.locator("#row-4 .row-message")).to_contain_text("Corrected on this page")

        everyone = page.get_by_role("button", name="Print all not yet given (4)")
        everyone.focus()
        page.keyboard.press("Enter")
        expect(page.locator("#job-status")).to_contain_text("Printed 4 handouts as job FrontDesk-", timeout=180_000)
        for line in (3, 4, 5, 6):
            expect(page.locator(f"#row-{line} .given")).to_contain_text("Printed at")
        expect(page.get_by_role("button", name="Print all not yet given (0)")).to_be_disabled()


        # 200% zoom: the same page in half the room; nothing runs off the side, every button reachable.
        page.set_viewport_size({"width": 640, "height": 450})
        page.reload()
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        button = page.locator("#row-6").get_by_role("button", name="Print for Rosa Delgado")
        button.focus()
        expect(button).to_be_in_viewport()
        context.close()


def test_a_day_uploaded_is_given_when_its_print_file_is_printed_from_the_page(browser: Browser, tmp_path: Path,
                                                                             monkeypatch):
    """The upload page's Print button records the day's handouts as given (and prints the frame);
    the print file shown on the page before that records nothing."""
    monkeypatch.delenv("HANDOUTS_LEDGER")
    practice = Path(shutil.copytree(FIXTURE, tmp_path / "practice"))
    schedule = tmp_path / "day.csv"
    schedule.write_text("visit,patient,date\ninjection,Ana Silva,2026-03-14\ninjection,Tom Baker,2026-03-14\n")

    def given() -> list[str]:
        listed = CliRunner().invoke(main, ["history", "--json", "--show-names", "--practice", str(practice)])
        return [] if listed.exit_code else sorted(row["patient"] for row in json.loads(listed.output))

    with running(practice) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(url + "/batch")
        page.get_by_label("Schedule file").set_input_files(str(schedule))
        page.get_by_role("button", name="Make the handouts").click()
        expect(page.locator("#day-pdf")).to_be_attached(timeout=120_000)  # the result page, once the job is done
        result = page.url
        assert given() == []  # made, and shown on the page: not given
        page.evaluate(
            """() => Object.defineProperty(document.getElementById("day-pdf"), "contentWindow",
                   {value: {focus() {}, print() { window.printed = true; }}})"""
        )
        page.get_by_role("button", name="Print", exact=True).click()
        page.wait_for_function("window.printed === true")
        deadline = time.monotonic() + 30
        while given() != ["Ana Silva", "Tom Baker"] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert given() == ["Ana Silva", "Tom Baker"]
        assert page.url == result  # printed from the page, which stays
        context.close()


NAMESAKES = "\n".join(
    [
        "visit,patient,date,id",
        "new-patient,Maria Garcia,2026-03-14,MRN-1",
        "new-patient,Maria Garcia,2026-03-14,MRN-2",
        "injection,Tom Baker,2026-03-14,",
        "injection,Tom Baker,2026-03-14,",
    ]
)


def test_two_patients_with_one_name_stay_two(browser: Browser, cups, tmp_path: Path, monkeypatch):
    """Two Maria Garcias told apart by their ids, two Tom Bakers with none: printing one marks her (his)
    row only, the filter and "Print all not yet given" still see the other, and the record has each once."""
    monkeypatch.delenv("HANDOUTS_LEDGER")  # the practice's ledger.sqlite, as at a clinic
    practice = printing_practice(tmp_path)
    with running(practice) as url:
        context, page = today_with(browser, url, tmp_path, NAMESAKES)
        expect(page.get_by_text("4 patients: 0 need a fix, 4 ready to print, 0 given.")).to_be_visible()
        headers = {2: "Maria Garcia ID MRN-1", 3: "Maria Garcia ID MRN-2", 5: "Tom Baker Same name as line 4"}
        for line, header in headers.items():
            expect(page.locator(f"#row-{line}").get_by_role("rowheader", name=header)).to_be_visible()

        page.get_by_role("button", name="Print for Maria Garcia, ID MRN-1", exact=True).press("Enter")
        expect(page.locator("#row-2 .given")).to_contain_text("Printed at", timeout=60_000)
        page.get_by_role("button", name="Print for Tom Baker, line 4", exact=True).press("Enter")
        expect(page.locator("#row-4 .given")).to_contain_text("Printed at", timeout=60_000)
        for line in (3, 5):
            expect(page.locator(f"#row-{line} .state")).to_have_text("Not given")
        expect(page.get_by_text("4 patients: 0 need a fix, 2 ready to print, 2 given.")).to_be_visible()

        page.get_by_label("Show").select_option("not-given")
        for line in (3, 5):
            expect(page.locator(f"#row-{line}")).to_be_visible()
        for line in (2, 4):
            expect(page.locator(f"#row-{line}")).to_be_hidden()
        expect(page.locator("#shown")).to_have_text("Showing 2 of 4.")
        page.get_by_label("Show").select_option("all")
        page.get_by_label("Find a patient").fill("mrn-2")
        expect(page.locator("#row-3")).to_be_visible()
        expect(page.locator("#row-2")).to_be_hidden()
        page.get_by_label("Find a patient").fill("")

        page.get_by_role("button", name="Print all not yet given (2)").press("Enter")
        expect(page.locator("#job-status")).to_contain_text("Printed 2 handouts as job FrontDesk-", timeout=180_000)
        job = page.locator("#job-status").inner_text().split(" as job ")[1].rstrip(".")
        page.reload()
        for line in (2, 3, 4, 5):
            expect(page.locator(f"#row-{line} .given")).to_contain_text("Printed at")
        expect(page.get_by_role("button", name="Print all not yet given (0)")).to_be_disabled()
        assert pdfcheck.pages(cups.printed(job)) >= 2  # her handout and his, in one print job
        context.close()

    ledger = Ledger.open(f"sqlite:///{practice / 'ledger.sqlite'}")
    found = ledger.history()
    ledger.close()
    assert sorted(r.patient_id for r in found if r.patient_id) == ["MRN-1", "MRN-2"]  # each id exactly once
    assert [r.how for r in found] == ["web-print"] * 4
    keys = [r.request.get("row_key") for r in found if r.patient_id is None]
    assert len(keys) == 2 and len(set(keys)) == 2 and None not in keys  # the two Tom Bakers, one record each


def test_the_desk_sees_one_line_when_the_record_waits(browser: Browser, tmp_path: Path, monkeypatch):
    """The ledger's database is down (nothing listens at its address): the handout is shown as
    always, with one plain line that its record is saved, and the record waits in the spool."""
    from handouts.record.recorder import SAVED
    from handouts.record.spool import SPOOL_FILE, Spool

    practice = Path(shutil.copytree(FIXTURE, tmp_path / "practice"))
    monkeypatch.setenv("HANDOUTS_LEDGER", "postgresql://handouts@127.0.0.1:1/handouts")
    with running(practice) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(url + "/")
        page.locator('input[name="visit"][value="injection"]').check()
        page.get_by_label("Patient's name").fill(NAME)
        page.get_by_label("Visit date", exact=True).fill("2026-03-14")
        page.get_by_label("Patient's name").press("Enter")
        expect(page.get_by_role("heading", name="The handout is ready")).to_be_visible()
        expect(page.locator("#result-note")).to_have_text(SAVED)
        expect(page.locator("#result-note")).to_be_visible()
        page.get_by_role("button", name="Next patient").click()
        assert Spool(practice / SPOOL_FILE).count() == 1
        context.close()


def test_an_english_procedure_on_a_spanish_sheet_is_pointed_out_before_printing(browser: Browser):
    """The built-in sample practice offers Spanish: a procedure typed in English prints as typed, and the
    page says so above the handout; the next handout, in Spanish words, shows no warning."""
    with running(None) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(url + "/")
        page.get_by_role("radio", name="After your decompression surgery").check()
        page.get_by_label("Patient's name").fill(NAME)
        page.get_by_label("Procedure").fill("L4-L5 decompression")
        page.get_by_label("Español").check()
        page.get_by_role("button", name="Make handout").click()
        expect(page.get_by_role("heading", name="The handout is ready")).to_be_visible()
        warning = page.locator("#result-warnings")
        expect(warning).to_be_visible()
        expect(warning).to_contain_text("The procedure looks like English ('decompression'), but this handout is in "
                                        "Spanish")
        page.get_by_role("button", name="Change something").click()
        page.get_by_label("Procedure").fill("descompresión L4-L5")
        page.get_by_role("button", name="Make handout").click()
        expect(page.get_by_role("heading", name="The handout is ready")).to_be_visible()
        expect(warning).to_be_hidden()
        context.close()


def test_a_second_desk_sees_the_same_list_and_statuses(browser: Browser, cups, tmp_path: Path, monkeypatch):
    """Two desks, each a browser of its own on a server of its own (two `handouts serve` on one practice
    folder, its ledger.sqlite): the list one loads is the other's, and each sees what the other printed
    and fixed, with script on as at the desk."""
    monkeypatch.delenv("HANDOUTS_LEDGER")
    practice = printing_practice(tmp_path)
    with running(practice) as first_url, running(practice) as second_url:
        context, page = today_with(browser, first_url, tmp_path, DAY)
        counted = "5 patients: 1 needs a fix, 4 ready to print, 0 given."
        expect(page.get_by_text(counted)).to_be_visible()
        other = browser.new_context(viewport={"width": 1280, "height": 900})
        second = other.new_page()
        second.set_default_timeout(30_000)
        second.goto(second_url + "/today")
        expect(second.get_by_text(counted)).to_be_visible()
        expect(second.locator("#row-2").get_by_role("rowheader")).to_have_text(NAME)

        page.get_by_role("button", name=f"Print for {NAME}").press("Enter")
        expect(page.locator("#row-2 .given")).to_contain_text("Printed at", timeout=60_000)
        wrong = second.locator("#row-4")
        wrong.locator("summary", has_text="Fix").click()
        wrong.get_by_label("Visit type").select_option("surgical-consult")
        wrong.get_by_role("button", name="Save for this row").click()
        expect(second.locator("#row-4")).to_contain_text("Talking about surgery")
        second.get_by_role("button", name="Print for Walter Jankowski").press("Enter")
        expect(second.locator("#row-3 .given")).to_contain_text("Printed at", timeout=60_000)

        for desk in (page, second):
            desk.reload()
            for line in (2, 3):
                expect(desk.locator(f"#row-{line} .given")).to_contain_text("Printed at")
            expect(desk.locator("#row-4")).to_contain_text("Talking about surgery")
            expect(desk.locator("#row-4 .row-message")).to_contain_text("Corrected on this page")
            expect(desk.get_by_text("5 patients: 0 need a fix, 3 ready to print, 2 given.")).to_be_visible()
            expect(desk.get_by_role("button", name="Print all not yet given (3)")).to_be_enabled()
        other.close()
        context.close()

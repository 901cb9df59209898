"""A practice folder makes the tool its own: branding, overrides, new visit types, surgeon profiles."""

import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.cli.main import main
from handouts.config.catalog import Catalog
from handouts.quality.check import check
from handouts.render.renderer import Renderer

import pdfcheck
from conftest import NAME, render, shared

FIXTURE = Path(__file__).parent / "fixtures" / "practice"


@pytest.fixture(scope="module")
def riverbend() -> Renderer:
    """The fixture practice, read only: what `render` builds with it is shared (conftest.shared)."""
    return shared(Renderer(Catalog.load(FIXTURE)))


@pytest.fixture
def practice(tmp_path) -> Path:
    """A writable copy of the fixture practice, to break on purpose."""
    return Path(shutil.copytree(FIXTURE, tmp_path / "practice"))


def invoke(*args: str, **kw):
    return CliRunner().invoke(main, list(args), **kw)


def reported_first(practice: Path) -> dict[str, list[str]]:
    """What `handouts check` reports before it renders every handout: the starter's placeholders and
    the surgeon profiles that do not load, which check.py takes first (that the command exits 2 on
    any problem: test_one_broken_surgeon_profile_stops_only_that_surgeon). Stops at the first
    handout rendered, not after all of them."""
    found = {}
    for label, problems in check(Catalog.load(practice)):
        if label != "practice.toml" and not label.startswith("surgeon "):
            break
        found[label] = problems
    return found


def brand_colours(pdf: bytes) -> set:
    return {tuple(round(v, 2) for v in c.non_stroking_color or ()) for p in pdfcheck.layout(pdf) for c in p.chars}


def test_branding_name_colours_logo_footer(riverbend):
    pdf = render(riverbend, "injection")
    text = pdfcheck.text(pdf)
    assert "Riverbend Spine Center" in text and "Sample Spine Practice" not in text
    assert "Call 555-0142" in text and "riverbend.example" in text
    assert "Riverbend Spine Center patient education · Handout" in text
    assert (0.0, 0.39, 0.0) in brand_colours(pdf)  # #006400 headings
    assert all(page.images for page in pdfcheck.layout(pdf))  # the PNG logo in every header


def test_module_override_and_extended_page_template(riverbend):
    text = pdfcheck.text(render(riverbend, "conservative-care"))
    assert "Riverbend walking plan" in text
    assert "Stop and rest for a short time." not in text  # the built-in walking module
    assert text.index("Welcome to Riverbend.") < text.index("Your plan without surgery")
    assert "Key points" in text  # the rest of the built-in page is still there


def test_practice_adds_a_visit_type_and_module(riverbend):
    text = pdfcheck.text(render(riverbend, "pre-op-class"))
    assert "Getting ready for surgery class" in text and "A family member." in text
    assert "Go to the emergency room now" in text


def test_surgeon_profile_changes_the_post_op_sheet(riverbend):
    pdf = render(riverbend, "post-op", surgeon="lee", sets={"surgery_date": "2026-03-10"})
    text = pdfcheck.text(pdf)
    assert "Dr. Avery Lee, MD" in text and "555-0150" in text
    assert "Dr. Lee's rule: walk three times a day." in text
    assert "Dr. Lee's rule: keep the dressing dry." in text
    assert "Practice rule: no driving" in text  # the practice default where the surgeon has none
    # lifting and medicines: neither the surgeon nor the practice set them, so the built-in starter text
    assert "Do not lift more than 10 pounds" in text and "Ask us about a stool softener." in text
    assert "March 24, 2026" in text  # follow-up: surgery date + 2 weeks from the profile
    assert "Your recovery" not in text  # the surgeon left 'recovery' out ...
    assert text.index("Your care at home") < text.index("Warning signs that need care right away")  # ... and reordered
    assert "Dr. Lee's extra tips" in text and "<b>not html</b>" in text and "{{ 7*7 }}" in text
    assert any("Bold" in name for _, _, name in _chars_of(pdf, "before"))


def _chars_of(pdf: bytes, word: str):
    for number in range(1, pdfcheck.pages(pdf) + 1):
        for w in pdfcheck.words(pdf, number, extra_attrs=["fontname", "size"]):
            if w["text"] == word:
                yield w["text"], w["size"], w["fontname"]


def test_given_follow_up_date_wins_over_the_interval(riverbend):
    sets = {"surgery_date": "2026-03-10", "follow_up": "2026-04-02"}
    text = pdfcheck.text(render(riverbend, "post-op", surgeon="lee", sets=sets))
    assert "April 2, 2026" in text and "March 24, 2026" not in text


def test_note_is_printed_as_text_after_the_summary_before_the_details(riverbend):
    pdf = render(riverbend, "injection", note="Bring your walker.\n<i>See you</i> {{ soon }}")
    text = pdfcheck.text(pdf)
    note = text.index("A note for you")
    assert "Bring your walker." in text and "<i>See you</i> {{ soon }}" in text
    assert text.index("What to do next") < note < text.index("Warning signs that need care right away")


def test_skip_leaves_a_module_out_but_never_the_red_flags(tmp_path):
    out = tmp_path / "x.pdf"
    ok = invoke("make", "injection", "-p", NAME, "--skip", "pathway", "-o", str(out))
    assert ok.exit_code == 0, ok.output
    assert "Your step-by-step plan" not in pdfcheck.text(out.read_bytes())
    refused = invoke("make", "injection", "-p", NAME, "--skip", "red-flags", "-o", str(tmp_path / "y.pdf"))
    assert refused.exit_code == 2 and "cannot be left out" in refused.output
    assert not (tmp_path / "y.pdf").exists()
    absent = invoke("make", "injection", "-p", NAME, "--skip", "recovery", "-o", str(tmp_path / "z.pdf"))
    assert absent.exit_code == 2 and "not in this handout" in absent.output


def test_practice_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HANDOUTS_PRACTICE", str(FIXTURE))
    out = tmp_path / "p.pdf"
    assert invoke("make", "pre-op-class", "-p", NAME, "-o", str(out)).exit_code == 0
    assert "Riverbend" in pdfcheck.text(out.read_bytes())


def test_unknown_surgeon_lists_the_known_ones():
    result = invoke("make", "post-op", "-p", NAME, "--practice", str(FIXTURE), "--surgeon", "smith")
    assert result.exit_code == 2 and "unknown surgeon 'smith'; known surgeons: lee" in result.output


BAD_FILES = [
    ("practice.toml", "name =", "nmae =", "practice.toml: unknown key 'nmae': did you mean 'name'?"),
    ("practice.toml", 'primary = "#006400"', 'primary = "green"', "key 'colors.primary': 'green' is not a colour"),
    ("practice.toml", 'primary = "#006400"', 'primary = "#cccccc"', "too light to read on white paper"),
    ("practice.toml", 'logo = "riverbend.png"', 'logo = "missing.png"', "key 'logo': file 'missing.png' not found"),
    ("practice.toml", 'logo = "riverbend.png"', 'logo = "../../etc/passwd"', "key 'logo'"),
    ("practice.toml", "[colors]", "[colors", "practice.toml: not valid TOML"),
    ("visits/pre-op-class.toml", '"red-flags"]', '"nope"]', "key 'modules': unknown module 'nope'"),
    ("visits/pre-op-class.toml", ', "red-flags"]', "]", "'red-flags' is missing"),
    ("surgeons/lee.toml", ', "red-flags"]', "]", "lee.toml: key 'visits.post-op.modules'"),
    ("surgeons/lee.toml", "follow_up_weeks = 2", "follow_up_weeks = 0", "key 'post_op.follow_up_weeks'"),
    ("surgeons/lee.toml", "[visits.post-op]", "[visits.post-opp]", "key 'visits.post-opp': unknown visit type"),
]


@pytest.mark.parametrize(("file", "old", "new", "message"), BAD_FILES)
def test_bad_practice_files_name_the_file_and_key(practice, tmp_path, file, old, new, message):
    path = practice / file
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    out = tmp_path / "out.pdf"
    visit = ["post-op", "--surgeon", "lee"] if file.startswith("surgeons/") else ["injection"]
    result = invoke("make", *visit, "-p", NAME, "--practice", str(practice), "-o", str(out))
    assert result.exit_code == 2, result.output
    assert message in result.output and str(practice) in result.output
    assert "Traceback" not in result.output and not out.exists()
    if file.startswith("surgeons/"):  # the practice loads without that surgeon: check names the file first
        assert message in reported_first(practice)["surgeon lee"][0]
    else:  # the practice does not load: check stops there
        assert invoke("check", "--practice", str(practice)).exit_code == 2


def test_init_practice_then_check_then_customize(tmp_path):
    folder = tmp_path / "new-practice"
    assert invoke("init-practice", str(folder)).exit_code == 0
    assert (folder / "surgeons" / "example.toml").is_file() and (folder / "assets" / "logo.png").is_file()
    unedited = reported_first(folder)
    assert "still the starter's placeholder: name, address, website" in unedited["practice.toml"][0]
    assert "still the example surgeon's name" in unedited["surgeon example"][0]
    toml = folder / "practice.toml"
    toml.write_text(
        toml.read_text()
        .replace("Your Practice Name", "Lakeside Spine")
        .replace("Street, City, State ZIP", "1 Lake Road")
        .replace("www.example.org", "lakeside.example")
    )
    (folder / "surgeons" / "example.toml").rename(folder / "surgeons" / "kim.toml")
    surgeon = folder / "surgeons" / "kim.toml"
    surgeon.write_text(surgeon.read_text().replace("Dr. Example Surgeon", "Dr. Jo Kim"))
    checked = invoke("check", "--practice", str(folder))
    assert checked.exit_code == 0 and "All handouts render cleanly." in checked.output
    assert "post-op (surgeon kim)" in checked.output
    again = invoke("init-practice", str(folder))
    assert again.exit_code == 2 and "already exists" in again.output

    copied = invoke("customize", "templates/modules/walking.html", "--practice", str(folder))
    assert copied.exit_code == 0
    target = folder / "templates" / "modules" / "walking.html"
    target.write_text("<p>Our own walking advice.</p>")
    out = tmp_path / "c.pdf"
    assert invoke("make", "conservative-care", "-p", NAME, "--practice", str(folder), "-o", str(out)).exit_code == 0
    assert "Our own walking advice." in pdfcheck.text(out.read_bytes())
    assert invoke("customize", "templates/modules/walking.html", "--practice", str(folder)).exit_code == 2
    assert invoke("customize", "templates/nope.html", "--practice", str(folder)).exit_code == 2
    assert "visits/injection.toml" in invoke("customize", "--list").output


def test_follow_up_date_needs_a_surgery_date_and_an_interval(riverbend):
    from handouts.compose.request import build_request
    from handouts.render.renderer import follow_up_date

    catalog = riverbend.catalog
    request = build_request(catalog, "post-op", "A B", "2026-03-14", sets={"surgery_date": "2026-03-10"})
    assert follow_up_date(request, 3) == date(2026, 3, 31)
    assert follow_up_date(request, None) is None


def test_one_broken_surgeon_profile_stops_only_that_surgeon(practice, tmp_path):
    profile = practice / "surgeons" / "lee.toml"
    profile.write_text(profile.read_text().replace("credentials", "credentails"))
    out = tmp_path / "x.pdf"
    assert invoke("make", "post-op", "-p", NAME, "--practice", str(practice), "-o", str(out)).exit_code == 0
    assert invoke("list", "--practice", str(practice)).exit_code == 0
    refused = invoke("make", "post-op", "-s", "lee", "-p", NAME, "--practice", str(practice), "-o", str(out))
    assert refused.exit_code == 2 and "unknown key 'credentails': did you mean 'credentials'?" in refused.output
    checked = invoke("check", "--practice", str(practice))
    assert checked.exit_code == 2 and "PROBLEM surgeon lee" in checked.output


def test_config_mistakes_people_make_get_the_fix(practice):
    profile = practice / "surgeons" / "lee.toml"
    profile.write_text(profile.read_text().replace("follow_up_weeks = 2", 'follow_up_weeks = "2 weeks"'))
    result = invoke("make", "post-op", "-s", "lee", "-p", NAME, "--practice", str(practice))
    assert "should be a whole number, e.g. 2" in result.output
    module = practice / "modules" / "class-checklist.toml"
    module.write_text(module.read_text().replace("reviewed = 2026-10-01", 'reviewed = "3/10/2026"'))
    assert "should be a date written 2026-03-14" in invoke("list", "--practice", str(practice)).output
    toml = practice / "practice.toml"
    toml.write_text(toml.read_text().replace("[colors]", "[colours]"))
    assert "unknown key 'colours': did you mean 'colors'?" in invoke("list", "--practice", str(practice)).output


def test_follow_up_before_surgery_is_refused():
    result = invoke("make", "post-op", "-p", NAME, "--set", "surgery_date=2026-03-10", "--set", "follow_up=2026-03-01")
    assert result.exit_code == 2
    assert "the follow-up visit date (2026-03-01) is before the surgery date (2026-03-10)" in result.output


def test_follow_up_date_is_on_page_one(riverbend):
    pdf = render(riverbend, "post-op", surgeon="lee", sets={"surgery_date": "2026-03-10"})
    assert "Your follow-up visit: March 24, 2026" in pdfcheck.page_text(pdf, 1)

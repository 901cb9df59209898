"""Content a practice approves: versions, the draft mark, `approve`, `check`, `require_approval`."""

import re
import shutil
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.base.paths import BUILTIN_ROOT
from handouts.cli.main import main
from handouts.config.catalog import Catalog
from handouts.quality.check import unapproved
from handouts.render.renderer import Renderer

import pdfcheck
from conftest import NAME, render

FIXTURE = Path(__file__).parent / "fixtures" / "practice"
DRAFT = "Draft: not yet approved by"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def practice(tmp_path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "practice"))


def pages(pdf: bytes) -> list[str]:
    return [pdfcheck.page_text(pdf, n) for n in range(1, pdfcheck.pages(pdf) + 1)]


def test_every_built_in_text_says_where_it_comes_from():
    for path in sorted((BUILTIN_ROOT / "content").glob("[mv]*/*.toml")):
        data = tomllib.loads(path.read_text())
        assert data.get("basis") in ("source", "general"), f"{path} declares no basis"
        assert (data["basis"] == "general") == bool(data.get("basis_note")), f"{path}: a general text says why"


def test_general_text_prints_the_draft_mark_on_every_page_of_the_sample(renderer):
    pdf = render(renderer, "post-op")
    for text in pages(pdf):
        assert f"{DRAFT} Sample Spine Practice" in text
        assert re.search(r"content [0-9a-f]{8}", text)


def test_approving_removes_the_mark_and_a_change_brings_it_back(practice, tmp_path):
    out = tmp_path / "x.pdf"
    args = ["make", "injection", "-p", NAME, "-d", "2026-03-14", "-o", out, "--practice", practice]
    assert invoke(*args).exit_code == 0
    assert all(f"{DRAFT} Riverbend Spine Center" in text for text in pages(out.read_bytes()))
    version_before = re.search(r"content ([0-9a-f]{8})", pages(out.read_bytes())[0]).group(1)

    approved = invoke("approve", "--all", "--by", "Dr. Ana Lee, MD", "--practice", practice)
    assert approved.exit_code == 0, approved.output
    assert "Approved module:injections version" in approved.output
    record = tomllib.loads((practice / "approvals.toml").read_text())["approval"]
    assert {"unit", "version", "by", "role", "date"} <= set(record[0]) and record[0]["role"] == "MD"
    out.unlink()
    assert invoke(*args).exit_code == 0
    assert not any(DRAFT in text for text in pages(out.read_bytes()))
    checked = invoke("check", "--practice", practice)
    assert checked.exit_code == 0 and "Not yet approved" not in checked.output

    walking = practice / "templates" / "modules" / "injections.html"
    shutil.copyfile(BUILTIN_ROOT / "templates" / "modules" / "injections.html", walking)
    walking.write_text(walking.read_text().replace("</p>", " Ask us about it.</p>", 1))
    out.unlink()
    assert invoke(*args).exit_code == 0
    text = pages(out.read_bytes())
    assert all(f"{DRAFT} Riverbend Spine Center" in t for t in text)
    assert re.search(r"content ([0-9a-f]{8})", text[0]).group(1) != version_before
    checked = invoke("check", "--practice", practice)
    assert "module:injections" in checked.output and "changed since Dr. Ana Lee approved version" in checked.output
    assert "handouts approve module:injections" in checked.output


def test_require_approval_refuses_drafts_with_what_to_approve(practice, tmp_path):
    toml = practice / "practice.toml"
    toml.write_text(toml.read_text().replace('footer = "', 'require_approval = true\nfooter = "'))
    out = tmp_path / "x.pdf"
    args = ["make", "post-op", "-p", NAME, "-o", out, "--surgeon", "lee", "--practice", practice]
    refused = invoke(*args)
    assert refused.exit_code == 2 and not out.exists()
    assert "not yet approved" in refused.output and "surgeon:lee" in refused.output
    assert "handouts approve" in refused.output and NAME not in refused.output
    checked = invoke("check", "--practice", practice)
    assert checked.exit_code == 2 and "handouts approve" in checked.output
    assert (
        invoke(
            "approve",
            "post-op",
            "post-op-care",
            "red-flags",
            "recovery",
            "surgeon:lee",
            "style:practice",
            "--by",
            "Dr. Lee, MD",
            "--practice",
            practice,
        ).exit_code
        == 0
    )
    made = invoke(*args)
    assert made.exit_code == 0, made.output
    assert not any(DRAFT in t for t in pages(out.read_bytes()))


def test_versions_are_stable_and_follow_the_text(practice):
    first = Renderer(Catalog.load(practice)).units
    again = Renderer(Catalog.load(practice)).units
    assert {k: u.version for k, u in first.items()} == {k: u.version for k, u in again.items()}
    surgeon = practice / "surgeons" / "lee.toml"
    surgeon.write_text(surgeon.read_text().replace("walk three times a day", "walk four times a day"))
    changed = Renderer(Catalog.load(practice)).units
    differ = {k for k in first if first[k].version != changed[k].version}
    assert differ == {"surgeon:lee"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["approve", "red-flags", "--by", "Dr. Lee, MD"], "give the practice folder"),
        (["approve", "nope", "--by", "Dr. Lee, MD", "--practice", FIXTURE], "no text called 'nope'"),
        (["approve", "red-flags", "--by", "Dr. Lee", "--practice", FIXTURE], "their role"),
        (["approve", "--by", "Dr. Lee, MD", "--practice", FIXTURE], "name the texts to approve"),
    ],
)
def test_approve_mistakes_are_one_line(args, message):
    result = invoke(*args)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert not (FIXTURE / "approvals.toml").exists()


def test_make_html_is_refused_like_the_pdf_while_approval_is_required(practice, tmp_path):
    """`--format html` is the whole handout too: with require_approval, not without the approval."""
    toml = practice / "practice.toml"
    toml.write_text(toml.read_text().replace('footer = "', 'require_approval = true\nfooter = "'))
    out = tmp_path / "x.html"
    args = ["make", "injection", "-p", NAME, "--format", "html", "-o", out, "--practice", practice]
    refused = invoke(*args)
    assert refused.exit_code == 2 and not out.exists() and "Traceback" not in refused.output
    assert "not yet approved" in refused.output and "handouts approve visit:injection" in refused.output
    assert invoke("approve", "--all", "--by", "Dr. Lee, MD", "--practice", practice).exit_code == 0
    made = invoke(*args)
    assert made.exit_code == 0, made.output
    assert "Prepared for" in out.read_text() and "Draft: not yet approved" not in out.read_text()


def approval_entry(**values: str) -> str:
    """One hand-written [[approval]] table; values as TOML writes them (strings quoted, dates not)."""
    entry = {
        "unit": '"module:red-flags"',
        "version": '"0123456789"',
        "by": '"Dr. Lee"',
        "role": '"MD"',
        "date": "2026-01-05T10:00:00Z",
    } | values
    return "\n[[approval]]\n" + "".join(f"{key} = {value}\n" for key, value in entry.items() if value)


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"date": "2999-03-14T09:30:00Z"}, "the date 2999-03-14T09:30:00+00:00 is in the future: an approval is dated"),
        ({"date": "2026-01-05T10:00:00"}, "key 'date' should be the date and time with its time zone"),
        ({"date": "0001-01-01T00:00:00-23:59"}, "is before this tool wrote any approval"),
        ({"date": "2026-01-05"}, "key 'date' should be the date and time with its time zone"),
        ({"unit": '"module:red-flags@xx"'}, "@xx is not a translation the handouts have (they have @es)"),
        ({"unit": '"module:red-flags@en"'}, "@en is not a translation the handouts have"),
        ({"unit": '"red-flags"'}, "key 'unit' should name a text as `handouts approve` writes it"),
        ({"version": '"abc"'}, "key 'version' should be a version as `handouts approve` records it: 10 digits"),
        ({"version": '"0123456789abcdef0123"'}, "key 'version' should be a version as"),
        ({"version": '"012345678G"'}, "key 'version' should be a version as"),
        ({"version": ""}, "key 'version' is missing: an approval has unit, version, by, role and date"),
        ({"signed": '"yes"'}, "unknown key 'signed': an approval has unit, version, by, role and date"),
    ],
)
def test_a_wrong_hand_written_approval_is_refused_with_its_line(practice, tmp_path, values, problem):
    """Approvals written by `handouts approve` load as before; one written by hand that could not be
    (a date to come, a text or language the practice does not have, a version of another shape) stops
    the practice loading, with the file, the line of its [[approval]] and how to fix it."""
    assert invoke("approve", "red-flags", "--by", "Dr. Lee, MD", "--practice", practice).exit_code == 0
    path = practice / "approvals.toml"
    path.write_text(path.read_text() + approval_entry(**values))
    line = path.read_text().splitlines().index("[[approval]]", 5) + 1  # the second entry's header
    out = tmp_path / "x.pdf"
    result = invoke("make", "injection", "-p", NAME, "-o", out, "--practice", practice)
    assert result.exit_code == 2 and not out.exists() and "Traceback" not in result.output
    assert result.output.startswith(f"Error: {path}, line {line} ([[approval]] 2): "), result.output
    assert problem in result.output and len(result.output.strip().splitlines()) == 1


def test_an_approval_of_a_text_the_practice_no_longer_has_is_history_named_by_check(practice, tmp_path):
    """A surgeon who left, a module removed or a mistyped name: the practice still prints (the entry
    approves nothing), and `check` names the entry with its line."""
    path = practice / "approvals.toml"
    path.write_text(approval_entry(unit='"surgeon:nobody"') + approval_entry(unit='"module:walking-on-water@es"'))
    catalog = Catalog.load(practice)
    assert catalog.approvals.items == () and len(catalog.approvals.gone) == 2
    made = invoke("make", "injection", "-p", NAME, "-o", tmp_path / "x.pdf", "--practice", practice)
    assert made.exit_code == 0, made.output
    checked = invoke("check", "--practice", practice)
    assert f"Note: {path}, line 2 ([[approval]] 1): 'surgeon:nobody' is not a text of this practice now" in (
        checked.output
    )


def test_approvals_that_could_have_been_written_still_count(practice):
    """Within a few minutes ahead (another computer's clock), a version of a text since changed (history,
    which does not remove the mark), a surgeon whose profile has a typo, a language not offered: all load."""
    soon = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    (practice / "surgeons" / "kim.toml").write_text('name = "Dr. Kim"\nnmae = "typo"\n')
    (practice / "approvals.toml").write_text(
        approval_entry(date=soon)
        + approval_entry(unit='"surgeon:kim"')
        + approval_entry(unit='"module:red-flags@es"')
    )
    catalog = Catalog.load(practice)
    assert len(catalog.approvals.items) == 3
    assert catalog.approvals.of("module:red-flags", "0123456789") is not None
    assert Renderer(catalog).units["module:red-flags"].version != "0123456789"  # history: still a draft


@pytest.mark.parametrize(
    ("path", "change"),
    [
        ("styles/practice.css", ".red-now li:nth-child(2) { display: none; }"),
        ("styles/practice.css", '.red-now h3::after { content: " (after a week of rest)"; }'),
        ("assets/riverbend.png", None),  # another image (or font) under the same name
    ],
)
def test_a_change_to_the_practices_styles_or_images_brings_the_mark_back(practice, tmp_path, path, change):
    """A stylesheet can hide a warning sign or add words, an image or font can draw anything: the
    practice's look is approved as its words are, and any change to it is a draft again."""
    assert invoke("approve", "--all", "--by", "Dr. Lee, MD", "--practice", practice).exit_code == 0
    out = tmp_path / "x.pdf"
    assert invoke("make", "new-patient", "-p", NAME, "-o", out, "--practice", practice).exit_code == 0
    assert DRAFT not in pages(out.read_bytes())[0]
    target = practice / path
    if change is None:
        target.write_bytes(target.read_bytes() + b"\0")  # a PNG with a byte more still draws
    else:
        target.write_text(target.read_text() + "\n" + change + "\n")
    assert invoke("make", "new-patient", "-p", NAME, "-o", out, "--practice", practice).exit_code == 0
    assert all(DRAFT in text for text in pages(out.read_bytes()))
    # Among what `check` lists as not yet approved (its listing as the command prints it:
    # test_approving_removes_the_mark_and_a_change_brings_it_back).
    catalog = Catalog.load(practice)
    assert "style:practice" in {unit.id for unit, _ in unapproved(catalog, Renderer(catalog))}


@pytest.mark.parametrize(
    "reference",
    ['{% set n = "partials/mine.html" %}{% include n %}', "{% include 'partials/' ~ 'mine.html' %}",
     "{% import 'partials/' ~ 'mine.html' as m %}{{ m.text() }}"],
)
def test_a_template_reached_by_a_computed_name_is_covered_by_the_approval(practice, tmp_path, reference):
    """A name worked out when the page is made cannot be followed by reading the template: the version
    of a practice template that uses one covers every template of the practice, so an edit of the one
    it reaches brings the mark back."""
    walking = (Path(__file__).parents[1] / "templates" / "modules" / "walking.html").read_text()
    (practice / "templates" / "modules" / "walking.html").write_text(walking + reference)
    (practice / "templates" / "partials").mkdir(exist_ok=True)
    mine = practice / "templates" / "partials" / "mine.html"
    mine.write_text("{% macro text() %}<p>Walk every day.</p>{% endmacro %}<p>Walk every day.</p>")
    assert invoke("approve", "--all", "--by", "Dr. Lee, MD", "--practice", practice).exit_code == 0
    out = tmp_path / "x.pdf"
    assert invoke("make", "conservative-care", "-p", NAME, "-o", out, "--practice", practice).exit_code == 0
    assert DRAFT not in pages(out.read_bytes())[0]
    mine.write_text(mine.read_text().replace("Walk every day.", "Stay in bed for two weeks."))
    assert invoke("make", "conservative-care", "-p", NAME, "-o", out, "--practice", practice).exit_code == 0
    assert "Stay in bed" in "".join(pages(out.read_bytes())) and DRAFT in pages(out.read_bytes())[0]

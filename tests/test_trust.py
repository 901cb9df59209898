"""What is printed is what was asked: one build path for make, batch and the web page, detail
pages that cannot carry one patient's data into another's handout, and practice templates that
cannot run code."""

import csv
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.cli import main
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


def test_a_personal_value_in_the_page_templates_detail_block_fails_when_rendered(tmp_path):
    """What a static look cannot see (a block of the page template) fails when the handout is made."""
    template = (
        '{% extends "default:handout.html" %}'
        "{% block modules %}{{ super() }}<p>For {{ patient|upper }}</p>{% endblock %}"
    )
    folder = practice_with(tmp_path, {"templates/handout.html": template})
    refused_by_make_and_check(folder, "injection", "'patient' is personal and may appear on page 1", "handout.html")


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
    assert "uid=" not in refused_by_make_and_check(folder, "injection", "unsafe")
    web = create_app(folder).test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/").text).group(1)
    answer = web.post("/handout", data={"csrf_token": token, "visit": "injection", "patient": NAME})
    assert answer.mimetype != "application/pdf" and "uid=" not in answer.text and "unsafe" in answer.text

"""Each visit type's real PDF: pages, the patient's name, the title, the red flags, the type."""

import re
from html import unescape

import pytest

from handouts.render.figures import PATHWAY_STEPS

import pdfcheck
from conftest import MAX_PAGES, NAME, ROOT, VISITS, render


def test_the_built_in_visit_types(catalog):
    """Exactly these: a visit type added to the catalog is added here, so every test of VISITS reads its handout."""
    assert set(catalog.visits) == set(VISITS)


@pytest.mark.parametrize("visit", VISITS)
def test_handout_pages_name_title_and_red_flags(handouts, catalog, visit):
    pdf = handouts[visit]
    assert pdf.startswith(b"%PDF-")
    assert 1 <= pdfcheck.pages(pdf) <= MAX_PAGES
    text = pdfcheck.text(pdf)
    assert NAME in text
    assert catalog.visits[visit].title in text
    assert "March 14, 2026" in text
    assert "Go to the emergency room now" in text
    assert "Call our office now, today" in text
    assert f"Page 1 of {pdfcheck.pages(pdf)}" in text


@pytest.mark.parametrize("visit", VISITS)
def test_body_text_is_large_and_in_the_bundled_font(handouts, visit):
    pdf = handouts[visit]
    assert min(pdfcheck.font_sizes(pdf)) >= 11.9  # nothing printed below 12 pt, footer included
    sizes = pdfcheck.font_sizes(pdf)
    body = max(set(sizes), key=sizes.count)
    assert body >= 12
    assert all(name.startswith("Atkinson-Hyperlegible") for name in pdfcheck.font_names(pdf))


def test_practice_phone_and_version_on_every_page(handouts, catalog):
    import io

    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(handouts["new-patient"]))
    for page in reader.pages:
        page_text = " ".join(page.extract_text().split())
        assert catalog.practice.phone in page_text
        assert re.search(r"Handout 0\.1\.0 · content [0-9a-f]{8} · reviewed", page_text)


def test_us_letter_by_default_and_a4_on_request(handouts, renderer):
    assert pdfcheck.page_size_pt(handouts["injection"]) == (612, 792)
    a4 = render(renderer, "injection", paper="a4")
    assert pdfcheck.page_size_pt(a4) == (595, 842)


@pytest.mark.parametrize("visit", VISITS)
def test_pathway_marks_this_visit_step(handouts, catalog, visit):
    """The plan's box of this visit's step is the one printed black: its words, in white, are "You are
    here" and that step (the other boxes are black on white); a handout without the plan has none."""
    step = catalog.visits[visit].pathway_step if "pathway" in catalog.visits[visit].modules else None
    white = [c.text for page in pdfcheck.layout(handouts[visit]) for c in page.chars
             if c.tag == "Figure" and c.non_stroking_color and min(c.non_stroking_color) > 0.9]
    marked = f"You are here {step}. {PATHWAY_STEPS[step - 1]}" if step else ""
    assert "".join(white) == pdfcheck.squash(marked)


def test_post_op_prints_the_starter_instructions_as_a_draft(handouts, catalog):
    """Unconfigured, every topic prints the built-in starter text (general practice, so the draft
    mark is on), never the bare 'follow your team's instructions' five times over."""
    text = pdfcheck.text(handouts["post-op"])
    assert "Follow the instructions your surgical team gave you" not in text
    for words in ("Do not lift more than 10 pounds", "Do not drive while you take opioid", "Keep the wound clean",
                  "constipation", "Walk several times a day"):
        assert words in text
    assert "Draft: not yet approved" in text


def test_a_topic_nobody_wrote_points_to_the_team(tmp_path):
    """A practice that blanks a topic in its own words (an empty starter) still never prints invented advice."""
    from handouts.config.catalog import Catalog
    from handouts.render.renderer import Renderer

    starter = tmp_path / "builtin"
    (starter / "content").mkdir(parents=True)
    for part in ("templates", "styles", "assets", "content/visits", "content/modules", "content/practice.toml"):
        (starter / part).symlink_to(ROOT / part)
    (starter / "content" / "post-op.toml").write_text('lifting = "Lift nothing over 5 pounds."\n', encoding="utf-8")
    renderer = Renderer(Catalog.load(builtin=starter))
    text = pdfcheck.text(render(renderer, "post-op"))
    assert "Lift nothing over 5 pounds." in text
    assert text.count("Follow the instructions your surgical team gave you") == 4


def test_post_op_fields_are_printed(renderer):
    pdf = render(renderer, "post-op", sets={"procedure": "L4-L5 decompression", "surgery_date": "2026-03-10"})
    text = pdfcheck.text(pdf)
    assert "L4-L5 decompression" in text
    assert "March 10, 2026" in text


@pytest.mark.parametrize("visit", VISITS)
def test_html_format_is_the_same_handout(renderer, handouts, visit):
    """The HTML preview carries every word the PDF prints (but the running footer's "Page"), the
    patient's name escaped."""
    html = render(renderer, visit, fmt="html").decode()
    assert html.startswith("<!DOCTYPE html>")
    assert "Zoë O&#39;Brien-Nuñez" in html
    shown = unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)\b.*?</\1>", "", html, flags=re.S)))
    missing = set(re.findall(r"\w+", pdfcheck.text(handouts[visit]))) - set(re.findall(r"\w+", shown))
    assert missing <= {"Page"}

"""Handouts a patient can read and act on: grade, type size, figures, log, summary, large print."""

import re
from functools import cache

import pytest
from click.testing import CliRunner

from handouts.cli.main import main
from handouts.quality.readability import Report, Section, measure

import pdfcheck
from conftest import MAX_PAGES, VISITS, as_printed, render


@cache
def measured(pdf: bytes) -> Report:
    """`measure` once per PDF (a second or two each): two tests here read the standard print's report.
    What the report holds is read from the PDF; the grades are worked out afresh each time they are asked."""
    return measure(pdf)


@pytest.mark.parametrize("visit", VISITS)
def test_reading_grade_and_type_meet_the_targets(handouts, visit):
    report = measured(handouts[visit])
    assert report.body.grade <= 6
    assert report.body.words > 250  # the grade is measured on real body text, not a fragment
    assert all(section.grade <= 7 for section in report.sections[1:])
    assert report.body_pt >= 12 and report.smallest_pt >= 12
    assert 1 <= report.pages <= MAX_PAGES


@pytest.mark.parametrize("visit", VISITS)
def test_large_print_is_18_pt_and_larger_headings(large, handouts, visit):
    report = measured(large[visit])
    assert report.body_pt >= 18 and report.smallest_pt >= 18
    assert max(pdfcheck.font_sizes(large[visit])) >= 24
    assert report.pages >= measured(handouts[visit]).pages
    assert pdfcheck.squash(pdfcheck.text(handouts[visit])).count("Warningsigns") == pdfcheck.squash(
        pdfcheck.text(large[visit])
    ).count("Warningsigns")


def test_lint_passes_and_fails_by_the_targets(monkeypatch):
    result = CliRunner().invoke(main, ["lint", "--sections"])
    assert result.exit_code == 0, result.output
    assert "6 of 6 handouts meet every target." in result.output
    assert CliRunner().invoke(main, ["lint", "--large-print", "injection"]).exit_code == 0
    monkeypatch.setattr("handouts.quality.lint.MAX_PAGES", 5)
    over = CliRunner().invoke(main, ["lint", "new-patient"])
    assert over.exit_code == 1 and "MISSED: 6 pages, more than 5" in over.output
    monkeypatch.setattr("handouts.quality.lint.HANDOUT_GRADE", 1.0)
    failed = CliRunner().invoke(main, ["lint", "injection"])
    assert failed.exit_code == 1 and "MISSED: reading grade" in failed.output


def test_grade_tells_hard_text_from_easy():
    easy = Section("easy", ["Walk a bit. Then rest. Then walk again."])
    hard = Section(
        "hard",
        [
            "Neurogenic claudication characteristically manifests as bilateral lower-extremity "
            "discomfort precipitated by ambulation and alleviated by lumbar flexion."
        ],
    )
    assert easy.grade < 3 < 12 < hard.grade


def test_readability_works_offline(monkeypatch, handouts):
    import nltk

    def no_network(*args, **kwargs):
        raise AssertionError("textstat tried to download a dictionary")

    monkeypatch.setattr(nltk, "download", no_network)
    assert measure(handouts["new-patient"]).body.grade > 0


@pytest.mark.parametrize(
    ("visit", "figures"),
    [
        ("new-patient", ["Leaning forward", "You are here: step 2"]),
        ("conservative-care", ["You are here: step 4"]),
        ("injection", ["You are here: step 6"]),
        (
            "surgical-consult",
            ["You are here: step 8", "After step 4 there are two ways on", "Decompression and fusion"],
        ),
        ("post-op", ["Recovery timeline, step by step. Day of surgery: Most people walk."]),
        ("post-op-fusion", ["Recovery timeline, step by step. Day of surgery or the next day"]),
    ],
)
def test_figures_are_tagged_with_alternative_text(handouts, visit, figures):
    alts = " ".join(pdfcheck.figure_alts(handouts[visit]))
    for phrase in figures:
        assert phrase in alts


def test_recovery_timeline_shows_calendar_dates_from_the_surgery_date(renderer, handouts):
    dated = pdfcheck.text(render(renderer, "post-op", sets={"surgery_date": "2026-03-10"}))
    assert "Mar 24 to Mar 31" in dated and "Apr 21 to May 5" in dated and "Mar 11" in dated
    undated = pdfcheck.text(handouts["post-op"])
    assert "2 to 3 weeks" in undated and "Mar 24" not in undated


@pytest.mark.parametrize("visit", ["conservative-care", "injection"])
def test_walking_log_to_fill_in(handouts, visit):
    text = pdfcheck.text(handouts[visit])
    assert "Your walking log" in text and "How far before leg symptoms (minutes or blocks)" in text


def test_no_walking_log_where_it_does_not_belong(handouts):
    assert "Your walking log" not in pdfcheck.text(handouts["post-op"])


@pytest.mark.parametrize("visit", VISITS)
def test_page_one_has_key_points_next_steps_and_when_to_call(handouts, catalog, visit):
    first = pdfcheck.page_text(handouts[visit], 1)
    assert "Key points" in first and "What to do next" in first
    assert as_printed(catalog.visits[visit].key_points[0]).search(first)
    assert f"call us at {catalog.practice.phone}" in first
    assert f"After hours: call {catalog.practice.after_hours_phone}" in first
    pages = pdfcheck.pages(handouts[visit])
    ref = int(re.search(r"read the box(?:es)? on pages? (\d+)", first).group(1))  # post-op: "boxes on pages 2 and 3"
    assert "Warning signs that need care right away" in pdfcheck.page_text(handouts[visit], ref)
    assert 1 <= ref <= pages


@pytest.mark.parametrize("visit", VISITS)
def test_no_box_or_text_runs_into_the_footer(handouts, large, visit):
    """Nothing of the page's own runs past its text area into the footer margin, where it would be
    cut off or print over the footer: no box, no line of text (a caption under a figure included)."""
    for pdf, bottom_margin_in in ((handouts[visit], 0.7), (large[visit], 0.95)):
        for number, page in enumerate(pdfcheck.layout(pdf), 1):
            limit = page.height - bottom_margin_in * 72 + 1
            assert all(rect.bottom <= limit for rect in page.rects), (visit, number)
            body = [c for c in page.chars if c.top < limit - 1]  # the footer's text starts below the limit
            assert all(c.bottom <= limit for c in body), (visit, number)

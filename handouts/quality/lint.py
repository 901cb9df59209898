"""`handouts lint`: every visit type rendered and measured against the health-literacy targets.

Targets (shared/docs/health-literacy.md): body text at Flesch-Kincaid grade 6 or lower per
handout, no section above 7, body type at least 12 pt (18 pt in large print), 1-6 pages in
standard print and at most twice that in large print. The numbers come from the finished PDF,
never from the templates.
"""

from dataclasses import dataclass

from ..compose.request import build_request
from ..config.catalog import Catalog
from ..engine.build import MAX_PAGES, build
from ..render.renderer import Renderer
from .readability import Report, measure

HANDOUT_GRADE = 6.0
SECTION_GRADE = 7.0
# Spanish: Fernández-Huerta reading ease, 80 and up "easy" (about 6th grade) per handout, no section under 70.
HANDOUT_EASE = 80.0
SECTION_EASE = 70.0
BODY_PT = {False: 12.0, True: 18.0}
SAMPLE_PATIENT = "Maria Lopez"


@dataclass
class Result:
    visit: str
    large_print: bool
    report: Report
    problems: list[str]


def check(report: Report, large_print: bool) -> list[str]:
    """Every target the handout misses, in words."""
    problems = _reading(report)
    if report.body_pt < BODY_PT[large_print]:
        problems.append(f"body text is {report.body_pt} pt, below {BODY_PT[large_print]:g} pt")
    if report.smallest_pt < BODY_PT[False]:
        problems.append(f"some text is {report.smallest_pt} pt, below {BODY_PT[False]:g} pt")
    limit = MAX_PAGES * (2 if large_print else 1)
    if report.pages > limit:
        problems.append(f"{report.pages} pages, more than {limit}")
    return problems


def _reading(report: Report) -> list[str]:
    """The reading-level targets, measured with a formula made for the handout's language."""
    problems = []
    if report.body.lang == "es":
        if report.body.fernandez_huerta < HANDOUT_EASE:
            problems.append(f"Fernández-Huerta ease {report.body.fernandez_huerta} is under {HANDOUT_EASE:g}")
        for section in report.sections[1:]:
            if section.fernandez_huerta < SECTION_EASE:
                problems.append(
                    f"section '{section.title}' has Fernández-Huerta ease {section.fernandez_huerta}, "
                    f"under {SECTION_EASE:g}"
                )
        return problems
    if report.body.grade > HANDOUT_GRADE:
        problems.append(f"reading grade {report.body.grade} is above {HANDOUT_GRADE:g}")
    for section in report.sections[1:]:
        if section.grade > SECTION_GRADE:
            problems.append(f"section '{section.title}' reads at grade {section.grade}, above {SECTION_GRADE:g}")
    return problems


def lint(
    catalog: Catalog, visits: list[str], large_print: bool, surgeon: str | None = None, lang: str = "en"
) -> list[Result]:
    renderer = Renderer(catalog)
    results = []
    for visit in visits:
        request = build_request(
            catalog, visit, SAMPLE_PATIENT, "2026-03-14", large_print=large_print, surgeon=surgeon, lang=lang
        )
        report = measure(build(renderer, request), lang)
        results.append(Result(visit, large_print, report, check(report, large_print)))
    return results

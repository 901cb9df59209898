"""`handouts check`: load every file of a practice and render every visit type once.

Run before clinic day: a bad file, a missing asset or a template error shows here, not at the
front desk. WeasyPrint's warnings (an unknown CSS property in a practice style) are listed too, and
on a handout with text not yet approved, any page whose draft mark cannot be read as printed.
"""

from collections.abc import Iterator

from ..base.errors import UserError
from ..base.i18n import DEFAULT
from ..compose.request import build_request
from ..config.catalog import Catalog
from ..config.loading import read_toml
from ..engine.build import build
from ..engine.draftmark import unseen
from ..engine.pdf import weasyprint_warnings
from ..inputs.layout import SCHEDULE_FILE
from ..inputs.practice_folder import STARTER
from ..render.renderer import Renderer
from ..render.versions import Unit

SAMPLE_PATIENT = "Maria Lopez"


def check(catalog: Catalog) -> Iterator[tuple[str, list[str]]]:
    """(what was rendered, problems) for each visit type, and for each surgeon's post-op sheet."""
    yield from _placeholders(catalog)
    yield from _schedule(catalog)
    for sid, problem in catalog.broken_surgeons.items():
        yield f"surgeon {sid}", [problem]
    renderer = Renderer(catalog)
    jobs = [(visit, None) for visit in catalog.visits]
    for sid, surgeon in catalog.surgeons.items():
        jobs += [(visit, sid) for visit in sorted({*surgeon.visits, "post-op"} & set(catalog.visits))]
    for lang in catalog.practice.languages:
        for visit, surgeon in jobs:
            label = visit + (f" (surgeon {surgeon})" if surgeon else "") + (f" [{lang}]" if lang != DEFAULT else "")
            with weasyprint_warnings() as warnings:
                try:
                    request = build_request(catalog, visit, SAMPLE_PATIENT, None, surgeon=surgeon, lang=lang)
                    pdf = build(renderer, request)
                    mark = renderer.draft_mark(request)
                    if mark is not None:  # read on the finished pages, as the patient would
                        warnings += unseen(pdf, mark)
                except UserError as exc:
                    warnings.append(str(exc))
            yield label, list(warnings)


def _placeholders(catalog: Catalog) -> Iterator[tuple[str, list[str]]]:
    """Starter values nobody replaced yet: they would print on every patient's handout."""
    if catalog.search.practice is None:
        return
    starter = read_toml(STARTER / "practice.toml")
    same = [key for key in ("name", "address", "website") if getattr(catalog.practice, key) == starter.get(key)]
    if same:
        yield "practice.toml", [f"still the starter's placeholder: {', '.join(same)}: put in the practice's own"]
    example = read_toml(STARTER / "surgeons" / "example.toml")["name"]
    for sid, surgeon in catalog.surgeons.items():
        if surgeon.name == example:
            yield (
                f"surgeon {sid}",
                [f"still the example surgeon's name {example!r}: edit surgeons/{sid}.toml or remove it"],
            )


def _schedule(catalog: Catalog) -> Iterator[tuple[str, list[str]]]:
    """The practice's schedule.toml, if it has one: read only with a schedule, so checked here before clinic day."""
    if catalog.search.practice is None or not (catalog.search.practice / SCHEDULE_FILE).is_file():
        return
    try:
        catalog.schedule  # noqa: B018 (reading it is the check)
    except UserError as exc:
        yield SCHEDULE_FILE, [str(exc)]
        return
    yield SCHEDULE_FILE, []


def unapproved(catalog: Catalog, renderer: Renderer) -> list[tuple[Unit, str]]:
    """Each text that prints with the draft mark in a language the practice offers, and why it
    needs the practice's approval (a language whose files are incomplete is `check`'s to report)."""
    found = []
    for unit in renderer.all_units().values():
        if not unit.needs_approval or catalog.approvals.of(unit.id, *unit.versions):
            continue
        why = {
            "general": "common practice, not in the clinical source",
            "practice": "the practice's own text",
            "translation": "a translation",
        }
        reason = why[unit.basis] + (f" ({unit.note})" if unit.note else "")
        last = catalog.approvals.last(unit.id)
        if last:
            reason += f"; changed since {last.by} approved version {last.version} on {last.date.date().isoformat()}"
        found.append((unit, reason))
    return found

"""`handouts check`: load every file of a practice and render every visit type once.

Run before clinic day: a bad file, a missing asset or a template error shows here, not at the
front desk. WeasyPrint's warnings (an unknown CSS property in a practice style) are listed too.
"""

from collections.abc import Iterator

from .build import build
from .catalog import Catalog
from .errors import UserError
from .pdf import weasyprint_warnings
from .render import Renderer
from .request import build_request

SAMPLE_PATIENT = "Maria Lopez"


def check(catalog: Catalog) -> Iterator[tuple[str, list[str]]]:
    """(what was rendered, problems) for each visit type, and for each surgeon's post-op sheet."""
    renderer = Renderer(catalog)
    jobs = [(visit, None) for visit in catalog.visits]
    for sid, surgeon in catalog.surgeons.items():
        jobs += [(visit, sid) for visit in sorted({*surgeon.visits, "post-op"} & set(catalog.visits))]
    for visit, surgeon in jobs:
        label = visit + (f" (surgeon {surgeon})" if surgeon else "")
        with weasyprint_warnings() as warnings:
            try:
                build(renderer, build_request(catalog, visit, SAMPLE_PATIENT, None, surgeon=surgeon))
            except UserError as exc:
                warnings.append(str(exc))
        yield label, list(warnings)

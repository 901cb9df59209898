"""Request -> finished file bytes: the one pipeline every interface calls."""

from .pdf import html_to_pdf
from .render import Renderer
from .request import Request

FORMATS = ("pdf", "html")


def build(renderer: Renderer, request: Request, fmt: str = "pdf") -> bytes:
    """The handout for `request` as PDF (for patients) or HTML (to preview a template)."""
    html = renderer.render(request).html
    if fmt == "html":
        return html.encode("utf-8")
    return html_to_pdf(html, renderer.catalog.search, request.pdf_variant)


def default_filename(request: Request, fmt: str) -> str:
    """`<visit>-<date>.<fmt>`: no patient name, so a file listing shows no patient data."""
    return f"{request.visit.id}-{request.visit_date.isoformat()}.{fmt}"

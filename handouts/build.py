"""Request -> finished file bytes: the one pipeline every interface calls."""

import os
from pathlib import Path

from .errors import UserError
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


def file_name(request: Request, fmt: str) -> str:
    """`<visit>-<date>.<fmt>`: no patient name, so a file listing or a download shows no patient data."""
    return f"{request.visit.id}-{request.visit_date.isoformat()}.{fmt}"


def default_filename(request: Request, fmt: str, folder: Path) -> Path:
    """`file_name` in `folder`, with _2, _3 ... when taken: never another patient's handout overwritten."""
    stem, n = file_name(request, fmt).removesuffix(f".{fmt}"), 1
    target = folder / f"{stem}.{fmt}"
    while os.path.lexists(target):  # a dangling symbolic link takes the name too
        n += 1
        target = folder / f"{stem}_{n}.{fmt}"
    return target


def check_format(target: Path, fmt: str) -> None:
    """An -o name whose ending says another format is a mistake worth stopping for."""
    suffix = target.suffix.lower().lstrip(".")
    if suffix in FORMATS and suffix != fmt:
        raise UserError(f"-o {target.name} ends in .{suffix} but the format is {fmt}: name it {target.stem}.{fmt}")

"""One print-ready file for a whole batch, for double-sided printing.

Each handout starts on a front side: a blank page is added after a handout with an odd page
count, and an optional separator sheet (front and blank back) names whose handout follows. This
file only goes to the printer: joining PDFs keeps every page as it is but not the tagged
structure, so the per-patient files, which are tagged, remain the ones to give or send.
"""

from html import escape
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from ..base.output import write_atomic
from ..engine.pdf import html_to_pdf
from ..inputs.searchpath import SearchPath

_SEPARATOR = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Next patient</title>
<style>@font-face {{ font-family: "Atkinson Hyperlegible"; src: url(fonts/AtkinsonHyperlegible_400Regular.ttf); }}
@page {{ size: {w}pt {h}pt; margin: 1in; }} body {{ font: 20pt "Atkinson Hyperlegible"; }}
h1 {{ font-size: 30pt; font-weight: 400; margin-top: 2in; }}</style></head>
<body><p>Handouts for</p><h1>{patient}</h1><p>{visit}, {date}</p><p>{id}Line {row} of the schedule</p></body></html>"""


def _separator(entry: dict[str, str], width: float, height: float, search: SearchPath) -> PdfReader:
    values = {key: escape(entry[key]) for key in ("patient", "visit", "date", "row")}
    values["id"] = f"ID {escape(entry['id'])} · " if entry.get("id") else ""
    return PdfReader(BytesIO(html_to_pdf(_SEPARATOR.format(w=width, h=height, **values), search)))


def merge_for_printing(
    files: list[tuple[Path, dict[str, str]]], target: Path, search: SearchPath, separator: bool = False
) -> int:
    """Join the handouts in order; returns the page count of the print file."""
    writer = PdfWriter()
    for path, entry in files:
        reader = PdfReader(path)
        box = reader.pages[0].mediabox
        width, height = float(box.width), float(box.height)
        if separator:
            writer.append(_separator(entry, width, height, search))
            writer.add_blank_page(width, height)
        writer.append(reader)
        if len(reader.pages) % 2:
            writer.add_blank_page(width, height)
    buffer = BytesIO()
    writer.write(buffer)
    write_atomic(target, buffer.getvalue())
    return len(writer.pages)

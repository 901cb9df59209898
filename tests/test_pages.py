"""How the pages break, read off the printed PDF, in both languages and both sizes: no heading left at
a page's foot, a table that compares on one page, pages filled, a short note on page 1, the footer on
one line, and logs with lines tall enough to write in that fill their page."""

import re
from html import unescape
from statistics import mode

import pytest

import pdfcheck
from conftest import SURGERY, VISITS, render

LANGUAGES = ("en", "es")
SIZES = (False, True)
BODY_PT = {False: 13, True: 18}  # headings are set larger than this (styles/*.css)
MARGINS_PT = {False: (1.0 * 72, 0.7 * 72), True: (1.5 * 72, 0.95 * 72)}  # top, bottom of a detail page
LINE_IN = {False: 0.35, True: 0.5}  # the least height of a line to write in (issue 22)


@pytest.fixture(scope="module")
def made(renderer, spanish) -> dict[tuple[str, str, bool], bytes]:
    """Every visit type in each language and size, post-op with a surgery date (the shared builds)."""
    english = {(visit, large): render(renderer, visit, sets=SURGERY.get(visit), large_print=large)
               for visit in VISITS for large in SIZES}
    return {(lang, visit, large): (english if lang == "en" else spanish)[visit, large]
            for lang in LANGUAGES for visit in VISITS for large in SIZES}


def _lines(page: pdfcheck.PageLayout, large: bool) -> list[tuple[float, float, str]]:
    """The text lines of a detail page's text area, top down: (top, largest size, text)."""
    top, bottom = MARGINS_PT[large]
    rows: dict[float, list[pdfcheck.Char]] = {}
    for char in page.chars:
        if top - 4 < char.top < page.height - bottom:
            key = next((k for k in rows if abs(k - char.top) < 3), char.top)
            rows.setdefault(key, []).append(char)
    return [(key, max(c.size for c in chars), "".join(c.text for c in sorted(chars, key=lambda c: c.x0)))
            for key, chars in sorted(rows.items())]


def _opens_with_a_drawing(pdf: bytes, number: int, large: bool) -> bool:
    """Whether page `number`'s text area starts with a drawing (its labels are tagged as a figure)."""
    words = pdfcheck.words(pdf, number, extra_attrs=["tag"])
    body = [w for w in words if w["top"] > MARGINS_PT[large][0] - 4]
    return bool(body) and min(body, key=lambda w: (round(w["top"]), w["x0"]))["tag"] == "Figure"


@pytest.mark.parametrize("large", SIZES, ids=["standard", "large-print"])
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("visit", VISITS)
def test_no_heading_is_left_at_a_page_foot(made, visit, lang, large):
    """'Your recovery' and the shot's heading sat at a page's foot with a line or two of lead-in, the
    drawing they lead into on the next page. A heading at a page's foot has at least two lines of its
    own under it, and three when the next page opens with a drawing (its lead-in goes with it),
    unless its section ends there (the next page starts with a heading)."""
    pdf = made[lang, visit, large]
    pages = [_lines(page, large) for page in pdfcheck.layout(pdf)[1:]]
    heading = BODY_PT[large] + 1.5
    for number, lines in enumerate(pages, 2):
        following = pages[number - 1] if number - 1 < len(pages) else []
        for i, (_top, size, text) in enumerate(lines):
            under = lines[i + 1:]
            if size < heading or any(s >= heading for _t, s, _x in under):
                continue  # not a heading, or its section ends on the page
            if not following or following[0][1] >= heading:
                continue
            assert len(under) >= 2, (visit, lang, large, number, text)
            assert len(under) >= 3 or not _opens_with_a_drawing(pdf, number + 1, large), (visit, lang, number, text)


def _rows(html: str) -> list[list[str]]:
    """The rows of each table that compares (every table but a log to write in), as their heading
    and first cell read: text no other line of the handout has."""
    tables = re.findall(r'<table(?! class="log)[^>]*>(.*?)</table>', html, flags=re.S)
    rows = [re.findall(r'<th scope="row">(.*?)</th>\s*<td>(.*?)</td>', table) for table in tables]
    return [[unescape(re.sub(r"<[^>]+>", "", f"{head} {cell}")) for head, cell in table] for table in rows]


@pytest.mark.parametrize("large", SIZES, ids=["standard", "large-print"])
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("visit", ["new-patient", "surgical-consult"])
def test_a_table_that_compares_is_on_one_page(renderer, made, visit, lang, large):
    """The three choices of the surgical consult split 2 and 1 over two pages: the rows of a table
    that compares are read against each other, so all of them print on one page."""
    from handouts.compose.request import build_request

    request = build_request(renderer.catalog, visit, "A B", "2026-03-14", lang=lang, large_print=large)
    tables = [rows for rows in _rows(renderer.details_html(request)) if rows]
    assert tables, visit
    texts = [pdfcheck.squash(text) for text in pdfcheck.page_texts(made[lang, visit, large])]
    for rows in tables:
        pages = {n for row in rows for n, text in enumerate(texts, 1) if pdfcheck.squash(row) in text}
        assert len(pages) == 1, (visit, lang, large, rows, pages)


def _fill(page: pdfcheck.PageLayout, large: bool) -> float:
    """How far down its text area a detail page's content reaches, 0 to 1."""
    top, bottom = MARGINS_PT[large]
    area = page.height - top - bottom
    lows = [o.bottom for o in (*page.chars, *page.rects, *page.lines) if top < o.top < top + area]
    return (max(lows, default=top) - top) / area


# A page before a block that is never split (a warning box, a drawing, a log on the sheet it is brought
# back on) may be left partly empty: in standard print at most 40 %; in large print, where such a block
# takes most of a page, at most 70 %.
LEAST_FILL = {False: 0.6, True: 0.3}


@pytest.mark.parametrize("large", SIZES, ids=["standard", "large-print"])
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("visit", VISITS)
def test_the_detail_pages_are_filled(made, visit, lang, large):
    """Injection pages 2 and 4 and post-op page 2 were a quarter to a half empty: every detail page
    but the last is filled at least LEAST_FILL of the way down."""
    pages = pdfcheck.layout(made[lang, visit, large])
    thin = [(n, round(_fill(page, large), 2)) for n, page in enumerate(pages[1:-1], 2)
            if _fill(page, large) < LEAST_FILL[large]]
    assert thin == [], (visit, lang, large)


NOTE = "Walk to the mailbox and back twice a day."


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("visit", VISITS)
def test_a_short_note_stays_on_page_one(renderer, made, visit, lang):
    """A one-line note printed alone on an otherwise blank page 2: page 1 is laid out tighter
    (never in smaller type) until the note fits under the summary, and the handout is no longer."""
    pdf = render(renderer, visit, sets=SURGERY.get(visit), lang=lang, note=NOTE)
    assert NOTE in pdfcheck.page_text(pdf, 1)
    assert pdfcheck.pages(pdf) == pdfcheck.pages(made[lang, visit, False])


@pytest.mark.parametrize("large", SIZES, ids=["standard", "large-print"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_footer_breaks_only_between_its_parts(made, lang, large):
    """The Spanish footer wrapped on every page and left '2026' alone on its second line. In
    standard print it is one line; in large print (18 pt) its second line starts at a part
    ('reviewed ...'), never inside one."""
    for visit in VISITS:
        for page in pdfcheck.layout(made[lang, visit, large]):
            foot = [c for c in page.chars if c.top > page.height - MARGINS_PT[large][1]]
            rows: list[float] = []
            for top in sorted(c.top for c in foot):  # a line's characters lie within a point or two
                if not rows or top - rows[-1] > 4:
                    rows.append(top)
            assert len(rows) == (2 if large else 1), (visit, lang, large, rows)
            if large:
                second = "".join(c.text for c in sorted(foot, key=lambda c: c.x0) if c.top > rows[1] - 1)
                assert second.startswith(("reviewed", "revisado")), (visit, lang, second)


# Each log: the words of its head, and the least lines to write in it holds (it fills its page with more).
LOGS = {
    "conservative-care": ({"en": "How far before leg", "es": "Cuánto caminó hasta"}, 7),
    "injection": ({"en": "How far before leg", "es": "Cuánto caminó hasta"}, 5),
    "new-patient": ({"en": "What were you doing?", "es": "¿Qué estaba haciendo?"}, 3),
    "post-op": ({"en": "Minutes walked", "es": "Minutos que caminó"}, 14),
    "post-op-fusion": ({"en": "Minutes walked", "es": "Minutos que caminó"}, 14),
}


def _rules(page: pdfcheck.PageLayout) -> list[float]:
    """Where a table's lines across a page run, top down (the cells' borders)."""
    return sorted({round(line.top, 1) for line in page.lines if line.bottom - line.top < 0.5 and line.width > 20})


@pytest.mark.parametrize("large", SIZES, ids=["standard", "large-print"])
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("visit", LOGS)
def test_a_log_has_lines_tall_enough_to_write_in_and_fills_its_page(made, visit, lang, large):
    """The recovery log's lines were 0.22 in tall with 2.4 in of its page empty, the symptom diary had 4.
    A log's lines are at least 0.35 in tall (0.5 in in large print), measured between the ruled lines
    of the printed table; it holds at least its least number of lines; and it fills the page it ends
    on down to the foot of the text area (less than a line left, with what it has under its lines)."""
    head, least = LOGS[visit]
    pdf = made[lang, visit, large]
    pages = pdfcheck.layout(pdf)
    start = next(n for n, text in enumerate(pdfcheck.page_texts(pdf)) if head[lang] in text)
    lines = []
    for page in pages[start:]:
        rules = _rules(page)
        lines += [b - a for a, b in zip(rules, rules[1:], strict=False)]
    least_pt = LINE_IN[large] * 72 - 0.5
    assert mode(round(height, 1) for height in lines) >= least_pt, (visit, lang, large)  # most lines are blank ones
    line = min(height for height in lines if height >= least_pt)
    # the lines to write in, with the head and the example (and any other table on the page) no shorter
    assert sum(1 for height in lines if height >= least_pt) >= least + 2, (visit, lang, large)
    last = pages[-1]
    foot = last.height - MARGINS_PT[large][1]
    lowest = max(o.bottom for o in (*last.chars, *last.lines) if o.bottom < foot + 1)
    assert foot - lowest < line + 12, (visit, lang, large, foot, lowest)  # a line, and a table's margin


@pytest.mark.parametrize("large", SIZES, ids=["standard", "large-print"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_after_a_shot_the_log_asks_how_long_the_relief_lasted(made, lang, large):
    """The article's test of a shot (relief for at least several weeks: it worked; none, or a few
    days: it did not) as a tool on the log's page: the dates, the three answers to check, and what
    each means; only on the sheet for a shot."""
    words = {
        "en": ("how long did the relief last?", "Date of your shot", "Relief started", "Relief ended", "No relief",
               "A few days", "Several weeks or more", "means the shot worked"),
        "es": ("¿cuánto le duró el alivio?", "Fecha de la inyección", "Empezó el alivio", "Se acabó el alivio",
               "Nada de alivio", "Unos días", "Varias semanas o más", "la inyección funcionó"),
    }[lang]
    pdf = made[lang, "injection", large]
    page = next(n for n, text in enumerate(pdfcheck.page_texts(pdf), 1) if words[0] in text)
    text = " ".join(" ".join(pdfcheck.page_texts(pdf)[page - 1:]).split())
    assert all(word in text for word in words), [word for word in words if word not in text]
    assert words[0] not in pdfcheck.text(made[lang, "conservative-care", large])


@pytest.mark.parametrize("large", SIZES, ids=["standard", "large-print"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_line_of_page_one_ends_inside_a_range_of_numbers(made, lang, large):
    """Page 1 of the injection sheet ended a line "we do not advise more than 2" and went on "to 3
    shots": a line that reads as a rule of its own (PEMAT-P review). A range of numbers stays on one line."""
    ends = re.compile(r"\b\d+$")
    starts = re.compile(r"^(or|to|o|a|y|and) \d")
    for visit in VISITS:
        lines = [text.strip().replace("\u00a0", " ") for _top, _size, text in
                 _lines(pdfcheck.layout(made[lang, visit, large])[0], large)]
        broken = [(a, b) for a, b in zip(lines, lines[1:], strict=False) if ends.search(a) and starts.match(b)]
        assert broken == [], (visit, broken)

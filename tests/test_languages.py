"""Handouts in Spanish: choosing the language everywhere, the message catalog, translations laid
over the English, and Spanish PDFs with no English left in them."""

import io
import re
import shutil
import tomllib
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date
from pathlib import Path

import pypdf
import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from handouts.base.errors import UserError
from handouts.base.i18n import DOMAIN, LOCALE_DIR, catalog_path, extract, long_date, parse_lang, translations
from handouts.cli.main import main
from handouts.config.catalog import Catalog
from handouts.config.editions import translate
from handouts.inputs.searchpath import SearchPath
from handouts.quality.check import unapproved
from handouts.render.figures import FIGURES, figure
from handouts.render.renderer import Renderer, timeline_rows

import pdfcheck
from conftest import NAME, ROOT, VISITS

FIXTURE = Path(__file__).parent / "fixtures" / "practice"
# Common English words that are not Spanish words: any of them in a Spanish handout is English left over
# (not "may" or "canal": Spanish prints "5 may" for May 5 and "canal espinal").
ENGLISH = set(
    [
        "the",
        "and",
        "you",
        "your",
        "with",
        "walk",
        "walking",
        "pain",
        "legs",
        "leg",
        "back",
        "call",
        "this",
        "that",
        "for",
        "of",
        "to",
        "is",
        "are",
        "will",
        "can",
        "what",
        "when",
        "how",
        "page",
        "date",
        "visit",
        "surgery",
        "injection",
        "shot",
        "draft",
        "approved",
        "questions",
        "today",
        "after",
        "before",
        "help",
        "more",
        "less",
        "not",
        "or",
        "it",
        "be",
        "have",
        "has",
        "at",
        "on",
        "in",
        "if",
        "we",
        "our",
        "my",
        "should",
        "must",
        "day",
        "days",
        "week",
        "weeks",
        "nerve",
        "nerves",
        "stenosis",
        "blood",
        "team",
        "care",
        "home",
        "work",
        "time",
        "good",
        "feel",
        "get",
        "go",
        "take",
        "keep",
        "stop",
        "read",
        "box",
        "right",
        "away",
        "emergency",
        "room",
        "now",
        "office",
        "key",
        "points",
        "next",
        "steps",
        "prepared",
        "handout",
        "content",
        "reviewed",
        "online",
        "log",
        "write",
        "spine",
        "narrowing",
        "leaning",
        "cart",
        "walker",
        "poles",
        "bike",
        "before",
        "after",
        "sit",
        "stand",
        "lie",
        "down",
        "up",
    ]
)


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def words(pdf: bytes, *own: str) -> list[str]:
    """The words of a handout, less the practice's and patient's own data (names are not translated)."""
    text = pdfcheck.text(pdf)
    for value in own:
        text = text.replace(value, " ")
    text = re.sub(r"\b[0-9a-f]{8}\b", " ", text)  # the content hash in the footer: "be7a6fdd" is not English
    return re.findall(r"[A-Za-zÀ-ÿ']+", text.lower())


# --- Choosing the language --------------------------------------------------------------------


@pytest.mark.parametrize("text", ["es", "ES", "Spanish", "spanish", "español", "Español", "espanol", " es "])
def test_every_way_of_writing_spanish_is_understood(text):
    assert parse_lang(text) == "es"


def test_an_unknown_language_is_a_clear_error():
    with pytest.raises(UserError, match=r"'French' is not a language.*en \(English\), es \(Spanish\)"):
        parse_lang("French")
    result = invoke("make", "injection", "-p", NAME, "--lang", "fr")
    assert result.exit_code == 2 and "'fr' is not a language" in result.output and "Traceback" not in result.output


# --- The message catalog ----------------------------------------------------------------------


def test_the_catalog_template_lists_every_message_the_code_prints():
    """handouts/locale/messages.pot is what `scripts/catalogs` extracts now: run it after changing a message."""
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as handle:
        committed = {(m.context, m.id) for m in read_po(handle) if m.id}
    assert {(m.context, m.id) for m in extract(ROOT) if m.id} == committed


def test_every_message_is_translated_with_the_same_placeholders():
    with catalog_path("es").open("rb") as handle:
        catalog = read_po(handle, locale="es")
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as handle:
        wanted = {(m.context, m.id) for m in read_po(handle) if m.id}
    assert {(m.context, m.id) for m in catalog if m.id} == wanted
    for message in catalog:
        if message.id:
            assert message.string and not message.fuzzy, message.id
            placeholders = re.compile(r"%\(\w+\)s|\{\w+\}")
            assert sorted(placeholders.findall(message.string)) == sorted(placeholders.findall(message.id)), message.id
    assert translations("es").gettext("Key points") == "Puntos clave"


def test_a_fuzzy_message_is_refused(tmp_path, monkeypatch):
    """A message the translator has not confirmed would print a guess (or English): the catalog is refused."""
    folder = tmp_path / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    text = catalog_path("es").read_text(encoding="utf-8").replace('msgid "Key points"', '#, fuzzy\nmsgid "Key points"')
    (folder / f"{DOMAIN}.po").write_text(text, encoding="utf-8")
    monkeypatch.setattr("handouts.base.i18n.LOCALE_DIR", tmp_path)
    translations.cache_clear()
    try:
        with pytest.raises(UserError, match=r"1 message\(s\) not translated, e.g. 'Key points'"):
            translations("es")
    finally:
        translations.cache_clear()


def _spanish_figure(catalog: Catalog, name: str, size: float, surgery: date | None = None) -> str:
    """A drawing in Spanish; the recovery timeline is the post-op visit's (with its dates and a
    "today" row when there is a surgery date)."""
    options = {}
    if name == "recovery":
        steps = catalog.edition("es").visits["post-op"].timeline
        options["timeline"] = timeline_rows(steps, surgery, date(2026, 3, 14), "es")
    return figure(name, size=size, gettext=translations("es").gettext, **options)


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_a_figure_in_spanish_prints_only_its_own_words(catalog, name):
    """A drawing's untitled panel once printed gettext(""), the catalog's header ("Project-Id-Version: ...")."""
    svg = _spanish_figure(catalog, name, 13)
    assert "Project-Id-Version" not in svg and "Content-Type" not in svg


def _affine(transform: str) -> tuple[float, ...]:
    """An SVG transform attribute as the matrix (a, b, c, d, e, f)."""
    matrix: tuple[float, ...] = (1, 0, 0, 1, 0, 0)
    for kind, args in re.findall(r"(\w+)\(([^)]*)\)", transform):
        v = [float(x) for x in re.split(r"[ ,]+", args.strip())]
        step = {
            "translate": (1, 0, 0, 1, v[0], v[1] if len(v) > 1 else 0),
            "scale": (v[0], 0, 0, v[-1], 0, 0),
            "matrix": tuple(v),
        }[kind]
        matrix = _compose(matrix, step)
    return matrix


def _compose(m: tuple[float, ...], t: tuple[float, ...]) -> tuple[float, ...]:
    a, b, c, d, e, f = m
    ta, tb, tc, td, te, tf = t
    return (a * ta + c * tb, b * ta + d * tb, a * tc + c * td, b * tc + d * td,
            a * te + c * tf + e, b * te + d * tf + f)


def _text_spans(svg: str) -> list[tuple[str, float, float]]:
    """(words, left, right) of every line of text a drawing prints, in the drawing's own units."""
    spans = []

    def walk(element: ET.Element, matrix: tuple[float, ...]) -> None:
        matrix = _compose(matrix, _affine(element.get("transform", "")))
        if element.tag.endswith("text") and element.text:
            bold = element.get("font-weight") == "bold"
            width = pdfcheck.text_width(element.text, bold, float(element.get("font-size").removesuffix("px")))
            x, y = float(element.get("x")), float(element.get("y"))
            left = x - {"end": width, "middle": width / 2}.get(element.get("text-anchor", "start"), 0)
            a, _, c, _, e, _ = matrix
            spans.append((element.text, a * left + c * y + e, a * (left + width) + c * y + e))
        for child in element:
            walk(child, matrix)

    walk(ET.fromstring(svg), (1, 0, 0, 1, 0, 0))
    return spans


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_a_spanish_figure_keeps_every_word_inside_the_drawing(catalog, name):
    """Spanish words are longer: a line the drawing does not wrap (the timeline's column heading
    once) ran past the drawing's edge in large print and was cut off."""
    for size in (13, 18):
        svg = _spanish_figure(catalog, name, size, surgery=date(2026, 3, 10))
        edge = float(re.search(r'viewBox="0 0 ([\d.]+)', svg).group(1))
        outside = [(text, round(left), round(right)) for text, left, right in _text_spans(svg)
                   if left < -0.5 or right > edge + 0.5]
        assert outside == [], f"{name} at {size} pt: words past the edge {outside}"


@pytest.mark.parametrize("only", ["decompression", "fusion"])
def test_the_drawing_of_ones_operation_keeps_every_spanish_word_inside(only):
    """The post-op sheets draw the one operation the patient had (figure("surgery", only=...))."""
    for size in (13, 18):
        svg = figure("surgery", size=size, gettext=translations("es").gettext, only=only)
        edge = float(re.search(r'viewBox="0 0 ([\d.]+)', svg).group(1))
        outside = [(text, round(left), round(right)) for text, left, right in _text_spans(svg)
                   if left < -0.5 or right > edge + 0.5]
        assert outside == [], f"{only} at {size} pt: words past the edge {outside}"


def test_dates_are_written_the_spanish_way_without_the_system_locale():
    assert long_date(date(2026, 3, 14), "es") == "14 de marzo de 2026"
    assert long_date(date(2026, 3, 14)) == "March 14, 2026"


# --- Translations laid over the English --------------------------------------------------------


def _visit_translation(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "visits"
    (folder / "es").mkdir(parents=True)
    shutil.copy(ROOT / "content/visits/injection.toml", folder / "injection.toml")
    (folder / "es" / "injection.toml").write_text(text, encoding="utf-8")
    return folder / "injection.toml"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("title = ", "order = 3\ntitle = ", 1), "key 'order' is not text to translate"),
        (lambda t: re.sub(r"\nteach_back = \[[^\]]*\]", "", t), "key 'teach_back' has no translation: add it"),
        (lambda t: re.sub(r'(key_points = \[\n)\s*"[^"]*",\n', r"\1", t), "key 'key_points' must list 5 item"),
    ],
)
def test_a_translation_holds_all_the_text_and_only_the_text(tmp_path, catalog, change, message):
    """Structure comes from the English file; every text must be there, every list as long."""
    spanish = (ROOT / "content/visits/es/injection.toml").read_text(encoding="utf-8")
    path = _visit_translation(tmp_path, change(spanish))
    with pytest.raises(UserError, match=re.escape(message)):
        translate(catalog.visits["injection"], path, "es", SearchPath(tmp_path))  # tmp_path as a practice folder


def test_a_practice_file_without_its_translation_names_the_file_to_add(tmp_path):
    practice = Path(shutil.copytree(FIXTURE, tmp_path / "practice"))
    toml = practice / "practice.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('languages = ["en"]', 'languages = ["en", "es"]'))
    result = invoke("make", "injection", "-p", NAME, "--lang", "es", "--practice", str(practice), "-o", str(tmp_path))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert re.search(r"has no Spanish version: add \S*/es/\S+", result.output), result.output
    assert invoke("make", "injection", "-p", NAME, "--practice", str(practice), "-o", str(tmp_path)).exit_code == 0
    checked = invoke("check", "--practice", str(practice))
    assert checked.exit_code == 2 and "[es]" in checked.output and "has no Spanish version" in checked.output


def test_a_practice_template_without_its_translation_stops_a_spanish_handout(tmp_path):
    practice = tmp_path / "practice"
    (practice / "templates/modules").mkdir(parents=True)
    shutil.copy(ROOT / "content/practice.toml", practice / "practice.toml")
    shutil.copy(ROOT / "templates/modules/walking.html", practice / "templates/modules/walking.html")
    result = invoke("make", "conservative-care", "-p", NAME, "--lang", "es", "--practice", str(practice))
    assert result.exit_code == 2
    assert f"add {practice / 'templates/es/modules/walking.html'}" in result.output
    (practice / "templates/es/modules").mkdir(parents=True)
    shutil.copy(ROOT / "templates/es/modules/walking.html", practice / "templates/es/modules/walking.html")
    made = invoke(
        "make", "conservative-care", "-p", NAME, "--lang", "es", "--practice", str(practice), "-o", str(tmp_path)
    )
    assert made.exit_code == 0, made.output


def test_a_surgeon_topic_without_spanish_text_stops_only_that_surgeons_spanish_handout(tmp_path):
    practice = Path(shutil.copytree(FIXTURE, tmp_path / "practice"))
    for name in ("templates", "modules", "visits"):
        shutil.rmtree(practice / name)
    toml = practice / "practice.toml"
    text = toml.read_text(encoding="utf-8").replace('languages = ["en"]', 'languages = ["en", "es"]')
    toml.write_text(text)
    (practice / "es").mkdir()
    (practice / "es/practice.toml").write_text(
        'footer = "Educación para pacientes de Riverbend Spine Center"\n\n[post_op]\n'
        'driving = "Regla de la práctica: no maneje hasta que su cirujano diga que es seguro."\n',
        encoding="utf-8",
    )
    args = ["make", "post-op", "-p", NAME, "--set", "surgery_date=2026-03-10", "--practice", str(practice)]
    result = invoke(*args, "--surgeon", "lee", "--lang", "es", "-o", str(tmp_path))
    assert result.exit_code == 2 and f"add {practice / 'surgeons/es/lee.toml'}" in result.output
    assert invoke(*args, "--lang", "es", "-o", str(tmp_path)).exit_code == 0  # without the surgeon: fine
    (practice / "surgeons/es").mkdir()
    (practice / "surgeons/es/lee.toml").write_text(
        '[post_op]\nactivity = "Regla del Dr. Lee: camine tres veces al día."\n'
        'wound_care = "Regla del Dr. Lee: mantenga seco el vendaje."\n\n'
        '[[visits.post-op.sections]]\ntitle = "Consejos del Dr. Lee"\ntext = "Llámenos **antes** de bañarse."\n',
        encoding="utf-8",
    )
    made = invoke(*args, "--surgeon", "lee", "--lang", "es", "-o", str(tmp_path / "lee.pdf"))
    assert made.exit_code == 0, made.output
    text = pdfcheck.text((tmp_path / "lee.pdf").read_bytes())
    assert "Regla del Dr. Lee: camine tres veces al día." in text and "Consejos del Dr. Lee" in text
    assert "Regla de la práctica: no maneje" in text and "Educación para pacientes de Riverbend" in text
    assert "Dr. Lee's rule" not in text


# --- Spanish handouts ---------------------------------------------------------------------------


@pytest.mark.parametrize("visit", VISITS)
def test_a_spanish_handout_has_no_english_left(spanish, catalog, visit):
    practice = catalog.practice
    own = [practice.name, practice.address or "", practice.website or "", NAME]
    for large in (False, True):
        pdf = spanish[visit, large]
        left = sorted(set(words(pdf, *own)) & ENGLISH)
        assert left == [], f"{visit} ({'large' if large else 'standard'} print): English words {left}"
        assert pypdf.PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Lang"] == "es"
        first = pdfcheck.page_text(pdf, 1)
        assert "14 de marzo de 2026" in first and "Página 1 de" in first


def _numbers(text: str) -> Counter:
    return Counter(re.findall(r"\d+", re.sub(r"<[^>]*>|\{[{%#].*?[}%#]\}|&#?\w+;", " ", text, flags=re.S)))


def _texts(data: object) -> list[str]:
    """Every text of a translation-shaped TOML table, in order (the English file's: only its printed keys)."""
    if isinstance(data, str):
        return [data]
    if isinstance(data, list):
        return [t for item in data for t in _texts(item)]
    if isinstance(data, dict):
        return [t for item in data.values() for t in _texts(item)]
    return []


def test_each_module_carries_the_same_numbers_and_warning_signs_in_both_languages():
    for english in sorted((ROOT / "templates/modules").glob("*.html")):
        spanish = ROOT / "templates/es/modules" / english.name
        en, es = english.read_text(encoding="utf-8"), spanish.read_text(encoding="utf-8")
        assert _numbers(es) == _numbers(en), english.name
        assert es.count("<li") == en.count("<li"), f"{english.name}: list items differ"
        assert re.findall(r"figure\([^)]*\)", es) == re.findall(r"figure\([^)]*\)", en), english.name
    printed = ("title", "purpose", "key_points", "next_steps", "questions", "teach_back")
    for english in sorted((ROOT / "content/visits").glob("*.toml")):
        en = tomllib.loads(english.read_text(encoding="utf-8"))
        es = tomllib.loads((english.parent / "es" / english.name).read_text(encoding="utf-8"))
        en_text = _texts([en.get(k, []) for k in printed]) + _texts(
            [[m["when"], m["what"]] for m in en.get("timeline", [])]
        )
        assert _numbers(" ".join(_texts(es))) == _numbers(" ".join(en_text)), english.name


def test_a_batch_makes_each_row_in_its_own_language(tmp_path):
    schedule = tmp_path / "day.csv"
    schedule.write_text(
        "visit,patient,date,lang\n"
        "injection,Rosa Delgado,2026-03-14,es\n"
        "injection,Walter Jankowski,2026-03-14,\n"
        "injection,Mei-Ling Park,2026-03-14,Spanish\n"
        "injection,Abdul Rahman Haddad,2026-03-14,español\n"
        "injection,Tom Baker,2026-03-14,espanol\n"
        "injection,Ana Silva,2026-03-14,klingon\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = invoke("batch", str(schedule), "-o", str(out), "-j", "1")
    assert result.exit_code == 1 and "'klingon' is not a language" in result.output
    langs = {}
    for pdf in sorted(out.glob("*.pdf")):
        langs[pdf.stem] = str(pypdf.PdfReader(pdf).trailer["/Root"]["/Lang"])
    assert sorted(langs.values()) == ["en", "es", "es", "es", "es"], langs


def test_the_web_page_makes_a_spanish_handout():
    from handouts.web import create_app

    client = create_app().test_client()
    page = client.get("/")
    assert 'name="lang" value="es"' in page.text and "Español" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    data = {"csrf_token": csrf, "visit": "injection", "patient": NAME, "date": "2026-03-14", "lang": "es"}
    response = client.post("/handout", data=data)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "Puntos clave" in pdfcheck.page_text(response.data, 1)


def test_a_translation_prints_as_a_draft_until_a_translator_approves_it(tmp_path):
    practice = tmp_path / "practice"
    practice.mkdir()
    shutil.copy(ROOT / "content/practice.toml", practice / "practice.toml")
    made = tmp_path / "a.pdf"
    args = [
        "make",
        "injection",
        "-p",
        NAME,
        "--lang",
        "es",
        "--practice",
        str(practice),
        "-o",
        str(made),
        "--no-record",
    ]
    assert invoke(*args).exit_code == 0
    assert "Borrador sin aprobar por Sample Spine Practice" in pdfcheck.page_text(made.read_bytes(), 2)
    # What `check` lists as not yet approved (it prints unapproved(): test_approval runs the command).
    catalog = Catalog.load(practice)
    listed = {unit.id: reason for unit, reason in unapproved(catalog, Renderer(catalog))}
    assert listed["module:walking-log@es"].startswith("a translation")
    approved = invoke(
        "approve", "--all", "--by", "Lucía Torres, certified medical translator", "--practice", str(practice)
    )
    assert "Approved module:walking-log@es" in approved.output and "Approved visit:injection@es" in approved.output
    assert invoke(*args).exit_code == 0
    assert "Borrador" not in pdfcheck.text(made.read_bytes())


def test_a_change_to_the_english_brings_the_translations_draft_mark_back(tmp_path):
    """A translation must follow its English: its version covers the English unit's."""
    practice = tmp_path / "practice"
    for lang in ("", "es/"):
        (practice / f"templates/{lang}modules").mkdir(parents=True)
        source = ROOT / f"templates/{lang}modules/walking.html"
        shutil.copy(source, practice / f"templates/{lang}modules/walking.html")
    shutil.copy(ROOT / "content/practice.toml", practice / "practice.toml")

    def versions() -> tuple[str, str]:
        units = Renderer(Catalog.load(practice)).edition("es").units
        return units["module:walking"].version, units["module:walking@es"].version

    before = versions()
    english = practice / "templates/modules/walking.html"
    english.write_text(english.read_text(encoding="utf-8").replace("Walking", "Walking, every day,", 1))
    after = versions()
    assert after[0] != before[0] and after[1] != before[1]


def test_a_catalog_made_from_another_keeps_editions_of_its_own() -> None:
    """`dataclasses.replace` makes a new catalog (another practice name, say): its Spanish edition is its own,
    never the first catalog's kept one, which would print the old name on every Spanish handout."""
    from dataclasses import replace

    catalog = Catalog.load(None)
    assert catalog.edition("es").practice.name == catalog.practice.name
    renamed = replace(catalog, practice=catalog.practice.model_copy(update={"name": "Ridgeview Spine"}))
    assert renamed.edition("es").practice.name == "Ridgeview Spine"
    assert catalog.edition("es").practice.name != "Ridgeview Spine"

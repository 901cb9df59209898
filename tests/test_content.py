"""What patients read: the clinical facts each visit type must carry, its printed text as a golden
file, and the page rules (page 1 whole, warning boxes whole, no near-empty page, page limits).

The facts are data here, on purpose: a change to a warning sign or a number from the clinical
source (shared/source) fails this file until the same commit changes the fact below, and the
golden text shows every other change to what prints in review. Update the golden files with
`pytest tests/test_content.py --update-golden` and read the diff before committing it.
"""

import re
from collections import Counter
from pathlib import Path

import pytest

from handouts.base.errors import UserError
from handouts.base.i18n import translations
from handouts.config.catalog import Catalog
from handouts.render.renderer import Renderer, timeline_rows

import pdfcheck
from conftest import MAX_PAGES, VISITS, as_printed, render

GOLDEN = Path(__file__).with_name("golden")
MARGINS_PT = {False: (1.0 * 72, 0.7 * 72), True: (1.5 * 72, 0.95 * 72)}  # top, bottom (styles/*.css)
SETS = {"post-op": {"surgery_date": "2026-03-10"}, "post-op-fusion": {"surgery_date": "2026-03-10"}}

# The seven warning signs of the source, each as it prints, with the urgency of each group; all
# must be on every handout, exactly once.
WARNING_SIGNS = {
    "en": (
        "Go to the emergency room now if:",
        "You have new weakness in your legs.",
        "(foot drop)",
        "hard to stand up from a chair",
        "You lose control of your bladder or bowels. Or you have new trouble starting to pass urine.",
        'numbness in the "saddle" area. This is your groin, inner thighs and buttocks. You may first notice it when '
        "you wipe.",
        "You have leg pain after a bad fall or injury.",
        "You have a fever along with back pain.",
        "Call our office now, today, at",
        "You have severe pain at rest that does not get better when you change position.",
        "You have had cancer, and now you have new or worse back or leg pain.",
        "If you cannot talk to someone right away, go to the emergency room now.",
    ),
    "es": (
        "Vaya a la sala de emergencias ahora si:",
        "Tiene debilidad nueva en las piernas.",
        "(pie caído)",
        "cuesta levantarse de una silla",
        "No puede controlar la orina o la popó (la vejiga o el intestino), o de pronto le cuesta empezar a orinar.",
        'Se le adormece la zona de la "silla de montar": la ingle, la parte de adentro de los muslos y las nalgas. '
        "Puede notarlo al limpiarse.",
        "Le duele la pierna por una caída fuerte o una lesión.",
        "Tiene fiebre y también dolor de espalda.",
        "Llámenos ahora, hoy mismo, al",
        "Tiene un dolor muy fuerte cuando está quieto o descansando, y no mejora al cambiar de posición.",
        "Tuvo cáncer y ahora tiene dolor nuevo o peor en la espalda o la pierna.",
        "Si nadie le contesta de inmediato, vaya ahora a la sala de emergencias.",
    ),
}

# The warning signs after surgery (general practice, approved by the practice), on both post-op sheets;
# the fever is the built-in sample practice's (fever_f, 101 °F).
POST_OP_SIGNS = {
    "en": (
        "Call 911 or go to the emergency room now if:",
        "Call our office now, today, at",  # the second box's own, with the same wording
        "If you cannot talk to someone right away, go to the emergency room now.",
        "You have chest pain, or you are short of breath.",
        "You cannot pass urine.",
        'Your legs get new or worse weakness or numbness, or you have numbness in the "saddle" area.',
        "You have a fever with a stiff neck, or a very bad headache that does not ease lying down.",
        "Your wound gets red, warm or swollen, or fluid or pus drains from it.",
        "You have a fever of 101 °F (38.3 °C) or higher.",
        "One calf is swollen, warm or sore.",
        "You have a headache when you sit or stand up that eases when you lie down.",
        "Clear, watery fluid comes from your wound.",
    ),
    "es": (
        "Llame al 911 o vaya a la sala de emergencias ahora si:",
        "Llámenos ahora, hoy mismo, al",
        "Si nadie le contesta de inmediato, vaya ahora a la sala de emergencias.",
        "Tiene dolor en el pecho, o le falta el aire.",
        "No puede orinar.",
        'Tiene debilidad o adormecimiento nuevo o peor en las piernas, o se le adormece la zona de la "silla de '
        'montar".',
        "Tiene fiebre con el cuello rígido, o un dolor de cabeza muy fuerte que no se calma al acostarse.",
        "Su herida se pone roja, caliente o hinchada, o le sale líquido o pus.",
        "Tiene fiebre de 101 °F (38.3 °C) o más.",
        "Una pantorrilla está hinchada, caliente o le duele.",
        "Tiene dolor de cabeza al sentarse o ponerse de pie, y se calma al acostarse.",
        "Le sale de la herida un líquido claro, como agua.",
    ),
}

# The warning signs after a shot (general practice), on the injection sheet: the box's tiers and its
# after-hours line are a second time on that sheet.
INJECTION_SIGNS = {
    "en": (
        "Go to the emergency room now if:",
        "Call our office now, today, at",
        "If you cannot talk to someone right away, go to the emergency room now.",
        "It should wear off within 8 hours.",
        "Your legs are still numb or weak 8 hours after the shot, or they get worse.",
        "You lose control of your bladder or bowels, or you cannot pass urine.",
        "You have a fever of 101 °F (38.3 °C) or higher, or a fever with a stiff neck or a bad headache, or you feel "
        "very ill.",
        "You have a very bad headache that does not ease lying down.",
        "You have a bad headache when you sit or stand up that eases lying down.",
        "The place where the shot went in is red, warm or swollen, or leaks fluid.",
    ),
    "es": (
        "Vaya a la sala de emergencias ahora si:",
        "Llámenos ahora, hoy mismo, al",
        "Si nadie le contesta de inmediato, vaya ahora a la sala de emergencias.",
        "Se le debe quitar en menos de 8 horas.",
        "Sus piernas siguen adormecidas o débiles 8 horas después de la inyección, o empeoran.",
        "No puede controlar la orina o la popó (la vejiga o el intestino), o no puede orinar.",
        "Tiene fiebre de 101 °F (38.3 °C) o más, o fiebre con el cuello rígido o un dolor de cabeza fuerte, o se "
        "siente muy mal.",
        "Tiene un dolor de cabeza muy fuerte que no se calma al acostarse.",
        "Tiene un dolor de cabeza fuerte al sentarse o ponerse de pie, y se calma al acostarse.",
        "Donde le pusieron la inyección, la piel está roja, caliente o hinchada, o sale líquido.",
    ),
}

# Every number from the source a visit type prints, with how many times it prints: changing any
# one of them ("2 to 8 weeks" to "2 to 8 days" in one place) changes a count. Then the facts
# each visit type must say in words.
FACTS: dict[str, dict[str, dict[str, int]]] = {
    "en": {
        "new-patient": {
            "2 to 8 weeks": 1,
            "1 or 2 epidural shots": 1,
            "after age 50": 1,
            "pulses in your feet": 2,
            "The ankle-brachial index compares the blood pressure in your ankles and arms.": 1,
            "X-rays taken while you stand": 1,
            "CT scan": 1,
            "Spondylolisthesis": 1,
            "disc herniation": 1,
            "Hip arthritis can look like this problem": 1,
            "Tell your doctor which column sounds more like you.": 1,
            "It most often comes on slowly and is not an emergency.": 1,
            "Your name:": 1,
            "Check your understanding": 1,
            "Questions to ask": 1,
        },
        "conservative-care": {
            "2 to 8 weeks": 5,
            "2 to 3 months": 1,
            "1 or 2 shots": 1,
            "1 or 2 epidural shots": 1,
            "In any one year, we do not advise more than 2 to 3 shots.": 1,
            "0 means none and 10 means the worst": 1,
            "Biking and swimming": 1,
            "If you are getting worse quickly, call us": 2,
            "shopping cart, walking poles or a walker": 1,
            "Once in a while, muscle relaxants help": 1,
            "Example: Mar 3": 1,
            "Your name:": 1,
            "Check your understanding": 1,
        },
        "injection": {
            "at least several weeks": 2,
            "lasts only a few days": 1,
            "lasted only a few days": 1,
            "1 or 2 shots": 2,
            "1 or 2 epidural shots": 1,
            "In any one year, we do not advise more than 2 to 3 shots": 2,
            "2 to 3 months": 1,
            "2 to 8 weeks": 2,
            "suggests that decompression surgery": 1,
            "If it gave no relief, or relief for only a few days, your doctor will first check for other causes.": 1,
            "If a shot gave no relief, or relief for only a few days, your doctor will first check for other causes.":
                1,
            "blood thinner": 2,
            "The steroid can raise your blood sugar": 1,
            "Before the shot:": 1,
            "Your name:": 1,
        },
        "surgical-consult": {
            "2 to 3 months": 3,
            "a block or two": 1,
            "2 to 3 weeks": 1,
            "6 to 8 weeks": 1,
            "2 to 8 weeks": 2,
            "1 or 2 shots": 1,
            "In any one year, we do not advise more than 2 to 3 shots.": 1,
            "Not always.": 1,
            "Surgery is a choice": 2,
            "Risks of surgery": 2,
            "Severe obesity": 1,
            "After this kind, most people walk the same day and go home the next day.": 1,
            "Back pain may or may not": 2,
            "Your choices side by side: read each row, and circle what to ask about": 1,
            "Questions to ask": 1,
            "2 or 3 things your legs stop you from doing": 2,
        },
        "post-op": {
            "desk work after 2 to 3 weeks": 1,
            "2 to 3 weeks": 2,
            "6 to 8 weeks": 2,
            "Do not lift more than 10 pounds": 1,
            "constipation": 1,
            "Back pain may or may not get better": 2,
            "symptoms can come back over many years": 1,
            "A strong core and a healthy weight help": 1,
            "After a minimally invasive decompression": 2,
            "Today, Mar 14": 1,
            "You are here.": 1,
        },
        "post-op-fusion": {
            "2 to 4 days": 1,
            "4 to 6 weeks": 1,
            "3 to 6 months": 1,
            "Do not lift more than 10 pounds": 1,
            "The bones take months to grow together.": 1,
            "Back pain may or may not get better": 2,
            "Today, Mar 14": 1,
        },
    },
    # The same facts as the Spanish prints them, with the same counts (the risks' heading and
    # lead-in read differently in Spanish, so they are two facts here).
    "es": {
        "new-patient": {
            "2 a 8 semanas": 1,
            "Epidural: 1 o 2 inyecciones": 1,
            "después de los 50 años": 1,
            "pulsos de los pies": 2,
            "El índice tobillo-brazo compara la presión de la sangre en los tobillos y los brazos.": 1,
            "Radiografías tomadas de pie (parado)": 1,
            "Tomografía": 1,
            "Espondilolistesis": 1,
            "Hernia de disco": 1,
            "La artritis de cadera puede parecerse a este problema": 1,
            "Dígale a su médico qué lado de la tabla se parece más a lo que usted siente.": 1,
            "Por lo general llega poco a poco y no es una emergencia.": 1,
            "Su nombre:": 1,
            "Compruebe lo que entendió": 1,
            "Preguntas para hacer": 1,
        },
        "conservative-care": {
            "2 a 8 semanas": 5,
            "2 a 3 meses": 1,
            "Puede probar 1 o 2 inyecciones": 1,
            "Epidural: 1 o 2 inyecciones": 1,
            "En un mismo año, no aconsejamos más de 2 a 3 inyecciones.": 1,
            "0 quiere decir nada y 10 quiere decir lo peor": 1,
            "Andar en bicicleta y nadar": 1,
            "Si empeora rápido, llámenos": 2,
            "carrito de compras, bastones para caminar (uno en cada mano) o un andador": 1,
            "De vez en cuando, los relajantes musculares ayudan": 1,
            "Ejemplo: 3 mar": 1,
            "Su nombre:": 1,
            "Compruebe lo que entendió": 1,
        },
        "injection": {
            "al menos varias semanas": 2,
            "dura solo unos días": 2,
            "solo duró unos días": 1,
            "Puede probar 1 o 2 inyecciones": 2,
            "Epidural: 1 o 2 inyecciones": 1,
            "aconsejamos más de 2 a 3": 2,
            "2 a 3 meses": 1,
            "2 a 8 semanas": 2,
            "indica que la cirugía de descompresión": 1,
            "Si no le dio alivio, o el alivio duró solo unos días, su médico primero buscará otras causas.": 2,
            "anticoagulante": 1,
            "El esteroide le puede subir el azúcar en la sangre": 1,
            "Antes de la inyección:": 1,
            "Su nombre:": 1,
        },
        "surgical-consult": {
            "2 a 3 meses": 3,
            "una o dos cuadras": 1,
            "2 a 3 semanas": 1,
            "6 a 8 semanas": 1,
            "2 a 8 semanas": 2,
            "Puede probar 1 o 2 inyecciones": 1,
            "En un mismo año, no aconsejamos más de 2 a 3 inyecciones.": 1,
            "No siempre.": 1,
            "La cirugía es una decisión": 2,
            "Riesgos de la cirugía": 1,
            "Su cirujano le hablará de los suyos. Los riesgos de una cirugía en la parte baja de la espalda": 1,
            "Obesidad grave": 1,
            "Después de este tipo, la mayoría camina el mismo día y va a casa al día siguiente.": 1,
            "El dolor de espalda puede mejorar o no": 2,
            "Sus opciones: lea cada fila y marque lo que quiera preguntar": 1,
            "Preguntas para hacer": 1,
            "2 o 3 cosas que las piernas no le dejan hacer": 2,
        },
        "post-op": {
            "trabajo de escritorio después de 2 a 3 semanas": 1,
            "2 a 3 semanas": 2,
            "6 a 8 semanas": 2,
            "No levante más de 10 libras": 1,
            "estreñimiento": 1,
            "El dolor de espalda puede mejorar o no": 2,
            "los síntomas pueden volver con el paso de los años": 1,
            "Músculos fuertes en la barriga y la espalda y un peso sano bajan": 1,
            "Después de una descompresión mínimamente invasiva": 2,
            "Hoy, 14 mar": 1,
            "Usted está aquí.": 1,
        },
        "post-op-fusion": {
            "2 a 4 días": 1,
            "4 a 6 semanas": 1,
            "3 a 6 meses": 1,
            "No levante más de 10 libras": 1,
            "Los huesos tardan meses en unirse.": 1,
            "El dolor de espalda puede mejorar o no": 2,
            "Hoy, 14 mar": 1,
        },
    },
}


LANGUAGES = tuple(FACTS)


@pytest.fixture(scope="module")
def printed(renderer) -> dict[tuple[str, bool], bytes]:
    """Every visit type in standard and large print, post-op with a surgery date."""
    return {
        (visit, large): render(renderer, visit, sets=SETS.get(visit), large_print=large)
        for visit in VISITS
        for large in (False, True)
    }


@pytest.fixture(scope="module")
def made(printed, spanish) -> dict[str, dict[tuple[str, bool], bytes]]:
    """The handouts of every language, by language: the page rules and facts hold in each."""
    return {"en": printed, "es": spanish}


def test_every_visit_type_has_its_facts(catalog):
    assert set(LANGUAGES) == set(catalog.practice.languages), "add the facts of a new language here"
    for lang in LANGUAGES:
        assert set(FACTS[lang]) == set(catalog.visits) == set(VISITS), "add the facts of a new visit type here"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("visit", VISITS)
def test_the_facts_print(made, catalog, lang, visit):
    """Each warning sign once, each number from the source as often as it should print: in both print sizes."""
    for large in (False, True):
        text = _body_text(made[lang][visit, large], catalog.practice.name)
        expected = Counter(WARNING_SIGNS[lang])
        if visit.startswith("post-op"):
            expected += Counter(POST_OP_SIGNS[lang])
        if "injection-warnings" in catalog.visits[visit].modules:
            expected += Counter(INJECTION_SIGNS[lang])
        expected |= FACTS[lang][visit]
        wrong = {fact: text.count(fact) for fact, count in expected.items() if text.count(fact) != count}
        assert wrong == {}, f"{visit} ({'large' if large else 'standard'} print): fact -> times printed {wrong}"


_MARKERS = re.compile(r"(?:\s+(?:•|\d+\.))+\s*$")  # list markers, which the text layer puts after a page's text


def _words_before(message: str, lang: str) -> str:
    """A page word of the catalog in `lang`, up to its first placeholder ("Draft: not yet approved by")."""
    return translations(lang).gettext(message).split("%(")[0].strip()


def _body_text(pdf: bytes, practice: str) -> str:
    """Every page's text without the running header and footer (which the text layer puts after
    the page's own text) and list markers, joined: a sentence over a page break reads as one.
    The header begins with the draft mark, else the practice's line, in the handout's language."""
    heads = [
        head
        for lang in LANGUAGES
        for head in (
            _words_before("Draft: not yet approved by %(name)s", lang),
            f"{practice} {_words_before('Questions? Call %(phone)s', lang)}",
        )
    ]
    pages = []
    for text in pdfcheck.page_texts(pdf):
        ends = [i for i in (text.find(head) for head in heads) if i >= 0]
        pages.append(_MARKERS.sub("", text[: min(ends, default=len(text))]).strip())
    return " ".join(pages)


def _page_texts(pdf: bytes) -> str:
    """The golden text: each page's lines as extracted, under a page marker."""
    return "".join(f"=== page {n} ===\n{text.rstrip()}\n" for n, text in enumerate(pdfcheck.plumber_texts(pdf), 1))


@pytest.mark.parametrize("visit", VISITS)
def test_golden_text(printed, update_golden, visit):
    """What prints, page by page, is in tests/golden/VISIT.txt: any change to it shows in review."""
    actual = _page_texts(printed[visit, False])
    path = GOLDEN / f"{visit}.txt"
    if update_golden:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.is_file(), f"no golden text for {visit}: run pytest --update-golden"
    assert actual == path.read_text(encoding="utf-8"), (
        f"{visit} prints differently from {path.name}; if the change is meant, run pytest --update-golden "
        "and commit the new golden text with it"
    )


# --- Pages ---------------------------------------------------------------------------------


def _fill(pdf: bytes, large: bool) -> list[float]:
    """How far down each page's text area the content reaches, 0 to 1."""
    top, bottom = MARGINS_PT[large]
    fills = []
    for page in pdfcheck.layout(pdf):
        area = page.height - top - bottom
        lows = [o.bottom for o in (*page.chars, *page.rects, *page.lines) if top < o.top < top + area]
        fills.append((max(lows, default=top) - top) / area)
    return fills


# Least fill of a page but the last: in large print a warning box or a drawing (never split) takes most
# of a page, and the page before it may be left two-thirds empty (tests/test_pages.py: fuller in standard).
NEAR_EMPTY = {False: 0.5, True: 0.3}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("visit", VISITS)
def test_page_limits_and_no_near_empty_page(made, lang, visit):
    """The English limits in every language (Spanish runs about a fifth longer)."""
    for large in (False, True):
        fills = _fill(made[lang][visit, large], large)
        assert len(fills) <= MAX_PAGES * (2 if large else 1)
        thin = [n for n, fill in enumerate(fills[:-1], 1) if fill < NEAR_EMPTY[large]]
        assert thin == [], f"{visit} ({'large' if large else 'standard'} print): pages nearly empty {thin}"


def _when_to_call(catalog, lang: str, visit: str) -> list[str]:
    """'When to call' as page 1 prints it: its heading, whom to call, and where the warning signs are."""
    gettext = translations(lang).gettext
    practice = catalog.practice
    phones = gettext("Questions about your care: call us at <strong>%(phone)s</strong>.") % {"phone": practice.phone}
    phones += " " + gettext("After hours: call <strong>%(phone)s</strong>.") % {"phone": practice.after_hours_phone}
    two = {"post-op-warnings", "injection-warnings"} & set(catalog.visits[visit].modules)  # a second box
    warning = WARNING_LINE_POST_OP if two else WARNING_LINE
    return [_words_before("When to call", lang), re.sub(r"</?strong>", "", phones), _words_before(warning, lang)]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("visit", VISITS)
def test_page_one_holds_the_whole_summary(made, catalog, lang, visit):
    """Key points, next steps and 'When to call' (whom to call, and the pointer to the warning signs),
    all on page 1, in both sizes: large print once moved 'When to call' to the detail pages, and this
    test, which did not count it, let it."""
    summary = catalog.edition(lang).visits[visit]
    for large in (False, True):
        first = " ".join(pdfcheck.page_text(made[lang][visit, large], 1).split())
        for line in (*summary.key_points, *summary.next_steps, *_when_to_call(catalog, lang, visit)):
            assert as_printed(" ".join(line.split())).search(first), (
                f"{visit} ({'large' if large else 'standard'} print): not on page 1: {line!r}"
            )


# The last warning sign of each box, by language: the box is whole when its heading and this are on one page.
BOX_ENDS = {
    "en": {
        "red-flags": "You have had cancer",
        "post-op-warnings": "Clear, watery fluid comes from your wound",
        "injection-warnings": "The place where the shot went in",
    },
    "es": {
        "red-flags": "Tuvo cáncer",
        "post-op-warnings": "Le sale de la herida un líquido claro",
        "injection-warnings": "Donde le pusieron la inyección",
    },
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("visit", VISITS)
def test_warning_boxes_are_never_split(made, catalog, lang, visit):
    """Each warning box starts and ends on the same page, in large print too."""
    modules = catalog.edition(lang).modules
    boxes = [(modules[mid].title, last) for mid, last in BOX_ENDS[lang].items() if mid in catalog.visits[visit].modules]
    for large in (False, True):
        pdf = made[lang][visit, large]
        pages = [pdfcheck.page_text(pdf, n) for n in range(1, pdfcheck.pages(pdf) + 1)]
        for first, last in boxes:
            starts = [n for n, text in enumerate(pages) if first in text]
            assert starts and last in pages[starts[-1]], f"{visit}: the box {first!r} is split"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("visit", VISITS)
def test_when_to_call_is_never_split(made, catalog, lang, visit):
    """'When to call' is read in one piece, on page 1 in both sizes (in large print it once followed
    the warning boxes on the detail pages, where its last line began the next page)."""
    heading, last = _words_before("When to call", lang), _words_before(WARNING_LINE, lang)
    for large in (False, True):
        pdf = made[lang][visit, large]
        pages = [pdfcheck.page_text(pdf, n) for n in range(1, pdfcheck.pages(pdf) + 1)]
        if {"post-op-warnings", "injection-warnings"} & set(catalog.visits[visit].modules):  # a second box
            last = _words_before(WARNING_LINE_POST_OP, lang)
        where = [n for n, text in enumerate(pages) if heading in text]
        assert len(where) == 1 and last in pages[where[0]], (visit, large)
        assert where == [0], f"{visit} ({'large' if large else 'standard'} print): '{heading}' is not whole on page 1"


WARNING_LINE = "Warning signs: read the box on page %(page)s and act right away."
WARNING_LINE_POST_OP = "Warning signs: read the boxes on pages %(first)s and %(second)s and act right away."


@pytest.mark.parametrize("visit", ["post-op", "post-op-fusion"])
def test_when_to_call_names_both_warning_boxes_after_surgery(printed, visit):
    """A post-op sheet has two warning boxes (the signs of the source, then those after surgery):
    'When to call' sends the reader to both, by the pages they print on."""
    for large in (False, True):
        pdf = printed[visit, large]
        pages = [pdfcheck.page_text(pdf, n) for n in range(1, pdfcheck.pages(pdf) + 1)]
        first, second = (
            next(n for n, text in enumerate(pages, 1) if head in text)
            for head in ("Warning signs that need care right away", "Warning signs after surgery")
        )
        assert f"Warning signs: read the boxes on pages {first} and {second} and act right away." in " ".join(
            " ".join(pages).split()
        ), (visit, large)


# The general box's first line: on a sheet for after surgery (the visit type's after_surgery), how the box
# relates to the box of the signs after surgery, by its page; on every other handout, that the signs need care today.
RED_FLAGS_LEAD = {
    "en": (
        "These signs matter at any time, also after surgery. Signs of a problem with the surgery itself are on "
        "page %(page)s.",
        "Do not wait for your next visit.",
    ),
    "es": (
        "Estas señales importan siempre, también después de la cirugía. Las señales de un problema con la cirugía "
        "están en la página %(page)s.",
        "No espere a su próxima cita.",
    ),
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("visit", VISITS)
def test_the_general_warning_box_says_how_it_relates_to_the_surgery_box(made, catalog, lang, visit):
    """Days after surgery, signs such as new pain after cancer read oddly unless the box says they
    matter then too, and where the signs of a problem with the surgery are (the page of that box)."""
    after_surgery, general = RED_FLAGS_LEAD[lang]
    title = catalog.edition(lang).modules["post-op-warnings"].title
    for large in (False, True):
        pdf = made[lang][visit, large]
        pages = [" ".join(pdfcheck.page_text(pdf, n).split()) for n in range(1, pdfcheck.pages(pdf) + 1)]
        text = " ".join(pages)
        if catalog.visits[visit].after_surgery:
            second = next(n for n, page in enumerate(pages, 1) if title in page)
            assert after_surgery % {"page": second} in text and general not in text, (visit, large)
        else:
            assert general in text and after_surgery.split(".")[0] not in text, (visit, large)


def test_the_after_surgery_lead_names_no_box_a_surgeon_left_out():
    """Dr. Lee's post-op sheet (the test practice) has no box of signs after surgery: no page to point to."""
    renderer = Renderer(Catalog.load(Path(__file__).parent / "fixtures" / "practice"))
    text = " ".join(pdfcheck.text(render(renderer, "post-op", surgeon="lee")).split())
    assert "These signs matter at any time, also after surgery." in text
    assert "Signs of a problem with the surgery itself" not in text


@pytest.mark.parametrize("visit", ["post-op", "post-op-fusion"])
def test_the_post_op_sheets_show_the_operation_and_safe_lifting_and_a_log(printed, visit):
    """What to do is drawn (the operation the patient had, lifting with knees bent) and there is a
    sheet to fill in: the follow-up visit and 14 days of checks."""
    alts = " ".join(pdfcheck.figure_alts(printed[visit, False]))
    operation = "after a decompression and fusion" if visit == "post-op-fusion" else "after a decompression:"
    assert operation in alts and "lifting a gallon of milk: knees bent" in alts
    text = " ".join(pdfcheck.text(printed[visit, False]).split())
    assert "Follow-up visit: date Time With whom" in text and "Day 14" in text


def _words(pdf: bytes, page: int) -> list[dict]:
    return pdfcheck.words(pdf, page)


@pytest.mark.parametrize("visit", ["new-patient", "surgical-consult"])
def test_questions_to_ask_keep_their_lines_and_hang_under_their_first_word(printed, catalog, visit):
    """The lines to write one's own questions stay on the page of the last question (not with the
    next section), and a question that wraps goes on under its first word, not under its box."""
    last = catalog.visits[visit].questions[-1]
    for large in (False, True):
        pdf = printed[visit, large]
        page = next(n for n in range(1, pdfcheck.pages(pdf) + 1) if last in pdfcheck.page_text(pdf, n))
        words = _words(pdf, page)
        top = next(
            w["top"]
            for i, w in enumerate(words)
            if " ".join(x["text"] for x in words[i : i + 3]) == " ".join(last.split()[:3])
        )
        rules = {round(r.top) for r in pdfcheck.layout(pdf)[page - 1].rects if r.width > 300 and r.top > top}
        assert len(rules) >= 2, (visit, large, page)
    long_question = "Do I need surgery now, or can I keep on with care without surgery?"
    pdf = printed["surgical-consult", True]
    page = next(n for n in range(1, pdfcheck.pages(pdf) + 1) if "Do I need surgery now" in pdfcheck.page_text(pdf, n))
    words = _words(pdf, page)
    first = next(i for i, w in enumerate(words) if w["text"] == "Do" and words[i + 3]["text"] == "surgery")
    wrapped = next(w for w in words[first:] if w["top"] > words[first]["top"] + 5)
    assert wrapped["text"] in long_question and abs(wrapped["x0"] - words[first]["x0"]) < 2


@pytest.mark.parametrize("large", [False, True])
def test_a_long_note_or_a_surgeon_never_pushes_the_summary_off_page_one(tmp_path, large):
    from handouts.cli.main import main  # noqa: F401  (the same catalog as `make`)

    practice = tmp_path / "practice"
    from click.testing import CliRunner

    assert CliRunner().invoke(main, ["init-practice", str(practice)]).exit_code == 0
    renderer = Renderer(Catalog.load(practice))
    note = ("Walk twice a day and write each walk in your log. " * 40)[:1500]
    for visit in ("new-patient", "surgical-consult", "post-op"):
        pdf = render(renderer, visit, sets=SETS.get(visit), large_print=large, surgeon="example", note=note)
        first = pdfcheck.page_text(pdf, 1)
        for line in renderer.catalog.visits[visit].next_steps:
            assert line in first
        assert "Walk twice a day" in pdfcheck.text(pdf)


# --- The plan, the timeline, the log --------------------------------------------------------


def test_the_plan_branches_after_step_4(printed):
    alts = " ".join(pdfcheck.figure_alts(printed["surgical-consult", False]))
    assert "After step 4 there are two ways on: if you are better, step 5; if not, step 6, then 7 and 8." in alts
    assert "You are here: step 8" in alts
    text = pdfcheck.text(printed["new-patient", False])
    assert "If better" in text and "If not better" in text


# What an epidural shot is, said under the plan that names it, in each language as it prints.
EPIDURAL = {
    "en": ("An epidural shot (step 6) puts steroid medicine near the nerves.", "If better If not better"),
    "es": ("La inyección epidural (paso 6) pone un esteroide cerca de los nervios.", "Si mejora Si no mejora"),
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("visit", VISITS)
def test_the_plan_says_what_an_epidural_shot_is_on_the_page_of_its_drawing(made, catalog, lang, visit):
    """The plan's step 6 is "epidural shots": a handout with the plan says what one is, on the page of
    the drawing, unless it explains the shots in full (the injection visit's own module)."""
    sentence, fork = EPIDURAL[lang]
    modules = catalog.visits[visit].modules
    for large in (False, True):
        pdf = made[lang][visit, large]
        pages = [" ".join(pdfcheck.page_text(pdf, n).split()) for n in range(1, pdfcheck.pages(pdf) + 1)]
        explained = [n for n, text in enumerate(pages, 1) if sentence in text]
        if "pathway" in modules and "injections" not in modules:
            assert explained == [n for n, text in enumerate(pages, 1) if fork in text] != [], (visit, large)
        else:
            assert explained == [], (visit, large)


# The surgical consult's concrete step (page 1) and the lines to do it on, under the points the surgeon weighs.
YOUR_TURN = {
    "en": "Your turn: write 2 or 3 things your legs stop you from doing.",
    "es": "Su turno: escriba 2 o 3 cosas que las piernas no le dejan hacer.",
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_surgical_consult_gives_lines_to_write_what_the_legs_stop_you_doing(made, lang):
    """ "Think about how much your legs limit your life" was no step one could take: page 1 now asks for
    2 or 3 things written down, and three numbered lines follow the request, on its page."""
    for large in (False, True):
        pdf = made[lang]["surgical-consult", large]
        page = next(
            n
            for n in range(1, pdfcheck.pages(pdf) + 1)
            if YOUR_TURN[lang] in " ".join(pdfcheck.page_text(pdf, n).split())
        )
        words = _words(pdf, page)
        start = next(i for i, w in enumerate(words) if w["text"] == YOUR_TURN[lang].split()[1])
        numbers = [w for w in words[start:] if w["text"] in ("1.", "2.", "3.")][:3]
        assert [w["text"] for w in numbers] == ["1.", "2.", "3."], (lang, large)
        rules = [r for r in pdfcheck.layout(pdf)[page - 1].rects if r.width > 300]
        for number in numbers:  # a line to write on, right under each number
            assert any(abs(r.bottom - number["bottom"]) < 6 for r in rules), (lang, large, number["text"])


def test_the_timeline_marks_today_after_the_step_begun():
    from datetime import date

    from handouts.config.models import Milestone

    steps = [
        Milestone(when=w, start_day=a, end_day=b, what=w)
        for w, a, b in (("day", 0, 0), ("next", 1, 1), ("weeks", 14, 21), ("later", 42, 56))
    ]
    surgery = date(2026, 3, 10)
    rows = timeline_rows(steps, surgery, date(2026, 3, 14))
    assert [r["when"] for r in rows] == ["day", "next", "Today", "weeks", "later"]
    assert rows[2]["dates"] == "Mar 14" and rows[3]["dates"] == "Mar 24 to Mar 31"
    assert not any(r["today"] for r in timeline_rows(steps, surgery, date(2026, 3, 1)))  # before surgery
    assert not any(r["today"] for r in timeline_rows(steps, surgery, date(2026, 9, 1)))  # long after
    assert not any(r["today"] for r in timeline_rows(steps, None, date(2026, 3, 14)))  # no surgery date


def test_a_step_in_months_prints_calendar_months(printed):
    """ "3 to 6 months" after a surgery on Mar 10 is Jun 10 to Sep 10, not 90 to 180 days (Jun 8 to Sep 6);
    a month runs short at the end of a longer one (Jan 31 and a month is Feb 28)."""
    from datetime import date

    from handouts.config.models import Milestone

    step = Milestone(when="3 to 6 months", start_month=3, end_month=6, what="later")
    assert step.dates(date(2026, 3, 10)) == (date(2026, 6, 10), date(2026, 9, 10))
    one = Milestone(when="1 month", start_month=1, end_month=1, what="x")
    assert one.dates(date(2026, 1, 31))[0] == date(2026, 2, 28)
    assert "3 to 6 months Jun 10 to Sep 10" in " ".join(pdfcheck.text(printed["post-op-fusion", False]).split())
    with pytest.raises(ValueError, match="not both"):
        Milestone(when="x", start_day=1, end_day=2, start_month=1, end_month=2, what="x")


def test_the_walking_log_has_room_for_weeks_of_walks(renderer):
    html = renderer.details_html(
        pytest.importorskip("handouts.compose.request").build_request(
            renderer.catalog, "conservative-care", "A B", "2026-03-14"
        )
    )
    log = html[html.index('class="module module-walking-log"') :]
    log = log[: log.index("</table>")]
    assert log.count('<tr id="log-row-walking-log-') >= 7  # and as many more as fill the page (tests/test_pages.py)
    assert "Example: Mar 3" in log and "minutes or blocks" in log and "0 to 10" in log and "Your name:" in log


# --- The optional QR code -------------------------------------------------------------------


def _practice_with_links(tmp_path: Path, links: str) -> Path:
    from click.testing import CliRunner

    from handouts.cli.main import main

    practice = tmp_path / "practice"
    assert CliRunner().invoke(main, ["init-practice", str(practice)]).exit_code == 0
    toml = practice / "practice.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + f"\n[links]\n{links}\n", encoding="utf-8")
    return practice


def test_a_configured_link_prints_as_qr_code_and_address(tmp_path):
    url = "https://www.example.org/handouts/first-visit?v=2&lang=en"
    renderer = Renderer(Catalog.load(_practice_with_links(tmp_path, f'new-patient = "{url}"')))
    for large in (False, True):
        pdf = render(renderer, "new-patient", large_print=large)
        assert url in pdfcheck.squash(pdfcheck.text(pdf))
        assert f"QR code for {url}" in pdfcheck.figure_alts(pdf)
        if not large:
            assert "Online, with videos" in pdfcheck.page_text(pdf, 1)
    assert "QR code" not in " ".join(pdfcheck.figure_alts(render(renderer, "injection")))  # not configured


@pytest.mark.parametrize(
    ("links", "message"),
    [
        ('new-patients = "https://example.org/a"', "key 'links.new-patients': unknown visit type"),
        ('new-patient = "http://example.org/a"', "links.new-patient"),
        ('new-patient = "https://example.org/a b"', "links.new-patient"),
    ],
)
def test_a_bad_link_is_refused_with_its_key(tmp_path, links, message):
    with pytest.raises(UserError, match=message.replace(".", r"\.")):
        Catalog.load(_practice_with_links(tmp_path, links))

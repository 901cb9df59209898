"""The clinical and translation review of issue 22, read back from the printed handouts.

Each fix is checked on the finished PDF (its text, the order of its lines, the box it sits in), in
English and Spanish and in both print sizes where it applies, so a defect the reviewers found
cannot come back unseen: a sign that needs care within hours in the "call our office" tier, a
statement that says more than the clinical source, a Spanish word a reader will not know, one
English term with two Spanish ones. The glossary of docs/translation-review.md is read here as the
rule for the Spanish terms.
"""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from handouts.base.errors import UserError
from handouts.base.i18n import catalog_path
from handouts.cli.main import main
from handouts.compose.typed_language import english_words
from handouts.config.catalog import Catalog
from handouts.render.renderer import Renderer, fever_text

import pdfcheck
from conftest import NAME, ROOT, VISITS, render

SETS = {"post-op": {"surgery_date": "2026-03-10"}, "post-op-fusion": {"surgery_date": "2026-03-10"}}
SIZES = (False, True)


@pytest.fixture(scope="module")
def made(renderer) -> dict[tuple[str, str, bool], bytes]:
    """Every visit type in English and Spanish, standard and large print (the same handouts, and so
    the same shared PDFs, as tests/test_content.py's and conftest's `spanish`)."""
    return {
        (lang, visit, large): render(
            renderer, visit, sets=SETS.get(visit), large_print=large, **({"lang": lang} if lang != "en" else {})
        )
        for lang in ("en", "es")
        for visit in VISITS
        for large in SIZES
    }


def flat(pdf: bytes) -> str:
    """All the text, each run of white space (a no-break space too) one space."""
    return " ".join(pdfcheck.text(pdf).split())


def pages(pdf: bytes) -> list[str]:
    return [" ".join(pdfcheck.page_text(pdf, n).split()) for n in range(1, pdfcheck.pages(pdf) + 1)]


def in_order(text: str, *phrases: str) -> None:
    """Each phrase is printed after the one before it."""
    at = 0
    for before, phrase in zip(("the start", *phrases), phrases, strict=False):
        found = text.find(phrase, at)
        assert found >= 0, f"{phrase!r} is not printed after {before!r}"
        at = found + len(phrase)


FEVER = fever_text(101).replace("\u00a0", " ")  # the built-in sample practice's: 101 °F (38.3 °C)


# --- 1. After surgery: cannot pass urine is an emergency; a fever has a temperature --------------

POST_OP_BOX = {
    "en": (
        "Warning signs after surgery",
        "Call 911 or go to the emergency room now if:",
        "You cannot pass urine.",
        f"You have a fever of {FEVER} or higher.",
        'Your legs get new or worse weakness or numbness, or you have numbness in the "saddle" area.',
        "You have a fever with a stiff neck, or a very bad headache that does not ease lying down.",
        "Call our office now, today, at",
    ),
    "es": (
        "Señales de alarma después de la cirugía",
        "Llame al 911 o vaya a la sala de emergencias ahora si:",
        "No puede orinar.",
        f"Tiene fiebre de {FEVER} o más.",
        "Tiene debilidad o adormecimiento nuevo o peor en las piernas, o se le adormece la "
        'zona de la "silla de montar".',
        "Tiene fiebre con el cuello rígido, o un dolor de cabeza muy fuerte que no se calma al acostarse.",
        "Llámenos ahora, hoy mismo, al",
    ),
}


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("visit", ["post-op", "post-op-fusion"])
def test_after_surgery_not_passing_urine_is_in_the_emergency_tier_and_a_fever_has_a_temperature(made, lang, visit):
    """New retention after lumbar surgery can be the first sign of a hematoma or cauda equina
    compression: it sat under "call our office today". And "You have a fever." gave no number; then
    the fever line of the box read after surgery had no "go to the emergency room" when you also
    feel very ill, as page 2's has (second clinical read, 2b). New or worse leg weakness or numbness
    (a clot pressing on the nerves) and a fever with a stiff neck or a headache that lying down does
    not ease (a leak of spinal fluid, an infection) need care within hours too (third clinical read, 3).
    And a fever goes to the emergency room in both boxes: page 2 sends a fever with back pain there,
    and after surgery nearly everyone has back pain (PEMAT-P review: the two boxes disagreed)."""
    for large in SIZES:
        text = flat(made[lang, visit, large])
        in_order(text, *POST_OP_BOX[lang])
        urine = POST_OP_BOX[lang][2]
        assert text.count(urine) == 1, (visit, large)
        assert ("You have a fever." if lang == "en" else "Tiene fiebre.") not in text


def _practice(tmp_path: Path, extra: str = "") -> Path:
    """The built-in sample practice as a folder of its own, with `extra` added to practice.toml."""
    practice = tmp_path / "practice"
    practice.mkdir(parents=True)
    (practice / "practice.toml").write_text(
        (ROOT / "content/practice.toml").read_text(encoding="utf-8").replace("[colors]", f"{extra}\n\n[colors]", 1),
        encoding="utf-8",
    )
    return practice


def test_the_practice_sets_its_own_fever_and_its_approval_covers_the_number(tmp_path, renderer):
    """The fever is the practice's setting (101 °F by default); printed with its °C wherever a box
    names a fever, and part of the text's version: approving 101 °F does not approve 100.4 °F."""
    own = Renderer(Catalog.load(_practice(tmp_path, "fever_f = 100.4")))
    for visit, sets in (("post-op", SETS["post-op"]), ("injection", None)):
        for lang in ("en", "es"):
            text = flat(render(own, visit, sets=sets, lang=lang))
            assert "100.4 °F (38 °C)" in text and FEVER not in text, (visit, lang)
    for uid in ("module:post-op-warnings", "module:injection-warnings"):
        assert own.units[uid].version != renderer.units[uid].version
    with pytest.raises(UserError, match="fever_f"):
        Catalog.load(_practice(tmp_path / "hot", "fever_f = 110"))


# --- 2. After a shot: how long numb legs are expected, and the signs after a shot ---------------

SHOT = {
    "en": (
        "The numbing medicine may make your legs feel numb or weak for a few hours. It should wear off within 8 hours.",
        "Warning signs after your shot",
        "Go to the emergency room now if:",
        "Your legs are still numb or weak 8 hours after the shot, or they get worse.",
        "You lose control of your bladder or bowels, or you cannot pass urine.",
        f"You have a fever of {FEVER} or higher, or a fever with a stiff neck or a bad headache, or you feel very ill.",
        "You have a very bad headache that does not ease lying down.",
        "Call our office now, today, at",
        "You have a bad headache when you sit or stand up that eases lying down.",
        "The place where the shot went in is red, warm or swollen, or leaks fluid.",
    ),
    "es": (
        "La medicina para adormecer puede dejarle las piernas adormecidas o débiles unas horas. Se le debe quitar "
        "en menos de 8 horas.",
        "Señales de alarma después de la inyección",
        "Vaya a la sala de emergencias ahora si:",
        "Sus piernas siguen adormecidas o débiles 8 horas después de la inyección, o empeoran.",
        "No puede controlar la orina o la popó (la vejiga o el intestino), o no puede orinar.",
        f"Tiene fiebre de {FEVER} o más, o fiebre con el cuello rígido o un dolor de cabeza fuerte, o se siente muy "
        "mal.",
        "Tiene un dolor de cabeza muy fuerte que no se calma al acostarse.",
        "Llámenos ahora, hoy mismo, al",
        "Tiene un dolor de cabeza fuerte al sentarse o ponerse de pie, y se calma al acostarse.",
        "Donde le pusieron la inyección, la piel está roja, caliente o hinchada, o sale líquido.",
    ),
}
BOTH_BOXES = {
    "en": "Warning signs: read the boxes on pages {} and {} and act right away.",
    "es": "Señales de alarma: lea los recuadros de las páginas {} y {} y actúe de inmediato.",
}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_injection_says_how_long_numb_legs_are_expected_and_what_to_do_past_it(made, catalog, lang):
    """ "Your legs may feel numb or weak for a few hours" had no limit while page 2 sends new leg
    weakness to the emergency room; and there were no warning signs after the shot. The limit is
    said on the day, the signs after the shot are a box of their own (whole on one page, the day
    of the shot before it), and "When to call" points to both boxes. A fever with a stiff neck, a
    bad headache or feeling very ill, and a very bad headache that lying down does not ease, need
    care within hours: they come before "Call our office", in the emergency tier (second read, 2a)."""
    general = catalog.edition(lang).modules["red-flags"].title
    for large in SIZES:
        pdf = made[lang, "injection", large]
        in_order(flat(pdf), *SHOT[lang])
        texts = pages(pdf)
        box = next(n for n, text in enumerate(texts, 1) if SHOT[lang][1] in text)
        assert SHOT[lang][-1] in texts[box - 1], f"the box after a shot is split (large print: {large})"
        first = next(n for n, text in enumerate(texts, 1) if general in text)
        assert BOTH_BOXES[lang].format(first, box) in " ".join(texts), large


# --- 3. Fever with back pain, and the early signs of cauda equina ------------------------------

RED_FLAGS = {
    "en": (
        "Go to the emergency room now if:",
        "You lose control of your bladder or bowels. Or you have new trouble starting to pass urine.",
        "You may first notice it when you wipe.",
        "You have a fever along with back pain.",
        "Call our office now, today, at",
    ),
    "es": (
        "Vaya a la sala de emergencias ahora si:",
        "No puede controlar la orina o la popó (la vejiga o el intestino), o de pronto le cuesta empezar a orinar.",
        "Puede notarlo al limpiarse.",
        "Tiene fiebre y también dolor de espalda.",
        "Llámenos ahora, hoy mismo, al",
    ),
}


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("visit", VISITS)
def test_the_early_cauda_equina_signs_are_emergencies_and_fever_says_when_to_go(made, lang, visit):
    """The source puts all seven signs under immediate evaluation: a fever with back pain (an
    infection near the spine can harm the nerves within hours) is in the emergency tier, not "call
    today" (third clinical read, 1), and so are the early signs of cauda equina (trouble starting to
    pass urine, numbness first noticed when wiping)."""
    for large in SIZES:
        in_order(flat(made[lang, visit, large]), *RED_FLAGS[lang])


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("visit", VISITS)
def test_every_line_that_sends_to_the_emergency_room_says_now(made, lang, visit):
    """The Spanish fever line on page 2 ended "vaya a la sala de emergencias." where every other
    emergency line, and the English, says now (second clinical read, 2c)."""
    for large in SIZES:
        text = flat(made[lang, visit, large])
        if lang == "en":
            said = re.findall(r"emergency room(?: now)?", text)
            assert said and all(s.endswith(" now") for s in said), (large, said)
        else:
            said = re.findall(r"(?:ahora )?a la sala de emergencias(?: ahora)?", text)
            assert said and all("ahora" in s for s in said), (large, said)


# Saying surgery is a choice, and that care without surgery is still an option, is not true with a
# warning sign: each such sentence names the exception and the page of the warning signs.
CHOICE = {
    "en": (
        ("Care without surgery is still an option", "You can choose to keep on with it"),
        ", except with the warning signs on page {}.",
    ),
    "es": (
        ("El tratamiento sin cirugía sigue siendo una opción", "Usted puede decidir seguir con ese tratamiento"),
        ", a menos que tenga una señal de alarma de la página {}.",
    ),
}


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("visit", VISITS)
def test_surgery_is_a_choice_except_with_the_warning_signs(made, catalog, lang, visit):
    """ "Surgery is a choice. Care without surgery is still an option." (page 1 and the lead of "Do
    I need surgery?") did not hold with a red flag such as cauda equina (second clinical read, 1c)."""
    sayings, exception = CHOICE[lang]
    title = catalog.edition(lang).modules["red-flags"].title
    for large in SIZES:
        texts = pages(made[lang, visit, large])
        box = next(n for n, text in enumerate(texts, 1) if title in text)
        text = " ".join(texts)
        found = [m.end() for saying in sayings for m in re.finditer(re.escape(saying), text)]
        assert all(text.startswith(exception.format(box), at) for at in found), (large, box)
        if visit == "surgical-consult":
            assert len(found) == 2 and sayings[0] in texts[0], large


def test_a_page_named_on_page_one_is_the_page_it_prints_on(tmp_path, renderer):
    """A key point's `{page:red-flags}` is the page the box starts on, wherever that is: a long note
    on page 1 moves the detail pages on, and the page named with them."""
    note = ("Walk twice a day and write each walk in your log. " * 40)[:1500]
    for lang in ("en", "es"):
        for large in SIZES:
            texts = pages(render(renderer, "surgical-consult", note=note, large_print=large, lang=lang))
            title = CHOICE[lang][0][0]
            box = next(
                n
                for n, text in enumerate(texts, 1)
                if ("Warning signs that need" if lang == "en" else "Señales de alarma: atención") in text
            )
            assert texts[0].count(title) == 1 and CHOICE[lang][1].format(box) in texts[0], (lang, large)
            assert "{page:" not in " ".join(texts)


def test_a_page_named_on_page_one_must_be_a_section_of_the_handout(tmp_path):
    practice = _practice(tmp_path)
    (practice / "visits").mkdir()
    visit = (ROOT / "content/visits/surgical-consult.toml").read_text(encoding="utf-8")
    (practice / "visits/surgical-consult.toml").write_text(
        visit.replace("{page:red-flags}", "{page:red-flag}"), encoding="utf-8"
    )
    with pytest.raises(UserError, match=r"key_points: \{page:red-flag\} must name one of this visit type's modules"):
        Catalog.load(practice)


# --- 4 to 6. Statements that said more than the source -----------------------------------------

SAID_TOO_MUCH = {
    "en": (
        "only when",
        "Most people try 1 or 2 shots",
        "If the shots helped but the relief did not last",
        "If the shots do not help, talk about decompression surgery",
        "If it gives no relief at all",
        "This surgery is mainly for your legs",
        "Biking and swimming are two of them",
        "The bones grow together.",
        "Shots did not help? Talk about surgery",
        "Relief for several weeks or more means the shot worked",
    ),
    "es": (
        "es una opción solo si",
        "La mayoría prueba 1 o 2 inyecciones",
        "Si las inyecciones le ayudaron pero",
        "Si las inyecciones no ayudan, hable sobre la cirugía",
        "Si no le alivia nada, volvemos",
        "la cirugía es más que nada para las piernas",
        "son dos de ellas",
        "Los huesos se unen.",
        "¿Inyecciones sin alivio? Hable de cirugía",
        "Si el alivio le duró varias semanas o más",
        "Casi siempre llega poco a poco",
        "casi siempre empieza después de los 50",
    ),
}
# What each visit type says instead, where it says it.
SAID_NOW = {
    "en": {
        "conservative-care": [
            "Surgery is usually considered when this care has not helped after 2 to 3 months and "
            "your symptoms limit your life.",
            "You may try 1 or 2 shots to see if they help. In any one year, we do not advise more than 2 to 3 shots.",
            "In water, the water holds up some of your weight.",
        ],
        "surgical-consult": [
            "Surgery is usually considered when this care has not helped after 2 to 3 months",
            "Decompression is mainly for your legs.",
        ],
        "injection": [
            "Surgery is usually considered when this care has not helped after 2 to 3 months",
            "If a shot helped a lot for several weeks or more and then wore off, talk with your doctor about "
            "surgery. If it gave no relief, or relief for only a few days, your doctor will first check for "
            "other causes.",
            "What may come next: If a shot helped a lot for several weeks or more and then wore off, talk about "
            "decompression surgery. Do this if your symptoms really limit what you can do. If a shot gave no "
            "relief, or relief for only a few days, your doctor will first check for other causes.",
        ],
        "post-op": ["Decompression is mainly for your legs."],
        "post-op-fusion": [
            "Decompression is mainly for your legs.",
            "The bones begin to grow together. Full healing can take up to a year.",
        ],
    },
    "es": {
        "conservative-care": [
            "Por lo general, se piensa en la cirugía cuando este tratamiento no le ha ayudado "
            "después de 2 a 3 meses y sus síntomas limitan su vida.",
            "Puede probar 1 o 2 "
            "inyecciones para ver si ayudan. En un mismo año, no aconsejamos más de 2 a 3 "
            "inyecciones.",
            "En el agua, el agua sostiene parte de su peso.",
        ],
        "surgical-consult": [
            "se piensa en la cirugía cuando este tratamiento no le ha ayudado después de 2 a 3 meses",
            "la descompresión es más que nada para las piernas.",
        ],
        "injection": [
            "se piensa en la cirugía cuando este tratamiento no le ha ayudado después de 2 a 3 meses",
            "Si una inyección le ayudó mucho por varias semanas o más y luego el alivio se acabó, hable con su "
            "médico sobre la cirugía. Si no le dio alivio, o el alivio duró solo unos días, su médico "
            "primero buscará otras causas.",
            "Lo que puede venir después: si una inyección le ayudó mucho por varias semanas o más y luego el "
            "alivio se acabó, hable sobre la cirugía de descompresión. Hágalo si sus síntomas de verdad "
            "limitan lo que puede hacer. Si no le dio alivio, o el alivio duró solo unos días, su médico "
            "primero buscará otras causas.",
        ],
        "post-op": ["la descompresión es más que nada para las piernas."],
        "post-op-fusion": [
            "la descompresión es más que nada para las piernas.",
            "Los huesos empiezan a unirse. Sanar del todo puede tardar hasta un año.",
        ],
    },
}
# Page 1 of the injection sheet: success and failure as the source tells them, in the key points.
INJECTION_PAGE_ONE = {
    "en": (
        "with much less leg pain, for at least several weeks.",
        "If it gives no relief, or relief for only a few days, we look again for the cause.",
        "You may try 1 or 2 shots. In any one year, we do not advise more than 2 to 3 shots.",
    ),
    "es": (
        "con mucho menos dolor de piernas, al menos varias semanas.",
        "Si no le alivia nada, o el alivio dura solo unos días, volvemos a buscar la causa.",
        "Puede probar 1 o 2 inyecciones. No aconsejamos más de 2 a 3 en un mismo año.",
    ),
}


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("visit", VISITS)
def test_no_statement_says_more_than_the_source(made, lang, visit):
    """ "Surgery becomes a choice only when" made time the only gate; "Most people try 1 or 2 shots"
    is a claim the source does not make; a few days of relief read as success; the fusion sheet
    called the whole operation "mainly for your legs"; swimming was a bend-forward activity; "the
    bones grow together" in 3 to 6 months was optimistic. And on the injection sheet, "What may come
    next" sent a shot that did not help straight to surgery, against its own callout: no relief, or
    a few days, means looking for other causes first (second clinical read, 1a)."""
    for large in SIZES:
        text = flat(made[lang, visit, large])
        assert [said for said in SAID_TOO_MUCH[lang] if said in text] == [], (visit, large)
        for said in SAID_NOW[lang].get(visit, []):
            assert said in text, (visit, large, said)
    if visit == "injection":
        for large in SIZES:
            first = pages(made[lang, visit, large])[0]
            for point in INJECTION_PAGE_ONE[lang]:
                assert point in first, (large, point)


# --- 7 to 9. What mainstream sheets have ---------------------------------------------------------

ADDED = {
    "en": {
        "conservative-care": (
            "Medicines that may help",
            "such as ibuprofen or naproxen, are called NSAIDs",
            "They can cause bleeding in the stomach, harm the kidneys and raise blood pressure. Ask "
            "your doctor first if you take a blood thinner or have stomach, kidney or blood pressure "
            "problems.",
            "They can make you sleepy or dizzy. Take care not to fall.",
            "Physical therapy",
        ),
        "post-op-fusion": (
            "Do not smoke, vape or use nicotine gum or patches while your bones heal. Ask us for help to stop.",
        ),
        "surgical-consult": (
            "Risks of surgery",
            "With a fusion, also: the bones may not grow together, or a screw or "
            "rod may loosen or break. The spine just above or below the fusion may wear out faster.",
        ),
        "new-patient": (
            "The ankle-brachial index compares the blood pressure in your ankles and arms. A Doppler test "
            "uses sound waves to check blood flow in your legs.",
        ),
    },
    "es": {
        "conservative-care": (
            "Medicinas que pueden ayudar",
            "como el ibuprofeno o el naproxeno",
            "Pueden causar sangrado en el estómago, dañar los riñones y subir la presión. Pregunte a "
            "su médico antes de tomarlas si toma una medicina para diluir la sangre o tiene "
            "problemas del estómago, los riñones o la presión.",
            "Pueden darle sueño o mareo. Tenga cuidado de no caerse.",
            "Terapia física",
        ),
        "post-op-fusion": (
            "No fume ni use nicotina (vapeador, parches, chicles) mientras sanan sus huesos. Le ayudamos a dejarlo.",
        ),
        "surgical-consult": (
            "Riesgos de la cirugía",
            "Con una fusión, además: que los huesos no se unan, o que un "
            "tornillo o una barra se afloje o se rompa. La columna justo arriba o abajo de la fusión "
            "se puede desgastar más rápido.",
        ),
        "new-patient": (
            "El índice tobillo-brazo compara la presión de la sangre en los tobillos y los brazos. La "
            "prueba Doppler usa ondas de sonido para ver cómo corre la sangre en las piernas.",
        ),
    },
}


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("visit", sorted(ADDED["en"]))
def test_what_mainstream_sheets_have_is_printed_where_it_belongs(made, lang, visit):
    """Cautions for NSAIDs and for gabapentin or pregabalin (in the medicines section), no nicotine
    while a fusion heals (page 1), a fusion's own risks (under the risks), what the blood flow tests are."""
    for large in SIZES:
        pdf = made[lang, visit, large]
        in_order(flat(pdf), *ADDED[lang][visit])
        if visit == "post-op-fusion":
            assert ADDED[lang][visit][0] in pages(pdf)[0], large


# --- The third clinical read and the PEMAT-P review --------------------------------------------

# What each sheet says after the third clinical read (notes: box 7 of the plan, a shot that "helped a
# lot") and the PEMAT-P review (the shot named before its day; sugar checks with someone to ask; how
# to use the table of choices; a caption on the operation's drawing), in the order printed.
SAID_IN_ORDER = {
    "en": {
        "injection": (
            "The day of your shot",
            "An epidural steroid injection is a shot of steroid medicine near the squeezed nerves in your spine.",
            "Tell us first",
            "Check your sugar more often than usual for "
            "those days. Ask the doctor who treats your diabetes how often, and what to do if it is high.",
            "Relief wore off? Talk about surgery",
            "Much better walking for several weeks or more means the shot worked",
        ),
        "surgical-consult": (
            "Your choices side by side: read each row, and circle what to ask about",
        ),
        "new-patient": ("Relief wore off? Talk about surgery",),
    },
    "es": {
        "injection": (
            "El día de su inyección",
            "Una inyección epidural de esteroides es una inyección de medicina "
            "con esteroides cerca de los nervios apretados de la columna.",
            "Avísenos antes",
            "Mídase el azúcar más seguido de lo normal en esos días. Pregunte al médico que trata su "
            "diabetes cada cuánto medirla y qué hacer si está alta.",
            "¿Se acabó el alivio? Hable de cirugía",
            "Si caminó mucho mejor por varias semanas o más, la inyección funcionó",
        ),
        "surgical-consult": (
            "Sus opciones: lea cada fila y marque lo que quiera preguntar",
        ),
        "new-patient": ("¿Se acabó el alivio? Hable de cirugía",),
    },
}


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("visit", sorted(SAID_IN_ORDER["en"]))
def test_the_third_read_and_the_pemat_review_are_printed(made, lang, visit):
    """Box 7 of the plan said "Shots did not help? Talk about surgery" beside a callout that sends no
    relief to other causes first; "helped for several weeks" dropped the source's "significant"; the
    injection sheet told the shot's day before saying what the shot is; "check your sugar more often"
    said neither how often nor whom to ask; the table of choices did not say how to use it; the
    drawing of a decompression beside the first step had no caption (third clinical read, PEMAT-P)."""
    for large in SIZES:
        in_order(flat(made[lang, visit, large]), *SAID_IN_ORDER[lang][visit])


# The decompression drawing beside the first step of "Your care at home", with its caption (the
# caption's first line: the text layer reads a caption beside a step apart from the step's lines).
CAPTION = {
    "en": ("Decompression", "nerves have room", "Your spine seen from the back,"),
    "es": ("Descompresión", "nervios", "Su columna vista desde atrás,"),
}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_drawing_of_the_operation_has_its_caption(made, lang):
    """The drawing of a decompression on the post-op sheet had a title and no caption (PEMAT-P 15)."""
    for large in SIZES:
        texts = pages(made[lang, "post-op", large])
        page = next(text for text in texts if CAPTION[lang][-1] in text)
        assert all(part in page for part in CAPTION[lang]), large


# --- 14 and 15. Spanish: everyday words, the meaning kept, one term per English term ----------

# Spanish as once printed that a reader misreads or that says something else than the English,
# each with what a handout of that visit type prints now.
SLIPS = {
    "conservative-care": [
        ("La terapia física le ayuda", "La terapia física le puede ayudar a hacer más cosas."),
        ("2. Descanse 3.", "2. Descanse: siéntese o inclínese"),
        ("lo volveremos a revisar", "volveremos a revisar su caso"),
        # second clinical read, section 4
        ("unos bastones para caminar", "bastones para caminar (uno en cada mano)"),
        ("Camine hasta que empiecen los síntomas. ", "Camine hasta tener síntomas en las piernas."),
    ],
    "injection": [
        ("puede darle tiempo", "No arregla el estrechamiento, pero le puede aliviar por un tiempo."),
        ("antes de dejarla", "Pregúntenos antes de dejar de tomarla"),
        ("¿Sin alivio?", "¿Se acabó el alivio? Hable de cirugía"),
        ("se deben suspender", "Algunas se deben dejar de tomar unos días antes de la inyección"),
        ("Lo que puede venir después: Si", "Lo que puede venir después: si una inyección"),
    ],
    "surgical-consult": [
        ("su resultado menos bueno", "hacen menos probable que salga bien"),
        ("Pregunte qué tipo le harán", "Pregunte a su cirujano qué tipo le harán."),
        ("no ayudó en 2 a 3 meses", "no le ha ayudado después de 2 a 3 meses, y no puede caminar lejos"),
        ("trabajar en eso", "pregúntenos cómo le podemos ayudar"),
        ("así le irá mejor", "Esto le ayuda a tener un mejor resultado."),
        ("Cuándo tiene sentido la cirugía", "Cuándo la cirugía es buena opción"),
    ],
    "post-op": [
        ("escritorio en 2 a 3 semanas", "trabajo de escritorio después de 2 a 3 semanas"),
        ("¿Evacuó el intestino?", "¿Hizo popó?"),
        ("heces duras", "la popó sale dura y cuesta trabajo ir al baño"),
        ("también tras la cirugía", "también después de la cirugía."),
        ("Las de un problema con la cirugía", "Las señales de un problema con la cirugía están en la página"),
    ],
    "post-op-fusion": [("tras una fusión", "Cómo cuidarse en casa después de una fusión")],
    "new-patient": [
        ("Si solo parar le ayuda", "Si con solo detenerse mejora"),
        ("qué columna se parece más a usted", "qué lado de la tabla se parece más a lo que usted siente"),
        ("Fíjese en el patrón", "Fíjese en lo que siente"),
        ("Radiografías de pie.", "Radiografías tomadas de pie (parado)."),
        ("un dolor muy fuerte en reposo", "un dolor muy fuerte cuando está quieto o descansando, y no"),
        ("dar los mismos síntomas.", "dar los mismos síntomas en las piernas."),
    ],
}


@pytest.mark.parametrize("visit", sorted(SLIPS))
def test_the_spanish_says_what_the_english_says_in_everyday_words(made, visit):
    for large in SIZES:
        text = flat(made["es", visit, large])
        for old, new in SLIPS[visit]:
            assert old not in text and new in text, (large, old, new)


@pytest.mark.parametrize("visit", VISITS)
def test_walking_poles_are_one_in_each_hand_wherever_spanish_names_them(made, visit):
    """ "bastones" alone reads as one cane, which does not make you lean forward: the text says two
    (the drawing's label "Bastones" sits under two poles)."""
    for large in SIZES:
        text = flat(made["es", visit, large])
        for found in re.finditer(r"(?<!\w)bastones(?!\w)", text):
            at = found.start()
            two = text.endswith("dos ", 0, at) or text.startswith("bastones para caminar (uno en cada mano)", at)
            assert two, (large, text[max(0, at - 20) : at + 40])


@pytest.mark.parametrize("visit", VISITS)
def test_a_blood_thinner_is_explained_wherever_spanish_names_it(made, visit):
    """ "anticoagulante" alone on page 1 of the injection sheet: a reader with primary-school
    reading does not know it. Each one is beside "una medicina para diluir la sangre"."""
    for large in SIZES:
        text = flat(made["es", visit, large])
        for found in re.finditer("anticoagulante", text):
            assert "diluir la sangre" in text[max(0, found.start() - 60) : found.end() + 60], (large, found.start())


GLOSSARY = ROOT / "docs" / "translation-review.md"
_ENTRY = re.compile(r"^- (?P<english>.+?) -> (?P<spanish>.+?); never: (?P<never>.+)$")


def glossary_rules() -> list[tuple[str, str, list[str]]]:
    """(English, the Spanish chosen, the renderings never to use) of each glossary line that lists some."""
    text = GLOSSARY.read_text(encoding="utf-8")
    section = text[text.index("## Glossary") : text.index("\n## ", text.index("## Glossary") + 1)]
    rules = []
    for line in section.splitlines():
        match = _ENTRY.match(line)
        if match:
            never = re.findall(r'"([^"]+)"', match["never"])
            assert never, f"{line!r}: list the words never to use in double quotes"
            rules.append((match["english"], match["spanish"], never))
    return rules


def unused_variants(text: str, chosen: str, never: list[str]) -> list[str]:
    """The never-to-use renderings found in `text`, once the chosen term is taken out (so "Usted está
    aquí" does not count as "Está aquí"); whole words, any case."""
    text = re.sub(re.escape(chosen), " ", text, flags=re.IGNORECASE)
    return [word for word in never if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, flags=re.IGNORECASE)]


def spanish_sources() -> dict[str, str]:
    """Every Spanish text of the built-ins by file: templates, content files and the message catalog."""
    files = [*ROOT.glob("templates/es/**/*.html"), *ROOT.glob("content/**/es/*.toml"), *ROOT.glob("content/es/*.toml")]
    texts = {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8") for path in files}
    with catalog_path("es").open("rb") as handle:
        texts["messages.po"] = "\n".join(str(m.string) for m in read_po(handle, locale="es") if m.id)
    return texts


def test_the_glossary_lists_the_variants_it_forbids():
    rules = glossary_rules()
    english = [rule[0] for rule in rules]
    assert len(rules) >= 15 and len(set(english)) == len(english)
    assert "you are here" in english and "belly" in english and "X-ray dye" in english


@pytest.mark.parametrize(("english", "chosen", "never"), glossary_rules(), ids=lambda value: str(value)[:24])
def test_one_spanish_term_for_each_english_term(made, english, chosen, never):
    """docs/translation-review.md's glossary is the rule: no Spanish file and no printed Spanish
    handout uses a rendering it rules out ("Está aquí" beside "Usted está aquí", "abdomen" beside
    "barriga", "tinte" for X-ray dye, "AINE", "evacuar", "hidromasaje", ...)."""
    found = {name: unused_variants(text, chosen, never) for name, text in spanish_sources().items()}
    found |= {
        f"{visit} ({'large' if large else 'standard'} print)": unused_variants(
            flat(made["es", visit, large]), chosen, never
        )
        for visit in VISITS
        for large in SIZES
    }
    assert {name: words for name, words in found.items() if words} == {}, english


def test_the_glossary_check_finds_a_variant():
    assert unused_variants("Usted está aquí. Está aquí.", "Usted está aquí", ["Está aquí"]) == ["Está aquí"]
    assert unused_variants("Usted está aquí.", "Usted está aquí", ["Está aquí"]) == []
    assert unused_variants("Apriete el abdomen.", "barriga", ["abdomen"]) == ["abdomen"]
    assert unused_variants("Compare los dos.", "detenerse", ["pare"]) == []  # a whole word only


# --- 16. A procedure typed in English on a Spanish sheet --------------------------------------


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_english_words_are_found_in_typed_text():
    assert english_words("L4-L5 decompression") == ["decompression"]
    assert english_words("Laminectomy and fusion at L4") == ["laminectomy", "and", "at"]
    for spanish in ("descompresión L4-L5", "Descompresion L4-L5", "fusión lumbar L4-L5", "laminectomía", "TLIF L5-S1"):
        assert english_words(spanish) == [], spanish
    assert english_words("Stabilisation") == [""]  # an English shape, not on the list: never repeated in a message


POST_OP = ["make", "post-op", "-p", NAME, "-d", "2026-03-14", "--set", "surgery_date=2026-03-10", "--no-record"]


def test_the_command_line_warns_when_a_spanish_sheet_gets_an_english_procedure(tmp_path):
    made = tmp_path / "es.pdf"
    result = invoke(*POST_OP, "--lang", "es", "--set", "procedure=L4-L5 decompression", "-o", str(made))
    assert result.exit_code == 0, result.output
    assert (
        "Warning: the procedure looks like English ('decompression'), but this handout is in Spanish: it prints "
        "as typed."
    ) in result.output
    assert "Su cirugía: L4-L5 decompression" in flat(made.read_bytes())  # as typed: the desk decides
    for args in (
        ["--lang", "es", "--set", "procedure=descompresión L4-L5"],
        ["--set", "procedure=L4-L5 decompression"],
    ):
        quiet = invoke(*POST_OP, *args, "-o", str(tmp_path / "quiet.pdf"))
        assert quiet.exit_code == 0 and "Warning" not in quiet.output, args


def test_a_batch_row_of_a_spanish_sheet_with_an_english_procedure_is_named(tmp_path):
    schedule = tmp_path / "day.csv"
    schedule.write_text(
        "visit,patient,date,lang,procedure,surgery_date\n"
        "post-op,Rosa Delgado,2026-03-14,es,L4-L5 decompression,2026-03-10\n"
        "post-op,Tom Baker,2026-03-14,en,L4-L5 decompression,2026-03-10\n"
        "post-op,Ana Silva,2026-03-14,es,descompresión L4-L5,2026-03-10\n",
        encoding="utf-8",
    )
    result = invoke("batch", str(schedule), "-o", str(tmp_path / "out"), "-j", "1", "--no-record")
    assert result.exit_code == 0, result.output
    warned = [line for line in result.output.splitlines() if "looks like English" in line]
    assert len(warned) == 1 and warned[0].startswith("Warning: line 2: the procedure"), result.output
    assert "Rosa" not in result.output  # the row by its line, never the patient


def _surgeon_practice(tmp_path: Path, spanish: str) -> Path:
    practice = _practice(tmp_path)
    (practice / "surgeons/es").mkdir(parents=True)
    (practice / "surgeons/lee.toml").write_text(
        'name = "Dr. Avery Lee"\nprocedures = ["L4-L5 decompression", "L4-L5 decompression and fusion"]\n',
        encoding="utf-8",
    )
    (practice / "surgeons/es/lee.toml").write_text(spanish, encoding="utf-8")
    return practice


def test_a_surgeon_profile_names_each_procedure_in_both_languages(tmp_path):
    practice = _surgeon_practice(tmp_path, 'procedures = ["descompresión L4-L5", "descompresión y fusión L4-L5"]\n')
    args = [*POST_OP, "--practice", str(practice), "--surgeon", "lee", "--set", "procedure=l4-l5  Decompression"]
    spanish = invoke(*args, "--lang", "es", "-o", str(tmp_path / "es.pdf"))
    assert spanish.exit_code == 0 and "Warning" not in spanish.output, spanish.output
    assert "Su cirugía: descompresión L4-L5, el 10 de marzo de 2026" in flat((tmp_path / "es.pdf").read_bytes())
    english = invoke(*args, "-o", str(tmp_path / "en.pdf"))
    assert english.exit_code == 0, english.output
    assert "Your surgery: l4-l5 Decompression on March 10, 2026" in flat((tmp_path / "en.pdf").read_bytes())
    other = invoke(
        *POST_OP,
        "--practice",
        str(practice),
        "--surgeon",
        "lee",
        "--lang",
        "es",
        "--set",
        "procedure=L4-L5 laminectomy",
        "-o",
        str(tmp_path / "other.pdf"),
    )
    assert other.exit_code == 0 and "looks like English ('laminectomy')" in other.output


def test_a_surgeon_profile_without_its_spanish_procedures_stops_only_its_spanish_sheets(tmp_path):
    practice = _surgeon_practice(tmp_path, 'procedures = ["descompresión L4-L5"]\n')
    args = [*POST_OP, "--practice", str(practice), "--surgeon", "lee", "-o", str(tmp_path)]
    result = invoke(*args, "--lang", "es")
    assert result.exit_code == 2 and "key 'procedures' must list 2 item(s)" in result.output
    assert "Traceback" not in result.output
    assert invoke(*args).exit_code == 0


def test_the_web_page_is_told_about_an_english_procedure_on_a_spanish_sheet():
    import json

    from handouts.web import create_app

    client = create_app().test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)
    form = {
        "csrf_token": csrf,
        "visit": "post-op",
        "patient": NAME,
        "date": "2026-03-14",
        "surgery_date": "2026-03-10",
        "procedure": "L4-L5 decompression",
        "lang": "es",
    }
    response = client.post("/handout", data=form)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    warnings = json.loads(response.headers["X-Handout-Warnings"])
    assert len(warnings) == 1 and warnings[0].startswith("The procedure looks like English ('decompression')")
    for changed in ({"lang": "en"}, {"procedure": "descompresión L4-L5"}):
        assert "X-Handout-Warnings" not in client.post("/handout", data=form | changed).headers, changed

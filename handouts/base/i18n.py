"""Languages a handout prints in: choosing one, its message catalog, and its dates.

The page's fixed words (headings, "Page 1 of 4", figure labels) come from gettext catalogs in
handouts/locale/<lang>/LC_MESSAGES/messages.po; the clinical text comes from content files in the
language (searchpath.py says where). The catalog is compiled from the .po when it is first used, so
a stale compiled file can never print, and dates are formatted by Babel's bundled CLDR data, not
the system locale, so every machine prints the same bytes.
"""

import gettext
import io
import unicodedata
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from babel import Locale
from babel.dates import format_date, format_skeleton

from .errors import UserError

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog as Messages

DEFAULT = "en"
LOCALE_DIR = Path(__file__).parent.parent / "locale"
DOMAIN = "messages"


def _languages() -> dict[str, tuple[str, str]]:
    """Code -> (name in English, name in itself): English and every language with a catalog, so a
    third language is a catalog and content files, not code."""
    codes = [DEFAULT, *sorted(p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES").is_dir())]
    names = {code: (Locale(code).english_name, Locale(code).get_display_name(code)) for code in codes}
    return {code: (english, own[:1].upper() + own[1:]) for code, (english, own) in names.items()}  # a label: "Español"


LANGUAGES = _languages()


def N_(text: str) -> str:
    """Mark `text` for the message catalog where it is defined; it is translated where it prints."""
    return text


def parse_lang(text: str, where: str = "language") -> str:
    """A language code from 'es', 'Spanish', 'español' or 'espanol' (any case); a UserError otherwise."""
    wanted = _plain(text)
    for code, names in LANGUAGES.items():
        if wanted == code or wanted in (_plain(name) for name in names):
            return code
    known = ", ".join(f"{code} ({names[0]})" for code, names in LANGUAGES.items())
    raise UserError(f"{where} {text.strip()!r} is not a language the handouts are written in: choose {known}")


def _plain(text: str) -> str:
    """Lower case without accents: 'Español' and 'espanol' are the same word to a schedule."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The page's fixed words in `lang`; English is the source text itself.

    Every message must be translated: a missing one would print English inside a Spanish handout."""
    if lang == DEFAULT:
        return gettext.NullTranslations()
    # Babel's catalog tools, loaded only for a handout in another language (an English `make` starts without them)
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    path = catalog_path(lang)
    if not path.is_file():
        raise UserError(f"no message catalog for {lang!r}: add {path} (see docs/translation-review.md)")
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    if missing:
        raise UserError(f"{path}: {len(missing)} message(s) not translated, e.g. {missing[0]!r}: translate them")
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def long_date(value: date, lang: str = DEFAULT) -> str:
    """'March 14, 2026' / '14 de marzo de 2026'."""
    return format_date(value, "long", locale=lang)


def short_date(value: date, lang: str = DEFAULT) -> str:
    """'Mar 14' / '14 mar'."""
    return format_skeleton("MMMd", value, locale=lang)


# Where the page's fixed words are: gettext calls in the page templates (a language's own
# templates/<lang>/ folder holds content, not messages) and `_()` / `N_()` in the package's code.
EXTRACT_FROM = [
    ("handouts/**.py", "python"),
    ("templates/*.html", "jinja2"),
    ("templates/partials/**.html", "jinja2"),
]
KEYWORDS = {"_": None, "gettext": None, "pgettext": ((1, "c"), 2), "N_": None}


def extract(root: Path) -> "Messages":
    """Every message the handouts print, read from the source under `root` (scripts/catalogs writes
    it to handouts/locale/messages.pot; a test checks that file is up to date)."""
    from babel.messages.catalog import Catalog as Messages
    from babel.messages.extract import extract_from_dir

    messages = Messages(project="spine-handouts", domain=DOMAIN)
    options = {"jinja2": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
    found = extract_from_dir(
        root, EXTRACT_FROM, options_map={p: options.get(m, {}) for p, m in EXTRACT_FROM}, keywords=KEYWORDS
    )
    for filename, lineno, message, comments, context in found:
        messages.add(message, locations=[(filename, lineno)], auto_comments=comments, context=context)
    return messages

"""The shapes of the plain files a practice edits, validated on load.

`extra="forbid"` turns a typo'd key into an error that names it, instead of a setting that is
silently ignored on clinic day.
"""

import calendar
import re
from datetime import date, timedelta
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    field_validator,
    model_validator,
)

from ..base.chars import problem
from ..base.i18n import LANGUAGES, N_

RED_FLAGS = "red-flags"
# `{page:red-flags}` in a key point or next step prints as the page that section starts on: page 1
# may say where the warning signs are, as a template does with page_of("red-flags").
PAGE_REF = re.compile(r"\{page:([^{}]*)\}")


def _prints_as_written(text: str) -> str:
    """A text of a practice's files prints as it reads there: no control, direction-turning or invisible character."""
    wrong = problem(text)
    if wrong:
        raise ValueError(wrong)
    return text


Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), AfterValidator(_prints_as_written)
]
LongText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), AfterValidator(_prints_as_written)
]
Ident = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")]
# File names inside an assets folder, and font family names: both are written into CSS.
_PART = r"[A-Za-z0-9_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*"  # no '..', no leading dot
AssetName = Annotated[str, StringConstraints(pattern=rf"^{_PART}(/{_PART})*$", max_length=160)]
FamilyName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]{0,60}$")]
FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,40}$")]
# A language code with a message catalog (handouts/base/i18n.py); checked there, so a new catalog needs no code.
Lang = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class Strict(BaseModel):
    # defer_build: each model's validator is built when it first validates, not when this module is
    # imported; a command builds only those it uses, and a cold `make` does not wait for the rest.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Colors(Strict):
    """Brand colours; dark enough for text on white (checked against WCAG AA on load)."""

    primary: str = "#1f4e79"
    accent: str = "#8a2b1e"

    @field_validator("primary", "accent")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not _HEX.match(value):
            raise ValueError(f'{value!r} is not a colour like "#1f4e79" (a # and six hex digits)')
        if contrast_on_white(value) < 4.5:
            raise ValueError(
                f"{value} is too light to read on white paper "
                f"(contrast {contrast_on_white(value):.1f}:1, needs 4.5:1): choose a darker shade"
            )
        return value.lower()


def contrast_on_white(hex_colour: str) -> float:
    """WCAG contrast ratio of a colour against white."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    lum = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (lum + 0.05)


class PostOpInstructions(Strict):
    """What only the surgical team can say; each topic left out prints 'follow your team's instructions'."""

    activity: LongText | None = Field(default=None, title=N_("Activity"))
    lifting: LongText | None = Field(default=None, title=N_("Lifting"))
    driving: LongText | None = Field(default=None, title=N_("Driving"))
    wound_care: LongText | None = Field(default=None, title=N_("Bathing and wound care"))
    medicines: LongText | None = Field(default=None, title=N_("Medicines"))
    follow_up_weeks: int | None = Field(default=None, ge=1, le=52)


# The instruction topics in print order, with their headings: one list for the sheet and the web form.
POST_OP_TOPICS = {name: info.title for name, info in PostOpInstructions.model_fields.items() if info.title is not None}


class Font(Strict):
    """A typeface the practice ships in its assets folder (the built-in is Atkinson Hyperlegible)."""

    family: FamilyName
    regular: AssetName
    bold: AssetName


# Where a built-in text comes from: the practice's clinical source, or common practice the source
# does not state (which prints as a draft until the practice approves it). Undeclared is general.
SourceBasis = Literal["source", "general"]
BasisNote = Annotated[str, StringConstraints(strip_whitespace=True, max_length=400)]


# A web address printed on page 1 as text and as a QR code: https only, no spaces or quotes, short
# enough for a small code. It names a page about the visit type, never anything about a patient.
WebLink = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https://[^\s\"'<>]+$", max_length=200)]


# A CUPS name for a paper size or a tray ("Letter", "A4", "Tray2"): letters, digits, '.', '_' and '-'.
CupsName = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]


class Printing(Strict):
    """How the front desk's printer prints a handout (`--print`, the page's Print button)."""

    # Two-sided by default: the print file starts every handout on a front side for it.
    sides: Literal["one-sided", "two-sided-long-edge", "two-sided-short-edge"] = "two-sided-long-edge"
    media: CupsName | None = None  # the paper size as the printer names it; default: the handout's paper
    tray: CupsName | None = None  # the tray to take paper from, as the printer names it; default: the printer's


class Practice(Strict):
    name: Text
    address: Text | None = None
    phone: Text
    after_hours_phone: Text | None = None
    website: Text | None = None
    logo: AssetName | None = None
    colors: Colors = Colors()
    font: Font | None = None
    paper: Literal["letter", "a4"] = "letter"
    footer: Text | None = None
    # Handouts carry patient data: readable by their owner only, unless the practice says otherwise.
    file_permissions: Literal["600", "640", "644"] = "600"
    post_op: PostOpInstructions = PostOpInstructions()
    # Optional: visit type ID -> the practice's page for it (videos, the online version), printed
    # on page 1 with a QR code. A visit type not listed prints none.
    links: dict[Ident, WebLink] = {}
    # The languages the practice hands out (offered on the web page, checked by `handouts check`), the
    # one a handout prints in unless another is chosen, and, if set, the number for help in Spanish,
    # printed on page 1 in Spanish.
    languages: list[Lang] = Field(default=["en", "es"], min_length=1)
    language: Lang = "en"
    spanish_help_phone: Text | None = None
    # The temperature (°F) the warning signs call a fever; printed with its °C: "101 °F (38.3 °C)".
    fever_f: float = Field(default=101.0, ge=99.0, le=104.0)
    # Refuse to print a handout with any text not yet approved (see `handouts approve`).
    require_approval: bool = False
    # Seconds of processor time a handout may take to make before it is stopped (a template that
    # loops without end): one takes well under 2, the first of a process under 5 on a slow computer.
    time_limit: int = Field(default=30, ge=1, le=600)
    # Where the record of handouts given is kept: "" for ledger.sqlite in the practice folder,
    # a postgresql:// URL for one record shared by several desks, or "off".
    ledger: str = ""
    # The CUPS queue handouts print on (`lpstat -p` lists them); none: the computer's default printer.
    printer: CupsName | None = None
    printing: Printing = Printing()

    @field_validator("language", "languages")
    @classmethod
    def _known_language(cls, value: str | list[str]) -> str | list[str]:
        for code in [value] if isinstance(value, str) else value:
            if code not in LANGUAGES:
                raise ValueError(f"{code!r} should be one of {', '.join(LANGUAGES)} (languages with a catalog)")
        return value

    @model_validator(mode="after")
    def _default_offered(self) -> "Practice":
        if self.language not in self.languages:
            raise ValueError(f"language {self.language!r} must be one of languages ({', '.join(self.languages)})")
        return self

    @property
    def file_mode(self) -> int:
        return int(self.file_permissions, 8)


class FieldSpec(Strict):
    """A value a visit type accepts per patient (`--set NAME=VALUE`)."""

    label: Text
    kind: Literal["text", "date"] = "text"
    max_length: int = Field(default=200, ge=1, le=2000)
    not_before: FieldName | None = None  # a date field that this date may not come before


class Milestone(Strict):
    """One step of a recovery timeline after surgery, in days (a range when start and end differ), or
    in calendar months for a step told in months: "3 to 6 months" after Mar 10 is Jun 10 to Sep 10,
    which 90 to 180 days (Jun 8 to Sep 6) is not."""

    when: Text
    start_day: int | None = Field(default=None, ge=0, le=730)
    end_day: int | None = Field(default=None, ge=0, le=730)
    start_month: int | None = Field(default=None, ge=0, le=24)
    end_month: int | None = Field(default=None, ge=0, le=24)
    what: Text

    @model_validator(mode="after")
    def _ordered(self) -> "Milestone":
        pairs = ((self.start_day, self.end_day), (self.start_month, self.end_month))
        given = [pair for pair in pairs if pair != (None, None)]
        if len(given) != 1 or None in given[0]:
            raise ValueError("give start_day and end_day, or start_month and end_month (not both)")
        start, end = given[0]
        if end < start:
            raise ValueError("the end may not come before the start")
        return self

    def dates(self, surgery: date) -> tuple[date, date]:
        """The step's first and last day after a surgery on `surgery`."""
        if self.start_month is not None and self.end_month is not None:
            return _add_months(surgery, self.start_month), _add_months(surgery, self.end_month)
        return surgery + timedelta(days=self.start_day or 0), surgery + timedelta(days=self.end_day or 0)


def _add_months(day: date, months: int) -> date:
    """The same day of the month `months` later, or that month's last day if it is shorter (Jan 31 -> Feb 28)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


class VisitType(Strict):
    id: Ident
    title: Text
    purpose: Text
    order: int = 100
    pathway_step: int | None = Field(default=None, ge=1, le=8)
    key_points: list[Text] = Field(min_length=1, max_length=6)
    next_steps: list[Text] = Field(min_length=1, max_length=7)
    modules: list[Ident] = Field(min_length=1)
    fields: dict[FieldName, FieldSpec] = {}
    # Questions the patient may want to ask (printed with lines to write more), questions the
    # staff ask so the patient can say the plan back in their own words (teach-back), and the
    # recovery timeline after surgery, for the modules that print them.
    questions: list[Text] = Field(default=[], max_length=8)
    teach_back: list[Text] = Field(default=[], max_length=3)
    timeline: list[Milestone] = Field(default=[], max_length=8)
    # A sheet for after surgery names the operation: its modules draw that operation, and the general
    # warning box says its signs matter after surgery too (the signs of a problem with the surgery
    # have a box of their own).
    after_surgery: Literal["decompression", "fusion"] | None = None
    basis: SourceBasis = "general"
    basis_note: BasisNote = ""

    @model_validator(mode="after")
    def _page_refs_name_its_modules(self) -> "VisitType":
        for name in ("key_points", "next_steps"):
            for text in getattr(self, name):
                for ref in PAGE_REF.findall(text):
                    if ref not in self.modules:
                        known = ", ".join(self.modules)
                        raise ValueError(f"{name}: {{page:{ref}}} must name one of this visit type's modules ({known})")
        return self

    @model_validator(mode="after")
    def _not_before_names_a_date_field(self) -> "VisitType":
        for name, spec in self.fields.items():
            other = self.fields.get(spec.not_before or "")
            if spec.not_before and (other is None or other.kind != "date" or spec.kind != "date"):
                raise ValueError(f"fields.{name}.not_before must name another date field of this visit type")
        return self


class Module(Strict):
    id: Ident
    title: Text
    purpose: Text
    reviewed: date
    template: str = ""
    basis: SourceBasis = "general"
    basis_note: BasisNote = ""

    @property
    def template_name(self) -> str:
        return self.template or f"modules/{self.id}.html"


class Section(Strict):
    """An extra section a surgeon adds: a title and text with bold, italics and lists at most."""

    title: Text
    text: LongText


class VisitPreferences(Strict):
    """A surgeon's choices for one visit type: module order (leaving some out) and extra sections,
    which follow the visit's first own module."""

    modules: list[Ident] | None = None
    sections: list[Section] = Field(default=[], max_length=10)


class Surgeon(Strict):
    id: Ident
    name: Text
    credentials: Text | None = None
    phone: Text | None = None
    email: Text | None = None
    post_op: PostOpInstructions = PostOpInstructions()
    visits: dict[Ident, VisitPreferences] = {}
    # The operations this surgeon does, as the desk types them (`--set procedure=...`); the profile's
    # translation (surgeons/es/ID.toml) names each in its language, in the same order, and a handout
    # in that language prints that name for the one typed.
    procedures: list[Text] = Field(default=[], max_length=30)

    @property
    def display_name(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


def fold(text: str) -> str:
    """A name as a schedule's names are matched: any case, any spacing ("New  patient" is "NEW PATIENT")."""
    return " ".join(text.casefold().split())


def column_name(header: str) -> str:
    """A column's heading as headings are matched: 'Appt Date ', 'APPT-DATE' and 'appt_date' are 'appt_date'."""
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


# The columns of a schedule the handouts read, besides the fields a visit type declares: the
# patient's name is one column, or two (first_name and last_name, joined "First Last").
SCHEDULE_COLUMNS = ("visit", "patient", "date", "surgeon", "lang", "large_print", "id", "first_name", "last_name")


class ScheduleMap(Strict):
    """How the practice's schedule export reads (schedule.toml), set up once: its column names,
    visit-type names and codes, provider names, name order and date order. `batch`, `serve`, the
    Today page and `schedule check` all read a schedule through it (runs/mapped.py)."""

    # The order of dates written with slashes: "us" 12/07/2026 (month first), "eu" 07/12/2026 (day first).
    dates: Literal["us", "eu"] | None = None
    # How a name with a comma is written: "last-first" prints "Lopez, Maria" as "Maria Lopez".
    names: Literal["first-last", "last-first"] | None = None
    # "capitalize" prints a name written all in capitals as "Mary-Kate O'Connell"; "as-written" leaves it.
    capitals: Literal["as-written", "capitalize"] = "as-written"
    # Columns the handouts do not read (a time, a birth date): no warning about them.
    ignore: list[Text] = Field(default=[], max_length=200)
    # Visit names that get no handout (a cancelled visit): such rows are left out of the day.
    skip: list[Text] = Field(default=[], max_length=200)
    # A column the handouts read (date, patient, id, visit, surgeon, lang, a visit type's field) -> its
    # heading in the export.
    columns: dict[FieldName, Text] = {}
    # The export's visit names, or a FHIR appointment's type codes, -> visit type IDs.
    visits: dict[Text, Ident] = Field(default={}, max_length=500)
    # The export's provider names (or FHIR Practitioner references) -> surgeon profile IDs ("" for none).
    surgeons: dict[Text, Ident | Literal[""]] = Field(default={}, max_length=500)
    # The export's language names or codes -> language codes ("SPA" = "es").
    languages: dict[Text, Lang] = Field(default={}, max_length=200)
    _folded: dict[str, dict[str, str]] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: object) -> None:
        tables = {"visits": self.visits, "surgeons": self.surgeons, "languages": self.languages}
        tables |= {"skip": dict.fromkeys(self.skip, "")}
        self._folded = {table: {fold(name): value for name, value in names.items()} for table, names in tables.items()}
        self._folded["columns"] = {column_name(name): key for key, name in self.columns.items()}
        self._folded["ignore"] = {column_name(name): "" for name in self.ignore}

    def named(self, table: str, name: str) -> str | None:
        """What the export's `name` means in `table` (visits, surgeons, languages, skip; columns: a
        heading -> its key; ignore), matched in any case and spacing; None when the table does not name it."""
        return self._folded[table].get(column_name(name) if table in ("columns", "ignore") else fold(name))

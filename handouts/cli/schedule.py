"""`handouts schedule check FILE`: how a schedule export reads, column by column and value by value.

Set up schedule.toml with it: each column and the key it is read as, each visit name and the visit
type it means (or that it is unknown), each provider's surgeon profile, each language, each date as
read in the practice's order, how names print, and each row that cannot be made, with the reason,
as `batch` and the Today list would say it. Names are shown only with --show-names (as `history`).
"""

from collections import Counter
from datetime import date
from pathlib import Path

import click

from ..base.errors import UserError
from ..base.i18n import LANGUAGES, parse_lang
from ..compose.request import build_request
from ..config.catalog import Catalog
from ..config.models import SCHEDULE_COLUMNS, ScheduleMap
from ..inputs.layout import SCHEDULE_FILE
from ..runs.mapped import language, last_first_names, patient_name, skipped_why, surgeon_id, visit_id
from ..runs.rows import folded, iso_date, request_kwargs
from ..runs.schedule import Row, layout, normalize, parse_schedule
from .options import PRACTICE_OPTION

FHIR_COLUMNS = (
    ("patient", "the Patient's name"),
    ("id", "the Patient's identifier (type MR, else official, else the first)"),
    ("date", "the appointment's start"),
    ("visit", "appointmentType and serviceType codes"),
    ("surgeon", "the Practitioner, with a [surgeons] table"),
    ("lang", "the Patient's preferred communication language"),
)


@click.group()
def schedule() -> None:
    """Set up how the practice's schedule export is read (schedule.toml).

    \b
    Examples:
      handouts schedule check export.csv --practice ./my-practice
      handouts schedule check appointments.json --practice ./my-practice --show-names
    """


@schedule.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--encoding", help="The schedule's text encoding. Default: UTF-8, else Windows-1252.")
@click.option(
    "--dates", type=click.Choice(["us", "eu"]), help="The order of dates like 3/14/2026, over schedule.toml's."
)
@click.option("--show-names", is_flag=True, help="Show each patient's name as written and as printed.")
@PRACTICE_OPTION
def check(file: Path, encoding: str | None, dates: str | None, show_names: bool, practice: Path | None) -> None:
    """Show how each column and value of a schedule is read, and each row that cannot be made.

    Reads CSV, JSON Lines and FHIR (a Bundle or NDJSON of Appointment resources) with the
    practice's schedule.toml, as `batch`, `serve` and the Today page do. Exit code 2 when a row
    cannot be made or the file cannot be read: the output says what to add to schedule.toml.

    \b
    Examples:
      handouts schedule check export.csv --practice ./my-practice
      handouts schedule check export.csv --practice ./my-practice --dates us --show-names
    """
    catalog = Catalog.load(practice)
    mapping = catalog.schedule
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read the schedule {file}: {exc.strerror}") from None
    rows = parse_schedule(data, file, encoding, mapping)
    kind, header = layout(data, file, encoding)
    own = catalog.search.practice / SCHEDULE_FILE if catalog.search.practice else None
    if own is None:
        told = "no practice folder (--practice DIR), so no schedule.toml: built-in column names"
    else:
        told = f"read with {own}" if own.is_file() else f"no {own}: built-in column names"
    click.echo(f"{file.name}: {kind}, {_count(len(rows))}; {told}.")
    skipped = [row for row in rows if skipped_why(mapping, row.values)]
    made = [row for row in rows if row not in skipped]
    if kind.startswith("FHIR"):
        _section("Read from each Appointment", [(key, what) for key, what in FHIR_COLUMNS])
        statuses = Counter(row.values["_skip"] for row in skipped if row.values.get("_skip"))
        _section("Appointments left out", [(f"{status} ({_count(n)})", "skipped") for status, n in statuses.items()])
    else:
        _section("Columns", [_column(catalog, name) for name in header])
    _values(catalog, mapping, made, skipped)
    _dates(catalog, made, dates)
    _names(mapping, made, show_names)
    _rows(catalog, made, skipped, dates)


def _section(title: str, lines: list[tuple[str, str]]) -> None:
    if not lines:
        return
    click.echo(f"\n{title}:")
    width = min(max(len(left) for left, _ in lines), 40)
    for left, right in lines:
        click.echo(f"  {left:<{width}} -> {right}")


def _count(n: int, what: str = "row") -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _column(catalog: Catalog, name: str) -> tuple[str, str]:
    """A column as written and how it is read."""
    mapping = catalog.schedule
    fields = {field for visit in catalog.visits.values() for field in visit.fields}
    named = mapping.named("columns", name)
    if named is not None:
        return name, f"{named} (schedule.toml [columns])"
    if mapping.named("ignore", name) is not None:
        return name, "not used (schedule.toml ignore)"
    key = normalize(name)
    if key in mapping.columns:
        return name, f"not used (schedule.toml names {mapping.columns[key]!r} as {key})"
    if key in SCHEDULE_COLUMNS or key in fields:
        return name, key
    return name, "not used: name it in schedule.toml [columns], or list it in ignore"


def _values(catalog: Catalog, mapping: ScheduleMap, made: list[Row], skipped: list[Row]) -> None:
    """Each distinct visit name, provider and language, and what it means."""
    visits = []
    named = [row for row in [*made, *skipped] if not row.values.get("_skip")]  # not a cancelled FHIR appointment
    for name, n in Counter(row.values.get("visit", "").strip() for row in named).items():
        visits.append((f"{name or '(empty)'} ({_count(n)})", _visit(catalog, mapping, name)))
    _section("Visit types", visits)
    surgeons = []
    for name, n in Counter(row.values.get("surgeon", "").strip() for row in made).items():
        if name:
            surgeons.append((f"{name} ({_count(n)})", _surgeon(catalog, name)))
    _section("Surgeons", surgeons)
    languages = []
    for name, n in Counter(row.values.get("lang", "").strip() for row in made).items():
        languages.append((f"{name or '(empty)'} ({_count(n)})", _language(catalog, mapping, name)))
    _section("Languages", languages)


def _visit(catalog: Catalog, mapping: ScheduleMap, name: str) -> str:
    if name and mapping.named("skip", name) is not None:
        return "skipped (schedule.toml skip)"
    if not name:
        return "no visit type: these rows cannot be made"
    visit = visit_id(mapping, name)
    if visit in catalog.visits:
        return f"{visit}: {catalog.visits[visit].title}"
    return f"unknown: add it to {SCHEDULE_FILE} [visits]"


def _surgeon(catalog: Catalog, name: str) -> str:
    try:
        surgeon = surgeon_id(catalog, name)
    except UserError:
        return f"not a surgeon profile: add it to {SCHEDULE_FILE} [surgeons]"
    if surgeon is None:
        return "no surgeon profile (schedule.toml)"
    if surgeon in catalog.surgeons:
        return f"{surgeon}: {catalog.surgeons[surgeon].display_name}"
    if surgeon in catalog.broken_surgeons:
        return f"{surgeon}: its profile has a mistake (see 'handouts check')"
    return f"not a surgeon profile: add it to {SCHEDULE_FILE} [surgeons]"


def _language(catalog: Catalog, mapping: ScheduleMap, name: str) -> str:
    if not name:
        return f"the practice's language: {LANGUAGES[catalog.practice.language][0]}"
    try:
        code = parse_lang(language(mapping, name))
    except UserError:
        return f"not a language the handouts are written in: add it to {SCHEDULE_FILE} [languages]"
    return f"{code}: {LANGUAGES[code][0]}"


def _dates(catalog: Catalog, made: list[Row], dates: str | None) -> None:
    """Each distinct date of the date column and of the visit types' date fields, as read."""
    mapping = catalog.schedule
    order = dates or mapping.dates
    said = f"--dates {dates}" if dates else f'schedule.toml dates = "{mapping.dates}"' if mapping.dates else ""
    how = {"us": "month first", "eu": "day first"}.get(order or "", "no order given for dates like 3/14/2026")
    fields = {"date": "the visit date"}
    for visit in catalog.visits.values():
        fields |= {name: f"the {field.label.lower()}" for name, field in visit.fields.items() if field.kind == "date"}
    for key, label in fields.items():
        written = list(dict.fromkeys(row.values.get(key, "").strip() for row in made if key in row.values))
        if key != "date":  # a visit type's date field may be left empty
            written = [text for text in written if text]
        if written:
            title = f"Dates: {label}, {how}" + (f" ({said})" if said else "")
            _section(title, [_date(text, order, said) for text in written])


def _date(text: str, order: str | None, said: str) -> tuple[str, str]:
    if not text:
        return "(empty)", "no visit date: these rows cannot be made"
    try:
        iso = iso_date(text, order, "the date", said or None)
        day = date.fromisoformat(iso)
    except UserError as exc:
        return text, str(exc)
    except ValueError:
        return text, "not a date: write it as YYYY-MM-DD, or as 3/14/2026 with the order"
    return text, f"{iso} ({day:%A}, {day:%B} {day.day}, {day.year})"


def _names(mapping: ScheduleMap, made: list[Row], show: bool) -> None:
    """How names print; each name only with --show-names."""
    if not made:
        return
    split = sum(not row.values.get("patient", "").strip() for row in made)
    commas = last_first_names(made)
    lines = []
    if split:
        lines.append(f"from first and last name columns in {split} of {_count(len(made))}: printed 'First Last'")
    if commas and mapping.names == "last-first":
        lines.append(f"written 'Last, First' in {commas} of {_count(len(made))}: printed 'First Last' "
                     '(schedule.toml names = "last-first")')
    elif commas:
        lines.append(f"written 'Last, First' in {commas} of {_count(len(made))}, and printed so: add "
                     'names = "last-first" to schedule.toml to print them \'First Last\'')
    capitals = sum(_capitals(row.values) for row in made)
    if capitals and mapping.capitals == "capitalize":
        lines.append(f"written in capitals in {capitals} of {_count(len(made))}: printed capitalized "
                     '(schedule.toml capitals = "capitalize")')
    elif capitals:
        lines.append(f"written in capitals in {capitals} of {_count(len(made))}, and printed so: add "
                     'capitals = "capitalize" to schedule.toml to print them "Mary-Kate O\'Connell"')
    click.echo("\nNames:")
    for line in lines or ["printed as written"]:
        click.echo(f"  {line}")
    if not show:
        click.echo("  (add --show-names to see each name as printed)")
        return
    for row in made:
        written = row.values.get("patient", "").strip() or " / ".join(
            row.values.get(key, "").strip() for key in ("first_name", "last_name")
        )
        click.echo(f"  Line {row.line}: {written} -> {patient_name(mapping, row.values)}")


def _capitals(values: dict[str, str]) -> bool:
    written = " ".join(values.get(key, "") for key in ("patient", "first_name", "last_name"))
    return any(char.isalpha() for char in written) and written == written.upper()


def _rows(catalog: Catalog, made: list[Row], skipped: list[Row], dates: str | None) -> None:
    """Each row made as `batch` would (without printing it), and what cannot be."""
    failed = []
    for row in made:
        try:
            build_request(catalog, **request_kwargs(catalog, row.values, dates=dates))
        except UserError as exc:
            failed.append((row.line, str(exc)))
    summary = f"{_count(len(made) - len(failed))} ready" + (f", {len(skipped)} skipped" if skipped else "")
    click.echo("\nRows:")
    if not failed:
        click.echo(f"  {summary}.")
        return
    click.echo(f"  {summary}, {len(failed)} cannot be made:")
    for where, reason in folded(failed):
        click.echo(f"  {where}: {reason}")
    raise UserError(f"{_count(len(failed))} of {len(made)} cannot be made: see above")

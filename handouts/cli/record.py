"""`handouts history`, `reprint`, `recall`, `purge` and `export`: reading and keeping the record."""

import hashlib
import json
import sys
from datetime import date
from pathlib import Path

import click

from ..base.errors import UserError
from ..base.output import check_writable, outside_practice, write_atomic
from ..compose.request import clean_id, parse_date
from ..config.catalog import Catalog
from ..record.address import ledger_url
from ..record.copy import copy_ledger
from ..record.fhir import bundle
from ..record.ledger import Ledger, Record, describe_url
from ..record.recorder import Recorder, open_ledger
from ..record.reprint import reprint
from ..render.renderer import Renderer
from .options import NO_RECORD_OPTION, PRACTICE_OPTION

SHOW_NAMES = click.option("--show-names", is_flag=True, help="Show patients' names and ids (hidden by default).")
AS_JSON = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")


def _open(catalog: Catalog) -> Ledger:
    """The ledger, with what waited in the spool added first (said on standard error)."""
    ledger, note = open_ledger(catalog)
    click.get_current_context().call_on_close(ledger.close)
    if note:
        click.echo(note, err=True)
    return ledger


def _date(value: str | None, what: str) -> date | None:
    return parse_date(value, what) if value else None


def _show(found: list[Record], show_names: bool, as_json: bool) -> None:
    rows = [record.summary(show_names) for record in found]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("No records.")
        return
    columns = ["record", "when", "how", "visit", "lang", "surgeon", "content"] + (
        ["patient", "patient_id"] if show_names else []
    )
    widths = {c: max(len(c), *(len(str(r[c] or "")) for r in rows)) for c in columns}
    click.echo("  ".join(c.ljust(widths[c]) for c in columns).rstrip())
    for row in rows:
        click.echo("  ".join(str(row[c] or "-").ljust(widths[c]) for c in columns).rstrip())
    if not show_names:
        click.echo(f"{len(rows)} record(s). Names and patient ids are hidden: add --show-names to see them.")


@click.command()
@click.option("--patient", help="Only records whose patient name holds this text (any case, accents or apostrophes).")
@click.option("--id", "patient_id", help="Only records with this patient id (as given to make --id or a schedule).")
@click.option("--since", help="Only records made on or after this date, YYYY-MM-DD.")
@SHOW_NAMES
@AS_JSON
@PRACTICE_OPTION
def history(
    patient: str | None,
    patient_id: str | None,
    since: str | None,
    show_names: bool,
    as_json: bool,
    practice: Path | None,
) -> None:
    """List the handouts given, newest last.

    \b
    Examples:
      handouts history --practice ./my-practice --since 2026-03-01
      handouts history --patient "lopez" --show-names
      handouts history --id A-1001 --json
    """
    ledger = _open(Catalog.load(practice))
    _show(ledger.history(patient, clean_id(patient_id), _date(since, "--since")), show_names, as_json)


@click.command("reprint")
@click.argument("record", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File. Default: record-N.pdf")
@NO_RECORD_OPTION
@PRACTICE_OPTION
def reprint_command(record: int, output: Path | None, no_record: bool, practice: Path | None) -> None:
    """Make a recorded handout again, byte for byte, and check it against the record's sha256.

    When the practice's text has changed since, the handout is made from the files kept with the
    record (the text as it was given), and what changed is listed.

    \b
    Examples:
      handouts reprint 17 --practice ./my-practice
      handouts reprint 17 -o again.pdf
    """
    catalog = Catalog.load(practice)
    ledger = _open(catalog)
    target = output or Path(f"record-{record}.pdf")
    outside_practice(target, catalog.search.practice)
    check_writable(target)
    made = reprint(catalog, ledger, record)
    write_atomic(target, made.pdf, catalog.practice.file_mode)
    for difference in made.differences:
        click.echo(f"Changed since: {difference}")
    if made.differences and made.identical:
        click.echo("Made from the files kept with the record: the text as it was given.")
    if made.identical:
        click.echo(f"Wrote {target}: identical to record {record} (sha256 {made.sha256[:16]}...).")
    else:
        click.echo(
            f"Wrote {target}, but it is NOT identical to record {record} (sha256 {made.record.sha256[:16]}... then, "
            f"{made.sha256[:16]}... now): the software changed since; the text is the record's.",
            err=True,
        )
    if not no_record:
        given = made.record
        recorder = Recorder(catalog, Renderer(catalog), "reprint")
        number = recorder.keep(
            recorder.record(given.request, given.patient_id, made.sha256, given.content, given.units, given.fileset)
        )
        recorder.close()
        click.echo(f"Recorded as record {number}." if number else recorder.notice(f"wrote {target}"))
    if not made.identical:
        sys.exit(1)


@click.command()
@click.argument("text")
@click.option("--version", "version", required=True, help="The version (or its first characters), see 'check'.")
@SHOW_NAMES
@AS_JSON
@PRACTICE_OPTION
def recall(text: str, version: str, show_names: bool, as_json: bool, practice: Path | None) -> None:
    """List the handouts that carried one version of a text: whom to contact after a correction.

    TEXT is a module ID, or visit:ID, surgeon:ID.

    \b
    Examples:
      handouts recall red-flags --version 911c2b5c --show-names --practice ./my-practice
      handouts recall surgeon:lee --version e815618f --json
    """
    unit = text if ":" in text else f"module:{text}"
    ledger = _open(Catalog.load(practice))
    _show(ledger.recall(unit, version.strip().lower()), show_names, as_json)


@click.command()
@click.option("--before", required=True, help="Delete the records made before this date, YYYY-MM-DD.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@PRACTICE_OPTION
def purge(before: str, yes: bool, practice: Path | None) -> None:
    """Delete old records of handouts given (they hold patient data), and say how many.

    \b
    Examples:
      handouts purge --before 2019-01-01 --practice ./my-practice
    """
    cutoff = parse_date(before, "--before")
    ledger = _open(Catalog.load(practice))
    if not yes and not click.confirm(f"Delete every record made before {cutoff.isoformat()}?", err=True):
        raise UserError("nothing deleted")
    click.echo(f"Deleted {ledger.purge(cutoff)} record(s) made before {cutoff.isoformat()}.")


@click.command()
@click.argument("records", type=int, nargs=-1, required=True)
@click.option(
    "--fhir",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Write a FHIR R4 Bundle (JSON) of DocumentReferences, one per handout, with its PDF.",
)
@PRACTICE_OPTION
def export(records: tuple[int, ...], target: Path, practice: Path | None) -> None:
    """Export recorded handouts for the patient's chart, each PDF made again and checked first.

    \b
    Examples:
      handouts export 17 18 --fhir out/lopez.json --practice ./my-practice
    """
    catalog = Catalog.load(practice)
    ledger = _open(catalog)
    outside_practice(target, catalog.search.practice)
    check_writable(target)
    documents = []
    for number in records:
        made = reprint(catalog, ledger, number)
        if not made.identical:
            raise UserError(f"record {number} cannot be made again byte for byte (the software changed): not exported")
        edition = catalog.edition(made.record.lang)  # titled as the patient's handout is, in its language
        title = edition.visits[made.record.visit].title if made.record.visit in edition.visits else made.record.visit
        documents.append((made.record, made.pdf, title))
    data = json.dumps(bundle(documents), indent=2, ensure_ascii=False).encode("utf-8")
    write_atomic(target, data, catalog.practice.file_mode)
    click.echo(
        f"Wrote {target}: {len(documents)} DocumentReference(s), sha256 {hashlib.sha256(data).hexdigest()[:16]}..."
    )


COMMANDS = (history, reprint_command, recall, purge, export)


@click.command("copy-record")
@click.option(
    "--to",
    "address",
    required=True,
    metavar="ADDRESS",
    help="The new, empty ledger: postgresql://USER:PASSWORD@HOST/DATABASE, or an SQLite file's path.",
)
@PRACTICE_OPTION
def copy_record(address: str, practice: Path | None) -> None:
    """Copy the practice's record of handouts given into a new database: SQLite to PostgreSQL, when
    several desks are to share one record. The old ledger is left as it was.

    \b
    Examples:
      handouts copy-record --practice ./my-practice --to postgresql://handouts:SECRET@db.clinic.lan/handouts
      handouts copy-record --practice ./my-practice --to /backups/ledger-copy.sqlite

    Then point the practice at the copy (practice.toml: ledger = "postgresql://...", or HANDOUTS_LEDGER)
    and check it with `handouts history --practice ./my-practice`.
    """
    catalog = Catalog.load(practice)
    source = _open(catalog)
    url = ledger_url(address, catalog.search.practice, env={})
    if url is None or url == str(source.engine.url.render_as_string(hide_password=False)):
        raise UserError("--to must name another ledger than the practice's own: a new, empty database")
    target = Ledger.open(url)
    click.get_current_context().call_on_close(target.close)
    counts = copy_ledger(source, target)
    click.echo(
        f"Copied {counts['records']} handout record(s) and {counts['blobs']} stored file(s) to {describe_url(url)}. "
        f"Now set ledger = \"...\" in practice.toml to that address (or HANDOUTS_LEDGER), and check it with "
        "'handouts history'."
    )

"""The `handouts` command line: thin wrappers that parse options and call the pipeline.

User errors become one line on stderr and exit code 2; the CLI never builds HTML itself.
"""

import hashlib
import importlib
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .. import __version__
from ..base.errors import UserError
from ..base.output import check_writable, is_folder, outside_practice, remove_leftovers, write_atomic, write_stdout
from ..compose.identity import of_id
from ..compose.request import MAX_NAME, build_request, clean_text, typed_language_warnings
from ..config import approvals
from ..config.catalog import Catalog
from ..delivery.printing import print_kept
from ..engine.build import FORMATS, build, check_format, default_filename, file_name
from ..engine.internals import check_versions
from ..inputs.practice_folder import builtin_names, customize, init_practice
from ..quality.check import check as check_practice
from ..quality.check import unapproved
from ..record.recorder import Recorder
from ..render.renderer import Renderer
from ..render.versions import find_units
from ..runs.rows import DEFAULT_NAMES, folded
from .options import LANG_OPTION, NO_RECORD_OPTION, PRACTICE_OPTION, PRINT_OPTION

if TYPE_CHECKING:
    from ..quality.readability import Section

# Commands that need what the others do not (Flask, SQLAlchemy), loaded only when one is run or
# listed in --help, so `make` starts without them. The batch, lint and progress-bar code is
# imported inside the commands that use it, for the same reason.
LAZY_COMMANDS = {
    "serve": "handouts.cli.serve:serve",
    "history": "handouts.cli.record:history",
    "reprint": "handouts.cli.record:reprint_command",
    "recall": "handouts.cli.record:recall",
    "purge": "handouts.cli.record:purge",
    "export": "handouts.cli.record:export",
    "copy-record": "handouts.cli.record:copy_record",
    "schedule": "handouts.cli.schedule:schedule",
}


class HandoutsGroup(click.Group):
    """Turns a UserError anywhere below into one line and exit code 2; loads LAZY_COMMANDS when asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS:
            module, attribute = LAZY_COMMANDS[name].split(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except UserError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)


def parse_sets(values: tuple[str, ...]) -> dict[str, str]:
    """`FIELD=VALUE` pairs from repeated --set options."""
    sets = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--set {item!r} is not FIELD=VALUE, e.g. --set surgery_date=2026-03-14")
        sets[key.strip()] = value
    return sets


@click.group(cls=HandoutsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="handouts")
def main() -> None:
    """Make printed patient handouts for a spine practice, one per visit.

    \b
    Examples:
      handouts list
      handouts make new-patient --patient "Maria Lopez" --date 2026-03-14
      handouts batch tomorrow.csv -o out/tomorrow --merge out/tomorrow-print.pdf
      handouts serve
    """
    check_versions()  # a WeasyPrint (pydyf, textstat) this was not tested with stops here, in one line


@main.command("list")
@PRACTICE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def list_visits(practice: Path | None, as_json: bool) -> None:
    """List the visit types and the content modules each one prints.

    \b
    Examples:
      handouts list
      handouts list --json
    """
    catalog = Catalog.load(practice)
    if as_json:
        data = [
            {"id": v.id, "title": v.title, "purpose": v.purpose, "modules": v.modules, "fields": sorted(v.fields)}
            for v in catalog.visits.values()
        ]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    for visit in catalog.visits.values():
        click.secho(f"{visit.id}", bold=True, nl=False)
        click.echo(f"  {visit.title}: {visit.purpose}")
        for mid in visit.modules:
            click.echo(f"    - {mid}: {catalog.modules[mid].title}")


@main.command()
@click.argument("visit")
@click.option("--patient", "-p", required=True, help="Patient's name, printed exactly as given.")
@click.option("--date", "-d", "visit_date", help="Visit date, YYYY-MM-DD. Default: today.")
@click.option(
    "--set", "sets", multiple=True, metavar="FIELD=VALUE", help="A field the visit type declares (repeatable)."
)
@click.option("--paper", type=click.Choice(["letter", "a4"]), help="Paper size. Default: the practice's (US Letter).")
@click.option("--large-print", is_flag=True, help="Body text 18 pt and larger headings (more pages).")
@click.option("--surgeon", "-s", help="Surgeon profile ID (PRACTICE/surgeons/ID.toml): their instructions and choices.")
@click.option("--skip", multiple=True, metavar="MODULE", help="Leave a module out (repeatable; not red-flags).")
@click.option("--note", help="A personal note printed on page 1, as plain text.")
@click.option("--pdf-a", "archival", is_flag=True, help="PDF/A-3a (tagged) for filing in the patient's record.")
@LANG_OPTION
@click.option("--id", "patient_id", help="The patient's record number, kept in the record of handouts given.")
@NO_RECORD_OPTION
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="pdf", show_default=True, help="Output format.")
@click.option(
    "-o",
    "--output",
    type=click.Path(allow_dash=True),
    help="Output file; a folder (one that exists, or any path ending in /) for the default name in it; "
    "- for standard output. Default: VISIT-DATE.pdf here (_2 if taken).",
)
@PRINT_OPTION
@PRACTICE_OPTION
def make(
    visit: str,
    patient: str,
    visit_date: str | None,
    sets: tuple[str, ...],
    paper: str | None,
    large_print: bool,
    surgeon: str | None,
    skip: tuple[str, ...],
    note: str | None,
    archival: bool,
    lang: str | None,
    patient_id: str | None,
    no_record: bool,
    fmt: str,
    output: str | None,
    print_to: str | None,
    practice: Path | None,
) -> None:
    """Make one patient's handout for VISIT (see 'handouts list').

    In a practice folder, each handout made is added to the practice's record of handouts given
    (see 'handouts history'); --no-record leaves it out.

    \b
    Examples:
      handouts make new-patient --patient "Maria Lopez" --date 2026-03-14
      handouts make injection -p "Tom Baker" -o tom-injection.pdf --skip pathway
      handouts make injection -p "Tom Baker" -o handouts/
      handouts make injection -p "Tom Baker" -o - | lp
      handouts make new-patient -p "Tom Baker" --format html -o preview.html
      handouts make post-op -p "Ana Silva" --set surgery_date=2026-03-10
      handouts make conservative-care -p "Tom Baker" --large-print
      handouts make injection -p "Rosa Delgado" --lang es
      handouts make injection -p "Tom Baker" --print FrontDesk
      handouts make post-op -p "Ana Silva" --practice ./my-practice --surgeon lee \\
          --set procedure="L4-L5 decompression" --set surgery_date=2026-03-10 --note "Walk 3 times a day."
    """
    catalog = Catalog.load(practice)
    if print_to is not None and fmt != "pdf":
        raise UserError("--print prints the PDF: leave out --format html")
    request = build_request(
        catalog,
        visit,
        patient,
        visit_date,
        parse_sets(sets),
        paper,
        large_print,
        surgeon,
        list(skip),
        note,
        archival,
        lang,
    )
    for warning in typed_language_warnings(catalog, request):
        click.echo(f"Warning: {warning}", err=True)
    renderer = Renderer(catalog)
    who = of_id(patient_id, request.patient)  # checked before anything is written
    recorder = Recorder(catalog, renderer, "make", enabled=fmt == "pdf" and not no_record)
    click.get_current_context().call_on_close(recorder.close)
    if output == "-":
        data = build(renderer, request, fmt)
        write_stdout(data)
        recorder.add(request, hashlib.sha256(data).hexdigest(), who)
        _saved(recorder.notice("the handout went to standard output"))
        if print_to is not None:
            kept = "it went to standard output only: run the command again to print it"
            click.echo(print_kept(data, file_name(request, fmt), print_to, catalog.practice, kept, request.paper),
                       err=True)
        return
    if output is None or output.endswith("/") or is_folder(Path(output)):
        target = default_filename(request, fmt, Path(output) if output else Path.cwd())
    else:
        target = Path(output)
    check_format(target, fmt)
    outside_practice(target, catalog.search.practice)
    check_writable(target)
    remove_leftovers(target.parent, target.name)
    data = build(renderer, request, fmt)
    write_atomic(target, data, catalog.practice.file_mode)
    number = recorder.add(request, hashlib.sha256(data).hexdigest(), who)
    notice = recorder.notice(f"wrote {target}")
    click.echo(f"Wrote {target}" + (f" (record {number})" if number else ""))
    _saved(notice)
    if print_to is not None:
        kept = f"the handout is saved as {target}: print it again when the printer is ready"
        click.echo(print_kept(data, file_name(request, fmt), print_to, catalog.practice, kept, request.paper))


def _saved(notice: str | None) -> None:
    """The record kept in the spool while the ledger is down: one line that says so."""
    if notice:
        click.echo(notice, err=True)


PRINT_FILE = "print.pdf"  # `batch --print` without --merge: the print file in the output folder

SAMPLE_PATIENTS = ("Zoë O'Brien-Nuñez", "Walter Jankowski", "Mei-Ling Park", "Abdul Rahman Haddad", "Rosa Delgado")


@main.command()
@click.option(
    "-o",
    "--output",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Folder for the sample PDFs (created if missing).",
)
@click.option("--date", "-d", "visit_date", help="Visit date, YYYY-MM-DD. Default: today.")
@PRACTICE_OPTION
def samples(folder: Path, visit_date: str | None, practice: Path | None) -> None:
    """Make one sample handout of every visit type, for made-up patients.

    \b
    Examples:
      handouts samples
      handouts samples -o /tmp/preview --practice ./my-practice
    """
    catalog = Catalog.load(practice)
    renderer = Renderer(catalog)
    folder.mkdir(parents=True, exist_ok=True)
    for i, visit in enumerate(catalog.visits.values()):
        request = build_request(catalog, visit.id, SAMPLE_PATIENTS[i % len(SAMPLE_PATIENTS)], visit_date)
        target = folder / f"{visit.id}.pdf"
        write_atomic(target, build(renderer, request), catalog.practice.file_mode)
        click.echo(f"Wrote {target}")


def _lint_row(name: str, section: "Section") -> str:
    """Name, two reading scores for its language and the longest sentence, in columns: Flesch-Kincaid
    grade and Coleman-Liau index (English), Fernández-Huerta and Szigriszt-Pazos/INFLESZ (Spanish)."""
    if section.lang == "es":
        scores = (section.fernandez_huerta, section.szigriszt_pazos)
    else:
        scores = (section.grade, section.coleman_liau)
    return f"{name[:39]:<40}{scores[0]:>6}{scores[1]:>6}{section.longest_sentence:>8}"


@main.command()
@click.argument("visits", nargs=-1)
@click.option("--large-print", is_flag=True, help="Check the large-print handouts instead.")
@click.option("--sections", is_flag=True, help="Show every section's numbers, not only the handout's.")
@click.option("--surgeon", "-s", help="Check the handouts with this surgeon's profile (their own wording).")
@LANG_OPTION
@PRACTICE_OPTION
def lint(
    visits: tuple[str, ...],
    large_print: bool,
    sections: bool,
    surgeon: str | None,
    lang: str | None,
    practice: Path | None,
) -> None:
    """Check readability and type size of every handout, measured on the finished PDF.

    Exits with 1 when a target is missed: reading grade above 6 for a handout or above 7 for a
    section (Flesch-Kincaid; in Spanish, Fernández-Huerta ease under 80 for a handout or under 70
    for a section), body text under 12 pt (18 pt with --large-print), over 6 pages (12 in large print).

    \b
    Examples:
      handouts lint
      handouts lint injection --sections
      handouts lint --large-print
      handouts lint post-op --surgeon lee --practice ./my-practice
      handouts lint --lang es
    """
    from ..quality.lint import lint as lint_visits

    catalog = Catalog.load(practice)
    for visit in visits:
        catalog.visit(visit)
    lang = lang or catalog.practice.language
    results = lint_visits(catalog, list(visits or catalog.visits), large_print, surgeon, lang)
    scores = ("F-H", "INFL") if lang == "es" else ("grade", "C-L")
    click.echo(
        f"{'visit / section':<40}{scores[0]:>6}{scores[1]:>6}{'longest':>8}{'body pt':>8}{'min pt':>7}{'pages':>6}"
    )
    for result in results:
        r = result.report
        click.echo(_lint_row(result.visit, r.body) + f"{r.body_pt:>8}{r.smallest_pt:>7}{r.pages:>6}")
        for section in r.sections[1:] if sections else ():
            click.echo(_lint_row(f"  {section.title}", section))
        for problem in result.problems:
            click.secho(f"  MISSED: {problem}", fg="red")
    missed = sum(bool(r.problems) for r in results)
    click.echo(f"{len(results) - missed} of {len(results)} handouts meet every target.")
    if missed:
        sys.exit(1)


@main.command("init-practice")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def init_practice_command(folder: Path) -> None:
    """Create a practice folder with commented starter files and an example surgeon profile.

    Then edit practice.toml, rename surgeons/example.toml to the surgeon's ID (e.g. lee.toml) and
    write their instructions, and run 'handouts check'.

    \b
    Examples:
      handouts init-practice ./my-practice
      mv ./my-practice/surgeons/example.toml ./my-practice/surgeons/lee.toml
      handouts check --practice ./my-practice
      export HANDOUTS_PRACTICE=./my-practice   # then every command uses it
    """
    for path in init_practice(folder):
        click.echo(f"Wrote {path}")
    click.echo(
        f"Next: edit {folder / 'practice.toml'}, rename {folder / 'surgeons' / 'example.toml'} to the surgeon's ID, "
        f"then run: handouts check --practice {folder}"
    )


@main.command("customize")
@click.argument("name", required=False)
@click.option("--list", "show", is_flag=True, help="List the built-in files that can be copied.")
@click.option("--force", is_flag=True, help="Overwrite the practice's copy with the built-in again.")
@PRACTICE_OPTION
def customize_command(name: str | None, show: bool, force: bool, practice: Path | None) -> None:
    """Copy a built-in template, style, module or visit type into the practice folder to edit.

    The copy takes the built-in's place. To change one block of the page instead of copying it
    whole, a practice template can start with {% extends "default:handout.html" %}.

    \b
    Examples:
      handouts customize --list
      handouts customize templates/modules/walking.html --practice ./my-practice
      handouts customize visits/injection.toml --practice ./my-practice
    """
    if show or not name:
        click.echo("\n".join(builtin_names()))
        return
    if practice is None:
        raise UserError("give the practice folder: --practice DIR (or set HANDOUTS_PRACTICE)")
    click.echo(f"Wrote {customize(practice, name, force)}")


@main.command("check")
@PRACTICE_OPTION
def check_command(practice: Path | None) -> None:
    """Validate every file of the practice folder and render every visit type once.

    \b
    Examples:
      handouts check --practice ./my-practice
    """
    catalog = Catalog.load(practice)
    click.echo(
        f"Loaded {len(catalog.visits)} visit types, {len(catalog.modules)} modules, {len(catalog.surgeons)} surgeons."
    )
    failed = 0
    for label, problems in check_practice(catalog):
        click.echo(f"{'ok     ' if not problems else 'PROBLEM'} {label}")
        for problem in problems:
            click.echo(f"        {problem}")
        failed += bool(problems)
    for note in catalog.approvals.gone:
        click.echo(f"Note: {note}")
    drafts = unapproved(catalog, Renderer(catalog))
    if drafts:
        click.echo(f'Not yet approved: these print with the mark "Draft: not yet approved by {catalog.practice.name}":')
        for unit, reason in drafts:
            click.echo(f"  {unit.id:<32} {reason}")
        where = f" --practice {practice}" if practice else ""
        click.echo(f'Read them, then: handouts approve {" ".join(u.id for u, _ in drafts)} --by "NAME, ROLE"{where}')
    if failed:
        raise UserError(f"{failed} problem(s) found; see above")
    click.echo("All handouts render cleanly.")


@main.command("approve")
@click.argument("items", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every text that is not yet approved.")
@click.option("--by", "by", required=True, help='Who approves, with their role: "Dr. Ana Lee, MD".')
@click.option("--role", help="Their role, if not after the comma in --by (e.g. 'medical translator').")
@PRACTICE_OPTION
def approve_command(items: tuple[str, ...], everything: bool, by: str, role: str | None, practice: Path | None) -> None:
    """Approve the current version of texts, so they print without the draft mark.

    ITEMS are module IDs, visit type IDs, or surgeon:ID (see 'handouts check' for what is not
    approved yet). The approval is added to PRACTICE/approvals.toml with the name, role, date and
    the version approved; when the text changes later, it is a draft again until approved again.

    \b
    Examples:
      handouts check --practice ./my-practice
      handouts approve post-op-care surgeon:lee --by "Dr. Ana Lee, MD" --practice ./my-practice
      handouts approve --all --by "Dr. Ana Lee" --role "spine surgeon" --practice ./my-practice
    """
    if practice is None:
        raise UserError("give the practice folder whose texts you approve: --practice DIR (or set HANDOUTS_PRACTICE)")
    catalog = Catalog.load(practice)
    renderer = Renderer(catalog)
    if everything == bool(items):
        raise UserError("name the texts to approve (e.g. post-op-care surgeon:lee), or give --all, not both")
    if everything:
        units = [unit for unit, _ in unapproved(catalog, renderer)]
    else:
        units = find_units(renderer.all_units(), list(items))
    if not units:
        click.echo("Nothing to approve: every text is approved or comes from the clinical source.")
        return
    name, role = _who(by, role)
    path, when = approvals.record(practice, units, name, role)
    for unit in units:
        click.echo(f"Approved {unit.id} version {unit.version} ({unit.title})")
    click.echo(f"Recorded in {path}: {name}, {role}, {when.date().isoformat()}.")


def _who(by: str, role: str | None) -> tuple[str, str]:
    """(name, role) from --by "NAME, ROLE", or --by NAME --role ROLE."""
    name = clean_text(by, "--by", MAX_NAME)
    if role is None:
        name, comma, role = name.rpartition(",")
        if not comma:
            raise UserError('say who approves and their role: --by "Dr. Ana Lee, MD" (or --role "spine surgeon")')
    return name.strip(), clean_text(role, "the role", MAX_NAME)


@main.command("approver")
@click.option("--by", "by", required=True, help='Who may approve on the page, with their role: "Dr. Ana Lee, MD".')
@click.option("--role", help="Their role, if not after the comma in --by (e.g. 'medical translator').")
@PRACTICE_OPTION
def approver_command(by: str, role: str | None, practice: Path | None) -> None:
    """Let someone approve texts on the surgeon page, with an approval secret of their own.

    Asks for the secret twice; only a hash of it is kept, in PRACTICE/approvers.toml. Run it again
    to change someone's secret or role. The page takes approvals only where it is served on this
    computer (127.0.0.1), and records them under this name and role; 'handouts approve' needs no secret.

    \b
    Examples:
      handouts approver --by "Dr. Ana Lee, MD" --practice ./my-practice
    """
    from ..config import approvers  # its hashing and TOML writing, for this command only

    if practice is None:
        raise UserError("give the practice folder of the approver: --practice DIR (or set HANDOUTS_PRACTICE)")
    Catalog.load(practice)  # a practice folder that does not load is said first
    name, role = _who(by, role)
    prompt = f"{name}'s approval secret (at least {approvers.MIN_SECRET} characters)"
    secret = click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    path = approvers.add(practice, name, role, secret)
    click.echo(f"{name} ({role}) may approve texts on the surgeon page with that secret. Saved in {path}.")


@main.command()
@click.argument("schedule", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the handouts, manifest.csv and errors.csv (created if missing).",
)
@click.option("--workers", "-j", type=click.IntRange(1, 64), help="Processes in parallel. Default: all cores.")
@click.option("--force", is_flag=True, help="Make every handout again, even those already made.")
@click.option(
    "--merge",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write one print file, each handout starting on a front side.",
)
@click.option("--separator", is_flag=True, help="With --merge: a sheet naming the patient before each handout.")
@click.option("--encoding", help="The schedule's text encoding. Default: UTF-8, else Windows-1252.")
@click.option("--pdf-a", "archival", is_flag=True, help="PDF/A-3a (tagged) for filing in the patients' records.")
@click.option(
    "--dates",
    type=click.Choice(["us", "eu"]),
    help="Read dates like 3/14/2026 (us) or 14/03/2026 (eu). Default: only 2026-03-14.",
)
@NO_RECORD_OPTION
@click.option(
    "--names",
    default=DEFAULT_NAMES,
    show_default=True,
    help="File name pattern: {date} {visit} {patient} {id} {row} {surgeon}.",
)
@PRINT_OPTION
@PRACTICE_OPTION
def batch(
    schedule: Path,
    folder: Path,
    workers: int | None,
    force: bool,
    merge: Path | None,
    separator: bool,
    encoding: str | None,
    archival: bool,
    dates: str | None,
    no_record: bool,
    names: str,
    print_to: str | None,
    practice: Path | None,
) -> None:
    """Make one handout per row of a clinic schedule (CSV, JSON Lines, or FHIR Appointments).

    Columns: visit, patient, date (YYYY-MM-DD, or see --dates); optional: surgeon, lang,
    large_print, id, and any field a visit type declares (e.g. surgery_date). The EHR's own
    column, visit and provider names are set up once in the practice's schedule.toml
    ('handouts schedule check FILE' shows how a file reads). Bad rows are listed
    with their line number (and in errors.csv) and every good row is still made; exit code 1 when
    any row failed. Run again after an interruption: only what is missing is made.

    \b
    A schedule, as Excel saves it (CSV UTF-8):
      visit;patient;date;id;surgeon;surgery_date
      new-patient;Maria Lopez;2026-03-14;A-1001;;
      post-op;Ana Silva;2026-03-14;A-1002;lee;2026-03-10

    \b
    Examples:
      handouts batch tomorrow.csv -o out/tomorrow
      handouts batch tomorrow.csv -o out/tomorrow --merge out/tomorrow-print.pdf --separator
      handouts batch export.csv -o out --encoding cp1252 --names "{row}_{visit}_{patient}"
      handouts batch excel-us.csv -o out --dates us
      handouts batch tomorrow.csv -o out/tomorrow --separator --print FrontDesk
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from ..runs.batch import run_batch
    from ..runs.mapped import read_rows

    catalog = Catalog.load(practice)
    read = read_rows(catalog, schedule, encoding)  # with the practice's schedule.toml, as the Today list reads it
    if print_to is not None and merge is None:
        merge = folder / PRINT_FILE  # --print prints the print file, in the schedule's order
    show = sys.stderr.isatty()
    with Progress(
        TextColumn("Making handouts"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        disable=not show,
        transient=True,
    ) as bar:
        task = bar.add_task("batch", total=None, rate="")
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            rate = done / max(time.perf_counter() - started, 1e-6)
            bar.update(task, completed=done, total=total, rate=f"{rate:.1f}/s")

        try:
            result = run_batch(
                catalog,
                read.rows,
                folder,
                workers=workers,
                force=force,
                merge=merge,
                separator=separator,
                encoding=encoding,
                names=names,
                progress=progress,
                archival=archival,
                dates=dates,
                record=not no_record,
            )
        except KeyboardInterrupt:
            click.echo(
                f"Interrupted. Every finished handout is recorded in {folder / 'manifest.csv'}; "
                "run the same command again to make the rest.",
                err=True,
            )
            sys.exit(130)
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    for where, reason in folded([(error.line, error.reason) for error in result.failed]):
        click.echo(f"{where}: {reason}", err=True)
    for where, reason in folded(read.skipped):
        click.echo(f"{where}: no handout: {reason}", err=True)
    click.echo(
        f"Made {result.made}, skipped {result.skipped} (already made), failed {len(result.failed)}"
        f" in {result.seconds:.1f} s. Manifest: {result.manifest}"
        + (f". Errors: {result.errors_csv}" if result.failed and result.errors_csv else "")
        + (f". Print file: {result.merged}" if result.merged else "")
    )
    if print_to is not None and result.merged:
        if result.made + result.skipped:
            kept = f"the print file is kept at {result.merged}: print it again when the printer is ready"
            click.echo(print_kept(result.merged.read_bytes(), result.merged.name, print_to, catalog.practice, kept))
        else:
            click.echo("Nothing to print: no handout was made.")
    if result.failed:
        sys.exit(1)


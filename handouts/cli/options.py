"""Command-line options more than one command module shares."""

from pathlib import Path

import click

from ..base.errors import UserError
from ..base.i18n import LANGUAGES, parse_lang

PRACTICE_OPTION = click.option(
    "--practice",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="HANDOUTS_PRACTICE",
    help="Practice folder (branding, overrides, surgeons). Default: $HANDOUTS_PRACTICE, else the built-in sample.",
)
NO_RECORD_OPTION = click.option(
    "--no-record",
    is_flag=True,
    help="Do not add this to the record of handouts given (for previews and trials).",
)


def _lang(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """'es', 'Spanish', 'español' or 'espanol': the language code, or a usage error that lists them."""
    if value is None:
        return None
    try:
        return parse_lang(value, "--lang")
    except UserError as exc:
        raise click.BadParameter(str(exc).removeprefix("--lang "), ctx, param) from None


LANG_OPTION = click.option(
    "--lang",
    callback=_lang,
    metavar="LANG",
    help=f"Language of the handout: {', '.join(f'{c} ({n[0]})' for c, n in LANGUAGES.items())}. "
    "Default: the practice's (practice.toml 'language'), else English.",
)
PRINT_OPTION = click.option(
    "--print",
    "print_to",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[QUEUE]",
    help="Also send it to a printer through CUPS: QUEUE, else practice.toml's printer, else the computer's "
    "default. Give it last, or as --print=QUEUE.",
)

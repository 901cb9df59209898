"""Command-line options more than one command module shares."""

from pathlib import Path

import click

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

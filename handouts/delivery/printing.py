"""A finished PDF straight to the clinic's printer through CUPS, and what happened in plain words.

Through CUPS's own command-line clients, `lp` and `lpstat`, rather than the pycups bindings: they
come with every Linux and macOS computer that prints (Debian: cups-client), need nothing compiled,
and follow the settings a person's own `lp` follows (CUPS_SERVER, client.conf, the default
printer), so the tool prints wherever the desk's computer prints.

- The PDF goes to `lp` on standard input: no file is written for it. The job's title is the
  handout's file name (visit and date): CUPS shows titles to anyone who lists the queue and keeps
  them in its logs, so a title never names the patient.
- The queue is asked first (`lpstat`): not there, stopped or refusing jobs is said with what to do,
  and nothing is sent to a stopped printer, whose job would come out later, unattended, among
  other patients' pages.
- A failed print raises `PrintError` (a `UserError`); the caller keeps the handout (the file, or
  the row on the page) so it can be printed again or downloaded.
"""

import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from ..base.errors import UserError
from ..config.models import Practice

TIMEOUT = 30  # seconds for lp or lpstat to answer: far more than a local CUPS takes, so only a hung one hits it
MEDIA = {"letter": "Letter", "a4": "A4"}  # the handout's paper as CUPS names the size
_JOB = re.compile(r"request id is (\S+)")


ASK = "ask whoever looks after the handouts computer"


class PrintError(UserError):
    """The handout was not printed; the message says why and what to do. `desk` says the same to the front
    desk: no commands, setting names or files, which go to the command line and the server's log."""

    def __init__(self, message: str, desk: str | None = None) -> None:
        super().__init__(message)
        self.desk = desk or message


@dataclass(frozen=True)
class Printed:
    """A job CUPS accepted."""

    queue: str
    job: str

    def __str__(self) -> str:
        return f"Sent to the printer {self.queue} as job {self.job}."


def queue_for(practice: Practice, given: str | None = None) -> str:
    """The queue to print to: the one given (`--print QUEUE`), else the practice's `printer`, else
    the computer's default printer."""
    chosen = (given or "").strip() or practice.printer
    if chosen:
        return chosen
    default = _run(["lpstat", "-d"]).stdout
    found = re.search(r"system default destination: (\S+)", default)
    if found:
        return found.group(1)
    _check_running()  # no default printer, as CUPS says when it is not running: that is the trouble then
    raise PrintError(
        'no printer is chosen: set printer = "FrontDesk" (the CUPS queue\'s name) in practice.toml, '
        "or give one with --print QUEUE; `lpstat -p` lists the printers",
        f"no printer is set up for this page: {ASK}, to choose the desk's printer",
    )


def options(practice: Practice, paper: str | None = None) -> list[str]:
    """`lp -o` options from practice.toml's [printing]: sides, and media (size, then tray)."""
    settings = practice.printing
    media = settings.media or MEDIA[paper or practice.paper]
    if settings.tray:
        media = f"{media},{settings.tray}"
    return ["-o", f"sides={settings.sides}", "-o", f"media={media}"]


def send(data: bytes, title: str, queue: str, practice: Practice, paper: str | None = None) -> Printed:
    """Print `data` (a PDF) on `queue` with the practice's options; `PrintError` when it is not printed."""
    check_queue(queue)
    done = _run(["lp", "-d", queue, "-t", title, *options(practice, paper), "-"], data)
    found = _JOB.search(done.stdout)
    if done.returncode or not found:
        raise PrintError(f"the printer {queue} refused the job ({_reason(done.stderr)}): check it, then print again")
    return Printed(queue, found.group(1))


def check_queue(queue: str) -> None:
    """Whether `queue` exists, is started and accepts jobs, from `lpstat`; `PrintError` when not."""
    state = _run(["lpstat", "-p", queue, "-a", queue])
    if state.returncode:
        _check_running()
        raise PrintError(
            f"the printer {queue} is not found: check its name with `lpstat -p` (or the computer's printer "
            'settings) and set it in practice.toml (printer = "NAME") or give it with --print NAME',
            f"the printer {queue} is not found on this computer: {ASK}",
        )
    lines = state.stdout.splitlines()
    if re.search(rf"^printer {re.escape(queue)} disabled", state.stdout, re.M):
        raise PrintError(
            f"the printer {queue} is stopped{_why(lines, 'disabled')}: fix it (paper, toner, a jam), start it "
            f"again (cupsenable {queue}, or the computer's printer settings), then print again",
            f"the printer {queue} is stopped{_why(lines, 'disabled')}: fix it (paper, toner, a jam) and start it "
            "again in the computer's printer settings, then print again",
        )
    if re.search(rf"^{re.escape(queue)} not accepting", state.stdout, re.M):
        raise PrintError(
            f"the printer {queue} refuses jobs{_why(lines, 'not accepting')}: let it take jobs again "
            f"(cupsaccept {queue}, or the computer's printer settings), then print again",
            f"the printer {queue} refuses jobs{_why(lines, 'not accepting')}: let it take jobs again in the "
            "computer's printer settings, then print again",
        )


def _check_running() -> None:
    """`PrintError` when the print system itself is not running: no printer can be found then."""
    if "not running" in _run(["lpstat", "-r"]).stdout:
        raise PrintError(
            "the print system (CUPS) is not running on this computer: start it "
            "(sudo systemctl start cups, or restart the computer), then print again",
            f"the print system is not running on this computer: {ASK} (restarting the computer starts it)",
        )


def _why(lines: list[str], marker: str) -> str:
    """The reason lpstat gives on the indented line after the one with `marker`, as ' (reason)'."""
    for number, line in enumerate(lines[:-1]):
        if marker in line and lines[number + 1].startswith(("\t", " ")):
            reason = lines[number + 1].strip()
            if reason and reason.lower() not in ("paused", "reason unknown"):
                return f" ({reason[:120]})"
    return ""


def _reason(stderr: str) -> str:
    """lp's own first line, without its 'lp: Error - ' prefix."""
    line = next((text.strip() for text in stderr.splitlines() if text.strip()), "no reason given")
    return re.sub(r"^lp(stat)?:\s*(Error\s*-\s*)?", "", line).rstrip(".")[:200]


def _run(command: list[str], data: bytes | None = None) -> subprocess.CompletedProcess:
    """A CUPS client in the C locale (so its words can be read), or `PrintError` when CUPS is not installed."""
    if shutil.which(command[0]) is None:
        raise PrintError(
            f"printing needs CUPS's {command[0]} command, which is not installed: on Debian or Ubuntu, "
            "sudo apt-get install cups-client (and cups, for a printer on this computer)",
            f"printing is not set up on this computer: {ASK}",
        )
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    try:
        done = subprocess.run(command, input=data or b"", capture_output=True, timeout=TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        raise PrintError(
            f"the print system did not answer within {TIMEOUT} s: check that CUPS is running",
            f"the print system did not answer: check the printer, then print again; if it happens again, {ASK}",
        ) from None
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")
    )


def print_kept(
    data: bytes, title: str, given: str | None, practice: Practice, kept: str, paper: str | None = None
) -> str:
    """`send` for the command line: the line to show, or a `PrintError` that says where the file is kept."""
    try:
        return str(send(data, title, queue_for(practice, given), practice, paper))
    except PrintError as exc:
        raise PrintError(f"{exc}. Not printed; {kept}", exc.desk) from None

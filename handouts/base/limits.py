"""What one handout may take to make: processor time and memory, so a practice template that loops
without end or builds huge text costs one handout, not a batch, a render worker or the computer.

The limits hold in a process's main thread, which is where every handout is made (`make`, the
batch's workers, the page's render workers): the time through a processor-time signal timer, the
memory through the process's data-size limit, lowered for the making and put back after.
"""

import resource
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import UserError

MEMORY_BYTES = 2 * 1024**3  # more than one handout may take; a process making handouts holds about 0.3 GB


class Stopped(UserError):
    """A handout stopped half way, over a limit. What was half made is thrown away with the builder:
    the batch makes its builder afresh, the page replaces its render worker."""


_active = threading.local()


@contextmanager
def limits(seconds: int) -> Iterator[None]:
    """Stop the work inside after `seconds` of processor time, or when it would hold more than
    MEMORY_BYTES, with Stopped. Processor time, not the clock's: a handout waiting for a busy computer
    is not at fault, a template that loops is. A limit inside another keeps the outer one."""
    if getattr(_active, "on", False) or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(_signal: int, _frame: object) -> None:
        raise Stopped(
            f"the handout took more than {seconds} seconds of computer time to make and was stopped: a template "
            "of the practice may loop without end (run 'handouts check'; practice.toml's time_limit sets the seconds)"
        )

    previous = signal.signal(signal.SIGPROF, expired)
    memory = resource.getrlimit(resource.RLIMIT_DATA)
    cap = _held() + MEMORY_BYTES  # on top of what the process holds already: a long-lived one may hold more
    cap = cap if memory[1] == resource.RLIM_INFINITY else min(cap, memory[1])
    _active.on = True
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        resource.setrlimit(resource.RLIMIT_DATA, (cap, memory[1]))
        yield
    except MemoryError:
        raise Stopped(
            f"the handout needed more than {MEMORY_BYTES // 1024**3} GB of memory to make and was stopped: a template "
            "of the practice may build huge text (run 'handouts check')"
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        resource.setrlimit(resource.RLIMIT_DATA, memory)
        signal.signal(signal.SIGPROF, previous)
        _active.on = False


def _held() -> int:
    """The process's data size now (what RLIMIT_DATA counts), from Linux's /proc; 0 where there is none."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0

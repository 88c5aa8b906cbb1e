"""``--distributed`` commands run in a child process that this one watches.

JAX's coordination client reacts to a lost coordinator (process 0 killed, its host
gone) with a fatal log line and a C++ abort, in a thread Python cannot intercept.
So a distributed command runs its work in a child: stdout passes straight through,
stderr is forwarded without the runtime's log lines (and with the watchdog's
``resume=True`` said as ``--resume``), and a child that dies by a
signal after the runtime reported the coordinator lost becomes one line and exit
code 3 here. (Processes other than the coordinator are watched from inside, by
:mod:`metaloss._src.grid.watchdog`, which also exits with 3.)
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

from metaloss._src.grid.watchdog import EXIT_LOST_PROCESS, kept_notice, lost_process_line

CHILD = "METALOSS_DISTRIBUTED_CHILD"
"""Set in the child's environment: it does the work instead of supervising."""

_RUNTIME_LOG = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ \S+:\d+\] ")
"""A line of the runtime's own log (absl/glog format)."""

_OURS = ("error:", "warning:", "Warning", "wrote ")
"""Lines of ours that always pass, even amid the runtime's multi-line messages."""

_LOST_COORDINATOR = ("coordination service", "leader task", "Socket closed")


def _die_with_parent() -> None:
    """In the child, before it starts: a killed supervisor takes its worker with it
    (Linux's parent-death signal), so killing either one kills "the process"."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def for_command_line(line: str) -> str:
    """A line of the child's: the watchdog's ``resume=True`` becomes ``--resume``."""
    return line.replace(kept_notice(), kept_notice("--resume"))


def needed(argv: list[str]) -> bool:
    return "--distributed" in argv and not os.environ.get(CHILD)


def _process_count(argv: list[str]) -> str:
    for i, a in enumerate(argv):
        if a == "--num-processes" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--num-processes="):
            return a.split("=", 1)[1]
    return "N"


def supervise(argv: list[str]) -> int:
    """Runs ``metaloss ARGV`` in a child; returns the exit code to leave with."""
    env = {**os.environ, CHILD: "1"}
    child = subprocess.Popen([sys.executable, "-m", "metaloss._src.cli", *argv], env=env,
                             stderr=subprocess.PIPE, text=True, errors="replace",
                             preexec_fn=_die_with_parent)
    for sig in (signal.SIGTERM, signal.SIGINT):  # a scheduler's stop reaches the child
        signal.signal(sig, lambda s, _f: child.send_signal(s))
    runtime_said, in_runtime_message = [], False
    assert child.stderr is not None
    for line in child.stderr:
        if _RUNTIME_LOG.match(line):
            runtime_said.append(line)
            in_runtime_message = True
            continue
        if in_runtime_message and not line.startswith(_OURS):
            runtime_said.append(line)  # a continuation of the runtime's message
            continue
        in_runtime_message = False
        sys.stderr.write(for_command_line(line))
        sys.stderr.flush()
    code = child.wait()
    if code >= 0:
        return code
    said = "".join(runtime_said)
    if any(word in said for word in _LOST_COORDINATOR):
        print(lost_process_line(f"lost contact with the coordinator (process 0 of "
                                f"{_process_count(argv)})", resume="--resume"),
              file=sys.stderr, flush=True)
        return EXIT_LOST_PROCESS
    last = said.strip().splitlines()[-1][:200] if said.strip() else ""
    print(f"error: the distributed run's worker process ended by signal {-code}"
          + (f" ({last})" if last else "") + "; the tiles finished so far are kept in the "
          "store", file=sys.stderr, flush=True)
    return EXIT_LOST_PROCESS

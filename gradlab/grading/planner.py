"""Read and plan an untrusted submission in a limited child process, never in the grader's.

Parsing a learner's notebook (JSON, the schema, each code cell's Python to find check cells
and written-out predictions) costs memory and time the learner controls: a 4 MB code cell once
cost the grader 2 GB. :func:`plan_submission` forks a child that does all of it under
``RLIMIT_AS``, ``RLIMIT_CPU`` and a wall-clock deadline, and sends back only the layout (the
learner's code cells, where each question's checks go, the values written out), capped in
size before the grader parses it. The trusted part, assembling the plan, stays here.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import time
from typing import Any

from .assignment import Assignment
from .limits import Limits
from .plan import Plan, assemble, layout
from .submissions import MAX_NOTEBOOK_BYTES, TOO_LARGE, InvalidNotebook, read_submission

PLANNING_MEMORY = 1 << 30  # address space the child may add to what it inherits
PLANNING_CPU = 60
MAX_LAYOUT_BYTES = 2 * MAX_NOTEBOOK_BYTES  # JSON escapes can double the code's size


def plan_submission(assignment: Assignment, data: bytes, limits: Limits) -> Plan:
    """The run plan of submission bytes; raise :class:`InvalidNotebook` with the reason."""
    # lazy (slow to import), yet imported here, before the fork, so the child starts warm
    import nbformat  # noqa: F401

    if len(data) > MAX_NOTEBOOK_BYTES:
        raise InvalidNotebook(TOO_LARGE)
    read_fd, write_fd = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (runs in the child)
        os.close(read_fd)
        _child(assignment, data, write_fd)
    os.close(write_fd)
    try:
        raw = _read(read_fd, child, time.monotonic() + max(limits.startup, 10.0))
    finally:
        os.close(read_fd)
        _reap(child)
    try:
        reply = json.loads(raw)
    except (ValueError, RecursionError):
        reply = None
    if isinstance(reply, dict) and "error" in reply:
        raise RuntimeError(f"planning failed: {reply['error']}")
    if not isinstance(reply, dict) or not ("layout" in reply or "invalid" in reply):
        raise InvalidNotebook("the notebook could not be read within the grader's limits "
                              f"({PLANNING_MEMORY >> 20} MB of memory, {PLANNING_CPU} s)")
    if "invalid" in reply:
        raise InvalidNotebook(str(reply["invalid"])[:500])
    return assemble(assignment, reply["layout"])


def _child(assignment: Assignment, data: bytes, fd: int) -> None:
    """Parse and lay out the notebook under limits; write one JSON reply; exit."""
    code = 0
    try:
        _limit()
        try:
            reply: Any = {"layout": layout(assignment, read_submission(data))}
        except InvalidNotebook as error:
            reply = {"invalid": str(error)}
        except (MemoryError, RecursionError):
            raise
        except Exception as error:  # a bug of the grader's, not the learner's notebook
            reply = {"error": f"{type(error).__name__}: {error}"[:500]}
        payload = json.dumps(reply).encode()
        while payload:
            payload = payload[os.write(fd, payload):]
    except BaseException:  # MemoryError, RecursionError, ...: the grader reports it
        code = 1
    os._exit(code)


def _limit() -> None:
    with open("/proc/self/statm") as statm:
        in_use = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (in_use + PLANNING_MEMORY,) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (PLANNING_CPU, PLANNING_CPU))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _read(fd: int, child: int, deadline: float) -> bytes:
    chunks, size = [], 0
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], min(left, 1.0))
        if not ready:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_LAYOUT_BYTES:
            return b""
        chunks.append(chunk)
    return b""


def _reap(child: int) -> None:
    try:
        os.kill(child, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(child, 0)
    except ChildProcessError:
        pass

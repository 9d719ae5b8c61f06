"""Start one sandboxed run of a plan and watch it: timeouts, output caps, events, the kill.

The grader side of ``runner.py``. Everything the sandbox sends is untrusted: events are
validated against the plan, answers decoded with ``answers.decode`` (JSON and ``.npy``,
never pickle), stdout and stderr only counted and tailed. At the end the whole process tree
is killed: its control group (as root), its process group, its pid namespace and every
process of the sandbox user.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .answers import MAX_ANSWER_BYTES, MAX_ITEMS, Invalid, decode
from .bubblewrap import bwrap_command, resolve_isolation
from .cgroups import Cgroup
from .limits import Limits
from .teardown import end_sandbox, new_workdir, remove_folder
from .users import SandboxUser, kill_all_processes_of

RUNNER = Path(__file__).with_name("runner.py")
BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
            "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
MAX_LINE = MAX_ANSWER_BYTES + (64 << 10)  # an answer event with its envelope
MAX_COMMAS = MAX_ITEMS + 1000  # counted before json.loads: items cost memory in the grader
MAX_SMALL = 64 << 10  # only an answer may be longer, and only when one is due
TAIL = 4096
PIPE_SIZE = 1 << 20
TIMED_OUT, CRASHED = "timed out", "crashed"
BETWEEN_QUESTIONS = 2.0  # what the runner's end_strays may take between two questions


@dataclass
class Run:
    """What one sandboxed run reported: answers, cell errors, and how it ended."""

    isolation: str = ""
    uid: int | None = None
    answers: dict[int, dict] = field(default_factory=dict)
    errors: dict[int, dict] = field(default_factory=dict)
    timed_out: set[int] = field(default_factory=set)
    cuts: dict[int, int] = field(default_factory=dict)
    failed_segment: int | None = None
    failed_cell: int | None = None
    failure: str | None = None
    reason: str = ""
    done: bool = False
    budget_spent: bool = False
    stderr: str = ""
    output_bytes: int = 0


def exit_reason(code: int | None) -> str:
    """Explain a sandbox exit status (a signal arrives as 128 + n from the supervisors)."""
    if code is None:
        return "the process did not exit"
    number = -code if code < 0 else code - 128 if code > 128 else 0
    if number == signal.SIGKILL:
        return "killed (SIGKILL): out of memory, over the CPU-time limit, or by its own code"
    if number == signal.SIGXCPU:
        return "over the CPU-time limit"
    if number == signal.SIGSEGV:
        return "segmentation fault"
    if number:
        return f"killed by signal {signal.Signals(number).name}" if number < 65 else f"code {code}"
    if code == 70:
        return "the learner's code closed the grader's pipe"
    return f"the kernel exited with code {code} (sys.exit in a thread, os._exit, or a crash)"


FORGED = {"error": {"type": "Invalid", "message": "the results reported do not match the "
                   "calls the grader made (missing, extra or out of order)"}}
UNREADABLE = {"error": {"type": "Invalid", "message": "the answer could not be read"}}


def _decode_result(result: object) -> dict | None:
    """One value or one error, as the sandbox reports it; ``None`` when malformed."""
    if type(result) is not dict or len(result) != 1:
        return None
    if "value" in result:
        return {"value": decode(result["value"])}
    if "error" in result:
        error = result["error"]
        if type(error) is dict and type(error.get("type")) is str:
            return {"error": {"type": error["type"][:200],
                              "message": str(error.get("message"))[:2000]}}
    return None


class _Expected:
    """The results a capture cell must report, in order: one per value check, one per call
    (or one error) per function check. Anything else makes the check wrong."""

    def __init__(self, cell: dict, skip: set[int]) -> None:
        self.queue = [(item["check"], item.get("ncalls")) for item in cell.get("captures", [])
                      if item["check"] not in skip]
        self.checks = {check for check, _ in self.queue}
        self.partial: list[dict] = []
        self.broken = False

    def take(self, check: object, call: object, result: dict) -> tuple[int, dict] | None:
        """Accept the next result; return ``(check, answer)`` when a check is complete."""
        if self.broken or not self.queue:
            self.broken = True
            return None
        expected, ncalls = self.queue[0]
        if check != expected:
            self.broken = True
            return None
        if ncalls is None or (call is None and not self.partial and "error" in result):
            if call is not None:
                self.broken = True
                return None
            self.queue.pop(0)
            return expected, result
        if call != len(self.partial):
            self.broken = True
            return None
        self.partial.append(result)
        if len(self.partial) < ncalls:
            return None
        self.queue.pop(0)
        answer, self.partial = {"calls": self.partial}, []
        return expected, answer

    def unanswered(self) -> list[int]:
        """The checks still owed when the cell ended (or that came out of sequence)."""
        return [check for check, _ in self.queue]


class _Watch:
    """Follows the sandbox's events and enforces the deadlines; one instance per run."""

    def __init__(self, cells: list[dict], limits: Limits, cuts: dict[int, int],
                 skip_checks: set[int], budget: tuple[float, str] | None = None) -> None:
        self.cells, self.limits, self.run = cells, limits, Run()
        self.budget, self.budget_text = budget or (float("inf"), "")
        self.cuts, self.skip_checks = cuts, skip_checks
        self.cell: int | None = None
        self.segment: int | None = None
        self.last_started = -1
        self.deadline = time.monotonic() + limits.startup
        self.soft_deadline: float | None = None
        self.ready = False
        self.expected: _Expected | None = None
        # what the plan asks for: ready, start and end of each cell, each answer, done; a
        # flood of other lines would cost the grader's own CPU, outside the sandbox's limits
        self.lines, self.max_lines = 0, 2 * len(cells) + 16 + sum(
            item.get("ncalls") or 1 for cell in cells for item in cell.get("captures", []))

    def event(self, line: bytes) -> None:
        self.lines += 1
        if self.lines > self.max_lines:
            self.fail(CRASHED, "sent more messages than the grader asked for")
            return
        if len(line) > MAX_LINE or line.count(b",") > MAX_COMMAS:
            self.fail(CRASHED, "sent an answer larger than the grader accepts")
            return
        if len(line) > MAX_SMALL and not (self.expected and self.expected.queue
                                          and not self.expected.broken):
            return  # not parsed: no answer is due
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):
            return
        if type(message) is not dict:
            return
        kind, now = message.get("t"), time.monotonic()
        if kind == "ready" and not self.ready:
            self.ready = True
            self.run.isolation = str(message.get("isolation"))[:20]
            self.run.uid = message.get("uid") if type(message.get("uid")) is int else None
            self.deadline = now + self.limits.startup
        elif kind == "start" and self.ready and self.cell is None:
            index = message.get("cell")
            if type(index) is int and index == self.next_cell():
                self.cell = self.last_started = index
                self.expected = _Expected(self.cells[index], self.skip_checks)
                if self.cells[index]["segment"] != self.segment:
                    self.segment = self.cells[index]["segment"]
                    self.soft_deadline = now + self.limits.timeout
                    self.deadline = self.soft_deadline + self.limits.grace
        elif kind == "end" and message.get("cell") == self.cell and self.cell is not None:
            error = message.get("error")
            if type(error) is dict:
                self.run.errors[self.cell] = {"type": str(error.get("type"))[:200],
                                              "message": str(error.get("message"))[:2000]}
            if message.get("timeout") is True:
                self.run.timed_out.add(self.segment)
                self.run.cuts[self.segment] = self.cell
            elif self.expected is not None:
                for check in self.expected.unanswered():  # owed: scored wrong, not skipped
                    self.run.answers.setdefault(check, FORGED)
            self.cell = self.expected = None
            following = self.next_cell()
            if following is None or self.cells[following]["segment"] != self.segment:
                # the question is over: the runner's cleanup before the next one (or before
                # ``done``) runs on a clock of its own, not on the rest of this question's
                self.deadline = max(self.deadline, now + BETWEEN_QUESTIONS + self.limits.grace)
        elif kind == "answer" and self.cell is not None:
            self._answer(message)
        elif kind == "done" and self.ready and self.cell is None and self.next_cell() is None:
            self.run.done = True

    def next_cell(self) -> int | None:
        """The only cell the runner may start next: events out of sequence are ignored."""
        for index in range(self.last_started + 1, len(self.cells)):
            segment = self.cells[index]["segment"]
            cut = min(self.cuts.get(segment, index + 1), self.run.cuts.get(segment, index + 1))
            if index < cut:
                return index
        return None

    def _answer(self, message: dict) -> None:
        """A result of the running capture cell: only the next one the grader asked for counts;
        a missing, extra or out-of-order result makes the check (and the rest of the cell)
        wrong."""
        if self.expected is None:
            return
        was_broken = self.expected.broken
        try:
            result = _decode_result(message.get("result")) or UNREADABLE
        except (Invalid, RecursionError, MemoryError):
            result = UNREADABLE
        done = self.expected.take(message.get("check"), message.get("call"), result)
        if done is not None:
            self.run.answers.setdefault(done[0], done[1])
        elif self.expected.broken:
            named = message.get("check")
            if named in self.expected.checks and named not in self.skip_checks:
                self.run.answers[named] = FORGED  # an extra result spoils a complete answer
            if not was_broken:
                for check in self.expected.unanswered():
                    self.run.answers.setdefault(check, FORGED)

    def fail(self, failure: str, reason: str) -> None:
        if self.run.failure is not None:
            return
        following = self.next_cell() if self.cell is None else None
        if failure == TIMED_OUT and self.cell is None and self.segment is not None and (
                following is None or self.cells[following]["segment"] != self.segment):
            # between two questions: the finished one ran within its time and is never cut
            # (a cut there drops cells that ran fine from every replay, and later questions
            # are graded on another state); the next question is charged, or, after the
            # last one, nothing: every answer is in
            if following is None:
                self.run.done = True
                return
            self.run.failure, self.run.reason = failure, reason
            self.run.failed_segment = self.cells[following]["segment"]
            self.run.failed_cell = following
            return
        self.run.failure, self.run.reason = failure, reason
        self.run.failed_segment = self.segment
        # the cell that was running (or, between two cells, the one that just ran)
        self.run.failed_cell = self.cell if self.cell is not None else self.last_started


def run_job(cells: list[dict], limits: Limits, user: SandboxUser | None, files: dict[str, bytes],
            cuts: dict[int, int] | None = None, skip_checks: set[int] = frozenset(),
            budget: tuple[float, str] | None = None) -> Run:
    """Run ``cells`` once in a fresh sandbox and return what it reported.

    ``cuts`` maps a segment to its first cell not to run again (it hung or crashed the kernel
    before): the cells before it are replayed for their state, the rest of the segment,
    its checks included, is skipped. ``skip_checks`` are checks already answered.
    ``budget`` is the submission's deadline (``time.monotonic()``) and how to say it ran out.
    """
    cuts = dict(cuts or {})
    isolation = resolve_isolation(limits.isolation)
    command = [sys.executable, "-I", str(RUNNER)]
    if isolation == "bubblewrap":
        command = bwrap_command(limits) + command
    workdir = new_workdir()
    read_fd, write_fd = os.pipe()
    _widen(read_fd)
    process, group = None, None
    try:
        # supervisors: up to 3 processes more than the learner's
        group = Cgroup.create(limits.processes + 8, limits.memory + limits.disk + (64 << 20))
        if user is not None:
            os.chown(workdir, user.uid, user.gid)
        job = {
            "channel": write_fd, "cells": cells, "timeout": limits.timeout,
            "cuts": [[segment, cell] for segment, cell in sorted(cuts.items())],
            "skip_checks": sorted(skip_checks),
            "env": BASE_ENV,
            "limits": {"memory": limits.memory, "cpu": limits.cpu_seconds,
                       "processes": limits.processes, "file_size": limits.file_size},
            "sandbox": {"isolation": isolation, "workdir": workdir, "disk": limits.disk,
                        "uid": user.uid if user else None, "gid": user.gid if user else None,
                        "files": {name: base64.b64encode(data).decode("ascii")
                                  for name, data in files.items()}},
        }
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, pass_fds=(write_fd,), start_new_session=True, env=BASE_ENV,
            cwd="/")
        if group is not None:  # before the job is sent: the runner forks only after reading it
            group.add(process.pid)
        os.close(write_fd)
        write_fd = -1
        watch = _Watch(cells, limits, cuts, set(skip_checks), budget)
        try:
            process.stdin.write(json.dumps(job).encode())
            process.stdin.close()
        except BrokenPipeError:
            pass
        _follow(process, read_fd, watch)
        return watch.run
    finally:
        if write_fd >= 0:
            os.close(write_fd)
        os.close(read_fd)
        if process is not None:
            end_sandbox(process, isolation == "bubblewrap")
        if group is not None:
            group.close()
        if user is not None:
            kill_all_processes_of(user.uid, user.gid)
        remove_folder(workdir)


class _Streams:
    """Non-blocking reads of the sandbox's stdout, stderr and event pipe."""

    def __init__(self, process: subprocess.Popen, read_fd: int, watch: _Watch) -> None:
        self.watch, self.events_fd = watch, read_fd
        self.selector = selectors.DefaultSelector()
        names = {process.stdout.fileno(): "stdout", process.stderr.fileno(): "stderr",
                 read_fd: "events"}
        for fd, name in names.items():
            os.set_blocking(fd, False)
            self.selector.register(fd, selectors.EVENT_READ, name)
        self.buffer, self.tail = bytearray(), bytearray()

    @property
    def events_open(self) -> bool:
        return self.events_fd in self.selector.get_map()

    def pump(self, wait: float) -> None:
        """Read whatever is ready within ``wait`` seconds."""
        for key, _ in self.selector.select(wait):
            self._read(key)

    def drain(self) -> None:
        """Read everything already written (the writer may have exited)."""
        for key in list(self.selector.get_map().values()):
            while key.fd in self.selector.get_map() and self._read(key):
                pass

    def _read(self, key: selectors.SelectorKey) -> bool:
        try:
            data = os.read(key.fd, PIPE_SIZE)
        except BlockingIOError:
            return False
        if not data:
            self.selector.unregister(key.fd)
            return False
        run, limits = self.watch.run, self.watch.limits
        if key.data == "events":
            scanned = len(self.buffer)  # only the new bytes can hold a line end
            self.buffer += data
            while (end := self.buffer.find(b"\n", scanned)) >= 0:
                self.watch.event(bytes(self.buffer[:end]))
                del self.buffer[: end + 1]
                scanned = 0
            if len(self.buffer) > MAX_LINE:
                self.watch.fail(CRASHED, "sent an answer larger than the grader accepts")
        else:
            run.output_bytes += len(data)
            if key.data == "stderr":
                self.tail = (self.tail + data)[-TAIL:]
            if run.output_bytes > limits.output:
                self.watch.fail(CRASHED, f"printed more than {limits.output >> 20} MB")
        return True


def _follow(process: subprocess.Popen, read_fd: int, watch: _Watch) -> None:
    streams, run = _Streams(process, read_fd, watch), watch.run
    while not (run.done or run.failure):
        deadline = min(watch.deadline, watch.budget)
        streams.pump(min(max(deadline - time.monotonic(), 0), 0.2))
        if run.done or run.failure:
            break
        if not streams.events_open or process.poll() is not None:
            streams.drain()
            if not run.done and not run.failure:
                _ended(process, watch)
            break
        if time.monotonic() > watch.budget:
            watch.fail(TIMED_OUT, watch.budget_text)
            run.budget_spent = True
        elif time.monotonic() > watch.deadline:
            if watch.segment is None:
                watch.fail(CRASHED, f"the sandbox did not start within {watch.limits.startup:g} s")
            else:
                watch.fail(TIMED_OUT, f"ran longer than {watch.limits.timeout:g} s")
    streams.selector.close()
    run.stderr = streams.tail.decode("utf-8", "replace")


def _ended(process: subprocess.Popen, watch: _Watch) -> None:
    """The sandbox died before ``done``: name the cause, blaming the question that was running."""
    try:
        code = process.wait(timeout=2)
    except subprocess.TimeoutExpired:
        code = None
    if watch.segment is None:
        watch.fail(CRASHED, f"the sandbox failed to start: {exit_reason(code)}")
    elif watch.soft_deadline and time.monotonic() > watch.soft_deadline:
        watch.fail(TIMED_OUT, f"ran longer than {watch.limits.timeout:g} s")
    else:
        watch.fail(CRASHED, exit_reason(code))


def _widen(fd: int) -> None:
    """A 1 MB event pipe: a big answer (or a flood) crosses in 16 wakeups, not 256, so a loaded
    machine still reads it long before the question's timeout."""
    try:
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
    except OSError:
        pass

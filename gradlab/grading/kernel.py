"""Start one sandboxed run of a plan, read its pipes until it ends, and kill what is left.

The grader side of ``runner.py``. The events go to ``watch.Watch``, which checks them
against the plan and keeps the deadlines; stdout and stderr are only counted and tailed. At
the end the whole process tree is killed: its control group (as root), its process group,
its pid namespace and every process of the sandbox user.
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
from pathlib import Path

from .bubblewrap import bwrap_command, resolve_isolation
from .cgroups import Cgroup
from .limits import Limits
from .teardown import end_sandbox, new_workdir, remove_folder
from .users import SandboxUser, kill_all_processes_of
from .watch import CRASHED, MAX_LINE, TIMED_OUT, Run, Watch

RUNNER = Path(__file__).with_name("runner.py")
BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
            "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
TAIL = 4096
PIPE_SIZE = 1 << 20


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
        watch = Watch(cells, limits, cuts, set(skip_checks), budget)
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

    def __init__(self, process: subprocess.Popen, read_fd: int, watch: Watch) -> None:
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


def _follow(process: subprocess.Popen, read_fd: int, watch: Watch) -> None:
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


def _ended(process: subprocess.Popen, watch: Watch) -> None:
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

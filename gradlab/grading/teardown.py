"""Ending a sandboxed run: nothing of it may outlive the run.

The sandbox's process group is killed and its first process waited for; under bubblewrap
the sandbox's pid-namespace init (bubblewrap's child, in a session of its own) is killed too
and waited for, since once it has exited the kernel has killed and reaped every process in
its namespace. (As root the control group and the sandbox uid are emptied as well, in
``kernel.run_job``.)
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time

PREFIX = "gradlab-sandbox-"


def end_sandbox(process: subprocess.Popen, bubblewrap: bool) -> None:
    """Kill the sandbox started as ``process`` and wait until it is gone."""
    # bubblewrap's child is killed while its parent still holds its pid (no reuse)
    inits = _children(process.pid) if bubblewrap else []
    for pid in inits:
        _signal(pid)
    _kill_group(process)
    for pid in inits:
        _wait_exited(pid)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    for stream in (process.stdout, process.stderr, process.stdin):
        if stream and not stream.closed:
            stream.close()


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (bubblewrap's: the sandbox's pid-namespace init)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(child) for child in handle.read().split()]
    except OSError:  # a kernel without CONFIG_PROC_CHILDREN
        pass
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as handle:
                if entry.isdigit() and int(handle.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _signal(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def _wait_exited(pid: int, wait: float = 10.0) -> None:
    """Until ``pid`` has exited (a zombie, or reaped and gone)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    return
        except (OSError, IndexError):
            return
        time.sleep(0.01)


def new_workdir() -> str:
    """A fresh work folder named after this grader process. Empty ones of graders that are
    gone (killed before they could remove theirs) are removed first; a live grader's are
    never touched, as a live sandbox's root is mounted on its folder."""
    base = tempfile.gettempdir()
    try:
        entries = os.listdir(base)
    except OSError:
        entries = []
    for entry in entries:
        pid = entry[len(PREFIX):].split("-")[0]
        if entry.startswith(PREFIX) and pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            try:
                os.rmdir(os.path.join(base, entry))
            except OSError:
                pass
    return tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")


def remove_folder(path: str) -> None:
    try:
        shutil.rmtree(path)
    except OSError:
        pass

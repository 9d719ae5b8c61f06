"""Which isolation a sandbox gets, and the bubblewrap command that isolates it without root.

``resolve_isolation`` decides once per process: as root, gradlab's own namespaces
(``isolate.py``); otherwise bubblewrap (``bwrap``, Debian's ``bubblewrap`` package), which
builds the same sandbox from unprivileged user namespaces: its own user, pid, mount,
network, IPC and UTS namespaces, a read-only view of the system, the Python installation and
the gradlab package, a private size-limited home that also holds ``/tmp`` and ``/dev/shm``,
no solutions, no gradebook, no other process. Where neither works, nothing isolates, and
grading untrusted code needs the caller's explicit ``basic`` ("unsafe-no-isolation").
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys

from .isolate import (
    CLONE_NEWNET,
    CLONE_NEWNS,
    CLONE_NEWPID,
    DEVICES,
    ETC_ENTRIES,
    HOME,
    SYSTEM_PATHS,
    distinct,
    python_paths,
    unshare,
)
from .limits import Limits

SANDBOX_UID = 3_000_000  # the learner's uid inside the user namespace (yours outside)
HOW_TO_ISOLATE = (
    "Grade as root (the grader then builds namespaces itself), in a container or VM you can "
    "throw away, or install bubblewrap (Debian/Ubuntu: apt install bubblewrap) on a kernel "
    "that allows unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, "
    "user.max_user_namespaces > 0; on Ubuntu 24.04 also an AppArmor profile for bwrap).")


class IsolationUnavailable(RuntimeError):
    """The isolation asked for cannot be had on this machine; the message says how to get it."""


def bwrap_arguments(disk: int, disable_userns: bool = True) -> list[str]:
    """Everything after ``bwrap`` up to the command: the sandbox's namespaces and its files."""
    args = ["--unshare-all", "--unshare-user", "--die-with-parent", "--new-session",
            "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--hostname", "gradlab-sandbox"]
    if disable_userns:  # no nested user namespace: it could mount tmpfs outside every limit
        args.append("--disable-userns")
    for path in SYSTEM_PATHS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    args += ["--dir", "/etc"]
    for name in ETC_ENTRIES:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    args += ["--dir", "/dev"]
    for name in DEVICES:
        args += ["--dev-bind-try", f"/dev/{name}", f"/dev/{name}"]
    for number, name in enumerate(("stdin", "stdout", "stderr")):
        args += ["--symlink", f"/proc/self/fd/{number}", f"/dev/{name}"]
    args += ["--symlink", "/proc/self/fd", "/dev/fd"]
    for path in distinct(python_paths()):
        args += ["--ro-bind", path, path]
    # one size-limited file system for everything the learner may write: home, /tmp, /dev/shm
    args += ["--proc", "/proc", "--size", str(int(disk)), "--tmpfs", HOME,
             "--dir", f"{HOME}/.tmp", "--symlink", f"{HOME}/.tmp", "/tmp",
             "--symlink", f"{HOME}/.tmp", "/dev/shm", "--chdir", HOME, "--remount-ro", "/"]
    return args


@functools.cache
def bwrap_setup() -> tuple[str, bool] | None:
    """``bwrap``'s path, and whether it can disable nested user namespaces (0.8 and later),
    when bubblewrap can start this Python in a sandbox here (probed once per process)."""
    bwrap = shutil.which("bwrap") or next(
        (p for p in ("/usr/bin/bwrap", "/usr/local/bin/bwrap") if os.access(p, os.X_OK)), None)
    if bwrap is None:
        return None
    for disable_userns in (True, False):
        command = [bwrap, *bwrap_arguments(Limits().disk, disable_userns), sys.executable, "-I",
                   "-c", "import numpy"]
        try:
            probe = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, timeout=30, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        if probe.returncode == 0:
            return bwrap, disable_userns
    return None


def bwrap_command(limits: Limits) -> list[str]:
    """The command prefix that runs a sandbox under bubblewrap with these limits."""
    setup = bwrap_setup()
    if setup is None:
        raise IsolationUnavailable("bubblewrap cannot create a sandbox here. " + HOW_TO_ISOLATE)
    bwrap, disable_userns = setup
    return [bwrap, *bwrap_arguments(limits.disk, disable_userns)]


@functools.cache
def root_namespaces_work() -> bool:
    """Root, allowed to create mount, pid and network namespaces (probed in a child)."""
    if os.geteuid() != 0:
        return False
    child = os.fork()
    if child == 0:
        try:
            unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET)
            os._exit(0)
        except BaseException:
            os._exit(1)
    return os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]) == 0


def resolve_isolation(wanted: str) -> str:
    """The isolation a run gets: "namespaces" (root), "bubblewrap" or "basic".

    "auto" takes the strongest available and raises :class:`IsolationUnavailable` when that
    would be "basic": no isolation is only ever chosen by asking for "basic" explicitly.
    """
    if wanted == "basic":
        return "basic"
    if os.geteuid() == 0:
        if wanted == "bubblewrap":
            raise IsolationUnavailable(
                "bubblewrap isolation is for graders that are not root; as root, gradlab "
                "builds the namespaces itself (--isolation auto)")
        if root_namespaces_work():
            return "namespaces"
        raise IsolationUnavailable(
            "this root process may not create namespaces (a container without "
            "CAP_SYS_ADMIN?), so nothing would isolate the submissions' code. " + HOW_TO_ISOLATE)
    if wanted == "namespaces":
        raise IsolationUnavailable("isolation 'namespaces' is built by gradlab as root; without "
                                   "root, use 'auto' or 'bubblewrap'")
    if bwrap_setup() is not None:
        return "bubblewrap"
    state = "not installed" if shutil.which("bwrap") is None else (
        "installed but cannot create user namespaces here")
    raise IsolationUnavailable(
        f"nothing would isolate the submissions' code: gradlab is not root and bubblewrap is "
        f"{state}. " + HOW_TO_ISOLATE)

"""Unprivileged users for sandboxes: one dedicated uid per concurrent run, when we are root.

A dedicated uid gives each run its own process count (RLIMIT_NPROC is per user) and lets the
grader kill every process the run left behind, wherever it hid, with ``kill -9 -1`` as that user.
Slots are claimed with ``flock`` so parallel graders on one machine never share a uid.
"""

from __future__ import annotations

import fcntl
import os
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

BASE_UID = 3_000_000
SLOTS = 512
NOBODY = 65534


@dataclass
class SandboxUser:
    """A uid/gid claimed for one run; :meth:`release` kills its processes and frees the slot."""

    uid: int
    gid: int
    lock_fd: int | None = None

    def release(self) -> None:
        """Kill everything running as this user, then give the slot back."""
        kill_all_processes_of(self.uid, self.gid)
        if self.lock_fd is not None:
            os.close(self.lock_fd)
            self.lock_fd = None


def _mapped(start: int, count: int) -> bool:
    try:
        lines = Path("/proc/self/uid_map").read_text().split("\n")
    except OSError:
        return start + count < 2**31
    for line in lines:
        parts = line.split()
        if len(parts) == 3:
            inside, _, length = map(int, parts)
            if inside <= start and start + count <= inside + length:
                return True
    return False


def _slot_directory() -> Path:
    folder = Path(tempfile.gettempdir()) / f"gradlab-sandbox-users-{os.geteuid()}"
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        raise PermissionError(f"{folder} is not a private folder of this user; remove it")
    return folder


def acquire_user() -> SandboxUser | None:
    """Claim a free sandbox uid; ``None`` when not root (the run keeps the current user)."""
    if os.geteuid() != 0:
        return None
    if not _mapped(BASE_UID, SLOTS):
        return SandboxUser(NOBODY, NOBODY) if _mapped(NOBODY, 1) else None
    folder = _slot_directory()
    start = os.getpid() % SLOTS
    for offset in range(SLOTS):
        slot = (start + offset) % SLOTS
        fd = os.open(folder / f"{slot}.lock", os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        user = SandboxUser(BASE_UID + slot, BASE_UID + slot, fd)
        kill_all_processes_of(user.uid, user.gid)  # leftovers of a grader that was killed
        return user
    raise RuntimeError(f"all {SLOTS} sandbox users are busy")


def kill_all_processes_of(uid: int, gid: int) -> None:
    """``kill -9 -1`` as ``uid``: every process of that user dies, daemonized or not."""
    if os.geteuid() != 0 or uid == NOBODY:
        return
    try:
        subprocess.run(["/bin/sh", "-c", "kill -9 -1 2>/dev/null; exit 0"], user=uid, group=gid,
                       extra_groups=[], env={}, cwd="/", timeout=10, check=False,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        pass

"""A control group per sandboxed run, where the grader may make one (root, a writable cgroupfs).

Without it, the kernel shares the CPU between processes, so a submission that forks 30
spinning processes takes 30 shares and another learner's question, running beside it, can run
out of wall-clock time. In its own group the run gets one share like any other, at most one
core (``cpu.max`` / ``cfs_quota_us``), at most ``processes`` tasks (``pids.max``) and at most
``memory + disk`` bytes of memory for all its processes together (RLIMIT_AS counts one
process). At the end every process in the group is killed (``cgroup.kill``, or one by one).
Groups are made under the grader's own group of each hierarchy, cgroup v1 and v2 alike, so
whatever limits the grader's own machine puts on it still hold. Nothing here needs anything
but the standard library; where nothing is writable, :func:`Cgroup.create` returns ``None``.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from pathlib import Path

CONTROLLERS = ("cpu", "pids", "memory")
PERIOD = 100_000  # µs: one period of CPU time per period, one core
_numbers = itertools.count()


def _own_groups() -> dict[frozenset[str], str]:
    """The grader's own group in each hierarchy, keyed by the hierarchy's controllers
    (the empty set for cgroup v2), from /proc/self/cgroup."""
    groups = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        groups[frozenset(names.split(",")) - {""}] = path
    return groups


def hierarchies() -> list[Path]:
    """Where this process's child groups go: its own group in each mounted hierarchy that
    has a controller we use (v1) or is the unified one (v2)."""
    try:
        own = _own_groups()
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in mounts:
        fields = line.split()
        if len(fields) < 4 or fields[2] not in ("cgroup", "cgroup2"):
            continue
        if fields[2] == "cgroup2":
            path = own.get(frozenset(), "/")
        else:
            names = frozenset(fields[3].split(",")) & set(CONTROLLERS)
            if not names:
                continue
            path = next((p for n, p in own.items() if n & names), "/")
        mountpoint = Path(fields[1].replace("\\040", " "))
        base = mountpoint / path.lstrip("/")
        found.append(base if base.is_dir() else mountpoint)  # a container sees only its subtree
    return found


def _write(path: Path, text: str) -> bool:
    try:
        with open(path, "w") as handle:
            handle.write(text)
        return True
    except OSError:
        return False


class Cgroup:
    """One run's groups (one per hierarchy); :meth:`add` the sandbox, :meth:`close` at the end."""

    def __init__(self, folders: list[Path]) -> None:
        self.folders = folders

    @classmethod
    def create(cls, processes: int, memory: int) -> Cgroup | None:
        """Make the groups with their limits; ``None`` when not root or nothing is writable."""
        if os.geteuid() != 0:
            return None
        name = f"gradlab-{os.getpid()}-{next(_numbers)}"
        folders = []
        for base in hierarchies():
            _remove_stale(base)
            if (base / "cgroup.subtree_control").exists():  # v2: controllers for the children
                for controller in CONTROLLERS:
                    _write(base / "cgroup.subtree_control", f"+{controller}")
            try:
                (base / name).mkdir()
            except OSError:
                continue
            folders.append(base / name)
            settings = {"cpu.cfs_period_us": str(PERIOD), "cpu.cfs_quota_us": str(PERIOD),
                        "cpu.max": f"{PERIOD} {PERIOD}", "pids.max": str(processes),
                        "memory.limit_in_bytes": str(memory), "memory.max": str(memory),
                        "memory.swap.max": "0"}
            for file, value in settings.items():
                if (base / name / file).exists():
                    _write(base / name / file, value)
        return cls(folders) if folders else None

    def add(self, pid: int) -> None:
        """Move a process (and so everything it starts later) into the groups."""
        for folder in self.folders:
            _write(folder / "cgroup.procs", str(pid))

    def pids(self) -> set[int]:
        """Every process still in the groups."""
        found = set()
        for folder in self.folders:
            try:
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
            except (OSError, ValueError):
                pass
        return found

    def close(self, wait: float = 5.0) -> None:
        """Kill every process in the groups, then remove them."""
        for folder in self.folders:
            _write(folder / "cgroup.kill", "1")
        deadline = time.monotonic() + wait
        while (pids := self.pids()) and time.monotonic() < deadline:
            for pid in pids:  # v1 has no cgroup.kill; pids.max bounds how many there are
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.01)
        for folder in self.folders:
            _rmdir(folder, deadline)


def _rmdir(folder: Path, deadline: float) -> None:
    while True:
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.01)


def _remove_stale(base: Path) -> None:
    """Empty groups a killed grader left behind (its pid is gone); busy ones stay."""
    try:
        entries = [e for e in base.iterdir() if e.name.startswith("gradlab-")]
    except OSError:
        return
    for entry in entries:
        pid = entry.name.split("-")[1]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            try:
                entry.rmdir()
            except OSError:
                pass

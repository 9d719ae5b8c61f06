"""The limits a submission runs under: time per question, memory, processes, output, disk."""

from __future__ import annotations

import re
from dataclasses import dataclass

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
ISOLATION_LEVELS = ("auto", "namespaces", "bubblewrap", "basic")


def parse_size(text: str | int) -> int:
    """``"512M"``, ``"2G"``, ``"1.5GiB"`` or a number of bytes, as bytes."""
    if isinstance(text, int):
        return text
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kKmMgGtT]?)(i?[bB])?\s*", str(text))
    if not match:
        raise ValueError(f"invalid size {text!r}: write a number with K, M or G, such as 2G")
    factor = {"": 1, "k": KiB, "m": MiB, "g": GiB, "t": GiB << 10}[match.group(2).lower()]
    return int(float(match.group(1)) * factor)


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed run.

    Attributes:
        timeout: wall-clock seconds for each question (its cells and its checks).
        memory: address-space limit of the learner's process, in bytes (RLIMIT_AS).
        processes: processes and threads the sandbox user may have (RLIMIT_NPROC).
        output: bytes of stdout and stderr after which the running question is stopped.
        file_size: the largest file the learner's code may write (RLIMIT_FSIZE).
        disk: size of the sandbox's private, in-memory file system.
        startup: seconds the sandbox may take to start; also what a submission's time budget
            (questions × timeout + startup, every restart and replay included) adds for setup.
        isolation: "auto" (the strongest available: "namespaces" as root, else
            "bubblewrap"; an error where neither works), "namespaces" (gradlab's own
            namespaces, as root), "bubblewrap" (user namespaces, without root) or "basic"
            (limits and a scratch folder only: no isolation, for trusted notebooks).
    """

    timeout: float = 60.0
    memory: int = 2 * GiB
    processes: int = 32
    output: int = 32 * MiB
    file_size: int = 64 * MiB
    disk: int = 128 * MiB
    startup: float = 30.0
    isolation: str = "auto"

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ValueError(f"timeout must be positive, got {self.timeout}")
        if self.memory < 64 * MiB:
            raise ValueError(f"memory limit {self.memory} bytes is too small to start Python")
        if self.isolation not in ISOLATION_LEVELS:
            raise ValueError(f"isolation must be one of {ISOLATION_LEVELS}, got {self.isolation!r}")

    @property
    def grace(self) -> float:
        """Extra seconds the grader waits past a soft timeout before it kills the process."""
        return max(0.5, min(5.0, 0.25 * self.timeout))

    def budget(self, questions: int) -> float:
        """Wall-clock seconds for a whole submission, restarts and replays included."""
        return questions * self.timeout + self.startup

    @property
    def cpu_seconds(self) -> int:
        """RLIMIT_CPU of a run: generous, as the wall-clock timeouts do the real limiting."""
        return int(self.timeout * 50 + 60)

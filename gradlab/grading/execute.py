"""Run a plan to the end: when a question hangs or kills its kernel, restart without it.

A restarted run replays the earlier cells (their state is needed later), including the cells
of the failed question that ran before the one that hung or crashed (such as the setup cell
in front of the first answer), but skips that cell, the rest of its question and the checks
already answered. Every restart skips at least one more cell, and there are at most
``2 * questions + 2`` runs, however hostile the submission. All runs share one wall-clock
budget, ``questions * timeout + startup``: when it is spent, what has not been answered is
scored as timed out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .kernel import run_job
from .limits import Limits
from .plan import Plan
from .users import acquire_user
from .watch import CRASHED, TIMED_OUT


@dataclass
class Execution:
    """Everything the runs of one submission reported."""

    answers: dict[int, dict] = field(default_factory=dict)
    errors: dict[int, dict] = field(default_factory=dict)
    failed: dict[int, tuple[str, str]] = field(default_factory=dict)
    cuts: dict[int, int] = field(default_factory=dict)
    isolation: str = ""
    runs: int = 0
    fatal: str | None = None
    stderr: str = ""


def execute(plan: Plan, limits: Limits, files: dict[str, bytes]) -> Execution:
    """Run the plan in sandboxes until every question has an answer or a failure."""
    result = Execution()
    if not plan.cells:
        return result
    seconds = limits.budget(len(plan.segments))
    text = (f"the submission used up its time budget of {seconds:g} s ({len(plan.segments)} "
            f"questions × {limits.timeout:g} s + {limits.startup:g} s), restarts included")
    budget = (time.monotonic() + seconds, text)
    user = acquire_user()
    try:
        for _ in range(2 * len(plan.segments) + 2):
            if time.monotonic() >= budget[0]:
                _out_of_time(result, plan, text)
                break
            run = run_job(plan.cells, limits, user, files, cuts=result.cuts,
                          skip_checks=set(result.answers), budget=budget)
            result.runs += 1
            result.isolation = run.isolation or result.isolation
            result.stderr = run.stderr
            for check, answer in run.answers.items():
                result.answers.setdefault(check, answer)
            for cell, error in run.errors.items():
                result.errors.setdefault(cell, error)
            for segment, cell in run.cuts.items():
                _cut(result, segment, cell, (TIMED_OUT, f"ran longer than {limits.timeout:g} s"))
            if run.done:
                break
            if run.budget_spent:
                _out_of_time(result, plan, text)
                break
            segment, cell = run.failed_segment, run.failed_cell
            if segment is None or cell is None or cell >= result.cuts.get(segment, cell + 1):
                last = run.stderr.strip().splitlines()[-1:] if run.stderr.strip() else []
                result.fatal = "; ".join([run.reason or "the sandbox stopped unexpectedly",
                                          *last])
                break
            _cut(result, segment, cell, (run.failure or CRASHED, run.reason))
        else:
            result.fatal = "the submission failed too many times"
    finally:
        if user is not None:
            user.release()
    return result


def _out_of_time(result: Execution, plan: Plan, text: str) -> None:
    """Every question not yet answered nor failed is timed out: the budget is spent."""
    for index, cell in enumerate(plan.cells):
        if cell["kind"] != "capture" or cell["segment"] in result.failed:
            continue
        if any(item["check"] not in result.answers for item in cell["captures"]):
            result.failed[cell["segment"]] = (TIMED_OUT, text)
            result.cuts.setdefault(cell["segment"], index)


def _cut(result: Execution, segment: int, cell: int, failure: tuple[str, str]) -> None:
    """Never run ``cell`` of ``segment`` again (nor the rest of that segment): it failed."""
    result.cuts[segment] = min(cell, result.cuts.get(segment, cell))
    result.failed.setdefault(segment, failure)

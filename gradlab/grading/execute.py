"""Run a plan to the end: when a question hangs or kills its kernel, restart without it.

A restarted run replays the earlier questions (their state is needed later) but skips every
question that already timed out or crashed, and does not capture answers it already has.
Each restart loses at least one more question, so a submission costs at most one run per
question, however hostile.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .kernel import CRASHED, TIMED_OUT, run_job
from .limits import Limits
from .plan import Plan
from .users import acquire_user


@dataclass
class Execution:
    """Everything the runs of one submission reported."""

    answers: dict[int, dict] = field(default_factory=dict)
    errors: dict[int, dict] = field(default_factory=dict)
    failed: dict[int, tuple[str, str]] = field(default_factory=dict)
    isolation: str = ""
    runs: int = 0
    fatal: str | None = None
    stderr: str = ""


def execute(plan: Plan, limits: Limits, files: dict[str, bytes]) -> Execution:
    """Run the plan in sandboxes until every question has an answer or a failure."""
    result = Execution()
    if not plan.cells:
        return result
    user = acquire_user()
    try:
        for _ in range(len(plan.segments) + 1):
            run = run_job(plan.cells, limits, user, files, skip_segments=set(result.failed),
                          skip_checks=set(result.answers))
            result.runs += 1
            result.isolation = run.isolation or result.isolation
            result.stderr = run.stderr
            for check, answer in run.answers.items():
                result.answers.setdefault(check, answer)
            for cell, error in run.errors.items():
                result.errors.setdefault(cell, error)
            for segment in run.timed_out:
                reason = f"ran longer than {limits.timeout:g} s"
                result.failed.setdefault(segment, (TIMED_OUT, reason))
            if run.done:
                break
            if run.failed_segment is None or run.failed_segment in result.failed:
                last = run.stderr.strip().splitlines()[-1:] if run.stderr.strip() else []
                result.fatal = "; ".join([run.reason or "the sandbox stopped unexpectedly",
                                          *last])
                break
            result.failed[run.failed_segment] = (run.failure or CRASHED, run.reason)
    finally:
        if user is not None:
            user.release()
    return result

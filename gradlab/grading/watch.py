"""Follow what one sandboxed run reports, event by event, and keep its deadlines.

Everything the sandbox sends is untrusted: each event is checked against the plan (the only
cell that may start next, the results each capture cell owes, in order), answers are decoded
with ``answers.decode`` (JSON and ``.npy``, never pickle), and a flood of lines or an
oversized answer ends the run. ``kernel.py`` starts the process and feeds this the bytes.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from .answers import MAX_ANSWER_BYTES, MAX_ITEMS, Invalid, decode
from .limits import Limits

MAX_LINE = MAX_ANSWER_BYTES + (64 << 10)  # an answer event with its envelope
MAX_COMMAS = MAX_ITEMS + 1000  # counted before json.loads: items cost memory in the grader
MAX_SMALL = 64 << 10  # only an answer may be longer, and only when one is due
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


class Watch:
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

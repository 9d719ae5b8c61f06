"""Show check verdicts and the summary table: HTML in JupyterLab, plain text elsewhere."""

from __future__ import annotations

import html
import sys
from typing import Any

from .._traceback import in_learner_names
from .score import (
    CRASHED,
    ERROR,
    FAILED,
    NOT_ATTEMPTED,
    PARTIAL,
    PASSED,
    PENDING,
    TIMED_OUT,
    CheckResult,
)

ICONS = {PASSED: "✓", FAILED: "✗", ERROR: "✗", PARTIAL: "◐", NOT_ATTEMPTED: "…",
         PENDING: "•", TIMED_OUT: "⏱", CRASHED: "✗"}
COLORS = {PASSED: "#1a7f37", FAILED: "#cf222e", ERROR: "#cf222e", PARTIAL: "#9a6700",
          NOT_ATTEMPTED: "#57606a", PENDING: "#0969da", TIMED_OUT: "#cf222e", CRASHED: "#cf222e"}
WORDS = {PASSED: "correct", FAILED: "not yet right", ERROR: "raised an error",
         PARTIAL: "partly right", NOT_ATTEMPTED: "not attempted yet", PENDING: "recorded",
         TIMED_OUT: "timed out", CRASHED: "crashed"}


def _points(points: float, total: float) -> str:
    return f"{points:g}/{total:g} point" + ("" if total == 1 else "s")


class Verdict:
    """One check's verdict; Jupyter calls ``_repr_html_``, terminals and logs use ``str``."""

    def __init__(self, result: CheckResult, note: str = "") -> None:
        self.result, self.note = result, note

    def lines(self) -> list[str]:
        """The verdict as text lines: headline, then the message and the hint."""
        r = self.result
        head = f"{ICONS.get(r.status, '?')} {r.question}: {WORDS.get(r.status, r.status)}"
        head += (f" ({_points(r.max_points, r.max_points).split('/')[-1]}, checked when graded)"
                 if r.status == PENDING else f" ({_points(r.points, r.max_points)})")
        body = [] if r.status in (PASSED, NOT_ATTEMPTED) and not self.note else [r.message]
        if r.status == PASSED and self.note:
            body = [self.note]
        if r.hint:
            body.append(f"hint: {r.hint}")
        # gradlab named as the learner imported it: `torch.no_grad()` after import gradlab as torch
        return [head] + [f"  {in_learner_names(line)}" for line in body if line]

    def __str__(self) -> str:
        return "\n".join(self.lines())

    __repr__ = __str__

    def _repr_html_(self) -> str:
        r = self.result
        color = COLORS.get(r.status, "#57606a")
        head, *rest = self.lines()
        body = "".join(f"<div style='margin-left:1.4em'>{html.escape(line.strip())}</div>"
                       for line in rest)
        return (f"<div class='gradlab-check' style='border-left:4px solid {color};"
                "padding:4px 8px;margin:4px 0;"
                "font-family:var(--jp-content-font-family,sans-serif)'>"
                f"<b style='color:{color}'>{html.escape(head)}</b>{body}</div>")


class Summary:
    """The ``check_all()`` table: one row per question checked so far, and the total."""

    def __init__(self, rows: list[tuple[str, str, float, float, str]]) -> None:
        self.rows = rows

    def totals(self) -> tuple[float, float]:
        """Points earned and points available over the rows."""
        return sum(row[2] for row in self.rows), sum(row[3] for row in self.rows)

    def __str__(self) -> str:
        if not self.rows:
            return "No checks have run yet: run the check cells, then check_all()."
        width = max(len("question"), *(len(row[0]) for row in self.rows))
        lines = [f"{'question':<{width}}  status             points"]
        for question, status, points, total, message in self.rows:
            word = f"{ICONS.get(status, '?')} {WORDS.get(status, status)}"
            message = in_learner_names(message)
            line = f"{question:<{width}}  {word:<18} {points:g}/{total:g}  {message}"
            lines.append(line.rstrip())
        earned, available = self.totals()
        lines.append(f"{'total':<{width}}  {'':<18} {earned:g}/{available:g}")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        if not self.rows:
            return f"<p>{html.escape(str(self))}</p>"
        cells = []
        for question, status, points, total, message in self.rows:
            color = COLORS.get(status, "#57606a")
            cells.append(
                f"<tr><td>{html.escape(question)}</td><td style='color:{color}'>"
                f"{ICONS.get(status, '?')} {html.escape(WORDS.get(status, status))}</td>"
                f"<td>{points:g}/{total:g}</td><td style='text-align:left'>"
                f"{html.escape(in_learner_names(message))}</td></tr>")
        earned, available = self.totals()
        return ("<table class='gradlab-summary'><thead><tr><th>question</th><th>status</th>"
                "<th>points</th><th>feedback</th></tr></thead><tbody>" + "".join(cells) +
                f"<tr><td><b>total</b></td><td></td><td><b>{earned:g}/{available:g}</b></td>"
                "<td></td></tr></tbody></table>")


def show(obj: Any) -> None:
    """Display rich output in IPython (HTML in JupyterLab), print it anywhere else."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None:
        from IPython.display import display  # optional dependency: IPython is running here

        display(obj)
    else:
        print(str(obj))

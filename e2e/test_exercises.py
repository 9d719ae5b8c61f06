"""A learner's exercise session in a real browser, and the links that lead there.

From notebook 00 (the one `make lab` opens) the learner follows the link to its exercises and
the link on to the next notebook. In an exercise notebook they run the cells from top to bottom:
every check says "not attempted yet", only the answer cells raise (NotImplementedError) and
`check_all()` shows the table. Then they type the worked solution into one answer cell, run it
and its check, and get the points.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest
from lab_page import (
    NOTEBOOK_CELLS,
    STDERR_OUTPUT,
    TRACEBACK,
    clear_and_run_all,
    not_run_cells,
    open_notebook,
    replace_cell_source,
    run_cell,
    screenshot,
)
from lab_server import REPO

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

FIRST = "notebooks/00_derivatives_by_hand.ipynb"
SOLUTION_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def exercise_cells(name: str) -> list[dict]:
    """The cells of exercises/`name`, as committed."""
    return json.loads((REPO / "exercises" / name).read_text(encoding="utf-8"))["cells"]


def role(cell: dict) -> tuple[str | None, str | None]:
    """(role, question) of an exercise cell: ("answer", "00.q1"), ("check", …) or (None, None)."""
    meta = cell["metadata"].get("gradlab", {})
    return meta.get("role"), meta.get("question")


def worked_answer(name: str, cell_id: str) -> str:
    """The solution of the answer cell `cell_id` of exercises/`name`, as a learner would type it:
    the solution notebook's cell of the same id, without its BEGIN/END SOLUTION markers."""
    solution = name.replace("_exercises_", "_solutions_", 1)
    cells = json.loads((REPO / "solutions" / solution).read_text(encoding="utf-8"))["cells"]
    source = "".join(next(cell["source"] for cell in cells if cell.get("id") == cell_id))
    return "\n".join(line for line in source.splitlines() if not SOLUTION_MARKER.match(line))


def check_problems(page: Page, cells: list[dict]) -> list[str]:
    """What is wrong with the page after an untouched exercise ran: a check cell that shows no
    verdict, or one other than "not attempted yet"; a traceback other than an answer cell's
    NotImplementedError."""
    problems = []
    shown = page.locator(NOTEBOOK_CELLS)
    for index, cell in enumerate(cells):
        kind, question = role(cell)
        if kind == "check":
            verdicts = shown.nth(index).locator(".gradlab-check").all_inner_texts()
            if not verdicts or any("not attempted yet" not in text for text in verdicts):
                problems.append(f"cell {index}, check of {question}, shows {verdicts}")
        for text in shown.nth(index).locator(STDERR_OUTPUT).all_inner_texts():
            if TRACEBACK.search(text) and not (kind == "answer" and "NotImplementedError" in text):
                problems.append(f"cell {index} ({kind or 'setup'}) shows:\n{text[-800:]}")
    return problems


def current_heading(page: Page) -> Locator:
    """The first heading of the notebook on show."""
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedMarkdown h1").first


@pytest.mark.timeout(90)
def test_notebook_00_links_open_its_exercises_and_the_next_notebook_in_lab(page, page_errors, lab):
    from playwright.sync_api import expect

    first_tab = page.context.pages[0]  # the persistent context's own blank tab
    page.goto(lab.url(f"lab/workspaces/links/tree/{FIRST}"))
    for text, path, heading in (
        ("exercises/00_exercises_derivatives_by_hand.ipynb",
         "exercises/00_exercises_derivatives_by_hand.ipynb",
         "Exercises 00 · Derivatives by hand"),
        ("00 · Derivatives by hand", FIRST, "00 · Derivatives by hand"),
        ("01 · Tensors and requires_grad", "notebooks/01_tensors_and_requires_grad.ipynb",
         "01 · Tensors and requires_grad"),
    ):  # fmt: skip
        link = page.locator(
            ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedMarkdown a", has_text=text
        ).last
        link.scroll_into_view_if_needed()
        link.click()
        expect(page, f"the link {text!r} did not open {path} in Lab").to_have_url(
            re.compile(f"/tree/{re.escape(path)}(\\?|$)")
        )
        expect(current_heading(page)).to_contain_text(heading)
    others = [other.url for other in page.context.pages if other not in (page, first_tab)]
    assert not others, f"a link opened a browser tab instead of a Lab tab: {others}"
    screenshot(page, "links_00_to_01.png")
    lab.shutdown_kernels()
    assert not page_errors, f"the Lab page raised: {page_errors}"


@pytest.mark.timeout(120)
def test_exercise_00_run_cell_by_cell_says_not_attempted_then_a_worked_answer_scores(
    page, page_errors, lab
):
    from playwright.sync_api import expect

    name = "00_exercises_derivatives_by_hand.ipynb"
    cells = exercise_cells(name)
    answers = [index for index, cell in enumerate(cells) if role(cell)[0] == "answer"]
    checks = [index for index, cell in enumerate(cells) if role(cell)[0] == "check"]
    assert answers and checks, f"exercises/{name} has no answer or check cell"
    open_notebook(page, lab, f"exercises/{name}", workspace="exercise-00")
    shown = page.locator(NOTEBOOK_CELLS)
    expect(shown).to_have_count(len(cells))

    for index, cell in enumerate(cells):  # Shift+Enter from top to bottom, each to its end
        if cell["cell_type"] == "code":
            run_cell(page, index)
    problems = check_problems(page, cells)
    assert not problems, "the untouched exercise shows:\n" + "\n".join(problems)
    table = shown.nth(len(cells) - 1).locator("table.gradlab-summary")
    expect(table, "check_all() shows no table").to_be_visible()
    questions = sorted({role(cell)[1] for cell in cells if role(cell)[0] == "check"})
    for question in questions:
        expect(table.locator("tr", has_text=question)).to_contain_text("not attempted yet")
    expect(table.locator("tr", has_text="total")).to_contain_text(re.compile(r"total\s*0/\d+"))

    # The learner types the worked solution into the first answer cell and runs it and its check.
    answer, question = answers[0], role(cells[answers[0]])[1]
    check = next(index for index in checks if index > answer)
    replace_cell_source(page, answer, worked_answer(name, cells[answer]["id"]))
    run_cell(page, answer)
    expect(shown.nth(answer).locator(STDERR_OUTPUT)).to_have_count(0)
    run_cell(page, check)
    verdict = shown.nth(check).locator(".gradlab-check")
    expect(verdict).to_contain_text(re.compile(rf"{re.escape(question)}: correct \(1/1 point\)"))
    run_cell(page, len(cells) - 1)
    expect(table.locator("tr", has_text=question)).to_contain_text(re.compile(r"correct\s*1/1"))
    expect(table.locator("tr", has_text="total")).to_contain_text(re.compile(r"total\s*1/\d+"))
    table.scroll_into_view_if_needed()
    screenshot(page, "exercise_00_check_all.png")
    lab.shutdown_kernels()
    assert not page_errors, f"the notebook page raised: {page_errors}"


@pytest.mark.timeout(120)
def test_exercise_04_run_all_reaches_every_check_and_says_not_attempted(page, page_errors, lab):
    from playwright.sync_api import expect

    name = "04_exercises_no_grad_and_a_training_loop.ipynb"
    cells = exercise_cells(name)
    open_notebook(page, lab, f"exercises/{name}", workspace="exercise-04")
    clear_and_run_all(page, lab)
    screenshot(page, "exercise_04_run_all.png")
    not_run = not_run_cells(page)
    assert not not_run, f"Run All stopped: code cells {not_run} (counted from 1) did not run"
    problems = check_problems(page, cells)
    assert not problems, "the untouched exercise shows:\n" + "\n".join(problems)
    table = page.locator(NOTEBOOK_CELLS).nth(len(cells) - 1).locator("table.gradlab-summary")
    expect(table, "check_all() shows no table").to_be_visible()
    lab.shutdown_kernels()
    assert not page_errors, f"the notebook page raised: {page_errors}"

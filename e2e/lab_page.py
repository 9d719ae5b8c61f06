"""What the browser tests do in a JupyterLab page: open a notebook, use the menus, run cells and
read what they show. The tests themselves say what they expect of it.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from lab_server import ARTIFACTS, LabServer

if TYPE_CHECKING:
    from playwright.sync_api import Page

KERNEL_READY_MS = 60_000  # a fresh kernel starts in about 3 s here
RUN_ALL_MS = 120_000  # notebook 07 runs in about 10 s here
CELL_MS = 60_000  # one cell of an exercise notebook runs in well under a second here
SAVE_TIMEOUT = 20.0  # seconds

# Every code cell's prompt, "[ ]:" not run, "[*]:" running or queued, "[3]:" done.
PROMPTS_JS = """() => Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'),
                                  node => node.textContent.trim())"""
# The kernel is connected and idle (the status bar says so), or a dialog asks the user something.
KERNEL_READY_JS = """() => {
    if (document.querySelector('.jp-Dialog')) return true;
    const status = document.querySelector('.jp-StatusBar-TextItem[title^="Change kernel"]');
    return !!status && /\\|\\s*Idle$/.test(status.textContent.trim());
}"""
# Rendered stderr holds warnings as well as errors; only a traceback or an exception line is one.
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\s*\w*(Error|Exception)\b", re.M)
STDERR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
# Run All has finished: nothing is queued, the kernel is idle, and either every cell ran or one
# shows an error (then the kernel drops the rest). The prompts start blank, so this cannot be
# true before the run. Its argument is [TRACEBACK's pattern, STDERR_OUTPUT].
RUN_FINISHED_JS = """([traceback, stderrSelector]) => {
    const prompts = Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'),
                               node => node.textContent.trim());
    const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
    if (prompts.some(p => p.includes('*')) || indicator?.dataset.status !== 'idle') return false;
    const pattern = new RegExp(traceback, 'm');
    return prompts.every(p => /^\\[\\d+\\]:$/.test(p))
        || Array.from(document.querySelectorAll(stderrSelector)).some(
               node => pattern.test(node.textContent));
}"""
# One cell has run: its prompt shows a number it did not show before (execution counts only
# grow) and the kernel is idle again. Argument: [the cell, its prompt before Shift+Enter].
CELL_DONE_JS = """([cell, before]) => {
    const prompt = cell.querySelector('.jp-InputPrompt')?.textContent.trim() ?? '';
    const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
    return prompt !== before && /^\\[\\d+\\]:$/.test(prompt)
        && indicator?.dataset.status === 'idle';
}"""
NOTEBOOK_CELLS = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell"


def open_notebook(page: Page, lab: LabServer, path: str, workspace: str | None = None) -> None:
    """Open a notebook as a link to it would, and wait until its kernel is idle.

    A named `workspace` starts empty, so the Lab restores no tab of an earlier test.
    """
    prefix = f"lab/workspaces/{workspace}" if workspace else "lab"
    page.goto(lab.url(f"{prefix}/tree/{path}"))
    wait_for_kernel(page)


def run_menu_command(page: Page, menu: str, command: str) -> None:
    """Click a menu in Lab's menu bar, then its item for a command (e.g. Run → Run All Cells)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(f'.lm-Menu .lm-Menu-item[data-command="{command}"]').click()


def wait_for_kernel(page: Page) -> None:
    page.wait_for_function(KERNEL_READY_JS, timeout=KERNEL_READY_MS)
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        pytest.fail(
            f"JupyterLab asked a question instead of starting the notebook's kernel "
            f"(is the `python3` kernelspec missing from the venv?):\n{dialog.inner_text()}"
        )


def clear_and_run_all(page: Page, lab: LabServer) -> None:
    """Edit → Clear Outputs of All Cells, then Run → Run All Cells, and wait for the run's end.

    The committed notebooks carry outputs and execution counts: cleared first, what a test reads
    afterwards can only come from this run.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import expect

    run_menu_command(page, "Edit", "editmenu:clear-all")
    expect(page.locator(".jp-CodeCell .jp-InputPrompt", has_text="[1]:")).to_have_count(0)
    expect(page.locator(f"{NOTEBOOK_CELLS} .jp-OutputArea-output")).to_have_count(0)
    run_menu_command(page, "Run", "runmenu:run-all")
    try:
        page.wait_for_function(
            RUN_FINISHED_JS, arg=[TRACEBACK.pattern, STDERR_OUTPUT], timeout=RUN_ALL_MS
        )
    except PlaywrightTimeoutError:
        pytest.fail(
            f"Run All Cells did not finish within {RUN_ALL_MS // 1000} s: prompts "
            f"{page.evaluate(PROMPTS_JS)}; JupyterLab's log ends:\n{lab.log_tail()}"
        )


def run_cell(page: Page, index: int) -> None:
    """Select cell `index` of the open notebook by its prompt, press Shift+Enter as a learner
    does, and wait until it has run (a markdown cell just renders)."""
    cell = page.locator(NOTEBOOK_CELLS).nth(index)
    prompt = cell.locator(".jp-InputPrompt")
    before = prompt.inner_text().strip()
    prompt.click()  # the prompt, not the input: a click there could follow a link
    page.keyboard.press("Shift+Enter")
    if "jp-CodeCell" in (cell.get_attribute("class") or ""):
        page.wait_for_function(CELL_DONE_JS, arg=[cell.element_handle(), before], timeout=CELL_MS)


def replace_cell_source(page: Page, index: int, source: str) -> None:
    """Type `source` over everything in cell `index`'s editor, as pasting it would."""
    editor = page.locator(NOTEBOOK_CELLS).nth(index).locator(".cm-content")
    editor.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(source)  # one insertion: no auto-indent, no closing brackets


def tracebacks_shown(page: Page) -> list[str]:
    """The rendered stderr outputs of the page that hold a traceback or an exception line."""
    texts = page.locator(STDERR_OUTPUT).all_inner_texts()
    return [text for text in texts if TRACEBACK.search(text)]


def not_run_cells(page: Page) -> list[int]:
    """The code cells (counted from 1) whose prompt shows no execution count."""
    prompts = page.evaluate(PROMPTS_JS)
    return [n for n, prompt in enumerate(prompts, 1) if not re.fullmatch(r"\[\d+\]:", prompt)]


def save_and_read(lab: LabServer, page: Page, path: str) -> list[dict]:
    """Save the notebook from the File menu, wait until the file changed, return its cells."""
    before = lab.api(f"contents/{path}?content=0")["last_modified"]
    run_menu_command(page, "File", "docmanager:save")
    deadline = time.monotonic() + SAVE_TIMEOUT
    while lab.api(f"contents/{path}?content=0")["last_modified"] == before:
        if time.monotonic() > deadline:
            pytest.fail(f"File → Save Notebook did not write {path} within {SAVE_TIMEOUT} s")
        time.sleep(0.2)
    return lab.api(f"contents/{path}?content=1&type=notebook")["content"]["cells"]


def error_outputs(cells: list[dict]) -> list[str]:
    """`cell N (In [k]): Name: message` for every error output of a saved notebook's cells."""
    return [
        f"cell {index} (In [{cell['execution_count']}]): {output['ename']}: {output['evalue']}"
        for index, cell in enumerate(cells)
        for output in cell.get("outputs", [])
        if output["output_type"] == "error"
    ]


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path

"""The course in a real browser: JupyterLab serves it, and notebook 07 runs to a playable animation.

Headless Chromium does what a learner does after `make lab`: it opens the Lab, sees the course's
notebooks, opens the last one, clears it and runs every cell from the Run menu. The test then
checks what the learner would see: every cell ran, none shows an error, and the animation's
player works (its frames load and the buttons move the slider). Screenshots go to e2e/artifacts/.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from lab_server import ARTIFACTS, REPO, VENV_BIN, LabServer

NOTEBOOK = "07_animated_regression_fit.ipynb"
KERNEL_READY_MS = 60_000  # a fresh kernel starts in about 3 s here
RUN_ALL_MS = 120_000  # notebook 07 runs in about 10 s here
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
STDERR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


def course_notebooks() -> list[str]:
    return sorted(path.name for path in (REPO / "notebooks").glob("*.ipynb"))


def run_menu_command(page, menu: str, command: str) -> None:
    """Click a menu in Lab's menu bar, then its item for a command (e.g. Run → Run All Cells)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(f'.lm-Menu .lm-Menu-item[data-command="{command}"]').click()


def wait_for_kernel(page) -> None:
    page.wait_for_function(KERNEL_READY_JS, timeout=KERNEL_READY_MS)
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        pytest.fail(
            f"JupyterLab asked a question instead of starting the notebook's kernel "
            f"(is the `python3` kernelspec missing from the venv?):\n{dialog.inner_text()}"
        )


def kernel_command_lines(lab: LabServer) -> list[list[str]]:
    """The command line of each kernel the server runs, read from /proc by its connection file."""
    ids = [kernel["id"] for kernel in lab.api("kernels")]
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue  # the process ended while we looked
        if any(f"kernel-{kernel_id}.json" in arg for kernel_id in ids for arg in argv):
            found.append(argv)
    return found


def saved_error_outputs(lab: LabServer, page) -> list[str]:
    """Save the notebook from the File menu and list the error outputs the file then holds."""
    before = lab.api(f"contents/{NOTEBOOK}?content=0")["last_modified"]
    run_menu_command(page, "File", "docmanager:save")
    deadline = time.monotonic() + SAVE_TIMEOUT
    while lab.api(f"contents/{NOTEBOOK}?content=0")["last_modified"] == before:
        if time.monotonic() > deadline:
            pytest.fail(f"File → Save Notebook did not write {NOTEBOOK} within {SAVE_TIMEOUT} s")
        time.sleep(0.2)
    cells = lab.api(f"contents/{NOTEBOOK}?content=1&type=notebook")["content"]["cells"]
    return [
        f"cell {index} (In [{cell['execution_count']}]): {output['ename']}: {output['evalue']}"
        for index, cell in enumerate(cells)
        for output in cell.get("outputs", [])
        if output["output_type"] == "error"
    ]


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path


@pytest.mark.timeout(90)
def test_lab_root_lists_every_course_notebook_for_a_new_user(page, page_errors, lab):
    from playwright.sync_api import expect

    expected = course_notebooks()
    assert expected, "notebooks/ holds no notebook"
    listed = {item["name"] for item in lab.api("contents")["content"]}
    assert set(expected) <= listed, f"the server does not list {set(expected) - listed}"
    assert "python3" in lab.api("kernelspecs")["kernelspecs"], (
        "JupyterLab in the venv has no `python3` kernelspec, the one the notebooks ask for"
    )

    response = page.goto(lab.url("lab"))
    assert response is not None and response.ok, f"GET /lab answered {response and response.status}"
    for name in expected:
        item = page.locator(".jp-DirListing-item .jp-DirListing-itemText", has_text=name)
        expect(item, f"the file browser does not show {name}").to_be_visible(timeout=30_000)
    screenshot(page, "lab_root.png")
    assert not page_errors, f"the Lab page raised: {page_errors}"


@pytest.mark.timeout(180)
def test_notebook_07_runs_every_cell_without_error_and_its_animation_plays(page, page_errors, lab):
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import expect

    page.goto(lab.url(f"lab/tree/{NOTEBOOK}"))
    wait_for_kernel(page)
    # The committed notebook carries outputs and execution counts; clear them so that what the
    # test reads afterwards can only come from this run.
    run_menu_command(page, "Edit", "editmenu:clear-all")
    expect(page.locator(".jp-CodeCell .jp-InputPrompt", has_text="[1]:")).to_have_count(0)
    expect(page.locator(".animation")).to_have_count(0)

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

    tracebacks = [
        text for text in page.locator(STDERR_OUTPUT).all_inner_texts() if TRACEBACK.search(text)
    ]
    assert not tracebacks, "cells show errors:\n" + "\n---\n".join(tracebacks)
    prompts = page.evaluate(PROMPTS_JS)
    not_run = [n for n, prompt in enumerate(prompts, 1) if not re.fullmatch(r"\[\d+\]:", prompt)]
    assert not not_run, f"code cells {not_run} (counted from 1) did not run: prompts {prompts}"
    errors = saved_error_outputs(lab, page)
    assert not errors, "the saved notebook holds error outputs:\n" + "\n".join(errors)

    kernels = kernel_command_lines(lab)
    assert kernels, "found no process of the notebook's kernel in /proc"
    for argv in kernels:
        assert Path(argv[0]).parent.resolve() == VENV_BIN.resolve(), (
            f"the notebook's kernel runs outside the project's venv: {argv}"
        )

    # The player: matplotlib's to_jshtml controls, brought to life by its script.
    animation = page.locator(".jp-OutputArea-output .animation")
    expect(animation, "the animation is not on the page").to_have_count(1)
    animation.scroll_into_view_if_needed()
    expect(animation.locator(".anim-controls")).to_be_visible()
    for title in ("Play", "Pause", "Next frame", "Last frame"):
        expect(animation.locator(f'.anim-buttons button[title="{title}"]')).to_be_visible()
    slider = animation.locator("input.anim-slider")
    expect(slider).to_be_visible()
    expect(animation.locator("img"), "the animation's script loaded no frame").to_have_attribute(
        "src", re.compile(r"^data:image/")
    )
    last = int(slider.get_attribute("max"))
    assert last > 1, f"the animation has {last + 1} frames: its script did not load them"

    first_frame = animation.locator("img").get_attribute("src")
    animation.locator('button[title="Next frame"]').click()
    expect(slider).to_have_value("1")
    assert animation.locator("img").get_attribute("src") != first_frame, "Next frame did not draw"
    animation.locator('button[title="Play"]').click()
    page.wait_for_function(
        "slider => Number(slider.value) > 1", arg=slider.element_handle(), timeout=10_000
    )
    animation.locator('button[title="Pause"]').click()
    animation.locator('button[title="Last frame"]').click()
    expect(slider).to_have_value(str(last))

    animation.scroll_into_view_if_needed()
    screenshot(page, "07_animated_regression_fit.png")
    assert not page_errors, f"the notebook page raised: {page_errors}"

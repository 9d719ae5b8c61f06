"""The course in a real browser: JupyterLab serves it, and notebook 07 runs to a playable animation.

Headless Chromium does what a learner does after `make lab`: it opens the Lab, sees the course's
notebooks, opens the last one, clears it and runs every cell from the Run menu. The test then
checks what the learner would see: every cell ran, none shows an error, and the animation's
player works (its frames load and the buttons move the slider). Screenshots go to e2e/artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lab_page import (
    clear_and_run_all,
    error_outputs,
    not_run_cells,
    open_notebook,
    save_and_read,
    screenshot,
    tracebacks_shown,
)
from lab_server import REPO, VENV_BIN, LabServer

NOTEBOOK = "notebooks/07_animated_regression_fit.ipynb"


def course_notebooks() -> list[str]:
    return sorted(path.name for path in (REPO / "notebooks").glob("*.ipynb"))


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


@pytest.mark.timeout(90)
def test_lab_root_lists_every_course_notebook_for_a_new_user(page, page_errors, lab):
    from playwright.sync_api import expect

    expected = course_notebooks()
    assert expected, "notebooks/ holds no notebook"
    listed = {item["name"] for item in lab.api("contents/notebooks")["content"]}
    assert set(expected) <= listed, f"the server does not list {set(expected) - listed}"
    assert "python3" in lab.api("kernelspecs")["kernelspecs"], (
        "JupyterLab in the venv has no `python3` kernelspec, the one the notebooks ask for"
    )

    response = page.goto(lab.url("lab/tree/notebooks"))
    assert response is not None and response.ok, f"GET /lab answered {response and response.status}"
    for name in expected:
        item = page.locator(".jp-DirListing-item .jp-DirListing-itemText", has_text=name)
        expect(item, f"the file browser does not show {name}").to_be_visible(timeout=30_000)
    screenshot(page, "lab_root.png")
    assert not page_errors, f"the Lab page raised: {page_errors}"


@pytest.mark.timeout(180)
def test_notebook_07_runs_every_cell_without_error_and_its_animation_plays(page, page_errors, lab):
    from playwright.sync_api import expect

    open_notebook(page, lab, NOTEBOOK)
    clear_and_run_all(page, lab)

    tracebacks = tracebacks_shown(page)
    assert not tracebacks, "cells show errors:\n" + "\n---\n".join(tracebacks)
    not_run = not_run_cells(page)
    assert not not_run, f"code cells {not_run} (counted from 1) did not run"
    errors = error_outputs(save_and_read(lab, page, NOTEBOOK))
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

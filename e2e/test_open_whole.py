"""Every notebook of the course opens whole in JupyterLab, as a new user meets it after
`make lab`, before running anything.

For each lesson, its notebook, exercise and solution are opened side by side in one Lab: their
tab labels read differently where Lab cuts them, and 10 s after their kernels are idle no tab
carries the dirty marker (a notebook whose stored metadata is not what the kernel reports turns
"modified" as soon as the kernel answers). A screenshot of each notebook's first screen goes to
e2e/artifacts/.
"""

from __future__ import annotations

import time

import pytest
from lab_page import screenshot
from lab_server import REPO, LabServer

LABEL_CHARS = 20  # JupyterLab cuts a tab's label at about this many characters
IDLE_WAIT = 10.0  # seconds the tabs stay open after every kernel is idle
KERNELS_IDLE_TIMEOUT = 60.0
# The Lab with its shell exposed (expose_app_in_browser) and its first notebook on show.
APP_READY_JS = """() => !!window.jupyterapp?.shell
    && !!document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')"""
OPEN_JS = "async path => {await window.jupyterapp.commands.execute('docmanager:open', {path});}"
DOCK_TABS = "#jp-main-dock-panel .lm-TabBar-tab"


def lessons() -> list[str]:
    return sorted(path.name for path in (REPO / "notebooks").glob("*.ipynb"))


def trio(lesson: str) -> list[str]:
    """The lesson's notebook, then its exercise and its solution (found by number and kind)."""
    number = lesson[:2]
    found = [f"notebooks/{lesson}"]
    for kind in ("exercises", "solutions"):
        matches = sorted((REPO / kind).glob(f"{number}_{kind}_*.ipynb"))
        assert len(matches) == 1, f"{kind}/ holds {len(matches)} notebooks numbered {number}"
        found.append(f"{kind}/{matches[0].name}")
    return found


def wait_until_kernels_idle(lab: LabServer, count: int) -> None:
    deadline = time.monotonic() + KERNELS_IDLE_TIMEOUT
    while time.monotonic() < deadline:
        kernels = lab.api("kernels")
        if len(kernels) >= count and all(k["execution_state"] == "idle" for k in kernels):
            return
        time.sleep(0.5)
    pytest.fail(f"the notebooks' kernels were not all idle within {KERNELS_IDLE_TIMEOUT:.0f} s: "
                f"{[k['execution_state'] for k in lab.api('kernels')]}")


@pytest.mark.timeout(150)
@pytest.mark.parametrize("lesson", lessons(), ids=lambda name: name[:2])
def test_notebook_exercise_and_solution_open_unmodified_under_distinct_tab_labels(
    page, page_errors, lab, lesson
):
    paths = trio(lesson)
    page.goto(lab.url(f"lab/workspaces/open-{lesson[:2]}/tree/{paths[0]}"))
    page.wait_for_function(APP_READY_JS, timeout=60_000)
    screenshot(page, f"open_{paths[0].split('/')[1][:-6]}.png")
    for path in paths[1:]:
        page.evaluate(OPEN_JS, path)
        page.wait_for_function(APP_READY_JS)
        page.wait_for_timeout(500)  # let the new tab lay out its first screen
        screenshot(page, f"open_{path.split('/')[1][:-6]}.png")

    labels = page.locator(f"{DOCK_TABS} .lm-TabBar-tabLabel").all_inner_texts()
    assert sorted(labels) == sorted(path.split("/")[1] for path in paths), labels
    cut = [label[:LABEL_CHARS] for label in labels]
    assert len(set(cut)) == len(cut), f"tab labels read alike where Lab cuts them: {cut}"

    wait_until_kernels_idle(lab, len(paths))
    page.wait_for_timeout(IDLE_WAIT * 1000)
    dirty = page.locator(f"{DOCK_TABS}.jp-mod-dirty .lm-TabBar-tabLabel").all_inner_texts()
    assert not dirty, f"untouched notebooks turned modified once their kernel was idle: {dirty}"
    lab.shutdown_kernels()
    assert not page_errors, f"the Lab page raised: {page_errors}"

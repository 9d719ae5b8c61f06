"""Every notebook of the course opens whole, before anything runs: in JupyterLab as a new user
meets it after `make lab`, in a Lab that never trusted it, and as nbconvert's HTML in a browser
with JavaScript off.

Each lesson's notebook, exercise and solution are opened side by side in one Lab (four lessons
to a page, to keep the test short): no
output shows a bare Python repr of a drawing or widget, every image has loaded, the animation's
frame changes within 3 s of pressing play, their tab labels read differently where Lab cuts
them, and 10 s after their kernels are idle no tab carries the dirty marker (a notebook whose
stored metadata is not what the kernel reports turns "modified" as soon as the kernel answers).
A screenshot of each notebook's first screen goes to e2e/artifacts/.
"""

from __future__ import annotations

import base64
import re
import subprocess
import time

import pytest
from lab_page import screenshot
from lab_server import ARTIFACTS, COURSE_FOLDERS, REPO, VENV_BIN, LabServer

LABEL_CHARS = 20  # JupyterLab cuts a tab's label at about this many characters
IDLE_WAIT = 10.0  # seconds the tabs stay open after every kernel is idle
KERNELS_IDLE_TIMEOUT = 90.0
LESSONS_PER_PAGE = 4  # a lesson's 3 notebooks each: 12 tabs and kernels in one page at most
# The Lab with its shell exposed (expose_app_in_browser) and its first notebook on show.
APP_READY_JS = """() => !!window.jupyterapp?.shell
    && !!document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')"""
OPEN_JS = "async path => {await window.jupyterapp.commands.execute('docmanager:open', {path});}"
DOCK_TABS = "#jp-main-dock-panel .lm-TabBar-tab"
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
# What an output shows when a drawing or widget fell back to its Python repr.
BARE_REPR = re.compile(r"<(GraphDrawing|BackwardSteps|FitAnimation)\b|\b(V|H|PictureV)Box\(|"
                       r"Error displaying widget|<Figure size|<IPython\.core\.display")
# Every <img> of the outputs under `root` has loaded, or one has failed (then: false).
IMAGES_SETTLED_JS = """root => Array.from(root.querySelectorAll('.jp-OutputArea-output img'))
    .every(img => img.complete)"""
BROKEN_IMAGES_JS = """root => Array.from(root.querySelectorAll('.jp-OutputArea-output img'))
    .filter(img => !(img.complete && img.naturalWidth > 0))
    .map(img => (img.getAttribute('src') || '(no src)').slice(0, 60))"""
PLAY_MS = 3_000


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


def check_outputs_show_pictures(page, where: str) -> list[str]:
    """What is wrong with the outputs of the notebook on show: bare reprs, unloaded images."""
    panel = page.locator(PANEL)
    page.wait_for_function(IMAGES_SETTLED_JS, arg=panel.element_handle(), timeout=20_000)
    problems = [f"{where}: broken image {src}"
                for src in page.evaluate(BROKEN_IMAGES_JS, panel.element_handle())]
    for text in panel.locator(".jp-OutputArea-output").all_inner_texts():
        if BARE_REPR.search(text):
            problems.append(f"{where}: an output shows a repr: {text[:120]!r}")
    return problems


def screenshot_pictures(page, name: str) -> None:
    """A screenshot with the notebook's last picture (player, widget, drawing) in view."""
    pictures = page.locator(f"{PANEL} .jp-OutputArea-output img:visible")
    if pictures.count():
        pictures.last.scroll_into_view_if_needed()
        screenshot(page, name)


def check_animation_plays(page, where: str) -> list[str]:
    """Press play on each animation player on show; its frame must change within 3 s."""
    problems = []
    players = page.locator(f"{PANEL} .jp-OutputArea-output .animation")
    for k in range(players.count()):
        player = players.nth(k)
        player.scroll_into_view_if_needed()
        frame = player.locator("img").first
        before = frame.get_attribute("src")
        player.locator('button[title="Play"]').click()
        try:
            page.wait_for_function(
                "([img, before]) => img.getAttribute('src') !== before",
                arg=[frame.element_handle(), before], timeout=PLAY_MS,
            )
        except Exception:  # playwright's TimeoutError
            problems.append(f"{where}: animation {k} showed the same frame 3 s after play")
        player.locator('button[title="Pause"]').click()
    return problems


def lesson_groups() -> list[list[str]]:
    """The lessons, LESSONS_PER_PAGE at a time: one Lab page opens each group's notebooks."""
    names = lessons()
    return [names[k : k + LESSONS_PER_PAGE] for k in range(0, len(names), LESSONS_PER_PAGE)]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("group", lesson_groups(), ids=lambda g: f"{g[0][:2]}-{g[-1][:2]}")
def test_notebooks_exercises_and_solutions_open_whole_unmodified_under_distinct_tab_labels(
    page, page_errors, lab, group
):
    paths = [path for lesson in group for path in trio(lesson)]
    page.goto(lab.url(f"lab/workspaces/open-{group[0][:2]}/tree/{paths[0]}"))
    page.wait_for_function(APP_READY_JS, timeout=60_000)
    problems = []
    for k, path in enumerate(paths):
        if k:
            page.evaluate(OPEN_JS, path)
            page.wait_for_function(APP_READY_JS)
        page.wait_for_timeout(500)  # let the new tab lay out its first screen
        name = path.split("/")[1][:-6]
        screenshot(page, f"open_{name}.png")
        problems += check_outputs_show_pictures(page, path)
        problems += check_animation_plays(page, path)
        if path.startswith("notebooks/"):
            screenshot_pictures(page, f"pictures_{name}.png")
    assert not problems, "\n".join(problems)

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


@pytest.mark.timeout(120)
def test_an_untrusted_lab_shows_every_stored_picture_and_no_repr(page, page_errors, untrusted_lab):
    """A notebook nobody trusted: Lab sanitizes its HTML and refuses its SVG, so what shows must
    be the stored PNGs (the animated ones play by themselves)."""
    problems = []
    for k, lesson in enumerate(lessons()):
        path = f"notebooks/{lesson}"
        if k == 0:
            page.goto(untrusted_lab.url(f"lab/workspaces/untrusted/tree/{path}"))
            page.wait_for_function(APP_READY_JS, timeout=60_000)
        else:
            page.evaluate(OPEN_JS, path)
            page.wait_for_function(APP_READY_JS)
        page.wait_for_timeout(500)
        problems += check_outputs_show_pictures(page, f"untrusted {path}")
        screenshot_pictures(page, f"untrusted_{lesson[:-6]}.png")
    untrusted_lab.shutdown_kernels()
    assert not problems, "\n".join(problems)
    assert not page_errors, f"the Lab page raised: {page_errors}"


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, object]:
    """Every notebook, exercise and solution as `jupyter nbconvert --to html` writes it."""
    out = tmp_path_factory.mktemp("html")
    paths = sorted(path for folder in COURSE_FOLDERS for path in (REPO / folder).glob("*.ipynb"))
    subprocess.run([str(VENV_BIN / "jupyter"), "nbconvert", "--to", "html", "--output-dir",
                    str(out), *map(str, paths)], check=True, capture_output=True)
    return {path.name: out / f"{path.stem}.html" for path in paths}


IMAGES_JS = """() => Array.from(document.images, img => ({
    src: img.getAttribute('src') || '', loaded: img.complete && img.naturalWidth > 0}))"""


@pytest.mark.timeout(180)
def test_nbconvert_html_without_javascript_shows_every_picture_and_plays_the_fit(
    no_script_context, exported
):
    page = no_script_context.new_page()
    problems = []
    animated = {}
    for name, html in exported.items():
        page.goto(html.as_uri())
        images = page.evaluate(IMAGES_JS)
        problems += [f"{name}: broken image {image['src'][:60]}" for image in images
                     if not image["loaded"]]
        text = page.locator("body").inner_text()
        problems += [f"{name}: shows a repr {m.group(0)!r}" for m in BARE_REPR.finditer(text)]
        animated[name] = sum(
            b"acTL" in base64.b64decode(image["src"].split(",", 1)[1])[:4096]
            for image in images if image["src"].startswith("data:image/png;base64,"))
        if name.startswith("07_animated"):
            ARTIFACTS.mkdir(exist_ok=True)
            page.locator(".jp-OutputArea-output img").nth(1).scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "nbconvert_no_js_07.png"))
    page.close()
    assert not problems, "\n".join(problems)
    for name in ("07_animated_regression_fit.ipynb", "02_backward_and_the_chain_rule.ipynb"):
        assert animated[name] >= 1, f"{name} exported to HTML holds no animated image"

"""The course notebooks are stored the way nbval and learners need them: in course order, executed
top to bottom with their outputs, with clean metadata, linked to their exercises and to the next
notebook, and free of the things that make nbval flaky (``;`` endings, unmarked animations).

nbval itself (``pytest --nbval notebooks/``) re-runs them and compares the outputs; these checks
are the quick structural part and run without a kernel.
"""

from __future__ import annotations

import json
import re

import pytest
from support import COURSE, NOTEBOOKS
from support import cell_source as source

IGNORE_OUTPUT = "nbval-ignore-output"  # a cell tag: nbval's directives stay out of the source
# Calls whose output differs on every run (random element ids, widget models): nbval must skip them.
UNSTABLE_OUTPUT = ("to_jshtml(", "animate_fit(", "interactive_fit(", "watch_backward(")
TIMING_KEYS = ("execution", "ExecuteTime")


def load(name: str) -> dict:
    return json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))


def code_cells(nb: dict) -> list[dict]:
    return [cell for cell in nb["cells"] if cell["cell_type"] == "code"]


def markdown(nb: dict) -> str:
    return "\n".join(source(cell) for cell in nb["cells"] if cell["cell_type"] == "markdown")


def output_text(output: dict) -> str:
    """The text an output shows: a stream, an error, or the text-like parts of a display."""
    if output["output_type"] == "stream":
        text = output["text"]
    elif output["output_type"] == "error":
        text = output["ename"] + ": " + output["evalue"]
    else:
        text = "".join("".join(value) if isinstance(value, list) else str(value)
                       for key, value in output.get("data", {}).items()
                       if key.startswith("text/") or key.endswith("+json"))
    return text if isinstance(text, str) else "".join(text)


by_notebook = pytest.mark.parametrize("name", COURSE)


def test_the_course_notebooks_are_exactly_those_listed_in_order():
    assert sorted(path.name for path in NOTEBOOKS.glob("*.ipynb")) == COURSE
    assert [name[:2] for name in COURSE] == [f"{k:02d}" for k in range(len(COURSE))]


@by_notebook
def test_first_code_cell_turns_on_inline_plots(name):
    first = source(code_cells(load(name))[0]).splitlines()
    assert first and first[0].strip() == "%matplotlib inline"


@by_notebook
def test_no_code_cell_ends_with_a_semicolon(name):
    """nbval compares outputs, and a trailing ``;`` hides one only when run interactively."""
    for cell in code_cells(load(name)):
        lines = [line.split("#")[0].rstrip() for line in source(cell).splitlines()]
        code = [line for line in lines if line]
        assert not (code and code[-1].endswith(";")), source(cell)


@by_notebook
def test_links_to_its_exercise_notebook_and_the_next_notebook(name):
    text = markdown(load(name))
    assert f"](../exercises/{name[:3]}exercises_{name[3:]})" in text
    position = COURSE.index(name)
    following = COURSE[position + 1] if position + 1 < len(COURSE) else None
    if following and int(following[:2]) == int(name[:2]) + 1:
        assert f"]({following})" in text


@by_notebook
def test_has_a_recap(name):
    assert re.search(r"^## Recap", markdown(load(name)), flags=re.MULTILINE)


@by_notebook
def test_kernelspec_and_language_info_are_the_kernels_own_and_metadata_has_no_timings(name):
    """JupyterLab writes the kernel's `language_info` into a notebook it opens: anything else
    stored there marks an untouched notebook modified. (The exact version is the Python that
    executed the notebooks; the browser test checks it against the course kernel.)"""
    from ipykernel.ipkernel import IPythonKernel

    nb = load(name)
    assert nb["metadata"]["kernelspec"] == {
        "display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    stored, kernel = nb["metadata"]["language_info"], dict(IPythonKernel.language_info)
    assert set(stored) == set(kernel)
    assert {k: v for k, v in stored.items() if k != "version"} == {
        k: v for k, v in kernel.items() if k != "version"}
    assert re.fullmatch(r"3\.\d+\.\d+", stored["version"])
    for cell in nb["cells"]:
        assert not any(key in cell.get("metadata", {}) for key in TIMING_KEYS), cell["id"]


@by_notebook
def test_every_code_cell_was_executed_once_top_to_bottom(name):
    cells = code_cells(load(name))
    assert [cell["execution_count"] for cell in cells] == list(range(1, len(cells) + 1))
    assert any(cell["outputs"] for cell in cells)


@by_notebook
def test_errors_appear_only_in_cells_tagged_raises_exception(name):
    for cell in code_cells(load(name)):
        errors = [out for out in cell["outputs"] if out["output_type"] == "error"]
        tagged = "raises-exception" in cell.get("metadata", {}).get("tags", [])
        assert bool(errors) == tagged, source(cell)


@by_notebook
def test_animations_and_widgets_are_in_cells_nbval_ignores(name):
    for cell in code_cells(load(name)):
        text = source(cell)
        if any(call in text for call in UNSTABLE_OUTPUT):
            assert IGNORE_OUTPUT in cell["metadata"].get("tags", []), text


@pytest.mark.parametrize("path", sorted(
    str(p.relative_to(NOTEBOOKS.parent)) for folder in ("notebooks", "solutions", "exercises")
    for p in (NOTEBOOKS.parent / folder).glob("*.ipynb")))
def test_no_cell_source_carries_an_nbval_directive_comment(path):
    """A learner reads every line of a cell: nbval's directives go in the cell's tags."""
    nb = json.loads((NOTEBOOKS.parent / path).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        assert not re.search(r"#\s*NBVAL_", source(cell)), f"{path}: {source(cell)[:200]}"


@by_notebook
def test_stored_outputs_show_no_path_of_the_machine_that_ran_them(name):
    """A path such as /home/... or site-packages/... in an output (a warning's file name, say)
    differs on every machine, so nbval would fail on a fresh clone elsewhere."""
    machine_path = re.compile(r"(/home/|/Users/|/root/|/work/|site-packages|[A-Z]:\\)")
    for cell in code_cells(load(name)):
        if IGNORE_OUTPUT in cell["metadata"].get("tags", []):
            continue
        for output in cell["outputs"]:
            text = output_text(output)
            assert not machine_path.search(text), f"{name}: {text[:300]}"

"""Errors end at the learner's line in Jupyter: gradlab's own frames are left out of the
traceback (PyTorch's errors come from C++ and show none); GRADLAB_FULL_TRACEBACK=1 shows every
frame, and plain Python keeps complete tracebacks. Shown in Jupyter or by plain Python, the
message and its hint say ``torch.`` when the learner wrote ``import gradlab as torch``."""

from __future__ import annotations

import re
import subprocess
import sys
import types

import pytest

from gradlab import _traceback

ANSI = re.compile(r"\x1b\[[0-9;]*m")
CELLS = [
    "import gradlab as torch",
    "a = torch.ones(2, 3)\nb = torch.ones(4, 5)\na @ b",
    "w = torch.tensor(1., requires_grad=True)\nw += 1",
    "def forward(x):\n    return x @ torch.ones(3)\nforward(torch.ones(2))",
    "torch.ones(2).requires_grad_(True).sum().backward()\ntorch.ones(1, dtype='float')",
    "%env GRADLAB_FULL_TRACEBACK=1\ntorch.ones(2) @ torch.ones(3)",
]


@pytest.fixture(scope="module")
def errors() -> list[tuple[str, str, str]]:
    """(ename, evalue, traceback text) of each cell of CELLS run in a Jupyter kernel."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=60, allow_errors=True).execute()
    found = []
    for cell in nb.cells[1:]:
        [error] = [out for out in cell.outputs if out.output_type == "error"]
        found.append((error.ename, error.evalue, ANSI.sub("", "\n".join(error.traceback))))
    return found


def test_a_shape_error_in_jupyter_shows_only_the_learners_cell(errors):
    ename, evalue, text = errors[0]
    assert ename == "RuntimeError"
    assert evalue.startswith("mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)\nHint:")
    assert "----> 3 a @ b" in text
    assert "gradlab" not in text.split("----> 3 a @ b")[1].split("RuntimeError:")[0]
    assert "File " not in text and "skipping hidden" not in text


def test_an_inplace_update_of_a_leaf_ends_at_the_learners_line_and_hints_in_torch_names(errors):
    _, evalue, text = errors[1]
    assert evalue.startswith("a leaf Variable that requires grad is being used in an in-place "
                             "operation.")
    assert "torch.no_grad()" in evalue and "gradlab.no_grad" not in evalue
    assert "----> 2 w += 1" in text and "inplace.py" not in text


def test_the_learners_own_function_keeps_its_frame(errors):
    _, _, text = errors[2]
    assert "in forward(x)" in text and "----> 2     return x @ torch.ones(3)" in text
    assert "linalg.py" not in text


def test_a_message_naming_a_gradlab_type_uses_the_learners_name(errors):
    ename, evalue, _ = errors[3]
    assert ename == "TypeError"
    assert "torch.dtype" in evalue and "gradlab." not in evalue


def test_gradlab_full_traceback_shows_gradlabs_frames_again(errors):
    _, _, text = errors[4]
    assert "gradlab/ops/linalg.py" in text.replace("\\", "/")


def run_as(alias: str, lines: str) -> subprocess.CompletedProcess:
    """``lines`` run by plain Python after gradlab is imported as ``alias``."""
    imported = "import gradlab" if alias == "gradlab" else f"import gradlab as {alias}"
    return subprocess.run([sys.executable, "-c", f"{imported}\n{lines}"], capture_output=True,
                          text=True, timeout=60)


def test_plain_python_keeps_the_complete_traceback():
    run = run_as("torch", "torch.ones(2, 3) @ torch.ones(4, 5)")
    assert run.returncode == 1
    assert "gradlab/ops/linalg.py" in run.stderr.replace("\\", "/")
    assert "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)" in run.stderr


@pytest.mark.parametrize("alias", ["torch", "gradlab", "gl"])
def test_plain_python_shows_the_hint_in_the_learners_names_with_every_frame(alias):
    run = run_as(alias, f"w = {alias}.tensor(1., requires_grad=True)\nw += 1")
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()
    assert last[-2].startswith("RuntimeError: a leaf Variable that requires grad")
    assert last[-1] == f"Hint: update parameters inside `with {alias}.no_grad():`."
    assert "gradlab/ops/inplace.py" in run.stderr.replace("\\", "/")


@pytest.mark.parametrize("alias", ["torch", "gradlab"])
def test_a_warning_is_shown_in_the_learners_names(alias):
    run = run_as(alias, f"x = {alias}.tensor({alias}.ones(1))")
    assert run.returncode == 0
    assert "UserWarning: To copy construct from a tensor" in run.stderr
    assert f"rather than {alias}.tensor(sourceTensor)." in run.stderr


def test_a_recorded_warning_keeps_gradlabs_names(monkeypatch):
    import gradlab

    main = types.ModuleType("__main__")
    main.torch = gradlab
    monkeypatch.setitem(sys.modules, "__main__", main)
    with pytest.warns(UserWarning, match=r"rather than gradlab\.tensor\(sourceTensor\)"):
        gradlab.tensor(gradlab.ones(1))


def test_plain_python_leaves_an_excepthook_set_by_someone_else_alone():
    code = ("import sys\nmine = lambda *a: print('mine')\nsys.excepthook = mine\n"
            "import gradlab as torch\nassert sys.excepthook is mine\n"
            "torch.clamp(torch.ones(1))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert run.stdout == "mine\n" and run.stderr == ""


def test_a_message_contrasting_torch_and_gradlab_still_reads_right_in_torch_names(monkeypatch):
    import gradlab

    main = types.ModuleType("__main__")
    main.torch = gradlab
    monkeypatch.setitem(sys.modules, "__main__", main)
    with pytest.raises(RuntimeError) as caught:
        gradlab.load(_torch_file())
    shown = _traceback.in_learner_names(str(caught.value))
    assert shown.startswith("torch.load: this file was written by PyTorch's torch.save")
    assert "torch.save" not in shown.split("PyTorch's torch.save")[1]


def _torch_file():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize("names, alias", [
    ({"torch": "gradlab"}, "torch"),
    ({"gradlab": "gradlab"}, "gradlab"),
    ({"gl": "gradlab"}, "gl"),
    ({"gradlab": "gradlab", "torch": "gradlab"}, "torch"),
    ({}, "gradlab"),
])
def test_hints_use_the_name_the_main_module_gives_gradlab(names, alias, monkeypatch):
    import gradlab

    main = types.ModuleType("__main__")
    for name in names:
        setattr(main, name, gradlab)
    monkeypatch.setitem(sys.modules, "__main__", main)
    assert _traceback.learner_alias() == alias
    assert _traceback.in_learner_names("use gradlab.no_grad(), not gradlab/x.py") == (
        f"use {alias}.no_grad(), not gradlab/x.py")

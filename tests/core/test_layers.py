"""The package's imports run one way, bottom to top (docs/architecture.md): numerics, Tensor,
autograd, ops, nn/optim, plot/grading; and no module of the core imports inside a function."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "gradlab"

# (module prefix, layer): the first prefix that matches a module decides its layer
LAYERS = [
    ("gradlab._numerics", 0), ("gradlab._dtype", 0), ("gradlab._size", 0),
    ("gradlab._mt19937", 0), ("gradlab.random", 0), ("gradlab._tensor_str", 0),
    ("gradlab._state", 0), ("gradlab._layout", 0), ("gradlab._hints", 0), ("gradlab._device", 0),
    ("gradlab.tensor", 1),
    ("gradlab.autograd", 2),
    ("gradlab.ops", 3), ("gradlab._tensor_methods", 3),
    ("gradlab.plot", 5), ("gradlab.grading", 5), ("gradlab.cli", 5),
]
CORE = ("gradlab._numerics", "gradlab._dtype", "gradlab._size", "gradlab._mt19937",
        "gradlab._state", "gradlab._layout", "gradlab._device", "gradlab.random",
        "gradlab._tensor_str",
        "gradlab.tensor", "gradlab.autograd", "gradlab.ops", "gradlab._tensor_methods")


def layer(module: str) -> int:
    for prefix, number in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            return number
    return 4  # nn, optim, utils, datasets and the other user-facing modules


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name != "gradlab":  # the package itself gathers every layer
            found.append((name, path))
    return found


def imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The gradlab modules an import statement loads (``from gradlab import x`` is gradlab.x)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith("gradlab")]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parent = module.split(".") if is_package else module.split(".")[:-1]
            base = ".".join(parent[: len(parent) - node.level + 1] + ([base] if base else []))
        if base == "gradlab":
            return [f"gradlab.{a.name}" for a in node.names]
        return [base] if base.startswith("gradlab") else []
    return []


def top_level_imports(tree: ast.Module) -> list[ast.AST]:
    """Imports that run when the module loads (``if TYPE_CHECKING:`` blocks do not)."""
    out = []
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        out.extend(n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))
                   and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                             ast.ClassDef)))
    return out


@pytest.mark.parametrize(("module", "path"), modules(), ids=lambda v: str(v))
def test_imports_only_reach_down_the_layers(module: str, path: Path) -> None:
    tree = ast.parse(path.read_text())
    upward = [target for node in top_level_imports(tree)
              for target in imported(node, module, path.name == "__init__.py")
              if layer(target) > layer(module)]
    assert not upward, f"{module} (layer {layer(module)}) imports {upward} from above"


@pytest.mark.parametrize(("module", "path"), [m for m in modules() if m[0].startswith(CORE)],
                         ids=lambda v: str(v))
def test_the_core_imports_nothing_inside_functions(module: str, path: Path) -> None:
    tree = ast.parse(path.read_text())
    inside = []
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside += [ast.unparse(n) for n in ast.walk(fn)
                       if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert not inside, f"{module} imports inside a function: {inside}"


def test_import_gradlab_loads_no_plotting_library() -> None:
    """``import gradlab`` stays light: matplotlib (and nn, optim, plot, grading) load on use."""
    code = ("import sys, gradlab; print(sorted(m for m in ('matplotlib', 'gradlab.plot', "
            "'gradlab.grading', 'gradlab.nn', 'gradlab.optim') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

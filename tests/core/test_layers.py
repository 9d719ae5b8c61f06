"""The package's imports run one way, bottom to top (docs/architecture.md): numerics, Tensor,
autograd, ops, nn/optim, plot/grading; no two modules import each other (directly or round a
circle); no module of the core imports inside a function, and every import inside a function
elsewhere says why in a comment (``lazy``: for start-up time; ``optional``: a dependency
gradlab's core does not need); and modules are 100–400 lines, the shorter ones named in the
architecture page with their reason."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "gradlab"

# (module prefix, layer): the first prefix that matches a module decides its layer
LAYERS = [
    ("gradlab._numerics", 0), ("gradlab._dtype", 0), ("gradlab._size", 0),
    ("gradlab._mt19937", 0), ("gradlab.random", 0), ("gradlab._tensor_str", 0),
    ("gradlab._state", 0), ("gradlab._traceback", 0), ("gradlab._device", 0),
    ("gradlab.tensor", 1),
    ("gradlab.autograd", 2),
    ("gradlab.ops", 3), ("gradlab._tensor_methods", 3),
    ("gradlab.plot", 5), ("gradlab.grading", 5), ("gradlab.cli", 5),
]
CORE = ("gradlab._numerics", "gradlab._dtype", "gradlab._size", "gradlab._mt19937",
        "gradlab._state", "gradlab._device", "gradlab.random",
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


MODULES = dict(modules())


def imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The gradlab modules an import statement loads: ``from gradlab.nn import init`` is
    gradlab.nn.init (a module), ``from gradlab.nn import Module`` is gradlab.nn (the package),
    ``from gradlab import x`` is gradlab.x."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith("gradlab")]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parent = module.split(".") if is_package else module.split(".")[:-1]
            base = ".".join(parent[: len(parent) - node.level + 1] + ([base] if base else []))
        if base == "gradlab":
            return [f"gradlab.{a.name}" for a in node.names]
        if not base.startswith("gradlab"):
            return []
        return sorted({f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                       for a in node.names})
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


def test_import_gradlab_plot_and_grading_load_no_optional_library() -> None:
    """What their lazy imports are for: ``gradlab.plot`` and ``gradlab.grading`` import fast;
    matplotlib, seaborn, ipywidgets, nbformat, dask and scikit-learn load on first use."""
    code = ("import sys, gradlab.plot, gradlab.grading; print(sorted(m for m in ('matplotlib', "
            "'seaborn', 'ipywidgets', 'PIL', 'nbformat', 'dask', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _module_of(target: str) -> str:
    """The module a dotted import target names, or holds (``gradlab.tensor.Tensor`` -> tensor)."""
    while target not in MODULES and "." in target:
        target = target.rsplit(".", 1)[0]
    return target


def _cycle_from(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of imports in ``graph`` (module -> modules it imports), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if start in state:
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def test_no_modules_import_each_other_at_top_level() -> None:
    """A circle of imports (a imports b imports a) works only in one import order: gradlab's
    modules, packages included, form none (``if TYPE_CHECKING:`` imports do not count)."""
    graph: dict[str, set[str]] = {}
    for module, path in [("gradlab", PACKAGE / "__init__.py"), *MODULES.items()]:
        tree = ast.parse(path.read_text())
        graph[module] = {_module_of(target) for node in top_level_imports(tree)
                         for target in imported(node, module, path.name == "__init__.py")}
        graph[module].discard(module)
    assert _cycle_from(graph) is None, " -> ".join(_cycle_from(graph))


def test_the_circle_finder_finds_a_circle() -> None:
    assert _cycle_from({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle_from({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


WHY = re.compile(r"#.*\b(lazy|optional)\b", re.IGNORECASE)


def unexplained_imports_in_functions(source: str) -> list[str]:
    """Each import inside a function whose reason is not given by a comment: on one of its
    lines, or on the comment line just above it (or above the imports it follows)."""
    lines = source.splitlines()
    tree = ast.parse(source)
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            said = lines[node.lineno - 1: node.end_lineno]
            above = node.lineno - 2
            while above >= 0 and re.match(r"\s*(import |from \S+ import )", lines[above]):
                above -= 1  # a block of imports shares the comment above its first line
            while above >= 0 and lines[above].lstrip().startswith("#"):
                said.append(lines[above])
                above -= 1
            if not any(WHY.search(line) for line in said):
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


@pytest.mark.parametrize(("module", "path"), modules(), ids=lambda v: str(v))
def test_every_import_inside_a_function_says_why(module: str, path: Path) -> None:
    """An import inside a function is there for start-up time (``# lazy: ...``) or because it
    loads an optional dependency (``# optional ...``), never to dodge a circle of imports."""
    unexplained = unexplained_imports_in_functions(path.read_text())
    assert not unexplained, f"{module} imports inside a function without saying why: {unexplained}"


def test_an_unexplained_import_in_a_function_is_found() -> None:
    source = ("def f():\n    import json\n\n"
              "def g():\n    import matplotlib  # optional dependency, loaded on first use\n\n"
              "def h():\n    # lazy: slow\n    import os\n    from sys import path\n"
              "\ndef k():\n    # a comment that gives no reason\n    import re\n")
    assert unexplained_imports_in_functions(source) == ["line 2: import json",
                                                        "line 14: import re"]


ARCHITECTURE = PACKAGE.parent / "docs" / "architecture.md"


def short_modules_explained() -> str:
    """The architecture page's paragraph that names the modules shorter on purpose."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    start = text.index("Modules are 100–400 lines")
    return text[start:text.index("\n\n", start)]


@pytest.mark.parametrize(("module", "path"), modules(), ids=lambda v: str(v))
def test_every_module_is_at_most_400_lines_and_a_shorter_one_says_why(
        module: str, path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 400, f"{module} has {lines} lines: split it by job (docs/architecture.md)"
    if lines < 100 and path.name != "__init__.py":
        where = path.relative_to(PACKAGE).as_posix()
        named = short_modules_explained()
        assert f"`{where}`" in named or f"`{path.parent.relative_to(PACKAGE).as_posix()}/`" \
            in named, f"{where} has {lines} lines: merge it, or say in docs/architecture.md why not"


def test_the_short_module_list_names_only_modules_that_exist() -> None:
    named = re.findall(r"`([\w/]+\.py|[\w]+/)`", short_modules_explained())
    missing = [name for name in named if name != "__init__.py"
               and not name.startswith("tests/") and not (PACKAGE / name).exists()]
    assert named and not missing, missing

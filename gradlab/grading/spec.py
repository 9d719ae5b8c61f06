"""The authoring format, read from source text: solution regions and ``check(...)`` calls.

Everything here works on plain strings, never runs the author's code: the batch grader
learns a question's points, expected values and inputs by parsing the solution notebook.
"""

from __future__ import annotations

import ast
import math
import re
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN CHECKS"
END_HIDDEN = "### END HIDDEN CHECKS"
QUESTION_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


class AuthoringError(ValueError):
    """The solution notebook does not follow the authoring format."""


class _Missing:
    """Marks an argument the author did not give (``None`` is a real expected value)."""

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class TensorLiteral:
    """``torch.tensor(data, requires_grad=...)`` written in a check: becomes a tensor input."""

    data: Any
    requires_grad: bool = False


@dataclass
class CheckSpec:
    """One ``check(question, answer, ...)`` call: what to evaluate and what it should equal."""

    question: str
    expr: str
    points: float = 1.0
    expect: Any = MISSING
    calls: list | None = None
    random: int = 0
    like: int = 0
    seed: int | None = None
    rtol: float = 1e-4
    atol: float = 1e-6
    start: Any = MISSING
    lr: float | None = None
    mistakes: list = field(default_factory=list)
    factors: list = field(default_factory=list)
    literal: list = field(default_factory=list)
    hidden: bool = False
    line: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.question, str) or not QUESTION_ID.match(self.question):
            raise AuthoringError(
                f"question id {self.question!r} must be a short name like '04.q2' "
                "(letters, digits, '.', '_' and '-')"
            )
        if not isinstance(self.points, (int, float)) or self.points < 0:
            raise AuthoringError(f"{self.question}: points must be a number >= 0")
        if self.calls is not None:
            self.calls = [tuple(args) if isinstance(args, (list, tuple)) else (args,)
                          for args in self.calls]
            if self.expect is not MISSING and (
                not isinstance(self.expect, (list, tuple)) or len(self.expect) != len(self.calls)
            ):
                raise AuthoringError(
                    f"{self.question}: with calls=, expect= is a list with one output per call"
                )
        if self.random and not self.calls:
            raise AuthoringError(
                f"{self.question}: random= needs calls= (random inputs copy the shapes of a call)"
            )
        if self.calls and not 0 <= self.like < len(self.calls):
            raise AuthoringError(f"{self.question}: like= must index one of the calls")
        self.literal = [self.literal] if isinstance(self.literal, str) else list(self.literal)
        if not all(isinstance(name, str) and name.isidentifier() for name in self.literal):
            raise AuthoringError(f"{self.question}: literal= names variables, such as "
                                 "literal=\"predicted\"")
        factors = []
        for item in self.factors or []:
            if not (isinstance(item, (list, tuple)) and len(item) == 2
                    and isinstance(item[0], (int, float)) and isinstance(item[1], str)):
                raise AuthoringError(f"{self.question}: factors= is a list of "
                                     "(factor, \"what it means\") pairs")
            factors.append((float(item[0]), item[1]))
        self.factors = factors

    @property
    def is_function(self) -> bool:
        """True when the answer is a function the check calls on inputs."""
        return self.calls is not None

    @property
    def random_seed(self) -> int:
        """The seed of the random inputs: given, or derived from the question and expression."""
        if self.seed is not None:
            return int(self.seed)
        return zlib.crc32(f"{self.question}:{self.expr}".encode())


CHECK_KEYWORDS = {
    "points", "expect", "calls", "random", "like", "seed", "rtol", "atol", "start", "lr",
    "mistakes", "factors", "literal",
}


def solution_regions(source: str) -> list[tuple[int, int, str]]:
    """Return ``(begin_line, end_line, indent)`` of every solution region, 0-based lines."""
    regions, begin = [], None
    for number, line in enumerate(source.splitlines()):
        text = line.strip()
        if text == BEGIN_SOLUTION:
            if begin is not None:
                raise AuthoringError(f"line {number + 1}: {BEGIN_SOLUTION} inside another one")
            begin = (number, line[: len(line) - len(line.lstrip())])
        elif text == END_SOLUTION:
            if begin is None:
                raise AuthoringError(f"line {number + 1}: {END_SOLUTION} without a BEGIN")
            regions.append((begin[0], number, begin[1]))
            begin = None
    if begin is not None:
        raise AuthoringError(f"line {begin[0] + 1}: {BEGIN_SOLUTION} is never closed")
    return regions


def hidden_lines(source: str) -> set[int]:
    """1-based line numbers inside ``### BEGIN/END HIDDEN CHECKS`` (markers included)."""
    lines, inside = set(), False
    for number, line in enumerate(source.splitlines(), start=1):
        text = line.strip()
        if text == BEGIN_HIDDEN:
            if inside:
                raise AuthoringError(f"line {number}: {BEGIN_HIDDEN} inside another one")
            inside = True
        if inside:
            lines.add(number)
        if text == END_HIDDEN:
            if not inside:
                raise AuthoringError(f"line {number}: {END_HIDDEN} without a BEGIN")
            inside = False
    if inside:
        raise AuthoringError(f"{BEGIN_HIDDEN} is never closed")
    return lines


def _is_check_call(node: ast.AST) -> bool:
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return False
    func = node.value.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    args = node.value.args
    return (name == "check" and bool(args) and isinstance(args[0], ast.Constant)
            and isinstance(args[0].value, str))


def is_check_source(source: str) -> bool:
    """True when a code cell's source holds at least one ``check("id", ...)`` call."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return any(_is_check_call(node) for node in tree.body)


def check_cell_question(source: str) -> str | None:
    """The (first) question of a cell of only ``check("03.q1", ...)`` calls and imports."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    calls = [node for node in tree.body if _is_check_call(node)]
    others = [node for node in tree.body
              if not _is_check_call(node) and not isinstance(node, (ast.Import, ast.ImportFrom))]
    if not calls or others:
        return None
    return calls[0].value.args[0].value


def parse_checks(source: str) -> list[CheckSpec]:
    """Parse a check cell into its checks; raise :class:`AuthoringError` on anything else."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise AuthoringError(f"check cell does not parse: {error}") from None
    hidden = hidden_lines(source)
    specs = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if not _is_check_call(node):
            raise AuthoringError(
                f"line {node.lineno}: a check cell holds only check(...) calls and imports; "
                "move other code to the cell above"
            )
        specs.append(_parse_call(node.value, source, hidden_line=node.lineno in hidden))
    return specs


def _parse_call(call: ast.Call, source: str, hidden_line: bool) -> CheckSpec:
    question = call.args[0].value
    if len(call.args) != 2:
        raise AuthoringError(f"{question}: write check({question!r}, \"expression\", ...)")
    answer = call.args[1]
    if isinstance(answer, ast.Constant) and isinstance(answer.value, str):
        expr = answer.value
    else:
        expr = ast.get_source_segment(source, answer) or ast.unparse(answer)
    try:
        compile(expr, "<check>", "eval")
    except SyntaxError:
        raise AuthoringError(f"{question}: the answer {expr!r} is not an expression") from None
    options = {}
    for keyword in call.keywords:
        if keyword.arg not in CHECK_KEYWORDS:
            raise AuthoringError(
                f"{question}: unknown option {keyword.arg}=; known: {sorted(CHECK_KEYWORDS)}"
            )
        try:
            options[keyword.arg] = literal(keyword.value)
        except ValueError as error:
            raise AuthoringError(f"{question}: {keyword.arg}= {error}") from None
    return CheckSpec(question, expr, hidden=hidden_line, line=call.lineno, **options)


_CONSTANTS = {"nan": math.nan, "inf": math.inf, "pi": math.pi, "e": math.e}
_ARRAY_MAKERS = {"array", "asarray", "tensor", "as_tensor", "Tensor", "float32", "float64",
                 "int32", "int64"}
_OPERATORS = {ast.Add: float.__add__, ast.Sub: float.__sub__, ast.Mult: float.__mul__,
              ast.Div: float.__truediv__, ast.Pow: float.__pow__}


def literal(node: ast.AST) -> Any:
    """Evaluate a literal written in a check: numbers, lists, ``np.array(...)``, ``tensor(...)``."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [literal(item) for item in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.Dict):
        return {literal(key): literal(value) for key, value in zip(node.keys, node.values)}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = literal(node.operand)
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = literal(node.left), literal(node.right)
        if isinstance(left, (int, float)) and isinstance(right, (int, float)):
            result = _OPERATORS[type(node.op)](float(left), float(right))
            both_int = isinstance(left, int) and isinstance(right, int)
            return int(result) if both_int and result == int(result) else result
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
    if isinstance(node, (ast.Name, ast.Attribute)) and name in _CONSTANTS:
        return _CONSTANTS[name]
    if isinstance(node, ast.Call):
        func = node.func
        fname = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if fname == "float" and len(node.args) == 1:
            return float(literal(node.args[0]))
        if fname in _ARRAY_MAKERS and len(node.args) == 1:
            return _array_literal(fname, literal(node.args[0]), node.keywords)
    raise ValueError(
        f"must be a literal (numbers, lists, None, np.array([...]), torch.tensor([...])), "
        f"not {ast.unparse(node)!r}"
    )


def _array_literal(maker: str, data: Any, keywords: list[ast.keyword]) -> Any:
    options = {}
    for keyword in keywords:
        value = keyword.value
        if keyword.arg == "dtype":
            options["dtype"] = (value.value if isinstance(value, ast.Constant)
                                else getattr(value, "attr", getattr(value, "id", None)))
        elif keyword.arg == "requires_grad":
            options["requires_grad"] = bool(literal(value))
    if maker in ("float32", "float64", "int32", "int64"):
        return np.dtype(maker).type(data)
    if maker in ("tensor", "as_tensor", "Tensor"):
        dtype = options.get("dtype") or ("float32" if _has_float(data) or maker == "Tensor"
                                         else "int64")
        return TensorLiteral(np.asarray(data, dtype=dtype), options.get("requires_grad", False))
    return np.asarray(data, dtype=options.get("dtype"))


def _has_float(data: Any) -> bool:
    if isinstance(data, (list, tuple)):
        return any(_has_float(item) for item in data)
    return isinstance(data, float)


NOT_LITERAL: Any = type("NotLiteral", (), {"__repr__": lambda self: "NOT_LITERAL"})()


def _bound_names(node: ast.stmt) -> set[str]:
    """Names a top-level statement binds (assignments, loops, imports, defs, walrus, del)."""
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            names.add(sub.id)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(sub.name)
        elif isinstance(sub, ast.alias):
            names.add((sub.asname or sub.name).split(".")[0])
        elif isinstance(sub, (ast.Global, ast.Nonlocal)):
            names.update(sub.names)
    return names


def written_literals(sources: list[str], names: list[str]) -> dict[str, Any]:
    """For each name, the literal its last top-level binding in ``sources`` assigns.

    A name bound any other way last (computed, copied, rebound in a loop, imported, ...) maps
    to ``NOT_LITERAL``: a prediction must be written out, not computed. A name never bound is
    left out.
    """
    found: dict[str, Any] = {}
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            bound = _bound_names(node) & set(names)
            for name in bound:
                found[name] = NOT_LITERAL
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name) and node.targets[0].id in names):
                try:
                    found[node.targets[0].id] = literal(node.value)
                except (ValueError, TypeError, ArithmeticError):
                    pass
    return found

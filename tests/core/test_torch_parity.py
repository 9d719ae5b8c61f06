"""The same code under PyTorch and under gradlab shows the same thing (skipped without torch).

Each snippet is run twice, once with ``torch`` bound to PyTorch and once to gradlab; the value
of its last expression is reduced to what a learner sees (repr text, dtype, shape, grad_fn
name, values, gradients), along with warnings and errors (type and first line), with
``torch.`` read as ``gradlab.``. The tables of the other test modules, whose expected text was
written in by hand, are checked against torch here too, so they cannot drift from PyTorch.
Known differences are listed in ``KNOWN_MISMATCHES`` and run as strict xfails.
"""

from __future__ import annotations

import ast
import re
import warnings
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.parity

from test_autograd_rules import GRAD_FN_NAMES  # noqa: E402
from test_errors import PYTORCH_ERRORS  # noqa: E402
from test_tensor_api import REPRS  # noqa: E402

import gradlab  # noqa: E402
from gradlab.ops._util import NUMPY_FLOAT_WARNINGS  # noqa: E402

# PyTorch gives this warning once per process, so whether a snippet shows it depends on the
# snippets before it; test_autograd_rules.py checks it in a fresh interpreter instead.
ONCE_PER_PROCESS = "Using backward() with create_graph=True"


def normalise(text: str) -> str:
    """PyTorch's text with gradlab's names, object addresses and C++ locations removed."""
    text = text.replace("torch.", "gradlab.").replace("torch::", "gradlab::")
    text = text.replace("'torch'", "'gradlab'")
    text = re.sub(r" \(Triggered internally at [^)]*\)\.?", "", text)
    return re.sub(r"0x[0-9a-f]+", "0x?", text)


def describe(value: Any, lib: Any) -> Any:
    """What a learner sees of a value: text, and for tensors dtype, shape, history and values."""
    if isinstance(value, lib.Tensor):
        fn = value.grad_fn
        return ("tensor", normalise(repr(value)), normalise(str(value.dtype)), tuple(value.shape),
                value.requires_grad, value.is_leaf, None if fn is None else normalise(fn.name()),
                value.detach().numpy().tolist())
    if isinstance(value, (list, tuple)) and type(value) in (list, tuple):
        return (type(value).__name__, [describe(v, lib) for v in value])
    if hasattr(value, "next_functions"):
        return ("node", normalise(value.name()), [None if n is None else (normalise(n.name()), i)
                                                  for n, i in value.next_functions])
    return ("value", normalise(repr(value)))


def run(code: str, lib: Any) -> dict[str, Any]:
    """Execute ``code`` with ``torch`` bound to ``lib``; describe its last expression."""
    ns = {"torch": lib, "np": np}
    tree = ast.parse(code)
    last = tree.body.pop() if isinstance(tree.body[-1], ast.Expr) else None
    result: dict[str, Any] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # every warning, even one already shown...
        warnings.filterwarnings("ignore", **NUMPY_FLOAT_WARNINGS)  # ...but those gradlab hides
        try:
            exec(compile(tree, "<snippet>", "exec"), ns)
            if last is not None:
                value = eval(compile(ast.Expression(last.value), "<snippet>", "eval"), ns)
                result["value"] = describe(value, lib)
        except Exception as e:  # noqa: BLE001 - the error is what we compare
            first = str(e).splitlines()[0] if str(e) else ""
            result["error"] = (type(e).__name__, normalise(first))
    result["warnings"] = [(w.category.__name__, normalise(str(w.message).splitlines()[0]))
                          for w in caught if not issubclass(w.category, DeprecationWarning)
                          and not str(w.message).startswith(ONCE_PER_PROCESS)]
    return result


def assert_same(ours: Any, theirs: Any, path: str = "") -> None:
    """Equal, except float values, which may differ in the last bit (rtol 1e-6)."""
    if isinstance(theirs, float) and isinstance(ours, float):
        assert ours == pytest.approx(theirs, rel=1e-6, abs=1e-12, nan_ok=True), path
    elif isinstance(theirs, (list, tuple)) and isinstance(ours, (list, tuple)):
        assert len(ours) == len(theirs), f"{path}: {ours!r} != {theirs!r}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(theirs, dict):
        assert ours.keys() == theirs.keys(), f"{path}: {ours!r} != {theirs!r}"
        for k in theirs:
            assert_same(ours[k], theirs[k], f"{path}.{k}")
    else:
        assert ours == theirs, path


def check(code: str) -> None:
    theirs = run(code, torch)
    ours = run(code, gradlab)
    assert_same(ours, theirs, "result")


# -- the hand-written tables of the other modules, checked against torch ------------------------


@pytest.mark.parametrize("name", PYTORCH_ERRORS)
def test_error_table_matches_torch(name: str) -> None:
    code, exc, first = PYTORCH_ERRORS[name]
    assert run(code, torch)["error"] == (exc.__name__, first)


@pytest.mark.parametrize("name", REPRS)
def test_repr_table_matches_torch(name: str) -> None:
    code, expected = REPRS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = eval(code, {"torch": torch, "np": np})
    shown = value if name.startswith(("str_", "format_")) else repr(value)
    assert normalise(shown) == expected


@pytest.mark.parametrize("expression", GRAD_FN_NAMES)
def test_grad_fn_table_matches_torch(expression: str) -> None:
    x = torch.tensor([[0.5, 1.5, 2.0], [1.0, 3.0, 2.5]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = eval(expression, {"x": x, "gradlab": torch})
    assert y.grad_fn.name() == GRAD_FN_NAMES[expression]


# -- gradients of every op against torch's, on the same random inputs --------------------------

GRADIENTS = [
    "x + y", "x - y", "y - x", "x * y", "x / y", "y / x", "x ** 2", "x ** 0.5", "x ** y",
    "2 ** x", "2.5 - x", "1 / x", "-x", "y.abs()", "x.exp()", "x.log()", "x.sqrt()", "y.sin()",
    "y.cos()", "y.tanh()", "y.sigmoid()", "y.relu()", "y.square()", "y.reciprocal()",
    "y.clamp(-0.5, 0.5)", "x.clamp(min=1.0)", "x.clamp(y)", "x.clamp(max=y)",
    "x.clamp(y, y + 1)", "torch.maximum(x, y)", "torch.minimum(x, y)", "x.sum()", "x.sum(0)",
    "x.sum((0, 1), keepdim=True)", "x.mean()", "x.mean(1)", "x.var()", "x.var(0)",
    "x.std(1, keepdim=True)", "x.std(correction=0)", "x.norm()", "x.norm(dim=0)",
    "y.norm(p=1)", "x.norm(3, dim=1)", "x.norm(float('inf'))", "x.max()", "x.min()",
    "x.max(1).values", "x.min(0, keepdim=True)[0]", "x.logsumexp(1)", "x.softmax(1)",
    "x.log_softmax(0)", "x @ y", "x @ w", "y @ w", "y @ y", "x.unsqueeze(0).expand(4, 2, 3) @ w",
    "x @ torch.ones(4, 3, 2, dtype=torch.float64)", "torch.mm(x, w)", "torch.mv(x, y)",
    "torch.dot(y, y)", "torch.bmm(x.unsqueeze(0), w.unsqueeze(0))", "x.t() @ x",
    "x.reshape(3, 2)", "x.t().reshape(6)", "x.view(6)", "x.flatten()",
    "x.unsqueeze(1).squeeze()", "x.T", "x.mT", "x.permute(1, 0)", "x.transpose(0, 1)",
    "y.expand(2, 3)", "x[0]", "x[-1, -1]", "x[:, 1:]", "x[:, ::2]", "x[..., None]",
    "x[[0, 1, 0]]", "x[x > 1.0]", "x[1, [0, 2, 2]]", "x[[0, 1], [2, 0]]", "x[True]",
    "x.unbind(1)", "tuple(x)", "x.split(2, 1)", "x.chunk(2, 1)", "torch.stack([x, x * 2], 1)",
    "torch.cat([x, w.t()], 0)", "torch.where(x > 1.0, x, y)", "torch.where(x > 1.0, x, 0.0)",
    "x.masked_fill(x > 1.0, 0.0)", "x.masked_fill(x > 1.0, y.sum())", "x.clone()", "x % 0.7",
    "x.float()", "(x * 1).add_(y)", "(x * 1).sub_(y, alpha=2)", "(x * 1).mul_(y)",
    "(x * 1).div_(y)", "(x * 1).pow_(2)", "(x * 1).exp_()", "(x * 1).clamp_(1.0, 1.5)",
    "(x * 1).zero_() + y", "(x * 1).fill_(y.sum())", "(x * 1).copy_(y)",
    "(lambda z: (z[0].mul_(y), z)[1])(x * 1)", "(lambda z: (z.t().exp_(), z)[1])(x * 1)",
    "(lambda z: (z.__setitem__((0, 1), y[0]), z)[1])(x * 1)",
    "(lambda z: (z.__setitem__(z > 1.0, y[2]), z)[1])(x * 1)",
    "(lambda z: (z[1].__setitem__(slice(0, 2), y[:2]), z)[1])(x.clone())",
]

INPUTS = {  # float64, distinct, away from kinks: x > 0.5, y and w of both signs
    "x": [[0.7, 1.3, 1.9], [1.1, 0.9, 1.6]],
    "y": [0.35, -0.8, 1.45],
    "w": [[0.5, -1.2], [0.3, 0.8], [-0.6, 1.1]],
}


def forward_backward(expression: str, lib: Any) -> tuple:
    """Values of the output(s) and gradients of the inputs, after a weighted backward."""
    leaves = {k: lib.tensor(v, dtype=lib.float64, requires_grad=True) for k, v in INPUTS.items()}
    out = eval(expression, {"torch": lib, **leaves})
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    rng = np.random.default_rng(0)
    loss = sum((o * lib.tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype)).sum()
               for o in outs)
    loss.backward()
    return ([(o.grad_fn.name(), str(o.dtype), o.detach().numpy().tolist()) for o in outs],
            {k: None if t.grad is None else t.grad.numpy().tolist() for k, t in leaves.items()})


@pytest.mark.parametrize("expression", GRADIENTS)
def test_values_and_gradients_match_torch(expression: str) -> None:
    theirs = forward_backward(expression, torch)
    ours = forward_backward(expression, gradlab)
    theirs[0][:] = [(normalise(name), normalise(dt), v) for name, dt, v in theirs[0]]
    assert_same(ours, theirs, "outputs and grads")


# -- snippets: what a learner types, and what PyTorch shows ------------------------------------

SNIPPETS = [
    'torch.tensor(1.) + torch.tensor([1,2])',
    'torch.tensor([1, 2]) // 2',
    'torch.tensor([1., 2.]) * torch.tensor(2., dtype=torch.float64)',
    'torch.tensor([True]) * 2.5',
    'torch.tensor([1, 2]) ** 0.5',
    'torch.tensor([1, 2]) ** -1',
    '2.5 ** torch.tensor([1, 2])',
    'torch.tensor([1, 2]) ** torch.tensor([2., 3.])',
    'torch.exp(torch.tensor([1, 2]))',
    'torch.tensor([-1, 2]).abs()',
    'torch.tensor([-1, 2]).sigmoid()',
    'torch.tensor([-1, 2]).clamp(0, 1)',
    'torch.tensor([-1., 2.]).clamp(min=0)',
    'torch.tensor([1, 2]).square()',
    'torch.tensor([3, 2]).sum()',
    'torch.tensor([[1., 2.], [3., 4.]]).mean(-1)',
    'torch.tensor([1.]).std()',
    'torch.tensor([[1., 2.], [3., 5.]]).norm()',
    'torch.tensor([[1., 2.], [3., 5.]]).norm(dim=1)',
    "torch.tensor([[1., -2.], [3., 5.]]).norm(float('inf'))",
    'torch.tensor([[1, 2], [3, 5]]).max()',
    'torch.max(torch.tensor([1., 7.]), torch.tensor([3., 5.]))',
    '(torch.tensor([1., 2., 3.]) > 2).dtype',
    'torch.ones(2, 3) @ torch.ones(2, 3)',
    'torch.ones(2, 2, 3) @ torch.ones(2, 4, 5)',
    'torch.ones(2, 2, 3) @ torch.ones(3, 3, 5)',
    'torch.ones(2, 3) + torch.ones(2)',
    'torch.ones(2, 3) * torch.ones(3, 2)',
    'torch.tensor(3.).item()',
    'torch.tensor([1., 2.], dtype="float32")',
    'torch.zeros(2, dtype=float)',
    'torch.zeros(2, dtype=int)',
    'torch.zeros(2, dtype=torch.float32).requires_grad_()',
    'x = torch.tensor([1, 2]); x.requires_grad = True',
    'x = torch.tensor([1., 2.], requires_grad=True); (x * 2).backward()',
    'x = torch.tensor([1., 2.], requires_grad=True); y = (x * x).sum(); y.backward(); y.backward()',
    'x = torch.tensor([1., 2.], requires_grad=True); x.add_(1)',
    'x = torch.tensor([1., 2.], requires_grad=True); x += 1',
    'x = torch.tensor([1., 2.], requires_grad=True); x[0] = 1',
    'x = torch.tensor([1., 2.], requires_grad=True)\nwith torch.no_grad(): x.add_(1)\nx',
    'x = torch.tensor([1., 2.], requires_grad=True); y = x.exp(); y.add_(1); y.sum().backward()',
    ('x = torch.tensor([1., 2.], requires_grad=True); y = x * 2; z = y * y; y.add_(1); '
     'z.sum().backward()'),
    ('x = torch.tensor([[1., 2.]], requires_grad=True); y = x.sigmoid(); z = y * 2; y.mul_(3); '
     'z.sum().backward()'),
    ('x = torch.tensor([1., 2.], requires_grad=True); y = x ** 2; x.data.add_(1); '
     'y.sum().backward(); x.grad'),
    'x = torch.tensor([1., 2.], requires_grad=True); y = x * 3; y.grad',
    ('x = torch.tensor([1., 2.], requires_grad=True); y = x * 3; y.retain_grad(); '
     'y.sum().backward(); y.grad'),
    ('x = torch.tensor([1., 2.], requires_grad=True); y = x * 3; y.sum().backward(); '
     'x.grad, x.is_leaf, y.is_leaf, y.requires_grad'),
    ('x = torch.tensor([1., 2.], requires_grad=True); (x * 3).sum().backward(); '
     '(x * 3).sum().backward(); x.grad'),
    'x = torch.tensor([1., 2.]); x.grad, x.is_leaf, x.requires_grad',
    'x = torch.tensor([1., 2.], requires_grad=True); x.detach(), x.detach().requires_grad, x.data',
    'x = torch.tensor([1., 2.], requires_grad=True); x.numpy()',
    'x = torch.tensor([1., 2.], requires_grad=True); f"{x.sum():.2f}"',
    'x = torch.tensor([1., 2.]); f"{x:.2f}"',
    'x = torch.tensor([[1., 2.],[3., 4.]]); x[0, 5]',
    'x = torch.tensor([[1., 2.],[3., 4.]]); x[5]',
    'x = torch.tensor([[1., 2.],[3., 4.]]); x[0, 0, 0]',
    'x = torch.tensor([[1., 2.],[3., 4.]]); x[[0, 3]]',
    'torch.tensor([1., 2.]).view(3)',
    'torch.tensor([1., 2.]).reshape(3, -1)',
    'torch.ones(2,3).t().view(-1)',
    'torch.ones(2,3).unsqueeze(3)',
    ('torch.where(torch.tensor([True, False]), torch.tensor([1., 2.]), '
     'torch.tensor([3., 4.], dtype=torch.float64))'),
    'torch.tensor([1., 2.]).to("cuda")',
    'torch.tensor([1., 2.]).max(dim=3)',
    'torch.tensor([1., 2.]).sum(dim=(0, 0))',
    'torch.tensor([[1., 2.]]).softmax(0)',
    'torch.tensor([[1., 2.]]).softmax(dim=1)',
    'torch.tensor([[1, 2]]).softmax(dim=1)',
    'torch.tensor([[1., 2.]]).log_softmax(dim=-1)',
    'torch.tensor([1., 2.]).softmax()',
    'torch.ones(2, 3, dtype=torch.float64) @ torch.ones(3)',
    'torch.ones(3) @ torch.ones(3, 2, dtype=torch.float64)',
    'torch.ones(2, 3, dtype=torch.int64) @ torch.ones(3, 2)',
    'torch.device("cuda")',
    'torch.device("gpu")',
    'torch.zeros(2, device="cuda")',
    'torch.tensor([1.], device="cuda")',
    'torch.tensor([1.]).cuda()',
    'torch.tensor([1.]).to("cpu")',
    'torch.tensor([1.]).device',
    'torch.mv(torch.ones(2, 3), torch.ones(4))',
    'torch.mm(torch.ones(2, 3), torch.ones(4, 3))',
    'torch.dot(torch.ones(2), torch.ones(3))',
    'torch.bmm(torch.ones(2, 2, 3), torch.ones(2, 4, 3))',
    'torch.ones(2, 2, 3) @ torch.ones(4, 3)',
    'torch.ones(2, 2, 3) @ torch.ones(4)',
    'torch.ones(2) @ torch.ones(2, 4, 3)',
    'torch.ones(2, 3) @ 2',
    'torch.tensor([1., 2.]) + "a"',
    'torch.tensor([1., 2.]) + [1, 2]',
    'torch.tensor([1., 2.]) + None',
    'torch.tensor([[1., 2.], [3, 4]]).tolist()',
    'torch.tensor("abc")',
    'torch.zeros(2).to("float64")',
    'torch.zeros(2).to(torch.int64)',
    'torch.zeros(2, requires_grad=True).long()',
    'torch.zeros(2, requires_grad=True).int().requires_grad',
    'torch.zeros(2, requires_grad=True).double()',
    'list(torch.tensor(1.))',
    'torch.tensor([1., 2.]).size(2)',
    'torch.tensor([1., 2.]).sum(1)',
    'torch.tensor([1., 2.]).backward()',
    ('x = torch.tensor([1., 2.], requires_grad=True); '
     'torch.autograd.grad(x.sum(), x, create_graph=True)'),
    ('x = torch.tensor([1., 2.], requires_grad=True); z = torch.tensor(1., requires_grad=True); '
     'torch.autograd.grad(x.sum(), [x, z])'),
    ('x = torch.tensor([1., 2.], requires_grad=True); z = torch.tensor(1., requires_grad=True); '
     'torch.autograd.grad(x.sum(), [x, z], allow_unused=True)'),
    ('x = torch.tensor([1., 2.], requires_grad=True); z = torch.tensor(1.); '
     'torch.autograd.grad(x.sum(), [x, z])'),
    'x = torch.tensor([1., 2.], requires_grad=True); torch.autograd.grad(x * 2, x)',
    'x = torch.tensor([1., 2.], requires_grad=True); torch.autograd.grad(x * 2, x, torch.ones(3))',
    'x = torch.tensor([1., 2.], requires_grad=True); (x*2).backward(torch.ones(3))',
    ('x = torch.tensor([1., 2.], requires_grad=True); (x*2).backward(torch.tensor([1., 0.5])); '
     'x.grad'),
    ('x = torch.tensor([1., 2.], requires_grad=True); y = x * 2; '
     'torch.autograd.grad(y.sum(), x); torch.autograd.grad(y.sum(), x)'),
    ('x = torch.tensor([1., 2.], requires_grad=True); y = x * x; '
     'torch.autograd.grad(y.sum(), x); torch.autograd.grad(y.sum(), x)'),
    ('x = torch.tensor([1., 2.], requires_grad=True); y = x * 2; '
     'y.sum().backward(retain_graph=True); y.sum().backward(); x.grad'),
    ('x = torch.tensor([1., 2.], requires_grad=True); y = x.exp(); y.sum().backward(); '
     'y.grad_fn.next_functions'),
    ('x = torch.tensor([1., 2.], requires_grad=True); y = x * 2; '
     'y.grad_fn.next_functions[0][0].variable is x'),
    ('x = torch.tensor([1., 2.], requires_grad=True); y = x * 2; '
     'y.grad_fn.name(), y.grad_fn.next_functions[0][0].name()'),
    ('x = torch.tensor([1., 2.], requires_grad=True); h = x.register_hook(lambda g: g * 10); '
     '(x * 2).sum().backward(); x.grad'),
    ('x = torch.tensor([1., 2.], requires_grad=True); y = x * 2; '
     'y.register_hook(lambda g: g * 10); y.sum().backward(); x.grad'),
    ('x = torch.tensor([1., 2.], requires_grad=True); h = x.register_hook(lambda g: g * 10); '
     'h.remove(); (x * 2).sum().backward(); x.grad'),
    'x = torch.tensor([1., 2.]); x.register_hook(lambda g: g)',
    'x = torch.tensor([1., 2.]); x.retain_grad()',
    'x = torch.tensor([1., 2.], requires_grad=True); y = x * 2; y.requires_grad = False',
    'x = torch.tensor([1., 2.], requires_grad=True); y = x * 2; y.requires_grad_(False)',
    'x = torch.tensor([1., 2.], requires_grad=True); y = x * 2; y.requires_grad_()',
    'x = torch.tensor([1., 2.], requires_grad=True); x.data = torch.tensor([5., 6., 7.]); x',
    'x = torch.tensor([1., 2.], requires_grad=True); x.grad = torch.tensor([1.]); x.grad',
    ('x = torch.tensor([1., 2.], requires_grad=True); '
     'x.grad = torch.tensor([1., 2.], dtype=torch.float64)'),
    ('x = torch.tensor([1., 2.], requires_grad=True)\nwith torch.no_grad(): y = x * 2\n'
     'y.requires_grad, y.grad_fn, torch.is_grad_enabled()'),
    ('x = torch.tensor([1., 2.], requires_grad=True)\nwith torch.no_grad():\n'
     '    with torch.enable_grad(): y = x * 2\n    z = x * 2\ny.requires_grad, z.requires_grad'),
    ('torch.set_grad_enabled(False); a = torch.is_grad_enabled(); torch.set_grad_enabled(True); '
     'a, torch.is_grad_enabled()'),
    ('@torch.no_grad()\ndef f(x): return x * 2\n'
     'f(torch.tensor([1.], requires_grad=True)).requires_grad'),
    ('@torch.no_grad\ndef f(x): return x * 2\n'
     'f(torch.tensor([1.], requires_grad=True)).requires_grad'),
    ('@torch.enable_grad()\ndef f(x): return x * 2\n'
     'with torch.no_grad(): r = f(torch.tensor([1.], requires_grad=True))\nr.requires_grad'),
    'with torch.set_grad_enabled(False): a = torch.is_grad_enabled()\na, torch.is_grad_enabled()',
    ('x = torch.tensor([1., 2.], requires_grad=True); y = x * 2; '
     'y.detach().requires_grad, y.detach().is_leaf, y.detach().grad_fn'),
    'x = torch.tensor([1., 2.], requires_grad=True); y = x.detach(); y.add_(1); x',
    ('x = torch.tensor([1., 2.], requires_grad=True); y = x * x; x.detach().add_(1); '
     'y.sum().backward()'),
    'x = torch.tensor([1., 2.], requires_grad=True); x.data.mul_(2); x, x._version',
    'x = torch.tensor([1., 2.]); x.add_(1); x.mul_(2); x._version',
    'x = torch.tensor([1., 2.]); x[0] = 5; x._version',
    'x = torch.tensor([1., 2.]); y = x[0]; y.add_(1); x, x._version, y._version',
    'torch.tensor([1., 2.]).add_(torch.tensor([1., 2., 3.]))',
    'torch.tensor([1, 2]).add_(1.5)',
    'torch.tensor([1, 2]).mul_(torch.tensor([1.5, 2.]))',
    'torch.tensor([1., 2.]).add_(torch.ones(2, 2))',
    'torch.tensor([1., 2.]).add_(1, alpha=2)',
    'torch.tensor([1., 2.]).clamp_(min=1.5)',
    'torch.tensor([1., 2.]).zero_()',
    'torch.tensor([1., 2.]).fill_(3)',
    'torch.tensor([1., 2.]).copy_(torch.tensor([3, 4]))',
    'torch.tensor([[1., 2.], [3., 4.]]).T.add_(1)',
    ('x = torch.tensor([1., 2.], requires_grad=True); y = x * 1; y[0] = x[1] * 3; '
     'y.sum().backward(); x.grad'),
    'x = torch.tensor([1., 2.], requires_grad=True); y = x[0]; y.add_(1)',
    'x = torch.tensor([[1., 2.]], requires_grad=True); y = x * 1; z = y[0]; z.mul_(2); y',
    ('x = torch.tensor([[1., 2.]], requires_grad=True); y = x * 1; z = y[0]; z.mul_(2); '
     'y.sum().backward(); x.grad'),
    'torch.device("float64")',
    'torch.zeros(2).to("gpu")',
    'torch.zeros(2).to("cuda:0")',
    'torch.zeros(2).to(device="cuda")',
    'torch.zeros(2).to("cpu", torch.float64)',
    'torch.device("cuda:1")',
    ('torch.device("cpu") == torch.device("cpu"), str(torch.device("cpu")), '
     'torch.zeros(1).device == "cpu"'),
    'torch.zeros(2, device=torch.device("cpu"))',
    ('class Cube(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n'
     '        ctx.save_for_backward(x)\n        return x ** 3\n    @staticmethod\n'
     '    def backward(ctx, g):\n        (x,) = ctx.saved_tensors\n'
     '        return g * 3 * x ** 2\nx = torch.tensor([1., 2.], requires_grad=True); '
     'y = Cube.apply(x); y.sum().backward(); '
     'y, x.grad, y.grad_fn.name(), y.grad_fn.next_functions'),
    ('class Cube(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n'
     '        ctx.save_for_backward(x)\n        return x ** 3\n    @staticmethod\n'
     '    def backward(ctx, g):\n        (x,) = ctx.saved_tensors\n'
     '        return g * 3 * x ** 2\nx = torch.tensor([1., 2.], requires_grad=True); '
     'y = Cube.apply(x); y.sum().backward(); y.sum().backward()'),
    ('class Cube(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n'
     '        ctx.save_for_backward(x)\n        return x ** 3\n    @staticmethod\n'
     '    def backward(ctx, g):\n        (x,) = ctx.saved_tensors\n'
     '        return g * 3 * x ** 2\nx = torch.tensor([1., 2.], requires_grad=True); '
     'y = Cube.apply(x); (g,) = torch.autograd.grad(y.sum(), x, create_graph=True); '
     'g, torch.autograd.grad(g.sum(), x)'),
    ('class Cube(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n'
     '        ctx.save_for_backward(x)\n        return x ** 3\n    @staticmethod\n'
     '    def backward(ctx, g):\n        (x,) = ctx.saved_tensors\n'
     '        return g * 3 * x ** 2\nx = torch.tensor([1., 2.], requires_grad=True); y = x * 1; '
     'z = Cube.apply(y); y.add_(1); z.sum().backward()'),
    ('class Two(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x, k):\n'
     '        ctx.k = k\n        return x * k, x + k\n    @staticmethod\n'
     '    def backward(ctx, ga, gb):\n        return ga * ctx.k + gb, None\n'
     'x = torch.tensor([1., 2.], requires_grad=True); a, b = Two.apply(x, 3.0); '
     '(a.sum() + b.sum()).backward(); a, b, x.grad'),
    ('class Two(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x, k):\n'
     '        ctx.k = k\n        return x * k, x + k\n    @staticmethod\n'
     '    def backward(ctx, ga, gb):\n        return ga * ctx.k + gb, None\n'
     'x = torch.tensor([1., 2.], requires_grad=True); a, b = Two.apply(x, 3.0); '
     'a.sum().backward(); x.grad'),
    ('class Bad(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n'
     '        return x * 2\n    @staticmethod\n    def backward(ctx, g):\n        return g, g\n'
     'x = torch.tensor([1., 2.], requires_grad=True); Bad.apply(x).sum().backward()'),
    ('class Bad(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n'
     '        return x * 2\n    @staticmethod\n    def backward(ctx, g):\n        return g[0]\n'
     'x = torch.tensor([1., 2.], requires_grad=True); Bad.apply(x).sum().backward(); x.grad'),
    ('class Bad(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n'
     '        return x * 2\n    @staticmethod\n    def backward(ctx, g):\n'
     '        return torch.ones(3)\n'
     'x = torch.tensor([1., 2.], requires_grad=True); Bad.apply(x).sum().backward(); x.grad'),
    ('class Id(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n'
     '        return x\n    @staticmethod\n    def backward(ctx, g):\n        return g\n'
     'x = torch.tensor([1., 2.], requires_grad=True); y = Id.apply(x); y, y is x'),
    ('class Noop(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n'
     '        return x * 2\n'
     'x = torch.tensor([1., 2.], requires_grad=True); Noop.apply(x).sum().backward()'),
    ('class F(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n'
     '        return x * 2\n    @staticmethod\n    def backward(ctx, g):\n        return g * 2\n'
     'x = torch.tensor([1., 2.]); y = F.apply(x); y.requires_grad, y.grad_fn'),
    ('class F(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n'
     '        return x * 2\n    @staticmethod\n    def backward(ctx, g):\n        return g * 2\n'
     'x = torch.tensor([1., 2.], requires_grad=True)\nwith torch.no_grad(): y = F.apply(x)\n'
     'y.requires_grad'),
    ('class F(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x, y):\n'
     '        ctx.save_for_backward(x, y)\n        return x * y\n    @staticmethod\n'
     '    def backward(ctx, g):\n        x, y = ctx.saved_tensors\n'
     '        return ctx.needs_input_grad, None\n'
     'x = torch.tensor([1., 2.], requires_grad=True); F.apply(x, torch.ones(2)).sum().backward()'),
    ('class F(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x, y):\n'
     '        ctx.save_for_backward(x, y)\n        return x * y\n    @staticmethod\n'
     '    def backward(ctx, g):\n        x, y = ctx.saved_tensors\n'
     '        return g * y * 0 + float(ctx.needs_input_grad[1]), None\n'
     'x = torch.tensor([1., 2.], requires_grad=True); '
     'F.apply(x, torch.ones(2)).sum().backward(); x.grad'),
    'x = torch.tensor([1., 2.], requires_grad=True); y = x * 2; y.backward(torch.ones(2)); x.grad',
    ('x = torch.tensor([1., 2.], requires_grad=True); y = x * 2; '
     'torch.autograd.backward(y, torch.ones(2)); x.grad'),
    ('x = torch.tensor([1., 2.], requires_grad=True); '
     'torch.autograd.backward([(x*2).sum(), (x*3).sum()]); x.grad'),
    ('x = torch.tensor([1., 2.], requires_grad=True); z = torch.tensor(3., requires_grad=True); '
     '(x * z).sum().backward(inputs=[z]); x.grad, z.grad'),
    ('x = torch.tensor([2.], requires_grad=True); y = x ** 2; '
     '(g,) = torch.autograd.grad(y, x, create_graph=True); g.backward(); x.grad, g'),
    ('x = torch.tensor([2.], requires_grad=True); y = x ** 2; y.backward(create_graph=True); '
     'x.grad, x.grad.requires_grad'),
    ('x = torch.tensor([2.], requires_grad=True); y = x ** 3; y.backward(create_graph=True); '
     'g = x.grad; x.grad = None; g.backward(); x.grad'),
    ('a = torch.tensor([1., 2.], requires_grad=True); b = a + a; c = b * b; c.sum().backward(); '
     'a.grad'),
    'a = torch.tensor(3., requires_grad=True); b = a * a * a; b.backward(); a.grad',
    ('x = torch.tensor([1., 2.], requires_grad=True); y = x.exp(); y.sum().backward(); '
     "y.grad_fn._saved_result if hasattr(y.grad_fn, '_saved_result') else None"),
    ('x = torch.tensor([1., 2.], requires_grad=True); y = x * 2; print_ = y.grad_fn; '
     'print_.next_functions[0][0]'),
    ('x = torch.tensor([1., 2.], requires_grad=True); y = x.sum(); '
     'y.grad_fn.next_functions[0][0].next_functions'),
    ('torch.tensor([[1., 2.], [3., 4.]], requires_grad=True).sum(0)'
     '.grad_fn.next_functions[0][0].name()'),
    ('x = torch.tensor(1., requires_grad=True); l = [x * i for i in range(3)]; s = sum(l); '
     's, s.grad_fn.next_functions'),
    ('w, b = torch.tensor([1., 2.], requires_grad=True); '
     'w.grad_fn, b.grad_fn, w.grad_fn is b.grad_fn, w.is_leaf'),
    'p = torch.tensor([1., 2.], requires_grad=True); w, b = p; (w * 3 + b).backward(); p.grad',
    ('p = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); rows = list(p); '
     'rows[0], rows[1].grad_fn'),
    'p = torch.tensor([1., 2.], requires_grad=True); f = lambda w, b: w * 2 + b; f(*p)',
    'x = torch.tensor([1., 2.]); x.requires_grad_(); x.is_leaf, x.requires_grad, x',
    'x = torch.tensor([1., 2.], requires_grad=True); x.requires_grad_(False); x',
    'x = torch.ones(2, 2, requires_grad=True); y = x.t(); y.add_(1)',
    'x = torch.ones(2, 2, requires_grad=True); y = x.t()\nwith torch.no_grad(): y.add_(1)\nx',
    ('x = torch.ones(2, requires_grad=True); y = x * 2; z = y.view(2, 1); z.add_(1); '
     'y.grad_fn, z.grad_fn'),
    ('x = torch.ones(2, requires_grad=True); y = x * 2; z = y.view(2, 1); z.add_(1); '
     'y.sum().backward(); x.grad'),
    'torch.device("cuda:0")',
    'torch.device("cpu:0")',
    'torch.device("cpu", 0)',
    'torch.device("cuda").type',
    'torch.zeros(2, device="cuda:0")',
    'torch.zeros(2, device="xyz")',
    'torch.zeros(2, device=torch.device("cuda"))',
    'torch.ones(2).to(torch.device("cuda"))',
    'torch.ones(2).to("cpu:0")',
    'torch.ones(2).device.type, torch.ones(2).device.index',
    'torch.device("cpu") == torch.device("cpu:0")',
    'torch.tensor([1., 2.], requires_grad=True).grad_fn',
    'x = torch.tensor([1., 2.], requires_grad=True); y = x * 2; y.requires_grad = True; y',
    'x = torch.tensor([1., 2.], requires_grad=True); y = x * 2; y.requires_grad_(True)',
    'x = torch.tensor([1, 2]); y = x * 2; y.requires_grad_(True)',
    'torch.tensor([1, 2]).requires_grad_(False)',
    'x = torch.tensor([1., 2.], requires_grad=True); x.grad = [1., 2.]',
    'x = torch.tensor([1., 2.], requires_grad=True); x.grad = torch.tensor([1, 2])',
    'x = torch.tensor([1., 2.]); x.grad = torch.tensor([1., 2.]); x.grad',
    'torch.ones(2, 2, 3) @ torch.ones(3, 2, dtype=torch.float64)',
    'torch.ones(2, 2, 3) @ torch.ones(3, dtype=torch.float64)',
    'torch.ones(3) @ torch.ones(2, 3, 2, dtype=torch.float64)',
    'torch.ones(2, 3, dtype=torch.float64) @ torch.ones(2, 3, 2)',
    'torch.ones(2, 3, dtype=torch.int64) @ torch.ones(3)',
    'torch.ones(3, dtype=torch.int64) @ torch.ones(3)',
    'torch.bmm(torch.ones(2, 2, 3, dtype=torch.float64), torch.ones(2, 3, 2))',
    'torch.mv(torch.ones(2, 3, dtype=torch.int64), torch.ones(3))',
    'torch.ones(2, 3) @ torch.ones(4, dtype=torch.float64)',
    'torch.mm(torch.ones(2, 3), torch.ones(4, 3, dtype=torch.float64))',
    ('x = torch.tensor([1., 2., 3.], requires_grad=True); '
     'v = torch.tensor(5., requires_grad=True); y = x.masked_fill(x > 1, v); y.sum().backward(); '
     'y, x.grad, v.grad'),
    ('x = torch.tensor([1., 2., 3.], requires_grad=True); '
     'y = x.masked_fill(torch.tensor([1, 0, 1]), 0.)'),
    ('x = torch.tensor([1., 2., 3.], requires_grad=True); '
     'y = x.masked_fill(x > 1, torch.tensor([1., 2.]))'),
    'x = torch.tensor([1., 2., 3.]); x.masked_fill(x > 1, 2.5)',
    'x = torch.tensor([1, 2, 3]); x.masked_fill(x > 1, 2.5)',
    ('x = torch.tensor([[1., 2., 3.]], requires_grad=True); '
     'y = x.masked_fill(torch.tensor([[True], [False]]), 0.)'),
    ('x = torch.tensor([[1., 2., 3.], [4., 5., 6.]], requires_grad=True); '
     'y = x.masked_fill(torch.tensor([True, False, True]), 0.); y.sum().backward(); y, x.grad'),
    'x = torch.tensor([1., 2., 3.]); x.masked_fill_(x > 1, 0.)',
    ('x = torch.tensor([-1., 0., 2., 3.], requires_grad=True); '
     'lo = torch.tensor(0., requires_grad=True); '
     'hi = torch.tensor([1., 1., 1., 5.], requires_grad=True); y = x.clamp(lo, hi); '
     'y.sum().backward(); y, x.grad, lo.grad, hi.grad'),
    ('x = torch.tensor([-1., 0., 2., 3.], requires_grad=True); '
     'lo = torch.tensor(0., requires_grad=True); y = torch.clamp(x, min=lo); y.sum().backward(); '
     'y, x.grad, lo.grad'),
    ('x = torch.tensor([-1., 0., 2., 3.], requires_grad=True); '
     'hi = torch.tensor(2., requires_grad=True); y = x.clamp(max=hi); y.sum().backward(); '
     'y, x.grad, hi.grad'),
    ('x = torch.tensor([-1., 0., 2., 3.], requires_grad=True); lo = torch.tensor(2.); '
     'hi = torch.tensor(0., requires_grad=True); y = x.clamp(lo, hi); y.sum().backward(); '
     'y, x.grad, hi.grad'),
    'x = torch.tensor([-1, 0, 2, 3]); x.clamp(torch.tensor(0.5), torch.tensor(2))',
    'x = torch.tensor([-1., 0., 2., 3.]); x.clamp(torch.tensor([0., 1.]))',
    'x = torch.tensor([-1., 0., 2., 3.]); x.clamp(0, torch.tensor(1.))',
    ('x = torch.tensor([-1., 0., 2., 3.], requires_grad=True); y = x.clamp(min=0.); '
     'y.sum().backward(); x.grad'),
    ('x = torch.tensor([-1., 0., 2., 3.], requires_grad=True); y = x.clamp(2., 0.); '
     'y.sum().backward(); y, x.grad'),
    'x = torch.tensor([-1., 0., 2., 3.], requires_grad=True); y = x.clamp_(0., 1.)',
    ('x = torch.tensor([-1., 0., 2., 3.], requires_grad=True); y = x.relu(); y.sum().backward(); '
     'x.grad'),
    ('x = torch.tensor([-1., 0., 2., 3.], requires_grad=True); y = x.abs(); y.sum().backward(); '
     'x.grad'),
    'x = torch.tensor([1., 2., 2.], requires_grad=True); y = x.max(); y.backward(); x.grad',
    ('x = torch.tensor([[1., 2., 2.]], requires_grad=True); y = x.max(1).values; '
     'y.sum().backward(); x.grad, x.max(1).indices'),
    ('x = torch.tensor([1., 2., 2.], requires_grad=True); '
     'y = torch.maximum(x, torch.tensor(2.)); y.sum().backward(); x.grad'),
    ("x = torch.tensor([3., 4.], requires_grad=True); y = x.norm(float('inf')); y.backward(); "
     'x.grad'),
    ("x = torch.tensor([4., 4.], requires_grad=True); y = x.norm(float('inf')); y.backward(); "
     'x.grad'),
    'x = torch.tensor([0., 0.], requires_grad=True); y = x.norm(); y.backward(); x.grad',
    'x = torch.tensor([0., 1.], requires_grad=True); y = x.sqrt(); y.sum().backward(); x.grad',
    'x = torch.tensor([0., 1.], requires_grad=True); y = x ** 0.5; y.sum().backward(); x.grad',
    'x = torch.tensor([0., 1.], requires_grad=True); y = x ** 2; y.sum().backward(); x.grad',
    'x = torch.tensor([0., 1.], requires_grad=True); y = x ** 0; y.sum().backward(); x.grad',
    ('x = torch.tensor([0., -1.], requires_grad=True); '
     'p = torch.tensor([2., 0.5], requires_grad=True); y = x ** p; y.sum().backward(); '
     'y, x.grad, p.grad'),
    'x = torch.tensor([0., 1.], requires_grad=True); y = 0 ** x; y.sum().backward(); y, x.grad',
    'x = torch.tensor([0., 1.], requires_grad=True); y = x.log(); y.sum().backward(); y, x.grad',
    'x = torch.tensor([0., 1.], requires_grad=True); y = 1 / x; y.sum().backward(); y, x.grad',
    'x = torch.tensor([1., 1.], requires_grad=True); y = x.std(); y.backward(); y, x.grad',
    'x = torch.tensor([1.], requires_grad=True); y = x.var(); y.backward(); y, x.grad',
    'x = torch.tensor([-1., 0., 2.], requires_grad=True); y = x.sign(); y.sum().backward(); x.grad',
    'x = torch.tensor([-1., 0., 2.], requires_grad=True); y = x.norm(p=1); y.backward(); x.grad',
    'x = torch.tensor([-1., 0., 2.], requires_grad=True); y = x.norm(p=3); y.backward(); x.grad',
    'x = torch.tensor([1., 2.], requires_grad=True); y = x.floor(); y.sum().backward(); x.grad',
    'x = torch.tensor([1., 2.], requires_grad=True); y = x // 2',
    'x = torch.tensor([1., 2.], requires_grad=True); y = x % 2; y',
    'x = torch.tensor([1., 2.], requires_grad=True); y = x > 1; y',
    'x = torch.tensor([1.5, 2.], requires_grad=True); y = x.round(); y',
    'x = torch.tensor([1.5, 2.], requires_grad=True); y = x.argmax(); y',
    'x = torch.tensor([1., 2.], requires_grad=True); y = x.long(); y, y.requires_grad',
    'x = torch.tensor([1., 2.], requires_grad=True); y = x.double(); y.sum().backward(); y, x.grad',
    ('x = torch.tensor([1., 2.], requires_grad=True); '
     'y = x.to(torch.float64) * torch.tensor(2., dtype=torch.float64); y.sum().backward(); '
     'y, x.grad'),
    ('x = torch.tensor([1., 2.], requires_grad=True); '
     'y = x * torch.tensor([1., 2.], dtype=torch.float64); y.sum().backward(); y, x.grad'),
    ('x = torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True); '
     'y = x * torch.tensor([1., 2.]); y.sum().backward(); y, x.grad'),
    ('x = torch.tensor([1., 2.], requires_grad=True); '
     'y = x * torch.tensor(2., dtype=torch.float64, requires_grad=True); y.sum().backward(); y'),
    ('x = torch.tensor([1., 2.], requires_grad=True); y = torch.tensor([3, 4]) * x; '
     'y.sum().backward(); y, x.grad'),
    ('x = torch.tensor([1., 2.], requires_grad=True); s = x.sum(dtype=torch.float64); '
     's.backward(); s, x.grad'),
    'x = torch.tensor([1., 2.], requires_grad=True); s = x.softmax(0, dtype=torch.float64); s',
    ('x = torch.tensor([1., 2.], requires_grad=True); y = x.expand(2, 2); y.sum().backward(); '
     'x.grad'),
    ('x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x[[0, 0, 1], [1, 1, 0]]; '
     'y.sum().backward(); y, x.grad'),
    ('x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x[x > 1.5]; '
     'y.sum().backward(); y, x.grad'),
    ('x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x[:, [1, 1]]; '
     'y.sum().backward(); y, x.grad'),
    ('x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x[None, ..., 1]; '
     'y.sum().backward(); y, x.grad'),
    'x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x[::-1]',
    ('x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x[0, 0]; y.backward(); '
     'y, x.grad'),
    'x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x[torch.tensor(1)]; y',
    ('x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); '
     'y = x[torch.tensor([True, False])]; y'),
    'x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x[1.5]',
    'x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x[torch.tensor([1.])]',
    'x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x[[True, False, True]]',
    'x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x[True]; y',
    'x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x[..., ...]',
    'x = torch.tensor([[1., 2.], [3., 4.]]); x[0] = torch.tensor([5., 6., 7.])',
    'x = torch.tensor([[1., 2.], [3., 4.]]); x[x > 2] = 0; x',
    'x = torch.tensor([[1., 2.], [3., 4.]]); x[:, 0] = torch.tensor([9, 8]); x',
    'x = torch.tensor([[1, 2], [3, 4]]); x[0, 0] = 2.7; x',
    'x = torch.tensor([1., 2., 3.]).expand(2, 3); x[0, 0] = 5',
    ('x = torch.tensor([1., 2., 3.], requires_grad=True); y = x * 1; y[1:] = y[:2] * 2; '
     'y.sum().backward(); y, x.grad'),
    'torch.tensor([1., 0.]) / 0',
    'torch.tensor([1., 0.]) / torch.tensor(0.)',
    'torch.tensor([1, 0]) / 0',
    'torch.tensor([100.]).exp()',
    'torch.tensor([-1.]).log()',
    'torch.tensor([0.]).log()',
    'torch.tensor([-1.]) ** 0.5',
    'torch.tensor([0.]) ** -1',
    'torch.tensor([0.]).reciprocal()',
    'torch.tensor([-1000.]).sigmoid()',
    'torch.tensor([1000.]).tanh()',
    'torch.tensor([1e30]) * 1e30',
    "torch.tensor([float('inf')]) - float('inf')",
    'torch.tensor([1., 2.]) // 0',
    'torch.tensor([1, 2]) % 0',
    'torch.tensor([1., 2.]) % 0',
    'torch.tensor([-3, 3]) % -2',
    'torch.tensor([-3., 3.]) // 2',
    ('x = torch.tensor([5., 7.], requires_grad=True); '
     'y = torch.tensor([2., 3.], requires_grad=True); z = x % y; z.sum().backward(); '
     'z, x.grad, y.grad'),
    'x = torch.tensor([5., 7.], requires_grad=True); z = 10 % x; z',
    'x = torch.tensor([5., 7.], requires_grad=True); z = torch.remainder(x, 2); z',
    'torch.tensor([0., 1.]).log().exp()',
    'torch.tensor([1, 2], dtype=torch.int32) ** 31',
    'x = torch.ones(2, 2); x[0] = torch.ones(3)',
    'x = torch.ones(2, 3); x[0] = torch.ones(2, 3)',
    'x = torch.ones(2, 3); x[:, 0] = torch.ones(3)',
    'x = torch.ones(2, 3); x[x > 0] = torch.ones(2)',
    'x = torch.ones(2, 3); x[[0, 1]] = torch.ones(4)',
    'x = torch.ones(2, 3); x[0] = torch.ones(1, 1, 3)',
    'x = torch.ones(2, 3); x[0] = torch.ones(2, 1, 3)',
    'x = torch.ones(2, 3); x[torch.ones(2, 2) > 0]',
    'x = torch.ones(2, 3); x[torch.ones(2, 3, 4) > 0]',
    'x = torch.ones(2, 3); x[:, torch.tensor([True, False])]',
    'x = torch.ones(2, 3); x["a"]',
    'x = torch.ones(2, 3); x[None, 1.0]',
    'x = torch.ones(2, 3); x[0, [0, 5]]',
    'x = torch.ones(2, 3); x[[0, 1], [0, 1, 2]]',
    'x = torch.ones(2, 3); x[-3]',
    'x = torch.ones(2, 3); x[0, 3]',
    'x = torch.ones(2, 3); x[:, :, 0]',
    'x = torch.ones(2, 3); x[np.array([0, 1])]',
    'x = torch.ones(2, 3); x[torch.tensor(1.)]',
    'x = torch.ones(2, 3); x[::0]',
    'x = torch.ones(2, 3); x[::-1]',
    'x = torch.ones(2, 3); x[True, 0]',
    ('x = torch.ones(2, 3, requires_grad=True); y = x[0, [0, 1]]; '
     'y.grad_fn, y.grad_fn.next_functions'),
    ('x = torch.ones(2, 3, requires_grad=True); y = x[True]; '
     'y.grad_fn, y.grad_fn.next_functions, y.shape'),
    ('x = torch.ones(2, 3, requires_grad=True); y = x[[0, 1], 1:]; '
     'y.grad_fn, y.grad_fn.next_functions, y.shape'),
    ('x = torch.ones(2, 3, 4, requires_grad=True); y = x[[0, 1], :, [1, 2]]; '
     'y.grad_fn, y.grad_fn.next_functions, y.shape'),
    ('x = torch.ones(2, 3, 4, requires_grad=True); y = x[:, [0, 1], [1, 2]]; '
     'y.grad_fn, y.grad_fn.next_functions, y.shape'),
    ('x = torch.ones(2, 3, 4, requires_grad=True); y = x[None, :, [0, 1]]; '
     'y.grad_fn, y.grad_fn.next_functions, y.shape'),
    ('x = torch.ones(2, 3, 4, requires_grad=True); y = x[..., [0, 1]]; '
     'y.grad_fn, y.grad_fn.next_functions, y.shape'),
    ('x = torch.ones(2, 3, 4, requires_grad=True); y = x[0, :, [0, 1]]; '
     'y.grad_fn, y.grad_fn.next_functions, y.shape'),
    ('x = torch.ones(2, 3, 4, requires_grad=True); y = x[x > 0]; '
     'y.grad_fn, y.grad_fn.next_functions, y.shape'),
    ('x = torch.ones(2, 3, 4, requires_grad=True); y = x[1, x[0] > 0]; '
     'y.grad_fn, y.grad_fn.next_functions, y.shape'),
    ('x = torch.ones(2, 3, 4, requires_grad=True); y = x[torch.tensor(1), 0]; '
     'y.grad_fn, y.grad_fn.next_functions, y.shape'),
    ('x = torch.ones(2, 3, 4, requires_grad=True); y = x[[1]]; '
     'y.grad_fn, y.grad_fn.next_functions, y.shape'),
    ('x = torch.ones(2, 3, 4, requires_grad=True); y = x[1, ..., None, 0]; '
     'y.grad_fn, y.grad_fn.next_functions, y.shape'),
    'x = torch.ones(2, 3, 4); x[0, :, [0, 5]]',
    'x = torch.ones(2, 3, 4); x[1, x[0, 0] > 0]',
    'x = torch.ones(2, 3, 4); x[:, 3]',
    'x = torch.ones(2, 3, 4); x[1, 1:, 4]',
    'x = torch.ones(2, 3, 4); x[None, 1, 1:, -5]',
    'x = torch.ones(2, 3, 4); x[:, [0, 5]]',
    'x = torch.ones(2, 3, 4); x[:, :, [0, 5]]',
    'x = torch.ones(2, 3, 4); x[[0, 1], [0, 5]]',
    'x = torch.ones(2, 3, 4); x[[0, 1], :, [0, 5]]',
    'x = torch.ones(2, 3, 4); x[:, [-4]]',
    'x = torch.ones(2, 3, 4); x[:, x[0, :, :2] > 0]',
    'x = torch.ones(2, 3, 4); x[..., [0, 1], 0]',
    'x = torch.ones(2, 3, 4); x[..., 5]',
    'x = torch.ones(2, 3, 4); x[0, ..., None, 5]',
    'x = torch.ones(2, 3, 4); x[[0], ..., [0, 1]].shape',
    'x = torch.arange(24).reshape(2, 3, 4); x[[0, 1], 1:, [0, 2]]',
    'x = torch.arange(24).reshape(2, 3, 4); x[1, [0, 2], None]',
    'x = torch.arange(24).reshape(2, 3, 4); x[None, [0, 1], 1]',
    'x = torch.arange(24).reshape(2, 3, 4); x[:, True]',
    'x = torch.arange(24).reshape(2, 3, 4); x[:, False].shape',
    'x = torch.arange(24).reshape(2, 3, 4); x[torch.tensor([[0, 1], [1, 0]])].shape',
    'x = torch.arange(24).reshape(2, 3, 4); x[0, torch.tensor([[0, 1], [1, 0]]), 1:3]',
    'x = torch.arange(24).reshape(2, 3, 4); x[[0, 1], 1, [1, 2]]',
    'x = torch.arange(24).reshape(2, 3, 4); x[1, :, [0, 1]]',
    'p = torch.tensor([1., 2.], requires_grad=True); w, b = p; w.add_(1)',
    'p = torch.tensor([1., 2.], requires_grad=True); q = p * 1; w, b = q; w.add_(1)',
    ('p = torch.tensor([1., 2.], requires_grad=True)\nw, b = p\nwith torch.no_grad(): w.add_(1)\n'
     'p, w'),
    'p = torch.tensor([1., 2.]); w, b = p; w.add_(1); p',
    ('x = torch.tensor([1., 2.], requires_grad=True); y = x * 2; y[0] += 1; y.sum().backward(); '
     'y, x.grad, y.grad_fn'),
    ('x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x * 2; y[0][1] = 5; '
     'y.sum().backward(); y, x.grad, y.grad_fn'),
    ('x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x * 2; z = y[:, 1]; '
     'z.mul_(x[:, 0]); (y * y).sum().backward(); y, z, x.grad, y.grad_fn, z.grad_fn'),
    ('x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x * 2; z = y.t(); '
     'z.exp_(); y.sum().backward(); y, x.grad'),
    ('x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x * 2; z = y[0]; z.exp_(); '
     'y.sum().backward(); y, x.grad, z.grad_fn'),
    ('x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x * 2; s = y * y; '
     'z = y[0]; z.exp_(); s.sum().backward()'),
    ('x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = torch.zeros(2, 2); '
     'z = y[1]; z.add_(x[0]); y.sum().backward(); y, x.grad, y.grad_fn, z.grad_fn'),
    ('x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x * 2; y[0][1] += x[1, 1]; '
     'y.sum().backward(); y, x.grad'),
    ('x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x.clone(); '
     'y[:, 0].zero_(); y.sum().backward(); y, x.grad'),
    ('x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True); y = x.clone(); v = y.view(4); '
     'v[1:3] = torch.tensor([7., 8.]); y.sum().backward(); y, x.grad, y.grad_fn, v.grad_fn'),
    'x = torch.ones(2, requires_grad=True); x[[0]] = 5',
    'x = torch.ones(2, requires_grad=True); x[x > 0] = 5',
    'x = torch.ones(2, requires_grad=True); x[...] = 5',
    'x = torch.ones(2, requires_grad=True); x[:] = 5',
    'x = torch.ones(2, 2, requires_grad=True); x[0, [0]] = 5',
    'torch.ones(-1)',
    'torch.empty(-1)',
    'torch.zeros(2, -1)',
    'torch.rand(-1)',
    'torch.full((-1,), 2.)',
    'torch.zeros(2, 2.5)',
    'torch.ones(2.5)',
    'torch.zeros((2, 2.5))',
    'torch.randn(2.5)',
    'torch.zeros("a")',
    'torch.matmul(2, torch.ones(2))',
    'torch.minimum(torch.ones(2), 1)',
    'torch.mm(torch.ones(2, 2), 2)',
]
KNOWN_MISMATCHES: dict[str, str] = {
    ('x = torch.tensor([1., 2.], requires_grad=True); y = x.exp(); y.sum().backward(); '
     "y.grad_fn._saved_result if hasattr(y.grad_fn, '_saved_result') else None"):
        'gradlab nodes have no _saved_* attributes',
    'x = torch.tensor([1., 2., 3.]).expand(2, 3); x[0, 0] = 5':
        ("numpy's broadcast views are read-only; PyTorch lets one element of an expanded tensor "
         "be written"),
    ('p = torch.tensor([1., 2.], requires_grad=True)\nw, b = p\nwith torch.no_grad(): w.add_(1)\n'
     'p, w'):
        'PyTorch invalidates unbind views after an in-place change of their base',
}


def snippet_id(code: str) -> str:
    return re.sub(r"\W+", "_", code.strip().splitlines()[-1]).strip("_")[:50]


@pytest.mark.parametrize("code", [
    pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=KNOWN_MISMATCHES[c]))
    if c in KNOWN_MISMATCHES else c for c in SNIPPETS],
    ids=[f"{i:03d}-{snippet_id(c)}" for i, c in enumerate(SNIPPETS)])
def test_snippet_shows_what_torch_shows(code: str) -> None:
    check(code)

"""More autograd parity with PyTorch: gradients at edge cases, grad_fn names, backward checks.

Each test pins what PyTorch 2.13 shows (so it checks something without torch installed) and,
when torch is importable, runs the same code under torch and compares.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gradlab

try:
    import torch
except ImportError:  # pragma: no cover - the pinned values still run
    torch = None

LIBS = [gradlab] + ([torch] if torch is not None else [])
pytestmark = pytest.mark.parity  # every test also runs under PyTorch when it is importable


def both(fn: Callable[[Any], Any]) -> list[Any]:
    """``fn(lib)`` for gradlab and, when installed, torch."""
    return [fn(lib) for lib in LIBS]


def name(node: Any) -> str | None:
    return None if node is None else node.name().replace("torch::", "gradlab::")


def error_of(fn: Callable[[], Any]) -> tuple[str, str]:
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the error is what we compare
        text = re.sub(r"(?<!py)torch\.", "gradlab.", str(e).splitlines()[0])
        return type(e).__name__, text
    raise AssertionError("no error")


def values(t: Any) -> list:
    return t.detach().numpy().tolist()


# -- gradients at edge cases ------------------------------------------------------------------


def test_pow_with_tensor_exponent_zero_has_zero_base_gradient_at_zero() -> None:
    def run(lib: Any) -> tuple:
        x = lib.tensor([0., 0., 2.], requires_grad=True)
        e = lib.tensor([0., 2., 0.], requires_grad=True)
        (x ** e).sum().backward()
        return values(x.grad), values(e.grad)

    for gx, ge in both(run):
        assert gx == [0.0, 0.0, 0.0]
        assert ge == pytest.approx([0.0, 0.0, 0.6931472])


@pytest.mark.parametrize(("fn", "node", "grad"), [
    ("amax", "AmaxBackward0", [[0.0, 0.5, 0.5], [0.0, 0.0, 0.0]]),
    ("amin", "AminBackward0", [[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),
])
def test_amax_amin_share_the_gradient_between_ties(fn: str, node: str, grad: list) -> None:
    def run(lib: Any) -> tuple:
        x = lib.tensor([[1., 3., 3.], [2., 2., 0.]], requires_grad=True)
        y = getattr(x, fn)()
        y.backward()
        return name(y.grad_fn), values(x.grad)

    for shown, g in both(run):
        assert (shown, g) == (node, grad)


def test_amax_over_a_dim_splits_ties_within_each_row() -> None:
    def run(lib: Any) -> tuple:
        x = lib.tensor([[1., 3., 3.], [2., 2., 0.]], requires_grad=True)
        y = lib.amax(x, dim=1, keepdim=True)
        y.sum().backward()
        return values(y), values(x.grad)

    for out, g in both(run):
        assert out == [[3.0], [2.0]]
        assert g == [[0.0, 0.5, 0.5], [0.5, 0.5, 0.0]]


def test_norm_p0_counts_nonzeros_and_gives_no_gradient() -> None:
    def run(lib: Any) -> tuple:
        x = lib.tensor([[1., -3., 3.], [2., 2., 0.]], requires_grad=True)
        y = x.norm(p=0)
        y.backward()
        return values(y), name(y.grad_fn), x.grad

    for result in both(run):
        assert result == (5.0, "LinalgVectorNormBackward0", None)


def test_max_over_dim_of_a_0d_tensor_records_max_backward() -> None:
    for y in both(lambda lib: lib.tensor(1.5, requires_grad=True).max(0)):
        assert name(y.values.grad_fn) == "MaxBackward0"
        assert y.indices.item() == 0


# -- ops PyTorch has no derivative for --------------------------------------------------------


@pytest.mark.parametrize(("code", "op"), [
    ("x // 0.7", "floor_divide"), ("2 // x", "floor_divide"), ("5.0 % x", "remainder"),
])
def test_floor_divide_and_number_mod_tensor_record_not_implemented(code: str, op: str) -> None:
    def run(lib: Any) -> tuple:
        x = lib.tensor([1.5, -2., 3.], requires_grad=True)
        y = eval(code, {"x": x})
        return (type(y.grad_fn).__name__, name(y.grad_fn), y.requires_grad,
                error_of(lambda: y.sum().backward()))

    for result in both(run):
        assert result == ("NotImplemented", "gradlab::autograd::NotImplemented", True,
                          ("RuntimeError", f"derivative for aten::{op} is not implemented"))


@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_div_with_rounding_mode_has_a_zero_gradient(mode: str) -> None:
    def run(lib: Any) -> tuple:
        x = lib.tensor([1.5, -2., 3.], requires_grad=True)
        y = lib.div(x, 2, rounding_mode=mode)
        y.sum().backward()
        return name(y.grad_fn), [n is None for n, _ in y.grad_fn.next_functions], values(x.grad)

    for result in both(run):
        assert result == ("DivBackward2", [False, True], [0.0, 0.0, 0.0])


# -- backward() and autograd.grad() checks ----------------------------------------------------

ERRORS = {
    "backward_gradient_list_of_numbers": (
        "x = lib.tensor([1., 2.], requires_grad=True); (x * 2).backward([1., 2.])",
        ("TypeError", "gradients can be either Tensors or None, but got float")),
    "grad_outputs_list_of_numbers": (
        "x = lib.tensor([1., 2.], requires_grad=True); lib.autograd.grad(x * 2, x, [1., 2.])",
        ("TypeError", "gradients can be either Tensors or None, but got float")),
    "fewer_gradients_than_outputs": (
        "x = lib.tensor([1., 2.], requires_grad=True)\n"
        "lib.autograd.grad([x.sum(), x.sum()], x, [None])",
        ("RuntimeError", "got 2 tensors and 1 gradients")),
    "grad_with_no_inputs": (
        "x = lib.tensor([1., 2.], requires_grad=True); lib.autograd.grad(x.sum(), [])",
        ("RuntimeError", "`inputs` argument to `grad()` cannot be empty.")),
    "grad_of_output_without_grad_checks_outputs_first": (
        "x = lib.tensor([1., 2.]); lib.autograd.grad((x * 2).sum(), x)",
        ("RuntimeError", "element 0 of tensors does not require grad and does not have a "
                         "grad_fn")),
    "backward_with_empty_inputs": (
        "x = lib.tensor([1., 2.], requires_grad=True); (x * x).sum().backward(inputs=[])",
        ("RuntimeError", "`inputs` argument to `backward()` cannot be empty.")),
    "backward_inputs_not_requiring_grad": (
        "x = lib.tensor([1., 2.], requires_grad=True)\n"
        "(x * 2).sum().backward(inputs=[lib.tensor([1., 2.])])",
        ("RuntimeError", "can't retain_grad on Tensor that has requires_grad=False")),
    "hook_changes_size": (
        "x = lib.tensor([1., 2., 3.], requires_grad=True)\n"
        "def shrink(g): return g[:2]\n"
        "x.register_hook(shrink); (x * 2).sum().backward()",
        ("RuntimeError", "hook 'shrink' has changed the size of value")),
    "non_leaf_hook_changes_size": (
        "x = lib.tensor([1., 2., 3.], requires_grad=True); y = x * 2\n"
        "y.register_hook(lambda g: g[:2]); y.sum().backward()",
        ("RuntimeError", "hook '<lambda>' has changed the size of value")),
    "hook_changes_dtype": (
        "x = lib.tensor([1., 2., 3.], requires_grad=True)\n"
        "x.register_hook(lambda g: g.double()); (x * 2).sum().backward()",
        ("RuntimeError", "hook '<lambda>' has changed the type of value (was "
                         "gradlab.FloatTensor got gradlab.DoubleTensor)")),
    "hook_returns_a_number": (
        "x = lib.tensor([1., 2., 3.], requires_grad=True); y = x * 2\n"
        "y.register_hook(lambda g: 5); y.sum().backward()",
        ("TypeError", "expected Variable, but hook returned 'int'")),
    "data_set_to_integers_on_a_tensor_requiring_grad": (
        "x = lib.tensor([1., 2.], requires_grad=True); x.data = lib.tensor([5, 6])",
        ("RuntimeError", "data set to a tensor that requires gradients must be floating point "
                         "or complex dtype")),
    "legacy_function_called_as_an_instance": (
        "class F(lib.autograd.Function):\n    def forward(ctx, x): return x\n"
        "F()(lib.tensor(1.))",
        ("RuntimeError", "Legacy autograd function with non-static forward method is "
                         "deprecated. Please use new-style autograd function with static forward "
                         "method. (Example: https://pytorch.org/docs/stable/autograd.html#"
                         "gradlab.autograd.Function)")),
}


@pytest.mark.parametrize("case", ERRORS)
def test_autograd_error_matches_pytorch(case: str) -> None:
    code, expected = ERRORS[case]
    for lib in LIBS:
        assert error_of(lambda lib=lib: exec(code, {"lib": lib})) == expected, lib.__name__


def test_integer_gradient_is_cast_to_the_output_dtype() -> None:
    def run(lib: Any) -> list:
        x = lib.tensor([1., 2.], requires_grad=True)
        (x * 2).sum().backward(lib.tensor(2))
        return values(x.grad)

    for g in both(run):
        assert g == [4.0, 4.0]


# -- create_graph: what the first derivative's graph looks like -------------------------------


@pytest.mark.parametrize(("fn", "node", "second"), [
    ("tanh", "TanhBackwardBackward0", [-0.6397, -0.1362]),
    ("sigmoid", "SigmoidBackwardBackward0", [-0.0909, -0.0800]),
    ("relu", "ThresholdBackwardBackward0", [0.0, 0.0]),
])
def test_second_derivative_of_activations_has_pytorch_node(fn: str, node: str,
                                                           second: list) -> None:
    def run(lib: Any) -> tuple:
        x = lib.tensor([1., 2.], requires_grad=True)
        (g,) = lib.autograd.grad(getattr(x, fn)().sum(), x, create_graph=True)
        (g2,) = lib.autograd.grad(g.sum(), x)
        return name(g.grad_fn), [name(n) for n, _ in g.grad_fn.next_functions], values(g2)

    for shown, nexts, g2 in both(run):
        assert shown == node
        assert nexts == [None, fn.capitalize() + "Backward0"]
        assert g2 == pytest.approx(second, abs=1e-4)


@pytest.mark.parametrize(("fn", "node"), [
    ("softmax", "SoftmaxBackwardDataBackward0"),
    ("log_softmax", "LogSoftmaxBackwardDataBackward0"),
])
def test_second_derivative_of_softmax_matches_pytorch(fn: str, node: str) -> None:
    def run(lib: Any) -> tuple:
        x = lib.tensor([[0.7, 1.3, 1.9], [1.1, 0.9, 1.6]], dtype=lib.float64,
                       requires_grad=True)
        w = lib.tensor([[1., 2., 3.], [-1., 0.5, 2.]], dtype=lib.float64)
        (g,) = lib.autograd.grad((getattr(x, fn)(1) * w).sum(), x, create_graph=True)
        (g2,) = lib.autograd.grad((g * w).sum(), x)
        return name(g.grad_fn), values(g2)

    results = both(run)
    for shown, _ in results:
        assert shown == node
    if len(results) == 2:
        assert np.allclose(results[0][1], results[1][1], atol=1e-12)


def test_pow_first_derivative_graph_uses_mul_by_a_number() -> None:
    def run(lib: Any) -> tuple:
        x = lib.tensor([1., 2.], requires_grad=True)
        (g,) = lib.autograd.grad((x ** 3).sum(), x, create_graph=True)
        inner = g.grad_fn.next_functions[1][0]
        return name(g.grad_fn), name(inner), [name(n) for n, _ in inner.next_functions]

    for result in both(run):
        assert result == ("MulBackward0", "MulBackward1", ["PowBackward0"])


def test_abs_first_derivative_uses_sgn() -> None:
    def run(lib: Any) -> str | None:
        x = lib.tensor([1., -2.], requires_grad=True)
        (g,) = lib.autograd.grad(x.abs().sum(), x, create_graph=True)
        return name(g.grad_fn.next_functions[1][0])

    assert set(both(run)) == {"SgnBackward0"}


def test_mm_first_derivative_transposes_with_t() -> None:
    def run(lib: Any) -> str | None:
        x = lib.ones(2, 3, requires_grad=True)
        w = lib.ones(3, 2, requires_grad=True)
        (g,) = lib.autograd.grad((x @ w).sum(), x, create_graph=True)
        return name(g.grad_fn.next_functions[1][0])

    assert set(both(run)) == {"TBackward0"}


def test_leaf_grad_under_create_graph_is_a_copy() -> None:
    def run(lib: Any) -> tuple:
        x = lib.tensor([1., 2.], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (x ** 2).sum().backward(create_graph=True)
            first = x.grad
            nexts = [name(n) for n, _ in first.grad_fn.next_functions]
            (x ** 2).sum().backward(create_graph=True)
        return (name(first.grad_fn), nexts, name(x.grad.grad_fn),
                "tensor([2., 4.], grad_fn=<CopyBackwards>)" == repr(first))

    for result in both(run):
        assert result == ("gradlab::autograd::CopyBackwards", [None, "MulBackward0"],
                          "AddBackward0", True)


def test_retained_grad_under_create_graph_is_a_clone() -> None:
    def run(lib: Any) -> str | None:
        x = lib.tensor([1., 2.], requires_grad=True)
        y = x * 2
        y.retain_grad()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (y ** 2).sum().backward(create_graph=True)
        return name(y.grad.grad_fn)

    assert set(both(run)) == {"CloneBackward0"}


def test_gradgradcheck_checks_second_derivatives() -> None:
    for lib in LIBS:
        x = lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True)
        assert lib.autograd.gradgradcheck(lambda a: (a ** 3).sum(), (x,))
        assert lib.autograd.gradgradcheck(lambda a: (a.tanh() * a.sigmoid()).softmax(0), (x,))


def test_is_inference_mode_enabled_follows_the_block() -> None:
    for lib in LIBS:
        assert not lib.is_inference_mode_enabled()
        with lib.inference_mode():
            assert lib.is_inference_mode_enabled()
            assert not lib.is_grad_enabled()
            with lib.inference_mode(False):
                assert not lib.is_inference_mode_enabled()
        assert not lib.is_inference_mode_enabled()
        assert lib.is_grad_enabled()

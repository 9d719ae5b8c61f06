"""The two Jacobians ``gradcheck`` compares: numerical, by central differences in the input's
own dtype (every element, or along one direction for fast mode), and analytical, one backward
pass per output element. ``gradcheck.py`` decides what agreeing means and what to say.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab.autograd.api import grad
from gradlab.random import Generator
from gradlab.tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when analytical and numerical gradients disagree."""

    __module__ = "gradlab.autograd.gradcheck"  # where users import it from, as in PyTorch


def _as_tuple(x: Any) -> tuple:
    if isinstance(x, tuple):
        return x
    return tuple(x) if isinstance(x, list) else (x,)


def _is_float(t: Any) -> bool:
    return isinstance(t, Tensor) and t._data.dtype.kind == "f"


def _evaluate(func: Callable[..., Any], inputs: tuple) -> tuple[np.ndarray, ...]:
    """The outputs' values (copied: an output may be a view of the perturbed input)."""
    return tuple(np.array(o._data, copy=True) for o in _as_tuple(func(*inputs)))


def _check_same(a: np.ndarray, b: np.ndarray, eps: float, idx: tuple | None) -> None:
    on = "" if idx is None else f" on index {idx}"
    if a.shape != b.shape:
        raise AssertionError(f"Expected `func` to return outputs with the same shape when inputs "
                             f"are perturbed{on} by {eps}, but got: shapes {a.shape} "
                             f"and {b.shape}.")
    if a.dtype != b.dtype:
        raise AssertionError(f"Expected `func` to return outputs with the same dtype when inputs "
                             f"are perturbed{on} by {eps}, but got: dtypes {a.dtype} "
                             f"and {b.dtype}.")


def _numerical_jacobians(func: Callable[..., Any], inputs: tuple, func_out: tuple,
                         eps: float) -> list[list[np.ndarray]]:
    """``[input][output]`` Jacobians (rows: input elements, columns: output elements) of the
    float outputs, by central differences ``(f(x + eps) - f(x - eps)) / (2 eps)``."""
    float_outs = [i for i, o in enumerate(func_out) if _is_float(o)]
    jacobians = []
    for x in inputs:
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        data = x._data  # perturbed in place, as PyTorch perturbs ``x.data``
        per_output = [np.zeros((data.size, func_out[i].numel()), dtype=func_out[i]._data.dtype)
                      for i in float_outs]
        for row, idx in enumerate(itertools.product(*(range(n) for n in data.shape))):
            orig = data[idx].copy()
            data[idx] = orig - data.dtype.type(eps)
            below = _evaluate(func, inputs)
            data[idx] = orig + data.dtype.type(eps)
            above = _evaluate(func, inputs)
            data[idx] = orig
            for k, i in enumerate(float_outs):
                _check_same(below[i], above[i], eps, idx)
                dt = above[i].dtype
                per_output[k][row] = ((above[i] - below[i]) / dt.type(2 * eps)).reshape(-1)
        jacobians.append(per_output)
    return jacobians


def _analytical_rows(output: Tensor, diff_inputs: list[Tensor]) -> list[np.ndarray]:
    """Per input, the Jacobian built one backward pass per output element (one-hot grads)."""
    jacobians = [np.zeros((x.numel(), output.numel()), dtype=x._data.dtype) for x in diff_inputs]
    sizes_ok = True
    one_hot = np.zeros(output._data.size, dtype=output._data.dtype)
    for j in range(one_hot.size):
        one_hot[:] = 0
        one_hot[j] = 1
        grads = grad(output, diff_inputs, Tensor._make(one_hot.reshape(output._data.shape)),
                     retain_graph=True, allow_unused=True)
        for k, (g, x) in enumerate(zip(grads, diff_inputs)):
            if g is None:
                continue
            if g.shape != x.shape:
                sizes_ok = False
                continue
            jacobians[k][:, j] = g._data.reshape(-1)
    if not sizes_ok:
        raise GradcheckError("Analytical gradient has incorrect size")
    return jacobians


def _analytical_jacobians(output: Tensor, diff_inputs: list[Tensor],
                          nondet_tol: float) -> list[np.ndarray]:
    first = _analytical_rows(output, diff_inputs)
    second = _analytical_rows(output, diff_inputs)
    for a, b in zip(first, second):
        if a.size and np.abs(a - b).max() > nondet_tol:
            raise GradcheckError(
                "Backward is not reentrant, i.e., running backward with same input and "
                "grad_output multiple times gives different values, although analytical "
                "gradient matches numerical gradient.The tolerance for nondeterminism was "
                f"{nondet_tol}.\n\nNOTE: If your op relies on non-deterministic operations i.e., "
                "it is listed here:\nhttps://pytorch.org/docs/stable/generated/"
                "torch.use_deterministic_algorithms.html\nthis failure might be expected.\n\n"
                "If you are adding a new operator, please file an issue and then use one of the\n"
                "workarounds. The workaround depends on how your test invokes gradcheck/"
                "gradgradcheck.\nIf the test\n- manually invokes gradcheck/gradgradcheck, then "
                "call gradcheck/gradgradcheck\n  with `nondet_tol=<tol>` as a keyword argument.\n"
                "- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for "
                "the test\n  to have `gradcheck_nondet_tol=<tol>`.\n- is a Module test (e.g., in "
                "common_nn.py), then modify the corresponding\n  module_test entry to have "
                "`gradcheck_nondet_tol=<tol>`\n")
    return first


def _unit_vector(t: Tensor, gen: Generator) -> np.ndarray:
    """``torch.rand(numel)`` (float32) from ``gen``, cast to ``t``'s dtype, divided by its
    norm."""
    vec = gen.uniform((t.numel(),), 0.0, 1.0, np.float32).astype(t._data.dtype)
    return vec / vec.dtype.type(np.sqrt((vec.astype(np.float64) ** 2).sum()))


def _directional(func: Callable[..., Any], inputs: tuple, x: Tensor, u: np.ndarray,
                 eps: float) -> tuple[np.ndarray, ...]:
    """``J u`` for every output, by central differences along ``u`` (scaled by ``eps``)."""
    data = x._data
    step = (u * data.dtype.type(eps)).reshape(data.shape)
    orig = data.copy()
    data[...] = orig - step
    below = _evaluate(func, inputs)
    data[...] = orig + step
    above = _evaluate(func, inputs)
    data[...] = orig
    out = []
    for a, b in zip(below, above):
        _check_same(a, b, eps, None)
        out.append(((b - a) / (2 * eps)).astype(b.dtype, copy=False).reshape(-1))
    return tuple(out)

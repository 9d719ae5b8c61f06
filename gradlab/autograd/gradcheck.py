"""``gradcheck`` / ``gradgradcheck`` as PyTorch 2.13's: its default "slow mode", and
``fast_mode=True`` (one random direction per input and output, from PyTorch's own generator).

In slow mode every element of every input that requires grad is nudged by ``±eps`` *in the
input's own dtype* to build the numerical Jacobian; autograd builds the analytical one, one
backward pass per output element (twice, to catch a non-deterministic backward). They must
agree to ``atol + rtol * |numerical|``. So, as in PyTorch, float32 inputs get a warning and
usually fail: a nudge of 1e-6 is lost in float32 rounding, which is the lesson. Messages are
PyTorch's; after them gradlab lists, for learners, each Jacobian entry that differs.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab.autograd._jacobians import (
    GradcheckError,
    _analytical_jacobians,
    _analytical_rows,
    _as_tuple,
    _directional,
    _is_float,
    _numerical_jacobians,
    _unit_vector,
)
from gradlab.autograd.api import grad
from gradlab.autograd.grad_mode import enable_grad
from gradlab.random import Generator
from gradlab.tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]

MAX_TABLE_ROWS = 12


def _differentiable_outputs(out: Any) -> tuple[Tensor, ...]:
    return tuple(o for o in _as_tuple(out) if isinstance(o, Tensor) and o.requires_grad)


def _check_inputs(inputs: tuple) -> None:
    """PyTorch's checks: a warning for non-double inputs, no stride-0 inputs, one input at least."""
    any_requiring_grad = False
    for idx, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad:
            if x._data.dtype != np.float64:
                warnings.warn(f"Input #{idx} requires gradient and is not a double precision "
                              "floating point or complex. This check will likely fail if all "
                              "the inputs are not of double precision floating point or "
                              "complex. ", UserWarning, stacklevel=4)
            if not all(st > 0 or n <= 1 for st, n in zip(x._data.strides, x._data.shape)):
                raise RuntimeError(f"The {idx}th input has a dimension with stride 0. gradcheck "
                                   "only supports inputs that are non-overlapping to be able to "
                                   "compute the numerical gradients correctly. You should call "
                                   ".contiguous on the input before passing it to gradcheck.")
            any_requiring_grad = True
    if not any_requiring_grad:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of them have requires_grad=True.")


# -- comparing them -----------------------------------------------------------------------------


def _allclose(a: np.ndarray, n: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """``torch.allclose`` elementwise, in the promoted dtype (NaN never agrees)."""
    dt = np.result_type(a.dtype, n.dtype)
    a, n = a.astype(dt), n.astype(dt)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.abs(a - n) <= dt.type(atol) + dt.type(rtol) * np.abs(n)


def _mismatch_message(a: np.ndarray, n: np.ndarray, close: np.ndarray, out_idx: int,
                      in_idx: int, in_shape: tuple, out_shape: tuple) -> str:
    """PyTorch's message, then gradlab's table of the entries that differ."""
    message = (f"Jacobian mismatch for output {out_idx:d} with respect to input {in_idx:d},\n"
               f"numerical:{Tensor._make(n)}\nanalytical:{Tensor._make(a)}\n")
    rows = [f"  {'input elt':<14}{'output elt':<14}{'numerical':>14}{'analytical':>14}"
            f"{'difference':>14}"]
    bad = np.argwhere(~close)
    for r, c in bad[:MAX_TABLE_ROWS]:
        where_in = str(tuple(int(i) for i in np.unravel_index(r, in_shape)))
        where_out = str(tuple(int(i) for i in np.unravel_index(c, out_shape)))
        rows.append(f"  {where_in:<14}{where_out:<14}{n[r, c]:>14.6g}{a[r, c]:>14.6g}"
                    f"{a[r, c] - n[r, c]:>14.3g}")
    if len(bad) > MAX_TABLE_ROWS:
        rows.append(f"  ... and {len(bad) - MAX_TABLE_ROWS} more")
    return (message + f"\ngradlab: the {len(bad)} of {a.size} entries d output[elt] / d input[elt]"
            " that disagree:\n" + "\n".join(rows))


def _check_mul_by_grad_output(outputs: tuple[Tensor, ...], diff_inputs: list[Tensor]) -> None:
    """With zero output gradients every input gradient must be zero (PyTorch's check)."""
    zeros = [Tensor._make(np.zeros_like(o._data)) for o in outputs]
    for g, x in zip(grad(outputs, diff_inputs, zeros, allow_unused=True), diff_inputs):
        if g is None:
            continue
        if not (g._data == 0).all():
            raise GradcheckError("backward not multiplied by grad_output")
        if g._data.dtype != x._data.dtype:
            raise GradcheckError("grad is incorrect type")
        if g.shape != x.shape:
            raise GradcheckError("grad is incorrect size")


FAST_FAIL_SLOW_OK_MSG = """
Fast gradcheck failed but element-wise differences are small. This means that the
test might've passed in slow_mode!

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck:

If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `fast_mode=False` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_fast_mode=False`
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_fast_mode=False`
""".strip()


def _fast_gradcheck(func: Callable[..., Any], inputs: tuple, func_out: tuple,
                    outputs: tuple[Tensor, ...], eps: float, atol: float, rtol: float,
                    nondet_tol: float) -> None:
    """PyTorch's fast mode: compare ``v^T (J u)`` by finite differences with ``(v^T J) u``
    by one backward pass, for random unit vectors ``u`` (per input) and ``v`` (per output)."""
    gen = Generator()  # its own generator: the user's random state is left alone
    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    us = [_unit_vector(x, gen) for x in diff_inputs]
    vs = [_unit_vector(o, gen) for o in outputs]
    float_outs = [i for i, o in enumerate(func_out) if _is_float(o)]
    numerical = []
    for x, u in zip(diff_inputs, us):
        jus = _directional(func, inputs, x, u, eps)
        if not outputs:
            if any(j.size and np.abs(j).max() > nondet_tol for j in jus):
                raise GradcheckError("Numerical gradient for function expected to be zero")
            continue
        numerical.append([(v * jus[k]).sum() for v, k in zip(vs, float_outs)])
    if not outputs:
        return
    analytical = []
    for output, v in zip(outputs, vs):
        g_out = Tensor._make(v.reshape(output._data.shape))
        runs = []
        for _ in range(2):  # twice, to catch a backward that is not reentrant
            grads = grad(output, diff_inputs, g_out, retain_graph=True, allow_unused=True)
            row = []
            for g, x in zip(grads, diff_inputs):
                if g is not None and g.shape != x.shape:
                    raise GradcheckError("Analytical gradient has incorrect size")
                row.append(np.zeros(x.numel(), x._data.dtype) if g is None
                           else g._data.reshape(-1))
            runs.append(row)
        for a, b in zip(*runs):
            if a.size and np.abs(a - b).max() > nondet_tol:
                raise GradcheckError("Backward is not reentrant, i.e., running backward with "
                                     "same input and grad_output multiple times gives different"
                                     " values, although analytical gradient matches numerical "
                                     f"gradient.The tolerance for nondeterminism was "
                                     f"{nondet_tol}.")
        analytical.append([np.dot(vj, u) for vj, u in zip(runs[0], us)])
    for i, per_output in enumerate(numerical):
        for j, n in enumerate(per_output):
            a = analytical[j][i]
            scaled_atol = atol * float(us[i].sum()) * float(vs[j].sum())
            close = _allclose(np.asarray(a), np.asarray(n), rtol, scaled_atol)
            if not close.all():
                raise GradcheckError(
                    f"Jacobian mismatch for output {j:d} with respect to input {i:d},\n"
                    f"numerical:{Tensor._make(np.asarray(n))}\n"
                    f"analytical:{Tensor._make(np.asarray(a))}\n"
                    + _slow_mode_report(func, inputs, func_out, outputs, i, j, eps, atol, rtol))


def _slow_mode_report(func: Callable[..., Any], inputs: tuple, func_out: tuple,
                      outputs: tuple[Tensor, ...], i: int, j: int, eps: float, atol: float,
                      rtol: float) -> str:
    """PyTorch's second part of a fast-mode failure: the full Jacobians, in slow mode."""
    float_outs = [o for o in func_out if _is_float(o)]
    keep = [k for k, o in enumerate(float_outs) if o.requires_grad]
    numerical = _numerical_jacobians(func, inputs, func_out, eps)[i][keep[j]]
    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    analytical = _analytical_rows(outputs[j], diff_inputs)[i]
    max_diff = np.abs(numerical - analytical).max()
    message = (
        "\nThe above quantities relating the numerical and analytical jacobians are computed \n"
        "in fast mode. See: https://github.com/pytorch/pytorch/issues/53876 for more "
        "background \nabout fast mode. Below, we recompute numerical and analytical jacobians "
        "in slow mode:\n\n"
        f"Numerical:\n {Tensor._make(numerical)}\nAnalytical:\n{Tensor._make(analytical)}\n\n"
        f"The max per-element difference (slow mode) is: {Tensor._make(np.asarray(max_diff))}."
        "\n")
    if _allclose(analytical, numerical, rtol, atol).all():
        message += FAST_FAIL_SLOW_OK_MSG
    return message


def _gradcheck(func: Callable[..., Any], inputs: tuple, eps: float, atol: float, rtol: float,
               nondet_tol: float, fast_mode: bool = False) -> bool:
    _check_inputs(inputs)
    func_out = _as_tuple(func(*inputs))
    outputs = _differentiable_outputs(func_out)
    if fast_mode:
        _fast_gradcheck(func, inputs, func_out, outputs, eps, atol, rtol, nondet_tol)
        if outputs:
            _check_mul_by_grad_output(
                outputs, [x for x in inputs if isinstance(x, Tensor) and x.requires_grad])
        return True
    numerical = _numerical_jacobians(func, inputs, func_out, eps)
    if not outputs:
        if any((j != 0).any() for per_input in numerical for j in per_input):
            raise GradcheckError("Numerical gradient for function expected to be zero")
        return True
    # numerical[input][k] follows the float outputs; keep those that require grad
    float_outs = [o for o in func_out if _is_float(o)]
    keep = [k for k, o in enumerate(float_outs) if o.requires_grad]
    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    for i, output in enumerate(outputs):
        analytical = _analytical_jacobians(output, diff_inputs, nondet_tol)
        for j, (a, x) in enumerate(zip(analytical, diff_inputs)):
            n = numerical[j][keep[i]]
            close = _allclose(a, n, rtol, atol)
            if not close.all():
                raise GradcheckError(_mismatch_message(a, n, close, i, j, x._data.shape,
                                                       output._data.shape))
    _check_mul_by_grad_output(outputs, diff_inputs)
    return True


def gradcheck(func: Callable[..., Any], inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked: bool | None = None) -> bool:
    """True if ``func``'s autograd Jacobians match finite differences at ``inputs``; otherwise
    a ``GradcheckError`` (or False with ``raise_exception=False``). Use float64 inputs.

    >>> x = gradlab.tensor([1.0, 2.0], dtype=gradlab.float64, requires_grad=True)
    >>> gradcheck(lambda x: (x ** 3).sum(), (x,))
    True
    """
    if check_forward_ad or check_batched_grad or check_batched_forward_grad:
        raise NotImplementedError("gradlab has no forward-mode AD or vmap: check_forward_ad, "
                                  "check_batched_grad and check_batched_forward_grad must be "
                                  "False")
    if not check_backward_ad:
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad "
                             "to be True")
    try:
        return _gradcheck(func, _as_tuple(inputs), eps, atol, rtol, nondet_tol, fast_mode)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def gradgradcheck(func: Callable[..., Any], inputs: Any, grad_outputs: Any = None, *,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True,
                  nondet_tol: float = 0.0, check_undefined_grad: bool = True,
                  check_grad_dtypes: bool = False, check_batched_grad: bool = False,
                  check_fwd_over_rev: bool = False, check_rev_over_rev: bool = True,
                  fast_mode: bool = False, masked: bool = False) -> bool:
    """``gradcheck`` of the first derivatives, built with ``create_graph=True``: checks the
    second derivatives. Without ``grad_outputs``, random ones uniform in [-1, 1) are drawn from
    the global generator, as PyTorch's ``make_tensor`` draws them."""
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outs = _differentiable_outputs(func(*inputs))
        grad_outputs = tuple(_random_like(o) for o in outs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_out = len(grad_outputs)
    diff_inputs = {i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad}
    diff_grads = {i for i, x in enumerate(grad_outputs) if x.requires_grad}

    def first_derivatives(*args: Any) -> tuple:
        with enable_grad():  # also when called under no_grad
            xs = tuple(x.requires_grad_() if i in diff_inputs else x
                       for i, x in enumerate(args[:-n_out]))
            outs = _differentiable_outputs(func(*xs))
            gs = tuple(g.requires_grad_() if i in diff_grads else g
                       for i, g in enumerate(args[-n_out:]))
            grads = grad(outs, [x for i, x in enumerate(xs) if i in diff_inputs], list(gs),
                         create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     fast_mode=fast_mode)


def _random_like(t: Tensor) -> Tensor:
    """``torch.testing.make_tensor(shape, low=-1, high=1, requires_grad=True)``."""
    dt = t._data.dtype if t._data.dtype.kind == "f" else np.dtype(np.float64)
    out = Tensor._make(np.empty(t._data.shape, dtype=dt))
    out.uniform_(-1, 1)
    return out.requires_grad_()

"""``gradcheck``: compare autograd's gradients with central finite differences, in float64.

When they disagree the error lists, for every input element, the analytic and the numeric
derivative side by side, so a learner sees exactly which derivative is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab.autograd.api import grad
from gradlab.autograd.grad_mode import enable_grad, no_grad
from gradlab.tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when analytic and numeric gradients differ."""


def _outputs(fn: Callable[..., Any], inputs: Sequence[Any]) -> list[Any]:
    out = fn(*inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, Tensor) and o.dtype.is_floating_point]


def _table(i: int, j: int, analytic: np.ndarray, numeric: np.ndarray, bad: np.ndarray) -> str:
    rows = [f"  {'element':<14}{'analytic':>16}{'numeric':>16}{'difference':>14}"]
    for flat in range(analytic.size):
        idx = np.unravel_index(flat, analytic.shape)
        mark = "  <-- differs" if bad.flat[flat] else ""
        a, n = analytic.flat[flat], numeric.flat[flat]
        where = str(tuple(int(x) for x in idx))
        rows.append(f"  {where:<14}{a:>16.6g}{n:>16.6g}{a - n:>14.3g}{mark}")
    return (f"Jacobian mismatch for output {j} with respect to input {i},\n"
            "d output / d input, per input element (summed over output elements weighted by a "
            "random direction):\n" + "\n".join(rows))


def gradcheck(
    func: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    seed: int = 0,
) -> bool:
    """True if ``func``'s autograd gradients match finite differences at ``inputs``.

    Inputs that require grad are copied to float64; each output is contracted with a random
    direction ``v`` so one backward pass per output gives ``v @ J`` for every input, which is
    compared with ``(f(x + eps) - f(x - eps)) / (2 eps)`` contracted the same way.

    >>> gradcheck(lambda x: (x ** 3).sum(), (gradlab.tensor([1.0, 2.0], requires_grad=True),))
    True
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    xs = []
    for x in inputs:
        if isinstance(x, Tensor) and x.requires_grad:
            c = Tensor._make(np.array(x._data, dtype=np.float64))
            c.requires_grad = True
            xs.append(c)
        else:
            xs.append(x)
    diff = [i for i, x in enumerate(xs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of the them have requires_grad=True.")
    rng = np.random.default_rng(seed)
    outs = _outputs(func, xs)
    for j, out in enumerate(outs):
        if out.dtype is not _dtype.float64:
            raise GradcheckError(f"output {j} is {out.dtype}, not gradlab.float64: the function "
                                 "must keep inputs' float64 precision for a meaningful check")
        v = rng.standard_normal(out.shape)
        if not out.requires_grad:
            analytic = [np.zeros_like(xs[i]._data) for i in diff]
        else:
            grads = grad(out, [xs[i] for i in diff], Tensor._make(v), retain_graph=True,
                         allow_unused=True)
            analytic = [np.zeros_like(xs[i]._data) if g is None else g._data.astype(np.float64)
                        for i, g in zip(diff, grads)]
        for k, i in enumerate(diff):
            x = xs[i]._data
            numeric = np.zeros_like(x)
            with no_grad():
                for flat in range(x.size):
                    orig = x.flat[flat]
                    x.flat[flat] = orig + eps
                    plus = _outputs(func, xs)[j]._data.copy()  # a view of x would change
                    x.flat[flat] = orig - eps
                    minus = _outputs(func, xs)[j]._data.copy()
                    x.flat[flat] = orig
                    numeric.flat[flat] = np.sum((plus - minus) * v) / (2 * eps)
            bad = ~(np.abs(analytic[k] - numeric) <= atol + rtol * np.abs(numeric))
            if bad.any():
                if not raise_exception:
                    return False
                raise GradcheckError(_table(i, j, analytic[k], numeric, bad))
    return True


def gradgradcheck(
    func: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """``gradcheck`` of the first derivatives: checks second derivatives (``create_graph``).

    The first derivatives are taken against fixed random output weights (or ``grad_outputs``),
    so the function checked is ``x -> d(v . func(x)) / dx``.
    """
    def first_derivatives(*xs: Any) -> tuple:
        with enable_grad():  # also while gradcheck perturbs the inputs under no_grad
            return _first(xs)

    def _first(xs: tuple) -> tuple:
        outs = [o for o in _outputs(func, xs) if o.requires_grad]
        rng = np.random.default_rng(seed + 1)
        given = [grad_outputs] if isinstance(grad_outputs, Tensor) else grad_outputs
        vs = list(given) if given is not None else [
            Tensor._make(rng.standard_normal(o.shape)) for o in outs]
        diff = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        grads = grad(outs, diff, vs, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, seed=seed)

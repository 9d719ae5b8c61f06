"""Sampling tensors from gradlab's generator: ``rand``, ``randn``, ``randint``, ``randperm``,
``normal``, ``bernoulli`` and the in-place ``uniform_``, ``normal_``, ``bernoulli_``, with
PyTorch's draws for the same ``manual_seed``.

The making of tensors (dtype inference, sizes, errors) is ``creation``'s; this module adds the
random numbers (``gradlab.random``, an MT19937 as PyTorch's CPU generator).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab import _dtype, random
from gradlab._size import memory_order
from gradlab.autograd.graph import Node
from gradlab.ops._util import record
from gradlab.ops.creation import _bad_args, _check_input, _dt, _finish, _is_int, _number, _size
from gradlab.ops.inplace import apply_inplace, inplace
from gradlab.tensor import Tensor


def _gen(generator: Any) -> Any:
    return generator if generator is not None else random.default_generator


def rand(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1); the same numbers as PyTorch after the same ``manual_seed``."""
    out = _gen(generator).uniform(_size(size, "rand"), 0.0, 1.0, _dt(dtype, "rand"))
    return _finish(out, requires_grad, device)


def randn(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples; the same numbers as PyTorch after the same ``manual_seed``."""
    out = _gen(generator).normal(_size(size, "randn"), 0.0, 1.0, _dt(dtype, "randn"))
    return _finish(out, requires_grad, device)


_RANDINT = "(int low, int high, tuple of ints size, *, gradlab.dtype dtype = None, ...)"


def randint(low: Any, high: Any = None, size: Any = None, *, generator: Any = None,
            dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Integers in ``[low, high)``: ``randint(high, size)`` or ``randint(low, high, size)``."""
    given = tuple(v for v in (low, high, size) if v is not None)
    if high is None or (size is None and not isinstance(high, (tuple, list))):
        if size is None and high is not None and _is_int(low):
            raise TypeError(f"randint(): argument 'size' (position 2) must be tuple of ints, not "
                            f"{type(high).__name__}")
        raise _bad_args("randint", given, _RANDINT)
    if size is None:
        low, high, size = 0, low, high
    if not (_is_int(low) and _is_int(high) and isinstance(size, (tuple, list))):
        raise _bad_args("randint", given, _RANDINT)
    dt = _dtype.to_dtype(dtype, "randint") if dtype is not None else _dtype.int64
    shape = _size((size,), "randint")
    out = _gen(generator).randint(_number(low), _number(high), shape, dt.np)
    return _finish(out, requires_grad, device)


def randperm(n: Any, *, generator: Any = None, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0 .. n-1``."""
    if not _is_int(n):
        raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    dt = _dtype.to_dtype(dtype, "randperm") if dtype is not None else _dtype.int64
    if dt is _dtype.bool:
        raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
    return _finish(_gen(generator).randperm(_number(n)).astype(dt.np), requires_grad, device)


class BernoulliBackward0(Node):
    """``bernoulli(p)``: the samples do not depend smoothly on ``p``; its gradient is zero."""

    def backward(self, g: Any) -> Any:
        return g * 0


class BernoulliBackward1(Node):
    """``x.bernoulli_(p)`` with a tensor ``p``: zero for both."""

    def backward(self, g: Any) -> Any:
        return g * 0, None


class BernoulliBackward2(BernoulliBackward0):
    """``x.bernoulli_(p)`` with a number ``p``."""


class NotImplementedBackward(Node, name="NotImplemented"):
    """``bernoulli(x, p)``: PyTorch records a node whose derivative does not exist."""

    def backward(self, g: Any) -> Any:
        raise RuntimeError("derivative for aten::bernoulli is not implemented")


def _bernoulli_draw(like: np.ndarray, p: Any, generator: Any, dense: bool) -> np.ndarray:
    """0/1 samples shaped and typed like ``like``, drawn along its memory as PyTorch does."""
    gen, dt = _gen(generator), like.dtype
    if isinstance(p, np.ndarray):
        p = np.broadcast_to(p, like.shape)
    order = memory_order(like, dense)
    if order is None:
        return gen.bernoulli(p, like.shape, dt)
    if isinstance(p, np.ndarray):
        p = np.transpose(p, order)
    values = gen.bernoulli(p, tuple(like.shape[d] for d in order), dt)
    return np.transpose(values, np.argsort(order))


def _bernoulli_contiguous(x: np.ndarray, p: Any, generator: Any) -> np.ndarray:
    """PyTorch's out-of-place ``bernoulli`` fills a C-contiguous result, whatever ``x``'s
    layout."""
    return _gen(generator).bernoulli(
        np.ascontiguousarray(p) if isinstance(p, np.ndarray) else p, x.shape, x.dtype)


def bernoulli(input: Tensor, p: Any = None, *, generator: Any = None) -> Tensor:
    """0 or 1 per element: 1 with probability ``input`` (or ``p``), from PyTorch's generator,
    so the same draws as PyTorch after the same ``manual_seed``."""
    _check_input(input, "bernoulli")
    x = input._data
    if p is None:
        if x.dtype.kind != "f":
            raise NotImplementedError(
                f"\"bernoulli_tensor_cpu_p_\" not implemented for '{input.dtype._legacy[:-6]}'")
        return record(_bernoulli_contiguous(x, x, generator), BernoulliBackward0, (input,))
    if isinstance(p, Tensor) or not isinstance(p, (int, float, np.number)):
        raise _bad_args("bernoulli", (input, p), "(Tensor input, float p, *, gradlab.Generator "
                        "generator = None)")
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    return record(_bernoulli_contiguous(x, p, generator), NotImplementedBackward, (input,))


def _bernoulli_fill(a: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    x = a._data
    if isinstance(p, Tensor):
        try:
            np.broadcast_to(p._data, x.shape)
        except ValueError:
            raise RuntimeError(
                f"The expanded size of the tensor ({x.shape[-1]}) must match the existing size "
                f"({p.shape[-1]}) at non-singleton dimension {x.ndim - 1}.  Target sizes: "
                f"{list(x.shape)}.  Tensor sizes: {list(p.shape)}") from None
        out = _bernoulli_draw(x, p._data, generator, False)
        return record(out, BernoulliBackward1, (a, p))
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    return record(_bernoulli_draw(x, p, generator, False), BernoulliBackward2, (a,))


def bernoulli_(a: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    """Fill ``a`` in place with 0/1 samples, 1 with probability ``p`` (a number or a tensor)."""
    return apply_inplace(a, _bernoulli_fill, p, generator=generator)


def _random_fill(kind: str) -> Callable[..., Tensor]:
    """``uniform_(a, b)`` or ``normal_(mean, std)``: new values for every element of ``a``."""
    def op(a: Tensor, x: float = 0.0, y: float = 1.0, *, generator: Any = None) -> Tensor:
        gen = _gen(generator)
        dt = a._data.dtype
        if kind == "uniform":
            def draw(shape: tuple) -> np.ndarray:
                return gen.uniform(shape, x, y, dt)
        else:  # PyTorch's vectorised normal needs contiguous memory, else one value at a time
            serial = not a._data.flags.c_contiguous

            def draw(shape: tuple) -> np.ndarray:
                return gen.normal(shape, x, y, dt, serial=serial)
        # drawn along the tensor's own memory, as PyTorch's kernels walk it
        return Tensor._make(np.asarray(random.fill_like(a._data, draw, dense=False), dtype=dt))

    op.__name__ = kind
    return op


uniform_ = inplace(_random_fill("uniform"))
normal_ = inplace(_random_fill("normal"))


def rand_like(a: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """``empty_like(a).uniform_()``: drawn along the memory a dense ``a`` (a transpose) has."""
    _check_input(a, "rand_like")
    dt = _dt(dtype or a.dtype, "rand_like")
    gen = random.default_generator
    out = random.fill_like(a._data, lambda shape: gen.uniform(shape, 0.0, 1.0, dt))
    return _finish(out, requires_grad, None)


def randn_like(a: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """``empty_like(a).normal_()``: a transposed ``a`` gets PyTorch's one-at-a-time draws."""
    _check_input(a, "randn_like")
    dt = _dt(dtype or a.dtype, "randn_like")
    gen = random.default_generator
    serial = random.memory_order(a._data) is not None
    out = random.fill_like(a._data, lambda shape: gen.normal(shape, 0.0, 1.0, dt, serial))
    return _finish(out, requires_grad, None)


def normal(mean: float, std: float, size: Any, *, generator: Any = None, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    out = _gen(generator).normal(_size((size,), "normal"), float(mean), float(std),
                                 _dt(dtype, "normal"))
    return _finish(out, requires_grad)

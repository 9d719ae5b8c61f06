"""Float arithmetic as PyTorch's CPU kernels do it, where numpy's differs.

Errors stay quiet (``quiet``/``restore``): inf and nan come out without a warning, as in
PyTorch. A multiply feeding an add rounds once (``fma32``, ``fma64``, ``rounds_twice``),
where GCC contracts it in PyTorch's compiled kernels: the RNG's transforms, Adam's
``lerp_``/``addcmul_``, the normalization kernels. A float32 ``exp``, ``log``, ``tanh``, ``sin``...
is rounded once from float64 (``rounded``), as PyTorch's vectorised kernels almost always round it.

>>> fma32(np.float32(0.1), np.float32(3), np.float32(-0.3))   # one rounding, not two
"""

from __future__ import annotations

import contextvars
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["quiet", "restore", "fma32", "fma64", "rounds_twice", "rounded"]

# -- quiet floating-point errors ---------------------------------------------------------------
# ``np.errstate`` builds its settings object on every entry (microseconds: more than the numpy
# op it guards on a course-sized tensor). numpy (2.0 and later) keeps its error settings in a
# context variable, so the settings are made once here, by the public ``np.seterr`` run inside
# an empty ``contextvars.Context``, and that variable is switched in and out, always as
# ``token = quiet()`` then ``try: ... finally: restore(token)``.


def _ignore_all() -> list[tuple[contextvars.ContextVar, Any]]:
    """``np.seterr(all="ignore")`` in a fresh context: the variables it set, with their values."""
    np.seterr(all="ignore")
    return list(contextvars.copy_context().items())


_SET = contextvars.Context().run(_ignore_all)

if len(_SET) == 1:  # numpy's error state is this one context variable
    _VAR, _IGNORE = _SET[0]

    def quiet() -> Any:
        """Ignore floating-point errors until ``restore`` is called with the returned token."""
        return _VAR.set(_IGNORE)

    def restore(token: Any) -> None:
        _VAR.reset(token)

else:  # numpy < 2 keeps it per thread: the public (slower) way

    def quiet() -> Any:
        """Ignore floating-point errors until ``restore`` is called with the returned token."""
        state = np.errstate(all="ignore")
        state.__enter__()
        return state

    def restore(token: Any) -> None:
        token.__exit__(None, None, None)


# -- fused multiply-add ------------------------------------------------------------------------


_LOW29 = np.uint64(0x1FFFFFFF)  # the float64 bits below float32 precision
_HALF = np.uint64(0x10000000)  # ...exactly half a float32 unit in the last place
_ABS = np.uint64(0x7FFFFFFFFFFFFFFF)
_TINY = np.uint64(np.float64(2.0**-125).view(np.uint64) - 1)  # below: float32 subnormals


def rounds_twice(total: np.ndarray, out: np.ndarray | None = None,
                 scratch: np.ndarray | None = None) -> np.ndarray:
    """Where rounding the float64 ``total`` (an exact float32 product plus a float32) to float32
    may differ from rounding the exact sum once: exactly half-way between two float32 values,
    or nonzero and in the float32 subnormal range. ``out`` (bool) and ``scratch`` (uint64),
    shaped like ``total``, spare the allocations in hot loops."""
    bits = total.view(np.uint64)
    buf = np.empty(bits.shape, np.uint64) if scratch is None else scratch
    mask = np.empty(bits.shape, np.bool_) if out is None else out
    np.bitwise_and(bits, _LOW29, out=buf)
    np.equal(buf, _HALF, out=mask)
    np.bitwise_and(bits, _ABS, out=buf)
    np.subtract(buf, np.uint64(1), out=buf)  # 0 wraps around: an exact zero is exact
    mask |= buf < _TINY
    return mask


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    total = a + b
    b_part = total - a
    return total, (a - (total - b_part)) + (b - b_part)


def _sum_round_to_odd(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a + b rounded to odd: a later rounding to fewer bits is then correctly rounded."""
    total, error = _two_sum(a, b)
    fix = (error != 0) & ((total.view(np.int64) & 1) == 0)
    if fix.any():
        total = np.where(fix, np.nextafter(total, np.where(error > 0, np.inf, -np.inf)), total)
    return total


def fma32(a, b, c) -> np.ndarray:
    """float32 ``a * b + c`` with a single rounding.

    The product is exact in float64, so only the sum rounds twice (to float64, then float32);
    that differs from one rounding only where ``rounds_twice`` says, and those rare elements
    are redone with round-to-odd.
    """
    a, b, c = np.broadcast_arrays(*(np.asarray(x, dtype=np.float32) for x in (a, b, c)))
    shape = a.shape
    a, b, c = (x.reshape(-1).astype(np.float64) for x in (a, b, c))
    product = a * b
    total = product + c
    risky = rounds_twice(total)
    if risky.any():
        total[risky] = _sum_round_to_odd(product[risky], c[risky])
    return total.astype(np.float32).reshape(shape)


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scaled = a * 134217729.0  # Veltkamp split into two 26-bit halves
    high = scaled - (scaled - a)
    return high, a - high


def fma64(a, b, c) -> np.ndarray:
    """float64 ``a * b + c`` with a single rounding (Boldo and Melquiond's round-to-odd FMA)."""
    a, b, c = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (a, b, c)))
    shape = a.shape
    a, b, c = (x.reshape(-1) for x in (a, b, c))
    product = a * b
    (a_hi, a_lo), (b_hi, b_lo) = _split(a), _split(b)
    product_err = ((a_hi * b_hi - product) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    high, low = _two_sum(c, product)
    out = high + _sum_round_to_odd(low, product_err)
    # where the split under- or overflows, the exact rational value, rounded once
    odd = np.isfinite(product) & np.isfinite(c) & (
        (np.abs(product) < 2.0 ** -969) | (np.maximum(np.abs(a), np.abs(b)) > 2.0 ** 995))
    for i in np.flatnonzero(odd):
        out[i] = float(Fraction(float(a[i])) * Fraction(float(b[i])) + Fraction(float(c[i])))
    out = np.where(np.isinf(product) & np.isfinite(c), product, out)
    return out.reshape(shape)


# -- transcendental functions --------------------------------------------------------------------


def rounded(fn: Any, x: np.ndarray) -> np.ndarray:
    """``fn(x)`` (a numpy ufunc: exp, log, tanh, sin...) rounded as PyTorch rounds it.

    numpy's float32 kernels are an ulp off on a third of the inputs to exp or tanh; PyTorch's
    (SLEEF) are almost always correctly rounded. Computed in float64 and rounded once, 99% of
    float32 results agree with PyTorch's bit for bit (exp 99.0%, tanh 99.8%, log10 and log2
    ~100%, sin and cos 95%; numpy's own: 61%, 67%, 54%, 85%). Other dtypes: numpy's ``fn``.
    Overflow, log(0) and the like give inf and nan without a warning, as in PyTorch.
    """
    token = quiet()
    try:
        if x.dtype == np.float32 or x.dtype == np.float16:
            return fn(x.astype(np.float64)).astype(x.dtype)
        return fn(x)
    finally:
        restore(token)

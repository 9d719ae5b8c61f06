"""``einsum``: Einstein summation, built the way PyTorch builds it from ops it already has.

Each operand's repeated letters become a diagonal, letters no one else needs are summed out,
and two operands meet in one batched matrix product (``permute → reshape → bmm → view →
permute → view``), or, when nothing is contracted, in a broadcast multiply. So the graph ends
in PyTorch's nodes (``ViewBackward0`` for a contraction, ``MulBackward0`` for an outer
product, ``SumBackward1`` for a reduction, ``PermuteBackward0`` for a transpose) and every
gradient, second derivatives included, comes from those ops' own backward formulas.
"""

from __future__ import annotations

import math
import string
from typing import Any

import numpy as np

from gradlab.autograd.graph import Node
from gradlab.ops._util import record
from gradlab.ops.linalg import bmm
from gradlab.ops.reduction import sum as reduce_sum
from gradlab.ops.shape import permute, reshape, unsqueeze
from gradlab.tensor import Tensor

__all__ = ["einsum"]

LETTERS = set(string.ascii_letters)


class DiagonalBackward0(Node):
    """The diagonal over dims (d1, d2), moved last: its gradient goes back onto it."""

    def backward(self, g: Any) -> Any:
        d1, d2, n = self.d1, self.d2, self.size
        eye = np.eye(n, dtype=self._meta[0][1])
        if isinstance(g, Tensor):  # g[..., k] * eye[j, k] placed at dims d1, d2
            spread = unsqueeze(g, -2) * Tensor._make(eye)
            return _move_last_two(spread, d1, d2)
        spread = g[..., None, :] * eye
        return np.moveaxis(spread, (-2, -1), (d1, d2))


def _move_last_two(t: Tensor, d1: int, d2: int) -> Tensor:
    order = list(range(t.ndim - 2))
    for d, src in sorted([(d1, t.ndim - 2), (d2, t.ndim - 1)]):
        order.insert(d, src)
    return permute(t, order)


def _diagonal(a: Tensor, d1: int, d2: int) -> Tensor:
    out = np.diagonal(a._data, axis1=d1, axis2=d2).copy()
    return record(out, DiagonalBackward0, (a,), d1=d1, d2=d2, size=a._data.shape[d1])


def _parse(equation: str, n: int) -> tuple[list[str], str]:
    equation = equation.replace(" ", "")
    if "." in equation:
        raise NotImplementedError("gradlab's einsum does not take '...' (ellipsis) subscripts")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != n:
        raise ValueError("einsum(): more operands were provided than specified in the equation"
                         if n > len(terms) else
                         "einsum(): fewer operands were provided than specified in the equation")
    for term in terms + [rhs]:
        bad = [c for c in term if c not in LETTERS]
        if bad:
            raise ValueError(f"einsum(): invalid subscript given at index {equation.index(bad[0])}"
                             " in the equation string, subscripts must be in [a-zA-Z]")
    if not arrow:  # implicit output: the letters used once, in alphabetical order
        joined = "".join(terms)
        rhs = "".join(sorted(c for c in set(joined) if joined.count(c) == 1))
    return terms, rhs


def _prepare(t: Tensor, term: str, keep: set[str]) -> tuple[Tensor, str]:
    """Take diagonals of repeated letters and sum out letters nobody else needs."""
    if t.ndim != len(term):
        raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(term)}) "
                           f"does not match the number of dimensions ({t.ndim}) for operand 0 "
                           "and no ellipsis was given")
    while len(set(term)) != len(term):
        c = next(c for c in term if term.count(c) > 1)
        d1 = term.index(c)
        d2 = term.index(c, d1 + 1)
        t = _diagonal(t, d1, d2)
        term = term[:d1] + term[d1 + 1:d2] + term[d2 + 1:] + c
    summed = [i for i, c in enumerate(term) if c not in keep]
    if summed:
        t = reduce_sum(t, summed)
        term = "".join(c for c in term if c in keep)
    return t, term


def _align(t: Tensor, term: str, order: str) -> Tensor:
    """``t`` permuted and unsqueezed so its dims follow ``order`` (size 1 where absent)."""
    present = [c for c in order if c in term]
    if present != list(term):
        t = permute(t, [term.index(c) for c in present])
    shape = [t.shape[present.index(c)] if c in present else 1 for c in order]
    return reshape(t, *shape) if len(shape) != t.ndim else t


def _pair(a: Tensor, ta: str, b: Tensor, tb: str, keep: str) -> tuple[Tensor, str]:
    """Two operands into one, keeping the letters in ``keep`` (in that order)."""
    contracted = [c for c in ta if c in tb and c not in keep]
    if not contracted:
        order = keep
        return _align(a, ta, order) * _align(b, tb, order), order
    batch = [c for c in keep if c in ta and c in tb]
    left = [c for c in keep if c in ta and c not in tb]
    right = [c for c in keep if c in tb and c not in ta]
    size = {c: a.shape[ta.index(c)] for c in ta} | {c: b.shape[tb.index(c)] for c in tb}
    n_b, n_l, n_r, n_k = (math.prod(size[c] for c in group)
                          for group in (batch, left, right, contracted))
    a3 = reshape(_align(a, ta, "".join(batch + left + contracted)), n_b, n_l, n_k)
    b3 = reshape(_align(b, tb, "".join(batch + contracted + right)), n_b, n_k, n_r)
    product = bmm(a3, b3)
    got = batch + left + right
    out = product.view(tuple(size[c] for c in got))
    if got != list(keep):
        out = permute(out, [got.index(c) for c in keep])
        out = out.view(tuple(out.shape))
    return out, "".join(got if got == list(keep) else keep)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Sum of products over the letters of ``equation``, e.g. ``einsum("ij,jk->ik", a, b)``
    is ``a @ b`` and ``einsum("ii", a)`` the trace."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    terms, out = _parse(equation, len(operands))
    tensors = list(operands)
    for k, (t, term) in enumerate(zip(tensors, terms)):
        others = set(out).union(*(terms[j] for j in range(len(terms)) if j != k))
        tensors[k], terms[k] = _prepare(t, term, others)
    result, term = tensors[0], terms[0]
    for k in range(1, len(tensors)):
        later = set(out).union(*terms[k + 1:])
        keep = "".join(c for c in dict.fromkeys(term + terms[k]) if c in later)
        if k == len(tensors) - 1:
            keep = out
        result, term = _pair(result, term, tensors[k], terms[k], keep)
    if term != out:
        summed = [i for i, c in enumerate(term) if c not in out]
        if summed:
            result = reduce_sum(result, summed)
            term = "".join(c for c in term if c in out)
        if term != out:
            result = permute(result, [term.index(c) for c in out])
    return result

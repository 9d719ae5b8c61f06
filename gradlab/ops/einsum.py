"""``einsum``: Einstein summation, built step by step the way PyTorch builds it from ops it has.

Every operand is first aligned to one common dimension order — the output's letters (and
``...``), then the summed letters — by ``diagonal`` + ``movedim`` for a repeated letter,
``unsqueeze`` for a missing one and one ``permute``. Operands are then combined left to right:
dims only one side still needs are summed at once, and a pair meets in a batched matrix
product (``permute → reshape → bmm → view → permute``), or, with nothing to contract, a
broadcast multiply. So the graph holds PyTorch's nodes (``PermuteBackward0`` even for a plain
copy, ``ViewBackward0`` after a contraction, ``MulBackward0``, ``SumBackward1``) and every
gradient, second derivatives included, comes from those ops' own backward formulas.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gradlab.autograd.graph import Node
from gradlab.ops._util import record
from gradlab.ops.linalg import bmm
from gradlab.ops.reduction import sum as reduce_sum
from gradlab.ops.shape import permute, reshape, unsqueeze, view
from gradlab.tensor import Tensor

__all__ = ["einsum"]

ELLIPSIS = "."


class DiagonalBackward0(Node):
    """The diagonal over dims (d1, d2), moved last: its gradient goes back onto it."""

    def backward(self, g: Any) -> Any:
        d1, d2, n = self.d1, self.d2, self.size
        if isinstance(g, Tensor):  # g[..., k] * eye[j, k] placed at dims d1, d2
            spread = unsqueeze(g, -2) * Tensor._make(np.eye(n, dtype=self._meta[0][1]))
            return _move_last_two(spread, d1, d2)
        spread = np.zeros(g.shape[:-1] + (n, n), dtype=g.dtype)  # +0. off the diagonal
        spread[..., np.arange(n), np.arange(n)] = g
        return np.moveaxis(spread, (-2, -1), (d1, d2))


def _move_last_two(t: Tensor, d1: int, d2: int) -> Tensor:
    order = list(range(t.ndim - 2))
    for d, src in sorted([(d1, t.ndim - 2), (d2, t.ndim - 1)]):
        order.insert(d, src)
    return permute(t, order)


def _diagonal(a: Tensor, d1: int, d2: int) -> Tensor:
    out = np.diagonal(a._data, axis1=d1, axis2=d2).copy()
    return record(out, DiagonalBackward0, (a,), d1=d1, d2=d2, size=a._data.shape[d1])


def _movedim_last_to(t: Tensor, d: int) -> Tensor:
    order = list(range(t.ndim - 1))
    order.insert(d, t.ndim - 1)
    return permute(t, order)


def _labels(lhs: str, n: int) -> list[list[str]]:
    """Each operand's labels (``.`` standing for its ellipsis), checked as PyTorch does."""
    labels: list[list[str]] = [[] for _ in range(n)]
    op, seen_ellipsis, i = 0, False, 0
    while i < len(lhs):
        c = lhs[i]
        if c == ".":
            if seen_ellipsis:
                raise RuntimeError(f"einsum(): found '.' for operand {op} for which an ellipsis "
                                   "was already found")
            if not (i + 2 < len(lhs) and lhs[i + 1] == "." and lhs[i + 2] == "."):
                raise RuntimeError(f"einsum(): found '.' for operand {op} that is not part of "
                                   "any ellipsis")
            labels[op].append(ELLIPSIS)
            seen_ellipsis, i = True, i + 2
        elif c == ",":
            op += 1
            if op >= n:
                raise RuntimeError(
                    "einsum(): fewer operands were provided than specified in the equation")
            seen_ellipsis = False
        elif c != " ":
            if not (c.isascii() and c.isalpha()):
                raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the "
                                   "equation string, subscripts must be in [a-zA-Z]")
            labels[op].append(c)
        i += 1
    if op != n - 1:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    return labels


def _output(equation: str, arrow: int, counts: dict[str, int]) -> tuple[list[str], bool]:
    """The output's labels in order (``.`` for the ellipsis) and whether ``...`` is in it."""
    if arrow < 0:  # implicit: the ellipsis, then the labels used once, A-Z before a-z
        return [ELLIPSIS] + sorted(c for c, k in counts.items() if k == 1), True
    rhs, out, has_ellipsis, i = equation[arrow + 2:], [], False, 0
    while i < len(rhs):
        c = rhs[i]
        if c == ".":
            if has_ellipsis:
                raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was "
                                   "already found")
            if not (i + 2 < len(rhs) and rhs[i + 1] == "." and rhs[i + 2] == "."):
                raise RuntimeError("einsum(): found '.' for output that is not part of any "
                                   "ellipsis (...)")
            out.append(ELLIPSIS)
            has_ellipsis, i = True, i + 2
        elif c != " ":
            if not (c.isascii() and c.isalpha()):
                raise RuntimeError(f"einsum(): invalid subscript given at index {arrow + 2 + i}"
                                   " in the equation string, subscripts must be in [a-zA-Z]")
            if c in out or not counts.get(c):
                raise RuntimeError(f"einsum(): output subscript {c}" + (
                    " appears more than once in the output" if c in out else
                    " does not appear in the equation for any input operand"))
            out.append(c)
        i += 1
    return out, has_ellipsis


def _align(t: Tensor, k: int, labels: list[str], where: dict[str, int], n_ell: int, ell_at: int,
           sizes: dict[Any, int], counts: list[int]) -> Tensor:
    """Operand ``k`` with one dim per position of the common order (PyTorch's preprocessing)."""
    perm = [-1] * len(counts)
    dim = 0
    for s in labels:
        if s == ELLIPSIS:
            covered = t.ndim - (len(labels) - 1)
            for j in range(n_ell - covered, n_ell):
                size = t.shape[dim]
                if size != 1:
                    if sizes.get(j, 1) not in (1, size):
                        raise RuntimeError(
                            f"einsum(): dimension {dim} covered by ellipsis in operand {k}has "
                            f"size {size} which does not broadcast with previously seen "
                            f"ellipsis with size {sizes[j]} for the respective dimension")
                    sizes[j] = size
                    counts[ell_at + j] += 1
                perm[ell_at + j] = dim
                dim += 1
        elif perm[where[s]] == -1:
            size = t.shape[dim]
            if size != 1:
                if sizes.get(s, 1) not in (1, size):
                    raise RuntimeError(f"einsum(): subscript {s} has size {size} for operand {k}"
                                       f" which does not broadcast with previously seen size "
                                       f"{sizes[s]}")
                sizes[s] = size
                counts[where[s]] += 1
            perm[where[s]] = dim
            dim += 1
        else:  # a repeated label: its diagonal, put where the label first was
            prev = perm[where[s]]
            if t.shape[dim] != t.shape[prev]:
                raise RuntimeError(f"einsum(): subscript {s} is repeated for operand {k} but the "
                                   f"sizes don't match, {t.shape[dim]} != {t.shape[prev]}")
            t = _movedim_last_to(_diagonal(t, prev, dim), prev)
    for p, v in enumerate(perm):
        if v == -1:
            t = unsqueeze(t, dim)
            perm[p] = dim
            dim += 1
    return permute(t, perm)


def _sumproduct_pair(left: Tensor, right: Tensor, sum_dims: list[int]) -> Tensor:
    """``(left * right).sum(sum_dims, keepdim=True)`` through one ``bmm`` (PyTorch's
    ``sumproduct_pair``); the inputs have the same number of dims, broadcastable."""
    if not sum_dims:
        return left * right
    lro: list[int] = []
    lo: list[int] = []
    ro: list[int] = []
    sum_size = 1
    for i in range(left.ndim):
        sl, sr = left.shape[i] != 1, right.shape[i] != 1
        if i in sum_dims:
            if sl and sr:
                if left.shape[i] != right.shape[i]:
                    raise RuntimeError("non-broadcast dimensions must match")
                sum_size *= left.shape[i]
            elif sl:
                left = reduce_sum(left, i, True)
            elif sr:
                right = reduce_sum(right, i, True)
        elif sl and sr:
            if left.shape[i] != right.shape[i]:
                raise RuntimeError("non-broadcast dimensions must match")
            lro.append(i)
        elif sl:
            lo.append(i)
        else:
            ro.append(i)
    lro_size, lo_size, ro_size = (math.prod(left.shape[d] for d in lro),
                                  math.prod(left.shape[d] for d in lo),
                                  math.prod(right.shape[d] for d in ro))
    out_size = ([left.shape[d] for d in lro] + [left.shape[d] for d in lo]
                + [1] * len(sum_dims) + [right.shape[d] for d in ro])
    operm = [0] * len(out_size)
    for i, d in enumerate(lro + lo + sum_dims + ro):
        operm[d] = i
    left = reshape(permute(left, lro + lo + sum_dims + ro), lro_size, lo_size, sum_size)
    right = reshape(permute(right, lro + sum_dims + ro + lo), lro_size, sum_size, ro_size)
    return permute(view(bmm(left, right), *out_size), operm)


def _from_sublists(args: tuple) -> tuple[str, tuple]:
    """PyTorch's sublist form: integers 0-51 stand for A-Z, a-z and ``...`` for an ellipsis."""

    def letters(sublist: Any) -> str:
        out = ""
        for n in sublist:
            if n is Ellipsis:
                out += "..."
            elif 0 <= n < 26:
                out += chr(ord("A") + n)
            elif 26 <= n < 52:
                out += chr(ord("a") + n - 26)
            else:
                raise ValueError("einsum(): subscript in subscript list is not within the valid"
                                 " range [0, 52)")
        return out

    operands = args[0:-1:2] if len(args) % 2 else args[0::2]
    terms = ",".join(letters(sub) for sub in args[1::2][:len(operands)])
    return terms + ("->" + letters(args[-1]) if len(args) % 2 else ""), operands


def einsum(equation: str, *operands: Any) -> Tensor:
    """Sum of products over the letters of ``equation``, e.g. ``einsum("ij,jk->ik", a, b)``
    is ``a @ b``, ``einsum("ii", a)`` the trace and ``einsum("...ij->...ji", x)`` a batched
    transpose."""
    if isinstance(equation, Tensor):  # einsum(op1, sublist1, op2, sublist2, ..., [out])
        equation, operands = _from_sublists((equation,) + operands)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    arrow = equation.find("->")
    labels = _labels(equation if arrow < 0 else equation[:arrow], len(operands))
    counts: dict[str, int] = {}
    n_ell = 0
    for k, (t, labs) in enumerate(zip(operands, labels)):
        named = len([c for c in labs if c != ELLIPSIS])
        for c in labs:
            if c != ELLIPSIS:
                counts[c] = counts.get(c, 0) + 1
        has_ell = ELLIPSIS in labs
        if has_ell:
            n_ell = max(n_ell, t.ndim - named)
        if (named > t.ndim) if has_ell else (named != t.ndim):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({named}) "
                + ("is more than" if has_ell else "does not match")
                + f" the number of dimensions ({t.ndim}) for operand {k}"
                + ("" if has_ell else " and no ellipsis was given"))
    out, ell_in_out = _output(equation, arrow, counts)
    where: dict[str, int] = {}
    ell_at = position = 0
    for c in out:
        if c == ELLIPSIS:
            ell_at, position = position, position + n_ell
        else:
            where[c], position = position, position + 1
    n_out = position
    if not ell_in_out:
        ell_at, position = position, position + n_ell
    for c in sorted(counts):  # the summed letters, A-Z before a-z
        if c not in where:
            where[c], position = position, position + 1
    sizes: dict[Any, int] = {}
    dim_counts = [0] * position
    ops = [_align(t, k, labs, where, n_ell, ell_at, sizes, dim_counts)
           for k, (t, labs) in enumerate(zip(operands, labels))]
    while len(ops) > 1:  # left to right, each result in front
        a, b = ops.pop(0), ops.pop(0)
        sum_dims, a_sum, b_sum = [], [], []
        for d in range(n_out, position):
            if a.shape[d] != 1 and b.shape[d] != 1:
                dim_counts[d] -= 1
                if dim_counts[d] == 1:
                    sum_dims.append(d)
                    dim_counts[d] = 0
            elif dim_counts[d] == 1:
                if a.shape[d] != 1:
                    a_sum.append(d)
                    dim_counts[d] = 0
                elif b.shape[d] != 1:
                    b_sum.append(d)
                    dim_counts[d] = 0
        if a_sum:
            a = reduce_sum(a, a_sum, True)
        if b_sum:
            b = reduce_sum(b, b_sum, True)
        ops.insert(0, _sumproduct_pair(a, b, sum_dims))
    result = ops[0]
    if position > n_out:
        if len(operands) > 1:
            return view(result, tuple(result.shape[:n_out]))
        return reduce_sum(result, list(range(n_out, position)))
    return result

"""Small sums: the order of the adds recorded once per layout, then replayed with gathers.

Running the kernels on symbols (``_Sym``) records which adds happen; later sums with the
same shape, strides and dims only replay that plan (a few microseconds).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab._numerics.layout import _iter_view, _to_output
from gradlab._numerics.order import _seq_last, _serial

# -- small inputs: record the order once per layout, then replay it with a few gathers ----------

_PLAN_CACHE_SIZE = 512
_plans: dict[tuple, tuple] = {}
_direct: dict[tuple, tuple] = {}  # plans that are a single run of adds, by layout and dims


def forget() -> None:
    """Drop every recorded plan (the next sums are traced afresh)."""
    _plans.clear()
    _direct.clear()


class _Sym:
    """A symbolic number: running the kernels on these records which adds happen, in order."""

    __slots__ = ("left", "right", "leaf")

    def __init__(self, left: Any = None, right: Any = None, leaf: int = -1) -> None:
        self.left, self.right, self.leaf = left, right, leaf

    def __add__(self, other: Any) -> _Sym:
        return self if isinstance(other, int) else _Sym(self, other)  # 0 + x is x

    def __radd__(self, other: Any) -> _Sym:
        return self if isinstance(other, int) else _Sym(other, self)


def _chain(node: _Sym) -> list[_Sym]:
    """((a + b) + c) + d  ->  [a, b, c, d]: a run of adds into one accumulator."""
    ops = []
    while node.leaf < 0:
        ops.append(node.right)
        node = node.left
    ops.append(node)
    return ops[::-1]


def _compile(values: list[_Sym], n_leaves: int) -> tuple:
    """Group the chains by depth: each depth becomes one gather and one sequential sum.

    Slots 0..n-1 of the replay buffer hold the input, slot n holds 0.0 (padding a short
    chain with trailing zeros leaves its sum unchanged), chain results follow.
    """
    slot: dict[int, int] = {}
    depth: dict[int, int] = {}
    levels: dict[int, list] = {}
    stack = [(v, False) for v in values if v.leaf < 0]
    while stack:
        node, ready = stack.pop()
        if id(node) in slot:
            continue
        ops = _chain(node)
        if not ready:
            stack.append((node, True))
            stack.extend((op, False) for op in ops if op.leaf < 0)
            continue
        depth[id(node)] = 1 + max((depth[id(op)] for op in ops if op.leaf < 0), default=0)
        slot[id(node)] = n_leaves + 1 + len(slot)
        row = [op.leaf if op.leaf >= 0 else slot[id(op)] for op in ops]
        levels.setdefault(depth[id(node)], []).append((row, slot[id(node)]))
    plan = []
    for d in sorted(levels):
        width = max(len(row) for row, _ in levels[d])
        gather = np.full((len(levels[d]), width), n_leaves, np.intp)
        for i, (row, _) in enumerate(levels[d]):
            gather[i, : len(row)] = row
        plan.append((gather, np.array([s for _, s in levels[d]], np.intp)))
    final = np.array([v.leaf if v.leaf >= 0 else slot[id(v)] for v in values], np.intp)
    direct = None  # one run of adds per output, no padding: gather from x and sum
    if len(plan) == 1 and np.array_equal(plan[0][1], final) and (plan[0][0] < n_leaves).all():
        direct = plan[0][0]
    return plan, final, n_leaves + 1 + len(slot), direct


def _trace(x: np.ndarray, reduced: list[bool], out_shape: tuple, layout: tuple, nred: int) -> tuple:
    """Run the serial kernels on symbols standing for x's elements (in C order)."""
    perm, sizes, ist, _ = layout
    leaves = np.empty(x.size, object)
    leaves[:] = [_Sym(leaf=i) for i in range(x.size)]
    symbols = _iter_view(leaves.reshape(x.shape), perm, sizes)
    values = _serial(symbols, ist, nred, x.itemsize)
    return _compile(list(_to_output(values, x.shape, perm, reduced, out_shape).ravel()), x.size)


def _replay(x: np.ndarray, plan: tuple) -> np.ndarray:
    """Evaluate a traced plan on x (any strides: the plan indexes x in C order)."""
    levels, final, nslots, direct, out_shape, dtype = plan
    flat = x.reshape(-1)
    if flat.dtype != dtype:
        flat = flat.astype(dtype)
    if direct is not None:
        rows = flat[direct]
        if rows.shape[0] == 1:  # one output: its adds, left to right
            return (np.add.accumulate(rows[0])[-1:] + dtype.type(0)).reshape(out_shape)
        return (_seq_last(rows) + dtype.type(0)).reshape(out_shape)
    buf = np.empty(nslots, dtype)
    buf[: flat.size] = flat
    buf[flat.size] = 0
    for gather, slots in levels:
        m = buf[gather]
        buf[slots] = m[:, 0] + m[:, 1] if m.shape[1] == 2 else _seq_last(m)
    return (buf[final] + dtype.type(0)).reshape(out_shape)

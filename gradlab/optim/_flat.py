"""Adam's update for a whole parameter group at once, on moments kept side by side.

PyTorch's CPU Adam (``_single_tensor_adam``) runs about ten small kernels per parameter. The
values depend only on each element, so gradlab keeps a group's float32 ``exp_avg`` and
``exp_avg_sq`` as views into one buffer and runs each kernel once over the whole group, with the
same rounding: ``lerp_`` and ``addcmul_`` are fused multiply-adds in PyTorch, computed here in
float64 (where the product of two float32 numbers is exact) and rounded once to float32; the
rare sums that land exactly half-way between two float32 numbers, or in the subnormal range,
where rounding twice could differ from rounding once, are redone with the exact ``fma32``.

The state tensors stay ordinary tensors in ``optimizer.state``; when they are replaced (say by
``load_state_dict``) the group falls back to the per-parameter update, which gives the same bits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab._numerics.floats import fma32, quiet, restore, rounds_twice
from gradlab.tensor import Tensor

_F32, _F64, _U64 = np.float32, np.float64, np.uint64


class FlatMoments:
    """The Adam state of a group of float32 parameters, in a few flat buffers.

    ``moments[0]`` holds every ``exp_avg``, ``moments[1]`` every ``exp_avg_sq`` (and
    ``moments[2]`` every ``max_exp_avg_sq`` with amsgrad); ``steps[i]`` is parameter i's step.
    ``states`` are the per-parameter state dicts, made of views into these buffers.
    """

    def __init__(self, params: list[Tensor], amsgrad: bool) -> None:
        shapes = [p._data.shape for p in params]
        ends = np.cumsum([p._data.size for p in params]).tolist()
        starts = [0] + ends[:-1]
        n = ends[-1] if ends else 0
        self.params = params
        self.moments = np.zeros((3 if amsgrad else 2, n), _F32)
        self.steps = np.zeros(len(params), _F32)
        self.grad = np.empty(n, _F32)
        self.work = np.empty(n, _F32)
        self.denom = np.empty(n, _F32)
        self.wide = np.empty((2, n), _F64)
        self.bits = np.empty((2, n), _U64)
        self.flags = np.empty((2, n), np.bool_)

        def views(flat: np.ndarray) -> list[np.ndarray]:
            return [flat[a:b].reshape(s) for a, b, s in zip(starts, ends, shapes)]

        self.grads, self.updates = views(self.grad), views(self.work)
        rows = [views(row) for row in self.moments]
        self.states: list[dict[str, Tensor]] = []
        for i in range(len(params)):
            state = {"step": Tensor._make(self.steps[i : i + 1].reshape(())),
                     "exp_avg": Tensor._make(rows[0][i]), "exp_avg_sq": Tensor._make(rows[1][i])}
            if amsgrad:
                state["max_exp_avg_sq"] = Tensor._make(rows[2][i])
            self.states.append(state)
        self.arrays = [tuple(t._data for t in s.values()) for s in self.states]

    def owns(self, params: list[Tensor], state: Any, amsgrad: bool) -> bool:
        """Whether ``params`` are this group's and their state is still these buffers."""
        if len(params) != len(self.params) or (amsgrad and len(self.moments) < 3):
            return False
        for p, q, arrays in zip(params, self.params, self.arrays):
            s = state.get(p)
            if p is not q or s is None or len(s) != len(arrays):
                return False
            for t, a in zip(s.values(), arrays):
                if t._data is not a:
                    return False
        steps = self.steps.tolist()
        return steps.count(steps[0]) == len(steps)

    def step(self, params: list[Tensor], lr: float, beta1: float, beta2: float, eps: float,
             amsgrad: bool) -> None:
        """One Adam step of every parameter, in PyTorch's order of float operations, from the
        gradients in ``self.grad`` (negated for ``maximize`` and weight decay added)."""
        g, m, v, d = self.grad, self.moments[0], self.moments[1], self.work
        wide = self.wide
        token = quiet()  # inf and nan pass silently, as in PyTorch
        try:
            self.steps += 1
            step = float(self.steps[0])
            # exp_avg.lerp_(grad, 1 - beta1): one fused multiply-add from the nearer end
            w = _F32(1 - beta1)
            np.subtract(g, m, out=d)
            small = abs(w) < 0.5
            np.multiply(d, _F64(w if small else w - _F32(1)), out=wide[0])
            np.add(wide[0], m if small else g, out=wide[0])
            # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            np.multiply(v, _F32(beta2), out=v)
            s = _F32(1 - beta2)
            np.multiply(g, s, out=d)
            np.multiply(d, g, out=wide[1], dtype=_F64)
            np.add(wide[1], v, out=wide[1])
            fixes = self._exact_where_needed(w, small, s)
            np.copyto(self.moments[:2], wide, casting="same_kind")
            for row, idx, vals in fixes:
                self.moments[row, idx] = vals
            # denom = (sqrt(v) / sqrt(bias_correction2)) + eps; p += (-step_size * m) / denom
            second = v
            if amsgrad:
                second = np.maximum(self.moments[2], v, out=self.moments[2])
            denom = np.sqrt(second, out=self.denom)
            denom /= _F32((1 - beta2**step) ** 0.5)
            denom += _F32(eps)
            np.multiply(m, _F32(-(lr / (1 - beta1**step))), out=d)
            d /= denom
            for p, update in zip(params, self.updates):
                data = p._data
                np.add(data, update, out=data)
                p._vc[0] += 1
        finally:
            restore(token)
        for state in self.states:  # the in-place ops PyTorch ran on each state tensor
            for key, t in state.items():
                t._vc[0] += 2 if key == "exp_avg_sq" else 1

    def _exact_where_needed(self, w: np.float32, small: bool, s: np.float32) -> list:
        """Elements of ``wide`` whose float32 rounding may differ from one rounding of the
        exact sum, redone exactly: (row, indices, float32 values)."""
        flags = rounds_twice(self.wide, out=self.flags, scratch=self.bits)
        if not flags.any():
            return []
        g, m, v = self.grad, self.moments[0], self.moments[1]
        fixes = []
        idx = np.flatnonzero(flags[0])
        if idx.size:
            diff = g[idx] - m[idx]
            fixes.append((0, idx, fma32(w, diff, m[idx]) if small
                          else fma32(w - _F32(1), diff, g[idx])))
        idx = np.flatnonzero(flags[1])
        if idx.size:
            fixes.append((1, idx, fma32(s * g[idx], g[idx], v[idx])))
        return fixes

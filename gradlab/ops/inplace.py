"""In-place changes (``add_``, ``x += 1``, ``x[key] = v``) with PyTorch's autograd rules.

An in-place op computes the out-of-place result from a snapshot of the old values, writes it
into the tensor's own memory and bumps the version counter, so backward can detect saved
values that changed. Autograd refuses in-place changes to leaves that require grad unless
gradient recording is off (``no_grad``), exactly like PyTorch. A change made through a view
rewrites the base's history as ``CopySlices``, as PyTorch does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab.autograd.grad_mode import STATE
from gradlab.autograd.graph import CopyBackwards, Node
from gradlab.ops._from_data import check_range
from gradlab.ops._util import edge, record, wrap_int
from gradlab.ops.indexing import (
    SplitBackward0,
    UnbindBackward0,
    check_advanced,
    embed,
    split_index,
)
from gradlab.ops.shape import expanded_shape
from gradlab.tensor import Tensor

INPLACE_VIEW_LIMIT = (
    "gradlab does not support in-place changes through a view of a tensor whose memory is not "
    "contiguous (made by from_numpy of a strided array).\nHint: work on a .clone()."
)

INFERENCE_INPLACE = (
    "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a "
    "clone to get a normal tensor before doing inplace update.See "
    "https://github.com/pytorch/rfcs/pull/17 for more details."
)
NO_GRAD_VIEW = (
    "A view was created in no_grad mode and is being modified inplace with grad mode enabled. "
    "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your "
    "code by moving both the view and the inplace either both inside the no_grad block (if you "
    "don't want the inplace to be tracked) or both outside (if you want the inplace to be "
    "tracked)."
)


# -- x[key] = value ------------------------------------------------------------------------------


def _at(x: Any, basic: tuple, adv: tuple | None) -> Any:
    """``x[basic][adv]``: the part of ``x`` (an array or a tensor) an assignment wrote to."""
    part = x[basic]
    return part if adv is None else part[adv]


class CopySlices(Node, name="gradlab::autograd::CopySlices"):
    """``base[key] = value``: the written region's gradient goes to ``value``, the rest to base.

    After an in-place op through a view, ``fn`` is that op's own node: it turns the region's
    gradient into gradients for the view's old values (written back into base's) and the op's
    other inputs, whose edges follow base's in ``next_functions``, as in PyTorch.
    """

    fn: Node | None = None

    def backward(self, g: Any) -> tuple:
        part = _at(g, self.basic, self.adv)
        mask = np.ones(self._meta[0][0], dtype=bool)
        mask[self.basic][self.adv if self.adv is not None else ...] = False
        if self.fn is None:
            return (g * mask if self.needs(0) else None), (part if self.needs(1) else None)
        grads = self.fn.apply(part)
        base = None
        if self.needs(0):
            base = g * mask
            if grads[0] is not None:
                base = base + embed(grads[0], self._meta[0][0], self.adv)
        return (base, *grads[1:])

    def release(self) -> None:
        super().release()
        if self.fn is not None:
            self.fn.release()


class IndexPutBackward0Assign(CopySlices, name="IndexPutBackward0"):
    """``x[index] = v`` with no view in between: ``index_put_`` in PyTorch."""


class CopyBackwardsAssign(CopySlices, name="gradlab::autograd::CopyBackwards"):
    """``x[...] = tensor``: ``copy_`` in PyTorch."""


class FillBackward3Assign(CopySlices, name="FillBackward3"):
    """``x[...] = number``: ``fill_`` in PyTorch."""


def _assignment(a: Tensor, basic: tuple, adv: tuple | None, value: Any) -> type[CopySlices]:
    """The node PyTorch records for ``a[key] = value``: CopySlices when it wrote through a view
    (an int, a partial slice, None), else index_put_, copy_ or fill_ on ``a`` itself."""
    view = a._data[basic]
    if view.shape != a._data.shape or view.strides != a._data.strides or (
            view.__array_interface__["data"][0] != a.data_ptr()):
        return CopySlices
    if adv is not None:
        return IndexPutBackward0Assign
    return FillBackward3Assign if np.ndim(value) == 0 else CopyBackwardsAssign


def check_inplace(a: Tensor) -> None:
    """PyTorch's refusals of in-place changes autograd could not account for."""
    if a._inference and not STATE.inference:
        raise RuntimeError(INFERENCE_INPLACE)
    if not STATE.enabled:
        return
    if a.__dict__.get("_made_without_grad"):
        raise RuntimeError(NO_GRAD_VIEW)
    if isinstance(a.grad_fn, (UnbindBackward0, SplitBackward0)):
        name = a.grad_fn.name()
        raise RuntimeError(
            f"Output {a._output_nr} of {name[:name.rindex('Backward')]} is a view and is being "
            "modified inplace. This view is the output of a function that returns multiple views. "
            "Such functions do not allow the output views to be modified inplace. You should "
            "replace the inplace operation by an out-of-place one.")
    if a.grad_fn is None and a._rg:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation.\n"
            "Hint: update parameters inside `with gradlab.no_grad():`.")
    base = a._base
    if base is not None and base.grad_fn is None and base._rg:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation.")


def castable(src: np.dtype, dst: np.dtype) -> bool:
    """PyTorch's canCast: no float to integer, no number to bool."""
    return _dtype.can_cast(_dtype.FROM_NUMPY[src], _dtype.FROM_NUMPY[dst])


def cast_error(src: np.dtype, dst: np.dtype) -> RuntimeError:
    names = {d.np: d._legacy[:-6] for d in _dtype.ALL}
    return RuntimeError(f"result type {names[src]} can't be cast to the desired output type "
                        f"{names[dst]}")


def write(a: Tensor, basic: tuple, adv: tuple | None, values: Any) -> None:
    """Assign into ``a._data[basic][adv]`` with PyTorch's messages for impossible writes."""
    target = a._data[basic]
    if adv is None:  # a copy: the values must expand to the target's shape
        shape = np.shape(values)
        while len(shape) > target.ndim and shape[0] == 1:
            shape = shape[1:]
        legacy = values.dtype._legacy if isinstance(values, Tensor) else "FloatTensor"
        expanded_shape(shape if len(shape) <= target.ndim else np.shape(values), target.shape,
                       legacy)
    try:
        target[adv if adv is not None else ...] = values._data if isinstance(
            values, Tensor) else values
    except ValueError as e:
        if "read-only" in str(e):
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers to "
                "a single memory location. Please clone() the tensor before performing the "
                "operation.") from None
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(values))} "
                           "cannot be broadcast to indexing result of shape "
                           f"{list(target[adv].shape)}") from None


_C_TYPES = {"int64": "int64_t", "int32": "int", "int16": "int16_t", "int8": "int8_t",
            "uint8": "uint8_t", "float32": "float", "float64": "double", "float16": "c10::Half"}


def check_assigned(a: Tensor, value: Any) -> Any:
    """Refuse what PyTorch refuses to write into ``a`` (non-numbers, numbers out of range);
    returns the value to write (a negative int wraps into an unsigned dtype, as in C)."""
    if isinstance(value, (Tensor, bool, np.bool_)):
        return value
    if not isinstance(value, (int, float, np.integer, np.floating)):
        kind = type(value)
        name = f"numpy.{kind.__name__}" if kind.__module__ == "numpy" else kind.__name__
        raise TypeError(f"can't assign a {name} to a {a.type()}")
    if isinstance(value, (int, np.integer)) and not -(2**63) <= int(value) < 2**63:
        raise ValueError("Overflow when unpacking long long")
    dt = a._data.dtype
    if dt.kind == "f":
        if np.isfinite(value) and abs(float(value)) > np.finfo(dt).max:
            raise RuntimeError(f"value cannot be converted to type {_C_TYPES[dt.name]} without "
                               "overflow")
    elif dt.kind in "iu":
        check_range(np.asarray(value), _dtype.FROM_NUMPY[dt], _C_TYPES.get(dt.name, dt.name))
        return wrap_int(value, dt)
    return value


def setitem(a: Tensor, key: Any, value: Any) -> None:
    """``a[key] = value``; recorded as ``CopySlices`` when autograd is tracking either side."""
    value = check_assigned(a, value)
    items, basic, adv = split_index(a._data.shape, key)
    if STATE.enabled and a._rg and a.grad_fn is None and any(type(k) is int for k in items):
        raise RuntimeError(  # PyTorch selects first, then writes into that view
            "a view of a leaf Variable that requires grad is being used in an in-place operation.")
    check_inplace(a)
    if adv is not None:
        check_advanced(a._data[basic].shape, adv)
    v_rg = isinstance(value, Tensor) and value._rg
    recording = STATE.enabled and (a._rg or v_rg)
    if recording and a._base is not None:  # through a view: an in-place op on the view
        apply_inplace(a, _index_put, key, value)
        return
    if recording:
        node = _assignment(a, basic, adv, value)((edge(a), edge(value)),
                                                 ((a._data.shape, a._data.dtype),))
        node.basic, node.adv = basic, adv
    write(a, basic, adv, value)  # copy_ semantics: any dtype is cast
    a._vc[0] += 1
    if recording:
        a.grad_fn, a._rg, a._output_nr = node, True, 0


def _index_put(a: Tensor, key: Any, value: Any) -> Tensor:
    """``a`` with ``a[key] = value`` applied, out of place."""
    out = a.clone()
    setitem(out, key, value)
    return out


# -- in-place operations ---------------------------------------------------------------------


def apply_inplace(self: Tensor, op: Callable[..., Tensor], *args: Any, **kwargs: Any) -> Tensor:
    """Run ``op(old_self, *args)`` and store the result in ``self``, rebasing its history."""
    check_inplace(self)
    recording = STATE.enabled and (
        self._rg or any(isinstance(x, Tensor) and x._rg for x in (*args, *kwargs.values())))
    if recording:
        if self._base is not None and not self._base._data.flags.c_contiguous:
            raise RuntimeError(INPLACE_VIEW_LIMIT)
        old = Tensor._make(self._data.copy(), self.grad_fn, self._output_nr)
        old._rg, old._acc = self._rg, self._acc
    else:
        old = Tensor._make(self._data)
    res = op(old, *args, **kwargs)
    src, dst = res._data.dtype, self._data.dtype
    if src == dst and res._data.shape == self._data.shape and self._data.flags.writeable:
        self._data[...] = res._data  # the usual update (w -= lr * w.grad): nothing to check
    else:
        if src != dst and not castable(src, dst):
            raise cast_error(src, dst)
        if res._data.shape != self._data.shape:
            raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the "
                               f"broadcast shape {list(res._data.shape)}")
        write(self, (Ellipsis,), None, res._data)
    self._vc[0] += 1
    node = res.grad_fn
    if node is not None:
        node.rebind_output(res, self)  # relu_, exp_...: their saved output is self now
        if src != dst:
            node._meta = ((self._data.shape, dst),)
        if self._base is not None:
            _rebase_view(self, res)
        else:
            self.grad_fn, self._rg, self._output_nr = node, True, 0
    return self


def binary_inplace(self: Tensor, op: Callable[..., Tensor], ufunc: Any, other: Any) -> Tensor:
    """``self += other`` and the like: ``apply_inplace(self, op, other)``, or, when autograd
    has nothing to record and ``other`` is a float or a float tensor of self's dtype and shape
    (``params -= lr * params.grad``), ``ufunc`` writing straight into self's memory (numpy
    computes as if from a copy when the operands overlap: the same values)."""
    x = self._data
    if isinstance(other, Tensor):
        y = other._data
        fast = y.dtype == x.dtype and y.shape == x.shape and not (
            STATE.enabled and (self._rg or other._rg))
    else:
        y = other
        fast = type(other) is float and not (STATE.enabled and self._rg)
    if fast and x.dtype.kind == "f" and x.flags.writeable:
        check_inplace(self)
        ufunc(x, y, out=x)
        self._vc[0] += 1
        return self
    return apply_inplace(self, op, other)


class AsStridedBackward0(Node):
    def backward(self, g: Any) -> Any:
        return embed(g, self.shape, self.key)


def _rebase_view(view: Tensor, res: Tensor) -> None:
    """After an in-place change through a view, the base's history ends in ``CopySlices``
    (the old base with ``res`` written where the view is) and the view reads from it again."""
    base = view._base
    data, item = base._data, base._data.itemsize
    offset = (view.data_ptr() - base.data_ptr()) // item
    flat = np.arange(data.size)
    strides = tuple(s // item * flat.itemsize for s in view._data.strides)
    where = np.lib.stride_tricks.as_strided(flat[offset:], view._data.shape, strides)
    key = np.unravel_index(where, data.shape)
    fn = res.grad_fn
    node = CopySlices((edge(base), *fn.next_functions[1:]), ((data.shape, data.dtype),))
    node.basic, node.adv, node.fn = (Ellipsis,), key, fn
    base.grad_fn, base._rg, base._output_nr = node, True, 0
    view_node = AsStridedBackward0((edge(base),), ((view._data.shape, view._data.dtype),))
    view_node.shape, view_node.key = data.shape, key
    view.grad_fn, view._rg, view._output_nr = view_node, True, 0


def inplace(op: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """Make the in-place method (``add_``) from the out-of-place function (``add``)."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return apply_inplace(self, op, *args, **kwargs)

    method.__name__ = op.__name__ + "_"
    method.__doc__ = f"In-place version of ``{op.__name__}``."
    return method


class ZeroBackward0(Node):
    def backward(self, g: Any) -> Any:
        return g * 0


def _zero(a: Tensor) -> Tensor:
    return record(np.zeros_like(a._data), ZeroBackward0, (a,))


def zero_(self: Tensor) -> Tensor:
    """Fill with zeros in place; ``grad.zero_()`` runs every step, so it skips the generic path."""
    if (STATE.enabled and self._rg) or self._inference:
        return apply_inplace(self, _zero)
    if self._data.flags.writeable:
        self._data.fill(0)
        self._vc[0] += 1
        return self
    return apply_inplace(self, _zero)  # read-only (expanded) memory: PyTorch's error


class FillBackward2(ZeroBackward0):
    pass


class FillBackward3(Node):
    def backward(self, g: Any) -> tuple:
        return g * 0, g.sum()


def _fill(a: Tensor, value: Any) -> Tensor:
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.ndim} dimensions.")
        out = np.full_like(a._data, value._data)
        return record(out, FillBackward3, (a, value))
    return record(np.full_like(a._data, value), FillBackward2, (a,))


def _copy(a: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    data = src._data if isinstance(src, Tensor) else np.asarray(src)
    try:
        out = np.broadcast_to(data, a._data.shape).astype(a._data.dtype)
    except ValueError:
        size_a = a._data.shape[-1] if a.ndim else 1
        raise RuntimeError(f"The size of tensor a ({size_a}) must match "
                           f"the size of tensor b ({data.shape[-1] if data.ndim else 1}) at "
                           "non-singleton dimension 0") from None
    return record(out, CopyBackwards, (a, src))


fill_ = inplace(_fill)
copy_ = inplace(_copy)

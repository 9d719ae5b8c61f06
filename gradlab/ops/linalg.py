"""Matrix products: ``dot``, ``mv``, ``mm``, ``bmm`` and ``matmul``, which composes them.

``matmul`` follows PyTorch's own decomposition (unsqueeze, fold batches with views, multiply,
unfold), so ``x @ M`` shows the same ``grad_fn`` chain as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.autograd.graph import Node
from gradlab.ops._util import check_broadcast, record
from gradlab.ops.shape import (
    UnsafeViewBackward0,
    ViewBackward0,
    contiguous,
    expand,
    mT,
    reshape,
    t,
    unsqueeze,
)
from gradlab.tensor import _C_NAMES, Tensor


def _swap(x: Any) -> Any:
    return x.swapaxes(-1, -2)


_DTYPE_HINT = "\nHint: convert one side, e.g. with .float()."


def _same_dtype(a: Tensor, b: Tensor, op: str) -> None:
    """PyTorch's message for operands of different dtypes, which depends on the kernel."""
    if a._data.dtype == b._data.dtype:
        return
    if op == "mm":
        msg = (f"expected m1 and m2 to have the same dtype, but got: {_C_NAMES[a.dtype.name]} "
               f"!= {_C_NAMES[b.dtype.name]}")
    else:
        x, y = a.dtype._legacy[:-6], b.dtype._legacy[:-6]
        msg = {"dot": f"dot : expected both vectors to have same dtype, but found {x} and {y}",
               "mv": f"addmv input tensors must have the same dtype, but got {y}, {x}, and {y}",
               "bmm": f"expected scalar type {x} but found {y}"}[op]
    raise RuntimeError(msg + _DTYPE_HINT)


_SECOND = {"matmul": "other", "mm": "mat2", "bmm": "mat2", "mv": "vec", "dot": "tensor"}


def _check(a: Any, b: Any, op: str) -> tuple[Tensor, Tensor]:
    """Both operands must be tensors (PyTorch's TypeError names the argument that is not)."""
    for pos, (name, x) in enumerate((("input", a), (_SECOND[op], b)), start=1):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): argument '{name}' (position {pos}) must be Tensor, not "
                            f"{type(x).__name__}")
    return a, b


class DotBackward0(Node):
    def backward(self, g: Any) -> tuple:
        a, b = self.saved_tensors
        return (g * b if self.needs(0) else None), (g * a if self.needs(1) else None)


def dot(a: Tensor, b: Tensor) -> Tensor:
    a, b = _check(a, b, "dot")
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        n, m = a.shape[0], b.shape[0]
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have "
                           f"the same number of elements, but got {n} and {m} elements "
                           "respectively")
    _same_dtype(a, b, "dot")
    return record(np.dot(a._data, b._data), DotBackward0, (a, b), saved=(a, b))


class MvBackward0(Node):
    def backward(self, g: Any) -> tuple:
        m, v = self.saved_tensors
        gm = g.reshape(-1, 1) * v.reshape(1, -1) if self.needs(0) else None
        gv = _swap(m) @ g if self.needs(1) else None
        return gm, gv


def mv(m: Tensor, v: Tensor) -> Tensor:
    m, v = _check(m, v, "mv")
    if m.ndim != 2 or v.ndim != 1:  # mv is addmv with a 1-D input, hence the leading 1
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {m.ndim}, {v.ndim}")
    if m.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({m.shape[0]}), mat "
                           f"({'x'.join(map(str, m.shape))}), vec ({v.shape[0]})")
    _same_dtype(m, v, "mv")
    return record(m._data @ v._data, MvBackward0, (m, v), saved=(m, v))


def _t(x: Any) -> Any:
    """A matrix transposed: ``t()`` for a tensor (``TBackward0``, as in PyTorch's mm backward)."""
    return x.t() if isinstance(x, Tensor) else x.T


class MmBackward0(Node):
    def backward(self, g: Any) -> tuple:
        a, b = self.saved_tensors
        return (g @ _t(b) if self.needs(0) else None), (_t(a) @ g if self.needs(1) else None)


def mm(a: Tensor, b: Tensor) -> Tensor:
    a, b = _check(a, b, "mm")
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError("self must be a matrix" if a.ndim != 2 else "mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
            f"{b.shape[0]}x{b.shape[1]})\nHint: for A @ B the number of columns of A must equal "
            "the number of rows of B; check .shape and transpose with .T if needed.")
    _same_dtype(a, b, "mm")
    return record(a._data @ b._data, MmBackward0, (a, b), saved=(a, b))


class BmmBackward0(Node):
    def backward(self, g: Any) -> tuple:
        a, b = self.saved_tensors
        return (g @ _swap(b) if self.needs(0) else None), (_swap(a) @ g if self.needs(1) else None)


def bmm(a: Tensor, b: Tensor) -> Tensor:
    a, b = _check(a, b, "bmm")
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if a.ndim != 3 else
                           "batch2 must be a 3D tensor")
    if b.shape[0] != a.shape[0] or b.shape[1] != a.shape[2]:
        raise RuntimeError(
            "Expected size for first two dimensions of batch2 tensor to be: "
            f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    _same_dtype(a, b, "bmm")
    return record(np.matmul(a._data, b._data), BmmBackward0, (a, b), saved=(a, b))


def _rows_fold(a: Tensor) -> bool:
    """Whether ``a.view(-1, a.shape[-1])`` needs no copy (PyTorch then folds a batched matmul)."""
    shape, strides = a.shape, a.stride()
    return a.numel() == 0 or all(strides[i] == strides[i + 1] * shape[i + 1]
                                 for i in range(a.ndim - 1))


class SqueezeBackward4(ViewBackward0):
    pass


def _unsafe_view(a: Tensor, shape: tuple, node: type[Node] = UnsafeViewBackward0) -> Tensor:
    return record(a._data.reshape(shape), node, (a,), shape=a._data.shape)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product for every shape PyTorch accepts: dot, mv, vm, mm and batched."""
    a, b = _check(a, b, "matmul")
    da, db = a.ndim, b.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{da}D and {db}D")
    if da == 1 and db == 1:
        return dot(a, b)
    if da == 2 and db == 1:
        return mv(a, b)
    if da == 1 and db == 2:
        out = mm(unsqueeze(a, 0), b)
        return _unsafe_view(out, out.shape[1:], SqueezeBackward4)
    if da == 2 and db == 2:
        return mm(a, b)
    if (da >= 3 and db <= 2 and (b._rg or _rows_fold(a))) or (db >= 3 and da <= 2 and a._rg):
        # fold the batch into the rows of one mm/mv (PyTorch's should_fold); for 2-D @ 3-D
        # that means computing (b^T @ a^T)^T, which ends in a copy (CloneBackward0)
        transpose = db > da
        t1 = mT(b) if transpose else a
        t2 = (t(a) if da == 2 else a) if transpose else b
        folded = reshape(t1, -1, t1.shape[-1])
        if t2.ndim == 1:
            return _unsafe_view(mv(folded, t2), t1.shape[:-1])
        out = _unsafe_view(mm(folded, t2), t1.shape[:-1] + (t2.shape[-1],))
        return contiguous(mT(out)) if transpose else out
    # broadcast the batch dimensions, then one bmm
    a2 = unsqueeze(a, 0) if da == 1 else a
    b2 = unsqueeze(b, -1) if db == 1 else b
    try:
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    except ValueError:
        check_broadcast(np.empty(a2.shape[:-2]), np.empty(b2.shape[:-2]))
        raise
    n, k, m = a2.shape[-2], a2.shape[-1], b2.shape[-1]
    if b2.shape[-2] != k:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{int(np.prod(batch))}, {k}] but got: [{int(np.prod(batch))}, "
                           f"{b2.shape[-2]}].")
    A = reshape(expand(a2, batch + (n, k)), -1, n, k)
    B = reshape(expand(b2, batch + (k, m)), -1, k, m)
    out_shape = batch + ((n,) if da > 1 else ()) + ((m,) if db > 1 else ())
    return _unsafe_view(bmm(A, B), out_shape)


# -- trace, diag, det, inverse ------------------------------------------------------------------


class TraceBackward0(Node):
    def backward(self, g: Any) -> Any:
        eye = np.eye(*self.shape, dtype=self.dtype)
        return g * (Tensor._make(eye) if isinstance(g, Tensor) else eye)


def trace(a: Tensor) -> Tensor:
    """The sum of the main diagonal of a matrix."""
    if a.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.ndim}")
    x = a._data
    out = np.trace(x, dtype=x.dtype if x.dtype.kind == "f" else np.int64)
    return record(np.asarray(out), TraceBackward0, (a,), shape=x.shape, dtype=x.dtype)


class DiagEmbedBackward0(Node):
    def backward(self, g: Any) -> Any:
        return g.diagonal(self.offset) if isinstance(g, Tensor) else np.diagonal(g, self.offset)


class DiagonalBackward0_copy(Node):  # noqa: N801  (PyTorch's name)
    def backward(self, g: Any) -> Any:
        k, n = self.offset, g.shape[0]
        rows, cols = np.arange(n) - min(k, 0), np.arange(n) + max(k, 0)
        if isinstance(g, Tensor):  # a selector summed against g keeps the graph
            pick = np.zeros(self.shape + (n,), dtype=g._data.dtype)
            pick[rows, cols, np.arange(n)] = 1
            return (Tensor._make(pick) * g).sum(-1)
        out = np.zeros(self.shape, dtype=g.dtype)
        out[rows, cols] = g
        return out


def diag(a: Tensor, diagonal: int = 0) -> Tensor:
    """A vector on the diagonal of a square matrix, or the diagonal of a matrix as a vector."""
    x = a._data
    if x.ndim == 1:
        return record(np.diag(x, diagonal), DiagEmbedBackward0, (a,), offset=diagonal)
    if x.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D")
    return record(np.diag(x, diagonal).copy(), DiagonalBackward0_copy, (a,), shape=x.shape,
                  offset=diagonal)


def _square(a: Tensor, name: str) -> None:
    if a._data.dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{a.dtype._legacy[:-6]}")
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        if a.ndim < 2:
            raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")


class LinalgDetBackward0(Node):
    def backward(self, g: Any) -> Any:
        out, a = self.saved_tensors
        if isinstance(g, Tensor):
            return (g * out).unsqueeze(-1).unsqueeze(-1) * a.inverse().mT
        with np.errstate(all="ignore"):
            return (g * out)[..., None, None] * np.swapaxes(np.linalg.inv(a), -1, -2)


def det(a: Tensor) -> Tensor:
    """The determinant of a square matrix (or of each matrix of a batch)."""
    _square(a, "linalg.det")
    return record(np.asarray(np.linalg.det(a._data), dtype=a._data.dtype), LinalgDetBackward0,
                  (a,), saved=(a,), save_out=True)


class LinAlgError(RuntimeError):
    """PyTorch's ``torch._C._LinAlgError``: a singular matrix."""


def _zero_pivot(m: np.ndarray) -> int:
    """The 1-based position of LAPACK's first zero pivot in the LU factors of ``m``, or 0."""
    u = m.astype(np.float64).copy()
    for k in range(len(u)):
        p = k + int(np.argmax(np.abs(u[k:, k])))
        u[[k, p]] = u[[p, k]]
        if u[k, k] == 0:
            return k + 1
        u[k + 1:, k:] -= np.outer(u[k + 1:, k] / u[k, k], u[k, k:])
    return 0


class LinalgInvExBackward0(Node):
    def backward(self, g: Any) -> Any:
        (inv,) = self.saved_tensors
        inv_t = inv.mT if isinstance(inv, Tensor) else np.swapaxes(inv, -1, -2)
        return -(inv_t @ g @ inv_t)


def inverse(a: Tensor) -> Tensor:
    """The inverse of a square matrix (or of each matrix of a batch)."""
    _square(a, "linalg.inv")
    try:
        out = np.linalg.inv(a._data)
    except np.linalg.LinAlgError:
        for m in a._data.reshape(-1, *a.shape[-2:]):
            if _zero_pivot(m):
                raise LinAlgError(f"linalg.inv: The diagonal element {_zero_pivot(m)} is zero, the "
                                  "inversion could not be completed because the input matrix is "
                                  "singular.") from None
        raise
    return record(out.astype(a._data.dtype, copy=False), LinalgInvExBackward0, (a,),
                  save_out=True)

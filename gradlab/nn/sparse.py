"""Lookups by integer index: ``Embedding`` (a table of learned vectors) and ``one_hot``.

``embedding(indices, weight)`` is ``weight[indices]`` with PyTorch's own node,
``EmbeddingBackward0``: each looked-up row's gradient is added into the table's gradient
(skipping ``padding_idx``, optionally divided by how often a row was used).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab.autograd.grad_mode import no_grad
from gradlab.autograd.graph import Node
from gradlab.nn import init
from gradlab.nn.module import Module
from gradlab.nn.parameter import Parameter
from gradlab.ops._util import record
from gradlab.ops.creation import empty
from gradlab.tensor import Tensor, check_device

__all__ = ["embedding", "one_hot", "Embedding"]


def _index_type_error(t: Tensor, arg: str, fn: str) -> RuntimeError:
    return RuntimeError(f"Expected tensor for argument #1 '{arg}' to have one of the following "
                        f"scalar types: Long, Int; but got {t.type()} instead (while checking "
                        f"arguments for {fn})")


class EmbeddingBackward0(Node):
    def backward(self, g: Any) -> Any:
        idx, rows = self.indices, self.num_weights
        flat = idx.reshape(-1)
        scale = None
        if self.scale_grad_by_freq:
            counts = np.bincount(flat, minlength=rows).astype(self._meta[0][1])
            scale = 1 / counts[flat]
        keep = flat != self.padding_idx
        if isinstance(g, Tensor):  # create_graph: a one-hot product keeps it differentiable
            picks = np.zeros((flat.size, rows), dtype=g._data.dtype)
            picks[np.arange(flat.size), flat] = keep if scale is None else keep * scale
            return Tensor._make(picks.T.copy()) @ g.reshape(flat.size, -1)
        grads = g.reshape(flat.size, -1)
        if scale is not None:
            grads = grads * scale[:, None]
        out = np.zeros((rows, grads.shape[1]), dtype=g.dtype)
        np.add.at(out, flat[keep], grads[keep])
        return out


def _renorm_(weight: Tensor, indices: np.ndarray, max_norm: float, norm_type: float) -> None:
    """PyTorch's ``embedding_renorm_``: rows used here whose norm exceeds ``max_norm`` are
    scaled down to it, in place."""
    data = weight._data
    for row in np.unique(indices):
        norm = float(np.linalg.norm(data[row].astype(np.float64), ord=norm_type))
        if norm > max_norm:
            data[row] *= data.dtype.type(max_norm / (norm + 1e-7))
    weight._vc[0] += 1


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """The rows of ``weight`` picked by the integer tensor ``input``: shape ``input.shape + (D,)``.

    ``max_norm`` first rescales (in place, without gradient) the rows about to be used.
    """
    rows = weight.size(0) if weight.ndim else 0
    if padding_idx is not None:
        if padding_idx > 0 and padding_idx >= rows or padding_idx < -rows:
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            padding_idx = rows + padding_idx
    else:
        padding_idx = -1
    if input._data.dtype not in (np.int64, np.int32):
        raise _index_type_error(input, "indices", "embedding")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    idx = input._data.astype(np.int64)
    if ((idx < 0) | (idx >= rows)).any():
        raise IndexError("index out of range in self")
    if max_norm is not None:
        with no_grad():
            _renorm_(weight, idx, max_norm, norm_type)
    return record(weight._data[idx], EmbeddingBackward0, (weight,), indices=idx,
                  num_weights=rows, padding_idx=padding_idx,
                  scale_grad_by_freq=scale_grad_by_freq)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices (int64) to rows of zeros with a one at the index: shape ``+ (classes,)``."""
    idx = tensor._data
    if idx.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    if idx.size:
        if idx.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if idx.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(idx.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, idx[..., None], 1, axis=-1)
    return Tensor._make(out)


class Embedding(Module):
    """A table of ``num_embeddings`` learned vectors of size ``embedding_dim``, looked up by index.

    >>> emb = nn.Embedding(10, 3)          # weights drawn from N(0, 1), as in PyTorch
    >>> emb(gradlab.tensor([1, 2, 1]))     # three rows, grad_fn=<EmbeddingBackward0>
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: Tensor | None = None, _freeze: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        check_device(device)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            if padding_idx > 0 and padding_idx >= num_embeddings or (
                    padding_idx < -num_embeddings):
                raise AssertionError("Padding_idx must be within num_embeddings")
            if padding_idx < 0:
                padding_idx = num_embeddings + padding_idx
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        if _weight is None:
            dt = _dtype.to_dtype(dtype) if dtype is not None else None
            self.weight = Parameter(empty((num_embeddings, embedding_dim), dtype=dt),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise AssertionError("Shape of weight does not match num_embeddings and "
                                     "embedding_dim")
            self.weight = Parameter(_weight, requires_grad=not _freeze)
        self.sparse = sparse

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0)

    def forward(self, input: Tensor) -> Tensor:
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An ``Embedding`` holding the given 2-D table (frozen unless ``freeze=False``)."""
        if embeddings.dim() != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(rows, cols, _weight=embeddings, _freeze=freeze, padding_idx=padding_idx,
                   max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)

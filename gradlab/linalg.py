"""``gradlab.linalg``: what PyTorch keeps under ``torch.linalg`` (det, inv, the norms).

The operations themselves live in ``gradlab/ops/linalg.py`` and ``ops/reduction.py``; this
module gives them PyTorch's names and module path.
"""

from __future__ import annotations

from typing import Any

from gradlab.ops.linalg import LinAlgError, det
from gradlab.ops.linalg import inverse as inv
from gradlab.ops.reduction import norm as _norm
from gradlab.tensor import Tensor

__all__ = ["det", "inv", "norm", "vector_norm", "LinAlgError"]


def vector_norm(x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """The ``ord``-norm of ``x`` flattened (or over ``dim``)."""
    return _norm(x, ord, dim, keepdim)


def norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    """The 2-norm of a vector, the Frobenius norm of a matrix (``ord=None``)."""
    if ord not in (None, "fro", 2) or (ord == 2 and A.ndim != 1 and dim is None):
        raise NotImplementedError(f"linalg.norm with ord={ord!r} is not available in gradlab; "
                                  "use linalg.vector_norm")
    return _norm(A, 2, dim, keepdim)

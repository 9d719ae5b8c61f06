"""``parameters_to_vector`` and ``vector_to_parameters``: a model's parameters as one flat
vector and back, as ``torch.nn.utils.convert_parameters`` (what optimisers written by hand,
line searches and second-order methods work on)."""

from __future__ import annotations

from collections.abc import Iterable

from gradlab.ops import joining
from gradlab.tensor import Tensor, typename

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Every parameter flattened and joined end to end (``CatBackward0`` of views)."""
    return joining.cat([param.view(-1) for param in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Cut ``vec`` into the parameters' shapes and make each slice the parameter's data."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected gradlab.Tensor, but got: {typename(vec)}")
    pointer = 0
    for param in parameters:
        num_param = param.numel()
        param.data = vec[pointer:pointer + num_param].view_as(param).data
        pointer += num_param

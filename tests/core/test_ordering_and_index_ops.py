"""The tensor ops tutorials type (issue 12, item 4): forward values, indices, grad_fn names and
gradients (ties and zeros as PyTorch's) — written-in values from torch 2.13, then compared with
torch itself. Their gradients are also in the one gradient table (test_gradients.py)."""

from __future__ import annotations

import numpy as np
import pytest

import gradlab

X = [[3.0, 1.0, 2.0, 1.0], [0.0, 5.0, 5.0, -1.0]]


def grad_of(fn, values=X, dtype=gradlab.float32):
    x = gradlab.tensor(values, dtype=dtype, requires_grad=True)
    out = fn(x)
    out = out[0] if isinstance(out, tuple) else out
    out.backward(gradlab.ones_like(out))
    return out, x.grad


def test_sort_is_stable_with_pytorchs_indices_and_gradient():
    values, indices = gradlab.tensor(X).sort()
    assert values.tolist() == [[1, 1, 2, 3], [-1, 0, 5, 5]]
    assert indices.tolist() == [[1, 3, 2, 0], [3, 0, 1, 2]]
    assert gradlab.tensor(X).sort(descending=True).indices.tolist() == [[0, 2, 1, 3],
                                                                        [1, 2, 0, 3]]
    out, g = grad_of(lambda x: x.sort(0))
    assert out.grad_fn.name() == "SortBackward0" and g.tolist() == [[1.0] * 4] * 2
    assert gradlab.argsort(gradlab.tensor([2.0, float("nan"), 1.0])).tolist() == [2, 0, 1]
    assert repr(gradlab.tensor([3.0, 1.0]).sort()) == (
        "gradlab.return_types.sort(\nvalues=tensor([1., 3.]),\nindices=tensor([1, 0]))")


def test_topk_and_median_pick_elements_and_send_gradient_back():
    top = gradlab.tensor(X).topk(2)
    assert top.values.tolist() == [[3, 2], [5, 5]] and top.indices.tolist() == [[0, 2], [1, 2]]
    out, g = grad_of(lambda x: x.topk(1))
    assert out.grad_fn.name() == "TopkBackward0" and g.tolist() == [[1, 0, 0, 0], [0, 1, 0, 0]]
    med = gradlab.tensor(X).median(1)
    assert med.values.tolist() == [1, 0] and med.indices.tolist() == [3, 0]
    out, g = grad_of(lambda x: x.median())  # ties share the gradient of the global median
    assert out.grad_fn.name() == "MedianBackward0" and out.item() == 1.0
    assert g.tolist() == [[0, 0.5, 0, 0.5], [0, 0, 0, 0]]


def test_cumulative_ops_and_prod_with_zeros():
    out, g = grad_of(lambda x: x.cumsum(1))
    assert out.tolist() == [[3, 4, 6, 7], [0, 5, 10, 9]] and g.tolist() == [[4, 3, 2, 1]] * 2
    assert gradlab.tensor([1, 2, 3]).cumsum(0).dtype == gradlab.int64
    out, g = grad_of(lambda x: x.cumprod(1), [[2.0, 0.0, 3.0]])
    assert out.grad_fn.name() == "CumprodBackward0" and g.tolist() == [[1.0, 8.0, 0.0]]
    out, g = grad_of(lambda x: x.prod(), [[3.0, 0.0], [2.0, -1.0]])  # one zero
    assert out.grad_fn.name() == "ProdBackward0" and g.tolist() == [[0.0, -6.0], [0.0, 0.0]]
    out, g = grad_of(lambda x: x.prod(1), [[0.0, 0.0, 2.0], [1.0, 4.0, 2.0]])
    assert out.grad_fn.name() == "ProdBackward1" and g.tolist() == [[0, 0, 0], [8, 2, 4]]


def test_index_driven_ops():
    idx = gradlab.tensor([[0, 0], [1, 3]])
    out, g = grad_of(lambda x: x.gather(1, idx))
    assert out.tolist() == [[3, 3], [5, -1]] and g.tolist() == [[2, 0, 0, 0], [0, 1, 0, 1]]
    assert out.grad_fn.name() == "GatherBackward0"
    src = gradlab.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = gradlab.tensor(X).scatter(1, idx, src)
    assert out.tolist() == [[2, 1, 2, 1], [0, 3, 5, 4]] and out.grad_fn.name() == "ScatterBackward0"
    out = gradlab.tensor(X).scatter_add(1, idx, src)
    assert out.tolist() == [[6, 1, 2, 1], [0, 8, 5, 3]]
    out, g = grad_of(lambda x: x.index_select(1, gradlab.tensor([3, 0, 3])))
    assert out.grad_fn.name() == "IndexSelectBackward0" and g.tolist() == [[1, 0, 0, 2]] * 2


def test_rearranging_ops():
    x = gradlab.tensor(X)
    assert x.flip(1).tolist() == [[1, 2, 1, 3], [-1, 5, 5, 0]]
    assert x.roll(1, 1).tolist() == [[1, 3, 1, 2], [-1, 0, 5, 5]]
    assert x.roll(1).tolist() == [[-1, 3, 1, 2], [1, 0, 5, 5]]
    assert x.tril().tolist() == [[3, 0, 0, 0], [0, 5, 0, 0]]
    assert x.triu(1).tolist() == [[0, 1, 2, 1], [0, 0, 5, -1]]
    assert x.repeat(2, 1).shape == (4, 4)
    out, g = grad_of(lambda t: t.repeat_interleave(2, dim=1))
    assert out.grad_fn.name() == "ViewBackward0" and g.tolist() == [[2.0] * 4] * 2
    out = x.repeat_interleave(gradlab.tensor([1, 2]), dim=0)
    assert out.tolist() == [X[0], X[1], X[1]]
    out = gradlab.outer(gradlab.tensor([1.0, 2.0]), gradlab.tensor([3.0, 4.0, 5.0]))
    assert out.tolist() == [[3, 4, 5], [6, 8, 10]]


# -- against PyTorch itself ---------------------------------------------------------------------

CASES = {
    "sort": lambda x: x.sort(), "sort-desc-0": lambda x: x.sort(0, descending=True),
    "argsort": lambda x: x.argsort(), "topk": lambda x: x.topk(2),
    "topk-dim0": lambda x: x.topk(1, dim=0), "cumsum": lambda x: x.cumsum(1),
    "cumprod": lambda x: x.cumprod(1), "prod": lambda x: x.prod(),
    "prod-dim": lambda x: x.prod(1, keepdim=True), "median": lambda x: x.median(),
    "median-dim": lambda x: x.median(1), "flip": lambda x: x.flip((0, 1)),
    "roll": lambda x: x.roll((1, -1), (0, 1)), "tril": lambda x: x.tril(-1),
    "triu": lambda x: x.triu(), "repeat": lambda x: x.repeat(1, 2, 1),
    "repeat_interleave": lambda x: x.repeat_interleave(3, dim=0),
    "gather": lambda x: x.gather(1, x.detach().argsort()),
    "index_select": lambda x: x.index_select(1, x.detach().argsort()[0]),
    "logsumexp": lambda x: x.logsumexp(1),
}


def run(lib, name, values):
    x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
    out = CASES[name](x)
    picked = out[0] if isinstance(out, tuple) else out
    indices = out[1].tolist() if isinstance(out, tuple) else None
    if picked.requires_grad:
        weights = lib.tensor(np.arange(1.0, picked.numel() + 1).reshape(tuple(picked.shape)),
                             dtype=lib.float64)
        (picked * weights).sum().backward()
    name = picked.grad_fn.name() if picked.grad_fn is not None else None
    return picked.detach().numpy(), indices, name, None if x.grad is None else x.grad.numpy()


@pytest.mark.parity
@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("values", [X, [[2.0, 0.0, -3.0], [1.5, 4.0, 0.0], [0.5, -2.0, 2.5]]])
def test_ops_equal_pytorchs(name, values, torch):
    t, g = run(torch, name, values), run(gradlab, name, values)
    np.testing.assert_allclose(g[0], t[0], rtol=1e-12)
    assert g[1:3] == t[1:3]
    if t[3] is None:
        assert g[3] is None
    else:
        np.testing.assert_allclose(g[3], t[3], rtol=1e-12)

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


def test_long_tied_rows_sort_in_pytorchs_introsort_order():
    # torch 2.13: std::sort of more than 16 elements moves equal values around
    assert gradlab.zeros(20).sort().indices.tolist() == [10, *range(19, 10, -1), 0,
                                                         *range(9, 0, -1)]
    assert gradlab.zeros(20).sort(stable=True).indices.tolist() == list(range(20))
    assert gradlab.zeros(1).expand(20).sort().indices.tolist() == list(range(20))  # stride 0
    y = gradlab.tensor([2.0, 1.0, 2.0, 1.0, 3.0, 1.0, 2.0, 0.0] * 3)
    assert y.sort(descending=True).indices.tolist() == [4, 20, 12, 0, 2, 22, 6, 8, 10, 18, 14,
                                                        16, 1, 21, 19, 17, 13, 11, 9, 5, 3,
                                                        15, 7, 23]
    assert y.argsort(descending=True).tolist() == y.sort(descending=True).indices.tolist()


def test_topk_kthvalue_mode_pick_the_tied_element_pytorch_picks():
    x = gradlab.tensor([1.0, 0.0, 1.0, 2.0, 1.0, 0.0, 2.0, 1.0, 0.0, 1.0])
    top = x.topk(3, sorted=False)  # nth_element's order, not sorted
    assert top.values.tolist() == [2, 2, 1] and top.indices.tolist() == [6, 3, 0]
    assert x.topk(4, largest=False).indices.tolist() == [1, 8, 5, 0]
    assert gradlab.arange(10.0).topk(4, sorted=False).indices.tolist() == [8, 9, 7, 6]
    y = gradlab.tensor([2.0, 1.0, 2.0, 1.0, 3.0, 1.0, 2.0, 0.0] * 3, requires_grad=True)
    kth = y.kthvalue(5)
    assert (kth.values.item(), kth.indices.item()) == (1.0, 1)
    assert kth.values.grad_fn.name() == "KthvalueBackward0"
    mode = y.mode()
    assert (mode.values.item(), mode.indices.item()) == (1.0, 3)
    mode.values.backward()
    assert y.grad.tolist() == [0.0] * 3 + [1.0] + [0.0] * 20
    assert mode.values.grad_fn.name() == "ModeBackward0"
    assert y.median(0).indices.item() == 21
    assert str(gradlab.tensor([-0.0, 0.0, -0.0] * 7).median()) == "tensor(-0.)"


def test_max_of_all_with_nan_sends_the_gradient_to_the_nans():
    x = gradlab.tensor([1.0, float("nan"), 3.0, float("nan")], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.0, 0.5]


INDEX_ERRORS = [
    (lambda x: x.gather(1, gradlab.tensor([[1.0]])), RuntimeError,
     r"gather\(\): Expected dtype int32/int64 for index"),
    (lambda x: x.gather(1, gradlab.tensor([[-1]])), RuntimeError,
     "index -1 is out of bounds for dimension 1 with size 4"),
    (lambda x: x.scatter(1, gradlab.tensor([[0]]), gradlab.ones(1, 1, dtype=gradlab.float64)),
     RuntimeError, r"scatter\(\): Expected self.dtype to be equal to src.dtype"),
    (lambda x: x.index_select(1, gradlab.tensor([5])), RuntimeError,
     "INDICES element is out of DATA bounds, id=5 axis_dim=4"),
    (lambda x: x.index_select(0, gradlab.tensor([5])), IndexError, "index out of range in self"),
    (lambda x: x.masked_fill(gradlab.tensor([True, False]), 1.0), RuntimeError,
     r"The size of tensor a \(2\) must match the size of tensor b \(4\) at non-singleton "
     "dimension 1"),
    (lambda x: x.repeat_interleave(-1, dim=0), RuntimeError, "Repeats must be non-negative"),
    (lambda x: x.flip((1, -1)), RuntimeError, "dim 1 appears multiple times in the list of dims"),
]


@pytest.mark.parametrize("op, error, message", INDEX_ERRORS)
def test_index_ops_refuse_bad_indices_with_pytorchs_words(op, error, message):
    with pytest.raises(error, match="^" + message):
        op(gradlab.tensor(X))


def test_int32_indices_and_repeat_interleave_of_counts():
    x = gradlab.tensor(X)
    assert x.gather(1, gradlab.tensor([[3], [0]], dtype=gradlab.int32)).tolist() == [[1], [0]]
    assert gradlab.repeat_interleave(gradlab.tensor([2, 0, 1])).tolist() == [0, 0, 2]


def test_kthvalue_and_mode_refuse_what_pytorch_refuses():
    with pytest.raises(RuntimeError, match=r"^kthvalue\(\): selected number k out of range for "
                       "dimension 0$"):
        gradlab.ones(3).kthvalue(4)
    with pytest.raises(IndexError, match=r"^mode\(\): Expected reduction dim 0 to have non-zero"):
        gradlab.ones(0).mode()
    with pytest.raises(NotImplementedError, match="\"median_cpu\" not implemented for 'Bool'"):
        gradlab.tensor([True]).median()


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


def tie_heavy(rng, trial):
    """A random tensor of 1-3 dims (rows up to 100 long) with many equal values, signed zeros
    and, now and then, NaNs."""
    nd = int(rng.integers(1, 4))
    shape = tuple(int(s) for s in rng.integers(1, 100 if nd == 1 else 24, nd))
    dtype = [np.float32, np.float64, np.int64][trial % 3]
    x = rng.integers(-3, 4, shape).astype(dtype)
    if dtype != np.int64:
        x[x == 0] = np.where(rng.random(int((x == 0).sum())) < 0.5, -0.0, 0.0)
        if trial % 6 == 0:
            x[rng.random(shape) < 0.1] = np.nan
    return x, int(rng.integers(-nd, nd))


def picks(lib, x, op):
    """Values (signed zeros too), indices and the gradient of a weighted sum of the values."""
    t = lib.tensor(x, requires_grad=x.dtype.kind == "f")
    out = op(t)
    values, indices = (out[0], out[1].tolist()) if isinstance(out, tuple) else (out, None)
    grad = None
    if values.requires_grad and values.numel():
        w = lib.tensor(np.arange(1.0, values.numel() + 1).reshape(tuple(values.shape)),
                       dtype=values.dtype)
        (values * w).sum().backward()
        grad = t.grad.numpy()
    v = values.detach().numpy()
    zero_signs = np.asarray(np.signbit(v) & (v == 0))  # -0. or 0., as printed
    return v, zero_signs, indices, grad


def picking_ops(d, n):
    """Every way to pick elements along ``d`` (of size ``n``): each sort, topk, kthvalue..."""
    ops = [lambda t, s=s, dd=dd: t.sort(dim=d, descending=dd, stable=s)
           for s in (False, True) for dd in (False, True)]
    ops += [lambda t, k=k, lg=lg, so=so: t.topk(k, d, lg, so)
            for k in {0, 1, n // 2, n, max(1, n // 64)} for lg in (True, False)
            for so in (True, False)]
    ops += [lambda t, k=k: t.kthvalue(k, d, keepdim=k > 1) for k in {1, (n + 1) // 2, n}]
    return ops + [lambda t: t.mode(d), lambda t: t.median(d, keepdim=True),
                  lambda t: t.median(), lambda t: t.argsort(d, descending=True),
                  lambda t: t.max(d), lambda t: t.min(d), lambda t: t.max()]


@pytest.mark.parity
@pytest.mark.parametrize("seed", range(6))
def test_tied_picks_equal_pytorchs(seed, torch):
    rng = np.random.default_rng(seed)
    for trial in range(25):
        x, d = tie_heavy(rng, trial)
        ops = picking_ops(d, x.shape[d])
        for op in ops:
            want, got = picks(torch, x, op), picks(gradlab, x, op)
            for w, g in zip(want, got):
                if isinstance(w, np.ndarray):
                    np.testing.assert_array_equal(g, w)
                else:
                    assert g == w

"""Every differentiable operation's gradient agrees with central finite differences.

One table of op specs drives one test (the MyGrad "uber" pattern): hypothesis draws shapes
(mutually broadcastable ones for element-wise ops) and values kept away from kinks and
singularities, and ``gradlab.autograd.gradcheck`` compares autograd with finite differences
in float64. A few ops are also checked to second order through ``create_graph=True``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradlab
from gradlab.autograd import GradcheckError, gradcheck

Shape = tuple[int, ...]
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)

# -- input domains: each keeps the values where the function is smooth ------------------------

FLOATS = {
    "real": st.floats(-2.0, 2.0),
    "positive": st.floats(0.1, 2.0),  # log, sqrt, x ** 0.5, the base of x ** y
    "nonzero": st.floats(0.1, 2.0) | st.floats(-2.0, -0.1),  # denominators, abs, norms
}
# "distinct": all values of all inputs differ by >= 0.1 and none is 0 or +-0.5 (0.05 + k/10),
# which keeps max/min/maximum/clamp/relu/abs away from ties and kinks.
GRID = 0.05 + 0.1 * np.arange(-40, 41)


@dataclass(frozen=True)
class Op:
    """One row of the table: how to call the op and which inputs it is smooth on."""

    name: str
    fn: Callable[..., Any]  # fn(*tensors, *extra)
    n_inputs: int = 1
    domain: str = "real"  # one of FLOATS, or "distinct"
    broadcast: bool = True  # inputs get mutually broadcastable shapes
    shapes: st.SearchStrategy | None = None  # else: a strategy of a tuple of input shapes
    extra: Callable[[tuple[Shape, ...]], st.SearchStrategy] | None = None  # non-tensor args
    min_side: int = 1

    def __str__(self) -> str:
        return self.name


def any_shape(min_dims: int = 0, max_dims: int = 3, min_side: int = 1) -> st.SearchStrategy:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=3)


def one(min_dims: int = 0, max_dims: int = 3, min_side: int = 1) -> st.SearchStrategy:
    """A strategy of a 1-tuple of shapes, for single-input ops with shape requirements."""
    return any_shape(min_dims, max_dims, min_side).map(lambda s: (s,))


@st.composite
def broadcasts_to(draw: Any, shape: Shape) -> Shape:
    """A shape that broadcasts to ``shape`` (a suffix of it with some sizes set to 1)."""
    k = draw(st.integers(0, len(shape)))
    return tuple(1 if draw(st.booleans()) else s for s in shape[len(shape) - k:])


@st.composite
def target_and_source(draw: Any, min_dims: int = 0) -> tuple[Shape, Shape]:
    """(x, y) where ``y`` broadcasts to ``x``: what in-place ops and ``x[...] = y`` need."""
    x = draw(any_shape(min_dims))
    return x, draw(broadcasts_to(x))


def dims_of(shapes: tuple[Shape, ...]) -> st.SearchStrategy:
    """A dim of the first input, counted from either end."""
    nd = max(len(shapes[0]), 1)
    return st.integers(-nd, nd - 1).map(lambda d: (d,))


def dim_tuples(shapes: tuple[Shape, ...]) -> st.SearchStrategy:
    """A non-empty tuple of distinct dims (some negative) of the first input, and keepdim."""
    nd = len(shapes[0])
    dims = st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True)
    signed = dims.flatmap(lambda ds: st.tuples(*[st.sampled_from([d, d - nd]) for d in ds]))
    return st.tuples(signed, st.booleans())


def dim_keep(shapes: tuple[Shape, ...]) -> st.SearchStrategy:
    return st.tuples(dims_of(shapes).map(lambda t: t[0]), st.booleans())


def permutation(shapes: tuple[Shape, ...]) -> st.SearchStrategy:
    return st.permutations(range(len(shapes[0]))).map(lambda p: (tuple(p),))


def two_dims(shapes: tuple[Shape, ...]) -> st.SearchStrategy:
    d = dims_of(shapes).map(lambda t: t[0])
    return st.tuples(d, d)


def expand_target(shapes: tuple[Shape, ...]) -> st.SearchStrategy:
    """A size list for ``expand``: new leading dims, stretched 1s, and -1 for kept sizes."""
    (shape,) = shapes

    @st.composite
    def sizes(draw: Any) -> tuple:
        lead = draw(st.lists(st.integers(1, 3), max_size=2))
        rest = [draw(st.integers(1, 3)) if s == 1 else draw(st.sampled_from([s, -1]))
                for s in shape]
        return (tuple(lead + rest),)

    return sizes()


def reshape_target(shapes: tuple[Shape, ...]) -> st.SearchStrategy:
    """A new shape with the same number of elements, possibly with one -1."""
    n = int(np.prod(shapes[0], dtype=np.int64))
    factors = [f for f in range(1, n + 1) if n % f == 0]

    @st.composite
    def target(draw: Any) -> tuple:
        first = draw(st.sampled_from(factors))
        second = n // first
        shape = draw(st.sampled_from([(first, second), (second, first, 1), (n,), (1, first, -1),
                                      (-1,)]))
        return (shape,)

    return target()


def a_mask(shapes: tuple[Shape, ...]) -> st.SearchStrategy:
    return hnp.arrays(np.bool_, shapes[0]).map(lambda m: (gradlab.tensor(m),))


def a_cond(shapes: tuple[Shape, ...]) -> st.SearchStrategy:
    """A condition that broadcasts with the inputs of ``where``."""
    result = np.broadcast_shapes(*shapes)
    return broadcasts_to(result).flatmap(
        lambda s: hnp.arrays(np.bool_, s).map(lambda m: (gradlab.tensor(m),)))


def an_index(shapes: tuple[Shape, ...]) -> st.SearchStrategy:
    n = shapes[0][0]
    return st.integers(-n, n - 1).map(lambda i: (i,))


def a_slice(shapes: tuple[Shape, ...]) -> st.SearchStrategy:
    n = shapes[0][-1]
    bound = st.none() | st.integers(-n - 1, n + 1)
    return st.tuples(bound, bound, st.none() | st.integers(1, 3)).map(lambda t: (slice(*t),))


def an_index_list(shapes: tuple[Shape, ...]) -> st.SearchStrategy:
    """A list of (possibly repeated) indices into dim 0: repeats must add up in backward."""
    n = shapes[0][0]
    return st.lists(st.integers(-n, n - 1), min_size=1, max_size=4).map(lambda ix: (ix,))


def a_split(shapes: tuple[Shape, ...]) -> st.SearchStrategy:
    return st.tuples(st.integers(1, 3), dims_of(shapes).map(lambda t: t[0]))


def matmul_shapes(left: str, right: str) -> st.SearchStrategy:
    """Shapes for ``a @ b`` from a pattern like ``"bnk", "km"`` (b may broadcast via ``B``)."""

    @st.composite
    def shapes(draw: Any) -> tuple[Shape, Shape]:
        size = {c: draw(st.integers(1, 3)) for c in "bnkm"}
        size["B"] = 1
        size["c"] = draw(st.integers(1, 2))
        return tuple(size[c] for c in left), tuple(size[c] for c in right)

    return shapes()


def matmul_ops() -> list[Op]:
    cases = {"dot": ("k", "k"), "mv": ("nk", "k"), "vm": ("k", "km"), "mm": ("nk", "km"),
             "batched-mm": ("bnk", "km"), "batched-mv": ("bnk", "k"), "vec-batched": ("k", "bkm"),
             "bmm": ("bnk", "bkm"), "matrix-batched": ("nk", "bkm"),
             "broadcast-batch": ("cBnk", "bkm"), "4d-broadcast": ("Bbnk", "cBkm")}
    ops = [Op(f"matmul[{name}]", lambda a, b: a @ b, 2, broadcast=False,
              shapes=matmul_shapes(*pattern)) for name, pattern in cases.items()]
    ops += [
        Op("gradlab.mm", gradlab.mm, 2, broadcast=False, shapes=matmul_shapes("nk", "km")),
        Op("gradlab.mv", gradlab.mv, 2, broadcast=False, shapes=matmul_shapes("nk", "k")),
        Op("gradlab.dot", gradlab.dot, 2, broadcast=False, shapes=matmul_shapes("k", "k")),
        Op("gradlab.bmm", gradlab.bmm, 2, broadcast=False, shapes=matmul_shapes("bnk", "bkm")),
        Op("matmul-reflected-numpy", lambda a: numpy_matrix(a) @ a, 1, broadcast=False,
           shapes=matmul_shapes("nn", "nn").map(lambda s: s[:1])),
    ]
    return ops


def numpy_matrix(a: gradlab.Tensor) -> np.ndarray:
    """A constant ndarray with as many columns as ``a`` has rows, in ``a``'s dtype."""
    return np.arange(2.0 * len(a), dtype=a.detach().numpy().dtype).reshape(2, -1)


def inplace(method: str, *args: Any) -> Callable[..., Any]:
    """``(x * 1).method(y, *args)``: the in-place op on a non-leaf (allowed by autograd)."""

    def fn(x: Any, *rest: Any) -> Any:
        y = x * 1
        return getattr(y, method)(*rest, *args)

    return fn


def setitem(key: Any) -> Callable[..., Any]:
    def fn(x: Any, v: Any) -> Any:
        y = x.clone()
        y[key] = v
        return y * y

    return fn


def iadd(x: Any, y: Any) -> Any:
    z = x * 2
    z += y
    z *= y
    z -= x
    z /= y
    return z


def _iadd_item(y: Any, b: Any) -> Any:
    y[-1] += b  # __getitem__, then += on the view, then __setitem__
    return y


OPS: list[Op] = [
    # arithmetic, with broadcasting and the reflected (number on the left) forms
    Op("add", lambda a, b: a + b, 2),
    Op("add-alpha", lambda a, b: gradlab.add(a, b, alpha=-1.5), 2),
    Op("sub", lambda a, b: a - b, 2),
    Op("sub-alpha", lambda a, b: a.sub(b, alpha=2.0), 2),
    Op("mul", lambda a, b: a * b, 2),
    Op("mul-same-tensor", lambda a: a * a),
    Op("div", lambda a, b: a / b, 2, "nonzero"),
    Op("pow-tensor", lambda a, b: a ** b, 2, "positive"),
    Op("radd", lambda a: 2.5 + a),
    Op("rsub", lambda a: 1 - a),
    Op("rmul", lambda a: 3 * a),
    Op("rdiv", lambda a: 2.0 / a, domain="nonzero"),
    Op("rpow", lambda a: 2.0 ** a),
    Op("rpow-e", lambda a: 2.718281828 ** a),
    Op("pow-2", lambda a: a ** 2),
    Op("pow-3", lambda a: a ** 3),
    Op("pow-0", lambda a: a ** 0),
    Op("pow-half", lambda a: a ** 0.5, domain="positive"),
    Op("pow-minus-one", lambda a: a ** -1, domain="nonzero"),
    Op("pow-minus-1.5", lambda a: a.pow(-1.5), domain="positive"),
    Op("pow-0d-tensor-exponent", lambda a: a ** gradlab.tensor(3.0, dtype=gradlab.float64),
       domain="positive"),
    Op("ndarray-mul", lambda a: np.array([1.5, -2.0, 0.5])[:a.shape[-1]] * a, broadcast=False,
       shapes=one(1, 2)),
    Op("add-number-on-right", lambda a: a + 1 - 0.5 * a / 4),
    # element-wise math
    Op("neg", lambda a: -a),
    Op("abs", lambda a: a.abs(), domain="nonzero"),
    Op("abs-builtin", abs, domain="nonzero"),
    Op("exp", gradlab.exp),
    Op("log", gradlab.log, domain="positive"),
    Op("log1p", gradlab.log1p, domain="positive"),
    Op("log2", gradlab.log2, domain="positive"),
    Op("log10", lambda a: a.log10(), domain="positive"),
    Op("expm1", gradlab.expm1),
    Op("sqrt", gradlab.sqrt, domain="positive"),
    Op("sin", gradlab.sin),
    Op("cos", gradlab.cos),
    Op("tanh", gradlab.tanh),
    Op("sigmoid", gradlab.sigmoid),
    Op("relu", gradlab.relu, domain="distinct"),
    Op("square", gradlab.square),
    Op("reciprocal", gradlab.reciprocal, domain="nonzero"),
    Op("clamp", lambda a: a.clamp(-0.5, 0.5), domain="distinct"),
    Op("clamp-min", lambda a: gradlab.clamp(a, min=0.5), domain="distinct"),
    Op("clamp-max", lambda a: a.clamp(max=-0.5), domain="distinct"),
    Op("clamp-tensors", lambda a, lo, hi: a.clamp(lo, hi), 3, "distinct"),
    Op("maximum", gradlab.maximum, 2, "distinct"),
    Op("minimum", gradlab.minimum, 2, "distinct"),
    Op("max-binary", lambda a, b: gradlab.max(a, b), 2, "distinct"),
    Op("min-binary", lambda a, b: a.min(b), 2, "distinct"),
    Op("where", lambda a, b, c: gradlab.where(c, a, b), 2, extra=a_cond),
    Op("where-scalar", lambda a, c: gradlab.where(c, a, 0.0), 1, extra=a_cond),
    Op("masked_fill", lambda a, m: a.masked_fill(m, 2.0), extra=a_mask),
    Op("masked_fill-tensor-value", lambda a, v, m: a.masked_fill(m, v.sum()), 2, extra=a_mask),
    Op("remainder", lambda a: a % 0.7, domain="distinct"),
    Op("remainder-tensor",  # kept where floor(a / b) == 1, away from the jumps
       lambda a, b: gradlab.remainder(a * 0.01 + 1.5, b.abs() * 0.01 + 1.0), 2, "distinct"),
    Op("clone", gradlab.clone),
    Op("sigmoid-of-chain", lambda a, b: (a * b).sigmoid() * a.tanh() + b.exp().log(), 2),
    # reductions: over everything, one dim, a tuple of dims, keepdim
    Op("sum", lambda a: a.sum()),
    Op("sum-dim", lambda a, d, k: a.sum(d, keepdim=k), broadcast=False, shapes=one(1),
       extra=dim_keep),
    Op("sum-dims", lambda a, d, k: gradlab.sum(a, dim=d, keepdim=k), broadcast=False,
       shapes=one(1), extra=dim_tuples),
    Op("mean", lambda a: a.mean()),
    Op("mean-dim", lambda a, d, k: a.mean(d, keepdim=k), broadcast=False, shapes=one(1),
       extra=dim_keep),
    Op("mean-dims", lambda a, d, k: a.mean(dim=d, keepdim=k), broadcast=False, shapes=one(1),
       extra=dim_tuples),
    Op("var", lambda a: a.var(), "distinct", broadcast=False, shapes=one(1, min_side=2)),
    Op("var-dim", lambda a, d, k: a.var(d, keepdim=k), domain="distinct", broadcast=False,
       shapes=one(1, min_side=2), extra=dim_keep),
    Op("var-dims-biased", lambda a, d, k: a.var(d, keepdim=k, correction=0),
       domain="distinct", broadcast=False, shapes=one(1), extra=dim_tuples),
    Op("var-unbiased-false", lambda a: gradlab.var(a, unbiased=False), domain="distinct"),
    Op("std", lambda a: a.std(), domain="distinct", broadcast=False, shapes=one(1, min_side=2)),
    Op("std-dim", lambda a, d, k: a.std(d, keepdim=k), domain="distinct", broadcast=False,
       shapes=one(1, min_side=2), extra=dim_keep),
    Op("std-dims-biased", lambda a, d, k: a.std(d, keepdim=k, unbiased=False),
       domain="distinct", broadcast=False, shapes=one(1, min_side=2), extra=dim_tuples),
    Op("norm", lambda a: a.norm(), domain="nonzero"),
    Op("norm-dim", lambda a, d, k: a.norm(dim=d, keepdim=k), domain="nonzero", broadcast=False,
       shapes=one(1), extra=dim_keep),
    Op("norm-p1", lambda a: gradlab.norm(a, p=1), domain="nonzero"),
    Op("norm-p3-dims", lambda a, d, k: a.norm(3, dim=d, keepdim=k), domain="nonzero",
       broadcast=False, shapes=one(1), extra=dim_tuples),
    # shifted so no two magnitudes tie (the grid holds +-x pairs: a kink of the inf-norm)
    Op("norm-inf", lambda a: (a + 10.0).norm(float("inf")), domain="distinct"),
    Op("max", lambda a: a.max(), domain="distinct"),
    Op("min", lambda a: gradlab.min(a), domain="distinct"),
    Op("max-dim", lambda a, d, k: a.max(d, keepdim=k).values, domain="distinct",
       broadcast=False, shapes=one(1), extra=dim_keep),
    Op("min-dim", lambda a, d, k: gradlab.min(a, dim=d, keepdim=k)[0], domain="distinct",
       broadcast=False, shapes=one(1), extra=dim_keep),
    Op("logsumexp", lambda a, d, k: a.logsumexp(d, keepdim=k), broadcast=False, shapes=one(1),
       extra=dim_tuples),
    Op("softmax", lambda a, d: a.softmax(d), broadcast=False, shapes=one(1), extra=dims_of),
    Op("softmax-0d", lambda a: gradlab.softmax(a, 0), broadcast=False, shapes=one(0, 0)),
    Op("log_softmax", lambda a, d: gradlab.log_softmax(a, dim=d), broadcast=False,
       shapes=one(1), extra=dims_of),
    # shapes and views
    Op("reshape", lambda a, s: a.reshape(s), broadcast=False, shapes=one(), extra=reshape_target),
    Op("reshape-noncontiguous", lambda a: a.t().reshape(-1), broadcast=False,
       shapes=one(2, 2)),
    Op("view", lambda a, s: a.view(*s), broadcast=False, shapes=one(), extra=reshape_target),
    Op("view_as", lambda a: a.view_as(a.reshape(-1))),
    Op("flatten", lambda a: a.flatten()),
    Op("flatten-dims", lambda a, d, k: a.flatten(1 if k else 0, d), broadcast=False,
       shapes=one(2, 3), extra=lambda s: dim_keep(s).filter(
           lambda dk: (dk[0] % len(s[0])) >= (1 if dk[1] else 0))),
    Op("squeeze", lambda a: a.squeeze()),
    Op("squeeze-dim", lambda a, d: a.squeeze(d), broadcast=False, shapes=one(1),
       extra=dims_of),
    Op("unsqueeze", lambda a, d: a.unsqueeze(d), broadcast=False, shapes=one(),
       extra=lambda s: st.integers(-len(s[0]) - 1, len(s[0])).map(lambda d: (d,))),
    Op("t", lambda a: a.t(), broadcast=False, shapes=one(0, 2)),
    Op("T", lambda a: a.T, broadcast=False, shapes=one(2, 2)),
    Op("mT", lambda a: a.mT, broadcast=False, shapes=one(2, 3)),
    Op("transpose", lambda a, d0, d1: a.transpose(d0, d1), broadcast=False, shapes=one(1),
       extra=two_dims),
    Op("permute", lambda a, p: a.permute(tuple(p)), broadcast=False, shapes=one(),
       extra=permutation),
    Op("expand", lambda a, s: a.expand(*s), broadcast=False, shapes=one(), extra=expand_target),
    Op("expand_as", lambda a, b: a.expand_as(b) * b, 2, broadcast=False,
       shapes=target_and_source().map(lambda xy: xy[::-1])),
    Op("contiguous-after-transpose", lambda a: a.transpose(0, 1).contiguous() * 1,
       broadcast=False, shapes=one(2, 2)),
    # indexing
    Op("index-int", lambda a, i: a[i], broadcast=False, shapes=one(1), extra=an_index),
    Op("index-slice-step", lambda a, s: a[..., s], broadcast=False, shapes=one(1),
       extra=a_slice),
    Op("index-mixed", lambda a: a[-1, 1:, None], broadcast=False, shapes=one(2, 3, 2)),
    Op("index-none-ellipsis", lambda a: a[None, ...]),
    Op("index-full-slice", lambda a: a[:], broadcast=False, shapes=one(1)),
    Op("index-list", lambda a, ix: a[ix], broadcast=False, shapes=one(1), extra=an_index_list),
    Op("index-long-tensor", lambda a, ix: a[gradlab.tensor(ix)], broadcast=False,
       shapes=one(1), extra=an_index_list),
    Op("index-list-second-dim", lambda a: a[:, [0, 1, 0]], broadcast=False,
       shapes=one(2, min_side=2)),
    Op("index-bool-mask", lambda a, m: a[m], broadcast=False, shapes=one(1), extra=a_mask),
    Op("index-int-slice-list", lambda a: a[-1, :, [0, 1, 0]], broadcast=False,
       shapes=one(3, 3, 2)),
    Op("index-lists-around-slice", lambda a: a[[0, 1], 1:, [1, 0]], broadcast=False,
       shapes=one(3, 3, 2)),
    Op("index-bool-scalar", lambda a: a[None, True, ..., 0], broadcast=False, shapes=one(1)),
    Op("select", lambda a, i: a.select(0, i), broadcast=False, shapes=one(1), extra=an_index),
    Op("unbind", lambda a: a.unbind(), broadcast=False, shapes=one(1)),
    Op("unbind-dim", lambda a, d: gradlab.unbind(a, d), broadcast=False, shapes=one(1),
       extra=dims_of),
    Op("iterate-and-restack", lambda a: gradlab.stack([r * (i + 1) for i, r in enumerate(a)]),
       broadcast=False, shapes=one(1)),
    Op("tuple-unpacking", lambda a: (lambda w, b: w * 3.0 + b)(*a), broadcast=False,
       shapes=any_shape(1, 2).map(lambda s: ((2, *s[1:]),))),
    Op("split", lambda a, n, d: a.split(n, d), broadcast=False, shapes=one(1), extra=a_split),
    Op("chunk", lambda a, n, d: a.chunk(n, d), broadcast=False, shapes=one(1), extra=a_split),
    Op("stack", lambda a, b, d: gradlab.stack([a, b, a], d), 2, broadcast=False,
       shapes=any_shape().map(lambda s: (s, s)),
       extra=lambda s: st.integers(-len(s[0]) - 1, len(s[0])).map(lambda d: (d,))),
    Op("cat", lambda a, b, d: gradlab.cat([a, b, a], d), 2, broadcast=False,
       shapes=st.tuples(any_shape(1), st.integers(1, 3)).map(
           lambda sn: (sn[0], sn[0][:-1] + (sn[1],))),
       extra=lambda s: st.just((-1,))),
    # in-place ops on non-leaves (leaves refuse them)
    Op("add_", inplace("add_"), 2, broadcast=False, shapes=target_and_source()),
    Op("sub_-alpha", lambda a, b: (a * 1).sub_(b, alpha=0.5), 2, broadcast=False,
       shapes=target_and_source()),
    Op("mul_", inplace("mul_"), 2, broadcast=False, shapes=target_and_source()),
    Op("div_", inplace("div_"), 2, "nonzero", broadcast=False, shapes=target_and_source()),
    Op("pow_", inplace("pow_", 3)),
    Op("exp_", inplace("exp_")),
    Op("sigmoid_-then-mul", lambda a: inplace("sigmoid_")(a) * a),
    Op("clamp_", inplace("clamp_", -0.5, 0.5), domain="distinct"),
    Op("augmented-assignment", iadd, 2, "nonzero", broadcast=False, shapes=target_and_source()),
    Op("zero_", lambda a, b: inplace("zero_")(a) + b, 2),
    Op("fill_", lambda a: inplace("fill_", 2.0)(a) * a),
    Op("fill_-tensor", lambda a, b: inplace("fill_")(a, b.sum()), 2),
    Op("copy_", inplace("copy_"), 2, broadcast=False, shapes=target_and_source()),
    Op("setitem-slice", setitem((slice(0, 1),)), 2, broadcast=False,
       shapes=any_shape(1).map(lambda s: (s, (1,) + s[1:]))),
    Op("setitem-int", setitem(-1), 2, broadcast=False,
       shapes=any_shape(1).map(lambda s: (s, s[1:]))),
    Op("setitem-mask", lambda a, b: setitem(a.detach() > 0)(a, b), 2, "nonzero",
       broadcast=False,
       shapes=any_shape(0).map(lambda s: (s, ()))),
    Op("setitem-advanced", setitem(([0, -1], slice(None))), 2, broadcast=False,
       shapes=any_shape(2, min_side=2).map(lambda s: (s, s[1:]))),
    Op("inplace-through-view", lambda a, b: (lambda y: (y[0].mul_(b), y)[1])(a * 1), 2,
       broadcast=False, shapes=any_shape(1).map(lambda s: (s, s[1:]))),
    Op("inplace-through-transpose", lambda a: (lambda y: (y.t().exp_(), y)[1])(a * 2),
       broadcast=False, shapes=one(2, 2)),
    Op("setitem-through-view", lambda a, b: (lambda y: (y[0].__setitem__(0, b), y * y)[1])(
        a.clone()), 2, broadcast=False, shapes=any_shape(2, 3).map(lambda s: (s, ()))),
    Op("augmented-item-assignment", lambda a, b: _iadd_item(a * 1, b), 2, broadcast=False,
       shapes=any_shape(1).map(lambda s: (s, s[1:]))),
    Op("inplace-after-use", lambda a: (lambda y: (y * 2, y.add_(1.0)))(a.exp() * 1)),
    # scans, orderings, rearrangements and index-driven ops (issue 12, item 4)
    Op("cumsum", lambda a, d: a.cumsum(d), broadcast=False, shapes=one(1), extra=dims_of),
    Op("cumprod", lambda a, d: gradlab.cumprod(a, d), broadcast=False, shapes=one(1),
       extra=dims_of),
    Op("cumprod-with-zero", lambda a: (a * gradlab.tensor([1.0, 0.0, 1.0],
                                                          dtype=gradlab.float64)).cumprod(-1),
       broadcast=False, shapes=any_shape(1, 2).map(lambda s: (s[:-1] + (3,),))),
    Op("prod", lambda a: a.prod(), domain="nonzero"),
    Op("prod-dim", lambda a, d, k: a.prod(d, keepdim=k), broadcast=False, shapes=one(1),
       extra=dim_keep),
    Op("prod-one-zero", lambda a: (a * gradlab.tensor([1.0, 0.0, 1.0],
                                                      dtype=gradlab.float64)).prod(),
       broadcast=False, shapes=st.just(((3,),))),
    Op("prod-dim-zeros", lambda a: (a * gradlab.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 1.0]],
                                                       dtype=gradlab.float64)).prod(1),
       broadcast=False, shapes=st.just(((2, 3),))),
    Op("flip", lambda a, d: a.flip(d), broadcast=False, shapes=one(1), extra=dims_of),
    Op("roll", lambda a, d: a.roll(2, d), broadcast=False, shapes=one(1), extra=dims_of),
    Op("roll-flat", lambda a: gradlab.roll(a, -1)),
    Op("tril", lambda a: a.tril(), broadcast=False, shapes=one(2, 3)),
    Op("triu-offset", lambda a: gradlab.triu(a, 1), broadcast=False, shapes=one(2, 3)),
    Op("repeat", lambda a: a.repeat(2, *([1] * a.ndim))),
    Op("repeat_interleave", lambda a, d: a.repeat_interleave(2, dim=d), broadcast=False,
       shapes=one(1), extra=dims_of),
    Op("repeat_interleave-counts", lambda a: a.repeat_interleave(
        gradlab.tensor([2, 0, 1][:a.shape[0]]), dim=0), broadcast=False, shapes=one(1)),
    Op("outer", gradlab.outer, 2, broadcast=False, shapes=st.tuples(one(1, 1), one(1, 1)).map(
        lambda t: (t[0][0], t[1][0]))),
    Op("gather", lambda a: a.gather(-1, gradlab.zeros(a.shape, dtype=gradlab.int64)),
       broadcast=False, shapes=one(1)),
    Op("index_select", lambda a: a.index_select(0, gradlab.tensor([0, 0, -1 % a.shape[0]])),
       broadcast=False, shapes=one(1)),
    Op("scatter", lambda a, b: a.scatter(0, gradlab.zeros((1,) + a.shape[1:],
                                                          dtype=gradlab.int64), b), 2,
       broadcast=False, shapes=any_shape(1).map(lambda s: (s, (1,) + s[1:]))),
    Op("scatter_add", lambda a, b: gradlab.scatter_add(
        a, 0, gradlab.zeros((1,) + a.shape[1:], dtype=gradlab.int64), b), 2, broadcast=False,
       shapes=any_shape(1).map(lambda s: (s, (1,) + s[1:]))),
    Op("sort", lambda a, d: a.sort(d, descending=True).values, domain="distinct",
       broadcast=False,
       shapes=one(1), extra=dims_of),
    Op("topk", lambda a: a.topk(1).values, domain="distinct", broadcast=False, shapes=one(1)),
    Op("median", lambda a: a.median(), domain="distinct"),
    Op("median-dim", lambda a, d, k: a.median(d, keepdim=k).values, domain="distinct",
       broadcast=False, shapes=one(1), extra=dim_keep),
    Op("kthvalue", lambda a, d, k: a.kthvalue(a.shape[d], d, keepdim=k).values,
       domain="distinct", broadcast=False, shapes=one(1), extra=dim_keep),
    Op("mode", lambda a, d, k: a.mode(d, keepdim=k).values, domain="distinct",
       broadcast=False, shapes=one(1), extra=dim_keep),
    *matmul_ops(),
]
assert len({op.name for op in OPS}) == len(OPS), "op names must be unique"


@st.composite
def case(draw: Any, op: Op) -> tuple[list[gradlab.Tensor], tuple]:
    """Inputs (float64 leaves that require grad) and extra arguments for one call of ``op``."""
    if op.shapes is not None:
        shapes = draw(op.shapes)
    elif op.broadcast and op.n_inputs > 1:
        shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=op.n_inputs, max_side=3,
                                                        min_side=op.min_side)).input_shapes
    else:
        shapes = (draw(any_shape(min_side=op.min_side)),) * op.n_inputs
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    if op.domain == "distinct":
        flat = GRID[draw(st.permutations(range(len(GRID))))[:sum(sizes)]]
        parts = np.split(flat, np.cumsum(sizes)[:-1])
    else:
        parts = [draw(hnp.arrays(np.float64, n, elements=FLOATS[op.domain])) for n in sizes]
    inputs = [gradlab.tensor(p.reshape(s), dtype=gradlab.float64, requires_grad=True)
              for p, s in zip(parts, shapes)]
    extra = draw(op.extra(shapes)) if op.extra is not None else ()
    return inputs, extra


@pytest.mark.parametrize("op", OPS, ids=str)
@SETTINGS
@given(data=st.data())
def test_gradient_matches_finite_differences(op: Op, data: st.DataObject) -> None:
    inputs, extra = data.draw(case(op))
    assert gradcheck(lambda *xs: op.fn(*xs, *extra), inputs)


@pytest.mark.parametrize("op", OPS, ids=str)
def test_gradient_has_the_dtype_and_shape_of_the_leaf_in_float32(op: Op) -> None:
    """One float32 example per op: backward fills ``.grad`` shaped and typed like each leaf."""
    inputs, extra = _first_example(op)
    leaves = [gradlab.tensor(x.detach().numpy(), dtype=gradlab.float32, requires_grad=True)
              for x in inputs]
    out = op.fn(*leaves, *extra)
    outs = out if isinstance(out, tuple) else (out,)
    total = sum((o * o).sum() for o in outs)
    total.backward()
    assert any(leaf.grad is not None for leaf in leaves)
    for leaf in leaves:
        if leaf.grad is not None:
            assert leaf.grad.shape == leaf.shape
            assert leaf.grad.dtype is gradlab.float32


def _first_example(op: Op) -> tuple[list[gradlab.Tensor], tuple]:
    found: list = []

    @settings(max_examples=1, deadline=None, derandomize=True, database=None)
    @given(data=st.data())
    def draw(data: st.DataObject) -> None:
        found.append(data.draw(case(op)))

    draw()
    return found[-1]


# -- second order: the backward of the backward, through create_graph ---------------------------

SECOND_ORDER = ["mul", "div", "pow-tensor", "pow-3", "rpow", "exp", "log", "sqrt", "sin", "cos",
                "tanh", "sigmoid", "square", "reciprocal", "rdiv", "abs", "clamp", "maximum",
                "where", "sum-dims", "mean-dim", "var-dim", "std", "norm-dim", "max-dim",
                "logsumexp", "softmax", "log_softmax", "matmul[mm]", "matmul[mv]",
                "matmul[broadcast-batch]", "index-list", "index-slice-step", "unbind", "stack",
                "cat", "expand", "permute", "mul_", "setitem-slice", "setitem-advanced",
                "inplace-through-view", "augmented-item-assignment", "masked_fill-tensor-value",
                "clamp-tensors", "remainder-tensor", "index-int-slice-list"]
BY_NAME = {op.name: op for op in OPS}


def first_derivative(fn: Callable[..., Any], seed: int = 1) -> Callable[..., Any]:
    """``x -> v @ J(x)`` for a fixed direction ``v``, built with ``create_graph=True``."""

    def vjp(*xs: gradlab.Tensor) -> tuple:
        with gradlab.enable_grad():
            out = fn(*xs)
            outs = out if isinstance(out, tuple) else (out,)
            rng = np.random.default_rng(seed)
            vs = [gradlab.tensor(rng.standard_normal(o.shape), dtype=gradlab.float64)
                  for o in outs]
            grads = gradlab.autograd.grad(outs, xs, vs, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return vjp


@pytest.mark.parametrize("name", SECOND_ORDER)
@settings(max_examples=8, deadline=None, derandomize=True)
@given(data=st.data())
def test_second_derivative_matches_finite_differences(name: str, data: st.DataObject) -> None:
    op = BY_NAME[name]
    inputs, extra = data.draw(case(op))
    assert gradcheck(first_derivative(lambda *xs: op.fn(*xs, *extra)), inputs)


def test_third_derivative_of_a_cube_is_six() -> None:
    x = gradlab.tensor(1.7, dtype=gradlab.float64, requires_grad=True)
    (d1,) = gradlab.autograd.grad(x ** 3, x, create_graph=True)
    (d2,) = gradlab.autograd.grad(d1, x, create_graph=True)
    (d3,) = gradlab.autograd.grad(d2, x)
    assert (d1.item(), d2.item(), d3.item()) == pytest.approx((3 * 1.7 ** 2, 6 * 1.7, 6.0))


# -- gradcheck itself ------------------------------------------------------------------------


class WrongSquare(gradlab.autograd.Function):
    """x ** 2 with a deliberately wrong derivative (x instead of 2x)."""

    @staticmethod
    def forward(ctx: Any, x: gradlab.Tensor) -> gradlab.Tensor:
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx: Any, grad: gradlab.Tensor) -> gradlab.Tensor:
        (x,) = ctx.saved_tensors
        return grad * x


def wrong_square_input() -> gradlab.Tensor:
    return gradlab.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=gradlab.float64, requires_grad=True)


def test_gradcheck_returns_true_for_a_correct_gradient() -> None:
    x = gradlab.tensor([1.0, 2.0], dtype=gradlab.float64, requires_grad=True)
    assert gradcheck(lambda x: (x ** 3).sum(), (x,)) is True


def test_gradcheck_warns_about_float32_and_fails_as_pytorch_does() -> None:
    x = gradlab.tensor([0.5, -1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match=r"^Input #0 requires gradient and is not a double "
                                         r"precision floating point or complex\. This check will "
                                         r"likely fail"):
        with pytest.raises(GradcheckError) as info:
            gradcheck(gradlab.sin, (x,))
    lines = str(info.value).splitlines()
    assert lines[0] == "Jacobian mismatch for output 0 with respect to input 0,"
    assert lines[1].startswith("numerical:tensor([[") and "analytical:tensor([[" in str(info.value)


def test_gradcheck_accepts_a_single_tensor_and_non_tensor_arguments() -> None:
    x = gradlab.tensor([1.0, 2.0], dtype=gradlab.float64, requires_grad=True)
    assert gradcheck(lambda x: x * 2.0, x)
    assert gradcheck(lambda x, k: x ** k, (x, 3))


def test_gradcheck_ignores_inputs_that_do_not_require_grad() -> None:
    x = gradlab.tensor([1.0, 2.0], dtype=gradlab.float64, requires_grad=True)
    c = gradlab.tensor([3.0, 4.0], dtype=gradlab.float64)
    assert gradcheck(lambda x, c: x * c, (x, c))


def test_gradcheck_message_is_pytorchs_then_a_table_of_the_wrong_entries() -> None:
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongSquare.apply, (wrong_square_input(),))
    text = str(info.value)
    assert text.startswith("Jacobian mismatch for output 0 with respect to input 0,\n"
                           "numerical:tensor([[ 2.0000,  0.0000,  0.0000,  0.0000],")
    assert "analytical:tensor([[ 1.0000,  0.0000,  0.0000,  0.0000]," in text
    table = text[text.index("gradlab: the 4 of 16 entries"):].splitlines()
    assert "numerical" in table[1] and "analytical" in table[1] and "difference" in table[1]
    rows = [row.split() for row in table[2:]]
    assert [(r[0], r[1]) for r in rows] == [("(0,", "0)"), ("(0,", "1)"), ("(1,", "0)"),
                                           ("(1,", "1)")]  # the diagonal: every x is off
    assert [float(r[-1]) for r in rows] == [-1.0, 2.0, -0.5, -3.0]


def test_gradcheck_table_lists_only_the_wrong_entries() -> None:
    class WrongAtZero(gradlab.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: gradlab.Tensor) -> gradlab.Tensor:
            return x * 2

        @staticmethod
        def backward(ctx: Any, grad: gradlab.Tensor) -> gradlab.Tensor:
            out = grad * 2
            out[0] = 0.0
            return out

    x = gradlab.tensor([1.0, 2.0, 3.0], dtype=gradlab.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongAtZero.apply, (x,))
    table = str(info.value).split("gradlab: ")[1].splitlines()
    assert table[0].startswith("the 1 of 9 entries")
    assert table[2].split()[:2] == ["(0,)", "(0,)"] and len(table) == 3


def test_gradcheck_refuses_a_backward_that_ignores_grad_output() -> None:
    class NoMul(gradlab.autograd.Function):
        @staticmethod
        def forward(ctx: Any, a: gradlab.Tensor) -> gradlab.Tensor:
            return a * 2

        @staticmethod
        def backward(ctx: Any, g: gradlab.Tensor) -> gradlab.Tensor:
            return gradlab.ones_like(g) * 2

    x = gradlab.tensor([1.0], dtype=gradlab.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="^backward not multiplied by grad_output$"):
        gradcheck(NoMul.apply, (x,))


def test_gradcheck_of_a_detached_output_expects_zero_numerical_gradient() -> None:
    x = gradlab.tensor([1.0, 2.0], dtype=gradlab.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="^Numerical gradient for function expected to be "
                                             "zero$"):
        gradcheck(lambda a: a.detach() * 2, (x,))


def test_gradcheck_refuses_inputs_with_stride_zero() -> None:
    x = gradlab.tensor([1.0], dtype=gradlab.float64).expand(3).requires_grad_()
    with pytest.raises(RuntimeError, match="^The 0th input has a dimension with stride 0"):
        gradcheck(gradlab.sin, (x,))


def test_gradgradcheck_draws_grad_outputs_from_the_global_generator() -> None:
    x = gradlab.tensor([0.5, -1.0, 2.0], dtype=gradlab.float64, requires_grad=True)
    gradlab.manual_seed(0)
    assert gradlab.autograd.gradgradcheck(gradlab.sin, (x,))
    # three float64 uniforms use six 32-bit words: the stream continues as PyTorch's does
    assert gradlab.rand(2).tolist() == pytest.approx([0.4901, 0.8964], abs=1e-4)


def test_gradcheck_returns_false_instead_of_raising_when_asked() -> None:
    assert gradcheck(WrongSquare.apply, (wrong_square_input(),), raise_exception=False) is False


def test_gradcheck_needs_an_input_that_requires_grad() -> None:
    with pytest.raises(ValueError, match="^gradcheck expects at least one input tensor to "
                                         "require gradient, but none of them have "
                                         r"requires_grad=True\.$"):
        gradcheck(lambda x: x * 2, (gradlab.tensor([1.0]),))


def test_gradcheck_names_the_output_and_input_that_disagree() -> None:
    x, y = wrong_square_input(), wrong_square_input()
    with pytest.raises(GradcheckError, match="output 1 with respect to input 1"):
        gradcheck(lambda x, y: (x * y, WrongSquare.apply(y)), (x, y))


def test_gradcheck_catches_a_wrong_second_input_gradient_under_broadcasting() -> None:
    class BadMul(gradlab.autograd.Function):
        @staticmethod
        def forward(ctx: Any, a: gradlab.Tensor, b: gradlab.Tensor) -> gradlab.Tensor:
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx: Any, g: gradlab.Tensor) -> tuple:
            a, b = ctx.saved_tensors
            return g * b, (g * a)[0]  # forgets to sum over the broadcast dimension

    a = gradlab.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=gradlab.float64, requires_grad=True)
    b = gradlab.tensor([0.5, -1.0], dtype=gradlab.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="with respect to input 1"):
        gradcheck(BadMul.apply, (a, b))

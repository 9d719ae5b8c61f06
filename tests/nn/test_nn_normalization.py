"""BatchNorm1d/2d and LayerNorm as PyTorch's: batch statistics in training, running averages
(momentum, cumulative with momentum=None, unbiased variance) for eval, one Native*Backward0 node,
reprs and errors. Written-in values were printed by torch 2.13; parity tests compare with torch
itself when it is importable."""

from __future__ import annotations

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.nn import functional as F

X = [[1., 2., 3.], [3., 0., -1.], [2., 2., 4.], [0., 1., 1.]]
G = np.arange(12.0, dtype=np.float32).reshape(4, 3)


def close(t, expected, tol=2e-5):
    np.testing.assert_allclose(t.detach().numpy(), np.asarray(expected, dtype=np.float32),
                               rtol=tol, atol=tol)


@pytest.fixture
def batch():
    return gradlab.tensor(X, requires_grad=True)


def test_batchnorm_training_standardises_each_channel_and_updates_running_stats(batch):
    bn = nn.BatchNorm1d(3, momentum=0.5)
    y = bn(batch)
    assert y.grad_fn.name() == "NativeBatchNormBackward0"
    close(y, [[-0.447212, 0.904527, 0.650944], [1.341635, -1.507546, -1.432076],
              [0.447212, 0.904527, 1.171699], [-1.341635, -0.301509, -0.390566]])
    close(bn.running_mean, [0.75, 0.625, 0.875])
    close(bn.running_var, [1.333333, 0.958333, 2.958333])  # the unbiased variance
    assert bn.num_batches_tracked.item() == 1
    y.backward(gradlab.tensor(G))
    close(batch.grad, [[-4.561556, -4.933794, -2.277200], [0.268314, -2.631341, -0.926767],
                       [1.878285, 2.302426, 0.900288], [2.414957, 5.262708, 2.303679]])
    close(bn.weight.grad, [-5.366542, -1.809055, -0.781132])
    close(bn.bias.grad, [18., 22., 26.])


def test_batchnorm_eval_uses_running_stats_and_leaves_them_alone(batch):
    bn = nn.BatchNorm1d(3, momentum=0.5)
    bn(batch)
    bn.eval()
    before = bn.running_mean.clone()
    close(bn(batch), [[0.216506, 1.404566, 1.235477], [1.948550, -0.638439, -1.090127],
                      [1.082528, 1.404566, 1.816878], [-0.649517, 0.383063, 0.072675]])
    assert gradlab.equal(bn.running_mean, before) and bn.num_batches_tracked.item() == 1


def test_batchnorm_without_momentum_keeps_a_cumulative_average(batch):
    bn = nn.BatchNorm1d(3, momentum=None)
    bn(batch)
    bn(batch * 2)
    close(bn.running_mean, [2.25, 1.875, 2.625])
    close(bn.running_var, [4.166667, 2.291667, 12.291666])
    assert bn.num_batches_tracked.item() == 2


def test_batchnorm_state_dict_and_repr_are_pytorchs():
    bn = nn.BatchNorm1d(3)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    assert bn.num_batches_tracked.dtype == gradlab.int64
    assert repr(bn) == ("BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                        "track_running_stats=True)")
    assert repr(nn.BatchNorm1d(3, momentum=None, affine=False, track_running_stats=False)) == (
        "BatchNorm1d(3, eps=1e-05, momentum=None, affine=False, bias=False, "
        "track_running_stats=False)")
    assert repr(nn.BatchNorm2d(5, eps=1e-3, momentum=0.2)).startswith(
        "BatchNorm2d(5, eps=0.001, momentum=0.2,")


def test_batchnorm_refuses_what_pytorch_refuses():
    with pytest.raises(ValueError, match=r"^expected 2D or 3D input \(got 1D input\)$"):
        nn.BatchNorm1d(3)(gradlab.ones(3))
    with pytest.raises(ValueError, match=r"^expected 4D input \(got 2D input\)$"):
        nn.BatchNorm2d(3)(gradlab.ones(2, 3))
    with pytest.raises(ValueError, match=r"^Expected more than 1 value per channel when "
                                         r"training, got input size gradlab.Size\(\[1, 3\]\)$"):
        nn.BatchNorm1d(3)(gradlab.ones(1, 3))
    with pytest.raises(RuntimeError, match="^running_mean should contain 4 elements not 3$"):
        nn.BatchNorm1d(3)(gradlab.ones(2, 4))
    with pytest.raises(RuntimeError, match="^running_mean must be defined in evaluation mode$"):
        F.batch_norm(gradlab.ones(2, 3), None, None, training=False)


def test_layernorm_standardises_each_sample(batch):
    ln = nn.LayerNorm(3)
    y = ln(batch)
    close(y, [[-1.224736, 0.0, 1.224736], [1.372810, -0.392232, -0.980579],
              [-0.707103, -0.707103, 1.414205], [-1.414182, 0.707091, 0.707091]])
    y.backward(gradlab.tensor(G))
    close(ln.weight.grad, [-12.851823, 0.552263, 16.638222])
    close(ln.bias.grad, [18., 22., 26.])
    close(batch.grad[1:2], [[4.525518e-02, -1.810293e-01, 1.357741e-01]])


def test_layernorm_repr_parameters_and_errors_are_pytorchs():
    assert repr(nn.LayerNorm(3)) == "LayerNorm((3,), eps=1e-05, elementwise_affine=True, bias=True)"
    assert repr(nn.LayerNorm([2, 3], elementwise_affine=False)) == (
        "LayerNorm((2, 3), eps=1e-05, elementwise_affine=False, bias=False)")
    assert list(nn.LayerNorm(4, bias=False).state_dict()) == ["weight"]
    with pytest.raises(RuntimeError, match=r"^Given normalized_shape=\[3\], expected input with "
                                           r"shape \[\*, 3\], but got input of size\[2, 4\]$"):
        nn.LayerNorm(3)(gradlab.ones(2, 4))
    with pytest.raises(RuntimeError, match=r"^Expected weight to be of same shape as "
                                           r"normalized_shape, but got weight of shape \[3\] and "
                                           r"normalized_shape = \[4\]$"):
        F.layer_norm(gradlab.ones(2, 4), (4,), gradlab.ones(3))


@pytest.mark.parametrize("layer", ["batch", "layer"])
def test_normalization_second_derivatives_match_finite_differences(layer):
    gradlab.manual_seed(0)
    x = gradlab.randn(5, 3, dtype=gradlab.float64, requires_grad=True)
    w = gradlab.tensor([1.5, 0.7, 2.0], dtype=gradlab.float64, requires_grad=True)

    def f(x, w):
        if layer == "batch":
            return F.batch_norm(x, None, None, w, None, True)
        return F.layer_norm(x, (3,), w)

    assert gradlab.autograd.gradcheck(lambda x, w: (f(x, w) ** 3).sum(), (x, w))
    assert gradlab.autograd.gradgradcheck(lambda x, w: (f(x, w) ** 3).sum(), (x, w))


# -- against PyTorch itself ---------------------------------------------------------------------


@pytest.mark.parity
@pytest.mark.parametrize("shape", [(4, 3), (16, 5), (8, 3, 7), (2, 3, 4, 5)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batchnorm_matches_pytorch_in_train_and_eval(shape, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    xv = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    gv = rng.standard_normal(shape).astype(dtype)
    results = []
    for lib in (torch, gradlab):
        bn = (lib.nn.BatchNorm1d if len(shape) < 4 else lib.nn.BatchNorm2d)(shape[1],
                                                                              momentum=0.3)
        if dtype == "float64":
            bn.double()
        with lib.no_grad():
            bn.weight.copy_(lib.tensor(np.linspace(0.5, 2, shape[1]).astype(dtype)))
            bn.bias.copy_(lib.tensor(np.linspace(-1, 1, shape[1]).astype(dtype)))
        x = lib.tensor(xv, requires_grad=True)
        y = bn(x)
        y.backward(lib.tensor(gv))
        bn(x)
        bn.eval()
        results.append([t.detach().numpy() for t in (
            y, x.grad, bn.weight.grad, bn.bias.grad, bn.running_mean, bn.running_var,
            bn.num_batches_tracked, bn(x))] + [y.grad_fn.name()])
    tol = 1e-5 if dtype == "float32" else 1e-12
    for t, g in zip(*results):
        if isinstance(t, str):
            assert g == t
        else:
            assert g.dtype == t.dtype
            np.testing.assert_allclose(g, t, rtol=tol, atol=tol)


@pytest.mark.parity
@pytest.mark.parametrize("shape, normalized", [((4, 3), (3,)), ((2, 5, 6), (5, 6)), ((7,), (7,))])
def test_layernorm_and_its_double_backward_match_pytorch(shape, normalized):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    xv, gv = (rng.standard_normal(shape).astype("float32") for _ in range(2))
    wv, bv = (rng.standard_normal(normalized).astype("float32") for _ in range(2))
    results = []
    for lib in (torch, gradlab):
        x, w, b = (lib.tensor(v, requires_grad=True) for v in (xv, wv, bv))
        y = lib.nn.functional.layer_norm(x, normalized, w, b)
        gx, gw = lib.autograd.grad((y * lib.tensor(gv)).sum(), (x, w), create_graph=True)
        ggx, ggw = lib.autograd.grad((gx * gx).sum() + (gw * gw).sum(), (x, w))
        results.append([t.detach().numpy() for t in (y, gx, gw, ggx, ggw)])
    for t, g in zip(*results):
        np.testing.assert_allclose(g, t, rtol=1e-4, atol=1e-4)


def test_layernorm_statistics_follow_pytorchs_welford_kernel():
    # a row of 27 float32 values: 3 vectors of 8 in one chunk, 3 left over, lanes merged last
    x = gradlab.tensor(np.linspace(-3.0, 5.0, 27, dtype=np.float32) ** 2)
    y = F.layer_norm(x, (27,))
    # written in from torch 2.13; a two-pass mean/variance gives 0.3215034306049347 and
    # -0.8183721899986267
    assert (y[0].item(), y[13].item()) == (0.3215033710002899, -0.8183723092079163)


@pytest.mark.parity
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("affine", ["none", "weight", "bias", "both"])
def test_layernorm_is_bit_for_bit_pytorchs(dtype, affine, torch):
    rng = np.random.default_rng(len(affine))
    for _ in range(12):
        shape = tuple(int(s) for s in rng.integers(1, 40, int(rng.integers(1, 4))))
        k = int(rng.integers(1, len(shape) + 1))
        ns = shape[-k:]
        x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
        w, b, g = (rng.standard_normal(s).astype(dtype) for s in (ns, ns, shape))
        results = []
        for lib in (torch, gradlab):
            xt = lib.tensor(x, requires_grad=True)
            wt = lib.tensor(w, requires_grad=True) if affine in ("weight", "both") else None
            bt = lib.tensor(b, requires_grad=True) if affine in ("bias", "both") else None
            y = lib.nn.functional.layer_norm(xt, ns, wt, bt, 1e-5)
            y.backward(lib.tensor(g))
            results.append([y.detach().numpy(), xt.grad.numpy()]
                           + [t.grad.numpy() for t in (wt, bt) if t is not None])
        for want, got in zip(*results):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parity
@pytest.mark.parametrize("shape", [(7, 5), (4, 3, 6), (33, 10)])
def test_batchnorm_forward_and_running_stats_are_bit_for_bit_pytorchs(shape, torch):
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    w = rng.standard_normal(shape[1]).astype(np.float32)
    results = []
    for lib in (torch, gradlab):
        bn = lib.nn.BatchNorm1d(shape[1])
        with lib.no_grad():
            bn.weight.copy_(lib.tensor(w))
        train = bn(lib.tensor(x)).detach().numpy()
        mean = bn.running_mean.numpy().copy()
        bn.eval()
        with lib.no_grad():  # the same running statistics for both
            bn.running_var.copy_(lib.tensor(np.linspace(0.5, 2.0, shape[1], dtype=np.float32)))
        results.append((bn(lib.tensor(x)).detach().numpy(), mean, train))
    (t_eval, t_mean, t_train), (g_eval, g_mean, g_train) = results
    np.testing.assert_array_equal(g_eval, t_eval)  # eval: x * alpha + beta, fused
    np.testing.assert_array_equal(g_mean, t_mean)  # the running mean's float update
    np.testing.assert_array_equal(g_train, t_train)


def _cubes(*shape):
    n = int(np.prod(shape))
    return (np.linspace(-2.0, 3.0, n, dtype=np.float32) ** 3).reshape(shape)


def _waves(*shape):
    return np.cos(np.arange(int(np.prod(shape)), dtype=np.float32)).reshape(shape)


@pytest.mark.parametrize("shape, index, want_x, want_w", [
    # one value per channel and sample: the kernel's channels-last path
    ((4, 3), 1, 0.031457558274269104, [-2.590341806411743, -1.8047027587890625,
                                       0.18243913352489471]),
    # planes reduced in vector lanes, added per channel in double
    ((2, 3, 4), 0, 0.14832361042499542, [-1.540581226348877, 1.3527668714523315,
                                         -0.47428688406944275]),
])
def test_batchnorm_backward_follows_pytorchs_kernel(shape, index, want_x, want_w):
    # written in from torch 2.13; the textbook formula is an ulp off in both places
    x = gradlab.tensor(_cubes(*shape), requires_grad=True)
    bn = nn.BatchNorm1d(3)
    if len(shape) == 2:
        with gradlab.no_grad():
            bn.weight.copy_(gradlab.tensor([0.5, 1.5, -2.0]))
    bn(x).backward(gradlab.tensor(_waves(*shape)))
    assert x.grad.flatten()[index].item() == want_x
    assert bn.weight.grad.tolist() == want_w


def test_batchnorm_running_variance_is_blended_in_double():
    # written in from torch 2.13: the unbiased variance divides in float, then
    # momentum * var + (1 - momentum) * running is added in double (53.65868377685547 in float)
    bn = nn.BatchNorm1d(1, momentum=0.3)
    bn(gradlab.tensor(_cubes(5, 1)))
    assert bn.running_var.item() == 53.6586799621582


@pytest.mark.parity
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["train", "eval", "no affine", "cumulative"])
def test_batchnorm_is_bit_for_bit_pytorchs(dtype, mode, torch):
    shapes = [(2, 3), (2, 16), (2, 24), (3, 5), (7, 5), (64, 10), (3, 20), (5, 3, 4),
              (8, 2, 17), (6, 3, 30), (4, 3, 1, 1), (2, 3, 8, 8), (3, 2, 5, 5)]
    rng = np.random.default_rng(len(mode))
    for shape in shapes:
        x0, x, g = ((rng.standard_normal(shape) * 3 + 1).astype(dtype) for _ in range(3))
        w, b = (rng.uniform(0.5, 2, shape[1]).astype(dtype) for _ in range(2))
        results = []
        for lib in (torch, gradlab):
            kind = lib.nn.BatchNorm2d if len(shape) == 4 else lib.nn.BatchNorm1d
            bn = kind(shape[1], affine=mode != "no affine", dtype=getattr(lib, dtype),
                      momentum=None if mode == "cumulative" else 0.1)
            if bn.weight is not None:
                with lib.no_grad():
                    bn.weight.copy_(lib.tensor(w))
                    bn.bias.copy_(lib.tensor(b))
            bn(lib.tensor(x0))
            if mode == "eval":
                bn.eval()
            xt = lib.tensor(x, requires_grad=True)
            y = bn(xt)
            y.backward(lib.tensor(g))
            results.append([y.detach().numpy(), xt.grad.numpy(), bn.running_mean.numpy(),
                            bn.running_var.numpy()]
                           + [t.grad.numpy() for t in (bn.weight, bn.bias) if t is not None])
        for want, got in zip(*results):
            np.testing.assert_array_equal(got, want, err_msg=f"{shape}")

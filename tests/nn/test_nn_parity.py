"""gradlab.nn against PyTorch itself: initial weights, graphs, printouts, losses and gradients.

Skipped without torch (CI); the torch-free tests pin the same behaviours with written-in values.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import gradlab
from gradlab import nn as gnn
from gradlab.nn import functional as GF
from gradlab.nn import init as ginit

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.parity
tnn = torch.nn
TF = torch.nn.functional


def chain(node) -> str:
    if node is None:
        return "None"
    name = node.name().replace("gradlab::autograd::", "").replace("torch::autograd::", "")
    inner = ", ".join(chain(n) for n, _ in node.next_functions)
    return f"{name}({inner})" if inner else name


def same_text(torch_text: str, gradlab_text: str) -> None:
    assert gradlab_text == torch_text.replace("torch.", "gradlab.")


def pair(values: np.ndarray, requires_grad: bool = False):
    return (torch.tensor(values, requires_grad=requires_grad),
            gradlab.tensor(values, requires_grad=requires_grad))


@pytest.mark.parametrize("seed, sizes", [(0, (3, 2)), (1, (1, 1)), (42, (32, 64)), (7, (5, 17))])
def test_linear_initial_weights_equal_pytorchs_bit_for_bit(seed, sizes):
    torch.manual_seed(seed)
    gradlab.manual_seed(seed)
    t, g = tnn.Linear(*sizes), gnn.Linear(*sizes)
    assert np.array_equal(t.weight.detach().numpy(), g.weight.detach().numpy())
    assert np.array_equal(t.bias.detach().numpy(), g.bias.detach().numpy())
    assert np.array_equal(torch.rand(3).numpy(), gradlab.rand(3).numpy())  # same RNG position


@pytest.mark.parametrize("name, kwargs", [
    ("xavier_uniform_", {}), ("xavier_normal_", {"gain": 2.0}), ("uniform_", {"a": -3, "b": 1}),
    ("normal_", {"mean": 1.0, "std": 0.1}), ("kaiming_uniform_", {"nonlinearity": "relu"}),
    ("kaiming_normal_", {"mode": "fan_out", "a": 0.3}),
])
def test_initialisers_equal_pytorchs_bit_for_bit(name, kwargs):
    for shape in ((4, 3), (20, 33), (2, 3, 5)):
        torch.manual_seed(5)
        gradlab.manual_seed(5)
        t = getattr(tnn.init, name)(torch.empty(shape), **kwargs)
        g = getattr(ginit, name)(gradlab.empty(shape), **kwargs)
        assert np.array_equal(t.numpy(), g.numpy())


def build(nn):
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(nn.Linear(4, 8), nn.ReLU(inplace=True), nn.Flatten())
            self.heads = nn.ModuleList([nn.Linear(8, 2), nn.Linear(8, 2), nn.Tanh()])
            self.loss = nn.CrossEntropyLoss(weight=None)

        def forward(self, x):
            return self.heads[0](self.features(x))

    return Net()


def test_module_printouts_and_names_equal_pytorchs():
    t, g = build(tnn), build(gnn)
    same_text(repr(t), repr(g))
    assert [n for n, _ in t.named_parameters()] == [n for n, _ in g.named_parameters()]
    assert [n for n, _ in t.named_modules()] == [n for n, _ in g.named_modules()]
    assert list(t.state_dict()) == list(g.state_dict())


@pytest.mark.parametrize("state", [
    {"weight": np.zeros((2, 3), np.float32)},
    {"weight": np.zeros((3, 3), np.float32), "bias": np.zeros(2, np.float32),
     "x": np.zeros(1, np.float32)},
    {"0.weight": np.zeros((2, 3), np.float32), "0.bias": np.zeros(4, np.float32)},
])
def test_load_state_dict_errors_equal_pytorchs(state):
    for model_of in (lambda nn: nn.Linear(3, 2), lambda nn: nn.Sequential(nn.Linear(3, 2))):
        messages = []
        for lib, nn in ((torch, tnn), (gradlab, gnn)):
            try:
                model_of(nn).load_state_dict({k: lib.tensor(v) for k, v in state.items()})
                messages.append("")
            except RuntimeError as err:
                messages.append(str(err))
        same_text(*messages)


@pytest.mark.parametrize("shape", [(3,), (4, 3), (5, 4, 3), (2, 5, 4, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_graph_and_values_equal_pytorchs(shape, bias):
    torch.manual_seed(1)
    gradlab.manual_seed(1)
    t, g = tnn.Linear(3, 2, bias=bias), gnn.Linear(3, 2, bias=bias)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    xt, xg = pair(x, True)
    ot, og = t(xt), g(xg)
    assert chain(og.grad_fn) == chain(ot.grad_fn)
    np.testing.assert_allclose(og.detach().numpy(), ot.detach().numpy(), rtol=1e-6, atol=1e-7)
    ot.sum().backward()
    og.sum().backward()
    for a, b in ((xt, xg), (t.weight, g.weight)):
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("batch, sizes", [(256, (32, 64)), (7, (3, 40)), (300, (5, 3)),
                                         (64, (8, 1)), (33, (1, 9))])
def test_linear_gradients_equal_pytorchs_bit_for_bit_where_no_blas_product_is_involved(
        batch, sizes):
    """With the same upstream gradient R (loss = (out * R).sum()), the bias gradient is
    PyTorch's column sum of R to the bit; a product over one term (in_features or
    out_features of 1) is plain multiplication, signed zeros included; products over more
    terms run in numpy's BLAS, not MKL, so they agree to rounding. The weight's gradient is
    contiguous, as in PyTorch."""
    rng = np.random.default_rng(batch)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    x[::3, 0] = 0
    r = rng.standard_normal((batch, sizes[1])).astype(np.float32)
    w = rng.standard_normal((sizes[1], sizes[0])).astype(np.float32)
    w[0, ::2] = 0
    grads = []
    for lib in (torch, gradlab):
        layer = lib.nn.Linear(*sizes)
        with lib.no_grad():
            layer.weight.copy_(lib.tensor(w))
        xt = lib.tensor(x, requires_grad=True)
        (layer(xt) * lib.tensor(r)).sum().backward()
        grads.append((layer.bias.grad, layer.weight.grad, xt.grad))
    (tb, tw, tx), (gb, gw, gx) = grads
    assert gb.numpy().tobytes() == tb.numpy().tobytes()
    assert gw.is_contiguous() and tw.is_contiguous()
    for ours, theirs, terms in ((gw, tw, batch), (gx, tx, sizes[1])):
        if terms == 1:
            assert ours.numpy().tobytes() == theirs.numpy().tobytes()
        else:
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-5)


def test_linear_with_one_input_feature_gives_pytorchs_output_and_bias_grad_bit_for_bit():
    """Linear(1, n) multiplies without a matrix product, so its output (signed zeros
    included) and its bias gradient are PyTorch's exactly; the weight's gradient sums over
    the batch in BLAS, so it agrees to rounding."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((50, 1)).astype(np.float32)
    x[::4] = -0.0
    results = []
    for lib in (torch, gradlab):
        lib.manual_seed(3)
        layer = lib.nn.Linear(1, 5)
        xt = lib.tensor(x, requires_grad=True)
        out = layer(xt)
        (out ** 2).mean().backward()
        results.append([a.detach().numpy() for a in (out, layer.bias.grad, layer.weight.grad)])
    (tout, tb, tw), (gout, gb, gw) = results
    assert gout.tobytes() == tout.tobytes() and gb.tobytes() == tb.tobytes()
    np.testing.assert_allclose(gw, tw, rtol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_gradient_equals_pytorchs_bit_for_bit_with_nan_inf_and_signed_zeros(dtype):
    """Where the output is 0 the gradient is +0.0, even for an inf or nan upstream gradient;
    elsewhere it is the upstream gradient itself, -0.0 and nan included."""
    x = np.array([[-1.0, 0.0, -0.0, 2.0, np.nan, 3.0, -4.0, 5.0]] * 2, dtype=dtype)
    r = np.array([[np.inf, np.nan, -1.0, -0.0, 2.0, np.nan, -np.inf, -3.0]] * 2, dtype=dtype)
    grads = []
    for lib in (torch, gradlab):
        xt = lib.tensor(x, requires_grad=True)
        lib.nn.functional.relu(xt).backward(lib.tensor(r))
        grads.append(xt.grad.numpy().tobytes())
    assert grads[0] == grads[1]


def loss_cases(rng: np.random.Generator):
    x = rng.standard_normal((6, 4)).astype(np.float32)
    y = rng.standard_normal((6, 4)).astype(np.float32)
    p = rng.uniform(0.02, 0.98, (6, 4)).astype(np.float32)
    t = rng.uniform(0, 1, (6, 4)).astype(np.float32)
    w = rng.uniform(0.5, 2.0, 4).astype(np.float32)
    labels = rng.integers(0, 4, 6)
    soft = rng.dirichlet(np.ones(4), 6).astype(np.float32)
    for r in ("mean", "sum", "none"):
        yield "mse_loss", (x, y), {"reduction": r}
        yield "l1_loss", (x, y), {"reduction": r}
        yield "mse_loss", (x, y), {"reduction": r, "weight": p}
        yield "l1_loss", (x, y), {"reduction": r, "weight": p}
        yield "binary_cross_entropy", (p, t), {"reduction": r}
        yield "binary_cross_entropy", (p, t), {"reduction": r, "weight": w}
        yield "binary_cross_entropy_with_logits", (x, t), {"reduction": r, "pos_weight": w}
        yield "binary_cross_entropy_with_logits", (x, t), {"reduction": r, "weight": w}
        yield "cross_entropy", (x, labels), {"reduction": r}
        yield "cross_entropy", (x, labels), {"reduction": r, "weight": w, "ignore_index": 1}
        yield "cross_entropy", (x, labels), {"reduction": r, "label_smoothing": 0.2}
        yield "cross_entropy", (x, labels), {"reduction": r, "label_smoothing": 0.1,
                                             "weight": w, "ignore_index": 2}
        yield "cross_entropy", (x, soft), {"reduction": r}
        yield "cross_entropy", (x, soft), {"reduction": r, "weight": w, "label_smoothing": 0.3}
        yield "nll_loss", (x, labels), {"reduction": r, "ignore_index": 0}
    yield "mse_loss", (x[:, :1], y[:, 0]), {}
    yield "cross_entropy", (x[0], labels[0]), {"label_smoothing": 0.2}
    yield "cross_entropy", (x[0], soft[0]), {"label_smoothing": 0.2}
    for spatial in ((3,), (3, 2), (3, 2, 2)):
        scores = rng.standard_normal((2, 4) + spatial).astype(np.float32)
        for r in ("none", "mean"):
            yield "cross_entropy", (scores, rng.integers(0, 4, (2,) + spatial)), {
                "reduction": r, "label_smoothing": 0.1}


@pytest.mark.parametrize("seed", [0, 1])
def test_losses_equal_pytorchs_values_graphs_and_gradients(seed):
    warnings.simplefilter("ignore")
    for name, (a, b), kwargs in loss_cases(np.random.default_rng(seed)):
        grad_target = b.dtype == np.float32 and name != "cross_entropy"
        at, ag = pair(a, True)
        bt, bg = pair(b, grad_target)
        kt = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        kg = {k: gradlab.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        ot, og = getattr(TF, name)(at, bt, **kt), getattr(GF, name)(ag, bg, **kg)
        case = f"{name} {kwargs}"
        assert chain(og.grad_fn) == chain(ot.grad_fn), case
        np.testing.assert_allclose(og.detach().numpy(), ot.detach().numpy(), rtol=2e-6,
                                   atol=1e-6, err_msg=case)
        seed_grad = np.random.default_rng(1).standard_normal(ot.shape).astype(np.float32)
        ot.backward(torch.tensor(seed_grad))
        og.backward(gradlab.tensor(seed_grad))
        for t, g in ((at, ag), (bt, bg)) if grad_target else ((at, ag),):
            np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-6,
                                       err_msg=case)


def test_mse_broadcast_warning_equals_pytorchs():
    texts = []
    for lib, F in ((torch, TF), (gradlab, GF)):
        with pytest.warns(UserWarning) as record:
            F.mse_loss(lib.zeros(4, 1), lib.zeros(4))
        texts.append(str(record[0].message))
    same_text(*texts)


@pytest.mark.parametrize("target", [[0, 1, 5], [0.0, 1.0, 1.0], [0, 1], [-1, 0, 1]])
def test_cross_entropy_errors_equal_pytorchs(target):
    errors = []
    for lib, F in ((torch, TF), (gradlab, GF)):
        with pytest.raises(Exception) as err:
            F.cross_entropy(lib.zeros(3, 4), lib.tensor(target))
        errors.append((type(err.value), str(err.value).split("\nHint")[0]))
    assert errors[0] == errors[1]

"""GELU, SiLU, ELU, SELU, Softplus, Hardtanh and ReLU6: printouts, grad_fn names, values and
gradients, in-place forms and errors, as PyTorch's. Written-in values were printed by torch
2.13; the parity tests compare with torch itself when it is importable."""

from __future__ import annotations

import re
from types import ModuleType

import numpy as np
import pytest
from support import prints, pytorch_prints

import gradlab
from gradlab.nn import functional as F

LAYERS = ("nn.GELU(), nn.GELU('tanh'), nn.SiLU(inplace=True), nn.ELU(), nn.ELU(0.5, inplace=True), "
          "nn.SELU(), nn.Softplus(), nn.Softplus(2, 10), nn.Hardtanh(-2, 2, True), nn.ReLU6()")

PRINTS = {
    "activation_layers": (
        f"""print({LAYERS}, sep=chr(10))
x = torch.tensor([-1.0, 0.5, 2.0], requires_grad=True)
for f in (F.gelu, F.silu, F.elu, F.selu, F.softplus, F.hardtanh, F.relu6):
    print(f(x).grad_fn)
for f in (lambda t: F.elu(t, inplace=True), lambda t: F.silu(t, inplace=True),
          lambda t: F.relu6(t, inplace=True)):
    y = x * 1
    print(f(y) is y, y.grad_fn)
for f in (lambda: F.gelu(torch.tensor([1, 2])), lambda: F.softplus(torch.tensor([1])),
          lambda: F.gelu(x, approximate='exact'), lambda: nn.Hardtanh(2, 1),
          lambda: F.hardtanh(x, 2.0, 1.0)):
    try:
        f()
    except Exception as e:
        print(type(e).__name__, e)
print(F.hardtanh(torch.tensor([3, -2])), F.relu6(torch.tensor([-1.0, 3.0, 7.0])))
""",
        """GELU(approximate='none')
GELU(approximate='tanh')
SiLU(inplace=True)
ELU(alpha=1.0)
ELU(alpha=0.5, inplace=True)
SELU()
Softplus(beta=1.0, threshold=20.0)
Softplus(beta=2, threshold=10)
Hardtanh(min_val=-2, max_val=2, inplace=True)
ReLU6()
<GeluBackward0 object at ADDRESS>
<SiluBackward0 object at ADDRESS>
<EluBackward0 object at ADDRESS>
<EluBackward0 object at ADDRESS>
<SoftplusBackward0 object at ADDRESS>
<HardtanhBackward0 object at ADDRESS>
<HardtanhBackward0 object at ADDRESS>
True <EluBackward1 object at ADDRESS>
True <SiluBackward0 object at ADDRESS>
True <HardtanhBackward0 object at ADDRESS>
NotImplementedError "GeluKernelImpl" not implemented for 'Long'
NotImplementedError "softplus_cpu" not implemented for 'Long'
RuntimeError approximate argument must be either none or tanh.
AssertionError max_val (1) must be greater than min_val (2)
ValueError min_val cannot be greater than max_val
tensor([ 1, -1]) tensor([0., 3., 6.])
"""),
}


def _no_addresses(text: str) -> str:
    return re.sub(r" at 0x[0-9a-f]+>", " at ADDRESS>", text)


@pytest.mark.parametrize("name", list(PRINTS))
def test_pinned_printout_is_what_gradlab_prints(name: str) -> None:
    source, expected = PRINTS[name]
    assert _no_addresses(prints(source, gradlab)) == expected


@pytest.mark.parity
@pytest.mark.parametrize("name", list(PRINTS))
def test_pinned_printout_is_what_pytorch_prints(name: str, torch: ModuleType) -> None:
    source, expected = PRINTS[name]
    assert _no_addresses(pytorch_prints(source, torch)) == expected


X = [-25.0, -6.0, -1.5, -1.0, -0.3, -0.0, 0.0, 0.4, 1.0, 2.5, 6.0, 7.0, 21.0]


@pytest.mark.parametrize("f, want_y, want_g", [
    # written in from torch 2.13 (x = -1.5, 0.4, 2.5)
    (F.silu, [-0.2736382782459259, 0.2394750714302063, 2.310354471206665],
     [-0.0412941612303257, 0.6947919726371765, 1.0994011163711548]),
    (F.elu, [-0.7768698334693909, 0.4000000059604645, 2.5],
     [0.22313016653060913, 1.0, 1.0]),
    (F.softplus, [0.20141328871250153, 0.9130152463912964, 2.578889846801758],
     [0.18242551386356354, 0.5986877083778381, 0.9241418242454529]),
    (F.relu6, [0.0, 0.4000000059604645, 2.5], [0.0, 1.0, 1.0]),
])
def test_activation_values_and_gradients(f, want_y, want_g) -> None:
    x = gradlab.tensor([-1.5, 0.4, 2.5], requires_grad=True)
    y = f(x)
    y.sum().backward()
    np.testing.assert_allclose(y.tolist(), want_y, rtol=1e-6)
    np.testing.assert_allclose(x.grad.tolist(), want_g, rtol=1e-6)


@pytest.mark.parity
@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "silu", "elu", "selu", "softplus",
                                  "softplus_beta", "hardtanh", "relu6"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_activations_match_pytorch_closely(name: str, dtype: str, torch: ModuleType) -> None:
    # not bit for bit: exp, tanh and erf are numpy's and math's, PyTorch's are SLEEF's and
    # oneDNN's, and gelu's derivatives cancel where x < -2
    calls = {"gelu_tanh": lambda F, t: F.gelu(t, approximate="tanh"),
             "softplus_beta": lambda F, t: F.softplus(t, 2.0, 5.0)}
    rng = np.random.default_rng(0)
    x = np.concatenate([X, rng.standard_normal(40) * 3]).astype(dtype)
    w = rng.standard_normal(x.size).astype(dtype)
    results = []
    for lib in (torch, gradlab):
        f = calls.get(name, lambda F, t: getattr(F, name)(t))
        xt = lib.tensor(x, requires_grad=True)
        y = f(lib.nn.functional, xt)
        (y * lib.tensor(w)).sum().backward()
        results.append((y.detach().numpy(), xt.grad.numpy(), y.grad_fn.name()))
    (ty, tg, tn), (gy, gg, gn) = results
    assert gn == tn
    tol = 2e-6 if dtype == "float32" else 1e-14
    np.testing.assert_allclose(gy, ty, rtol=tol, atol=tol)
    np.testing.assert_allclose(gg, tg, rtol=tol, atol=tol)


@pytest.mark.parametrize("f", [F.silu, F.elu, F.softplus, lambda t: F.gelu(t, approximate="tanh"),
                               F.hardtanh])
def test_second_derivatives_are_recorded(f) -> None:
    x = gradlab.tensor([-1.5, 0.3, 2.0], dtype=gradlab.float64, requires_grad=True)
    assert gradlab.autograd.gradgradcheck(lambda t: f(t).sum(), (x,))

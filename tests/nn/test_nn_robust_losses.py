"""HuberLoss, SmoothL1Loss and LeakyReLU as PyTorch's: values, gradients (kinks as PyTorch
takes them), node names, reprs and errors. Written-in values were printed by torch 2.13."""

from __future__ import annotations

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.nn import functional as F

PRED, TARGET = [0., 1., 3., -2.], [0.5, 0., 0., 0.]


def test_huber_loss_is_quadratic_inside_delta_and_linear_outside():
    out = F.huber_loss(gradlab.tensor(PRED), gradlab.tensor(TARGET), reduction="none", delta=1.5)
    np.testing.assert_allclose(out.numpy(), [0.125, 0.5, 3.375, 1.875])
    x = gradlab.tensor(PRED, requires_grad=True)
    loss = nn.HuberLoss(delta=1.5)(x, gradlab.tensor(TARGET))
    assert loss.grad_fn.name() == "HuberLossBackward0"
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [-0.125, 0.25, 0.375, -0.375])


def test_smooth_l1_loss_divides_the_quadratic_part_by_beta():
    out = F.smooth_l1_loss(gradlab.tensor(PRED), gradlab.tensor(TARGET), reduction="none",
                           beta=1.5)
    np.testing.assert_allclose(out.numpy(), [0.083333, 0.333333, 2.25, 1.25], rtol=1e-5)
    x = gradlab.tensor(PRED, requires_grad=True)
    loss = nn.SmoothL1Loss(beta=1.5)(x, gradlab.tensor(TARGET))
    assert loss.grad_fn.name() == "SmoothL1LossBackward0"
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [-0.083333, 0.166667, 0.25, -0.25], rtol=1e-5)
    assert F.smooth_l1_loss(gradlab.tensor(PRED), gradlab.tensor(TARGET), beta=0.0).item() == 1.625


def test_robust_losses_refuse_bad_parameters_and_print_as_pytorch():
    x = gradlab.tensor(PRED)
    with pytest.raises(RuntimeError, match="^smooth_l1_loss does not support negative values "
                                           "for beta.$"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(RuntimeError, match="^huber_loss does not support non-positive values "
                                           "for delta.$"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.warns(UserWarning, match="Using a target size"), pytest.raises(RuntimeError):
        F.huber_loss(x, gradlab.tensor([0.5, 0.0]))
    assert repr(nn.HuberLoss(delta=2.0)) == "HuberLoss()"
    assert repr(nn.SmoothL1Loss(beta=0.5)) == "SmoothL1Loss()"


def test_leaky_relu_values_gradient_and_nodes():
    x = gradlab.tensor([-1., 0., 2.], requires_grad=True)
    y = F.leaky_relu(x, 0.1)
    assert y.grad_fn.name() == "LeakyReluBackward0"
    np.testing.assert_allclose(y.detach().numpy(), [-0.1, 0.0, 2.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.1, 0.1, 1.0])  # the slope at 0, as PyTorch
    x.grad = None
    z = x * 1
    out = F.leaky_relu(z, 0.1, inplace=True)
    assert out is z and out.grad_fn.name() == "LeakyReluBackward1"
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.1, 0.1, 1.0])


def test_leaky_relu_module_and_errors():
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.LeakyReLU(0.2, inplace=True)) == "LeakyReLU(negative_slope=0.2, inplace=True)"
    np.testing.assert_allclose(nn.LeakyReLU(0.2)(gradlab.tensor([-1., 3.])).numpy(), [-0.2, 3])
    with pytest.raises(NotImplementedError, match="^\"leaky_relu_cpu\" not implemented for "
                                                  "'Long'$"):
        F.leaky_relu(gradlab.tensor([-1, 2]))


@pytest.mark.parity
@pytest.mark.parametrize("name, kwargs", [("huber_loss", {"delta": 0.7}),
                                          ("smooth_l1_loss", {"beta": 0.3}),
                                          ("huber_loss", {"reduction": "sum"}),
                                          ("smooth_l1_loss", {"reduction": "none"})])
def test_robust_losses_match_pytorch(name, kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    xv, tv = rng.standard_normal((2, 6, 5)).astype("float32")
    results = []
    for lib in (torch, gradlab):
        x, t = lib.tensor(xv, requires_grad=True), lib.tensor(tv, requires_grad=True)
        loss = getattr(lib.nn.functional, name)(x, t, **kwargs)
        loss.sum().backward()
        results.append((loss.detach().numpy(), x.grad.numpy(), t.grad.numpy(),
                        loss.grad_fn.name()))
    for t, g in zip(*results):
        if isinstance(t, str):
            assert g == t
        else:
            np.testing.assert_allclose(g, t, rtol=1e-6, atol=1e-7)

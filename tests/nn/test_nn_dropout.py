"""Dropout as PyTorch's CPU kernel: the same mask from the same seed, MulBackward0, the same
scale and the same refusals. Values written in were printed by torch 2.13; the parity tests at
the end compare with torch itself when it is importable."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.nn import functional as F


def test_dropout_mask_after_manual_seed_is_pytorchs():
    gradlab.manual_seed(0)
    out = F.dropout(gradlab.ones(3, 4), 0.5)
    assert out.tolist() == [[0, 0, 2, 0], [0, 0, 2, 2], [0, 2, 2, 2]]


def test_dropout_scales_survivors_by_the_reciprocal_of_keep_probability():
    gradlab.manual_seed(3)
    out = F.dropout(gradlab.ones(5, dtype=gradlab.float64), 0.3)
    assert np.array_equal(out.numpy(), np.array([1, 1, 0, 1, 0]) / 0.7)
    gradlab.manual_seed(2)
    assert F.dropout(gradlab.arange(6.).reshape(2, 3), 0.5).tolist() == [[0, 2, 0], [0, 0, 0]]


def test_dropout_gradient_is_the_scaled_mask_through_mulbackward0():
    gradlab.manual_seed(5)
    x = gradlab.ones(2, 5, requires_grad=True)
    y = F.dropout(x, 0.4)
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    keep = np.array([[0, 1, 1, 1, 1], [0, 1, 0, 0, 1]], dtype=np.float32)
    assert np.array_equal(x.grad.numpy(), keep * (np.float32(1) / np.float32(0.6)))


def test_dropout_of_a_transposed_tensor_draws_along_its_memory_as_pytorch():
    gradlab.manual_seed(0)
    out = F.dropout(gradlab.ones(3, 4).t(), 0.5)
    assert out.tolist() == [[0, 0, 0], [0, 0, 2], [2, 2, 2], [0, 2, 2]]
    gradlab.manual_seed(0)  # a strided slice is not dense: drawn in logical order
    assert F.dropout(gradlab.ones(3, 8)[:, ::2], 0.5).tolist() == [
        [0, 0, 2, 0], [0, 0, 2, 2], [0, 2, 2, 2]]


def test_dropout_returns_its_input_when_not_training_or_p_is_zero():
    x = gradlab.randn(3, 4, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    layer = nn.Dropout().eval()
    assert layer(x) is x


def test_dropout_with_p_one_zeroes_everything_keeping_signs():
    x = gradlab.tensor([-1.0, 2.0], requires_grad=True)
    y = F.dropout(x, 1.0)
    assert y.grad_fn.name() == "MulBackward0"
    assert str(y) == "tensor([-0., 0.], grad_fn=<MulBackward0>)"


def test_dropout_inplace_changes_and_returns_the_input():
    gradlab.manual_seed(0)
    x = gradlab.ones(3, 4, requires_grad=True) * 1
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and x._version == 1
    assert y.tolist() == [[0, 0, 2, 0], [0, 0, 2, 2], [0, 2, 2, 2]]


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_refuses_probabilities_outside_zero_one(p):
    message = f"dropout probability has to be between 0 and 1, but got {p}"
    with pytest.raises(ValueError, match=f"^{message}$"):
        F.dropout(gradlab.ones(3), p)
    with pytest.raises(ValueError, match=f"^{message}$"):
        nn.Dropout(p)


def test_dropout_of_integers_is_refused_as_pytorch_refuses_it():
    with pytest.raises(RuntimeError, match="^result type Float can't be cast to the desired "
                                           "output type Long$"):
        F.dropout(gradlab.ones(3, dtype=gradlab.int64), 0.5)


def test_dropout_modules_print_as_pytorchs():
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    assert repr(nn.Dropout(0.3, inplace=True)) == "Dropout(p=0.3, inplace=True)"
    assert repr(nn.Dropout1d(0.2)) == "Dropout1d(p=0.2, inplace=False)"
    assert repr(nn.Dropout2d()) == "Dropout2d(p=0.5, inplace=False)"
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.1))
    assert "(1): Dropout(p=0.1, inplace=False)" in repr(model)


def test_feature_dropout_draws_one_value_per_channel():
    gradlab.manual_seed(0)
    out = F.dropout1d(gradlab.ones(2, 3, 4), 0.5)
    assert out[:, :, 0].tolist() == [[0, 0, 2], [0, 0, 0]]
    assert (out == out[:, :, :1]).all()
    gradlab.manual_seed(0)
    out = F.dropout2d(gradlab.ones(2, 3, 4, 5), 0.5)
    assert out[:, :, 0, 0].tolist() == [[0, 0, 2], [0, 0, 0]]
    gradlab.manual_seed(0)
    unbatched = F.dropout1d(gradlab.ones(3, 4, requires_grad=True), 0.5)
    assert unbatched[:, 0].tolist() == [0, 0, 2]
    assert unbatched.grad_fn.name() == "SqueezeBackward1"


def test_feature_dropout_shape_errors_and_warnings_are_pytorchs():
    with pytest.raises(RuntimeError, match=r"^dropout1d: Expected 2D or 3D input, but received "
                                           r"a 1D input\. Note that dropout1d exists"):
        F.dropout1d(gradlab.ones(3))
    with pytest.warns(UserWarning, match="dropout2d: Received a 3D input to dropout2d"):
        F.dropout2d(gradlab.ones(2, 3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="^Feature dropout requires at least 2 dimensions "
                                               "in the input$"):
            F.dropout2d(gradlab.ones(3))


# -- against PyTorch itself ---------------------------------------------------------------------


@pytest.mark.parity
@pytest.mark.parametrize("seed", [0, 1, 42, 12345])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_dropout_masks_equal_pytorchs_bit_for_bit(seed, dtype, torch):
    for shape in [(5,), (3, 4), (17, 33), (2, 3, 4, 5), (20000,)]:
        for p in (0.1, 1 / 3, 0.5, 0.9):
            torch.manual_seed(seed)
            gradlab.manual_seed(seed)
            t = torch.nn.functional.dropout(torch.ones(shape, dtype=getattr(torch, dtype)), p)
            g = F.dropout(gradlab.ones(shape, dtype=getattr(gradlab, dtype)), p)
            assert g.numpy().dtype == t.numpy().dtype
            assert np.array_equal(g.numpy(), t.numpy()), (shape, p)
            # and the generator is left where PyTorch leaves it
            assert np.array_equal(gradlab.rand(3).numpy(), torch.rand(3).numpy())


@pytest.mark.parity
@pytest.mark.parametrize("layout", ["t", "permute", "slice", "expand", "unsqueeze_t"])
def test_dropout_masks_follow_memory_layout_as_pytorchs(layout):
    torch = pytest.importorskip("torch")
    made = {
        "t": lambda lib: lib.ones(5, 7).t(),
        "permute": lambda lib: lib.ones(2, 3, 4).permute(2, 0, 1),
        "slice": lambda lib: lib.ones(4, 9)[:, 1::2],
        "expand": lambda lib: lib.ones(4, 1).expand(4, 3),
        "unsqueeze_t": lambda lib: lib.ones(3, 1, 6).transpose(0, 2),
    }[layout]
    results = []
    for lib in (torch, gradlab):
        lib.manual_seed(11)
        results.append(lib.nn.functional.dropout(made(lib), 0.4).numpy())
    assert np.array_equal(results[1], results[0])


@pytest.mark.parity
@pytest.mark.parametrize("name, shape", [("dropout1d", (2, 3, 4)), ("dropout1d", (3, 4)),
                                         ("dropout2d", (2, 3, 4, 5)), ("dropout", (4, 6))])
def test_dropout_layers_match_pytorch_in_a_model(name, shape, torch):
    torch.manual_seed(7)
    gradlab.manual_seed(7)
    t_x = torch.randn(shape, requires_grad=True)
    g_x = gradlab.randn(shape, requires_grad=True)
    t_y = getattr(torch.nn.functional, name)(t_x, 0.3)
    g_y = getattr(F, name)(g_x, 0.3)
    assert np.array_equal(g_y.detach().numpy(), t_y.detach().numpy())
    assert g_y.grad_fn.name() == t_y.grad_fn.name()
    (t_y * t_y).sum().backward()
    (g_y * g_y).sum().backward()
    assert np.array_equal(g_x.grad.numpy(), t_x.grad.numpy())

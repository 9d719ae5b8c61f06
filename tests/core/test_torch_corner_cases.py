"""Corner cases a learner can reach where gradlab once differed from PyTorch 2.13.

Each check pins gradlab's text (repr of the last line, or ``Error: first line``) and, when
torch is importable, runs the same snippet under PyTorch, which must give that text too.
"""

from __future__ import annotations

import numpy as np
import pytest
from support import optional_torch
from test_tensor_forward import check

import gradlab

pytestmark = pytest.mark.parity  # every check also asks PyTorch when it is importable

# -- clamp: both bounds tensors, or both numbers ---------------------------------------------

CLAMP_SIGNATURES = "clamp() received an invalid combination of arguments - got ({}), but " \
                   "expected one of:"


@pytest.mark.parametrize(("src", "got"), [
    ("torch.clamp(torch.ones(3), min=torch.zeros(3), max=2.0)", "Tensor, max=float, min=Tensor"),
    ("torch.clamp(torch.ones(3), max=2.0, min=torch.zeros(3))", "Tensor, min=Tensor, max=float"),
    ("torch.clamp(torch.ones(3), 1.0, torch.zeros(3))", "Tensor, float, Tensor"),
    ("torch.clamp(torch.ones(3), torch.zeros(3), max=2)", "Tensor, Tensor, max=int"),
    ("torch.clamp(torch.ones(3), torch.tensor(0., requires_grad=True), 2)", "Tensor, Tensor, int"),
    ("torch.clamp(torch.ones(3), 'a')", "Tensor, str"),
])
def test_clamp_refuses_a_tensor_bound_beside_a_number_bound(src: str, got: str):
    check(src, "TypeError: " + CLAMP_SIGNATURES.format(got))


def test_clamp_takes_a_0d_tensor_that_needs_no_grad_as_a_number():
    x = "x = torch.tensor([1., 2., 3.], requires_grad=True)\n"
    check(x + "torch.clamp(x, torch.tensor(1.5), 2)",
          "tensor([1.5000, 2.0000, 2.0000], grad_fn=<ClampBackward1>)")
    check(x + "x.clamp(min=1.0, max=torch.tensor(2))",
          "tensor([1., 2., 2.], grad_fn=<ClampBackward1>)")
    check(x + "torch.clamp(x, min=torch.tensor([0., 3., 0.]))",
          "tensor([1., 3., 3.], grad_fn=<ClampBackward0>)")


# -- logsumexp over no dims, mv's argument check ------------------------------------------------


def test_logsumexp_over_an_empty_dim_list_reduces_everything_only_with_keepdim():
    check("torch.logsumexp(torch.ones(2, 3), dim=())",
          "RuntimeError: output with shape [] doesn't match the broadcast shape [1, 1]")
    check("torch.logsumexp(torch.zeros(2, 2), [], keepdim=True)", "tensor([[1.3863]])")
    check("torch.logsumexp(torch.tensor(2.), ())", "tensor(2.)")
    check("torch.logsumexp(torch.ones(2), None)",
          "TypeError: logsumexp(): argument 'dim' (position 2) must be tuple of ints, not NoneType")
    check("torch.logsumexp(torch.ones(0, 3), 0)", "tensor([-inf, -inf, -inf])")


@pytest.mark.parametrize(("src", "message"), [
    ("torch.mv(torch.ones(2), torch.ones(2))", "vector + matrix @ vector expected, got 1, 1, 1"),
    ("torch.ones(2, 2).mv(torch.ones(2, 2))", "vector + matrix @ vector expected, got 1, 2, 2"),
    ("torch.mv(torch.ones(2, 3), torch.ones(2))",
     "size mismatch, got input (2), mat (2x3), vec (2)"),
])
def test_mv_checks_dims_before_sizes(src: str, message: str):
    check(src, "RuntimeError: " + message)


# -- a view made under no_grad of a tensor that requires grad ---------------------------------


def test_a_no_grad_view_keeps_requiring_grad_while_its_base_does():
    src = ("x = torch.tensor([1., 2.], requires_grad=True)\n"
           "with torch.no_grad(): v = x[:1]\n"
           "v.requires_grad_(False)\n")
    check(src + "v.requires_grad, v.is_leaf, v._is_view(), v._base is x",
          "(True, True, True, True)")
    check(src + "v", "tensor([1.], requires_grad=True)")
    check(src.replace("v.requires_grad_(False)", "v.requires_grad = False") + "v.requires_grad",
          "True")
    check("x = torch.tensor([1., 2.], requires_grad=True)\nv = x.detach()\n"
          "v.requires_grad_(False)\nv.requires_grad, v._is_view()", "(False, False)")


# -- which zero max and min return when -0.0 and 0.0 tie ----------------------------------------


@pytest.mark.parametrize(("src", "expected"), [
    # max()/min() over everything: vector steps, the later zero wins (-0.0 from [0., -0.])
    ("torch.tensor([0., -0.]).max()", "tensor(-0.)"),
    ("torch.tensor([-0., 0.]).max()", "tensor(0.)"),
    ("torch.tensor([-0., 0.]).min()", "tensor(0.)"),
    # amax/amin: scalar steps on short rows, the first zero wins
    ("torch.tensor([-0., 0.]).amax()", "tensor(-0.)"),
    ("torch.tensor([0., -0., 0., -0.]).amax(0)", "tensor(0.)"),
    ("torch.tensor([0., -0.]).amin(0)", "tensor(0.)"),
    # down the columns of a wide matrix, vectors again: the last row wins
    ("torch.cat([torch.zeros(1, 32), -torch.zeros(1, 32)]).amax(0)[:2]", "tensor([-0., -0.])"),
    ("torch.cat([torch.zeros(1, 31), -torch.zeros(1, 31)]).amax(0)[:2]", "tensor([0., 0.])"),
    # max(dim) returns the first tied element and its index
    ("torch.tensor([-0., 0.]).max(0)",
     "gradlab.return_types.max(\nvalues=tensor(-0.),\nindices=tensor(0))"),
])
def test_tied_signed_zeros_give_pytorchs_zero(src: str, expected: str):
    check(src, expected)


def test_tied_signed_zeros_share_the_gradient_as_in_pytorch():
    x = "x = torch.tensor([-0., 0., -1.], requires_grad=True)\n"
    check(x + "torch.amax(x, 0).backward()\nx.grad", "tensor([0.5000, 0.5000, 0.0000])")
    check(x + "x.max().backward()\nx.grad", "tensor([0.5000, 0.5000, 0.0000])")
    check(x + "x.max(0).values.backward()\nx.grad", "tensor([1., 0., 0.])")


@pytest.mark.parametrize("seed", range(3))
def test_signed_zero_extremes_match_torch_bit_for_bit(seed: int):
    torch = optional_torch()
    if torch is None:
        pytest.skip("torch is not installed")
    rng = np.random.default_rng(seed)
    for _ in range(60):
        shape = tuple(int(n) for n in rng.choice([1, 3, 8, 9, 31, 32, 33, 70], rng.integers(1, 4)))
        dt = rng.choice(["float32", "float64"])
        values = rng.choice([0.0, -0.0, -1.0], size=shape, p=[0.45, 0.45, 0.1]).astype(dt)
        dims = tuple(sorted(rng.choice(len(shape), rng.integers(1, len(shape) + 1), False)))
        keep = bool(rng.integers(2))
        for lib in (torch, gradlab):
            x = lib.tensor(values.tolist(), dtype=getattr(lib, dt))
            if len(shape) > 1 and seed:
                x = x.transpose(0, -1)
            results = [x.max(), x.min(), x.amax(dims, keep), x.amin(dims, keep)]
            signs = [np.signbit(np.asarray(r.tolist())).tolist() for r in results]
            if lib is torch:
                expected = signs
        assert signs == expected, (shape, dt, dims, keep)

"""einsum with explicit (and implicit) subscripts: PyTorch's values, gradients, second
derivatives and the node the graph ends in; compared with torch 2.13 when importable."""

from __future__ import annotations

import numpy as np
import pytest

import gradlab

CASES = [("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,kj->ik", [(2, 3), (4, 3)]),
         ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("i,i->", [(4,), (4,)]),
         ("i,j->ij", [(3,), (4,)]), ("ij->ji", [(2, 3)]), ("ij->j", [(2, 3)]),
         ("ii->", [(3, 3)]), ("ii", [(3, 3)]), ("ij,j->i", [(2, 3), (3,)]),
         ("ij,ij->", [(2, 3), (2, 3)]), ("ij,ij->ij", [(2, 3), (2, 3)]),
         ("ijk,jk->i", [(2, 3, 4), (3, 4)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
         ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]), ("ij,jk", [(2, 3), (3, 4)]),
         ("ji,jk->ki", [(3, 2), (3, 4)]), ("ij->", [(2, 3)]), ("ii->i", [(3, 3)])]


def operands(lib, shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [lib.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]


def test_einsum_is_a_matrix_product_a_trace_and_an_outer_product():
    a = gradlab.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert gradlab.einsum("ij,jk->ik", a, a).tolist() == (a @ a).tolist()
    assert gradlab.einsum("ii", a).item() == 5.0
    assert gradlab.einsum("i,j->ij", a[0], a[1]).tolist() == [[3.0, 4.0], [6.0, 8.0]]
    assert gradlab.einsum("ij->ji", [a]).tolist() == a.t().tolist()


@pytest.mark.parametrize("equation, shapes", CASES, ids=[c[0] for c in CASES])
def test_einsum_gradients_match_finite_differences(equation, shapes):
    xs = operands(gradlab, shapes)
    assert gradlab.autograd.gradcheck(lambda *t: gradlab.einsum(equation, *t), xs)


@pytest.mark.parametrize("equation, shapes", CASES[:4] + CASES[7:9],
                         ids=[c[0] for c in CASES[:4] + CASES[7:9]])
def test_einsum_second_derivatives(equation, shapes):
    xs = operands(gradlab, shapes)
    assert gradlab.autograd.gradgradcheck(lambda *t: gradlab.einsum(equation, *t), xs)


def test_einsum_errors():
    a = gradlab.ones(2, 3)
    with pytest.raises(ValueError, match="more operands were provided"):
        gradlab.einsum("ij->i", a, a)
    with pytest.raises(RuntimeError, match=r"the number of subscripts in the equation \(3\) "
                                           r"does not match the number of dimensions \(2\)"):
        gradlab.einsum("ijk->i", a)
    with pytest.raises(NotImplementedError, match="ellipsis"):
        gradlab.einsum("...j->j", a)


@pytest.mark.parity
@pytest.mark.parametrize("equation, shapes", CASES[:-1], ids=[c[0] for c in CASES[:-1]])
def test_einsum_equals_pytorchs(equation, shapes, torch):
    results = []
    for lib in (torch, gradlab):
        xs = operands(lib, shapes)
        out = lib.einsum(equation, *xs)
        weights = np.random.default_rng(1).standard_normal(tuple(out.shape))
        (out * lib.tensor(weights)).sum().backward()
        results.append((out.detach().numpy(), [x.grad.numpy() for x in xs], out.grad_fn.name()))
    (t_out, t_grads, t_name), (g_out, g_grads, g_name) = results
    np.testing.assert_allclose(g_out, t_out, rtol=1e-12, atol=1e-12)
    for g, t in zip(g_grads, t_grads):
        np.testing.assert_allclose(g, t, rtol=1e-12, atol=1e-12)
    assert g_name == t_name

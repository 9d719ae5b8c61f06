"""einsum with explicit, implicit and ``...`` subscripts: PyTorch's values, gradients, second
derivatives, the nodes the graph ends in and its error messages; compared with torch 2.13 when
importable."""

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
         ("ji,jk->ki", [(3, 2), (3, 4)]), ("ij->", [(2, 3)]), ("ii->i", [(3, 3)]),
         ("...ij->...ji", [(5, 2, 3)]), ("ij...->...", [(2, 3, 4)]),
         ("...,...->...", [(2, 3), (2, 3)]), ("bi...,bj...->bij...", [(2, 3, 4), (2, 5, 4)]),
         ("i...i->...", [(3, 2, 3)]), ("...ii->...i", [(4, 3, 3)]),
         ("a...,...->a...", [(2, 3), (3,)]), ("...i,...i->...", [(2, 3), (2, 3)]),
         ("iji->j", [(2, 3, 2)]), ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
         ("i,i,i->i", [(3,), (3,), (3,)]), ("ij", [(2, 3)]), ("...", [(2, 3)])]


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


def test_einsum_takes_ellipsis_and_sublists():
    x = gradlab.arange(24.0).reshape(2, 3, 4)
    assert gradlab.einsum("...ij->...ji", x).tolist() == x.transpose(1, 2).tolist()
    assert gradlab.einsum("i...->...", x).tolist() == x.sum(0).tolist()
    a, b = gradlab.ones(2, 3), gradlab.ones(3, 4)
    assert gradlab.einsum(a, [0, 1], b, [1, 2], [0, 2]).tolist() == (a @ b).tolist()


def test_einsum_graph_starts_with_pytorchs_permute():
    a = gradlab.ones(3, 3, requires_grad=True)
    assert gradlab.einsum("ij", a).grad_fn.name() == "PermuteBackward0"  # even unchanged
    diag = gradlab.einsum("ii->i", a).grad_fn
    assert [diag.name(), diag.next_functions[0][0].name(),
            diag.next_functions[0][0].next_functions[0][0].name()] == [
        "PermuteBackward0", "PermuteBackward0", "DiagonalBackward0"]


ERRORS = [("ij->i", [(2, 3), (2, 3)], "more operands were provided than specified"),
          ("ij,jk->ik", [(2, 3)], "fewer operands were provided than specified"),
          ("ijk->i", [(2, 3)], r"the number of subscripts in the equation \(3\) does not match "
           r"the number of dimensions \(2\) for operand 0 and no ellipsis was given"),
          ("..j->j", [(2, 3)], "found '.' for operand 0 that is not part of any ellipsis"),
          ("ij->k", [(2, 3)], "output subscript k does not appear in the equation"),
          ("ij->ii", [(2, 3)], "output subscript i appears more than once in the output"),
          ("ij->i1", [(2, 3)], "invalid subscript given at index 5 in the equation string"),
          ("ij,jk->ik", [(2, 3), (2, 3)], "subscript j has size 2 for operand 1 which does not "
           "broadcast with previously seen size 3"),
          ("ii->i", [(2, 3)], "subscript i is repeated for operand 0 but the sizes don't match"),
          ("...i,...i->...", [(2, 3), (4, 3)], "dimension 0 covered by ellipsis in operand 1"),
          ("...ijk->", [(2, 3)], r"the number of subscripts in the equation \(3\) is more than")]


@pytest.mark.parametrize("equation, shapes, message", ERRORS, ids=[e[0] for e in ERRORS])
def test_einsum_errors_are_pytorchs(equation, shapes, message):
    with pytest.raises(RuntimeError, match="^einsum\\(\\): " + message):
        gradlab.einsum(equation, *[gradlab.ones(*s) for s in shapes])


@pytest.mark.parity
@pytest.mark.parametrize("equation, shapes, message", ERRORS, ids=[e[0] for e in ERRORS])
def test_einsum_error_messages_equal_pytorchs(equation, shapes, message, torch):
    messages = []
    for lib in (torch, gradlab):
        with pytest.raises(RuntimeError) as info:
            lib.einsum(equation, *[lib.ones(*s) for s in shapes])
        messages.append(str(info.value).split("\n")[0])
    assert messages[0] == messages[1]


def node_chain(out, depth=4):
    """The names of the first ``depth`` nodes from ``out`` down its first inputs."""
    names, fn = [], out.grad_fn
    while fn is not None and len(names) < depth:
        names.append(fn.name().split("::")[-1])
        fn = next((f for f, _ in fn.next_functions if f is not None), None)
    return names


@pytest.mark.parity
@pytest.mark.parametrize("equation, shapes", CASES, ids=[c[0] for c in CASES])
def test_einsum_equals_pytorchs(equation, shapes, torch):
    results = []
    for lib in (torch, gradlab):
        xs = operands(lib, shapes)
        out = lib.einsum(equation, *xs)
        weights = np.random.default_rng(1).standard_normal(tuple(out.shape))
        (out * lib.tensor(weights)).sum().backward()
        results.append((out.detach().numpy(), [x.grad.numpy() for x in xs], node_chain(out)))
    (t_out, t_grads, t_name), (g_out, g_grads, g_name) = results
    np.testing.assert_allclose(g_out, t_out, rtol=1e-12, atol=1e-12)
    for g, t in zip(g_grads, t_grads):
        np.testing.assert_allclose(g, t, rtol=1e-12, atol=1e-12)
    assert g_name == t_name

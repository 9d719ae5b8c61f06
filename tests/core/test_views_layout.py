"""Views and memory layout as PyTorch's: contiguous() gives C strides (so view() works after
t()), clone() keeps a dense layout and compacts anything else, and x[...] is an alias."""

from __future__ import annotations

import numpy as np
import pytest

import gradlab


def test_contiguous_after_a_transpose_has_c_strides_and_can_be_viewed():
    a = gradlab.arange(6.0).reshape(2, 3)
    c = a.t().contiguous()
    assert c.is_contiguous() and c.stride() == (2, 1)
    assert c.view(-1).tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    assert c.grad_fn is None and a.contiguous() is a


def test_clone_keeps_dense_layouts_and_compacts_others():
    assert gradlab.ones(3, 2).t().clone().stride() == (1, 2)
    assert gradlab.ones(4, 1).expand(4, 3).clone().stride() == (3, 1)
    assert gradlab.ones(3, 8)[:, ::2].clone().stride() == (4, 1)


def test_contiguous_records_clone_backward():
    x = gradlab.ones(2, 3, requires_grad=True)
    y = x.t().contiguous()
    assert y.grad_fn.name() == "CloneBackward0"
    (y * gradlab.arange(6.0).reshape(3, 2)).sum().backward()
    assert x.grad.tolist() == [[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]]


@pytest.mark.parametrize("key, name", [
    ((Ellipsis,), "AliasBackward0"), ((), "AliasBackward0"), ((Ellipsis, slice(None)),
                                                              "AliasBackward0"),
    ((slice(0, 2), Ellipsis), "AliasBackward0"), ((slice(None), slice(0, 3)), "AliasBackward0"),
    (slice(None), "SliceBackward0"), (slice(0, 5), "SliceBackward0"),
    ((slice(0, 1), Ellipsis), "SliceBackward0"), ((None,), "UnsqueezeBackward0"),
])
def test_indexing_that_keeps_everything_is_an_alias_as_in_pytorch(key, name):
    x = gradlab.ones(2, 3, requires_grad=True)
    y = x[key]
    assert y.grad_fn.name() == name
    y.sum().backward()
    expected = np.zeros((2, 3))
    view = expected[key]
    view += 1  # the elements y holds get gradient 1
    assert x.grad.tolist() == expected.tolist()


def test_an_alias_is_a_view():
    x = gradlab.ones(2, 3)
    y = x[...]
    y[0, 0] = 5.0
    assert x[0, 0].item() == 5.0 and y._version == x._version == 1


@pytest.mark.parity
@pytest.mark.parametrize("make", [
    lambda lib: lib.arange(6.0).reshape(2, 3).t().contiguous(),
    lambda lib: lib.ones(3, 2).t().clone(),
    lambda lib: lib.ones(4, 1).expand(4, 3).clone(),
    lambda lib: lib.ones(2, 3, 4).permute(2, 0, 1).clone(),
    lambda lib: lib.ones(2, 3, 4).permute(2, 0, 1).contiguous(),
])
def test_strides_equal_pytorchs(make, torch):
    assert make(gradlab).stride() == make(torch).stride()
    assert np.array_equal(make(gradlab).numpy(), make(torch).numpy())

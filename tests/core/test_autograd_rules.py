"""The autograd rules of item 4 of the issue, one test per rule, as PyTorch 2.13 behaves.

Expected names, values and messages were taken from PyTorch 2.13; ``test_torch_parity.py`` runs
the same code under torch when it is installed.
"""

from __future__ import annotations

import gc
import re
import subprocess
import sys
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from support import optional_torch

import gradlab
from gradlab.autograd import Function
from gradlab.tensor import NONLEAF_GRAD_WARNING

FREED = ("Trying to backward through the graph a second time (or directly access saved tensors "
         "after they have already been freed). Saved intermediate values of the graph are freed "
         "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
         "backward through the graph a second time or if you need to access saved tensors after "
         "calling backward.")
ANOMALY_HINT = (" Hint: enable anomaly detection to find the operation that failed to compute its "
                "gradient, with gradlab.autograd.set_detect_anomaly(True, check_nan=False).")


def modified(what: str, version: int = 1) -> str:
    return ("one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: {what}, is at version {version}; expected version "
            f"{version - 1} instead." + ANOMALY_HINT)


def names(node: Any) -> list[Any]:
    """``next_functions`` as names (None where an input needs no gradient)."""
    return [None if n is None else n.name() for n, _ in node.next_functions]


@pytest.fixture
def wxb() -> tuple[gradlab.Tensor, gradlab.Tensor, gradlab.Tensor]:
    """The course's first example: ``y = w * x + b`` with x=3, w=4, b=5."""
    x = gradlab.tensor(3.0)
    w = gradlab.tensor(4.0, requires_grad=True)
    b = gradlab.tensor(5.0, requires_grad=True)
    return w, x, b


# -- leaves, requires_grad, .grad --------------------------------------------------------------


def test_leaf_without_grad_leaf_with_grad_and_non_leaf(wxb: Any) -> None:
    w, x, b = wxb
    y = w * x + b
    assert (x.is_leaf, x.requires_grad) == (True, False)
    assert (w.is_leaf, w.requires_grad) == (True, True)
    assert (y.is_leaf, y.requires_grad) == (False, True)
    assert (x * 2).is_leaf  # nothing to record: still a leaf


def test_requires_grad_underscore_switches_a_leaf_on_and_returns_it() -> None:
    x = gradlab.tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad and x.is_leaf
    assert x.requires_grad_(False) is x and not x.requires_grad


def test_requires_grad_underscore_on_a_non_leaf_that_requires_grad_is_allowed() -> None:
    y = gradlab.tensor([1.0], requires_grad=True) * 2
    assert y.requires_grad_() is y


def test_requires_grad_cannot_be_switched_off_on_a_non_leaf() -> None:
    y = gradlab.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="^you can only change requires_grad flags of leaf "
                                           "variables. If you want to use a computed variable"):
        y.requires_grad = False


def test_grad_is_none_until_the_first_backward(wxb: Any) -> None:
    w, x, b = wxb
    y = w * x + b
    assert w.grad is None and b.grad is None
    y.backward()
    assert (w.grad.item(), b.grad.item()) == (3.0, 1.0)
    assert repr(w.grad) == "tensor(3.)" and repr(b.grad) == "tensor(1.)"
    assert x.grad is None  # a leaf that does not require grad gets nothing


def test_grad_of_a_non_leaf_is_none_with_pytorchs_warning(wxb: Any) -> None:
    w, x, b = wxb
    y = w * x + b
    y.backward()
    with pytest.warns(UserWarning) as record:
        assert y.grad is None
    assert str(record[0].message) == NONLEAF_GRAD_WARNING
    assert NONLEAF_GRAD_WARNING.startswith(
        "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
        "attribute won't be populated during autograd.backward().")
    assert NONLEAF_GRAD_WARNING.endswith(
        "github.com/pytorch/pytorch/pull/30531 for more information.")


def test_retain_grad_fills_the_grad_of_a_non_leaf_without_warning(wxb: Any) -> None:
    w, x, b = wxb
    z = w * x
    z.retain_grad()
    (z + b).backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert z.retains_grad and z.grad.item() == 1.0
    assert w.retains_grad is False  # leaves keep their grad anyway


def test_retain_grad_needs_requires_grad() -> None:
    with pytest.raises(RuntimeError, match="^can't retain_grad on Tensor that has "
                                           "requires_grad=False$"):
        gradlab.tensor([1.0]).retain_grad()


def test_gradients_accumulate_across_backward_calls_until_zeroed() -> None:
    a = gradlab.tensor([5.0], requires_grad=True)
    for calls in (1, 2, 3):
        (a ** 3).sum().backward()
        assert a.grad.item() == 75.0 * calls
    a.grad.zero_()
    assert a.grad.item() == 0.0
    a.grad = None
    (a * 2).sum().backward()
    assert a.grad.item() == 2.0


def test_the_course_example_a_cubed_minus_b_squared() -> None:
    a = gradlab.tensor([5.0], requires_grad=True)
    b = gradlab.tensor([6.0], requires_grad=True)
    y = a ** 3 - b ** 2
    assert repr(y) == "tensor([89.], grad_fn=<SubBackward0>)"
    y.backward()
    assert (a.grad.item(), b.grad.item()) == (75.0, -12.0)


def test_grad_keeps_the_leafs_dtype_and_shape_under_broadcasting() -> None:
    w = gradlab.tensor([[1.0], [2.0]], requires_grad=True)
    x = gradlab.tensor([1.0, 2.0, 3.0], dtype=gradlab.float64)
    (w * x).sum().backward()
    assert w.grad.shape == (2, 1) and w.grad.dtype is gradlab.float32
    assert w.grad.tolist() == [[6.0], [6.0]]


# -- grad_fn: names, next_functions, repr ------------------------------------------------------

GRAD_FN_NAMES = {  # expression on x (float, shape [2, 3], requires grad) -> PyTorch's name
    "x + 1": "AddBackward0", "x - 1": "SubBackward0", "1 - x": "RsubBackward1",
    "x * 2": "MulBackward0", "x / 2": "DivBackward0", "2 / x": "MulBackward0",
    "x ** 2": "PowBackward0", "2 ** x": "PowBackward2", "x ** x": "PowBackward1",
    "-x": "NegBackward0", "x.abs()": "AbsBackward0", "x.exp()": "ExpBackward0",
    "x.log()": "LogBackward0", "x.sqrt()": "SqrtBackward0", "x.sin()": "SinBackward0",
    "x.cos()": "CosBackward0", "x.tanh()": "TanhBackward0", "x.sigmoid()": "SigmoidBackward0",
    "x.relu()": "ReluBackward0", "x.square()": "PowBackward0",
    "x.reciprocal()": "ReciprocalBackward0", "x.clamp(0, 1)": "ClampBackward1",
    "x.clamp(min=gradlab.tensor(0.))": "ClampBackward0",
    "gradlab.maximum(x, x)": "MaximumBackward0", "gradlab.minimum(x, x)": "MinimumBackward0",
    "x.sum()": "SumBackward0", "x.sum(0)": "SumBackward1", "x.mean()": "MeanBackward0",
    "x.mean(1)": "MeanBackward1", "x.var()": "VarBackward0", "x.std(0)": "StdBackward0",
    "x.norm()": "LinalgVectorNormBackward0", "x.max()": "MaxBackward1",
    "x.max(0).values": "MaxBackward0", "x.min()": "MinBackward1",
    "x.min(1)[0]": "MinBackward0", "x.logsumexp(1)": "LogsumexpBackward0",
    "x.softmax(1)": "SoftmaxBackward0", "x.log_softmax(1)": "LogSoftmaxBackward0",
    "x @ gradlab.ones(3)": "MvBackward0", "x @ gradlab.ones(3, 2)": "MmBackward0",
    "x[0] @ gradlab.ones(3)": "DotBackward0", "gradlab.ones(2) @ x": "SqueezeBackward4",
    "x.unsqueeze(0) @ gradlab.ones(1, 3, 2)": "UnsafeViewBackward0",
    "gradlab.bmm(x.unsqueeze(0), gradlab.ones(1, 3, 2))": "BmmBackward0",
    "x.reshape(3, 2)": "ViewBackward0", "x.t().reshape(-1)": "UnsafeViewBackward0",
    "x.view(6)": "ViewBackward0", "x.flatten()": "ViewBackward0",
    "x.unsqueeze(0).squeeze()": "SqueezeBackward0", "x.unsqueeze(0).squeeze(0)":
    "SqueezeBackward1", "x.unsqueeze(0).squeeze((0, 1))": "SqueezeBackward2",
    "x.unsqueeze(1)": "UnsqueezeBackward0", "x.t()": "TBackward0", "x.T": "PermuteBackward0",
    "x.mT": "TransposeBackward0", "x.transpose(0, 1)": "TransposeBackward0",
    "x.permute(1, 0)": "PermuteBackward0", "x[:1].expand(4, 3)": "ExpandBackward0",
    "x[0]": "SelectBackward0", "x[:, 1:]": "SliceBackward0", "x[None]": "UnsqueezeBackward0",
    "x[[0, 1]]": "IndexBackward0", "x[x > 0]": "IndexBackward0", "x[1, :, None]":
    "UnsqueezeBackward0", "x.unbind()[0]": "UnbindBackward0", "x.split(1)[0]": "SplitBackward0",
    "gradlab.stack([x, x])": "StackBackward0", "gradlab.cat([x, x])": "CatBackward0",
    "gradlab.where(x > 0, x, 0.)": "WhereBackward0", "x.masked_fill(x > 0, 0.)":
    "MaskedFillBackward0", "x.clone()": "CloneBackward0", "x.double()": "ToCopyBackward0",
    "x.sign()": "SignBackward0", "x.floor()": "FloorBackward0", "x % 2": "RemainderBackward0",
}


@pytest.mark.parametrize("expression", GRAD_FN_NAMES)
def test_grad_fn_is_named_as_in_pytorch(expression: str) -> None:
    x = gradlab.tensor([[0.5, 1.5, 2.0], [1.0, 3.0, 2.5]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # x.T on 2-d is fine; keep the table free of noise
        y = eval(expression, {"x": x, "gradlab": gradlab})
    assert type(y.grad_fn).__name__ == y.grad_fn.name() == GRAD_FN_NAMES[expression]


def test_next_functions_trace_the_graph_back_to_the_leaves(wxb: Any) -> None:
    w, x, b = wxb
    y = w * x + b
    assert names(y.grad_fn) == ["MulBackward0", "gradlab::autograd::AccumulateGrad"]
    mul = y.grad_fn.next_functions[0][0]
    assert names(mul) == ["gradlab::autograd::AccumulateGrad", None]
    assert mul.next_functions[0][0].variable is w
    assert y.grad_fn.next_functions[1][0].variable is b
    assert mul.next_functions[0][0].next_functions == ()


def test_next_functions_name_the_output_of_a_multi_output_node() -> None:
    p = gradlab.tensor([1.0, 2.0], requires_grad=True)
    w, b = p
    y = w * 3 + b
    mul = y.grad_fn.next_functions[0][0]
    assert y.grad_fn.next_functions[1] == (b.grad_fn, 1)
    assert mul.next_functions[0] == (w.grad_fn, 0)
    assert w.grad_fn is b.grad_fn and w.grad_fn.name() == "UnbindBackward0"


def test_grad_fn_repr_shows_name_and_address(wxb: Any) -> None:
    w, x, b = wxb
    assert re.fullmatch(r"<AddBackward0 object at 0x[0-9a-f]+>", repr((w * x + b).grad_fn))
    acc = (w * x).grad_fn.next_functions[0][0]
    assert re.fullmatch(r"<AccumulateGrad object at 0x[0-9a-f]+>", repr(acc))


def test_accumulate_grad_node_is_shared_by_every_use_of_a_leaf(wxb: Any) -> None:
    w, x, b = wxb
    first = (w * x).grad_fn.next_functions[0][0]
    second = (w + b).grad_fn.next_functions[0][0]
    assert first is second


# -- backward(): gradient, retain_graph, create_graph, errors ------------------------------------


def test_second_backward_raises_because_saved_values_were_freed() -> None:
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError) as info:
        y.backward()
    assert str(info.value) == FREED


def test_retain_graph_allows_a_second_backward_that_accumulates() -> None:
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_a_graph_that_saved_nothing_can_be_walked_twice() -> None:
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    y = (x + 2).sum()  # AddBackward0 saves nothing (x * 2 would save the 2, as in PyTorch)
    y.backward()
    y.backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_non_scalar_backward_needs_a_gradient() -> None:
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="^grad can be implicitly created only for scalar "
                                           "outputs$"):
        (x * 2).backward()
    (x * 2).backward(gradlab.tensor([1.0, 0.5]))
    assert x.grad.tolist() == [2.0, 1.0]


def test_gradient_of_the_wrong_shape_is_refused() -> None:
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        (x * 2).backward(gradlab.ones(3))
    assert str(info.value) == ("Mismatch in shape: grad_output[0] has a shape of "
                               "gradlab.Size([3]) and output[0] has a shape of gradlab.Size([2]).")


def test_backward_of_a_tensor_without_history_is_refused() -> None:
    with pytest.raises(RuntimeError, match="^element 0 of tensors does not require grad and "
                                           "does not have a grad_fn"):
        gradlab.tensor([1.0]).sum().backward()


def test_backward_with_create_graph_makes_a_differentiable_grad() -> None:
    x = gradlab.tensor([2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reference-cycle warning: see the test below
        (x ** 3).backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.item() == 12.0
    x.grad = None
    g.backward()
    assert x.grad.item() == 12.0  # d/dx 3x^2 = 6x


def test_backward_inputs_restricts_which_leaves_get_grad() -> None:
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    z = gradlab.tensor(3.0, requires_grad=True)
    (x * z).sum().backward(inputs=[z])
    assert x.grad is None and z.grad.item() == 3.0


def test_autograd_backward_takes_several_outputs() -> None:
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    gradlab.autograd.backward([(x * 2).sum(), (x * 3).sum()])
    assert x.grad.tolist() == [5.0, 5.0]


# -- in place --------------------------------------------------------------------------------


LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."


@pytest.mark.parametrize("update", ["x.add_(1)", "x.mul_(2)", "x.zero_()", "x.fill_(1.)",
                                    "x.clamp_(0, 1)", "x.copy_(gradlab.ones(2))", "x.exp_()"])
def test_in_place_on_a_leaf_that_requires_grad_is_refused(update: str) -> None:
    x = gradlab.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        eval(update, {"x": x, "gradlab": gradlab})
    assert str(info.value).splitlines()[0] == LEAF_INPLACE
    assert x._version == 0 and x.tolist() == [1.0, 1.0]


def test_augmented_assignment_on_a_leaf_is_refused_the_same_way() -> None:
    x = gradlab.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=f"^{re.escape(LEAF_INPLACE)}"):
        x += 1


def test_in_place_on_a_leaf_is_allowed_under_no_grad() -> None:
    w = gradlab.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with gradlab.no_grad():
        w -= 0.1 * w.grad
        w[0] = 7.0
    assert w.tolist() == pytest.approx([7.0, 1.6]) and w.is_leaf and w.requires_grad
    assert w.grad_fn is None and w._version == 2


def test_in_place_through_a_view_of_a_leaf_is_refused() -> None:
    x = gradlab.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="^a view of a leaf Variable that requires grad is "
                                           "being used in an in-place operation.$"):
        x[0].mul_(2)


def test_in_place_on_an_unbind_output_is_refused() -> None:
    p = gradlab.ones(2, requires_grad=True)
    w, b = p
    with pytest.raises(RuntimeError, match="^Output 0 of Unbind is a view and is being modified "
                                           "inplace. This view is the output of a function"):
        w.add_(1)


def test_in_place_on_a_non_leaf_rebases_its_history() -> None:
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.add_(1)
    assert y.grad_fn.name() == "AddBackward0" and y._version == 1
    y.mul_(3)  # (y.mul_(y) fails at backward, in PyTorch too: y was saved, then changed)
    assert y.grad_fn.name() == "MulBackward0" and y._version == 2
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]


def test_in_place_through_a_view_of_a_non_leaf_updates_base_and_gradients() -> None:
    x = gradlab.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 2
    z = y[:, 1]
    z.mul_(x[:, 0])
    assert y.tolist() == [[2.0, 4.0], [6.0, 24.0]]
    assert type(y.grad_fn).__name__ == "CopySlices"
    assert z.grad_fn.name() == "AsStridedBackward0"
    (y * y).sum().backward()
    assert x.grad.tolist() == [[40.0, 16.0], [408.0, 288.0]]  # PyTorch's numbers


def test_setitem_on_a_non_leaf_records_copy_slices() -> None:
    x = gradlab.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 2
    y[0][1] = 5
    y[1] += x[1, 1]
    y.sum().backward()
    assert y.tolist() == [[2.0, 5.0], [10.0, 12.0]]
    assert x.grad.tolist() == [[2.0, 0.0], [2.0, 4.0]]


ASSIGNMENTS = {  # key of z[key] = v on z = x * 1 -> (PyTorch's node, x.grad, v.grad)
    "0": ("CopySlices", [[0.0, 0.0], [1.0, 1.0]], 2.0),
    "slice(None)": ("FillBackward3", [[0.0, 0.0], [0.0, 0.0]], 4.0),
    "Ellipsis": ("FillBackward3", [[0.0, 0.0], [0.0, 0.0]], 4.0),
    "[0, 1]": ("IndexPutBackward0", [[0.0, 0.0], [0.0, 0.0]], 4.0),
    "(slice(None), [0])": ("IndexPutBackward0", [[0.0, 1.0], [0.0, 1.0]], 2.0),
    "(0, [1])": ("CopySlices", [[1.0, 0.0], [1.0, 1.0]], 1.0),
    "z > 1": ("IndexPutBackward0", [[1.0, 0.0], [0.0, 0.0]], 3.0),
    "(slice(0, 1),)": ("CopySlices", [[0.0, 0.0], [1.0, 1.0]], 2.0),
    "(None, 0)": ("CopySlices", [[0.0, 0.0], [1.0, 1.0]], 2.0),
    "(Ellipsis, 1)": ("CopySlices", [[1.0, 0.0], [1.0, 0.0]], 2.0),
    "True": ("CopySlices", [[0.0, 0.0], [0.0, 0.0]], 4.0),
    "gradlab.tensor(1)": ("CopySlices", [[1.0, 1.0], [0.0, 0.0]], 2.0),
}


@pytest.mark.parametrize("key", ASSIGNMENTS)
def test_assignment_records_pytorchs_node_and_gradients(key: str) -> None:
    """Through a view (an int, a partial slice, None) it is CopySlices; on the tensor itself,
    index_put_ for lists and masks, fill_ for a whole-tensor write."""
    x = gradlab.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    v = gradlab.tensor(5.0, requires_grad=True)
    z = x * 1
    z[eval(key, {"z": z, "gradlab": gradlab})] = v
    name, x_grad, v_grad = ASSIGNMENTS[key]
    assert type(z.grad_fn).__name__ == name
    assert names(z.grad_fn) == ["MulBackward0", "gradlab::autograd::AccumulateGrad"]
    z.sum().backward()
    assert x.grad.tolist() == x_grad and v.grad.item() == v_grad


def test_changing_a_saved_input_in_place_makes_backward_fail() -> None:
    x = gradlab.ones(2, requires_grad=True)
    y = x.exp()
    z = y * 2
    y.add_(1)
    with pytest.raises(RuntimeError) as info:
        z.sum().backward()
    assert str(info.value) == modified("[gradlab.FloatTensor [2]], which is output 0 of Exp")


def test_changing_a_saved_output_in_place_makes_backward_fail() -> None:
    x = gradlab.ones(2, 1, 3, requires_grad=True)
    y = x.sigmoid()
    y.mul_(2)
    with pytest.raises(RuntimeError) as info:
        y.sum().backward()
    assert str(info.value) == modified("[gradlab.FloatTensor [2, 1, 3]], which is output 0 of "
                                       "Sigmoid")


def test_changing_a_saved_leaf_through_data_of_a_detached_copy_fails_at_backward() -> None:
    x = gradlab.ones(2, requires_grad=True)
    y = x * x
    x.detach().add_(1)  # shares the version counter with x
    with pytest.raises(RuntimeError) as info:
        y.sum().backward()
    assert str(info.value) == ("one of the variables needed for gradient computation has been "
                               "modified by an inplace operation: [gradlab.FloatTensor [2]] is at "
                               "version 1; expected version 0 instead." + ANOMALY_HINT)


def test_version_counter_counts_in_place_changes_and_is_shared_with_views() -> None:
    x = gradlab.tensor([1.0, 2.0])
    v = x[0]
    x.add_(1)
    v.mul_(2)
    x[1] = 0.0
    assert x._version == v._version == 3
    assert x.tolist() == [4.0, 0.0]


def test_changes_through_data_are_not_tracked() -> None:
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    y = x ** 2
    x.data.add_(1)
    assert x._version == 0
    y.sum().backward()
    assert x.grad.tolist() == [4.0, 6.0]  # uses the new values, as PyTorch does


# -- grad modes --------------------------------------------------------------------------------


def test_no_grad_stops_recording_and_restores_the_mode() -> None:
    x = gradlab.tensor([1.0], requires_grad=True)
    with gradlab.no_grad():
        y = x * 2
        assert not gradlab.is_grad_enabled()
    assert gradlab.is_grad_enabled()
    assert (y.requires_grad, y.grad_fn, y.is_leaf) == (False, None, True)


def test_grad_modes_nest() -> None:
    x = gradlab.tensor([1.0], requires_grad=True)
    with gradlab.no_grad():
        with gradlab.enable_grad():
            inner = x * 2
            with gradlab.set_grad_enabled(False):
                off = x * 2
            assert gradlab.is_grad_enabled()
        outer = x * 2
    assert (inner.requires_grad, off.requires_grad, outer.requires_grad) == (True, False, False)


def test_grad_mode_is_restored_after_an_exception() -> None:
    with pytest.raises(ValueError), gradlab.no_grad():
        raise ValueError
    assert gradlab.is_grad_enabled()


def test_set_grad_enabled_as_a_function_call_takes_effect_immediately() -> None:
    gradlab.set_grad_enabled(False)
    try:
        assert not gradlab.is_grad_enabled()
    finally:
        gradlab.set_grad_enabled(True)
    assert gradlab.is_grad_enabled()


def test_grad_modes_decorate_functions_with_or_without_parentheses() -> None:
    x = gradlab.tensor([1.0], requires_grad=True)

    @gradlab.no_grad()
    def called(t: gradlab.Tensor) -> gradlab.Tensor:
        return t * 2

    @gradlab.no_grad
    def bare(t: gradlab.Tensor) -> gradlab.Tensor:
        return t * 2

    @gradlab.enable_grad()
    def enabled(t: gradlab.Tensor) -> gradlab.Tensor:
        return t * 2

    @gradlab.set_grad_enabled(False)
    def disabled(t: gradlab.Tensor) -> gradlab.Tensor:
        return t * 2

    assert gradlab.is_grad_enabled()  # decorating does not switch the mode
    assert not called(x).requires_grad and not bare(x).requires_grad
    assert not disabled(x).requires_grad
    with gradlab.no_grad():
        assert enabled(x).requires_grad
    assert bare.__name__ == "bare"


# -- detach, .data, hooks ------------------------------------------------------------------------


def test_detach_shares_memory_but_not_history() -> None:
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert (d.requires_grad, d.is_leaf, d.grad_fn) == (False, True, None)
    d[0] = 10.0
    assert y.tolist() == [10.0, 4.0]
    assert y._version == d._version == 1


def test_data_reads_and_assigns_values_without_autograd() -> None:
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    assert not x.data.requires_grad
    x.data = gradlab.tensor([5.0, 6.0, 7.0])
    assert repr(x) == "tensor([5., 6., 7.], requires_grad=True)"


def test_hook_on_a_leaf_rewrites_its_gradient_and_can_be_removed() -> None:
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    seen: list[list[float]] = []
    handle = x.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
    (x * 2).sum().backward()
    assert seen == [[2.0, 2.0]] and x.grad.tolist() == [20.0, 20.0]
    handle.remove()
    x.grad = None
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_hook_on_a_non_leaf_changes_what_flows_further_back() -> None:
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    assert x.grad.tolist() == [20.0, 20.0]


def test_hook_needs_requires_grad() -> None:
    with pytest.raises(RuntimeError, match="^cannot register a hook on a tensor that doesn't "
                                           "require gradient$"):
        gradlab.ones(2).register_hook(lambda g: g)


# -- autograd.grad ---------------------------------------------------------------------------


def test_autograd_grad_returns_gradients_without_touching_grad() -> None:
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    (g,) = gradlab.autograd.grad((x ** 2).sum(), x)
    assert g.tolist() == [2.0, 4.0] and not g.requires_grad and x.grad is None


def test_autograd_grad_with_create_graph_gives_higher_derivatives() -> None:
    x = gradlab.tensor(2.0, requires_grad=True)
    (d1,) = gradlab.autograd.grad(x ** 3, x, create_graph=True)
    assert repr(d1) == "tensor(12., grad_fn=<MulBackward0>)"
    (d2,) = gradlab.autograd.grad(d1, x, create_graph=True)
    (d3,) = gradlab.autograd.grad(d2, x)
    assert (d2.item(), d3.item()) == (12.0, 6.0)


def test_autograd_grad_refuses_an_unused_input_unless_allowed() -> None:
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    z = gradlab.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        gradlab.autograd.grad(x.sum(), [x, z], retain_graph=True)
    assert str(info.value) == ("The differentiated Tensor at index 1 appears to not have been "
                               "used in the graph. Set allow_unused=True if this is the desired "
                               "behavior.")
    gx, gz = gradlab.autograd.grad(x.sum(), [x, z], allow_unused=True)
    assert gx.tolist() == [1.0, 1.0] and gz is None


def test_autograd_grad_takes_grad_outputs_for_a_non_scalar_output() -> None:
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    (g,) = gradlab.autograd.grad(x * x, x, grad_outputs=gradlab.tensor([1.0, 0.5]))
    assert g.tolist() == [2.0, 2.0]


def test_autograd_grad_frees_the_graph_unless_retained() -> None:
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    gradlab.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="^Trying to backward through the graph a second"):
        gradlab.autograd.grad(y, x)


# -- custom Functions ------------------------------------------------------------------------


class Cube(Function):
    @staticmethod
    def forward(ctx: Any, x: gradlab.Tensor) -> gradlab.Tensor:
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx: Any, grad: gradlab.Tensor) -> gradlab.Tensor:
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2


class ScaleAndShift(Function):
    """Two outputs and a non-tensor argument."""

    @staticmethod
    def forward(ctx: Any, x: gradlab.Tensor, k: float) -> tuple:
        ctx.k = k
        return x * k, x + k

    @staticmethod
    def backward(ctx: Any, g_scaled: gradlab.Tensor, g_shifted: gradlab.Tensor) -> tuple:
        return g_scaled * ctx.k + g_shifted, None


def test_custom_function_forward_backward_and_node_name() -> None:
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x)
    assert repr(y) == "tensor([1., 8.], grad_fn=<CubeBackward>)"
    assert names(y.grad_fn) == ["gradlab::autograd::AccumulateGrad"]
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]


def test_custom_function_with_two_outputs_and_a_number_argument() -> None:
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    a, b = ScaleAndShift.apply(x, 3.0)
    assert a.grad_fn is b.grad_fn
    a.sum().backward()  # the unused output's gradient arrives as zeros
    assert x.grad.tolist() == [3.0, 3.0]


def test_custom_function_is_differentiable_twice_through_create_graph() -> None:
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    (g,) = gradlab.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (gg,) = gradlab.autograd.grad(g.sum(), x)
    assert g.tolist() == [3.0, 12.0] and gg.tolist() == [6.0, 12.0]


def test_custom_function_sees_needs_input_grad() -> None:
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx: Any, x: gradlab.Tensor, y: gradlab.Tensor) -> gradlab.Tensor:
            return x * y

        @staticmethod
        def backward(ctx: Any, g: gradlab.Tensor) -> tuple:
            seen.append(ctx.needs_input_grad)
            return g, None

    Probe.apply(gradlab.ones(2, requires_grad=True), gradlab.ones(2)).sum().backward()
    assert seen == [(True, False)]


def test_custom_function_outside_recording_returns_plain_tensors() -> None:
    y = Cube.apply(gradlab.ones(2))
    assert y.grad_fn is None
    with gradlab.no_grad():
        assert Cube.apply(gradlab.ones(2, requires_grad=True)).grad_fn is None


def test_custom_function_refuses_a_second_backward_and_modified_inputs() -> None:
    x = gradlab.ones(2, requires_grad=True)
    y = Cube.apply(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="^Trying to backward through the graph a second"):
        y.backward()
    h = x * 1
    z = Cube.apply(h)
    h.mul_(2)
    with pytest.raises(RuntimeError) as info:
        z.sum().backward()
    assert str(info.value) == modified("[gradlab.FloatTensor [2]], which is output 0 of Mul")


def test_custom_function_backward_must_return_one_gradient_per_input() -> None:
    class Two(Function):
        @staticmethod
        def forward(ctx: Any, x: gradlab.Tensor) -> gradlab.Tensor:
            return x * 2

        @staticmethod
        def backward(ctx: Any, g: gradlab.Tensor) -> tuple:
            return g, g

    with pytest.raises(RuntimeError, match=r"^function TwoBackward returned an incorrect number "
                                           r"of gradients \(expected 1, got 2\)$"):
        Two.apply(gradlab.ones(2, requires_grad=True)).sum().backward()


def test_custom_function_backward_must_return_tensors() -> None:
    class Flags(Function):
        @staticmethod
        def forward(ctx: Any, x: gradlab.Tensor) -> gradlab.Tensor:
            return x * 2

        @staticmethod
        def backward(ctx: Any, g: gradlab.Tensor) -> tuple:
            return (True,)

    with pytest.raises(RuntimeError, match=r"^expected Variable or None \(got bool\)$"):
        Flags.apply(gradlab.ones(2, requires_grad=True)).sum().backward()


# -- the engine: long chains, reused nodes, memory ----------------------------------------------


def test_a_chain_of_100_000_operations_backpropagates_without_recursion_error() -> None:
    x = gradlab.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # the engine must not recurse at all
    try:
        y.backward()
    finally:
        sys.setrecursionlimit(limit)
    assert x.grad.item() == 1.0


def test_a_reused_node_gets_the_sum_of_its_gradients() -> None:
    a = gradlab.tensor([1.0, 2.0], requires_grad=True)
    b = a + a
    c = b * b
    c.sum().backward()
    assert a.grad.tolist() == [8.0, 16.0]  # c = 4a^2


def test_a_diamond_runs_the_shared_node_once_with_complete_gradient() -> None:
    calls = []
    x = gradlab.tensor(3.0, requires_grad=True)
    s = x.exp()
    s.register_hook(lambda g: calls.append(g.item()))
    y = s * s + s.sin() + s
    y.backward()
    assert len(calls) == 1
    e = np.exp(3.0)
    assert calls[0] == pytest.approx(2 * e + np.cos(e) + 1, rel=1e-5)
    assert x.grad.item() == pytest.approx(calls[0] * e, rel=1e-5)


def training_step(w: gradlab.Tensor, x: gradlab.Tensor, y: gradlab.Tensor) -> None:
    a, b = w
    loss = ((a * x + b - y) ** 2).mean()
    loss.backward()
    with gradlab.no_grad():
        w -= 0.01 * w.grad
        w.grad.zero_()


@pytest.fixture
def thermometer() -> tuple[gradlab.Tensor, gradlab.Tensor, gradlab.Tensor]:
    t_u = gradlab.tensor([35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4])
    t_c = gradlab.tensor([0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0])
    return gradlab.tensor([1.0, 0.0], requires_grad=True), t_u * 0.1, t_c


def test_memory_stays_flat_over_a_long_training_loop(thermometer: Any) -> None:
    """No graph, gradient or saved value survives a step: Python blocks and traced bytes are
    the same after thousands of steps as after the first few hundred."""
    for _ in range(200):
        training_step(*thermometer)
    gc.collect()
    blocks = sys.getallocatedblocks()
    for _ in range(6000):
        training_step(*thermometer)
    gc.collect()
    assert sys.getallocatedblocks() - blocks < 200
    tracemalloc.start()
    try:
        for _ in range(100):
            training_step(*thermometer)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(1000):
            training_step(*thermometer)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 20_000  # bytes; a leaked graph per step would be hundreds of kilobytes


# -- edge cases: zero spread, one element, create_graph on leaves ------------------------------


def test_std_of_equal_values_has_a_zero_gradient() -> None:
    x = gradlab.tensor([[2.0, 2.0], [1.0, 3.0]], requires_grad=True)
    x.std(1).sum().backward()
    assert x.grad.flatten().tolist() == pytest.approx([0.0, 0.0, -0.7071068, 0.7071068])


def test_var_of_one_element_is_nan_with_a_nan_gradient() -> None:
    x = gradlab.tensor([1.0], requires_grad=True)
    with pytest.warns(UserWarning, match=r"^var\(\): degrees of freedom is <= 0. Correction "
                                         r"should be strictly less than the reduction factor "
                                         r"\(input numel divided by output numel\)."):
        y = x.var()
    y.backward()
    assert np.isnan(y.item()) and np.isnan(x.grad.item())


CREATE_GRAPH_TWICE = """
import warnings, gradlab
warnings.simplefilter("always")
for _ in range(2):
    x = gradlab.tensor([2.0], requires_grad=True)
    (x ** 2).backward(create_graph=True)
"""


def test_backward_with_create_graph_warns_once_about_the_reference_cycle() -> None:
    """PyTorch warns once per process (TORCH_WARN_ONCE): checked in a fresh interpreter."""
    result = subprocess.run([sys.executable, "-c", CREATE_GRAPH_TWICE], capture_output=True,
                            text=True, timeout=60, cwd=Path(gradlab.__file__).parent.parent)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("UserWarning: Using backward() with create_graph=True will create "
                               "a reference cycle between the parameter and its gradient which "
                               "can cause a memory leak.") == 1


# == The same code under gradlab and, when importable, PyTorch ==================================
# Each test below pins what PyTorch 2.13 shows (so it checks something without torch) and runs
# the same code under torch too when it is installed; hence the ``parity`` marker on each.

LIBS = [gradlab, *filter(None, [optional_torch()])]


def both(fn: Callable[[Any], Any]) -> list[Any]:
    """``fn(lib)`` for gradlab and, when installed, torch."""
    return [fn(lib) for lib in LIBS]


def name(node: Any) -> str | None:
    return None if node is None else node.name().replace("torch::", "gradlab::")


def error_of(fn: Callable[[], Any]) -> tuple[str, str]:
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the error is what we compare
        text = re.sub(r"(?<!py)torch\.", "gradlab.", str(e).splitlines()[0])
        return type(e).__name__, text
    raise AssertionError("no error")


def values(t: Any) -> list:
    return t.detach().numpy().tolist()


# -- gradients at edge cases (also under PyTorch when importable) ----------------------------


@pytest.mark.parity
def test_pow_with_tensor_exponent_zero_has_zero_base_gradient_at_zero() -> None:
    def run(lib: Any) -> tuple:
        x = lib.tensor([0., 0., 2.], requires_grad=True)
        e = lib.tensor([0., 2., 0.], requires_grad=True)
        (x ** e).sum().backward()
        return values(x.grad), values(e.grad)

    for gx, ge in both(run):
        assert gx == [0.0, 0.0, 0.0]
        assert ge == pytest.approx([0.0, 0.0, 0.6931472])


@pytest.mark.parity
@pytest.mark.parametrize(("fn", "node", "grad"), [
    ("amax", "AmaxBackward0", [[0.0, 0.5, 0.5], [0.0, 0.0, 0.0]]),
    ("amin", "AminBackward0", [[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),
])
def test_amax_amin_share_the_gradient_between_ties(fn: str, node: str, grad: list) -> None:
    def run(lib: Any) -> tuple:
        x = lib.tensor([[1., 3., 3.], [2., 2., 0.]], requires_grad=True)
        y = getattr(x, fn)()
        y.backward()
        return name(y.grad_fn), values(x.grad)

    for shown, g in both(run):
        assert (shown, g) == (node, grad)


@pytest.mark.parity
def test_amax_over_a_dim_splits_ties_within_each_row() -> None:
    def run(lib: Any) -> tuple:
        x = lib.tensor([[1., 3., 3.], [2., 2., 0.]], requires_grad=True)
        y = lib.amax(x, dim=1, keepdim=True)
        y.sum().backward()
        return values(y), values(x.grad)

    for out, g in both(run):
        assert out == [[3.0], [2.0]]
        assert g == [[0.0, 0.5, 0.5], [0.5, 0.5, 0.0]]


@pytest.mark.parity
def test_norm_p0_counts_nonzeros_and_gives_no_gradient() -> None:
    def run(lib: Any) -> tuple:
        x = lib.tensor([[1., -3., 3.], [2., 2., 0.]], requires_grad=True)
        y = x.norm(p=0)
        y.backward()
        return values(y), name(y.grad_fn), x.grad

    for result in both(run):
        assert result == (5.0, "LinalgVectorNormBackward0", None)


@pytest.mark.parity
def test_max_over_dim_of_a_0d_tensor_records_max_backward() -> None:
    for y in both(lambda lib: lib.tensor(1.5, requires_grad=True).max(0)):
        assert name(y.values.grad_fn) == "MaxBackward0"
        assert y.indices.item() == 0


# -- ops PyTorch has no derivative for --------------------------------------------------------


@pytest.mark.parity
@pytest.mark.parametrize(("code", "op"), [
    ("x // 0.7", "floor_divide"), ("2 // x", "floor_divide"), ("5.0 % x", "remainder"),
])
def test_floor_divide_and_number_mod_tensor_record_not_implemented(code: str, op: str) -> None:
    def run(lib: Any) -> tuple:
        x = lib.tensor([1.5, -2., 3.], requires_grad=True)
        y = eval(code, {"x": x})
        return (type(y.grad_fn).__name__, name(y.grad_fn), y.requires_grad,
                error_of(lambda: y.sum().backward()))

    for result in both(run):
        assert result == ("NotImplemented", "gradlab::autograd::NotImplemented", True,
                          ("RuntimeError", f"derivative for aten::{op} is not implemented"))


@pytest.mark.parity
@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_div_with_rounding_mode_has_a_zero_gradient(mode: str) -> None:
    def run(lib: Any) -> tuple:
        x = lib.tensor([1.5, -2., 3.], requires_grad=True)
        y = lib.div(x, 2, rounding_mode=mode)
        y.sum().backward()
        return name(y.grad_fn), [n is None for n, _ in y.grad_fn.next_functions], values(x.grad)

    for result in both(run):
        assert result == ("DivBackward2", [False, True], [0.0, 0.0, 0.0])


# -- backward() and autograd.grad() checks ----------------------------------------------------

ERRORS = {
    "backward_gradient_list_of_numbers": (
        "x = lib.tensor([1., 2.], requires_grad=True); (x * 2).backward([1., 2.])",
        ("TypeError", "gradients can be either Tensors or None, but got float")),
    "grad_outputs_list_of_numbers": (
        "x = lib.tensor([1., 2.], requires_grad=True); lib.autograd.grad(x * 2, x, [1., 2.])",
        ("TypeError", "gradients can be either Tensors or None, but got float")),
    "fewer_gradients_than_outputs": (
        "x = lib.tensor([1., 2.], requires_grad=True)\n"
        "lib.autograd.grad([x.sum(), x.sum()], x, [None])",
        ("RuntimeError", "got 2 tensors and 1 gradients")),
    "grad_with_no_inputs": (
        "x = lib.tensor([1., 2.], requires_grad=True); lib.autograd.grad(x.sum(), [])",
        ("RuntimeError", "`inputs` argument to `grad()` cannot be empty.")),
    "grad_of_output_without_grad_checks_outputs_first": (
        "x = lib.tensor([1., 2.]); lib.autograd.grad((x * 2).sum(), x)",
        ("RuntimeError", "element 0 of tensors does not require grad and does not have a "
                         "grad_fn")),
    "backward_with_empty_inputs": (
        "x = lib.tensor([1., 2.], requires_grad=True); (x * x).sum().backward(inputs=[])",
        ("RuntimeError", "`inputs` argument to `backward()` cannot be empty.")),
    "backward_inputs_not_requiring_grad": (
        "x = lib.tensor([1., 2.], requires_grad=True)\n"
        "(x * 2).sum().backward(inputs=[lib.tensor([1., 2.])])",
        ("RuntimeError", "can't retain_grad on Tensor that has requires_grad=False")),
    "hook_changes_size": (
        "x = lib.tensor([1., 2., 3.], requires_grad=True)\n"
        "def shrink(g): return g[:2]\n"
        "x.register_hook(shrink); (x * 2).sum().backward()",
        ("RuntimeError", "hook 'shrink' has changed the size of value")),
    "non_leaf_hook_changes_size": (
        "x = lib.tensor([1., 2., 3.], requires_grad=True); y = x * 2\n"
        "y.register_hook(lambda g: g[:2]); y.sum().backward()",
        ("RuntimeError", "hook '<lambda>' has changed the size of value")),
    "hook_changes_dtype": (
        "x = lib.tensor([1., 2., 3.], requires_grad=True)\n"
        "x.register_hook(lambda g: g.double()); (x * 2).sum().backward()",
        ("RuntimeError", "hook '<lambda>' has changed the type of value (was "
                         "gradlab.FloatTensor got gradlab.DoubleTensor)")),
    "hook_returns_a_number": (
        "x = lib.tensor([1., 2., 3.], requires_grad=True); y = x * 2\n"
        "y.register_hook(lambda g: 5); y.sum().backward()",
        ("TypeError", "expected Variable, but hook returned 'int'")),
    "data_set_to_integers_on_a_tensor_requiring_grad": (
        "x = lib.tensor([1., 2.], requires_grad=True); x.data = lib.tensor([5, 6])",
        ("RuntimeError", "data set to a tensor that requires gradients must be floating point "
                         "or complex dtype")),
    "legacy_function_called_as_an_instance": (
        "class F(lib.autograd.Function):\n    def forward(ctx, x): return x\n"
        "F()(lib.tensor(1.))",
        ("RuntimeError", "Legacy autograd function with non-static forward method is "
                         "deprecated. Please use new-style autograd function with static forward "
                         "method. (Example: https://pytorch.org/docs/stable/autograd.html#"
                         "gradlab.autograd.Function)")),
}


@pytest.mark.parity
@pytest.mark.parametrize("case", ERRORS)
def test_backward_grad_hooks_and_data_refuse_bad_input_with_pytorchs_error(case: str) -> None:
    code, expected = ERRORS[case]
    for lib in LIBS:
        assert error_of(lambda lib=lib: exec(code, {"lib": lib})) == expected, lib.__name__


@pytest.mark.parity
def test_integer_gradient_is_cast_to_the_output_dtype() -> None:
    def run(lib: Any) -> list:
        x = lib.tensor([1., 2.], requires_grad=True)
        (x * 2).sum().backward(lib.tensor(2))
        return values(x.grad)

    for g in both(run):
        assert g == [4.0, 4.0]


# -- create_graph: what the first derivative's graph looks like -------------------------------


@pytest.mark.parity
@pytest.mark.parametrize(("fn", "node", "second"), [
    ("tanh", "TanhBackwardBackward0", [-0.6397, -0.1362]),
    ("sigmoid", "SigmoidBackwardBackward0", [-0.0909, -0.0800]),
    ("relu", "ThresholdBackwardBackward0", [0.0, 0.0]),
])
def test_second_derivative_of_activations_records_a_backward_backward_node(
        fn: str, node: str, second: list) -> None:
    def run(lib: Any) -> tuple:
        x = lib.tensor([1., 2.], requires_grad=True)
        (g,) = lib.autograd.grad(getattr(x, fn)().sum(), x, create_graph=True)
        (g2,) = lib.autograd.grad(g.sum(), x)
        return name(g.grad_fn), [name(n) for n, _ in g.grad_fn.next_functions], values(g2)

    for shown, nexts, g2 in both(run):
        assert shown == node
        assert nexts == [None, fn.capitalize() + "Backward0"]
        assert g2 == pytest.approx(second, abs=1e-4)


@pytest.mark.parity
@pytest.mark.parametrize(("fn", "node"), [
    ("softmax", "SoftmaxBackwardDataBackward0"),
    ("log_softmax", "LogSoftmaxBackwardDataBackward0"),
])
def test_second_derivative_of_softmax_records_backward_data_backward(fn: str, node: str) -> None:
    def run(lib: Any) -> tuple:
        x = lib.tensor([[0.7, 1.3, 1.9], [1.1, 0.9, 1.6]], dtype=lib.float64,
                       requires_grad=True)
        w = lib.tensor([[1., 2., 3.], [-1., 0.5, 2.]], dtype=lib.float64)
        (g,) = lib.autograd.grad((getattr(x, fn)(1) * w).sum(), x, create_graph=True)
        (g2,) = lib.autograd.grad((g * w).sum(), x)
        return name(g.grad_fn), values(g2)

    results = both(run)
    for shown, _ in results:
        assert shown == node
    if len(results) == 2:
        assert np.allclose(results[0][1], results[1][1], atol=1e-12)


@pytest.mark.parity
def test_pow_first_derivative_graph_uses_mul_by_a_number() -> None:
    def run(lib: Any) -> tuple:
        x = lib.tensor([1., 2.], requires_grad=True)
        (g,) = lib.autograd.grad((x ** 3).sum(), x, create_graph=True)
        inner = g.grad_fn.next_functions[1][0]
        return name(g.grad_fn), name(inner), [name(n) for n, _ in inner.next_functions]

    for result in both(run):
        assert result == ("MulBackward0", "MulBackward1", ["PowBackward0"])


@pytest.mark.parity
def test_abs_first_derivative_uses_sgn() -> None:
    def run(lib: Any) -> str | None:
        x = lib.tensor([1., -2.], requires_grad=True)
        (g,) = lib.autograd.grad(x.abs().sum(), x, create_graph=True)
        return name(g.grad_fn.next_functions[1][0])

    assert set(both(run)) == {"SgnBackward0"}


@pytest.mark.parity
def test_mm_first_derivative_transposes_with_t() -> None:
    def run(lib: Any) -> str | None:
        x = lib.ones(2, 3, requires_grad=True)
        w = lib.ones(3, 2, requires_grad=True)
        (g,) = lib.autograd.grad((x @ w).sum(), x, create_graph=True)
        return name(g.grad_fn.next_functions[1][0])

    assert set(both(run)) == {"TBackward0"}


@pytest.mark.parity
def test_leaf_grad_under_create_graph_is_a_copy() -> None:
    def run(lib: Any) -> tuple:
        x = lib.tensor([1., 2.], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (x ** 2).sum().backward(create_graph=True)
            first = x.grad
            nexts = [name(n) for n, _ in first.grad_fn.next_functions]
            (x ** 2).sum().backward(create_graph=True)
        return (name(first.grad_fn), nexts, name(x.grad.grad_fn),
                "tensor([2., 4.], grad_fn=<CopyBackwards>)" == repr(first))

    for result in both(run):
        assert result == ("gradlab::autograd::CopyBackwards", [None, "MulBackward0"],
                          "AddBackward0", True)


@pytest.mark.parity
def test_retained_grad_under_create_graph_is_a_clone() -> None:
    def run(lib: Any) -> str | None:
        x = lib.tensor([1., 2.], requires_grad=True)
        y = x * 2
        y.retain_grad()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (y ** 2).sum().backward(create_graph=True)
        return name(y.grad.grad_fn)

    assert set(both(run)) == {"CloneBackward0"}


@pytest.mark.parity
def test_gradgradcheck_checks_second_derivatives() -> None:
    for lib in LIBS:
        x = lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True)
        assert lib.autograd.gradgradcheck(lambda a: (a ** 3).sum(), (x,))
        assert lib.autograd.gradgradcheck(lambda a: (a.tanh() * a.sigmoid()).softmax(0), (x,))


@pytest.mark.parity
def test_is_inference_mode_enabled_follows_the_block() -> None:
    for lib in LIBS:
        assert not lib.is_inference_mode_enabled()
        with lib.inference_mode():
            assert lib.is_inference_mode_enabled()
            assert not lib.is_grad_enabled()
            with lib.inference_mode(False):
                assert not lib.is_inference_mode_enabled()
        assert not lib.is_inference_mode_enabled()
        assert lib.is_grad_enabled()

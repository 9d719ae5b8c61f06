"""Autograd's in-place safety net as PyTorch's: a saved output changed later in place is
refused (no silently wrong gradient), views made under no_grad or detached in place, and
inference tensors. Messages were printed by torch 2.13; parity tests compare with it."""

from __future__ import annotations

import pytest

import gradlab
from gradlab.nn import functional as F

MODIFIED = (r"^one of the variables needed for gradient computation has been modified by an "
            r"inplace operation: \[gradlab\.FloatTensor \[3\]\], which is output 0 of {node}, "
            r"is at version {now}; expected version {then} instead\. Hint:")


def leaf():
    return gradlab.tensor([-1.0, 2.0, 3.0], requires_grad=True)


@pytest.mark.parametrize("first, node", [
    (lambda y: y.relu_(), "Relu"), (lambda y: F.relu(y, inplace=True), "Relu"),
    (lambda y: y.sigmoid_(), "Sigmoid"), (lambda y: y.exp_(), "Exp"), (lambda y: y.tanh_(), "Tanh"),
    (lambda y: F.leaky_relu(y, 0.1, inplace=True), "LeakyRelu1"),
])
def test_an_inplace_op_whose_backward_reads_its_output_refuses_a_later_change(first, node):
    y = leaf() * 1
    first(y)
    y.mul_(2)
    with pytest.raises(RuntimeError, match=MODIFIED.format(node=node, now=2, then=1)):
        y.sum().backward()


def test_the_issues_example_no_longer_gives_a_wrong_gradient():
    x = leaf()
    y = x * 1
    y.relu_()
    y.mul_(2)
    with pytest.raises(RuntimeError, match="which is output 0 of Relu, is at version 2"):
        y.sum().backward()
    assert x.grad is None  # nothing was accumulated (gradlab used to give [0, 2, 2])


def test_inplace_ops_without_later_changes_still_differentiate():
    x = leaf()
    y = x * 1
    y.relu_()
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0]


def test_node_names_in_the_message_follow_pytorch():
    x = leaf()
    y = x * 1
    z = y * y
    y.clamp_(min=0)
    with pytest.raises(RuntimeError, match="which is output 0 of Clamp1, is at version 1"):
        z.sum().backward()


VIEW_NO_GRAD = (r"^A view was created in no_grad mode and is being modified inplace with grad "
                r"mode enabled\. Given that this use case is ambiguous and error-prone, it is "
                r"forbidden\.")


@pytest.mark.parametrize("make", [lambda: leaf() * 1, leaf])
def test_a_view_made_under_no_grad_cannot_be_changed_in_place_with_grad_on(make):
    base = make()
    with gradlab.no_grad():
        view = base[0:1]
    with pytest.raises(RuntimeError, match=VIEW_NO_GRAD):
        view.mul_(2)
    with gradlab.no_grad():  # both inside no_grad: allowed, as in PyTorch
        view = base[0:1]
        view.mul_(2)
    plain = gradlab.ones(3)
    with gradlab.no_grad():
        view = plain[0:1]
    view.mul_(2)  # the base does not require grad: nothing to protect
    assert plain.tolist() == [2.0, 1.0, 1.0]


@pytest.mark.parametrize("make", [lambda: leaf() * 1, leaf])
def test_a_view_made_under_no_grad_requires_grad_but_passes_no_gradient_back(make):
    base = make()
    with gradlab.no_grad():
        views = [base[0:2], base.view(3), base.unsqueeze(0), *base.unbind(0), *base.split(2)]
    for view in views:
        assert view.requires_grad and view.is_leaf and view.grad_fn is None
        with pytest.raises(RuntimeError, match=VIEW_NO_GRAD):
            view.mul_(2)
    y = views[0] * 2
    assert y.requires_grad and y.grad_fn.next_functions == ((None, 0), (None, 0))
    y.sum().backward()  # as in PyTorch: no error, and no gradient reaches anything
    assert views[0].grad is None and (base.grad if base.is_leaf else None) is None
    with gradlab.no_grad():
        detached = base.detach()[0:2]
    assert not detached.requires_grad


def test_detach_in_place_is_refused_on_views():
    message = r"^Can't detach views in-place\. Use detach\(\) instead\."
    for view in ((leaf() * 1)[0], leaf()[0:1], gradlab.ones(3)[0:1]):
        with pytest.raises(RuntimeError, match=message):
            view.detach_()
    y = leaf() * 1
    assert y.detach_() is y and not y.requires_grad


INFERENCE_SAVED = r"^Inference tensors cannot be saved for backward\."


def test_inference_tensors_are_marked_and_refused_by_autograd():
    with gradlab.inference_mode():
        a = gradlab.ones(3)
        b = leaf() * 2
    assert a.is_inference() and b.is_inference() and a[0:1].is_inference()
    assert not b.requires_grad and b.grad_fn is None
    assert not gradlab.ones(3).is_inference() and not (a + 1).is_inference()
    assert not a.clone().is_inference()
    w = leaf()
    with pytest.raises(RuntimeError, match=INFERENCE_SAVED):
        w * a  # mul saves its inputs for backward
    assert (w + a).grad_fn.name() == "AddBackward0"  # add saves nothing: allowed
    with pytest.raises(RuntimeError, match=r"^Setting requires_grad=True on inference tensor "
                                           r"outside InferenceMode is not allowed\.$"):
        a.requires_grad_()
    with pytest.raises(RuntimeError, match=r"^Inplace update to inference tensor outside "
                                           r"InferenceMode is not allowed\."):
        a.add_(1)
    with pytest.raises(RuntimeError, match="^Inplace update to inference tensor"):
        a.zero_()
    with gradlab.inference_mode():
        a.add_(1)  # inside inference mode it is allowed
    assert a.tolist() == [2.0, 2.0, 2.0]
    with gradlab.inference_mode(False):
        assert not gradlab.ones(1).is_inference()


# -- against PyTorch itself ---------------------------------------------------------------------

SNIPPETS = [
    "y = x * 1; y.relu_(); y.mul_(2); y.sum().backward()",
    "y = x * 1; F.relu(y, inplace=True); y.add_(1); y.sum().backward()",
    "y = x * 1; y.sigmoid_(); y.add_(1); y.sum().backward()",
    "y = x * 1; y.exp_(); y[0] = 5; y.sum().backward()",
    "y = x * 1; y.sqrt_(); y.add_(1); y.sum().backward()",
    "y = x.exp(); y.add_(1); y.sum().backward()",
    "y = x * 1; z = y * y; y.clamp_(min=0); z.sum().backward()",
    "y = x * 1; z = y.sigmoid(); w = z[0:1]; w.mul_(2); z.sum().backward()",
    "y = x * 1\nwith lib.no_grad():\n    v = y[0:1]\nv.mul_(2)",
    "with lib.no_grad():\n    v = x[0:1]\nv.mul_(2)",
    "with lib.no_grad():\n    v = x[0:2]\n(v * 2).sum().backward(); assert v.requires_grad",
    "with lib.no_grad():\n    v, w = x.split(2)\nw.add_(1)",
    "with lib.no_grad():\n    v, w, u = x.unbind(0)\nw.add_(1)",
    "y = x * 1; y[0].detach_()",
    "with lib.inference_mode():\n    a = lib.ones(3)\nx * a",
    "with lib.inference_mode():\n    a = lib.ones(3)\na.requires_grad_()",
    "with lib.inference_mode():\n    a = lib.ones(3)\na.add_(1)",
    "with lib.inference_mode():\n    a = lib.ones(3)\ny = x * 2; y.mul_(a); y.sum().backward()",
]


def outcome(lib, snippet):
    x = lib.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    try:
        exec(snippet, {"lib": lib, "F": lib.nn.functional, "x": x})
    except RuntimeError as e:
        return str(e).replace("torch.", "gradlab.")
    return x.grad.tolist() if x.grad is not None else None


@pytest.mark.parity
@pytest.mark.parametrize("snippet", SNIPPETS)
def test_inplace_safety_equals_pytorchs(snippet, torch):
    assert outcome(gradlab, snippet) == outcome(torch, snippet)

"""Loss functions and modules: values, gradients, grad_fn names, reductions, errors, warnings.

Expected values and printouts were produced by PyTorch 2.13 on the same inputs and written in
here; ``test_nn_parity.py`` compares against torch itself on random inputs.
"""

from __future__ import annotations

import warnings
from types import ModuleType

import numpy as np
import pytest
from support import prints, pytorch_prints

import gradlab
from gradlab import nn
from gradlab.nn import functional as F

LOGITS = [[0.2, -1.0, 0.5], [1.5, 0.3, -0.7]]
CLASSES = [2, 0]
PRED = [[0.5], [1.5], [2.0]]
Y = [[1.0], [1.0], [3.0]]
PROBS = [0.2, 0.9, 0.6]
LABELS = [0.0, 1.0, 1.0]

CE_GRAD_SUM = [[0.3772085905075073, 0.113613061606884, -0.4908216595649719],
               [-0.29178333282470703, 0.21331073343753815, 0.07847263664007187]]
BCE_GRAD_SUM = [1.2499998807907104, -1.1111111640930176, -1.6666666269302368]
BCEWL_GRAD_SUM = [0.5498339533805847, -0.28905051946640015, -0.3543437123298645]

# (case, function of gradlab tensors, the inputs that require grad (others are constants),
#  PyTorch's printout of the loss, PyTorch's gradients of the loss (summed if not a scalar))
CASES = [
    ("mse_mean", lambda a: F.mse_loss(a, gradlab.tensor(Y)), PRED,
     "tensor(0.5000, grad_fn=<MseLossBackward0>)",
     [[-0.3333333432674408], [0.3333333432674408], [-0.6666666865348816]]),
    ("mse_sum", lambda a: F.mse_loss(a, gradlab.tensor(Y), reduction="sum"), PRED,
     "tensor(1.5000, grad_fn=<MseLossBackward0>)", [[-1.0], [1.0], [-2.0]]),
    ("mse_none", lambda a: F.mse_loss(a, gradlab.tensor(Y), reduction="none"), PRED,
     "tensor([[0.2500],\n        [0.2500],\n        [1.0000]], grad_fn=<MseLossBackward0>)",
     [[-1.0], [1.0], [-2.0]]),
    ("l1_mean", lambda a: F.l1_loss(a, gradlab.tensor(Y)), PRED,
     "tensor(0.6667, grad_fn=<MeanBackward0>)",
     [[-0.3333333432674408], [0.3333333432674408], [-0.3333333432674408]]),
    ("l1_sum", lambda a: F.l1_loss(a, gradlab.tensor(Y), reduction="sum"), PRED,
     "tensor(2., grad_fn=<SumBackward0>)", [[-1.0], [1.0], [-1.0]]),
    ("l1_none", lambda a: F.l1_loss(a, gradlab.tensor(Y), reduction="none"), PRED,
     "tensor([[0.5000],\n        [0.5000],\n        [1.0000]], grad_fn=<AbsBackward0>)",
     [[-1.0], [1.0], [-1.0]]),
    ("bce_mean", lambda a: F.binary_cross_entropy(a, gradlab.tensor(LABELS)), PROBS,
     "tensor(0.2798, grad_fn=<BinaryCrossEntropyBackward0>)",
     [0.4166666269302368, -0.37037038803100586, -0.555555522441864]),
    ("bce_sum", lambda a: F.binary_cross_entropy(a, gradlab.tensor(LABELS), reduction="sum"),
     PROBS, "tensor(0.8393, grad_fn=<BinaryCrossEntropyBackward0>)", BCE_GRAD_SUM),
    ("bce_none", lambda a: F.binary_cross_entropy(a, gradlab.tensor(LABELS), reduction="none"),
     PROBS, "tensor([0.2231, 0.1054, 0.5108], grad_fn=<BinaryCrossEntropyBackward0>)",
     BCE_GRAD_SUM),
    ("bce_weight", lambda a: F.binary_cross_entropy(a, gradlab.tensor(LABELS),
                                                    weight=gradlab.tensor([1.0, 2.0, 0.5])),
     PROBS, "tensor(0.2298, grad_fn=<BinaryCrossEntropyBackward0>)",
     [0.4166666269302368, -0.7407407760620117, -0.277777761220932]),
    ("bcewl_mean", lambda a: F.binary_cross_entropy_with_logits(a, gradlab.tensor(LABELS)),
     PROBS, "tensor(0.5256, grad_fn=<BinaryCrossEntropyWithLogitsBackward0>)",
     [0.18327797949314117, -0.09635017067193985, -0.11811456829309464]),
    ("bcewl_none", lambda a: F.binary_cross_entropy_with_logits(a, gradlab.tensor(LABELS),
                                                                reduction="none"),
     PROBS, "tensor([0.7981, 0.3412, 0.4375],\n       "
            "grad_fn=<BinaryCrossEntropyWithLogitsBackward0>)", BCEWL_GRAD_SUM),
    ("bcewl_pos_weight", lambda a: F.binary_cross_entropy_with_logits(
        a, gradlab.tensor(LABELS), pos_weight=gradlab.tensor([3.0, 3.0, 3.0])),
     PROBS, "tensor(1.0447, grad_fn=<BinaryCrossEntropyWithLogitsBackward0>)",
     [0.18327797949314117, -0.28905048966407776, -0.3543437421321869]),
    ("ce_mean", lambda a: F.cross_entropy(a, gradlab.tensor(CLASSES)), LOGITS,
     "tensor(0.5100, grad_fn=<NllLossBackward0>)",
     [[0.18860429525375366, 0.056806530803442, -0.24541082978248596],
      [-0.14589166641235352, 0.10665536671876907, 0.039236318320035934]]),
    ("ce_sum", lambda a: F.cross_entropy(a, gradlab.tensor(CLASSES), reduction="sum"), LOGITS,
     "tensor(1.0200, grad_fn=<NllLossBackward0>)", CE_GRAD_SUM),
    ("ce_none", lambda a: F.cross_entropy(a, gradlab.tensor(CLASSES), reduction="none"),
     LOGITS, "tensor([0.6750, 0.3450], grad_fn=<NllLossBackward0>)", CE_GRAD_SUM),
    ("ce_weight", lambda a: F.cross_entropy(a, gradlab.tensor(CLASSES),
                                            weight=gradlab.tensor([1.0, 2.0, 3.0])),
     LOGITS, "tensor(0.5925, grad_fn=<NllLossBackward0>)",
     [[0.2829064428806305, 0.08520979434251785, -0.36811625957489014],
      [-0.07294583320617676, 0.05332768335938454, 0.019618159160017967]]),
    ("ce_ignore_index", lambda a: F.cross_entropy(a, gradlab.tensor([2, -100])), LOGITS,
     "tensor(0.6750, grad_fn=<NllLossBackward0>)", [CE_GRAD_SUM[0], [0.0, 0.0, 0.0]]),
    ("ce_label_smoothing", lambda a: F.cross_entropy(a, gradlab.tensor(CLASSES),
                                                     label_smoothing=0.1),
     LOGITS, "tensor(0.5966, grad_fn=<AddBackward0>)",
     [[0.17193762958049774, 0.04013986140489578, -0.21207749843597412],
      [-0.11255833506584167, 0.08998870104551315, 0.022569650784134865]]),
    ("ce_probabilities", lambda a: F.cross_entropy(
        a, gradlab.tensor([[0.1, 0.2, 0.7], [1.0, 0.0, 0.0]])),
     LOGITS, "tensor(0.6750, grad_fn=<DivBackward1>)",
     [[0.1386042982339859, -0.04319347068667412, -0.09541082382202148],
      [-0.14589166641235352, 0.10665536671876907, 0.039236318320035934]]),
    ("nll_mean", lambda a: F.nll_loss(a, gradlab.tensor(CLASSES)), LOGITS,
     "tensor(-1., grad_fn=<NllLossBackward0>)", [[0.0, 0.0, -0.5], [-0.5, 0.0, 0.0]]),
    ("nll_none", lambda a: F.nll_loss(a, gradlab.tensor(CLASSES), reduction="none"), LOGITS,
     "tensor([-0.5000, -1.5000], grad_fn=<NllLossBackward0>)",
     [[0.0, 0.0, -1.0], [-1.0, 0.0, 0.0]]),
]


@pytest.mark.parametrize("fn, values, printed, grad", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_loss_value_printout_and_gradient_match_pytorch(fn, values, printed, grad):
    x = gradlab.tensor(values, requires_grad=True)
    loss = fn(x)
    assert repr(loss) == printed
    (loss if loss.ndim == 0 else loss.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), np.array(grad, dtype=np.float32), rtol=2e-6,
                               atol=1e-7)


def test_target_gradients_of_mse_and_bce_match_pytorch():
    pred, target = gradlab.tensor(PRED, requires_grad=True), gradlab.tensor(Y, requires_grad=True)
    F.mse_loss(pred, target).backward()
    assert np.allclose(target.grad.numpy(), -pred.grad.numpy())
    probs = gradlab.tensor(PROBS, requires_grad=True)
    soft = gradlab.tensor([0.3, 0.5, 0.9], requires_grad=True)
    F.binary_cross_entropy(probs, soft).backward()
    np.testing.assert_allclose(soft.grad.numpy(), [0.4620981216430664, -0.7324081063270569,
                                                   -0.1351550668478012], rtol=2e-6)


def test_loss_modules_call_the_functions_with_their_options():
    x = gradlab.tensor(LOGITS, requires_grad=True)
    target = gradlab.tensor(CLASSES)
    assert repr(nn.CrossEntropyLoss(reduction="sum")(x, target)) == (
        "tensor(1.0200, grad_fn=<NllLossBackward0>)")
    assert repr(nn.NLLLoss()(F.log_softmax(x, 1), target)) == (
        "tensor(0.5100, grad_fn=<NllLossBackward0>)")
    assert repr(nn.MSELoss()(gradlab.tensor(PRED), gradlab.tensor(Y))) == "tensor(0.5000)"
    assert repr(nn.L1Loss(reduction="sum")(gradlab.tensor(PRED), gradlab.tensor(Y))) == (
        "tensor(2.)")
    assert repr(nn.BCELoss()(gradlab.tensor(PROBS), gradlab.tensor(LABELS))) == "tensor(0.2798)"
    assert repr(nn.BCEWithLogitsLoss()(gradlab.tensor(PROBS), gradlab.tensor(LABELS))) == (
        "tensor(0.5256)")


def test_class_weights_are_buffers_of_the_loss_module():
    loss = nn.CrossEntropyLoss(weight=gradlab.tensor([1.0, 2.0, 3.0]))
    assert list(loss.state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []


def test_cross_entropy_over_extra_dimensions_and_unbatched_input():
    gradlab.manual_seed(0)
    scores = gradlab.randn(2, 3, 5)
    labels = gradlab.tensor([[0, 1, 2, 1, 0], [2, 2, 1, 0, 1]])
    per_item = F.cross_entropy(scores, labels, reduction="none")
    assert per_item.shape == (2, 5)
    assert np.isclose(F.cross_entropy(scores, labels).item(), per_item.mean().item())
    single = F.cross_entropy(scores[0, :, 0], gradlab.tensor(0))
    assert np.isclose(single.item(), per_item[0, 0].item())


# -- PyTorch's warnings and errors -----------------------------------------------------------------


def test_mse_loss_warns_when_target_broadcasts():
    with pytest.warns(UserWarning, match=r"Using a target size \(gradlab.Size\(\[3\]\)\) that is "
                      r"different to the input size \(gradlab.Size\(\[3, 1\]\)\). This will "
                      "likely lead to incorrect results due to broadcasting"):
        loss = nn.MSELoss()(gradlab.tensor(PRED, requires_grad=True),
                            gradlab.tensor([1.0, 1.0, 3.0]))
    assert loss.grad_fn.name() == "MseLossBackward0"
    assert loss.grad_fn.next_functions[0][0].name() == "ExpandBackward0"
    # every prediction is compared with every target: a 3 x 3 table, not 3 pairs
    assert np.isclose(loss.item(), 12.5 / 9)


def test_mse_loss_of_matching_shapes_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.mse_loss(gradlab.tensor(PRED), gradlab.tensor(Y))


def test_bce_refuses_values_outside_zero_one():
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(gradlab.tensor([1.5]), gradlab.tensor([1.0]))


def test_bce_refuses_a_target_of_another_size():
    with pytest.raises(ValueError, match=r"Using a target size \(gradlab.Size\(\[3\]\)\) that is "
                       r"different to the input size \(gradlab.Size\(\[3, 1\]\)\) is deprecated"):
        F.binary_cross_entropy(gradlab.tensor([[0.5]] * 3), gradlab.tensor([1.0, 0.0, 1.0]))


def test_invalid_reduction_is_refused():
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        nn.MSELoss(reduction="avg")(gradlab.tensor(PRED), gradlab.tensor(Y))


@pytest.mark.parametrize("target, error, message", [
    ([0, 1, 5], IndexError, "Target 5 is out of bounds."),
    ([0, -1, 1], IndexError, "Target -1 is out of bounds."),
    ([0.0, 1.0, 1.0], RuntimeError, "expected target dtype to be Long or Byte, but got Float"),
    ([0, 1], ValueError, r"Expected input batch_size \(3\) to match target batch_size \(2\)."),
])
def test_cross_entropy_target_errors(target, error, message):
    with pytest.raises(error, match=message):
        F.cross_entropy(gradlab.zeros(3, 4), gradlab.tensor(target))


def test_legacy_size_average_maps_to_reduction_with_a_warning():
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated, "
                      "please use reduction='sum' instead."):
        loss_fn = nn.MSELoss(size_average=False)
    assert loss_fn.reduction == "sum"


# -- printed as PyTorch prints it: each snippet's output is pinned, and compared with what the
# same snippet prints under PyTorch when importable (``gradlab`` in names reads ``torch`` there)

PRINTS: dict[str, tuple[str, str]] = {
    "loss_target_dtype_errors": (
        """p = torch.tensor([0.2, 0.5, 0.9])
for f in (lambda: F.binary_cross_entropy(p, torch.tensor([1, 0, 1])),
          lambda: F.binary_cross_entropy_with_logits(p, torch.tensor([1, 0, 1])),
          lambda: F.binary_cross_entropy_with_logits(p, torch.tensor([True, False, True])),
          lambda: F.nll_loss(torch.zeros(2, 3), torch.tensor([0, 1]),
                             weight=torch.ones(3, dtype=torch.float64)),
          lambda: F.cross_entropy(torch.zeros(2, 3), torch.full((2, 3), 0.3), ignore_index=1)):
    try:
        f()
    except RuntimeError as e:
        print(*str(e).split(chr(10))[0].split('. '), sep=chr(10))
print(F.binary_cross_entropy_with_logits(p, torch.tensor([1., 0., 1.], dtype=torch.float64)))
""",
        """Found dtype Long but expected Float
result type Float can't be cast to the desired output type Long
Subtraction, the `-` operator, with two bool tensors is not supported
Use the `^` or `logical_xor()` operator instead.
expected scalar type Float but found Double
ignore_index is not supported for floating point target
tensor(0.6378, dtype=gradlab.float64)
"""),
    # arguments PyTorch's Python losses refuse (they call .size() first), integer inputs its
    # float-only kernels refuse, target shapes checked before the target dtype, and an ignored
    # target's gradient row of +0 (1 / grad is inf, not -inf)
    "loss_argument_errors": ("""
lp = F.log_softmax(torch.tensor([[0.2, -1.0, 0.5], [1.5, 0.3, -0.7]]), 1)
for f in (lambda: F.mse_loss(torch.ones(3), [1.0, 2.0, 3.0]),
          lambda: F.huber_loss(2.0, torch.ones(3)),
          lambda: F.binary_cross_entropy_with_logits(torch.ones(2), [1.0, 0.0]),
          lambda: F.cross_entropy(torch.ones(2, 3), [1, 0]),
          lambda: F.mse_loss(torch.tensor([1, 2]), torch.tensor([1, 3])),
          lambda: F.smooth_l1_loss(torch.tensor([True]), torch.tensor([False])),
          lambda: F.huber_loss(torch.tensor([1, 2]), torch.tensor([1.0, 3.0])),
          lambda: F.binary_cross_entropy(torch.tensor([1, 0]), torch.tensor([1, 0])),
          lambda: F.binary_cross_entropy_with_logits(torch.tensor([1, 0]), torch.tensor([1., 0.])),
          lambda: F.nll_loss(lp, torch.tensor(1)),
          lambda: F.nll_loss(lp[0], torch.tensor([0, 1])),
          lambda: F.cross_entropy(torch.ones(2, 3), torch.ones(2, 2))):
    try:
        f()
    except Exception as e:
        print(type(e).__name__, str(e).split(chr(10))[0])
print(F.nll_loss(lp[0], torch.tensor([2]), reduction='none'),
      F.cross_entropy(lp[1], torch.tensor([0])))
x = torch.zeros(3, 3, requires_grad=True)
F.cross_entropy(x, torch.tensor([0, -100, 2]), label_smoothing=0.1).backward()
print(1 / x.grad[1])
""", """AttributeError 'list' object has no attribute 'size'
AttributeError 'float' object has no attribute 'size'
AttributeError 'list' object has no attribute 'size'
TypeError cross_entropy_loss(): argument 'target' (position 2) must be Tensor, not list
NotImplementedError "mse_cpu" not implemented for 'Long'
NotImplementedError "smooth_l1_cpu" not implemented for 'Bool'
RuntimeError result type Float can't be cast to the desired output type Long
NotImplementedError "binary_cross_entropy" not implemented for 'Long'
NotImplementedError "log_sigmoid_cpu" not implemented for 'Long'
ValueError Expected input batch_size (2) to match target batch_size (0).
ValueError For 1D input, 1D target must have size 1, but got target size: 2
RuntimeError 0D or 1D target tensor expected, multi-target not supported
tensor(0.6750) tensor(0.3450)
tensor([inf, inf, inf])
"""),
}


@pytest.mark.parity
@pytest.mark.parametrize("name", list(PRINTS))
def test_pinned_printout_is_what_pytorch_prints(name: str, torch: ModuleType) -> None:
    source, expected = PRINTS[name]
    assert pytorch_prints(source, torch) == expected


@pytest.mark.parametrize("name", list(PRINTS))
def test_pinned_printout_is_what_gradlab_prints(name: str) -> None:
    source, expected = PRINTS[name]
    assert prints(source, gradlab) == expected

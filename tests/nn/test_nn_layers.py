"""Layers, containers and initialisers: PyTorch's initial weights, graphs, shapes and errors.

Weights after ``manual_seed`` were printed by PyTorch 2.13 and written in here: gradlab's
generator and bounds reproduce them bit for bit.
"""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np
import pytest
from support import prints, pytorch_prints

import gradlab
from gradlab import nn
from gradlab.nn import functional as F
from gradlab.nn import init


def chain(node) -> str:
    """A grad_fn graph as text: ``AddmmBackward0(AccumulateGrad, ...)``."""
    if node is None:
        return "None"
    name = node.name().replace("gradlab::autograd::", "")
    inner = ", ".join(chain(n) for n, _ in node.next_functions)
    return f"{name}({inner})" if inner else name


def bits(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float32).view(np.int32)


# -- Linear ------------------------------------------------------------------------------------


def test_linear_initial_weights_are_pytorchs_after_the_same_seed():
    gradlab.manual_seed(0)
    layer = nn.Linear(3, 2)
    expected_w = [[-0.004322517663240433, 0.3097158372402191, -0.4751853346824646],
                  [-0.4248946011066437, -0.2223689705133438, 0.15482072532176971]]
    expected_b = [-0.011439144611358643, 0.45777493715286255]
    assert np.array_equal(bits(layer.weight.tolist()), bits(expected_w))
    assert np.array_equal(bits(layer.bias.tolist()), bits(expected_b))


def test_course_regression_model_starts_from_pytorchs_weight():
    gradlab.manual_seed(42)
    assert nn.Linear(1, 1).weight.item() == np.float32(0.7645385265350342)
    assert nn.Linear(1, 1, bias=False).weight.item() == np.float32(-0.23427248001098633)


def test_linear_prints_its_sizes():
    assert repr(nn.Linear(3, 2)) == "Linear(in_features=3, out_features=2, bias=True)"
    assert repr(nn.Linear(1, 1, bias=False)) == "Linear(in_features=1, out_features=1, bias=False)"


@pytest.mark.parametrize("shape, with_bias, without_bias", [
    ((4, 3), "AddmmBackward0(AccumulateGrad, AccumulateGrad, TBackward0(AccumulateGrad))",
     "MmBackward0(AccumulateGrad, TBackward0(AccumulateGrad))"),
    ((3,), "ViewBackward0(AddmmBackward0(AccumulateGrad, ViewBackward0(AccumulateGrad), "
     "TBackward0(AccumulateGrad)))",
     "SqueezeBackward4(MmBackward0(UnsqueezeBackward0(AccumulateGrad), "
     "TBackward0(AccumulateGrad)))"),
    ((5, 4, 3), "ViewBackward0(AddmmBackward0(AccumulateGrad, ViewBackward0(AccumulateGrad), "
     "TBackward0(AccumulateGrad)))",
     "UnsafeViewBackward0(MmBackward0(ViewBackward0(AccumulateGrad), "
     "TBackward0(AccumulateGrad)))"),
])
def test_linear_records_pytorchs_graph_for_each_input_rank(shape, with_bias, without_bias):
    x = gradlab.randn(*shape, requires_grad=True)
    out = nn.Linear(3, 2)(x)
    assert out.shape == shape[:-1] + (2,)
    assert chain(out.grad_fn) == with_bias
    assert chain(nn.Linear(3, 2, bias=False)(x).grad_fn) == without_bias


def test_linear_gradients_are_the_matrix_calculus_ones():
    layer = nn.Linear(3, 2)
    x = gradlab.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], requires_grad=True)
    layer(x).sum().backward()
    assert layer.bias.grad.tolist() == [2.0, 2.0]
    assert layer.weight.grad.tolist() == [[0.0, 2.5, 3.0]] * 2
    np.testing.assert_allclose(x.grad.numpy(), np.tile(layer.weight.detach().numpy().sum(0),
                                                       (2, 1)), rtol=1e-6)


def test_linear_refuses_inputs_of_the_wrong_width():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                       r"\(4x4 and 3x2\)"):
        nn.Linear(3, 2)(gradlab.zeros(4, 4))


def test_linear_refuses_mixed_dtypes_and_scalars():
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype, but got "
                       "Double and Float"):
        nn.Linear(3, 2)(gradlab.zeros(4, 3, dtype=gradlab.float64))
    with pytest.raises(RuntimeError, match="both arguments to linear need to be at least 1D, "
                       "but they are 0D and 2D"):
        nn.Linear(3, 2)(gradlab.tensor(1.0))


# -- containers ----------------------------------------------------------------------------------


@pytest.fixture
def mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                         nn.Linear(64, 1))


def test_sequential_indexing_len_and_iteration(mlp):
    assert len(mlp) == 5
    assert mlp[0] is list(mlp)[0] and mlp[-1] is list(mlp)[4]
    assert [type(m).__name__ for m in mlp] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    with pytest.raises(IndexError, match="index 5 is out of range"):
        mlp[5]  # noqa: B018


def test_sequential_slices_keep_their_keys(mlp):
    part = mlp[1:3]
    assert isinstance(part, nn.Sequential) and len(part) == 2
    assert repr(part) == ("Sequential(\n  (1): ReLU()\n  (2): Linear(in_features=64, "
                          "out_features=64, bias=True)\n)")


def test_sequential_runs_modules_in_order(mlp):
    x = gradlab.randn(8, 32)
    manual = x
    for layer in mlp:
        manual = layer(manual)
    assert mlp(x).tolist() == manual.tolist()
    assert mlp(x).grad_fn.name() == "AddmmBackward0"


def test_sequential_append_insert_and_delete_renumber():
    seq = nn.Sequential(nn.ReLU())
    seq.append(nn.Tanh()).insert(0, nn.Sigmoid())
    assert [type(m).__name__ for m in seq] == ["Sigmoid", "ReLU", "Tanh"]
    del seq[0]
    assert list(seq._modules) == ["0", "1"]


def test_module_list_registers_its_modules():
    class Stack(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])

    assert len(list(Stack().parameters())) == 6


# -- activations -----------------------------------------------------------------------------------


def test_activations_compute_and_record_their_nodes():
    x = gradlab.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    assert nn.ReLU()(x).tolist() == [0.0, 0.0, 2.0]
    cases = [(nn.ReLU(), "ReluBackward0"), (nn.Tanh(), "TanhBackward0"),
             (nn.Sigmoid(), "SigmoidBackward0"), (nn.Softmax(dim=0), "SoftmaxBackward0"),
             (nn.LogSoftmax(dim=0), "LogSoftmaxBackward0"),
             (nn.LogSigmoid(), "LogSigmoidBackward0")]
    for module, node in cases:
        assert module(x).grad_fn.name() == node
    np.testing.assert_allclose(F.logsigmoid(x).detach().numpy(),
                               np.log(1 / (1 + np.exp([1.0, 0.0, -2.0]))), rtol=1e-6)


def test_logsigmoid_gradient_is_accurate_far_from_zero():
    x = gradlab.tensor([-30.0, 30.0], requires_grad=True)
    F.logsigmoid(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, math.exp(-30.0)], rtol=1e-6)


def test_inplace_relu_changes_its_input():
    x = gradlab.tensor([-1.0, 2.0])
    assert nn.ReLU(inplace=True)(x) is x and x.tolist() == [0.0, 2.0]


def test_softmax_without_dim_warns_and_picks_pytorchs_dim():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been "
                      "deprecated"):
        out = F.softmax(gradlab.zeros(2, 4))
    assert np.allclose(out.numpy(), 0.25)


def test_flatten_keeps_the_batch_dimension_and_identity_passes_through():
    x = gradlab.zeros(2, 3, 4, requires_grad=True)
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten()(x).grad_fn.name() == "ViewBackward0"
    assert nn.Flatten(0, -1)(x).shape == (24,)
    assert nn.Identity(54, unused="ignored")(x) is x


# -- init ------------------------------------------------------------------------------------------

INIT_SEQUENCE = [  # seed 0, one (2, 3) tensor initialised by each call in turn (PyTorch 2.13)
    (lambda w: init.xavier_uniform_(w),
     [[-0.008201400749385357, 0.5876445174217224, -0.9016007781028748],
      [-0.8061808347702026, -0.4219154715538025, 0.29375168681144714]]),
    (lambda w: init.kaiming_uniform_(w, a=0, nonlinearity="relu"),
     [[-0.028020067140460014, 1.1213150024414062, -0.1255030333995819],
      [0.3742186725139618, -0.4273938238620758, -0.27798542380332947]]),
    (lambda w: init.normal_(w, 1.0, 0.5),
     [[1.2016733884811401, 1.4190131425857544, 0.6403712034225464],
      [0.7983282208442688, 0.7016823291778564, 1.0910181999206543]]),
    (lambda w: init.uniform_(w, -2, 2),
     [[-0.32236671447753906, 0.21162819862365723, 1.8109524250030518],
      [-1.8553407192230225, -1.2590758800506592, -0.5063304901123047]]),
    (lambda w: init.xavier_normal_(w),
     [[-0.602625846862793, 0.2350972443819046, 0.2584945261478424],
      [0.8989835977554321, 0.09448695927858353, -0.42428913712501526]]),
    (lambda w: init.kaiming_normal_(w, mode="fan_out"),
     [[-0.2141861468553543, -0.4319688677787781, -0.7078776955604553],
      [-0.10643401741981506, -1.2427316904067993, -0.47623157501220703]]),
]


def test_initialisers_draw_pytorchs_numbers():
    gradlab.manual_seed(0)
    w = gradlab.empty(2, 3)
    for fill, expected in INIT_SEQUENCE:
        assert fill(w) is w
        assert np.array_equal(bits(w.tolist()), bits(expected))


def test_constant_initialisers_work_on_parameters():
    p = nn.Parameter(gradlab.empty(2, 2))
    assert init.zeros_(p).tolist() == [[0.0, 0.0]] * 2
    assert init.ones_(p).tolist() == [[1.0, 1.0]] * 2
    assert init.constant_(p, 0.5).tolist() == [[0.5, 0.5]] * 2
    assert p.requires_grad and p.grad_fn is None


def test_calculate_gain_matches_pytorch():
    assert init.calculate_gain("tanh") == 1.6666666666666667
    assert init.calculate_gain("leaky_relu", 0.2) == 1.3867504905630728
    assert init.calculate_gain("relu") == math.sqrt(2.0)
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")


def test_fan_needs_two_dimensions_and_a_known_mode():
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor "
                       "with fewer than 2 dimensions"):
        init.xavier_uniform_(gradlab.empty(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(gradlab.empty(2, 2), mode="fan_avg")


def test_zero_element_kaiming_is_a_no_op_with_a_warning():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(gradlab.empty(0, 3))


# -- printed as PyTorch prints it: each snippet's output is pinned, and compared with what the
# same snippet prints under PyTorch when importable (``gradlab`` in names reads ``torch`` there)

PRINTS: dict[str, tuple[str, str]] = {
    "sequential_setitem_keeps_order": (
        """s = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Tanh())
s[0] = nn.Identity()
print(s)
""",
        """Sequential(
  (0): Identity()
  (1): ReLU()
  (2): Tanh()
)
"""),
    "sequential_index_must_be_an_integer": (
        """try:
    nn.Sequential(nn.ReLU())['a']
except TypeError as e:
    print(e)
try:
    nn.ModuleList([nn.ReLU()])['a']
except TypeError as e:
    print(e)
""",
        """'str' object cannot be interpreted as an integer
'str' object cannot be interpreted as an integer
"""),
    "sequential_add_mul_pop": (
        """s = nn.Sequential(nn.ReLU(), nn.Tanh())
t = s + nn.Sequential(nn.Sigmoid())
print(t, t[0] is s[0])
print(s * 2)
print(len(2 * s))
s += nn.Sequential(nn.Identity())
print(s)
print(s.pop(0), s.pop(-1), s)
s *= 3
print(len(s))
try:
    s * 0
except ValueError as e:
    print(str(e).split(' for ')[0])
try:
    s + nn.ReLU()
except ValueError as e:
    print(str(e).split(', but')[0])
""",
        """Sequential(
  (0): ReLU()
  (1): Tanh()
  (2): Sigmoid()
) True
Sequential(
  (0): ReLU()
  (1): Tanh()
  (2): ReLU()
  (3): Tanh()
)
4
Sequential(
  (0): ReLU()
  (1): Tanh()
  (2): Identity()
)
ReLU() Identity() Sequential(
  (0): Tanh()
)
3
Non-positive multiplication factor 0
add operator supports only objects of Sequential class
"""),
    "modulelist_add_pop_insert": (
        """ml = nn.ModuleList([nn.ReLU(), nn.Tanh()])
print(ml + [nn.Sigmoid()])
ml += [nn.Identity()]
print(ml.pop(1), ml)
ml.insert(1, nn.Tanh())
print(ml)
""",
        """ModuleList(
  (0): ReLU()
  (1): Tanh()
  (2): Sigmoid()
)
Tanh() ModuleList(
  (0): ReLU()
  (1): Identity()
)
ModuleList(
  (0): ReLU()
  (1): Tanh()
  (2): Identity()
)
"""),
    "init_trunc_normal_orthogonal_sparse_eye_dirac": (
        """torch.manual_seed(0)
w = torch.empty(3, 5)
print(nn.init.trunc_normal_(w, std=0.02))
print(nn.init.trunc_normal_(w, mean=0.5, std=2., a=-0.1, b=0.2))
print(nn.init.orthogonal_(w, gain=2.))
print(nn.init.sparse_(torch.empty(4, 3), sparsity=0.5))
print(nn.init.eye_(w))
print(nn.init.dirac_(torch.empty(2, 1, 3)))
print(torch.rand(2))
""",
        """tensor([[ 0.0308, -0.0059, -0.0436,  0.0114, -0.0217],
        [-0.0280,  0.0081,  0.0168, -0.0144, -0.0081],
        [-0.0119,  0.0036, -0.0171,  0.0220, -0.0214]])
tensor([[-0.0472, -0.0190, -0.0548, -0.0905,  0.0557],
        [ 0.1789,  0.1169,  0.1227,  0.0579, -0.0269],
        [ 0.0754, -0.0901, -0.0584, -0.0273,  0.1446]])
tensor([[ 0.1179,  0.1820, -0.2104,  1.9768, -0.0340],
        [-0.1008, -1.1560,  1.5837,  0.2854,  0.2532],
        [-1.0279, -1.3476, -1.0592,  0.0723, -0.0181]])
tensor([[-0.0028, -0.0013,  0.0000],
        [ 0.0000,  0.0000, -0.0034],
        [ 0.0000,  0.0000,  0.0000],
        [ 0.0117,  0.0043, -0.0173]])
tensor([[1., 0., 0., 0., 0.],
        [0., 1., 0., 0., 0.],
        [0., 0., 1., 0., 0.]])
tensor([[[0., 1., 0.]],

        [[0., 0., 0.]]])
tensor([0.7742, 0.7703])
"""),
}


@pytest.mark.parity
@pytest.mark.parametrize("name", list(PRINTS))
def test_pinned_printout_is_what_pytorch_prints(name: str, torch: ModuleType) -> None:
    source, expected = PRINTS[name]
    assert pytorch_prints(source, torch) == expected


def test_sequential_setitem_keeps_order() -> None:
    source, expected = PRINTS["sequential_setitem_keeps_order"]
    assert prints(source, gradlab) == expected


def test_sequential_index_must_be_an_integer() -> None:
    source, expected = PRINTS["sequential_index_must_be_an_integer"]
    assert prints(source, gradlab) == expected


def test_sequential_concatenates_repeats_and_pops_like_a_list() -> None:
    source, expected = PRINTS["sequential_add_mul_pop"]
    assert prints(source, gradlab) == expected


def test_modulelist_concatenates_pops_and_inserts_like_a_list() -> None:
    source, expected = PRINTS["modulelist_add_pop_insert"]
    assert prints(source, gradlab) == expected


def test_init_trunc_normal_orthogonal_sparse_eye_dirac_fill_as_pytorch() -> None:
    source, expected = PRINTS["init_trunc_normal_orthogonal_sparse_eye_dirac"]
    assert prints(source, gradlab) == expected


UNFLATTEN = """u = nn.Unflatten(1, (2, 5))
x = torch.zeros(3, 10, requires_grad=True)
print(u, u(x).shape, u(x).grad_fn.name(), nn.Unflatten(-1, torch.Size([2, 2])))
print(torch.typename(u), nn.Unflatten(1, (2, -1))(x).shape)
for bad in (lambda: nn.Unflatten(1, [2, 'a']), lambda: nn.Unflatten(1, 5)):
    try:
        bad()
    except TypeError as e:
        print(e)
"""
UNFLATTEN_PRINTS = """Unflatten(dim=1, unflattened_size=(2, 5)) \
gradlab.Size([3, 2, 5]) ViewBackward0 Unflatten(dim=-1, unflattened_size=gradlab.Size([2, 2]))
gradlab.nn.modules.flatten.Unflatten gradlab.Size([3, 2, 5])
unflattened_size must be tuple of ints, but found element of type str at pos 1
unflattened_size must be a tuple of ints, but found type int
"""


def test_unflatten_splits_a_dimension_as_pytorchs() -> None:
    assert prints(UNFLATTEN, gradlab) == UNFLATTEN_PRINTS


@pytest.mark.parity
def test_unflatten_prints_what_pytorch_prints(torch: ModuleType) -> None:
    assert pytorch_prints(UNFLATTEN, torch) == UNFLATTEN_PRINTS

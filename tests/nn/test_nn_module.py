"""nn.Module and nn.Parameter: registration, traversal, state dicts, printing and errors.

Expected printouts and messages are PyTorch 2.13's (with ``torch.`` type names spelled
``gradlab.`` as everywhere in gradlab); ``test_nn_parity.py`` re-derives them from torch.
"""

from __future__ import annotations

import copy
import pickle
from collections import OrderedDict
from types import ModuleType

import numpy as np
import pytest
from support import prints, pytorch_prints

import gradlab
from gradlab import nn


class LinearRegressionModel(nn.Module):
    """The model of the course's notebook 06 (seed 002)."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(1, 1, bias=False)

    def forward(self, x: gradlab.Tensor) -> gradlab.Tensor:
        return self.linear(x)


class TwoLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(3, 4)
        self.scale = nn.Parameter(gradlab.ones(1))
        self.register_buffer("calls", gradlab.zeros(1))
        self.out = nn.Sequential(nn.ReLU(), nn.Linear(4, 1))

    def forward(self, x: gradlab.Tensor) -> gradlab.Tensor:
        return self.out(self.hidden(x)) * self.scale


@pytest.fixture
def regression_model() -> LinearRegressionModel:
    gradlab.manual_seed(42)
    return LinearRegressionModel()


@pytest.fixture
def two_layer() -> TwoLayer:
    gradlab.manual_seed(0)
    return TwoLayer()


# -- Parameter -----------------------------------------------------------------------------------


def test_parameter_is_a_leaf_tensor_that_requires_grad():
    p = nn.Parameter(gradlab.tensor([1.0, 2.0]))
    assert isinstance(p, gradlab.Tensor)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None


def test_parameter_prints_parameter_containing():
    assert repr(nn.Parameter(gradlab.tensor(1.0))) == (
        "Parameter containing:\ntensor(1., requires_grad=True)")
    frozen = nn.Parameter(gradlab.tensor([0.5, 2.0]), requires_grad=False)
    assert repr(frozen) == "Parameter containing:\ntensor([0.5000, 2.0000])"
    assert repr(nn.Parameter()) == "Parameter containing:\ntensor([], requires_grad=True)"


def test_parameter_shares_memory_with_its_source_tensor():
    source = gradlab.zeros(3)
    p = nn.Parameter(source)
    with gradlab.no_grad():
        p.add_(1.0)
    assert source.tolist() == [1.0, 1.0, 1.0]


def test_operations_on_parameters_return_plain_tensors():
    p = nn.Parameter(gradlab.ones(2))
    for result in (p * 2, p.clone(), p.detach(), p.data, p + p):
        assert type(result) is gradlab.Tensor
    assert (p * 2).grad_fn.name() == "MulBackward0"


def test_parameter_survives_deepcopy_and_pickle():
    p = nn.Parameter(gradlab.tensor([1.5, -2.0]))
    for clone in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert type(clone) is nn.Parameter and clone.requires_grad
        assert clone.tolist() == [1.5, -2.0]


def test_parameter_from_a_computed_tensor_is_a_new_leaf():
    x = gradlab.ones(2, requires_grad=True)
    p = nn.Parameter(x * 3)
    assert p.is_leaf and p.grad_fn is None and p.tolist() == [3.0, 3.0]


def test_parameter_refuses_integer_data_and_non_tensors():
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(gradlab.tensor([1, 2]))
    with pytest.raises(AttributeError, match="'list' object has no attribute 'detach'"):
        nn.Parameter([1.0, 2.0])  # PyTorch's own error


# -- registration and traversal ------------------------------------------------------------------


def test_named_parameters_are_dotted_and_in_registration_order(two_layer):
    names = [name for name, _ in two_layer.named_parameters()]
    assert names == ["scale", "hidden.weight", "hidden.bias", "out.1.weight", "out.1.bias"]
    assert len(list(two_layer.parameters())) == 5


def test_sequential_parameter_names_use_indices():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert [n for n, _ in model.named_parameters()] == [
        "0.weight", "0.bias", "2.weight", "2.bias"]


def test_shared_parameters_are_listed_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]


def test_children_and_modules_walk_the_tree(two_layer):
    assert [type(m).__name__ for m in two_layer.children()] == ["Linear", "Sequential"]
    assert [type(m).__name__ for m in two_layer.modules()] == [
        "TwoLayer", "Linear", "Sequential", "ReLU", "Linear"]
    assert [n for n, _ in two_layer.named_modules()] == ["", "hidden", "out", "out.0", "out.1"]


def test_assigning_none_to_a_parameter_keeps_the_slot():
    layer = nn.Linear(2, 2)
    layer.bias = None
    assert layer.bias is None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


def test_buffers_are_in_state_dict_but_not_parameters(two_layer):
    assert "calls" in two_layer.state_dict()
    assert all(p is not two_layer.calls for p in two_layer.parameters())
    assert [n for n, _ in two_layer.named_buffers()] == ["calls"]


def test_call_runs_forward_and_forward_hooks(two_layer):
    seen = []
    handle = two_layer.register_forward_hook(lambda m, args, out: seen.append(out.shape))
    out = two_layer(gradlab.ones(5, 3))
    assert out.shape == (5, 1) and seen == [(5, 1)]
    handle.remove()
    two_layer(gradlab.ones(2, 3))
    assert len(seen) == 1


def test_get_submodule_follows_dotted_paths(two_layer):
    assert two_layer.get_submodule("out.1") is two_layer.out[1]
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        two_layer.get_submodule("out.nope")


# -- modes and bulk changes ----------------------------------------------------------------------


def test_train_and_eval_set_training_recursively(two_layer):
    assert two_layer.training
    assert two_layer.eval() is two_layer
    assert not any(m.training for m in two_layer.modules())
    two_layer.train()
    assert all(m.training for m in two_layer.modules())


def test_zero_grad_sets_grads_to_none_by_default(two_layer):
    two_layer(gradlab.ones(2, 3)).sum().backward()
    assert all(p.grad is not None for p in two_layer.parameters())
    two_layer.zero_grad()
    assert all(p.grad is None for p in two_layer.parameters())


def test_zero_grad_without_set_to_none_fills_zeros(regression_model):
    regression_model(gradlab.tensor([[2.0]])).sum().backward()
    regression_model.zero_grad(set_to_none=False)
    assert repr(regression_model.linear.weight.grad) == "tensor([[0.]])"


def test_requires_grad_false_freezes_every_parameter(two_layer):
    assert two_layer.requires_grad_(False) is two_layer
    assert not any(p.requires_grad for p in two_layer.parameters())


def test_apply_visits_children_before_parents(two_layer):
    order = []
    two_layer.apply(lambda m: order.append(type(m).__name__))
    assert order == ["Linear", "ReLU", "Linear", "Sequential", "TwoLayer"]


def test_double_and_float_convert_parameters_in_place(two_layer):
    weight = two_layer.hidden.weight
    two_layer.double()
    assert two_layer.hidden.weight is weight and weight.dtype == gradlab.float64
    assert two_layer.calls.dtype == gradlab.float64
    assert two_layer(gradlab.ones(1, 3, dtype=gradlab.float64)).dtype == gradlab.float64
    two_layer.float()
    assert weight.dtype == gradlab.float32


# -- printing ------------------------------------------------------------------------------------


def test_repr_of_the_course_regression_model(regression_model):
    assert repr(regression_model) == (
        "LinearRegressionModel(\n"
        "  (linear): Linear(in_features=1, out_features=1, bias=False)\n"
        ")")


def test_repr_nests_with_indentation():
    model = nn.Sequential(nn.Sequential(nn.Linear(2, 2), nn.ReLU(inplace=True)),
                          nn.Softmax(dim=1), nn.Flatten())
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Sequential(\n"
        "    (0): Linear(in_features=2, out_features=2, bias=True)\n"
        "    (1): ReLU(inplace=True)\n"
        "  )\n"
        "  (1): Softmax(dim=1)\n"
        "  (2): Flatten(start_dim=1, end_dim=-1)\n"
        ")")


def test_module_list_repr_groups_repeated_modules():
    layers = nn.ModuleList([nn.Linear(1, 1), nn.Linear(1, 1), nn.ReLU()])
    assert repr(layers) == (
        "ModuleList(\n"
        "  (0-1): 2 x Linear(in_features=1, out_features=1, bias=True)\n"
        "  (2): ReLU()\n"
        ")")


def test_leaf_modules_print_their_extra_repr():
    assert [repr(m) for m in (nn.ReLU(), nn.Tanh(), nn.Identity(3), nn.MSELoss(),
                              nn.CrossEntropyLoss(), nn.Flatten(0, 2))] == [
        "ReLU()", "Tanh()", "Identity()", "MSELoss()", "CrossEntropyLoss()",
        "Flatten(start_dim=0, end_dim=2)"]


# -- state_dict ----------------------------------------------------------------------------------


def test_state_dict_is_ordered_and_detached(two_layer):
    state = two_layer.state_dict()
    assert isinstance(state, OrderedDict)
    assert list(state) == ["scale", "calls", "hidden.weight", "hidden.bias", "out.1.weight",
                           "out.1.bias"]
    assert not state["hidden.weight"].requires_grad
    weight = two_layer.hidden.weight.detach().numpy()
    assert np.shares_memory(state["hidden.weight"].numpy(), weight)


def test_state_dict_prints_like_pytorch(regression_model):
    assert repr(regression_model.state_dict()) == (
        "OrderedDict([('linear.weight', tensor([[0.7645]]))])")


def test_load_state_dict_copies_values_and_reports_success(two_layer):
    gradlab.manual_seed(1)
    other = TwoLayer()
    result = two_layer.load_state_dict(other.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert two_layer.hidden.weight.tolist() == other.hidden.weight.tolist()


def test_load_state_dict_names_missing_keys():
    layer = nn.Linear(3, 2)
    with pytest.raises(RuntimeError) as err:
        layer.load_state_dict({"weight": gradlab.zeros(2, 3)})
    assert str(err.value) == (
        'Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". ')


def test_load_state_dict_lists_every_problem_in_pytorch_order():
    layer = nn.Linear(3, 2)
    with pytest.raises(RuntimeError) as err:
        layer.load_state_dict({"weight": gradlab.zeros(3, 3), "foo": gradlab.zeros(1)})
    assert str(err.value) == (
        "Error(s) in loading state_dict for Linear:\n"
        '\tMissing key(s) in state_dict: "bias". \n'
        '\tUnexpected key(s) in state_dict: "foo". \n'
        "\tsize mismatch for weight: copying a param with shape gradlab.Size([3, 3]) from "
        "checkpoint, the shape in current model is gradlab.Size([2, 3]).")


def test_load_state_dict_refuses_non_tensor_values():
    with pytest.raises(RuntimeError, match='While copying the parameter named "weight", '
                       "expected gradlab.Tensor or Tensor-like object from checkpoint but "
                       "received <class 'float'>"):
        nn.Linear(3, 2).load_state_dict({"weight": 1.0, "bias": gradlab.zeros(2)})


def test_load_state_dict_non_strict_returns_incompatible_keys():
    layer = nn.Linear(3, 2)
    result = layer.load_state_dict({"weight": gradlab.ones(2, 3), "extra": gradlab.ones(1)},
                                   strict=False)
    assert repr(result) == "_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['extra'])"
    assert layer.weight.tolist() == [[1.0] * 3] * 2


def test_load_state_dict_names_keys_of_submodules():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "0.bias", '
                       '"2.weight", "2.bias". '):
        model.load_state_dict({"0.weight": gradlab.zeros(2, 2)})


# -- errors --------------------------------------------------------------------------------------


def test_assigning_a_parameter_before_init_is_refused():
    class Forgetful(nn.Module):
        def __init__(self) -> None:
            self.w = nn.Parameter(gradlab.zeros(1))

    with pytest.raises(AttributeError, match=r"cannot assign parameters before "
                       r"Module.__init__\(\) call"):
        Forgetful()


def test_assigning_a_tensor_over_a_parameter_is_refused():
    with pytest.raises(TypeError, match="cannot assign 'gradlab.FloatTensor' as parameter "
                       "'weight' \\(gradlab.nn.Parameter or None expected\\)"):
        nn.Linear(3, 2).weight = gradlab.zeros(2, 3)


def test_unknown_attribute_error_names_the_class():
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'foo'"):
        nn.Linear(1, 1).foo  # noqa: B018


def test_module_without_forward_says_so():
    with pytest.raises(NotImplementedError,
                       match='Module \\[Module\\] is missing the required "forward" function'):
        nn.Module()(1)


def test_register_parameter_refuses_dotted_names_and_non_leaves():
    model = nn.Module()
    with pytest.raises(KeyError) as err:
        model.register_parameter("a.b", nn.Parameter(gradlab.zeros(1)))
    assert err.value.args[0] == 'parameter name can\'t contain "."'
    with pytest.raises(TypeError, match="cannot assign 'gradlab.FloatTensor' object to "
                       "parameter 'w'"):
        model.register_parameter("w", gradlab.zeros(1))


def test_to_converts_floating_tensors_and_refuses_cuda(two_layer):
    assert two_layer.to(gradlab.float64) is two_layer
    assert two_layer.hidden.weight.dtype == gradlab.float64
    assert two_layer.to("cpu") is two_layer
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        two_layer.to("cuda")


# -- printed as PyTorch prints it: each snippet's output is pinned, and compared with what the
# same snippet prints under PyTorch when importable (``gradlab`` in names reads ``torch`` there)

PRINTS: dict[str, tuple[str, str]] = {
    "reassigning_a_layer_or_parameter_keeps_its_place": (
        """class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(1, 1)
        self.b = nn.ReLU()
        self.p = nn.Parameter(torch.ones(1))
        self.q = nn.Parameter(torch.ones(1))
m = M()
m.a = nn.Tanh()
m.p = nn.Parameter(torch.zeros(1))
print(m)
print(list(m.state_dict()))
m.a = None
print(m)
""",
        """M(
  (a): Tanh()
  (b): ReLU()
)
['p', 'q']
M(
  (a): None
  (b): ReLU()
)
"""),
    "get_parameter_and_get_buffer": (
        """m = nn.Sequential(nn.Linear(2, 2))
m[0].register_buffer('running', torch.zeros(2))
print(m.get_parameter('0.bias').shape, m.get_buffer('0.running'))
for f in (lambda: m.get_parameter('0.running'), lambda: m.get_buffer('0.weight'),
          lambda: m.get_parameter('0.nope'), lambda: m.get_parameter('1.weight')):
    try:
        f()
    except AttributeError as e:
        print(e)
""",
        """gradlab.Size([2]) tensor([0., 0.])
`running` is not an nn.Parameter
`weight` is not a buffer
Linear has no attribute `nope`
Sequential has no attribute `1`
"""),
    "module_to_reads_its_arguments_as_tensor_to_does": (
        """m = nn.Linear(1, 1)
print(m.to(None) is m, m.to(float).weight.dtype, m.to('cpu', torch.float16).bias.dtype)
print(m.to(torch.zeros(1)).weight.dtype, m.to(dtype=torch.float64, device='cpu').weight.dtype)
print(torch.zeros(1).to(None).dtype, torch.typename(m), torch.typename(torch.zeros(1)))
for bad in (torch.int64, int, 'bogus'):
    try:
        m.to(bad)
    except (TypeError, RuntimeError) as e:
        print(type(e).__name__, e)
""",
        """True gradlab.float64 gradlab.float16
gradlab.float32 gradlab.float64
gradlab.float32 gradlab.nn.modules.linear.Linear gradlab.FloatTensor
TypeError nn.Module.to only accepts floating point or complex dtypes, but got desired \
dtype=gradlab.int64
TypeError nn.Module.to only accepts floating point or complex dtypes, but got desired \
dtype=gradlab.int64
RuntimeError Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, \
fpga, maia, xla, lazy, vulkan, mps, meta, hpu, mtia, privateuseone device type at start of \
device string: bogus
"""),
}


@pytest.mark.parity
@pytest.mark.parametrize("name", list(PRINTS))
def test_pinned_printout_is_what_pytorch_prints(name: str, torch: ModuleType) -> None:
    source, expected = PRINTS[name]
    assert pytorch_prints(source, torch) == expected


def test_reassigning_a_layer_or_parameter_keeps_its_place() -> None:
    source, expected = PRINTS["reassigning_a_layer_or_parameter_keeps_its_place"]
    assert prints(source, gradlab) == expected


def test_get_parameter_and_get_buffer_find_by_dotted_name_and_refuse_the_other_kind() -> None:
    source, expected = PRINTS["get_parameter_and_get_buffer"]
    assert prints(source, gradlab) == expected


def test_module_to_reads_its_arguments_as_tensor_to_does() -> None:
    source, expected = PRINTS["module_to_reads_its_arguments_as_tensor_to_does"]
    assert prints(source, gradlab) == expected


LAYERS = ["Linear(2, 1)", "Flatten()", "BatchNorm1d(2)", "LayerNorm(2)", "ReLU()", "Sequential()",
          "MSELoss()", "Dropout()", "Embedding(3, 2)", "ModuleList()", "Module()"]


def _messages(lib: ModuleType) -> list[str]:
    names = [lib.typename(eval(f"lib.nn.{layer}")) for layer in LAYERS]
    m = lib.nn.Linear(2, 1)
    for bad in (lambda: setattr(m, "weight", lib.nn.ReLU()), lambda: m.add_module("x", lib.nn.ReLU),
                lambda: lib.nn.Parameter([1.0])):
        try:
            bad()
        except (TypeError, AttributeError) as e:
            names.append(f"{type(e).__name__}: {str(e).splitlines()[0]}")
    return [n.replace("torch", "gradlab") for n in names]


def test_layers_go_by_pytorchs_module_path_in_messages() -> None:
    # as torch.typename names them; type(m) itself stays gradlab.nn.linear.Linear (pickling)
    assert _messages(gradlab)[:4] == [
        "gradlab.nn.modules.linear.Linear", "gradlab.nn.modules.flatten.Flatten",
        "gradlab.nn.modules.batchnorm.BatchNorm1d", "gradlab.nn.modules.normalization.LayerNorm"]
    assert _messages(gradlab)[-3:] == [
        "TypeError: cannot assign 'gradlab.nn.modules.activation.ReLU' as parameter 'weight' "
        "(gradlab.nn.Parameter or None expected)",
        "TypeError: gradlab.nn.modules.activation.ReLU is not a Module subclass",
        "AttributeError: 'list' object has no attribute 'detach'"]
    assert type(nn.Linear(1, 1)).__module__ == "gradlab.nn.linear"


@pytest.mark.parity
def test_layer_names_in_messages_are_pytorchs(torch: ModuleType) -> None:
    assert _messages(gradlab) == _messages(torch)


def test_traversals_are_generators_named_as_in_pytorch() -> None:
    m = nn.Sequential(nn.Linear(1, 1))
    for name in ("parameters", "named_parameters", "buffers", "named_buffers", "children",
                 "named_children", "modules", "named_modules"):
        assert repr(getattr(m, name)()).startswith(f"<generator object Module.{name} at 0x")


PARAMETER_LIST = """pl = nn.ParameterList([nn.Parameter(torch.zeros(2, 3)), torch.ones(1)])
print(pl, len(pl), type(pl[1]).__name__, pl[0:1])
pl.append(nn.Parameter(torch.zeros(1, dtype=torch.float64)))
pl.append(3)
print(pl, [name for name, _ in pl.named_parameters()], pl[-1])
for bad in (lambda: pl(1), lambda: pl[5], lambda: pl.extend(torch.ones(2))):
    try:
        bad()
    except (RuntimeError, IndexError, TypeError) as e:
        print(type(e).__name__, e)
print(nn.ParameterList())
"""
PARAMETER_LIST_PRINTS = """ParameterList(
    (0): Parameter containing: [gradlab.float32 of size 2x3]
    (1): Parameter containing: [gradlab.float32 of size 1]
) 2 Parameter ParameterList(  (0): Parameter containing: [gradlab.float32 of size 2x3])
ParameterList(
    (0): Parameter containing: [gradlab.float32 of size 2x3]
    (1): Parameter containing: [gradlab.float32 of size 1]
    (2): Parameter containing: [gradlab.float64 of size 1]
    (3): Object of type: int
) ['0', '1', '2'] 3
RuntimeError ParameterList should not be called.
IndexError index 5 is out of range
TypeError ParameterList.extend should be called with an iterable, but got Tensor
ParameterList()
"""


def test_parameter_list_registers_and_prints_as_pytorchs() -> None:
    assert prints(PARAMETER_LIST, gradlab) == PARAMETER_LIST_PRINTS


@pytest.mark.parity
def test_parameter_list_prints_what_pytorch_prints(torch: ModuleType) -> None:
    assert pytorch_prints(PARAMETER_LIST, torch) == PARAMETER_LIST_PRINTS

"""More PyTorch-parity checks for ``gradlab.nn``, ``gradlab.optim`` and ``gradlab.utils.data``.

Each case is a snippet run with ``torch`` bound to gradlab; its printout is pinned below (so the
tests check something without PyTorch) and, when PyTorch is installed, compared with what the
same snippet prints under PyTorch (``gradlab`` in names reads ``torch`` there).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import types

import pytest

import gradlab
import gradlab.nn
import gradlab.optim
import gradlab.utils.data


def run(source: str, lib: types.ModuleType) -> str:
    """What ``source`` prints with ``torch``, ``nn``, ``optim``, ``F`` and ``data`` from ``lib``."""
    env = {"torch": lib, "nn": lib.nn, "optim": lib.optim, "F": lib.nn.functional,
           "data": lib.utils.data}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(source, env)
    return out.getvalue()


def pytorch_prints(source: str, torch: types.ModuleType) -> str:
    for name in ("torch.nn", "torch.optim", "torch.utils.data"):
        importlib.import_module(name)

    return run(source, torch).replace("torch", "gradlab")


CASES: dict[str, tuple[str, str]] = {
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
    "adam_betas_must_be_both_floats_or_both_tensors": (
        """w = nn.Parameter(torch.ones(2))
try:
    optim.Adam([w], betas=(0, 0.9))
except ValueError as e:
    print(e)
o = optim.Adam([w], betas=(torch.tensor([0.9]), torch.tensor(0.99)))
print(o.defaults['betas'])
try:
    optim.Adam([w], betas=(torch.tensor([0.9, 0.8]), torch.tensor([0.9, 0.8])))
except RuntimeError as e:
    print(e)
""",
        """betas must be either both floats or both Tensors
(tensor(0.9000), tensor(0.9900))
Boolean value of Tensor with more than one value is ambiguous
"""),
    "sgd_lets_a_nan_learning_rate_through_like_pytorch": (
        """w = nn.Parameter(torch.ones(2))
print(optim.SGD([w], lr=float('nan')).defaults['lr'])
for make in (lambda: optim.Adam([w], lr=float('nan')), lambda: optim.SGD([w], lr=-1.0),
             lambda: optim.SGD([w], lr=0.1, momentum=-0.5)):
    try:
        make()
    except ValueError as e:
        print(e)
""",
        """nan
Invalid learning rate: nan
Invalid learning rate: -1.0
Invalid momentum value: -0.5
"""),
    "scheduler_state_dict_and_get_lr_warning": (
        """import warnings
w = nn.Parameter(torch.ones(2))
o = optim.SGD([w], lr=0.1)
s = optim.lr_scheduler.ExponentialLR(o, gamma=0.5)
o.step()
s.step()
for key, value in s.state_dict().items():
    print(key, value)
with warnings.catch_warnings(record=True) as ws:
    warnings.simplefilter('always')
    print(s.get_lr())
print([str(x.message) for x in ws])
""",
        """gamma 0.5
base_lrs [0.1]
last_epoch 1
_step_count 2
_is_initial False
_get_lr_called_within_step False
_last_lr [0.05]
[0.025]
['To get the last learning rate computed by the scheduler, please use `get_last_lr()`.']
"""),
    "more_lr_schedulers": (
        """def run(make, n=8):
    w = nn.Parameter(torch.ones(2))
    o = optim.SGD([w], lr=0.1)
    s = make(o)
    lrs = [s.get_last_lr()[0]]
    for _ in range(n):
        o.step()
        s.step()
        lrs.append(s.get_last_lr()[0])
    print(type(s).__name__, [round(lr, 6) for lr in lrs])
run(lambda o: optim.lr_scheduler.LambdaLR(o, lambda e: 0.9 ** e))
run(lambda o: optim.lr_scheduler.MultiplicativeLR(o, lambda e: 0.5))
run(lambda o: optim.lr_scheduler.MultiStepLR(o, [2, 5, 5], gamma=0.3))
run(lambda o: optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=3))
run(lambda o: optim.lr_scheduler.LinearLR(o, start_factor=0.2, total_iters=4))
run(lambda o: optim.lr_scheduler.PolynomialLR(o, total_iters=4, power=2.0))
run(lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=0.01))
""",
        """LambdaLR [0.1, 0.09, 0.081, 0.0729, 0.06561, 0.059049, 0.053144, 0.04783, 0.043047]
MultiplicativeLR [0.1, 0.05, 0.025, 0.0125, 0.00625, 0.003125, 0.001563, 0.000781, 0.000391]
MultiStepLR [0.1, 0.1, 0.03, 0.03, 0.03, 0.0027, 0.0027, 0.0027, 0.0027]
ConstantLR [0.05, 0.05, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]
LinearLR [0.02, 0.04, 0.06, 0.08, 0.1, 0.1, 0.1, 0.1, 0.1]
PolynomialLR [0.1, 0.05625, 0.025, 0.00625, 0.0, 0.0, 0.0, 0.0, 0.0]
CosineAnnealingLR [0.1, 0.08682, 0.055, 0.02318, 0.01, 0.02318, 0.055, 0.08682, 0.1]
"""),
    "reduce_lr_on_plateau": (
        """w = nn.Parameter(torch.ones(2))
o = optim.SGD([w], lr=0.1)
s = optim.lr_scheduler.ReduceLROnPlateau(o, patience=1, cooldown=1, factor=0.5)
for m in [1, 0.9, 0.95, 0.95, 0.95, 0.8, 0.81, 0.82]:
    s.step(m)
    print(round(s.get_last_lr()[0], 6), s.num_bad_epochs, s.cooldown_counter, s.best)
print(*sorted(s.state_dict()), sep=chr(10))
try:
    optim.lr_scheduler.ReduceLROnPlateau(o, factor=1.0)
except ValueError as e:
    print(e)
""",
        """0.1 0 0 1.0
0.1 0 0 0.9
0.1 1 0 0.9
0.05 0 1 0.9
0.05 0 0 0.9
0.05 0 0 0.8
0.05 1 0 0.8
0.025 0 1 0.8
_last_lr
best
cooldown
cooldown_counter
default_min_lr
eps
factor
last_epoch
min_lrs
mode
mode_worse
num_bad_epochs
patience
threshold
threshold_mode
Factor should be < 1.0.
"""),
    "unbatched_loader_turns_tuples_into_lists": (
        """ds = data.TensorDataset(torch.arange(3.))
print(list(data.DataLoader(ds, batch_size=None)))
""",
        """[[tensor(0.)], [tensor(1.)], [tensor(2.)]]
"""),
    "collate_keeps_strings_as_tuples": (
        """print(data.default_collate([(1, 'a'), (2, 'b')]))
""",
        """[tensor([1, 2]), ('a', 'b')]
"""),
    "concat_dataset_and_subset_random_sampler": (
        """ds = data.TensorDataset(torch.arange(3))
both = ds + ds
print(len(both), both[4], both[-1], both.cumulative_sizes)
print(list(data.SubsetRandomSampler([3, 4, 5, 6], generator=torch.Generator().manual_seed(1))))
""",
        """6 (tensor(1),) (tensor(2),) [3, 6]
[4, 6, 5, 3]
"""),
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


def check(name: str) -> None:
    """gradlab prints the pinned text (PyTorch's, checked by the test below)."""
    source, expected = CASES[name]
    assert run(source, gradlab) == expected


@pytest.mark.parity
@pytest.mark.parametrize("name", list(CASES))
def test_pinned_text_is_what_pytorch_prints(name: str, torch: types.ModuleType) -> None:
    source, expected = CASES[name]
    assert pytorch_prints(source, torch) == expected


def test_reassigning_a_layer_or_parameter_keeps_its_place() -> None:
    check("reassigning_a_layer_or_parameter_keeps_its_place")


def test_sequential_setitem_keeps_order() -> None:
    check("sequential_setitem_keeps_order")


def test_sequential_index_must_be_an_integer() -> None:
    check("sequential_index_must_be_an_integer")


def test_sequential_add_mul_pop() -> None:
    check("sequential_add_mul_pop")


def test_modulelist_add_pop_insert() -> None:
    check("modulelist_add_pop_insert")


def test_get_parameter_and_get_buffer() -> None:
    check("get_parameter_and_get_buffer")


def test_adam_betas_must_be_both_floats_or_both_tensors() -> None:
    check("adam_betas_must_be_both_floats_or_both_tensors")


def test_sgd_lets_a_nan_learning_rate_through_like_pytorch() -> None:
    check("sgd_lets_a_nan_learning_rate_through_like_pytorch")


def test_scheduler_state_dict_and_get_lr_warning() -> None:
    check("scheduler_state_dict_and_get_lr_warning")


def test_more_lr_schedulers() -> None:
    check("more_lr_schedulers")


def test_reduce_lr_on_plateau() -> None:
    check("reduce_lr_on_plateau")


def test_unbatched_loader_turns_tuples_into_lists() -> None:
    check("unbatched_loader_turns_tuples_into_lists")


def test_collate_keeps_strings_as_tuples() -> None:
    check("collate_keeps_strings_as_tuples")


def test_concat_dataset_and_subset_random_sampler() -> None:
    check("concat_dataset_and_subset_random_sampler")


def test_loss_target_dtype_errors() -> None:
    check("loss_target_dtype_errors")


def test_init_trunc_normal_orthogonal_sparse_eye_dirac() -> None:
    check("init_trunc_normal_orthogonal_sparse_eye_dirac")

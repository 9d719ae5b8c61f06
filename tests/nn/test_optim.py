"""Optimizers and schedulers: PyTorch's trajectories, bookkeeping, state dicts and errors.

The trajectories table holds the parameters PyTorch 2.13 reached after 100 steps on a fixed
quadratic problem (gradients computed in numpy from the current parameters, so both libraries
see the same gradients). SGD reproduces them bit for bit; the others to float32 precision,
because PyTorch's vectorised float32 ``sqrt`` is sometimes one unit in the last place below the
correctly rounded one numpy computes. ``test_optim_parity.py`` compares against torch itself.
"""

from __future__ import annotations

import copy
import warnings
from types import ModuleType

import numpy as np
import pytest
from support import prints, pytorch_prints

import gradlab
from gradlab import nn, optim
from gradlab.optim import lr_scheduler

START = [[[0.5, -1.2, 2.0], [0.1, 0.0, -0.3]], [0.25, -0.75]]
TARGET = [[[1.0, 1.0, -1.0], [0.5, -2.0, 0.0]], [-0.5, 0.5]]
SCALE = [[[1.0, 3.0, 0.5], [2.0, 0.25, 1.5]], [4.0, 0.1]]

# (optimizer, options, parameters after 100 steps in PyTorch 2.13)
TRAJECTORIES = [
    ("SGD", {"lr": 0.05},
     [[[0.9970397353172302, 0.9999998211860657, -0.7614482045173645],
       [0.49998939037323, -1.4314870834350586, -0.00012339411478023976]],
      [-0.4999999403953552, -0.25721311569213867]]),
    ("SGD", {"lr": 0.05, "momentum": 0.9},
     [[[1.0024923086166382, 1.0051548480987549, -1.0132609605789185],
       [0.49850451946258545, -2.0106186866760254, 0.0012644031085073948]],
      [-0.5021385550498962, 0.5044063329696655]]),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5, "weight_decay": 0.1},
     [[[0.910999059677124, 0.9791192412376404, -0.8306517004966736],
       [0.4770452678203583, -1.4263628721237183, -0.0007258669356815517]],
      [-0.4875302016735077, 0.25300267338752747]]),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "maximize": True},
     [[[-4205996.5, -3925679565438976.0, 30819.4453125],
       [-129551114240.0, 340.12060546875, -690563776.0]],
      [2.365619608125178e+18, -11.28737735748291]]),
    ("Adam", {"lr": 0.05},
     [[[0.9985316395759583, 1.0215071439743042, -0.9434003829956055],
       [0.5009570717811584, -2.0107152462005615, -0.0013518569758161902]],
      [-0.4967012107372284, 0.5012263059616089]]),
    ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1},
     [[[0.9093444347381592, 0.9881259202957153, -0.8118624091148376],
       [0.4778716266155243, -1.4206583499908447, -0.0013535601319745183]],
      [-0.4848190248012543, 0.254361629486084]]),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.9), "maximize": True},
     [[[-4.823781967163086, -6.402576446533203, 7.17273473739624],
       [-5.235342502593994, 5.211788654327393, -5.647255897521973]],
      [5.547517776489258, -6.005801677703857]]),
    ("AdamW", {"lr": 0.05},
     [[[0.9975179433822632, 1.0114721059799194, -0.9363634586334229],
       [0.5005956888198853, -1.9948680400848389, -0.001312511507421732]],
      [-0.4959678649902344, 0.4995954632759094]]),
    ("AdamW", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.5},
     [[[0.9399983882904053, 0.7091518640518188, -0.6321249604225159],
       [0.4821168780326843, -1.3135733604431152, -4.5401589886751026e-05]],
      [-0.4597926735877991, 0.42814552783966064]]),
    ("RMSprop", {"lr": 0.01},
     [[[0.9999998211860657, 0.40330222249031067, 0.2626371383666992],
       [0.4999999403953552, -1.5499228239059448, -2.5000887159176245e-17]],
      [-0.4994828999042511, 0.44144436717033386]]),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1},
     [[[0.9090908765792847, 0.9443780779838562, -0.6961742043495178],
       [0.4761904776096344, -1.4283853769302368, 6.723507983799241e-17]],
      [-0.48780491948127747, 0.2499999850988388]]),
    ("Adagrad", {"lr": 0.1},
     [[[0.9999944567680359, 0.2927917242050171, 0.39496782422065735],
       [0.49999991059303284, -1.4486546516418457, -4.0844161820069447e-13]],
      [-0.4976426362991333, 0.40088972449302673]]),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1,
                 "initial_accumulator_value": 0.1},
     [[[0.9090510606765747, 0.03598514199256897, 0.7123770713806152],
       [0.47618743777275085, -1.0734459161758423, -7.12435976879533e-08]],
      [-0.4751235246658325, 0.09787249565124512]]),
]


def quadratic_run(name: str, options: dict, steps: int = 100) -> list[np.ndarray]:
    """Minimise sum(scale * (p - target) ** 2 / 2) with gradients computed in numpy."""
    params = [gradlab.tensor(s, requires_grad=True) for s in START]
    optimizer = getattr(optim, name)(params, **options)
    targets = [np.array(t, dtype=np.float32) for t in TARGET]
    scales = [np.array(s, dtype=np.float32) for s in SCALE]
    for _ in range(steps):
        for p, t, s in zip(params, targets, scales):
            p.grad = gradlab.tensor((p.detach().numpy() - t) * s)
        optimizer.step()
    return [p.detach().numpy() for p in params]


@pytest.mark.parametrize("name, options, expected", TRAJECTORIES,
                         ids=[f"{n}-{'-'.join(o)}" for n, o, _ in TRAJECTORIES])
def test_100_steps_reach_pytorchs_parameters(name, options, expected):
    for got, want in zip(quadratic_run(name, options), expected):
        want = np.array(want, dtype=np.float32)
        if name == "SGD":
            assert np.array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def thermometer_fit(make_optimizer, epochs: int = 5000) -> tuple[gradlab.Tensor, float]:
    t_c, t_u = gradlab.datasets.thermometer()
    t_un = 0.1 * t_u
    params = gradlab.tensor([1.0, 0.0], requires_grad=True)
    optimizer = make_optimizer([params])
    for _ in range(epochs):
        loss = ((params[0] * t_un + params[1] - t_c) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return params, loss.item()


def test_sgd_fits_the_thermometer_like_the_hand_written_loop():
    params, loss = thermometer_fit(lambda p: optim.SGD(p, lr=1e-2))
    assert repr(params) == "tensor([  5.3671, -17.3012], requires_grad=True)"
    assert abs(loss - 2.927647) < 2e-6


# -- bookkeeping --------------------------------------------------------------------------------


@pytest.fixture
def two_params() -> list[nn.Parameter]:
    return [nn.Parameter(gradlab.tensor([1.0, -2.0])), nn.Parameter(gradlab.tensor([0.5]))]


def test_param_groups_carry_their_own_options(two_params):
    a, b = two_params
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.0}], lr=0.5)
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.0]
    a.grad, b.grad = gradlab.ones(2), gradlab.ones(1)
    opt.step()
    assert a.tolist() == [0.5, -2.5] and b.tolist() == [0.5]


def test_add_param_group_fills_in_the_defaults(two_params):
    a, b = two_params
    opt = optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": b, "eps": 1e-3})
    group = opt.param_groups[1]
    assert group["params"] == [b] and group["lr"] == 0.1 and group["eps"] == 1e-3
    assert list(group)[0] == "params"


def test_step_skips_parameters_without_gradients(two_params):
    a, b = two_params
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = gradlab.ones(2)
    opt.step()
    assert b.tolist() == [0.5] and b not in opt.state
    assert opt.state[a]["step"].item() == 1.0


def test_zero_grad_sets_none_or_zeros(two_params):
    opt = optim.SGD(two_params, lr=0.1)
    for p in two_params:
        p.grad = gradlab.ones(p.shape)
    opt.zero_grad(set_to_none=False)
    assert [p.grad.tolist() for p in two_params] == [[0.0, 0.0], [0.0]]
    opt.zero_grad()
    assert all(p.grad is None for p in two_params)


def test_step_with_closure_returns_its_loss(two_params):
    a, _ = two_params
    opt = optim.SGD([a], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (a**2).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 5.0
    assert a.tolist() == [0.5, -1.0]


def test_optimizer_prints_its_groups_like_pytorch(two_params):
    assert repr(optim.SGD(two_params, lr=0.01)) == (
        "SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n"
        "    foreach: None\n    fused: None\n    lr: 0.01\n    maximize: False\n"
        "    momentum: 0\n    nesterov: False\n    weight_decay: 0\n)")


def test_state_dict_uses_indices_and_round_trips(two_params):
    a, b = two_params
    opt = optim.Adam([a, b], lr=0.1)
    a.grad, b.grad = gradlab.ones(2), gradlab.ones(1)
    opt.step()
    state = opt.state_dict()
    assert list(state["state"]) == [0, 1]
    assert repr(state["state"][0]["step"]) == "tensor(1.)"
    assert repr(state["state"][0]["exp_avg_sq"]) == "tensor([0.0010, 0.0010])"
    assert state["param_groups"][0]["params"] == [0, 1]
    assert state["param_groups"][0]["betas"] == (0.9, 0.999)

    clones = [nn.Parameter(p.detach().clone()) for p in (a, b)]
    restored = optim.Adam(clones, lr=0.5)
    restored.load_state_dict(copy.deepcopy(state))  # a saved copy, as torch.save would make
    assert restored.param_groups[0]["lr"] == 0.1 and restored.param_groups[0]["params"] == clones
    for p, q in zip((a, b), clones):
        p.grad, q.grad = gradlab.ones(p.shape), gradlab.ones(q.shape)
    opt.step()
    restored.step()
    assert [p.tolist() for p in (a, b)] == [q.tolist() for q in clones]


def test_load_state_dict_refuses_a_different_layout(two_params):
    a, b = two_params
    state = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="loaded state dict contains a parameter group that "
                       "doesn't match the size of optimizer's group"):
        optim.SGD([a], lr=0.1).load_state_dict(state)
    with pytest.raises(ValueError, match="loaded state dict has a different number of "
                       "parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(state)


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_negative_learning_rate_is_refused(name, two_params):
    with pytest.raises(ValueError, match="^Invalid learning rate: -0.1$"):
        getattr(optim, name)(two_params, lr=-0.1)


def test_empty_parameter_list_is_refused():
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.Adam(nn.ReLU().parameters())


def test_non_leaf_and_non_tensor_parameters_are_refused(two_params):
    a, _ = two_params
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([a * 2], lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the "
                       "params is float"):
        optim.SGD([a, 1.0], lr=0.1)
    with pytest.raises(TypeError, match="params argument given to the optimizer should be an "
                       "iterable of Tensors or dicts, but got gradlab.FloatTensor"):
        optim.SGD(a, lr=0.1)


def test_a_parameter_in_two_groups_is_refused(two_params):
    a, _ = two_params
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter "
                       "group"):
        optim.SGD([{"params": [a]}, {"params": [a]}], lr=0.1)


def test_invalid_options_are_refused_with_pytorchs_messages(two_params):
    with pytest.raises(ValueError, match="Invalid beta parameter at index 0: 1.0"):
        optim.Adam(two_params, betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero "
                       "dampening"):
        optim.SGD(two_params, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid momentum value: -0.5"):
        optim.SGD(two_params, lr=0.1, momentum=-0.5)


# -- learning-rate schedulers -------------------------------------------------------------------


def test_step_lr_decays_every_step_size_epochs(two_params):
    opt = optim.SGD(two_params, lr=1.0, momentum=0.9)
    scheduler = lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    rates = []
    for _ in range(8):
        opt.step()
        scheduler.step()
        rates.append(scheduler.get_last_lr()[0])
    assert rates == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    assert scheduler.last_epoch == 8 and opt.param_groups[0]["initial_lr"] == 1.0


def test_exponential_lr_multiplies_each_epoch_like_pytorch(two_params):
    opt = optim.SGD(two_params, lr=1.0)
    scheduler = lr_scheduler.ExponentialLR(opt, gamma=0.9)
    rates = []
    for _ in range(5):
        opt.step()
        scheduler.step()
        rates.append(opt.param_groups[0]["lr"])
    assert rates == [0.9, 0.81, 0.7290000000000001, 0.6561000000000001, 0.5904900000000002]


def test_scheduler_step_before_optimizer_step_warns(two_params):
    opt = optim.SGD(two_params, lr=1.0)
    scheduler = lr_scheduler.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before "
                      "`optimizer.step\\(\\)`"):
        scheduler.step()
    opt2 = optim.SGD(two_params, lr=1.0)
    scheduler2 = lr_scheduler.StepLR(opt2, 2)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler2.step()


def test_scheduler_state_dict_leaves_out_the_optimizer(two_params):
    scheduler = lr_scheduler.StepLR(optim.SGD(two_params, lr=1.0), step_size=2)
    state = scheduler.state_dict()
    assert "optimizer" not in state and state["step_size"] == 2 and state["last_epoch"] == 0


# -- printed as PyTorch prints it: each snippet's output is pinned, and compared with what the
# same snippet prints under PyTorch when importable (``gradlab`` in names reads ``torch`` there)

PRINTS: dict[str, tuple[str, str]] = {
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
}


@pytest.mark.parity
@pytest.mark.parametrize("name", list(PRINTS))
def test_pinned_printout_is_what_pytorch_prints(name: str, torch: ModuleType) -> None:
    source, expected = PRINTS[name]
    assert pytorch_prints(source, torch) == expected


def test_adam_betas_must_be_both_floats_or_both_tensors() -> None:
    source, expected = PRINTS["adam_betas_must_be_both_floats_or_both_tensors"]
    assert prints(source, gradlab) == expected


def test_sgd_lets_a_nan_learning_rate_through_like_pytorch() -> None:
    source, expected = PRINTS["sgd_lets_a_nan_learning_rate_through_like_pytorch"]
    assert prints(source, gradlab) == expected


def test_scheduler_state_dict_and_get_lr_warning() -> None:
    source, expected = PRINTS["scheduler_state_dict_and_get_lr_warning"]
    assert prints(source, gradlab) == expected


def test_lr_schedulers_give_pytorchs_learning_rates_epoch_by_epoch() -> None:
    source, expected = PRINTS["more_lr_schedulers"]
    assert prints(source, gradlab) == expected


def test_reduce_lr_on_plateau_halves_the_rate_after_patience_then_cools_down() -> None:
    source, expected = PRINTS["reduce_lr_on_plateau"]
    assert prints(source, gradlab) == expected


SEQUENTIAL = """o = optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
warm = optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=3)
decay = optim.lr_scheduler.ExponentialLR(o, gamma=0.5)
s = optim.lr_scheduler.SequentialLR(o, [warm, decay], milestones=[3])
print(s.get_last_lr(), warm.last_epoch, decay.last_epoch)
lrs = []
for _ in range(8):
    o.step()
    s.step()
    lrs.append(round(s.get_last_lr()[0], 12))
print(lrs)
print(sorted(s.state_dict()))
c = optim.lr_scheduler.ChainedScheduler([optim.lr_scheduler.ConstantLR(o, factor=0.1),
                                         optim.lr_scheduler.ExponentialLR(o, gamma=0.9)])
chained = []
for _ in range(3):
    o.step()
    c.step()
    chained.append(round(c.get_last_lr()[0], 12))
print(chained)
for bad in (lambda: optim.lr_scheduler.SequentialLR(o, [warm], [1]),
            lambda: optim.lr_scheduler.SequentialLR(o, [warm, 3], [1]),
            lambda: optim.lr_scheduler.ChainedScheduler([])):
    try:
        bad()
    except (ValueError, TypeError) as e:
        print(type(e).__name__, str(e)[:70].rstrip())
"""
SEQUENTIAL_PRINTS = """[0.010000000000000002] 0 -1
[0.04, 0.07, 0.1, 0.05, 0.025, 0.0125, 0.00625, 0.003125]
['_last_lr', '_milestones', '_schedulers', 'last_epoch']
[0.00028125, 0.000253125, 0.0002278125]
ValueError Sequential Schedulers expects number of schedulers provided to be one
TypeError SequentialLR at index 1 should have `optimizer` as its attribute.
ValueError ChainedScheduler expects at least one scheduler to be chained, but got
"""


def test_sequential_and_chained_schedulers_step_as_pytorchs() -> None:
    assert prints(SEQUENTIAL, gradlab) == SEQUENTIAL_PRINTS


@pytest.mark.parity
def test_sequential_and_chained_schedulers_print_what_pytorch_prints(torch: ModuleType) -> None:
    assert pytorch_prints(SEQUENTIAL, torch) == SEQUENTIAL_PRINTS


WARM_RESTARTS = """for kw in [dict(T_0=3), dict(T_0=2, T_mult=2, eta_min=0.01)]:
    o = optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    s = optim.lr_scheduler.CosineAnnealingWarmRestarts(o, **kw)
    for _ in range(7):
        o.step()
        s.step()
        print(repr(s.get_last_lr()[0]), s.T_cur, s.T_i)
    for e in [0.5, 7, 13.25]:
        s.step(e)
        print(e, repr(o.param_groups[0]['lr']), s.T_cur, s.T_i, s.last_epoch)
for kw in [dict(T_0=2.5), dict(T_0=2, T_mult=0)]:
    try:
        optim.lr_scheduler.CosineAnnealingWarmRestarts(o, **kw)
    except ValueError as e:
        print(e)
"""
WARM_RESTARTS_PRINTS = """0.07500000000000001 1 3
0.025000000000000012 2 3
0.1 0 3
0.07500000000000001 1 3
0.025000000000000012 2 3
0.1 0 3
0.07500000000000001 1 3
0.5 0.09330127018922195 0.5 3 0
7 0.07500000000000001 1 3 7
13.25 0.06294095225512604 1.25 3 13
0.05500000000000001 1 2
0.1 0 4
0.08681980515339464 1 4
0.05500000000000001 2 4
0.023180194846605363 3 4
0.1 0 8
0.0965745789630079 1 8
0.5 0.08681980515339464 0.5 2 0
7 0.0965745789630079 1.0 8 7
13.25 0.011937684892050604 7.25 8 13
Expected positive integer T_0, but got 2.5
Expected integer T_mult >= 1, but got 0
"""


def test_cosine_annealing_warm_restarts_as_pytorchs() -> None:
    assert prints(WARM_RESTARTS, gradlab) == WARM_RESTARTS_PRINTS


@pytest.mark.parity
def test_cosine_annealing_warm_restarts_prints_what_pytorch_prints(torch: ModuleType) -> None:
    assert pytorch_prints(WARM_RESTARTS, torch) == WARM_RESTARTS_PRINTS

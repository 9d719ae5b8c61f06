"""gradlab.optim against PyTorch itself: 100-step trajectories for every optimizer and option.

Two problems: a quadratic whose gradients are computed in numpy from the parameters (both
libraries see identical gradients, isolating the update rule: SGD must agree bit for bit), and
a small network trained end to end through each library's own autograd from the same weights.
Skipped without torch (CI); ``test_optim.py`` pins the same trajectories with written-in values.
"""

from __future__ import annotations

import numpy as np
import pytest

import gradlab
from gradlab import optim as goptim

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.parity

CONFIGS = [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "maximize": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5}),
    ("RMSprop", {"lr": 0.01, "centered": True, "weight_decay": 0.1, "alpha": 0.9}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1,
                 "initial_accumulator_value": 0.2, "eps": 1e-6}),
]
IDS = [f"{name}-{'-'.join(options)}" for name, options in CONFIGS]


def quadratic(lib, optimizers, name: str, options: dict, steps: int = 100) -> np.ndarray:
    rng = np.random.default_rng(0)
    shapes = [(40, 33), (33,), (5, 1), ()]
    start = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    target = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    scale = [rng.uniform(0.1, 3.0, s).astype(np.float32) for s in shapes]
    params = [lib.tensor(a, requires_grad=True) for a in start]
    optimizer = getattr(optimizers, name)(params, **options)
    path = []
    for _ in range(steps):
        for p, t, s in zip(params, target, scale):
            p.grad = lib.tensor((p.detach().numpy() - t) * s)
        optimizer.step()
        path.append(np.concatenate([p.detach().numpy().ravel() for p in params]))
    return np.array(path)


@pytest.mark.parametrize("name, options", CONFIGS, ids=IDS)
def test_update_rule_trajectory_equals_pytorchs(name, options):
    ours = quadratic(gradlab, goptim, name, options)
    theirs = quadratic(torch, torch.optim, name, options)
    if name == "SGD":
        assert np.array_equal(ours, theirs)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def network(lib, weights: list[np.ndarray]):
    nn = lib.nn
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    with lib.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(lib.tensor(w))
    return model


NETWORK_CONFIGS = [(n, o) for n, o in CONFIGS if not o.get("maximize")]  # maximizing diverges


@pytest.mark.parametrize("name, options", NETWORK_CONFIGS,
                         ids=[i for i, (_, o) in zip(IDS, CONFIGS) if not o.get("maximize")])
def test_training_a_network_follows_pytorchs_trajectory(name, options):
    """Gradients differ from PyTorch's in the last bits (summation order), so the paths agree to
    a tolerance; RMSprop's normalised steps amplify such noise, so it runs at a smaller rate."""
    if name == "RMSprop":
        options = {**options, "lr": 1e-3}
    rng = np.random.default_rng(1)
    weights = [rng.uniform(-0.5, 0.5, s).astype(np.float32) for s in ((8, 3), (8,), (1, 8), (1,))]
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = (np.sin(x.sum(1, keepdims=True)) + 0.1).astype(np.float32)
    losses, finals = [], []
    for lib, optimizers in ((torch, torch.optim), (gradlab, goptim)):
        model = network(lib, weights)
        optimizer = getattr(optimizers, name)(model.parameters(), **options)
        xb, yb, curve = lib.tensor(x), lib.tensor(y), []
        for _ in range(100):
            optimizer.zero_grad()
            loss = lib.nn.functional.mse_loss(model(xb), yb)
            loss.backward()
            optimizer.step()
            curve.append(loss.item())
        losses.append(curve)
        finals.append(np.concatenate([p.detach().numpy().ravel() for p in model.parameters()]))
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-4)
    np.testing.assert_allclose(finals[1], finals[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name, options", CONFIGS[::3], ids=IDS[::3])
def test_state_dict_equals_pytorchs(name, options):
    dicts = []
    for lib, optimizers in ((torch, torch.optim), (gradlab, goptim)):
        params = [lib.tensor([1.0, -2.0], requires_grad=True), lib.tensor(0.5, requires_grad=True)]
        optimizer = getattr(optimizers, name)(params, **options)
        for _ in range(3):
            for p in params:
                p.grad = p.detach() * 2
            optimizer.step()
        dicts.append(optimizer.state_dict())
    theirs, ours = dicts
    assert ours["param_groups"] == theirs["param_groups"]
    assert list(ours["state"]) == list(theirs["state"])
    for index, state in theirs["state"].items():
        assert list(ours["state"][index]) == list(state)
        for key, value in state.items():
            np.testing.assert_allclose(ours["state"][index][key].numpy(), value.numpy(),
                                       rtol=1e-6)


def test_optimizer_printout_equals_pytorchs():
    texts = []
    for lib, optimizers in ((torch, torch.optim), (gradlab, goptim)):
        a, b = lib.zeros(2, requires_grad=True), lib.zeros(1, requires_grad=True)
        for name, options in CONFIGS[::4]:
            opt = getattr(optimizers, name)([{"params": [a]}, {"params": [b], "lr": 0.5}],
                                            **options)
            texts.append(repr(opt))
    half = len(texts) // 2
    assert texts[half:] == texts[:half]


@pytest.mark.parametrize("make", [
    lambda sched, opt: sched.StepLR(opt, step_size=3, gamma=0.3),
    lambda sched, opt: sched.StepLR(opt, step_size=1),
    lambda sched, opt: sched.ExponentialLR(opt, gamma=0.97),
])
def test_schedules_equal_pytorchs(make):
    rates = []
    for lib, optimizers in ((torch, torch.optim), (gradlab, goptim)):
        a = lib.zeros(2, requires_grad=True)
        opt = optimizers.SGD([{"params": [a]}, {"params": [], "lr": 0.3}], lr=0.7)
        scheduler = make(optimizers.lr_scheduler, opt)
        seen = []
        for _ in range(20):
            opt.step()
            scheduler.step()
            seen.append(scheduler.get_last_lr())
        rates.append(seen)
    assert rates[0] == rates[1]


ADAM_CONFIGS = [(n, o) for n, o in CONFIGS if n in ("Adam", "AdamW")]


@pytest.mark.parametrize("name, options", ADAM_CONFIGS,
                         ids=[i for i, (n, _) in zip(IDS, CONFIGS) if n in ("Adam", "AdamW")])
def test_adam_steps_equal_pytorchs_bit_for_bit_except_where_sqrt_differs(name, options):
    """From the same parameters, state and gradients (wild ones: zeros, 60 binades, subnormal
    moments), each step gives PyTorch's moments bit for bit, and its parameters wherever
    PyTorch's float32 sqrt (MKL's, not always correctly rounded) agrees with numpy's."""
    rng = np.random.default_rng(7)
    shapes = [(40, 33), (33,), (5, 1), ()]
    start = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    libs = []
    for lib, optimizers in ((torch, torch.optim), (gradlab, goptim)):
        params = [lib.tensor(a, requires_grad=True) for a in start]
        libs.append((lib, params, getattr(optimizers, name)(params, **options)))
    (_, tparams, topt), (_, gparams, gopt) = libs
    for step in range(12):
        grads = [np.asarray(rng.standard_normal(s) * np.exp(rng.uniform(-30, 30, s)),
                            dtype=np.float32) for s in shapes]
        if step == 4:
            grads[0][:5] = 0
        for lib, params, optimizer in libs:
            for p, g in zip(params, grads):
                p.grad = lib.tensor(g)
            optimizer.step()
        for tp, gp in zip(tparams, gparams):
            tstate, gstate = topt.state[tp], gopt.state[gp]
            assert list(gstate) == list(tstate)
            for key, value in tstate.items():
                assert np.array_equal(gstate[key].numpy().view(np.uint32),
                                      value.numpy().view(np.uint32)), key
            second = tstate.get("max_exp_avg_sq", tstate["exp_avg_sq"])
            same_sqrt = torch.sqrt(second).numpy() == np.sqrt(second.numpy())
            ours, theirs = gp.detach().numpy(), tp.detach().numpy()
            assert np.array_equal(ours[same_sqrt].view(np.uint32),
                                  theirs[same_sqrt].view(np.uint32))
            np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-7)
            with gradlab.no_grad():  # carry on from PyTorch's parameters
                gp.copy_(gradlab.tensor(theirs))


@pytest.mark.parametrize("betas, state, value, grad", [
    ((0.625, 0.999), "exp_avg", -(2.0**-70), 1 + 2.0**-23),
    ((0.9, 0.75 - 2.0**-24), "exp_avg_sq", (2**22 + 4) * 2.0**-149, 2.0**-74 * (1 - 2.0**-23)),
], ids=["lerp-tie", "addcmul-subnormal-tie"])
def test_adam_rounds_float32_ties_once_like_pytorch(betas, state, value, grad):
    """Sums that float64 would round onto a float32 tie: PyTorch's fused kernels round once."""
    moments = []
    for lib, optimizers in ((torch, torch.optim), (gradlab, goptim)):
        p = lib.zeros(1, requires_grad=True)
        optimizer = optimizers.Adam([p], lr=0.1, betas=betas)
        p.grad = lib.zeros(1)
        optimizer.step()
        with lib.no_grad():
            optimizer.state[p][state].copy_(lib.tensor([value]))
        p.grad = lib.tensor([grad])
        optimizer.step()
        moments.append(optimizer.state[p][state].numpy().copy())
    assert moments[0].view(np.uint32) == moments[1].view(np.uint32)

"""Training helpers tutorials use, as PyTorch's: gradient clipping (nn.utils), the 1cycle
schedule (OneCycleLR) and ModuleDict. Written-in values were printed by torch 2.13."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim


@pytest.fixture
def two_params():
    p, q = nn.Parameter(gradlab.zeros(3)), nn.Parameter(gradlab.zeros(2))
    p.grad, q.grad = gradlab.tensor([3., 0., 4.]), gradlab.tensor([12., 0.])
    return p, q


def test_clip_grad_norm_scales_all_gradients_by_one_factor(two_params):
    p, q = two_params
    total = nn.utils.clip_grad_norm_([p, q], 6.5)
    assert isinstance(total, gradlab.Tensor) and total.item() == 13.0
    np.testing.assert_allclose(p.grad.numpy(), [1.5, 0, 2.0], rtol=1e-6)
    np.testing.assert_allclose(q.grad.numpy(), [6.0, 0], rtol=1e-6)


def test_clip_grad_norm_never_scales_up_and_takes_other_norms(two_params):
    p, _ = two_params
    p.grad = gradlab.tensor([3., -4., 0.5])
    assert nn.utils.clip_grad_norm_(p, 10.0, norm_type="inf").item() == 4.0
    assert p.grad.tolist() == [3.0, -4.0, 0.5]


def test_clip_grad_value_clamps_each_element(two_params):
    p, _ = two_params
    p.grad = gradlab.tensor([3., -4., 0.5])
    nn.utils.clip_grad_value_(p, 1.0)
    assert p.grad.tolist() == [1.0, -1.0, 0.5]


def test_clip_grad_norm_warnings_and_errors_are_pytorchs():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert nn.utils.clip_grad_norm_((p for p in []), 1.0).item() == 0.0
    assert [str(w.message) for w in caught] == [
        "`parameters` is an empty generator, no gradient clipping will occur."]
    p = nn.Parameter(gradlab.zeros(2))
    p.grad = gradlab.tensor([1.0, float("inf")])
    with pytest.raises(RuntimeError, match="^The total norm of order 2.0 for gradients from "
                                           "`parameters` is non-finite"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)


def test_one_cycle_warms_up_then_anneals_with_momentum_opposite():
    p = nn.Parameter(gradlab.zeros(1))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    lrs, moms = [opt.param_groups[0]["lr"]], [opt.param_groups[0]["momentum"]]
    for _ in range(9):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
    assert lrs == [0.040000000000000036, 0.52, 1.0, 0.9504846320134737, 0.8117456539497631,
                   0.6112620219362893, 0.38874197806371075, 0.18825834605023697,
                   0.049519367986526286, 4e-06]
    assert moms[:3] == [0.95, 0.8999999999999999, 0.85] and moms[-1] == 0.95
    opt.step()
    sched.step()
    with pytest.raises(ValueError, match="^Tried to step 11 times. The specified number of "
                                         "total steps is 10$"):
        sched.step()


def test_one_cycle_argument_errors_are_pytorchs():
    p = [nn.Parameter(gradlab.zeros(1))]
    one_cycle = optim.lr_scheduler.OneCycleLR
    with pytest.raises(ValueError, match="^You must define either total_steps OR"):
        one_cycle(optim.SGD(p, lr=0.1), max_lr=1, epochs=2)
    with pytest.raises(ValueError, match="^Expected float between 0 and 1 pct_start, but got 1$"):
        one_cycle(optim.SGD(p, lr=0.1), max_lr=1, total_steps=5, pct_start=1)
    with pytest.raises(ValueError, match="^optimizer must support momentum or beta1"):
        one_cycle(optim.Adagrad(p, lr=0.1), max_lr=1, total_steps=5)


def test_module_dict_registers_modules_under_their_keys_in_order():
    d = nn.ModuleDict({"b": nn.Linear(1, 2), "a": nn.ReLU()})
    d["c"] = nn.Tanh()
    assert list(d) == ["b", "a", "c"] and "a" in d and len(d) == 3
    assert [name for name, _ in d.named_parameters()] == ["b.weight", "b.bias"]
    d.update([("z", nn.Sigmoid())])
    assert repr(d.pop("a")) == "ReLU()" and list(d.keys()) == ["b", "c", "z"]
    assert repr(nn.ModuleDict({"a": nn.ReLU()})) == "ModuleDict(\n  (a): ReLU()\n)"
    with pytest.raises(ValueError, match="^ModuleDict update sequence element #0 has length 1; "
                                         "2 is required$"):
        d.update([("x",)])
    with pytest.raises(TypeError, match="^ModuleDict.update should be called with an iterable "
                                        "of key/value pairs, but got int$"):
        d.update(5)


@pytest.mark.parity
@pytest.mark.parametrize("opt_name, kwargs, sched", [
    ("SGD", {"lr": 0.1, "momentum": 0.9}, {"total_steps": 20}),
    ("Adam", {"lr": 0.1}, {"epochs": 3, "steps_per_epoch": 7, "three_phase": True,
                           "anneal_strategy": "linear"}),
    ("AdamW", {"lr": 1e-3}, {"total_steps": 10, "pct_start": 0.5, "max_lr": [0.2]}),
])
def test_one_cycle_schedule_equals_pytorchs(opt_name, kwargs, sched):
    torch = pytest.importorskip("torch")
    traces = []
    for lib in (torch, gradlab):
        opt = getattr(lib.optim, opt_name)([lib.nn.Parameter(lib.zeros(2))], **kwargs)
        s = lib.optim.lr_scheduler.OneCycleLR(opt, **{"max_lr": 0.5, **sched})
        trace = []
        for _ in range(s.total_steps - 1):
            opt.step()
            s.step()
            group = opt.param_groups[0]
            trace.append((group["lr"], group.get("momentum"), group.get("betas")))
        traces.append(trace)
    assert traces[0] == traces[1]


@pytest.mark.parity
def test_clip_grad_norm_matches_pytorch_on_a_model():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, gradlab):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(4, 5), lib.nn.ReLU(), lib.nn.Linear(5, 2))
        x, y = lib.randn(8, 4), lib.randn(8, 2)
        lib.nn.functional.mse_loss(model(x), y).backward()
        total = lib.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        results.append([total.numpy()] + [p.grad.numpy() for p in model.parameters()])
    for t, g in zip(*results):
        np.testing.assert_allclose(g, t, rtol=1e-6, atol=1e-7)


def test_parameters_go_to_one_vector_and_back() -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    vec = nn.utils.parameters_to_vector(model.parameters())
    assert vec.shape == (9,) and vec.grad_fn.name() == "CatBackward0"
    assert vec[:4].tolist() == model[0].weight.flatten().tolist()
    nn.utils.vector_to_parameters(gradlab.arange(9.0), model.parameters())
    assert model[1].weight.tolist() == [[6.0, 7.0]] and model[1].bias.tolist() == [8.0]
    assert isinstance(model[0].weight, nn.Parameter) and model[0].weight.requires_grad
    with pytest.raises(TypeError, match="expected gradlab.Tensor, but got: list"):
        nn.utils.vector_to_parameters([1.0], model.parameters())

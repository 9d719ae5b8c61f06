"""Adam's group-at-once update gives the bits of its per-parameter update, in every option.

gradlab keeps a group's float32 moments side by side and updates them in one pass
(``gradlab/optim/_flat.py``); after ``load_state_dict`` of a copied state, or with float64
parameters, the same optimizer updates parameter by parameter. Both must agree bit for bit,
including on the rare sums where rounding through float64 would round twice.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import gradlab
from gradlab import optim
from gradlab._numerics.floats import fma32

SHAPES = [(7, 5), (5,), (3, 1), (), (64, 33)]
OPTIONS = [
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "maximize": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "betas": (0.3, 0.5)}),  # lerp weight >= 0.5: the other formula
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True}),
]


def wild_gradient(rng: np.random.Generator, shape: tuple, step: int) -> np.ndarray:
    """Gradients over 60 binades, with zeros and dead steps, to reach subnormal moments."""
    g = np.asarray(rng.standard_normal(shape) * np.exp(rng.uniform(-30, 30, shape)),
                   dtype=np.float32)
    if step % 7 == 3:
        g[...] = 0
    return g


def trajectory(name: str, options: dict, seed: int, reload_at: int | None,
               steps: int = 40) -> tuple[list[np.ndarray], list[int]]:
    """Parameters and state after each step, and the parameters' versions; ``reload_at``
    swaps in a copied state dict (so the optimizer continues parameter by parameter)."""
    rng = np.random.default_rng(seed)
    params = [gradlab.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
              for s in SHAPES]
    optimizer = getattr(optim, name)(params, **options)
    seen = []
    for step in range(steps):
        if step == reload_at:
            optimizer.load_state_dict(copy.deepcopy(optimizer.state_dict()))
        for p in params:
            p.grad = gradlab.tensor(wild_gradient(rng, p.shape, step))
        optimizer.step()
        values = [p.detach().numpy() for p in params]
        values += [t.numpy() for s in optimizer.state.values() for t in s.values()]
        seen.append(np.concatenate([v.ravel() for v in values]).view(np.uint32))
    return seen, [p._version for p in params]


@pytest.mark.parametrize("name, options", OPTIONS, ids=[f"{n}-{'-'.join(o)}" for n, o in OPTIONS])
@pytest.mark.parametrize("seed", range(3))
def test_group_update_equals_the_per_parameter_update_bit_for_bit(name, options, seed):
    flat, flat_versions = trajectory(name, options, seed, reload_at=None)
    split, split_versions = trajectory(name, options, seed, reload_at=1)
    for a, b in zip(flat, split):
        assert np.array_equal(a, b)
    assert flat_versions == split_versions


def test_in_place_versions_count_each_kernel_like_pytorch():
    """step += 1, lerp_, mul_ + addcmul_, maximum(out=) and addcdiv_ each bump a version."""
    for reload_at in (None, 0):
        p = gradlab.tensor([1.0, 2.0, 3.0], requires_grad=True)
        optimizer = optim.Adam([p], lr=0.1, amsgrad=True)
        for step in range(2):
            if step == reload_at:
                optimizer.load_state_dict(copy.deepcopy(optimizer.state_dict()))
            p.grad = gradlab.ones(3)
            optimizer.step()
        versions = {k: t._version for k, t in optimizer.state[p].items()}
        assert p._version == 2
        assert versions == {"step": 2, "exp_avg": 2, "exp_avg_sq": 4, "max_exp_avg_sq": 2}


def test_a_sum_that_float64_rounds_to_a_tie_is_rounded_once():
    """exp_avg.lerp_(g, 0.375) with exp_avg = -2**-70 and g = 1 + 2**-23: the exact result
    lies just below a float32 tie, which float64 cannot see; one rounding goes down."""
    g = np.float32(1 + 2.0**-23)
    m = np.float32(-(2.0**-70))
    exact = fma32(np.float32(0.375), g - m, m)
    twice = np.float32(np.float64(0.375) * np.float64(g) + np.float64(m))
    assert exact != twice  # the case is real: rounding twice would be wrong
    p = gradlab.tensor([0.0, 1.0], requires_grad=True)
    optimizer = optim.Adam([p], lr=0.1, betas=(0.625, 0.999))
    p.grad = gradlab.ones(2)
    optimizer.step()
    optimizer.state[p]["exp_avg"].copy_(gradlab.tensor([m, 0.5]))
    p.grad = gradlab.tensor([g, g])
    optimizer.step()
    assert optimizer.state[p]["exp_avg"].numpy()[0] == exact


def test_a_subnormal_sum_that_float64_rounds_to_a_tie_is_rounded_once():
    """exp_avg_sq.mul_(beta2).addcmul_(g, g, 1 - beta2) landing among float32 subnormals, just
    below a tie of their coarser grid: one rounding goes down, two would go up."""
    beta2 = 0.75 - 2.0**-24  # 1 - beta2 is the float32 0.25 + 2**-24
    tick = np.float32(2.0**-149)  # the spacing of float32 subnormals
    v = np.float32((2**22 + 4) * 2.0**-149)
    g = np.float32(2.0**-74 * (1 - 2.0**-23))
    c = v * np.float32(beta2)
    exact = fma32(np.float32(1 - beta2) * g, g, c)
    twice = np.float32(np.float64(np.float32(1 - beta2) * g) * np.float64(g) + np.float64(c))
    assert exact != twice and abs(exact) < 2.0**-126
    p = gradlab.zeros(1, requires_grad=True)
    optimizer = optim.Adam([p], lr=0.1, betas=(0.9, beta2))
    p.grad = gradlab.zeros(1)
    optimizer.step()
    optimizer.state[p]["exp_avg_sq"].copy_(gradlab.tensor([v]))
    p.grad = gradlab.tensor([g])
    optimizer.step()
    assert optimizer.state[p]["exp_avg_sq"].numpy()[0] == exact == 3145731 * tick


def test_float64_parameters_and_a_changed_group_still_update():
    """Float64 groups, and a parameter losing its gradient, take the per-parameter path."""
    a = gradlab.tensor([1.0, 2.0], dtype=gradlab.float64, requires_grad=True)
    b = gradlab.tensor([1.0, 2.0], requires_grad=True)
    c = gradlab.tensor([3.0], requires_grad=True)
    optimizer = optim.Adam([{"params": [a]}, {"params": [b, c]}], lr=0.1)
    for step in range(3):
        a.grad = gradlab.ones(2, dtype=gradlab.float64)
        b.grad = gradlab.ones(2)
        c.grad = gradlab.ones(1) if step != 1 else None
        optimizer.step()
    assert a.dtype == gradlab.float64
    np.testing.assert_allclose(a.detach().numpy(), [0.7, 1.7], rtol=1e-6)
    np.testing.assert_allclose(b.detach().numpy(), [0.7, 1.7], rtol=1e-6)
    np.testing.assert_allclose(c.detach().numpy(), [2.8], rtol=1e-6)
    assert optimizer.state[c]["step"].item() == 2

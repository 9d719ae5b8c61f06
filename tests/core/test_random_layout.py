"""Random fills walk memory as PyTorch's kernels do: rand_like/randn_like of a transposed
tensor, uniform_/normal_ on transposed or strided views (and normal's one-at-a-time path for
memory that is not contiguous) give PyTorch's numbers and strides after the same seed."""

from __future__ import annotations

import numpy as np
import pytest

import gradlab


def test_rand_like_of_a_transpose_draws_along_its_memory():
    gradlab.manual_seed(0)
    out = gradlab.rand_like(gradlab.ones(3, 4).t())
    assert out.stride() == (1, 4)
    np.testing.assert_allclose(out[0].numpy(), [0.4963, 0.3074, 0.4556], atol=1e-4)


def test_normal_on_a_transposed_tensor_takes_the_one_at_a_time_path():
    gradlab.manual_seed(0)
    out = gradlab.randn_like(gradlab.ones(3, 6).t())
    np.testing.assert_allclose(out[0].numpy(), [1.5410, 0.4033, -0.8567], atol=1e-4)


SCENARIOS = {
    "rand_like permuted": lambda lib: lib.rand_like(lib.ones(2, 3, 4).permute(2, 0, 1)),
    "randn_like transposed": lambda lib: lib.randn_like(lib.ones(4, 5).t()),
    "randn_like small transposed": lambda lib: lib.randn_like(lib.ones(2, 3).t()),
    "normal_ transposed": lambda lib: lib.ones(5, 4).t().normal_(),
    "normal_ float64": lambda lib: lib.ones(5, 4, dtype=lib.float64).t().normal_(2, 3),
    "uniform_ strided view": lambda lib: (lambda x: (x[:, ::2].uniform_(), x)[1])(
        lib.zeros(3, 8)),
    "normal_ strided view": lambda lib: (lambda x: (x[:, ::2].normal_(), x)[1])(
        lib.zeros(3, 8)),
    "uniform_ transposed strided": lambda lib: (lambda x: (x.t()[:, ::2].uniform_(), x)[1])(
        lib.zeros(8, 3)),
    "rand_like expanded": lambda lib: lib.rand_like(lib.ones(4, 1).expand(4, 3)),
}


@pytest.mark.parity
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_random_fills_equal_pytorchs_bit_for_bit(scenario, torch):
    results = []
    for lib in (torch, gradlab):
        lib.manual_seed(0)
        out = SCENARIOS[scenario](lib)
        results.append((out.numpy().copy(), out.stride(), lib.rand(3).numpy()))
    (t_out, t_stride, t_next), (g_out, g_stride, g_next) = results
    assert np.array_equal(g_out, t_out) and g_stride == t_stride
    assert np.array_equal(g_next, t_next)  # the generator is left where PyTorch leaves it

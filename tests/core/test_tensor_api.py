"""Creation, dtypes and promotion, forward values and printing of the Tensor API (items 2, 3, 5).

The expected text in ``REPRS`` is what PyTorch 2.13 prints for the same expression (``torch.``
written as ``gradlab.``): it pins values, dtypes, shapes and printing at once.
``tests/core/test_torch_parity.py`` re-derives every entry from torch when torch is installed. The
formatter itself is tested in ``tests/core/test_printing.py``; these go through ``Tensor``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gradlab


@pytest.fixture
def float64_default():
    """A scenario that switches the default dtype to float64, restored afterwards."""
    gradlab.set_default_dtype(gradlab.float64)
    yield
    gradlab.set_default_dtype(gradlab.float32)


def evaluate(code: str):
    """Evaluate an expression written for ``import torch`` with gradlab standing in for torch."""
    return eval(code, {"torch": gradlab, "np": np})


def shown(name: str, code: str) -> str:
    """What a notebook cell shows: the repr, or the text itself for str()/f-string rows."""
    value = evaluate(code)
    return value if name.startswith(("str_", "format_")) else repr(value)


# -- dtypes and promotion ------------------------------------------------------------------------


def test_python_floats_make_float32_and_ints_make_int64() -> None:
    assert gradlab.tensor([1.0]).dtype is gradlab.float32
    assert gradlab.tensor([1]).dtype is gradlab.int64
    assert gradlab.tensor([True]).dtype is gradlab.bool
    assert gradlab.tensor([1, 2.5]).dtype is gradlab.float32


def test_an_int_tensor_times_a_python_float_is_float32() -> None:
    assert (gradlab.tensor([1, 2]) * 1.5).dtype is gradlab.float32


def test_a_python_float_does_not_upcast_float32() -> None:
    assert (gradlab.tensor([1.0]) * 0.1).dtype is gradlab.float32
    assert (0.1 + gradlab.tensor([1.0])).dtype is gradlab.float32


def test_true_division_of_ints_gives_float32() -> None:
    assert (gradlab.tensor([1, 2]) / 2).dtype is gradlab.float32
    assert (gradlab.tensor([1, 2]) / gradlab.tensor([3, 4])).dtype is gradlab.float32


def test_a_0d_tensor_counts_only_when_of_a_higher_category() -> None:
    f64_0d = gradlab.tensor(2.0, dtype=gradlab.float64)
    assert (gradlab.tensor([1.0]) * f64_0d).dtype is gradlab.float32
    assert (gradlab.tensor([1]) * gradlab.tensor(2.5)).dtype is gradlab.float32
    assert (gradlab.tensor([1], dtype=gradlab.int32) + gradlab.tensor(5)).dtype is gradlab.int32


def test_tensors_with_dimensions_promote_to_the_larger_type() -> None:
    f64 = gradlab.tensor([1.0], dtype=gradlab.float64)
    assert (gradlab.tensor([1.0]) + f64).dtype is gradlab.float64
    assert (gradlab.tensor([1], dtype=gradlab.int32) + gradlab.tensor([1])).dtype is gradlab.int64
    assert gradlab.promote_types(gradlab.int64, gradlab.float32) is gradlab.float32


def test_default_dtype_can_be_switched_to_float64(float64_default: None) -> None:
    assert gradlab.get_default_dtype() is gradlab.float64
    assert gradlab.tensor([1.5]).dtype is gradlab.float64
    assert gradlab.zeros(2).dtype is gradlab.float64
    assert (gradlab.tensor([1, 2]) / 2).dtype is gradlab.float64


def test_default_dtype_must_be_floating() -> None:
    with pytest.raises(TypeError, match="^only floating-point types are supported as the "
                                        "default type$"):
        gradlab.set_default_dtype(gradlab.int64)


def test_from_numpy_shares_memory_and_keeps_float64() -> None:
    array = np.array([1.0, 2.0])
    t = gradlab.from_numpy(array)
    assert t.dtype is gradlab.float64
    array[0] = 5.0
    t[1] = 7.0
    assert t.tolist() == [5.0, 7.0] and array.tolist() == [5.0, 7.0]


def test_tensor_copies_its_data() -> None:
    array = np.array([1.0, 2.0])
    t = gradlab.tensor(array)
    array[0] = 5.0
    assert t.tolist() == [1.0, 2.0] and t.dtype is gradlab.float64


def test_conversions_return_the_same_tensor_when_nothing_changes() -> None:
    t = gradlab.tensor([1.0])
    assert t.float() is t and t.to(gradlab.float32) is t
    assert t.double().dtype is gradlab.float64 and t.long().dtype is gradlab.int64


def test_size_is_a_tuple_that_prints_like_pytorchs() -> None:
    size = gradlab.zeros(2, 3).shape
    assert size == (2, 3) and isinstance(size, tuple)
    assert repr(size) == str(size) == "gradlab.Size([2, 3])"
    assert repr(size[1:]) == "gradlab.Size([3])"


def test_manual_seed_makes_random_tensors_repeat() -> None:
    gradlab.manual_seed(3)
    first = gradlab.randn(4)
    gradlab.manual_seed(3)
    assert gradlab.randn(4).tolist() == first.tolist()


OVERFLOWS = """
import gradlab
big = gradlab.tensor([1e30, 2.0], requires_grad=True)
loss = ((big * 1e30) ** 2 - float("inf")).sum() / gradlab.tensor(0.0)
loss.backward()
print(loss.item(), (gradlab.tensor([1, 2]) / 0).tolist(), gradlab.tensor([-1.0]).log().item())
"""


def test_overflow_and_division_by_zero_give_inf_and_nan_without_a_warning() -> None:
    """As in PyTorch: a diverging training loop prints nan, not numpy's RuntimeWarnings."""
    result = subprocess.run([sys.executable, "-W", "default", "-c", OVERFLOWS],
                            capture_output=True, text=True, timeout=60,
                            cwd=Path(gradlab.__file__).parent.parent)
    assert result.stderr == ""
    assert result.stdout.split() == ["nan", "[inf,", "inf]", "nan"]


# -- iteration and unpacking ------------------------------------------------------------------


def test_parameters_unpack_into_views_that_record_unbind() -> None:
    params = gradlab.tensor([1.0, 0.0], requires_grad=True)
    w, b = params
    assert repr(w) == "tensor(1., grad_fn=<UnbindBackward0>)"
    assert w.grad_fn is b.grad_fn
    with gradlab.no_grad():
        w.mul_(5)  # a view: the change shows in params, as in PyTorch
    assert params.tolist() == [5.0, 0.0]


def test_unpacking_into_a_function_call() -> None:
    params = gradlab.tensor([2.0, 1.0], requires_grad=True)

    def model(t_u: gradlab.Tensor, w: gradlab.Tensor, b: gradlab.Tensor) -> gradlab.Tensor:
        return w * t_u + b

    y = model(gradlab.tensor([1.0, 2.0]), *params)
    y.sum().backward()
    assert y.tolist() == [3.0, 5.0] and params.grad.tolist() == [3.0, 2.0]


def test_max_with_dim_returns_values_and_indices() -> None:
    result = gradlab.tensor([[1.0, 7.0], [3.0, 5.0]]).max(dim=1)
    values, indices = result
    assert values.tolist() == [7.0, 5.0] and indices.tolist() == [1, 1]
    assert result.values is values and result.indices is indices
    assert indices.dtype is gradlab.int64


# -- the course's reference numbers, end to end -----------------------------------------------

T_C = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
T_U = [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4]


def thermometer_loss(params: gradlab.Tensor, t_u: gradlab.Tensor) -> gradlab.Tensor:
    w, b = params
    return ((w * t_u + b - gradlab.tensor(T_C)) ** 2).mean()


def test_course_first_loss_prints_as_in_pytorch() -> None:
    """Needs PyTorch's order of float32 additions in the mean (1763.8846 otherwise)."""
    params = gradlab.tensor([1.0, 0.0], requires_grad=True)
    loss = thermometer_loss(params, gradlab.tensor(T_U))
    assert repr(loss) == "tensor(1763.8848, grad_fn=<MeanBackward0>)"


def test_course_first_gradient_and_its_double_print_as_in_pytorch() -> None:
    params = gradlab.tensor([1.0, 0.0], requires_grad=True)
    loss = thermometer_loss(params, gradlab.tensor(T_U))
    assert f"{loss.item():.2f}" == "1763.88"
    loss.backward()
    assert repr(params.grad) == "tensor([4517.2969,   82.6000])"
    thermometer_loss(params, gradlab.tensor(T_U)).backward()
    assert repr(params.grad) == "tensor([9034.5938,  165.2000])"


@pytest.fixture(scope="module")
def trained_thermometer() -> tuple[gradlab.Tensor, dict[int, float]]:
    """The course's loop: 5000 epochs at lr 1e-2 on inputs scaled by 0.1 (params, losses)."""
    params = gradlab.tensor([1.0, 0.0], requires_grad=True)
    t_un = gradlab.tensor(T_U) * 0.1
    losses = {}
    for epoch in range(1, 5001):
        if params.grad is not None:
            params.grad.zero_()
        loss = thermometer_loss(params, t_un)
        loss.backward()
        with gradlab.no_grad():
            params -= 1e-2 * params.grad
        if epoch in (500, 1000, 5000):
            losses[epoch] = loss.item()
    return params, losses


def test_course_training_loop_reaches_pytorchs_parameters(trained_thermometer) -> None:
    params, _ = trained_thermometer
    assert repr(params) == "tensor([  5.3671, -17.3012], requires_grad=True)"


def test_course_training_loop_prints_pytorchs_losses_and_last_gradient(
        trained_thermometer) -> None:
    """Bit for bit after 5000 epochs: sums and broadcasting reductions add in PyTorch's order."""
    params, losses = trained_thermometer
    assert [f"{losses[e]:.6f}" for e in (500, 1000, 5000)] == ["7.860115", "3.828538", "2.927647"]
    assert repr(params.grad) == "tensor([-9.7275e-05,  6.1280e-04])"


def test_numpy_is_refused_while_the_tensor_requires_grad() -> None:
    x = gradlab.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^Can't call numpy\(\) on Tensor that requires grad. "
                                           r"Use tensor.detach\(\).numpy\(\) instead.$"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0]


def test_format_spec_works_on_a_0d_tensor_only() -> None:
    assert f"{gradlab.tensor(2.0 / 3):.3f}" == "0.667"
    with pytest.raises(TypeError, match="^unsupported format string passed to Tensor.__format__$"):
        f"{gradlab.tensor([1.0, 2.0]):.2f}"


# -- one row per expression: the text PyTorch 2.13 shows for it --------------------------------

REPRS: dict[str, tuple[str, str]] = {
    "tensor_floats": (
        'torch.tensor([1., 2.5])',
        'tensor([1.0000, 2.5000])',
    ),
    "tensor_ints": (
        'torch.tensor([1, 2, 3])',
        'tensor([1, 2, 3])',
    ),
    "tensor_bools": (
        'torch.tensor([True, False])',
        'tensor([ True, False])',
    ),
    "tensor_scalar": (
        'torch.tensor(3.5)',
        'tensor(3.5000)',
    ),
    "tensor_nested": (
        'torch.tensor([[1, 2], [3, 4]])',
        'tensor([[1, 2],\n'
        '        [3, 4]])',
    ),
    "tensor_mixed_int_float": (
        'torch.tensor([1, 2.5])',
        'tensor([1.0000, 2.5000])',
    ),
    "tensor_dtype_float64": (
        'torch.tensor([1, 2], dtype=torch.float64)',
        'tensor([1., 2.], dtype=gradlab.float64)',
    ),
    "tensor_python_float_type": (
        'torch.tensor([1, 2], dtype=float)',
        'tensor([1., 2.], dtype=gradlab.float64)',
    ),
    "tensor_of_tensors": (
        'torch.tensor([torch.tensor(1.), torch.tensor(2.)])',
        'tensor([1., 2.])',
    ),
    "tensor_requires_grad": (
        'torch.tensor([1., 2.], requires_grad=True)',
        'tensor([1., 2.], requires_grad=True)',
    ),
    "zeros": (
        'torch.zeros(2, 3)',
        'tensor([[0., 0., 0.],\n'
        '        [0., 0., 0.]])',
    ),
    "zeros_tuple": (
        'torch.zeros((2,))',
        'tensor([0., 0.])',
    ),
    "ones_int": (
        'torch.ones(2, dtype=torch.int64)',
        'tensor([1, 1])',
    ),
    "full_float": (
        'torch.full((2, 2), 1.5)',
        'tensor([[1.5000, 1.5000],\n'
        '        [1.5000, 1.5000]])',
    ),
    "full_int": (
        'torch.full((2,), 7)',
        'tensor([7, 7])',
    ),
    "full_bool": (
        'torch.full((1,), True)',
        'tensor([True])',
    ),
    "empty_shape": (
        'torch.empty(2, 3).shape',
        'gradlab.Size([2, 3])',
    ),
    "zeros_like": (
        'torch.zeros_like(torch.tensor([1, 2]))',
        'tensor([0, 0])',
    ),
    "ones_like_dtype": (
        'torch.ones_like(torch.tensor([1, 2]), dtype=torch.float32)',
        'tensor([1., 1.])',
    ),
    "full_like": (
        'torch.full_like(torch.tensor([1., 2.]), 7)',
        'tensor([7., 7.])',
    ),
    "arange_int": (
        'torch.arange(5)',
        'tensor([0, 1, 2, 3, 4])',
    ),
    "arange_start_end": (
        'torch.arange(1, 4)',
        'tensor([1, 2, 3])',
    ),
    "arange_float_step": (
        'torch.arange(0, 1, 0.25)',
        'tensor([0.0000, 0.2500, 0.5000, 0.7500])',
    ),
    "arange_float_end": (
        'torch.arange(3.)',
        'tensor([0., 1., 2.])',
    ),
    "arange_step3": (
        'torch.arange(0, 10, 3)',
        'tensor([0, 3, 6, 9])',
    ),
    "linspace": (
        'torch.linspace(0, 1, 5)',
        'tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])',
    ),
    "linspace_11": (
        'torch.linspace(-1, 1, 11)',
        'tensor([-1.0000e+00, -8.0000e-01, -6.0000e-01, -4.0000e-01, -2.0000e-01,\n'
        '        -1.4901e-08,  2.0000e-01,  4.0000e-01,  6.0000e-01,  8.0000e-01,\n'
        '         1.0000e+00])',
    ),
    "eye": (
        'torch.eye(3)',
        'tensor([[1., 0., 0.],\n'
        '        [0., 1., 0.],\n'
        '        [0., 0., 1.]])',
    ),
    "eye_rect": (
        'torch.eye(2, 3)',
        'tensor([[1., 0., 0.],\n'
        '        [0., 1., 0.]])',
    ),
    "from_numpy_float64": (
        'torch.from_numpy(np.array([1., 2.]))',
        'tensor([1., 2.], dtype=gradlab.float64)',
    ),
    "from_numpy_int32": (
        'torch.from_numpy(np.array([1, 2], dtype=np.int32))',
        'tensor([1, 2], dtype=gradlab.int32)',
    ),
    "as_tensor_list": (
        'torch.as_tensor([1., 2.])',
        'tensor([1., 2.])',
    ),
    "stack": (
        'torch.stack([torch.tensor([1., 2.]), torch.tensor([3., 4.])], dim=1)',
        'tensor([[1., 3.],\n'
        '        [2., 4.]])',
    ),
    "cat": (
        'torch.cat([torch.tensor([[1, 2]]), torch.tensor([[3, 4]])], dim=1)',
        'tensor([[1, 2, 3, 4]])',
    ),
    "cat_promotes": (
        'torch.cat([torch.tensor([1, 2]), torch.tensor([3.])])',
        'tensor([1., 2., 3.])',
    ),
    "where": (
        'torch.where(torch.tensor([True, False]), torch.tensor([1., 2.]), torch.tensor([3., '
        '4.]))',
        'tensor([1., 4.])',
    ),
    "where_scalar": (
        'torch.where(torch.tensor([True, False]), torch.tensor([1, 2]), 2.5)',
        'tensor([1.0000, 2.5000])',
    ),
    "where_tuple": (
        'torch.where(torch.tensor([[0, 1], [1, 0]]) > 0)',
        '(tensor([0, 1]), tensor([1, 0]))',
    ),
    "manual_seed_rand": (
        'torch.manual_seed(0) and torch.rand(3)',
        'tensor([0.4963, 0.7682, 0.0885])',
    ),
    "manual_seed_randn": (
        '(torch.manual_seed(42), torch.randn(2, 2))[1]',
        'tensor([[0.3367, 0.1288],\n'
        '        [0.2345, 0.2303]])',
    ),
    "randint": (
        '(torch.manual_seed(0), torch.randint(0, 10, (5,)))[1]',
        'tensor([4, 9, 3, 0, 3])',
    ),
    "int_times_float": (
        'torch.tensor([1, 2]) * 1.5',
        'tensor([1.5000, 3.0000])',
    ),
    "int_div_int": (
        'torch.tensor([1, 2]) / 2',
        'tensor([0.5000, 1.0000])',
    ),
    "int_div_tensor": (
        'torch.tensor([3, 4]) / torch.tensor([2, 4])',
        'tensor([1.5000, 1.0000])',
    ),
    "int_floordiv": (
        'torch.tensor([3, 4]) // 2',
        'tensor([1, 2])',
    ),
    "float32_times_python_float": (
        '(torch.tensor([1., 2.]) * 2.5).dtype',
        'gradlab.float32',
    ),
    "float32_times_float64_0d": (
        '(torch.tensor([1., 2.]) * torch.tensor(2., dtype=torch.float64)).dtype',
        'gradlab.float32',
    ),
    "float64_times_float32": (
        '(torch.tensor([1., 2.], dtype=torch.float64) * torch.tensor([1., 2.])).dtype',
        'gradlab.float64',
    ),
    "int_times_float_0d": (
        'torch.tensor([1, 2]) * torch.tensor(2.5)',
        'tensor([2.5000, 5.0000])',
    ),
    "int32_plus_int64_0d": (
        'torch.tensor([1, 2], dtype=torch.int32) + torch.tensor(5)',
        'tensor([6, 7], dtype=gradlab.int32)',
    ),
    "int32_plus_int64": (
        '(torch.tensor([1, 2], dtype=torch.int32) + torch.tensor([5, 6])).dtype',
        'gradlab.int64',
    ),
    "bool_plus_int": (
        'torch.tensor([True]) + 1',
        'tensor([2])',
    ),
    "bool_plus_bool": (
        'torch.tensor([True]) + True',
        'tensor([True])',
    ),
    "bool_times_float": (
        'torch.tensor([True, False]) * 2.5',
        'tensor([2.5000, 0.0000])',
    ),
    "int_pow_float": (
        'torch.tensor([1, 4]) ** 0.5',
        'tensor([1., 2.])',
    ),
    "int_pow_int": (
        'torch.tensor([1, 2]) ** 2',
        'tensor([1, 4])',
    ),
    "float_rpow": (
        '2 ** torch.tensor([1., 2.])',
        'tensor([2., 4.])',
    ),
    "int_rpow": (
        '2 ** torch.tensor([1, 2])',
        'tensor([2, 4])',
    ),
    "exp_int": (
        'torch.exp(torch.tensor([0, 1]))',
        'tensor([1.0000, 2.7183])',
    ),
    "sqrt_negative": (
        'torch.sqrt(torch.tensor([-1., 4.]))',
        'tensor([nan, 2.])',
    ),
    "log_zero": (
        'torch.log(torch.tensor([0., 1.]))',
        'tensor([-inf, 0.])',
    ),
    "div_by_zero": (
        'torch.tensor([1., -1., 0.]) / 0',
        'tensor([inf, -inf, nan])',
    ),
    "promote_types": (
        'torch.promote_types(torch.int64, torch.float32)',
        'gradlab.float32',
    ),
    "default_dtype": (
        'torch.get_default_dtype()',
        'gradlab.float32',
    ),
    "int_sum_dtype": (
        'torch.tensor([1, 2]).sum()',
        'tensor(3)',
    ),
    "bool_sum": (
        'torch.tensor([True, True]).sum()',
        'tensor(2)',
    ),
    "to_float64": (
        'torch.tensor([1, 2]).to(torch.float64)',
        'tensor([1., 2.], dtype=gradlab.float64)',
    ),
    "float_method": (
        'torch.tensor([1, 2]).float()',
        'tensor([1., 2.])',
    ),
    "double_method": (
        'torch.tensor([1.5]).double()',
        'tensor([1.5000], dtype=gradlab.float64)',
    ),
    "long_method": (
        'torch.tensor([1.7, -1.7]).long()',
        'tensor([ 1, -1])',
    ),
    "int_method": (
        'torch.tensor([1.7]).int()',
        'tensor([1], dtype=gradlab.int32)',
    ),
    "bool_method": (
        'torch.tensor([0., 2.]).bool()',
        'tensor([False,  True])',
    ),
    "type_name": (
        'torch.tensor([1.]).type()',
        "'gradlab.FloatTensor'",
    ),
    "abs": (
        'torch.tensor([-1.5, 2.]).abs()',
        'tensor([1.5000, 2.0000])',
    ),
    "neg": (
        '-torch.tensor([1, -2])',
        'tensor([-1,  2])',
    ),
    "clamp_min_int": (
        'torch.tensor([-1, 2]).clamp(min=0)',
        'tensor([0, 2])',
    ),
    "clamp_float_bounds_on_int": (
        'torch.tensor([-1, 2]).clamp(0.5)',
        'tensor([0.5000, 2.0000])',
    ),
    "relu_int": (
        'torch.tensor([-1, 2]).relu()',
        'tensor([0, 2])',
    ),
    "sigmoid": (
        'torch.tensor([0., 2.]).sigmoid()',
        'tensor([0.5000, 0.8808])',
    ),
    "tanh": (
        'torch.tensor([0., 1.]).tanh()',
        'tensor([0.0000, 0.7616])',
    ),
    "sin_cos": (
        'torch.stack([torch.tensor([1.]).sin(), torch.tensor([1.]).cos()])',
        'tensor([[0.8415],\n'
        '        [0.5403]])',
    ),
    "square_int": (
        'torch.tensor([1, -3]).square()',
        'tensor([1, 9])',
    ),
    "maximum": (
        'torch.maximum(torch.tensor([1., 7.]), torch.tensor([3., 5.]))',
        'tensor([3., 7.])',
    ),
    "minimum": (
        'torch.minimum(torch.tensor([1, 7]), torch.tensor([3, 5]))',
        'tensor([1, 5])',
    ),
    "gt_scalar": (
        'torch.tensor([1., 2., 3.]) > 2',
        'tensor([False, False,  True])',
    ),
    "eq_tensor": (
        'torch.tensor([1., 2., 3.]) == torch.tensor([1., 0., 3.])',
        'tensor([ True, False,  True])',
    ),
    "le_int_float": (
        'torch.tensor([1, 2]) <= 1.5',
        'tensor([ True, False])',
    ),
    "ne": (
        'torch.tensor([1, 2]) != torch.tensor([1, 3])',
        'tensor([False,  True])',
    ),
    "logical_not": (
        '~(torch.tensor([1, 2]) > 1)',
        'tensor([ True, False])',
    ),
    "remainder": (
        'torch.tensor([-3., 3.]) % 2',
        'tensor([1., 1.])',
    ),
    "sum_dim": (
        'torch.tensor([[1., 2.], [3., 4.]]).sum(0)',
        'tensor([4., 6.])',
    ),
    "sum_dims_keepdim": (
        'torch.tensor([[1., 2.], [3., 4.]]).sum((0, 1), keepdim=True)',
        'tensor([[10.]])',
    ),
    "sum_negative_dim": (
        'torch.tensor([[1., 2.], [3., 4.]]).sum(dim=-1)',
        'tensor([3., 7.])',
    ),
    "mean": (
        'torch.tensor([[1., 2.], [3., 5.]]).mean()',
        'tensor(2.7500)',
    ),
    "mean_dim_keepdim": (
        'torch.tensor([[1., 2.], [3., 5.]]).mean(1, keepdim=True)',
        'tensor([[1.5000],\n'
        '        [4.0000]])',
    ),
    "var": (
        'torch.tensor([[1., 2.], [3., 5.]]).var()',
        'tensor(2.9167)',
    ),
    "var_biased_dim": (
        'torch.tensor([[1., 2.], [3., 5.]]).var(0, unbiased=False)',
        'tensor([1.0000, 2.2500])',
    ),
    "var_correction": (
        'torch.tensor([1., 2., 4.]).var(correction=0)',
        'tensor(1.5556)',
    ),
    "std": (
        'torch.tensor([[1., 2.], [3., 5.]]).std()',
        'tensor(1.7078)',
    ),
    "std_dim_keepdim": (
        'torch.tensor([[1., 2.], [3., 5.]]).std(1, keepdim=True)',
        'tensor([[0.7071],\n'
        '        [1.4142]])',
    ),
    "norm": (
        'torch.tensor([[3., 4.], [6., 8.]]).norm()',
        'tensor(11.1803)',
    ),
    "norm_dim": (
        'torch.tensor([[3., 4.], [6., 8.]]).norm(dim=1)',
        'tensor([ 5., 10.])',
    ),
    "norm_p1": (
        'torch.tensor([[1., -2.], [3., 5.]]).norm(p=1)',
        'tensor(11.)',
    ),
    "norm_inf": (
        "torch.tensor([[1., -7.], [3., 5.]]).norm(float('inf'))",
        'tensor(7.)',
    ),
    "max_all": (
        'torch.tensor([[1, 7], [3, 5]]).max()',
        'tensor(7)',
    ),
    "max_dim": (
        'torch.tensor([[1., 7.], [3., 5.]]).max(dim=1)',
        'gradlab.return_types.max(\n'
        'values=tensor([7., 5.]),\n'
        'indices=tensor([1, 1]))',
    ),
    "min_dim_keepdim": (
        'torch.tensor([[1., 7.], [3., 5.]]).min(0, keepdim=True)',
        'gradlab.return_types.min(\n'
        'values=tensor([[1., 5.]]),\n'
        'indices=tensor([[0, 1]]))',
    ),
    "max_dim_values": (
        'torch.tensor([[1., 7.], [3., 5.]]).max(0).values',
        'tensor([3., 7.])',
    ),
    "argmax_all": (
        'torch.tensor([[1., 7.], [3., 5.]]).argmax()',
        'tensor(1)',
    ),
    "argmin_dim": (
        'torch.tensor([[1., 7.], [3., 5.]]).argmin(dim=0)',
        'tensor([0, 1])',
    ),
    "argmax_keepdim": (
        'torch.tensor([[1., 7.], [3., 5.]]).argmax(dim=1, keepdim=True)',
        'tensor([[1],\n'
        '        [1]])',
    ),
    "softmax": (
        'torch.tensor([[1., 2., 3.]]).softmax(dim=1)',
        'tensor([[0.0900, 0.2447, 0.6652]])',
    ),
    "log_softmax": (
        'torch.tensor([[1., 2., 3.]]).log_softmax(-1)',
        'tensor([[-2.4076, -1.4076, -0.4076]])',
    ),
    "softmax_function": (
        'torch.softmax(torch.tensor([0., 0.]), 0)',
        'tensor([0.5000, 0.5000])',
    ),
    "logsumexp": (
        'torch.tensor([[1., 2.], [3., 4.]]).logsumexp(1)',
        'tensor([2.3133, 4.3133])',
    ),
    "mv": (
        'torch.tensor([[1., 2.], [3., 4.]]) @ torch.tensor([1., 1.])',
        'tensor([3., 7.])',
    ),
    "dot": (
        'torch.tensor([1., 2.]) @ torch.tensor([3., 4.])',
        'tensor(11.)',
    ),
    "mm_int": (
        'torch.tensor([[1, 2], [3, 4]]) @ torch.tensor([[1, 0], [0, 1]])',
        'tensor([[1, 2],\n'
        '        [3, 4]])',
    ),
    "vm": (
        'torch.tensor([1., 2.]) @ torch.tensor([[1., 2.], [3., 4.]])',
        'tensor([ 7., 10.])',
    ),
    "batched": (
        '(torch.ones(2, 2, 3) @ torch.ones(3, 4)).shape',
        'gradlab.Size([2, 2, 4])',
    ),
    "broadcast_batch": (
        '(torch.ones(2, 1, 2, 3) @ torch.ones(5, 3, 4)).shape',
        'gradlab.Size([2, 5, 2, 4])',
    ),
    "batched_vec": (
        '(torch.ones(3) @ torch.ones(2, 3, 4)).shape',
        'gradlab.Size([2, 4])',
    ),
    "size": (
        'torch.zeros(2, 3).size()',
        'gradlab.Size([2, 3])',
    ),
    "size_dim": (
        'torch.zeros(2, 3).size(-1)',
        '3',
    ),
    "shape_slice": (
        'torch.zeros(2, 3, 4).shape[1:]',
        'gradlab.Size([3, 4])',
    ),
    "shape_numel": (
        'torch.zeros(2, 3).shape.numel()',
        '6',
    ),
    "reshape": (
        'torch.arange(6).reshape(2, 3)',
        'tensor([[0, 1, 2],\n'
        '        [3, 4, 5]])',
    ),
    "view_minus_one": (
        'torch.arange(6).view(-1, 2)',
        'tensor([[0, 1],\n'
        '        [2, 3],\n'
        '        [4, 5]])',
    ),
    "flatten": (
        'torch.arange(8).reshape(2, 2, 2).flatten(1)',
        'tensor([[0, 1, 2, 3],\n'
        '        [4, 5, 6, 7]])',
    ),
    "squeeze": (
        'torch.zeros(1, 2, 1).squeeze().shape',
        'gradlab.Size([2])',
    ),
    "squeeze_dim": (
        'torch.zeros(1, 2, 1).squeeze(0).shape',
        'gradlab.Size([2, 1])',
    ),
    "unsqueeze": (
        'torch.tensor([1, 2]).unsqueeze(1)',
        'tensor([[1],\n'
        '        [2]])',
    ),
    "t": (
        'torch.arange(6).reshape(2, 3).t()',
        'tensor([[0, 3],\n'
        '        [1, 4],\n'
        '        [2, 5]])',
    ),
    "transpose": (
        'torch.arange(6).reshape(1, 2, 3).transpose(0, 2).shape',
        'gradlab.Size([3, 2, 1])',
    ),
    "permute": (
        'torch.arange(6).reshape(1, 2, 3).permute(2, 0, 1).shape',
        'gradlab.Size([3, 1, 2])',
    ),
    "expand": (
        'torch.tensor([[1], [2]]).expand(2, 3)',
        'tensor([[1, 1, 1],\n'
        '        [2, 2, 2]])',
    ),
    "expand_minus_one": (
        'torch.tensor([[1], [2]]).expand(3, -1, 2).shape',
        'gradlab.Size([3, 2, 2])',
    ),
    "contiguous": (
        'torch.arange(6).reshape(2, 3).t().is_contiguous()',
        'False',
    ),
    "stride": (
        'torch.zeros(2, 3).t().stride()',
        '(1, 3)',
    ),
    "index_int": (
        'torch.arange(6).reshape(2, 3)[1]',
        'tensor([3, 4, 5])',
    ),
    "index_negative": (
        'torch.arange(6).reshape(2, 3)[-1, -1]',
        'tensor(5)',
    ),
    "index_slice_step": (
        'torch.arange(10)[1:8:3]',
        'tensor([1, 4, 7])',
    ),
    "index_none": (
        'torch.arange(3)[None, :, None].shape',
        'gradlab.Size([1, 3, 1])',
    ),
    "index_ellipsis": (
        'torch.arange(24).reshape(2, 3, 4)[..., 1]',
        'tensor([[ 1,  5,  9],\n'
        '        [13, 17, 21]])',
    ),
    "index_list": (
        'torch.arange(6).reshape(2, 3)[[1, 0, 1]]',
        'tensor([[3, 4, 5],\n'
        '        [0, 1, 2],\n'
        '        [3, 4, 5]])',
    ),
    "index_mask": (
        'torch.arange(6)[torch.arange(6) % 2 == 0]',
        'tensor([0, 2, 4])',
    ),
    "index_two_lists": (
        'torch.arange(6).reshape(2, 3)[[0, 1], [2, 0]]',
        'tensor([2, 3])',
    ),
    "index_int_slice_list": (
        'torch.arange(24).reshape(2, 3, 4)[1, :, [0, 1]]',
        'tensor([[12, 13],\n'
        '        [16, 17],\n'
        '        [20, 21]])',
    ),
    "index_bool_true": (
        'torch.arange(3)[True].shape',
        'gradlab.Size([1, 3])',
    ),
    "unbind": (
        'torch.arange(6).reshape(2, 3).unbind(1)',
        '(tensor([0, 3]), tensor([1, 4]), tensor([2, 5]))',
    ),
    "split": (
        'torch.arange(5).split(2)',
        '(tensor([0, 1]), tensor([2, 3]), tensor([4]))',
    ),
    "chunk": (
        'torch.arange(5).chunk(2)',
        '(tensor([0, 1, 2]), tensor([3, 4]))',
    ),
    "nonzero": (
        'torch.tensor([0, 3, 0, 4]).nonzero()',
        'tensor([[1],\n'
        '        [3]])',
    ),
    "setitem_mask": (
        '(lambda x: (x.__setitem__(x > 2, 0), x)[1])(torch.arange(5))',
        'tensor([0, 1, 2, 0, 0])',
    ),
    "masked_fill": (
        'torch.arange(4).masked_fill(torch.arange(4) > 1, -1)',
        'tensor([ 0,  1, -1, -1])',
    ),
    "item_float": (
        'torch.tensor([2.5]).item()',
        '2.5',
    ),
    "item_int": (
        'torch.tensor(3).item()',
        '3',
    ),
    "tolist": (
        'torch.tensor([[1., 2.], [3., 4.]]).tolist()',
        '[[1.0, 2.0], [3.0, 4.0]]',
    ),
    "float_of_0d": (
        'float(torch.tensor(2.5))',
        '2.5',
    ),
    "int_of_float": (
        'int(torch.tensor([2.7]))',
        '2',
    ),
    "bool_of_one": (
        'bool(torch.tensor([0.]))',
        'False',
    ),
    "format_0d": (
        "f'{torch.tensor(3.14159):.2f}'",
        '3.14',
    ),
    "format_loss": (
        "f'{(torch.tensor([1., 2.], requires_grad=True) ** 2).mean():.4f}'",
        '2.5000',
    ),
    "len": (
        'len(torch.zeros(4, 2))',
        '4',
    ),
    "iterate": (
        '[r.tolist() for r in torch.arange(4).reshape(2, 2)]',
        '[[0, 1], [2, 3]]',
    ),
    "numpy_shares": (
        '(lambda x: (x.numpy().__setitem__(0, 9.), x)[1])(torch.tensor([1., 2.]))',
        'tensor([9., 2.])',
    ),
    "dtype_repr": (
        'torch.float64',
        'gradlab.float64',
    ),
    "dtype_is_floating": (
        '(torch.float32.is_floating_point, torch.int64.is_floating_point)',
        '(True, False)',
    ),
    "device": (
        'torch.zeros(1).device',
        "device(type='cpu')",
    ),
    "is_floating_point": (
        'torch.tensor([1]).is_floating_point()',
        'False',
    ),
    "numel": (
        'torch.zeros(2, 3).numel()',
        '6',
    ),
    "dim": (
        'torch.zeros(2, 3).dim()',
        '2',
    ),
    "element_size": (
        'torch.zeros(2).element_size()',
        '4',
    ),
    "repr_course_y": (
        'torch.tensor(4., requires_grad=True) * torch.tensor(3.) + torch.tensor(5., '
        'requires_grad=True)',
        'tensor(17., grad_fn=<AddBackward0>)',
    ),
    "repr_grad_fn_vector": (
        'torch.tensor([5.], requires_grad=True) ** 3 - torch.tensor([6.], requires_grad=True) ** '
        '2',
        'tensor([89.], grad_fn=<SubBackward0>)',
    ),
    "repr_float64_grad": (
        'torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True) * 2',
        'tensor([2., 4.], dtype=gradlab.float64, grad_fn=<MulBackward0>)',
    ),
    "repr_int64_2d": (
        'torch.tensor([[1, -20], [300, 4]])',
        'tensor([[  1, -20],\n'
        '        [300,   4]])',
    ),
    "repr_bool_2d": (
        'torch.tensor([[True, False], [False, True]])',
        'tensor([[ True, False],\n'
        '        [False,  True]])',
    ),
    "repr_empty": (
        'torch.zeros(0)',
        'tensor([])',
    ),
    "repr_empty_2d": (
        'torch.zeros(2, 0)',
        'tensor([], size=(2, 0))',
    ),
    "repr_empty_float64": (
        'torch.zeros(0, dtype=torch.float64)',
        'tensor([], dtype=gradlab.float64)',
    ),
    "repr_0d_int": (
        'torch.tensor(7)',
        'tensor(7)',
    ),
    "repr_nan_inf": (
        "torch.tensor([float('nan'), float('inf'), -float('inf'), 1.5])",
        'tensor([   nan,    inf,   -inf, 1.5000])',
    ),
    "repr_sci": (
        'torch.tensor([1e-5, 1.])',
        'tensor([1.0000e-05, 1.0000e+00])',
    ),
    "repr_large": (
        'torch.tensor([1e10, 1.])',
        'tensor([1.0000e+10, 1.0000e+00])',
    ),
    "repr_3d": (
        'torch.arange(8.).reshape(2, 2, 2)',
        'tensor([[[0., 1.],\n'
        '         [2., 3.]],\n'
        '\n'
        '        [[4., 5.],\n'
        '         [6., 7.]]])',
    ),
    "repr_summarized": (
        'torch.arange(2000.)',
        'tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n'
        '        1.9990e+03])',
    ),
    "repr_summarized_2d": (
        'torch.arange(3000).reshape(1000, 3)',
        'tensor([[   0,    1,    2],\n'
        '        [   3,    4,    5],\n'
        '        [   6,    7,    8],\n'
        '        ...,\n'
        '        [2991, 2992, 2993],\n'
        '        [2994, 2995, 2996],\n'
        '        [2997, 2998, 2999]])',
    ),
    "repr_wide": (
        'torch.arange(30.) * 1.5',
        'tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n'
        '        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n'
        '        24.0000, 25.5000, 27.0000, 28.5000, 30.0000, 31.5000, 33.0000, 34.5000,\n'
        '        36.0000, 37.5000, 39.0000, 40.5000, 42.0000, 43.5000])',
    ),
    "repr_sum_int_grad": (
        'torch.tensor([1., 2.], requires_grad=True).sum()',
        'tensor(3., grad_fn=<SumBackward0>)',
    ),
    "repr_mean": (
        'torch.tensor([[1., 2.]], requires_grad=True).mean()',
        'tensor(1.5000, grad_fn=<MeanBackward0>)',
    ),
    "repr_detached": (
        '(torch.tensor([1., 2.], requires_grad=True) * 2).detach()',
        'tensor([2., 4.])',
    ),
    "repr_unbind": (
        'tuple(torch.tensor([1., 2.], requires_grad=True))',
        '(tensor(1., grad_fn=<UnbindBackward0>), tensor(2., grad_fn=<UnbindBackward0>))',
    ),
    "repr_max_namedtuple_grad": (
        'torch.tensor([[1., 7.]], requires_grad=True).max(1)',
        'gradlab.return_types.max(\n'
        'values=tensor([7.], grad_fn=<MaxBackward0>),\n'
        'indices=tensor([1]))',
    ),
    "repr_size": (
        'torch.zeros(2, 3).shape',
        'gradlab.Size([2, 3])',
    ),
    "str_tensor": (
        'str(torch.tensor([1.5, 2.]))',
        'tensor([1.5000, 2.0000])',
    ),
    "repr_neg_zero": (
        'torch.tensor([-0., 1.])',
        'tensor([-0., 1.])',
    ),
    "repr_float64_integral": (
        'torch.tensor([1., 2.], dtype=torch.float64)',
        'tensor([1., 2.], dtype=gradlab.float64)',
    ),
    "repr_float64_0d": (
        'torch.tensor(2.5, dtype=torch.float64)',
        'tensor(2.5000, dtype=gradlab.float64)',
    ),
    "repr_int32": (
        'torch.tensor([1, 2], dtype=torch.int32)',
        'tensor([1, 2], dtype=gradlab.int32)',
    ),
}


@pytest.mark.parametrize("name", REPRS)
def test_expression_shows_what_pytorch_shows(name: str) -> None:
    code, expected = REPRS[name]
    assert shown(name, code) == expected

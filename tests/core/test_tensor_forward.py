"""Tensor creation, dtypes, ``Size``, shape operations and indexing give PyTorch's results,
dtypes, error types and messages (first line) and warnings.

Every check pins the text gradlab must give (so it means something without PyTorch installed),
and when ``torch`` is importable the same snippet is run under PyTorch and must give that text
too, with ``gradlab`` spelled ``torch``.
"""

from __future__ import annotations

import warnings
from types import ModuleType

import numpy as np
import pytest
from support import optional_torch

import gradlab

pytestmark = pytest.mark.parity  # every check also asks PyTorch when it is importable

TRIGGERED = " (Triggered internally at"


def outcome(src: str, lib: ModuleType) -> tuple[str, list[str]]:
    """The repr of the last line of ``src`` (or ``Error: first line``) and the warnings."""
    *body, last = src.strip().split("\n")
    ns = {"torch": lib, "np": np}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec("\n".join(body), ns)
            text = repr(eval(last, ns))
        except Exception as e:  # noqa: BLE001 - the error is the outcome
            text = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    return text, [str(w.message).split(TRIGGERED)[0] for w in caught]


def check(src: str, expected: str, warns: list[str] | None = None) -> None:
    """gradlab gives ``expected`` (and ``warns``, if given); so does PyTorch when installed."""
    got, warned = outcome(src, gradlab)
    assert got == expected
    if warns is not None:
        assert warned == warns
    torch = optional_torch()
    if torch is not None:
        t_got, t_warned = outcome(src, torch)
        assert t_got == expected.replace("gradlab", "torch")
        if warns is not None:
            assert t_warned == [w.replace("gradlab", "torch") for w in warns]


# -- Size ----------------------------------------------------------------------------------------


def test_size_stays_a_size_when_added_to_a_tuple_from_either_side():
    check("(4,) + torch.Size([2, 3])", "gradlab.Size([4, 2, 3])")
    check("torch.Size([2, 3]) + (4,)", "gradlab.Size([2, 3, 4])")


def test_size_repeated_by_an_int_stays_a_size():
    check("torch.Size([2, 3]) * 2", "gradlab.Size([2, 3, 2, 3])")
    check("2 * torch.Size([2, 3])", "gradlab.Size([2, 3, 2, 3])")


def test_size_plus_a_list_is_refused():
    check("torch.Size([2, 3]) + [4]",
          "TypeError: can only concatenate tuple (not list) to gradlab.Size")


def test_size_refuses_non_integer_items_and_reads_integer_tensors():
    check("torch.Size([2.0])",
          "TypeError: gradlab.Size() takes an iterable of 'int' (item 0 is 'float')")
    check("torch.Size([2, 'a'])",
          "TypeError: gradlab.Size() takes an iterable of 'int' (item 1 is 'str')")
    check("torch.Size((torch.tensor(2), 3))", "gradlab.Size([2, 3])")


def test_size_pickles_as_a_size():
    check("import pickle\npickle.loads(pickle.dumps(torch.Size([2, 3])))", "gradlab.Size([2, 3])")


# -- dtype inference of torch.tensor -------------------------------------------------------------


def test_numpy_scalars_in_a_list_keep_their_dtype():
    check("torch.tensor([np.float64(1.5), 2.0])", "tensor([1.5000, 2.0000], dtype=gradlab.float64)")
    check("torch.tensor(np.int32(3))", "tensor(3, dtype=gradlab.int32)")
    check("torch.tensor([np.int32(1), 1.5])", "tensor([1.0000, 1.5000])")
    check("torch.tensor([np.int8(3), np.uint8(4)])", "tensor([3, 4], dtype=gradlab.int16)")


def test_tensors_in_a_list_promote_by_their_dtypes():
    check("torch.tensor([torch.tensor(1.5), torch.tensor(2)])", "tensor([1.5000, 2.0000])")
    check("torch.tensor([torch.tensor([[1.]]), torch.tensor(2)])", "tensor([1., 2.])")


def test_tensors_of_several_elements_in_a_list_are_refused():
    check("torch.tensor([torch.tensor([1., 2.]), torch.tensor([3., 4.])])",
          "ValueError: only one element tensors can be converted to Python scalars")


def test_data_of_no_numeric_type_cannot_infer_a_dtype():
    check("torch.tensor(None)", "RuntimeError: Could not infer dtype of NoneType")
    check("torch.tensor([1, None])", "RuntimeError: Could not infer dtype of NoneType")
    check("torch.tensor({1: 2})", "RuntimeError: Could not infer dtype of dict")
    check("torch.tensor([1, 'a'])", "TypeError: new(): invalid data type 'str'")


def test_nested_lists_that_are_not_rectangular_give_pytorchs_errors():
    check("torch.tensor([[1, 2], 3])", "TypeError: not a sequence")
    check("torch.tensor([[[1, 2]], [[3]]])",
          "ValueError: expected sequence of length 2 at dim 2 (got 1)")
    check("torch.tensor([1., [2]])", "TypeError: must be real number, not list")


def test_ints_beyond_int64_overflow_unless_the_tensor_is_float():
    check("torch.tensor(2**63)", "ValueError: Overflow when unpacking long long")
    check("torch.tensor([2**63, 1.5]).dtype", "gradlab.float32")


def test_an_integer_dtype_refuses_python_values_it_cannot_hold():
    check("torch.tensor([300], dtype=torch.uint8)",
          "RuntimeError: value cannot be converted to type uint8 without overflow")
    check("torch.tensor([-1], dtype=torch.uint8)", "tensor([255], dtype=gradlab.uint8)")
    check("torch.tensor([float('nan')], dtype=torch.int64)",
          "RuntimeError: value cannot be converted to type int64 without overflow")
    check("torch.tensor(np.array([300]), dtype=torch.uint8)", "tensor([44], dtype=gradlab.uint8)")


def test_from_numpy_refuses_negative_strides():
    check("torch.from_numpy(np.array([1, 2])[::-1])",
          "ValueError: At least one stride in the given numpy array is negative, and tensors "
          "with negative strides are not currently supported. (You can probably work around "
          "this by making a copy of your array  with array.copy().) ")


# -- creation functions --------------------------------------------------------------------------


def test_arange_with_bounds_against_the_step_says_lower_bound():
    check("torch.arange(5, 1)",
          "RuntimeError: upper bound and lower bound inconsistent with step sign")


def test_arange_with_an_integer_dtype_truncates_bounds_and_step():
    check("torch.arange(0, 5, 1.5, dtype=torch.int64)", "tensor([0, 1, 2, 3, 4])")
    check("torch.arange(-2.5, 3, dtype=torch.int32)",
          "tensor([-2, -1,  0,  1,  2,  3], dtype=gradlab.int32)")
    check("torch.arange(0, 5, 0.5, dtype=torch.int64)", "ValueError: step must be nonzero")


def test_arange_refuses_infinite_bounds_and_bool():
    check("torch.arange(float('inf'))", "RuntimeError: unsupported range: 0 -> inf")
    check("torch.arange(1.5, float('inf'))", "RuntimeError: unsupported range: 1.5 -> inf")
    check("torch.arange(3, dtype=torch.bool)",
          "NotImplementedError: \"arange_cpu\" not implemented for 'Bool'")


def test_linspace_with_an_integer_dtype_truncates_each_value():
    check("torch.linspace(0, 10, 4, dtype=torch.int64)", "tensor([ 0,  3,  6, 10])")
    check("torch.linspace(-3, 10, 6, dtype=torch.int64)", "tensor([-3,  0,  2,  4,  7, 10])")


def test_linspace_needs_an_int_number_of_steps():
    check("torch.linspace(0, 1, 2.5)", "TypeError: linspace() received an invalid combination "
          "of arguments - got (int, int, float), but expected one of:")
    check("torch.linspace(0, 1)", "TypeError: linspace() received an invalid combination of "
          "arguments - got (int, int), but expected one of:")


def test_eye_refuses_negative_and_non_int_sizes():
    check("torch.eye(-1)", "RuntimeError: n must be greater or equal to 0, got -1")
    check("torch.eye(2, -1)", "RuntimeError: m must be greater or equal to 0, got -1")
    check("torch.eye(2.5)", "TypeError: eye(): argument 'n' (position 1) must be int, not float")


def test_factories_without_a_size_are_refused():
    check("torch.zeros()", "TypeError: zeros() missing 1 required positional arguments: \"size\"")
    check("torch.ones()", "TypeError: ones() missing 1 required positional arguments: \"size\"")


def test_like_factories_refuse_what_is_not_a_tensor():
    check("torch.zeros_like([1, 2])",
          "TypeError: zeros_like(): argument 'input' (position 1) must be Tensor, not list")
    check("torch.full_like(None, 2)",
          "TypeError: full_like(): argument 'input' (position 1) must be Tensor, not NoneType")


def test_full_checks_its_fill_value():
    check("torch.full((2,), 'a')",
          "TypeError: full(): argument 'fill_value' (position 2) must be Number, not str")
    check("torch.full((2,), 300, dtype=torch.uint8)",
          "RuntimeError: value cannot be converted to type uint8_t without overflow")
    check("torch.full((2,), -1, dtype=torch.uint8)", "tensor([255, 255], dtype=gradlab.uint8)")
    check("torch.full((2,), torch.tensor(1))", "tensor([1, 1])")


def test_randint_refuses_a_size_that_is_not_a_tuple_and_float_bounds():
    check("torch.randint(10, 5)",
          "TypeError: randint(): argument 'size' (position 2) must be tuple of ints, not int")
    check("torch.randint(0, 10, 5)", "TypeError: randint() received an invalid combination of "
          "arguments - got (int, int, int), but expected one of:")
    check("torch.randint(0, 10.5, (3,))", "TypeError: randint() received an invalid combination "
          "of arguments - got (int, float, tuple), but expected one of:")


def test_randint_checks_bounds_against_its_dtype_and_draws_like_pytorch():
    check("torch.randint(-1, 300, (3,), dtype=torch.uint8)",
          "RuntimeError: from is out of bounds for unsigned char")
    check("torch.manual_seed(0)\ntorch.randint(0, 200, (4,), dtype=torch.uint8)",
          "tensor([ 44,  39, 133, 160], dtype=gradlab.uint8)")


def test_randperm_needs_an_int():
    check("torch.randperm(3.5)",
          "TypeError: randperm(): argument 'n' (position 1) must be int, not float")


# -- dtypes --------------------------------------------------------------------------------------


def test_set_default_dtype_refuses_what_is_not_a_dtype():
    check("torch.set_default_dtype(float)", "TypeError: invalid dtype object: only "
          "floating-point types are supported as the default type")


def test_bool_of_an_empty_tensor_says_no_values():
    check("bool(torch.tensor([]))",
          "RuntimeError: Boolean value of Tensor with no values is ambiguous")


# -- shape operations ----------------------------------------------------------------------------


def test_reshape_checks_its_shape_as_pytorch_does():
    check("torch.zeros(0, 3).reshape(-1, 0)", "RuntimeError: cannot reshape tensor of 0 elements "
          "into shape [-1, 0] because the unspecified dimension size -1 can be any value and is "
          "ambiguous")
    check("torch.zeros(24).reshape(-2, 12)",
          "RuntimeError: invalid shape dimension -2 at index 0 of shape [-2, 12]")
    check("torch.zeros(24).view(2, 12.0)", "TypeError: view(): argument 'size' failed to unpack "
          "the object at pos 2 with error \"type must be tuple of ints,but got float\"")
    check("torch.zeros(24).reshape()",
          "TypeError: reshape() missing 1 required positional arguments: \"shape\"")
    check("torch.zeros(24).reshape(torch.tensor(24)).shape", "gradlab.Size([24])")


def test_squeeze_refuses_a_dim_given_twice():
    check("torch.zeros(1, 2, 1).squeeze((0, 0))",
          "RuntimeError: dim 0 appears multiple times in the list of dims")


def test_dims_of_a_0d_tensor_are_checked_by_transpose_flatten_and_size():
    msg = "IndexError: Dimension out of range (expected to be in range of [-1, 0], but got 1)"
    check("torch.tensor(7.).transpose(0, 1)", msg)
    check("torch.tensor(7.).flatten(1)", msg)
    check("torch.tensor(7.).size(0)",
          "IndexError: Dimension specified as 0 but tensor has no dimensions")


def test_expand_refuses_minus_one_in_a_new_leading_dimension():
    check("torch.arange(5).expand(-1, 5)", "RuntimeError: The expanded size of the tensor (-1) "
          "isn't allowed in a leading, non-existing dimension 0")


def test_unflatten_sizes_must_multiply_up_to_the_dimension():
    check("torch.zeros(2, 3, 4).unflatten(2, (3, 2))", "RuntimeError: unflatten: Provided sizes "
          "[3, 2] don't multiply up to the size of dim 2 (4) in the input tensor")
    check("torch.zeros(2, 3, 4).unflatten(2, (2, -1)).shape", "gradlab.Size([2, 3, 2, 2])")


# -- joining and splitting -----------------------------------------------------------------------


def test_cat_refuses_an_empty_list_scalars_and_non_tensors():
    check("torch.cat([])", "ValueError: gradlab.cat(): expected a non-empty list of Tensors")
    check("torch.cat([torch.zeros(2), torch.tensor(1.)])",
          "RuntimeError: zero-dimensional tensor (at position 1) cannot be concatenated")
    check("torch.cat([torch.zeros(2), 1])",
          "TypeError: expected Tensor as element 1 in argument 0, but got int")
    check("torch.stack(torch.zeros(2))", "TypeError: stack(): argument 'tensors' (position 1) "
          "must be tuple of Tensors, not Tensor")


def test_split_and_chunk_check_their_sizes():
    check("torch.arange(5).split(0)", "RuntimeError: split_size can only be 0 if dimension size "
          "is 0, but got dimension size of 5")
    check("torch.arange(5).split(-1)",
          "RuntimeError: split expects split_size be non-negative, but got split_size=-1")
    check("torch.arange(5).chunk(0)",
          "RuntimeError: chunk expects `chunks` to be greater than 0, got: 0")
    check("torch.tensor(7.).unbind()",
          "IndexError: Dimension specified as 0 but tensor has no dimensions")


def test_splitting_an_empty_dimension_gives_empty_pieces():
    check("torch.arange(0).split(2)", "(tensor([], dtype=gradlab.int64),)")
    check("len(torch.arange(0).chunk(3))", "3")


# -- indexing ------------------------------------------------------------------------------------


def test_an_int_index_on_a_0d_tensor_points_to_item():
    check("torch.tensor(7.)[0]", "IndexError: invalid index of a 0-dim tensor. Use "
          "`tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a "
          "number")


def test_select_out_of_range_names_the_tensor_size():
    check("torch.zeros(2, 3).select(0, 2)",
          "IndexError: select(): index 2 out of range for tensor of size [2, 3] at dimension 0")


def test_a_list_holding_sequences_indexes_as_a_tuple_with_a_warning():
    warning = ("Using a non-tuple sequence for multidimensional indexing is deprecated and will "
               "be changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 "
               "this will be interpreted as tensor index, x[gradlab.tensor(seq)], which will "
               "result either in an error or a different result")
    check("torch.arange(6).reshape(2, 3)[[[0, 1], [1, 2]]]", "tensor([1, 5])", [warning])
    check("torch.arange(5)[[[0, 1], [2, 3]]]",
          "IndexError: too many indices for tensor of dimension 1", [warning])
    check("torch.arange(5)[[0, 1]]", "tensor([0, 1])", [])


def test_a_uint8_index_is_a_mask_with_a_deprecation_warning():
    check("torch.arange(5)[torch.tensor([1, 0, 1, 0, 1], dtype=torch.uint8)]",
          "tensor([0, 2, 4])", ["indexing with dtype gradlab.uint8 is now deprecated, please use "
                                "a dtype gradlab.bool instead."])


def test_a_list_of_floats_indexes_as_longs_and_numpy_0d_as_an_int():
    check("torch.arange(5)[[0.9, 1.5]]", "tensor([0, 1])")
    check("torch.arange(5)[np.array(2)]", "tensor(2)")


@pytest.mark.parametrize("src", ["torch.tensor([1.5, 2.0])", "torch.tensor([[1, 2], [3, 4]])",
                                 "torch.tensor([True, False])", "torch.tensor([])"])
def test_plain_python_data_keeps_its_usual_dtype(src: str):
    """The common cases did not change: floats float32, ints int64, bools bool, [] float32."""
    expected = {"torch.tensor([1.5, 2.0])": "gradlab.float32",
                "torch.tensor([[1, 2], [3, 4]])": "gradlab.int64",
                "torch.tensor([True, False])": "gradlab.bool",
                "torch.tensor([])": "gradlab.float32"}
    check(src + ".dtype", expected[src])


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("op", ["exp", "log", "log1p", "log2", "log10", "expm1", "exp2",
                                "sigmoid", "tanh", "sinh", "cosh", "tan", "asin"])
def test_overflow_and_log_of_zero_give_inf_and_nan_silently_in_every_float_dtype(op, dtype):
    x = gradlab.tensor([-1e4, -1.0, 0.0, 1e4], dtype=getattr(gradlab, dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(gradlab, op)(x)

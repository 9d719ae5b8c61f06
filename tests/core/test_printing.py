"""Tensor printing matches PyTorch 2.13 to the character (expected strings were taken from it)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradlab._tensor_str import (
    format_spec,
    format_tensor,
    get_printoptions,
    printoptions,
    set_printoptions,
)

DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


@pytest.fixture(autouse=True)
def restored_printoptions():
    """Every test starts from and leaves behind the options it found."""
    old = get_printoptions()
    yield
    set_printoptions(**old)


def show(values, dtype: str = "float32", **kwargs) -> str:
    """repr of a tensor made like ``torch.tensor(values, dtype=...)``."""
    return format_tensor(np.asarray(values, dtype=dtype), dtype=dtype, **kwargs)


# --- the formatter: integer, fixed and scientific layouts -------------------------------------


def test_scalar_with_grad_fn_prints_integral_float_with_trailing_dot():
    assert show(17.0, grad_fn="AddBackward0") == "tensor(17., grad_fn=<AddBackward0>)"


def test_fixed_point_pads_every_element_to_the_widest():
    assert show([4517.2969, 82.6]) == "tensor([4517.2969,   82.6000])"


def test_small_minimum_switches_to_scientific():
    assert show([-9.7275e-05, 6.1280e-04]) == "tensor([-9.7275e-05,  6.1280e-04])"


def test_leaf_requiring_grad_shows_requires_grad():
    expected = "tensor([  5.3671, -17.3012], requires_grad=True)"
    assert show([5.3671, -17.3012], requires_grad=True) == expected


def test_grad_fn_wins_over_requires_grad():
    expected = "tensor([89.], grad_fn=<SubBackward0>)"
    assert show([89.0], requires_grad=True, grad_fn="SubBackward0") == expected


def test_max_over_min_above_1000_is_scientific_but_exactly_1000_is_not():
    assert show([1.0, 1000.5]) == "tensor([1.0000e+00, 1.0005e+03])"
    assert show([0.5, 500.0]) == "tensor([  0.5000, 500.0000])"
    assert show([1.5, 1500.0]) == "tensor([   1.5000, 1500.0000])"


def test_maximum_above_1e8_is_scientific():
    assert show([1e9]) == "tensor([1.0000e+09])"
    assert show([1e8, 1.0]) == "tensor([1.0000e+08, 1.0000e+00])"


def test_extreme_magnitudes_do_not_overflow_the_layout_choice():
    expected = "tensor([ 1.0000e+300, -1.0000e-300], dtype=gradlab.float64)"
    with np.errstate(all="raise"):
        assert show([1e300, -1e-300], "float64") == expected


def test_integral_floats_print_without_decimals():
    assert show([1.0, 2.0, 300.0]) == "tensor([  1.,   2., 300.])"
    assert show([1.0, 1e5]) == "tensor([1.0000e+00, 1.0000e+05])"


def test_nan_and_inf_are_ignored_when_choosing_the_layout():
    nan, inf = math.nan, math.inf
    assert show([nan, inf, -inf, 1.0]) == "tensor([nan, inf, -inf, 1.])"
    assert show([nan, 1.5]) == "tensor([   nan, 1.5000])"
    assert show([nan, 1e-5, 1.0]) == "tensor([       nan, 1.0000e-05, 1.0000e+00])"
    assert show([nan, inf]) == "tensor([nan, inf])"


def test_negative_zero_keeps_its_sign():
    assert show([0.0, -0.0]) == "tensor([0., -0.])"
    assert show([-0.0, 1.5]) == "tensor([-0.0000, 1.5000])"
    assert show(-0.0) == "tensor(-0.)"


def test_bools_are_right_aligned_words():
    assert show([True, False], "bool") == "tensor([ True, False])"
    assert show(True, "bool") == "tensor(True)"


def test_integers_align_and_non_int64_shows_dtype():
    assert show([1, -20, 300], "int64") == "tensor([  1, -20, 300])"
    assert show([1, -20, 300], "int32") == "tensor([  1, -20, 300], dtype=gradlab.int32)"
    assert show(7, "uint8") == "tensor(7, dtype=gradlab.uint8)"


def test_float64_and_float16_show_dtype_and_values_of_their_precision():
    assert show([0.1, 0.2], "float64") == "tensor([0.1000, 0.2000], dtype=gradlab.float64)"
    assert show([0.1, 1 / 3], "float16") == "tensor([0.1000, 0.3333], dtype=gradlab.float16)"
    # float16 rounds 0.001 to 0.0010004; the 65504/0.001 ratio makes it scientific
    expected = "tensor([6.5504e+04, 1.0004e-03], dtype=gradlab.float16)"
    assert show([65504.0, 0.001], "float16") == expected


def test_default_dtype_float64_hides_float64_and_shows_float32():
    assert show([0.1, 0.2], "float64", default_dtype="float64") == "tensor([0.1000, 0.2000])"
    expected = "tensor([0.1000, 0.2000], dtype=gradlab.float32)"
    assert show([0.1, 0.2], "float32", default_dtype="float64") == expected


# --- empty tensors ---------------------------------------------------------------------------


def test_empty_tensor_shows_size_unless_one_dimensional():
    assert show([]) == "tensor([])"
    assert show(np.zeros((0, 3))) == "tensor([], size=(0, 3))"
    assert show(np.zeros((0, 3)), requires_grad=True) == (
        "tensor([], size=(0, 3), requires_grad=True)")


def test_empty_tensor_shows_every_dtype_but_the_default_float():
    assert show([], "int64") == "tensor([], dtype=gradlab.int64)"
    assert show(np.zeros((2, 0)), "bool") == "tensor([], size=(2, 0), dtype=gradlab.bool)"
    assert show([], "float32", default_dtype="float64") == "tensor([], dtype=gradlab.float32)"
    assert show([], "float64", default_dtype="float64") == "tensor([])"


# --- layout: wrapping, nesting, summarizing --------------------------------------------------


def test_long_rows_wrap_at_linewidth_under_the_first_element():
    expected = (
        "tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n"
        "        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n"
        "        2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,\n"
        "        3.8571, 4.0000, 4.1429])")
    assert show(np.arange(30, dtype=np.float32) / np.float32(7)) == expected
    expected = (
        "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
        "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,\n"
        "        36, 37, 38, 39])")
    assert show(np.arange(40), "int64") == expected


def test_blocks_of_3d_and_4d_tensors_are_separated_by_blank_lines():
    expected = ("tensor([[[0., 1.],\n         [2., 3.]],\n\n"
                "        [[4., 5.],\n         [6., 7.]]])")
    assert show(np.arange(8).reshape(2, 2, 2)) == expected
    expected = ("tensor([[[[ 0,  1],\n          [ 2,  3]],\n\n"
                "         [[ 4,  5],\n          [ 6,  7]]],\n\n\n"
                "        [[[ 8,  9],\n          [10, 11]],\n\n"
                "         [[12, 13],\n          [14, 15]]]])")
    assert show(np.arange(16).reshape(2, 2, 2, 2), "int64") == expected


def test_more_than_threshold_elements_are_summarized_with_edgeitems():
    assert show(np.arange(2000), "int64") == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"
    expected = (
        "tensor([[   0,    1,    2,  ...,   97,   98,   99],\n"
        "        [ 100,  101,  102,  ...,  197,  198,  199],\n"
        "        [ 200,  201,  202,  ...,  297,  298,  299],\n"
        "        ...,\n"
        "        [1700, 1701, 1702,  ..., 1797, 1798, 1799],\n"
        "        [1800, 1801, 1802,  ..., 1897, 1898, 1899],\n"
        "        [1900, 1901, 1902,  ..., 1997, 1998, 1999]])")
    assert show(np.arange(2000).reshape(20, 100), "int64") == expected


def test_hidden_elements_do_not_affect_the_layout_of_a_summarized_tensor():
    values = 100 + np.arange(2000, dtype=np.float32) / np.float32(4)
    values[1000] = 1e10
    expected = "tensor([100.0000, 100.2500, 100.5000,  ..., 599.2500, 599.5000, 599.7500])"
    assert show(values) == expected
    values = values.reshape(40, 50)
    values[0, 20], values[20, 0] = -1e10, 1e-9
    expected = (
        "tensor([[100.0000, 100.2500, 100.5000,  ..., 111.7500, 112.0000, 112.2500],\n"
        "        [112.5000, 112.7500, 113.0000,  ..., 124.2500, 124.5000, 124.7500],\n"
        "        [125.0000, 125.2500, 125.5000,  ..., 136.7500, 137.0000, 137.2500],\n"
        "        ...,\n"
        "        [562.5000, 562.7500, 563.0000,  ..., 574.2500, 574.5000, 574.7500],\n"
        "        [575.0000, 575.2500, 575.5000,  ..., 586.7500, 587.0000, 587.2500],\n"
        "        [587.5000, 587.7500, 588.0000,  ..., 599.2500, 599.5000, 599.7500]])")
    assert show(values) == expected


def test_summarized_3d_tensor_elides_rows_and_blocks():
    text = show(np.arange(1200, dtype=np.float32).reshape(12, 10, 10) / np.float32(3))
    assert text.startswith(
        "tensor([[[0.0000e+00, 3.3333e-01, 6.6667e-01,  ..., 2.3333e+00,\n"
        "          2.6667e+00, 3.0000e+00],\n")
    assert "         ...,\n" in text
    assert ",\n\n        ...,\n\n        [[3.0000e+02," in text
    assert text.endswith("  ..., 3.9900e+02,\n          3.9933e+02, 3.9967e+02]]])")
    assert text.count("\n") == 84


def test_zero_edgeitems_prints_dots_and_the_size():
    set_printoptions(edgeitems=0)
    assert show(np.arange(2000), "int64") == "tensor([...], size=(2000,))"
    assert show(np.arange(2000).reshape(20, 100), "int64") == "tensor([...], size=(20, 100))"
    assert show(np.arange(5)) == "tensor([0., 1., 2., 3., 4.], size=(5,))"


# --- suffixes and prefixes --------------------------------------------------------------------


def test_suffix_that_would_pass_linewidth_goes_on_its_own_line():
    values = [1.5, 2.25, -3.125, 4.0625, 5.5, 6.75, 7.875]
    expected = ("tensor([ 1.5000,  2.2500, -3.1250,  4.0625,  5.5000,  6.7500,  7.8750],\n"
                "       requires_grad=True)")
    assert show(values, requires_grad=True) == expected
    expected = ("tensor([ 1.5000,  2.2500, -3.1250,  4.0625,  5.5000,  6.7500],\n"
                "       dtype=gradlab.float64, requires_grad=True)")
    assert show(values[:6], "float64", requires_grad=True) == expected


def test_lines_break_where_pytorch_breaks_them_despite_the_longer_namespace():
    # 80 characters in PyTorch ("dtype=torch.int32"), so it stays on one line here too
    values = [-2000000000, -2000000001, -2000000002, -2000000003]
    expected = "tensor([-2000000000, -2000000001, -2000000002, -2000000003], dtype=gradlab.int32)"
    assert show(values, "int32") == expected
    expected = ("tensor([-2000000000, -2000000001, -2000000002, -2000000003,           1],\n"
                "       dtype=gradlab.int32)")
    assert show([*values, 1], "int32") == expected


def test_each_suffix_breaks_the_line_on_its_own():
    text = show(np.arange(30, dtype=np.float32) / np.float32(7), "float64",
                grad_fn="ToCopyBackward0")
    assert text.endswith("        3.8571, 4.0000, 4.1429], dtype=gradlab.float64,\n"
                         "       grad_fn=<ToCopyBackward0>)")


def test_continuation_lines_are_indented_by_the_prefix_length():
    expected = (
        "MyTensor([[0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333,\n"
        "           2.6667, 3.0000],\n"
        "          [3.3333, 3.6667, 4.0000, 4.3333, 4.6667, 5.0000, 5.3333, 5.6667,\n"
        "           6.0000, 6.3333]])")
    values = np.arange(20, dtype=np.float32).reshape(2, 10) / np.float32(3)
    assert show(values, prefix="MyTensor(") == expected


def test_parameter_repr_is_a_header_line_above_the_tensor_repr():
    text = "Parameter containing:\n" + show([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert text == ("Parameter containing:\n"
                    "tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)")


# --- print options ---------------------------------------------------------------------------


def test_precision_and_forced_sci_mode():
    set_printoptions(precision=2)
    assert show([1.23456, 2.5]) == "tensor([1.23, 2.50])"
    set_printoptions(precision=2, sci_mode=True)
    assert show([1.23456, 2.5]) == "tensor([1.23e+00, 2.50e+00])"
    assert show([1.0, 2.0]) == "tensor([1.00e+00, 2.00e+00])"
    set_printoptions(sci_mode=False)
    assert show([1e-6, 1e6]) == "tensor([      0.00, 1000000.00])"


def test_precision_zero_rounds_half_to_even_and_drops_the_point():
    set_printoptions(precision=0)
    assert show([2.5, 3.5, -0.4]) == "tensor([ 2,  4, -0])"


def test_linewidth_too_small_still_puts_one_element_per_line():
    set_printoptions(linewidth=0)
    assert show([1.5, 2.5]) == "tensor([1.5000,\n        2.5000])"


def test_profiles_set_their_values_and_other_arguments_override_them():
    set_printoptions(profile="short")
    assert get_printoptions() == {**DEFAULTS, "precision": 2, "edgeitems": 2}
    assert show(np.arange(2000)) == "tensor([0.00e+00, 1.00e+00,  ..., 2.00e+03, 2.00e+03])"
    set_printoptions(profile="full", linewidth=100)
    assert get_printoptions() == {**DEFAULTS, "threshold": math.inf, "linewidth": 100}
    set_printoptions(profile="default")
    assert get_printoptions() == DEFAULTS


def test_none_keeps_an_option_but_sci_mode_none_means_automatic():
    set_printoptions(precision=6, sci_mode=True)
    set_printoptions(linewidth=60)
    assert get_printoptions() == {**DEFAULTS, "precision": 6, "linewidth": 60}


def test_printoptions_context_restores_previous_options_even_after_an_error():
    set_printoptions(precision=3, sci_mode=False)
    before = get_printoptions()
    with pytest.raises(ZeroDivisionError), printoptions(precision=1, edgeitems=1):
        assert show([1.25]) == "tensor([1.2])"
        assert get_printoptions()["sci_mode"] is None
        1 / 0  # noqa: B018
    assert get_printoptions() == before


# --- format() -------------------------------------------------------------------------------


def test_format_of_a_0d_tensor_formats_its_python_number():
    pi = np.asarray(3.14, dtype=np.float32)
    assert format_spec(pi, "", "tensor(3.1400)") == "3.140000104904175"
    assert format_spec(pi, ".2f", "tensor(3.1400)") == "3.14"
    assert format_spec(np.asarray(5), ">4", "tensor(5)") == "   5"
    assert format_spec(np.asarray(True), "", "tensor(True)") == "True"


def test_format_of_other_tensors_is_str_or_type_error():
    ones = np.ones(2, dtype=np.float32)
    assert format_spec(ones, "", "tensor([1., 1.])") == "tensor([1., 1.])"
    with pytest.raises(TypeError, match=r"^unsupported format string passed to Tensor.__format__$"):
        format_spec(ones, ".2f", "tensor([1., 1.])")


def test_format_of_a_parameter_never_unwraps_the_number():
    one = np.asarray(1.0, dtype=np.float32)
    text = "Parameter containing:\ntensor(1., requires_grad=True)"
    assert format_spec(one, "", text, type_name="Parameter") == text
    with pytest.raises(TypeError, match="passed to Parameter.__format__"):
        format_spec(one, ".2f", text, type_name="Parameter")


# --- parity with PyTorch itself (skipped where torch is not installed, as in CI) -------------

PARITY_OPTIONS = [
    {},
    {"profile": "short"},
    {"profile": "full"},
    {"precision": 2, "linewidth": 40},
    {"precision": 8, "linewidth": 120, "edgeitems": 1},
    {"threshold": 10, "edgeitems": 0},
    {"sci_mode": True, "precision": 3},
    {"sci_mode": False, "threshold": 50, "edgeitems": 2},
    {"linewidth": 10, "threshold": 200},
]
FLOATS = ("float16", "float32", "float64")
INT_RANGES = {"int8": 2**7, "int16": 2**15, "int32": 2**31, "int64": 10**15, "uint8": 2**8}
MAX_SIDE = {1: 2500, 2: 60, 3: 16, 4: 8}


def random_array(rng: np.random.Generator) -> np.ndarray:
    """An array of any dtype, 0-d to 4-d, sometimes empty or past the summarizing threshold."""
    ndim = int(rng.integers(0, 5))
    side = MAX_SIDE.get(ndim, 1) if rng.random() < 0.3 else 6
    shape = tuple(int(n) for n in rng.integers(1, side + 1, size=ndim))
    if ndim and rng.random() < 0.08:
        shape = shape[:-1] + (0,)
    dtype = str(rng.choice([*FLOATS, "float32", "float32", *INT_RANGES, "bool"]))
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype in INT_RANGES:
        high = min(INT_RANGES[dtype], 10 ** int(rng.integers(1, 16)))
        low = 0 if dtype == "uint8" else -high
        return rng.integers(low, high, size=shape, dtype=dtype)
    values = rng.standard_normal(shape) * 10.0 ** rng.uniform(-10, 12)
    if rng.random() < 0.3:  # elements of very different magnitudes
        values *= 10.0 ** rng.uniform(-6, 6, size=shape)
    if rng.random() < 0.3:
        values = np.round(values)
    if rng.random() < 0.3:
        specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0])
        mask = rng.random(shape) < 0.2
        values = np.where(mask, rng.choice(specials, size=shape), values)
    with np.errstate(over="ignore"):
        return np.asarray(values).astype(dtype)


@pytest.fixture
def torch_with_default_printing(torch):
    """PyTorch, with its print options and default dtype put back after the test."""
    yield torch
    torch.set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)


@pytest.mark.parity
@pytest.mark.parametrize("options", PARITY_OPTIONS, ids=lambda o: repr(o))
def test_repr_matches_pytorch_on_random_tensors(torch_with_default_printing, options):
    torch = torch_with_default_printing

    class MyTensor(torch.Tensor):
        pass

    rng = np.random.default_rng(len(repr(options)))
    torch.set_printoptions(**options)
    set_printoptions(**options)
    mismatches = []
    for case in range(70):
        data = random_array(rng)
        dtype = str(data.dtype)
        default = "float64" if case % 5 == 0 else "float32"
        torch.set_default_dtype(getattr(torch, default))
        t = torch.tensor(data)
        kwargs, header = {"dtype": dtype, "default_dtype": default}, ""
        if case % 7 == 3:
            t = t.as_subclass(MyTensor)
            kwargs["prefix"] = "MyTensor("
        if dtype in FLOATS and case % 3 == 1:
            t = t.requires_grad_()
            kwargs["requires_grad"] = True
            if case % 2:
                t = t.clone()  # CloneBackward0, or AliasBackward0 for a subclass
                kwargs["grad_fn"] = type(t.grad_fn).__name__
        if case % 7 == 5 and dtype in FLOATS:
            t = torch.nn.Parameter(t.detach())
            kwargs.update(requires_grad=True, grad_fn=None)
            header = "Parameter containing:\n"
        theirs = repr(t).replace("torch.", "gradlab.")
        mine = header + format_tensor(data, **kwargs)
        if mine != theirs:
            mismatches.append(f"{data.dtype} {data.shape}:\n{mine}\n--- torch:\n{theirs}")
    assert not mismatches, f"{len(mismatches)} differ:\n" + "\n\n".join(mismatches)


@pytest.mark.parity
def test_format_matches_pytorch_on_scalars(torch_with_default_printing):
    torch = torch_with_default_printing
    rng = np.random.default_rng(7)
    for _ in range(100):
        data = random_array(rng).reshape(-1)[:1]
        if data.size == 0:
            continue
        data = data.reshape(())
        spec = str(rng.choice(["", ".3f", "10.2e", ">12", "g"] if data.dtype.kind == "f"
                              else ["", ">5", "<4"]))
        assert format_spec(data, spec, "unused") == format(torch.tensor(data), spec)

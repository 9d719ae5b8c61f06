"""Top-level functions with a number first, writes of bad values, integer wrap-around, the
log/exp/round variants: what PyTorch 2.13 does, pinned (and compared with torch when installed)."""

import math

import numpy as np
import pytest

import gradlab


def run(snippet: str, lib):
    """Evaluate ``snippet`` with ``torch`` bound to ``lib``; the result's repr or the error."""
    ns = {"torch": lib, "np": np, "math": math}
    *setup, last = snippet.split("; ")
    try:
        for line in setup:
            exec(line, ns)
        try:
            code = compile(last, "<snippet>", "eval")
        except SyntaxError:  # a statement, such as an assignment: it must raise to show anything
            exec(last, ns)
            return "no error"
        return repr(eval(code, ns)).replace(lib.__name__, "torch")
    except Exception as e:  # noqa: BLE001 - the error is the answer
        return f"{type(e).__name__}: {str(e).splitlines()[0]}".replace(lib.__name__, "torch")


CASES = {
    "add_number_first": ("x = torch.tensor([1., 2.], requires_grad=True); torch.add(2., x)",
                         "tensor([3., 4.], grad_fn=<AddBackward0>)"),
    "sub_number_first_with_alpha": (
        "x = torch.tensor([1., 2.], requires_grad=True); torch.sub(2., x, alpha=3)",
        "tensor([-1., -4.], grad_fn=<SubBackward0>)"),
    "div_number_first": ("x = torch.tensor([1., 2.], requires_grad=True); torch.div(2, x)",
                         "tensor([2., 1.], grad_fn=<DivBackward0>)"),
    "pow_number_first": ("x = torch.tensor([1., 2.], requires_grad=True); torch.pow(2, x)",
                         "tensor([2., 4.], grad_fn=<PowBackward2>)"),
    "remainder_number_first": (
        "x = torch.tensor([1., 2.], requires_grad=True); torch.remainder(2., x)",
        "tensor([0., 0.], grad_fn=<NotImplemented>)"),
    "add_int_first_keeps_int": ("torch.add(2, torch.tensor([1, 2]))", "tensor([3, 4])"),
    "add_number_first_float64_exact": (
        "torch.add(0.1, torch.tensor([1.], dtype=torch.float64)).item()", "1.1"),
    "maximum_refuses_a_number": (
        "torch.maximum(2., torch.tensor([1.]))",
        "TypeError: maximum(): argument 'input' (position 1) must be Tensor, not float"),
    "type_of_a_tensor": ("type(torch.tensor([1.]))", "<class 'torch.Tensor'>"),
    "sum_dim_out_of_range_on_0d": (
        "torch.tensor(3.).sum(1)",
        "IndexError: Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    "sum_dim_minus_one_on_0d": ("torch.tensor(3.).sum(-1)", "tensor(3.)"),
    "uint8_plus_large_int_wraps": ("torch.tensor([1, 2], dtype=torch.uint8) + 300",
                                   "tensor([45, 46], dtype=torch.uint8)"),
    "assign_none": ("x = torch.zeros(3); x[0] = None",
                    "TypeError: can't assign a NoneType to a torch.FloatTensor"),
    "assign_list": ("x = torch.zeros(3); x[0] = [1.]",
                    "TypeError: can't assign a list to a torch.FloatTensor"),
    "assign_ndarray": ("x = torch.zeros(3); x[0] = np.array([2.])",
                       "TypeError: can't assign a numpy.ndarray to a torch.FloatTensor"),
    "assign_numpy_scalar": ("x = torch.zeros(3); x[0] = np.float64(2.); x",
                            "tensor([2., 0., 0.])"),
    "assign_nan_to_int": ("x = torch.zeros(3, dtype=torch.int64); x[0] = float('nan')",
                          "RuntimeError: value cannot be converted to type int64_t without "
                          "overflow"),
    "assign_300_to_uint8": ("x = torch.zeros(2, dtype=torch.uint8); x[0] = 300",
                            "RuntimeError: value cannot be converted to type uint8_t without "
                            "overflow"),
    "assign_minus_one_to_uint8_wraps": ("x = torch.zeros(2, dtype=torch.uint8); x[0] = -1; x",
                                        "tensor([255,   0], dtype=torch.uint8)"),
    "assign_huge_int": ("x = torch.zeros(2); x[0] = 2**63",
                        "ValueError: Overflow when unpacking long long"),
    "assign_float_to_int_truncates": (
        "x = torch.zeros(2, dtype=torch.int64); x[0] = 2.7; x", "tensor([2, 0])"),
    "permute_without_dims": (
        "torch.ones(2).permute()",
        "TypeError: permute() missing 1 required positional arguments: \"dims\""),
    "permute_0d_with_empty_dims": ("torch.tensor(2.).permute(())", "tensor(2.)"),
    "permute_dims_keyword": ("torch.ones(2, 3).permute(dims=(1, 0)).shape",
                             "torch.Size([3, 2])"),
    "log1p_and_grad": (
        "x = torch.tensor([0.1, 2.], requires_grad=True); y = x.log1p(); "
        "y.sum().backward(); (y, x.grad)",
        "(tensor([0.0953, 1.0986], grad_fn=<Log1PBackward0>), tensor([0.9091, 0.3333]))"),
    "expm1_and_grad": (
        "x = torch.tensor([0.1, 2.], requires_grad=True); y = x.expm1(); "
        "y.sum().backward(); (y, x.grad)",
        "(tensor([0.1052, 6.3891], grad_fn=<Expm1Backward0>), tensor([1.1052, 7.3891]))"),
    "log2_and_grad": (
        "x = torch.tensor([0.5, 8.], requires_grad=True); y = torch.log2(x); "
        "y.sum().backward(); (y, x.grad)",
        "(tensor([-1.,  3.], grad_fn=<Log2Backward0>), tensor([2.8854, 0.1803]))"),
    "log10_of_ints": ("torch.log10(torch.tensor([1, 100]))", "tensor([0., 2.])"),
    "round_decimals": (
        "x = torch.tensor([0.15, 2.25], requires_grad=True); x.round(decimals=1)",
        "tensor([0.2000, 2.2000], grad_fn=<RoundBackward1>)"),
    "round_half_to_even": ("torch.round(torch.tensor([0.5, 1.5, 2.5]))",
                           "tensor([0., 2., 2.])"),
    "round_decimals_on_ints": ("torch.tensor([1, 2]).round(decimals=1)",
                               "NotImplementedError: \"round_cpu\" not implemented for 'Long'"),
}


@pytest.mark.parametrize("name", CASES)
def test_gradlab_shows_what_pytorch_shows(name):
    snippet, expected = CASES[name]
    assert run(snippet, gradlab) == expected


@pytest.mark.parity
@pytest.mark.parametrize("name", CASES)
def test_pytorch_itself_agrees_with_the_pinned_text(name, torch):
    snippet, expected = CASES[name]
    assert run(snippet, torch) == expected

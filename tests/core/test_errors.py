"""Bad input raises PyTorch's exception type with PyTorch's first line of text.

Every expected message below was produced by PyTorch 2.13 (``torch.`` written as ``gradlab.``);
``tests/core/test_torch_parity.py`` re-derives them from torch itself when it is installed. A second
line, when gradlab adds one, is a single line of advice for learners starting with ``Hint:``.
"""

from __future__ import annotations

import numpy as np
import pytest

import gradlab


def run(code: str) -> None:
    """Execute a snippet written for ``import torch`` with gradlab standing in for torch."""
    exec(code, {"torch": gradlab, "np": np})


def raised(code: str, exc: type[BaseException]) -> list[str]:
    """The lines of the message ``code`` raises, checking the exception type on the way."""
    with pytest.raises(exc) as info:
        run(code)
    assert type(info.value) is exc, f"raised {type(info.value).__name__}, PyTorch raises {exc}"
    return str(info.value).splitlines()


def assert_pytorch_message(lines: list[str], first: str) -> None:
    assert lines[0] == first
    assert len(lines) <= 2
    if len(lines) == 2:
        assert lines[1].startswith("Hint: ")


# -- item 7 of the issue: the five kinds of bad input a learner meets first ----------------------


def test_mismatched_broadcast_shapes_name_both_sizes_and_the_dimension() -> None:
    lines = raised("torch.ones(2, 3) + torch.ones(4, 3)", RuntimeError)
    assert_pytorch_message(lines, "The size of tensor a (2) must match the size of tensor b (4) "
                                  "at non-singleton dimension 0")
    assert lines[1] == ("Hint: shapes [2, 3] and [4, 3] do not broadcast; check with .shape and "
                        "use reshape/unsqueeze to line them up.")


def test_mismatched_matmul_shapes_show_both_matrices() -> None:
    lines = raised("torch.ones(2, 3) @ torch.ones(4, 3)", RuntimeError)
    assert_pytorch_message(lines, "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x3)")


def test_backward_on_a_tensor_that_does_not_require_grad() -> None:
    lines = raised("torch.tensor([1., 2.]).sum().backward()", RuntimeError)
    assert_pytorch_message(
        lines, "element 0 of tensors does not require grad and does not have a grad_fn")


def test_item_on_several_elements() -> None:
    lines = raised("torch.tensor([1., 2.]).item()", RuntimeError)
    assert_pytorch_message(lines, "a Tensor with 2 elements cannot be converted to Scalar")


def test_requires_grad_on_an_integer_tensor() -> None:
    lines = raised("torch.tensor([1, 2], requires_grad=True)", RuntimeError)
    assert_pytorch_message(
        lines, "Only Tensors of floating point and complex dtype can require gradients")


def test_unknown_dtype_given_as_a_string() -> None:
    lines = raised("torch.tensor([1., 2.], dtype='float32')", TypeError)
    assert_pytorch_message(lines, "tensor(): argument 'dtype' must be gradlab.dtype, not str")


def test_unknown_dtype_name_is_an_attribute_error() -> None:
    lines = raised("torch.float128", AttributeError)
    assert_pytorch_message(lines, "module 'gradlab' has no attribute 'float128'")


# -- everything else, one row per bad input: (code, PyTorch's exception, PyTorch's first line) --

PYTORCH_ERRORS: dict[str, tuple[str, type[BaseException], str]] = {
    "broadcast_add": (
        'torch.ones(2, 3) + torch.ones(4, 3)',
        RuntimeError,
        'The size of tensor a (2) must match the size of tensor b (4) at non-singleton dimension '
        '0',
    ),
    "broadcast_mul_trailing": (
        'torch.ones(2, 3) * torch.ones(2)',
        RuntimeError,
        'The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension '
        '1',
    ),
    "broadcast_inplace": (
        'torch.ones(3).add_(torch.ones(2, 3))',
        RuntimeError,
        "output with shape [3] doesn't match the broadcast shape [2, 3]",
    ),
    "broadcast_compare": (
        'torch.ones(2, 3) < torch.ones(3, 2)',
        RuntimeError,
        'The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension '
        '1',
    ),
    "matmul_mm_shapes": (
        'torch.ones(2, 3) @ torch.ones(4, 3)',
        RuntimeError,
        'mat1 and mat2 shapes cannot be multiplied (2x3 and 4x3)',
    ),
    "matmul_mv_shapes": (
        'torch.ones(2, 3) @ torch.ones(4)',
        RuntimeError,
        'size mismatch, got input (2), mat (2x3), vec (4)',
    ),
    "matmul_dot_shapes": (
        'torch.ones(3) @ torch.ones(4)',
        RuntimeError,
        'inconsistent tensor size, expected tensor [3] and src [4] to have the same number of '
        'elements, but got 3 and 4 elements respectively',
    ),
    "matmul_vm_shapes": (
        'torch.ones(3) @ torch.ones(4, 3)',
        RuntimeError,
        'mat1 and mat2 shapes cannot be multiplied (1x3 and 4x3)',
    ),
    "matmul_batched_shapes": (
        'torch.ones(2, 2, 3) @ torch.ones(2, 4, 3)',
        RuntimeError,
        'Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4].',
    ),
    "matmul_batch_broadcast": (
        'torch.ones(3, 2, 3) @ torch.ones(2, 3, 3)',
        RuntimeError,
        'The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension '
        '0',
    ),
    "matmul_0d": (
        'torch.ones(()) @ torch.ones(3)',
        RuntimeError,
        'both arguments to matmul need to be at least 1D, but they are 0D and 1D',
    ),
    "matmul_number": (
        'torch.matmul(torch.ones(3), 2)',
        TypeError,
        "matmul(): argument 'other' (position 2) must be Tensor, not int",
    ),
    "matmul_dtypes_mm": (
        'torch.ones(2, 3) @ torch.ones(3, 2, dtype=torch.float64)',
        RuntimeError,
        'expected m1 and m2 to have the same dtype, but got: float != double',
    ),
    "matmul_dtypes_mv": (
        'torch.ones(2, 3) @ torch.ones(3, dtype=torch.float64)',
        RuntimeError,
        'addmv input tensors must have the same dtype, but got Double, Float, and Double',
    ),
    "matmul_dtypes_dot": (
        'torch.ones(3) @ torch.ones(3, dtype=torch.float64)',
        RuntimeError,
        'dot : expected both vectors to have same dtype, but found Float and Double',
    ),
    "matmul_dtypes_bmm": (
        'torch.ones(2, 2, 3) @ torch.ones(2, 3, 2, dtype=torch.float64)',
        RuntimeError,
        'expected scalar type Float but found Double',
    ),
    "mm_not_matrix": (
        'torch.mm(torch.ones(3), torch.ones(3, 2))',
        RuntimeError,
        'self must be a matrix',
    ),
    "bmm_not_3d": (
        'torch.bmm(torch.ones(2, 3), torch.ones(3, 2))',
        RuntimeError,
        'batch1 must be a 3D tensor',
    ),
    "backward_no_grad": (
        'torch.tensor([1., 2.]).sum().backward()',
        RuntimeError,
        'element 0 of tensors does not require grad and does not have a grad_fn',
    ),
    "backward_under_no_grad": (
        'x = torch.ones(2, requires_grad=True)\n'
        'with torch.no_grad():\n'
        '    y = (x * 2).sum()\n'
        'y.backward()',
        RuntimeError,
        'element 0 of tensors does not require grad and does not have a grad_fn',
    ),
    "grad_no_grad_input": (
        'x = torch.ones(2, requires_grad=True)\n'
        'torch.autograd.grad(x.sum(), torch.ones(2))',
        RuntimeError,
        'One of the differentiated Tensors does not require grad',
    ),
    "item_many": (
        'torch.tensor([1., 2.]).item()',
        RuntimeError,
        'a Tensor with 2 elements cannot be converted to Scalar',
    ),
    "float_many": (
        'float(torch.tensor([1., 2.]))',
        ValueError,
        'only one element tensors can be converted to Python scalars',
    ),
    "bool_many": (
        'bool(torch.tensor([1., 2.]))',
        RuntimeError,
        'Boolean value of Tensor with more than one value is ambiguous',
    ),
    "requires_grad_int_tensor": (
        'torch.tensor([1, 2], requires_grad=True)',
        RuntimeError,
        'Only Tensors of floating point and complex dtype can require gradients',
    ),
    "requires_grad_int_zeros": (
        'torch.zeros(2, dtype=torch.int64, requires_grad=True)',
        RuntimeError,
        'Only Tensors of floating point and complex dtype can require gradients',
    ),
    "requires_grad_int_method": (
        'torch.tensor([1, 2]).requires_grad_()',
        RuntimeError,
        'only Tensors of floating point dtype can require gradients',
    ),
    "requires_grad_int_setter": (
        'x = torch.tensor([1, 2])\n'
        'x.requires_grad = True',
        RuntimeError,
        'only Tensors of floating point and complex dtype can require gradients',
    ),
    "dtype_string": (
        "torch.tensor([1., 2.], dtype='float32')",
        TypeError,
        "tensor(): argument 'dtype' must be gradlab.dtype, not str",
    ),
    "dtype_numpy": (
        'torch.zeros(2, dtype=np.float32)',
        TypeError,
        "zeros(): argument 'dtype' must be gradlab.dtype, not type",
    ),
    "to_string_dtype": (
        "torch.zeros(2).to('float64')",
        RuntimeError,
        "Invalid device string: 'float64'",
    ),
    "backward_twice": (
        'x = torch.ones(2, requires_grad=True)\n'
        'y = (x * x).sum()\n'
        'y.backward()\n'
        'y.backward()',
        RuntimeError,
        'Trying to backward through the graph a second time (or directly access saved tensors '
        'after they have already been freed). Saved intermediate values of the graph are freed '
        'when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to '
        'backward through the graph a second time or if you need to access saved tensors after '
        'calling backward.',
    ),
    "nonscalar_backward": (
        'x = torch.ones(2, requires_grad=True)\n'
        '(x * 2).backward()',
        RuntimeError,
        'grad can be implicitly created only for scalar outputs',
    ),
    "gradient_shape": (
        'x = torch.ones(2, requires_grad=True)\n'
        '(x * 2).backward(torch.ones(3))',
        RuntimeError,
        'Mismatch in shape: grad_output[0] has a shape of gradlab.Size([3]) and output[0] has a '
        'shape of gradlab.Size([2]).',
    ),
    "leaf_inplace": (
        'x = torch.ones(2, requires_grad=True)\n'
        'x.add_(1)',
        RuntimeError,
        'a leaf Variable that requires grad is being used in an in-place operation.',
    ),
    "leaf_iadd": (
        'x = torch.ones(2, requires_grad=True)\n'
        'x += 1',
        RuntimeError,
        'a leaf Variable that requires grad is being used in an in-place operation.',
    ),
    "leaf_setitem": (
        'x = torch.ones(2, requires_grad=True)\n'
        'x[0] = 5',
        RuntimeError,
        'a view of a leaf Variable that requires grad is being used in an in-place operation.',
    ),
    "leaf_view_inplace": (
        'x = torch.ones(2, requires_grad=True)\n'
        'x[0].mul_(2)',
        RuntimeError,
        'a view of a leaf Variable that requires grad is being used in an in-place operation.',
    ),
    "unbind_view_inplace": (
        'p = torch.ones(2, requires_grad=True)\n'
        'w, b = p\n'
        'w.add_(1)',
        RuntimeError,
        'Output 0 of Unbind is a view and is being modified inplace. This view is the output of a '
        'function that returns multiple views. Such functions do not allow the output views to be '
        'modified inplace. You should replace the inplace operation by an out-of-place one.',
    ),
    "version_nonleaf": (
        'x = torch.ones(2, requires_grad=True)\n'
        'y = x.exp()\n'
        'z = y * 2\n'
        'y.add_(1)\n'
        'z.sum().backward()',
        RuntimeError,
        'one of the variables needed for gradient computation has been modified by an inplace '
        'operation: [gradlab.FloatTensor [2]], which is output 0 of Exp, is at version 1; '
        'expected version 0 instead. Hint: enable anomaly detection to find the operation that '
        'failed to compute its gradient, with gradlab.autograd.set_detect_anomaly(True, '
        'check_nan=False).',
    ),
    "version_output": (
        'x = torch.ones(2, requires_grad=True)\n'
        'y = x.exp()\n'
        'y.add_(1)\n'
        'y.sum().backward()',
        RuntimeError,
        'one of the variables needed for gradient computation has been modified by an inplace '
        'operation: [gradlab.FloatTensor [2]], which is output 0 of Exp, is at version 1; '
        'expected version 0 instead. Hint: enable anomaly detection to find the operation that '
        'failed to compute its gradient, with gradlab.autograd.set_detect_anomaly(True, '
        'check_nan=False).',
    ),
    "version_sigmoid_3d": (
        'x = torch.ones(2, 1, 3, requires_grad=True)\n'
        'y = x.sigmoid()\n'
        'y.mul_(2)\n'
        'y.sum().backward()',
        RuntimeError,
        'one of the variables needed for gradient computation has been modified by an inplace '
        'operation: [gradlab.FloatTensor [2, 1, 3]], which is output 0 of Sigmoid, is at version '
        '1; expected version 0 instead. Hint: enable anomaly detection to find the operation that '
        'failed to compute its gradient, with gradlab.autograd.set_detect_anomaly(True, '
        'check_nan=False).',
    ),
    "version_double": (
        'x = torch.ones(2, dtype=torch.float64, requires_grad=True)\n'
        'y = x * 1\n'
        'z = y * y\n'
        'y.zero_()\n'
        'z.sum().backward()',
        RuntimeError,
        'one of the variables needed for gradient computation has been modified by an inplace '
        'operation: [gradlab.DoubleTensor [2]], which is output 0 of Zero, is at version 1; '
        'expected version 0 instead. Hint: enable anomaly detection to find the operation that '
        'failed to compute its gradient, with gradlab.autograd.set_detect_anomaly(True, '
        'check_nan=False).',
    ),
    "allow_unused": (
        'x = torch.ones(2, requires_grad=True)\n'
        'z = torch.ones(1, requires_grad=True)\n'
        'torch.autograd.grad(x.sum(), [x, z])',
        RuntimeError,
        'The differentiated Tensor at index 1 appears to not have been used in the graph. Set '
        'allow_unused=True if this is the desired behavior.',
    ),
    "nonleaf_requires_grad_false": (
        'x = torch.ones(2, requires_grad=True)\n'
        'y = x * 2\n'
        'y.requires_grad = False',
        RuntimeError,
        'you can only change requires_grad flags of leaf variables. If you want to use a computed '
        "variable in a subgraph that doesn't require differentiation use var_no_grad = "
        'var.detach().',
    ),
    "retain_grad_no_grad": (
        'torch.ones(2).retain_grad()',
        RuntimeError,
        "can't retain_grad on Tensor that has requires_grad=False",
    ),
    "hook_no_grad": (
        'torch.ones(2).register_hook(lambda g: g)',
        RuntimeError,
        "cannot register a hook on a tensor that doesn't require gradient",
    ),
    "numpy_requires_grad": (
        'torch.ones(2, requires_grad=True).numpy()',
        RuntimeError,
        "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.",
    ),
    "grad_assign_size": (
        'x = torch.ones(2, requires_grad=True)\n'
        'x.grad = torch.ones(3)',
        RuntimeError,
        "attempting to assign a gradient of size '[3]' to a tensor of size '[2]'. Please ensure "
        'that the gradient and the tensor are the same size',
    ),
    "grad_assign_type": (
        'x = torch.ones(2, requires_grad=True)\n'
        'x.grad = [1.0, 2.0]',
        TypeError,
        'assigned grad expected to be a Tensor or None but got grad of type list',
    ),
    "function_wrong_count": (
        'class F(torch.autograd.Function):\n'
        '    @staticmethod\n'
        '    def forward(ctx, x):\n'
        '        return x * 2\n'
        '    @staticmethod\n'
        '    def backward(ctx, g):\n'
        '        return g, g\n'
        'F.apply(torch.ones(2, requires_grad=True)).sum().backward()',
        RuntimeError,
        'function FBackward returned an incorrect number of gradients (expected 1, got 2)',
    ),
    "function_wrong_shape": (
        'class F(torch.autograd.Function):\n'
        '    @staticmethod\n'
        '    def forward(ctx, x):\n'
        '        return x * 2\n'
        '    @staticmethod\n'
        '    def backward(ctx, g):\n'
        '        return torch.ones(3)\n'
        'F.apply(torch.ones(2, requires_grad=True)).sum().backward()',
        RuntimeError,
        'Function FBackward returned an invalid gradient at index 0 - got [3] but expected shape '
        'compatible with [2]',
    ),
    "function_no_backward": (
        'class F(torch.autograd.Function):\n'
        '    @staticmethod\n'
        '    def forward(ctx, x):\n'
        '        return x * 2\n'
        'F.apply(torch.ones(2, requires_grad=True)).sum().backward()',
        NotImplementedError,
        'You must implement either the backward or vjp method for your custom autograd.Function '
        'to use it with backward mode AD.',
    ),
    "function_twice": (
        'class F(torch.autograd.Function):\n'
        '    @staticmethod\n'
        '    def forward(ctx, x):\n'
        '        ctx.save_for_backward(x)\n'
        '        return x * 2\n'
        '    @staticmethod\n'
        '    def backward(ctx, g):\n'
        '        (x,) = ctx.saved_tensors\n'
        '        return g * 2\n'
        'y = F.apply(torch.ones(2, requires_grad=True)).sum()\n'
        'y.backward()\n'
        'y.backward()',
        RuntimeError,
        'Trying to backward through the graph a second time (or directly access saved tensors '
        'after they have already been freed). Saved intermediate values of the graph are freed '
        'when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to '
        'backward through the graph a second time or if you need to access saved tensors after '
        'calling backward.',
    ),
    "function_version": (
        'class F(torch.autograd.Function):\n'
        '    @staticmethod\n'
        '    def forward(ctx, x):\n'
        '        ctx.save_for_backward(x)\n'
        '        return x * 2\n'
        '    @staticmethod\n'
        '    def backward(ctx, g):\n'
        '        (x,) = ctx.saved_tensors\n'
        '        return g * 2\n'
        'x = torch.ones(2, requires_grad=True)\n'
        'y = x * 1\n'
        'z = F.apply(y)\n'
        'y.mul_(2)\n'
        'z.sum().backward()',
        RuntimeError,
        'one of the variables needed for gradient computation has been modified by an inplace '
        'operation: [gradlab.FloatTensor [2]], which is output 0 of Mul, is at version 1; '
        'expected version 0 instead. Hint: enable anomaly detection to find the operation that '
        'failed to compute its gradient, with gradlab.autograd.set_detect_anomaly(True, '
        'check_nan=False).',
    ),
    "view_incompatible": (
        'torch.ones(2, 3).t().view(6)',
        RuntimeError,
        "view size is not compatible with input tensor's size and stride (at least one dimension "
        'spans across two contiguous subspaces). Use .reshape(...) instead.',
    ),
    "view_size": (
        'torch.ones(2, 3).view(4)',
        RuntimeError,
        "shape '[4]' is invalid for input of size 6",
    ),
    "reshape_size": (
        'torch.ones(2, 3).reshape(4, -1)',
        RuntimeError,
        "shape '[4, -1]' is invalid for input of size 6",
    ),
    "reshape_two_minus_one": (
        'torch.ones(2, 3).reshape(-1, -1)',
        RuntimeError,
        'only one dimension can be inferred',
    ),
    "squeeze_dim_range": (
        'torch.ones(2, 3).squeeze(2)',
        IndexError,
        'Dimension out of range (expected to be in range of [-2, 1], but got 2)',
    ),
    "unsqueeze_dim_range": (
        'torch.ones(2, 3).unsqueeze(4)',
        IndexError,
        'Dimension out of range (expected to be in range of [-3, 2], but got 4)',
    ),
    "transpose_dim_range": (
        'torch.ones(2, 3).transpose(0, 2)',
        IndexError,
        'Dimension out of range (expected to be in range of [-2, 1], but got 2)',
    ),
    "t_3d": (
        'torch.ones(2, 3, 4).t()',
        RuntimeError,
        't() expects a tensor with <= 2 dimensions, but self is 3D',
    ),
    "permute_length": (
        'torch.ones(2, 3).permute(0)',
        RuntimeError,
        'permute(sparse_coo): number of dimensions in the tensor input does not match the length '
        'of the desired ordering of dimensions i.e. input.dim() = 2 is not equal to len(dims) = 1',
    ),
    "permute_repeat": (
        'torch.ones(2, 3).permute(0, 0)',
        RuntimeError,
        'permute(): duplicate dims are not allowed.',
    ),
    "expand_fewer": (
        'torch.ones(2, 3).expand(3)',
        RuntimeError,
        'expand(gradlab.FloatTensor{[2, 3]}, size=[3]): the number of sizes provided (1) must be '
        'greater or equal to the number of dimensions in the tensor (2)',
    ),
    "expand_mismatch": (
        'torch.ones(2, 3).expand(4, 3)',
        RuntimeError,
        'The expanded size of the tensor (4) must match the existing size (2) at non-singleton '
        'dimension 0.  Target sizes: [4, 3].  Tensor sizes: [2, 3]',
    ),
    "sum_dim_range": (
        'torch.ones(2).sum(1)',
        IndexError,
        'Dimension out of range (expected to be in range of [-1, 0], but got 1)',
    ),
    "sum_dim_repeat": (
        'torch.ones(2, 3).sum((0, 0))',
        RuntimeError,
        'dim 0 appears multiple times in the list of dims',
    ),
    "mean_int": (
        'torch.tensor([1, 2]).mean()',
        RuntimeError,
        'mean(): could not infer output dtype. Input dtype must be either a floating point or '
        'complex dtype. Got: Long',
    ),
    "var_int": (
        'torch.tensor([1, 2]).var()',
        RuntimeError,
        'std and var only support floating point and complex dtypes',
    ),
    "max_empty": (
        'torch.ones(0).max()',
        RuntimeError,
        'max(): Expected reduction dim to be specified for input.numel() == 0. Specify the '
        "reduction dim with the 'dim' argument.",
    ),
    "softmax_no_dim": (
        'torch.ones(2).softmax()',
        TypeError,
        'softmax() missing 1 required positional arguments: "dim"',
    ),
    "softmax_int": (
        'torch.tensor([1, 2]).softmax(0)',
        NotImplementedError,
        '"softmax_lastdim_kernel_impl" not implemented for \'Long\'',
    ),
    "stack_sizes": (
        'torch.stack([torch.ones(2), torch.ones(3)])',
        RuntimeError,
        'stack expects each tensor to be equal size, but got [2] at entry 0 and [3] at entry 1',
    ),
    "stack_empty": (
        'torch.stack([])',
        RuntimeError,
        'stack expects a non-empty TensorList',
    ),
    "cat_sizes": (
        'torch.cat([torch.ones(2, 2), torch.ones(2, 3)])',
        RuntimeError,
        'Sizes of tensors must match except in dimension 0. Expected size 2 but got size 3 for '
        'tensor number 1 in the list.',
    ),
    "cat_dims": (
        'torch.cat([torch.ones(2, 2), torch.ones(2)])',
        RuntimeError,
        'Tensors must have same number of dimensions: got 2 and 1',
    ),
    "where_condition": (
        'torch.where(torch.tensor([1., 0.]), 1., 2.)',
        RuntimeError,
        'where expected condition to be a boolean tensor, but got a tensor with dtype Float',
    ),
    "index_out_of_range": (
        'torch.ones(2, 3)[2]',
        IndexError,
        'index 2 is out of bounds for dimension 0 with size 2',
    ),
    "index_out_of_range_second": (
        'torch.ones(2, 3)[0, 3]',
        IndexError,
        'index 3 is out of bounds for dimension 1 with size 3',
    ),
    "index_too_many": (
        'torch.ones(2, 3)[0, 0, 0]',
        IndexError,
        'too many indices for tensor of dimension 2',
    ),
    "index_float": (
        'torch.ones(2, 3)[1.5]',
        IndexError,
        'only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid '
        'indices (got float)',
    ),
    "index_list_range": (
        'torch.ones(2, 3)[[0, 2]]',
        IndexError,
        'index 2 is out of bounds for dimension 0 with size 2',
    ),
    "index_mask_shape": (
        'torch.ones(2, 3)[torch.tensor([True, False, True])]',
        IndexError,
        'The shape of the mask [3] at index 0 does not match the shape of the indexed tensor [2, '
        '3] at index 0',
    ),
    "index_0d_slice": (
        'torch.tensor(1.)[:]',
        IndexError,
        'slice() cannot be applied to a 0-dim tensor.',
    ),
    "index_negative_step": (
        'torch.ones(3)[::-1]',
        ValueError,
        'step must be greater than zero',
    ),
    "setitem_shape": (
        'x = torch.ones(2, 2)\n'
        'x[0] = torch.ones(3)',
        RuntimeError,
        'The expanded size of the tensor (2) must match the existing size (3) at non-singleton '
        'dimension 0.  Target sizes: [2].  Tensor sizes: [3]',
    ),
    "len_0d": (
        'len(torch.tensor(1.))',
        TypeError,
        'len() of a 0-d tensor',
    ),
    "iter_0d": (
        'iter(torch.tensor(1.))',
        TypeError,
        'iteration over a 0-d tensor',
    ),
    "size_dim_range": (
        'torch.ones(2).size(1)',
        IndexError,
        'Dimension out of range (expected to be in range of [-1, 0], but got 1)',
    ),
    "clamp_no_bounds": (
        'torch.ones(2).clamp()',
        RuntimeError,
        "gradlab.clamp: At least one of 'min' or 'max' must not be None",
    ),
    "bool_sub": (
        'torch.tensor([True]) - torch.tensor([False])',
        RuntimeError,
        'Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or '
        '`logical_xor()` operator instead.',
    ),
    "bool_neg": (
        '-torch.tensor([True])',
        RuntimeError,
        'Negation, the `-` operator, on a bool tensor is not supported. If you are trying to '
        'invert a mask, use the `~` or `logical_not()` operator instead.',
    ),
    "int_negative_power": (
        'torch.tensor([2]) ** -1',
        RuntimeError,
        'Integers to negative integer powers are not allowed.',
    ),
    "int_floor_divide_zero": (
        'torch.tensor([1, 2]) // 0',
        RuntimeError,
        'ZeroDivisionError',
    ),
    "inplace_cast": (
        'torch.tensor([1, 2]).mul_(1.5)',
        RuntimeError,
        "result type Float can't be cast to the desired output type Long",
    ),
    "inplace_shape": (
        'torch.ones(2).add_(torch.ones(2, 2))',
        RuntimeError,
        "output with shape [2] doesn't match the broadcast shape [2, 2]",
    ),
    "cuda_method": (
        'torch.ones(2).cuda()',
        AssertionError,
        'Torch not compiled with CUDA enabled',
    ),
    "cuda_to": (
        "torch.ones(2).to('cuda')",
        AssertionError,
        'Torch not compiled with CUDA enabled',
    ),
    "cuda_create": (
        "torch.zeros(2, device='cuda')",
        AssertionError,
        'Torch not compiled with CUDA enabled',
    ),
    "device_unknown": (
        "torch.device('gpu')",
        RuntimeError,
        'Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, '
        'xla, lazy, vulkan, mps, meta, hpu, mtia, privateuseone device type at start of device '
        'string: gpu',
    ),
    "ragged": (
        'torch.tensor([[1, 2], [3]])',
        ValueError,
        'expected sequence of length 2 at dim 1 (got 1)',
    ),
    "tensor_from_str": (
        "torch.tensor('abc')",
        TypeError,
        "new(): invalid data type 'str'",
    ),
    "add_str": (
        "torch.ones(2) + 'a'",
        TypeError,
        "unsupported operand type(s) for +: 'Tensor' and 'str'",
    ),
    "add_none": (
        'torch.ones(2) + None',
        TypeError,
        "unsupported operand type(s) for +: 'Tensor' and 'NoneType'",
    ),
    "masked_fill_mask_dtype": (
        'torch.ones(3).masked_fill(torch.tensor([1, 0, 1]), 0.)',
        RuntimeError,
        'masked_fill_ only supports boolean masks, but got mask with dtype long int',
    ),
    "masked_fill_value_dim": (
        'torch.ones(3).masked_fill(torch.tensor([True, False, True]), torch.ones(2))',
        RuntimeError,
        'masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 '
        'dimension(s).',
    ),
    "zeros_negative": (
        'torch.zeros(-1)',
        RuntimeError,
        'zeros: Dimension size must be non-negative.',
    ),
    "zeros_float_size": (
        'torch.zeros(2.5)',
        TypeError,
        "zeros(): argument 'size' (position 1) must be tuple of ints, not float",
    ),
    "arange_zero_step": (
        'torch.arange(0, 3, 0)',
        RuntimeError,
        'step must be nonzero',
    ),
    "mT_1d": (
        'torch.ones(3).mT',
        RuntimeError,
        'tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.',
    ),
    "flatten_order": (
        'torch.ones(2, 3, 4).flatten(2, 1)',
        RuntimeError,
        'flatten() has invalid args: start_dim cannot come after end_dim',
    ),
    "split_sizes": (
        'torch.ones(5).split([2, 2])',
        RuntimeError,
        "split_with_sizes expects split_sizes to sum exactly to 5 (input tensor's size at "
        'dimension 0), but got split_sizes=[2, 2]',
    ),
    "dot_not_1d": (
        'torch.dot(torch.ones(2, 2), torch.ones(2))',
        RuntimeError,
        '1D tensors expected, but got 2D and 1D tensors',
    ),
    "maximum_number": (
        'torch.maximum(torch.ones(2), 1.0)',
        TypeError,
        "maximum(): argument 'other' (position 2) must be Tensor, not float",
    ),
    "deepcopy_nonleaf": (
        'import copy\n'
        'x = torch.ones(2, requires_grad=True)\n'
        'copy.deepcopy(x * 2)',
        RuntimeError,
        'Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol '
        'at the moment.  If you were attempting to deepcopy a module, this may be because of a '
        'gradlab.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001',
    ),
}


@pytest.mark.parametrize("name", PYTORCH_ERRORS)
def test_bad_input_raises_pytorchs_error(name: str) -> None:
    code, exc, first = PYTORCH_ERRORS[name]
    assert_pytorch_message(raised(code, exc), first)

"""The ``Tensor``: a numpy array plus the autograd bookkeeping PyTorch keeps beside it.

A tensor holds its values (``_data``), whether it requires grad, the ``grad_fn`` that made it
(``None`` for a leaf), its ``.grad``, and a version counter shared with its views so that
backward can tell when a saved value was changed in place. The Tensor is the layer
above the numerics and below autograd: it holds values and autograd's fields, while the methods
that walk the graph (``backward``, ``register_hook``, ``retain_grad``) are attached by
``gradlab.autograd.api`` and the operations by ``gradlab._tensor_methods``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from gradlab import _dtype
from gradlab._device import CPU, check_device, device
from gradlab._size import Size
from gradlab._state import STATE
from gradlab._tensor_str import format_tensor

__all__ = ["Tensor", "device", "check_device", "typename"]

NONLEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information."
)

DETACH_VIEW_MESSAGE = (
    "Can't detach views in-place. Use detach() instead. If you are using "
    "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as True, "
    "gradients are views of DDP buckets, and hence detach_() cannot be called on these "
    "gradients. To fix this error, please refer to the Optimizer.zero_grad() function in "
    "torch/optim/optimizer.py as the solution."
)


# C++ type names, which PyTorch shows in some messages ("expected ... double != float").
_C_NAMES = {"float32": "float", "float64": "double", "int64": "long int", "int32": "int",
            "float16": "c10::Half", "bool": "bool", "int16": "short int", "int8": "signed char",
            "uint8": "unsigned char"}

class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    >>> w = gradlab.tensor(4.0, requires_grad=True)
    >>> y = w * 3 + 5          # tensor(17., grad_fn=<AddBackward0>)
    >>> y.backward(); w.grad   # tensor(3.)
    """

    __module__ = "gradlab"  # type(x) shows <class 'gradlab.Tensor'>, as torch shows torch.Tensor
    __slots__ = ("_data", "_rg", "_grad", "grad_fn", "_output_nr", "_vc", "_base", "_hooks",
                 "_acc", "_retains", "__weakref__", "__dict__")
    __array_priority__ = 1000  # numpy defers to our reflected operators: ndarray * Tensor
    _inference = False  # set on the tensors made inside inference_mode()

    # -- construction ----------------------------------------------------------------------
    def __init__(self, *args: Any) -> None:
        """``Tensor(2, 3)`` (uninitialised, like ``empty``) or ``Tensor([1, 2])`` (float32)."""
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            data = np.array(args[0], dtype=_dtype.get_default_dtype().np)
        else:
            data = np.zeros(tuple(int(a) for a in args), dtype=_dtype.get_default_dtype().np)
        Tensor._init(self, data, False, None)

    def _init(self, data: np.ndarray, rg: bool, grad_fn: Any, output_nr: int = 0) -> None:
        self._data = data
        self._rg = rg
        self._grad = None
        self.grad_fn = grad_fn
        self._output_nr = output_nr
        self._vc = [0]
        self._base = None
        self._hooks = None
        self._acc = None
        self._retains = False
        if STATE.inference:
            self._inference = True

    @classmethod
    def _make(cls, data: np.ndarray, grad_fn: Any = None, output_nr: int = 0) -> Tensor:
        """Fast internal constructor: wrap an ndarray (no copy, no checks)."""
        t = object.__new__(cls)  # the attributes of _init, set inline: this is the hot path
        t._data, t._rg, t._grad = data, grad_fn is not None, None
        t.grad_fn, t._output_nr = grad_fn, output_nr
        t._vc, t._base, t._hooks, t._acc, t._retains = [0], None, None, None, False
        if STATE.inference:
            t._inference = True
        return t

    # -- what a tensor is ------------------------------------------------------------------
    @property
    def dtype(self) -> _dtype.dtype:
        return _dtype.FROM_NUMPY[self._data.dtype]

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return Size(self._data.shape)
        if not self._data.ndim:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def device(self) -> device:
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def is_cpu(self) -> bool:
        return True

    def get_device(self) -> int:
        """-1: the CPU (PyTorch's answer for CPU tensors)."""
        return -1

    def is_pinned(self) -> bool:
        return False

    def pin_memory(self) -> Tensor:
        """Pinned memory is for copies to a GPU; without one PyTorch refuses, and so does this."""
        raise RuntimeError("Cannot access accelerator device when none is available.")

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def stride(self, dim: int | None = None) -> Any:
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim)]

    def data_ptr(self) -> int:
        return int(self._data.__array_interface__["data"][0])

    @property
    def _version(self) -> int:
        return self._vc[0]

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self) -> int:
        return id(self)

    # -- autograd --------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None:
            msg = "you can only change requires_grad flags of leaf variables."
            if not value:
                msg += (" If you want to use a computed variable in a subgraph that doesn't "
                        "require differentiation use var_no_grad = var.detach().")
            raise RuntimeError(msg)
        if value and self.is_inference() and not STATE.inference:
            raise RuntimeError("Setting requires_grad=True on inference tensor outside "
                               "InferenceMode is not allowed.")
        if value and self._data.dtype.kind != "f":
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients\n"
                "Hint: make the tensor floating point first, "
                "e.g. gradlab.tensor([1., 2.]) or .float()."
            )
        # a view without history still requires grad while its base does (PyTorch's view rule)
        self._rg = bool(value) or (self._base is not None and self._base._rg)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return the tensor (leaves only)."""
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if requires_grad and self.grad_fn is not None:
            return self  # a non-leaf already requires grad; PyTorch allows asking again
        self.requires_grad = requires_grad
        return self

    def is_inference(self) -> bool:
        """True for a tensor made inside ``inference_mode()`` (or a view of one)."""
        return self._inference

    def _is_view(self) -> bool:
        """True for a view: it shares its memory and version counter with ``_base``."""
        return self._base is not None

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (not by an operation that records history)."""
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        if self.grad_fn is not None and not self._retains:
            warnings.warn(NONLEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"attempting to assign a gradient of size '{list(value.shape)}' "
                                   f"to a tensor of size '{list(self.shape)}'. Please ensure that "
                                   "the gradient and the tensor are the same size")
            if value.dtype is not self.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_C_NAMES[value.dtype.name]}' "
                    f"to a tensor with grad_dtype '{self.dtype._legacy[:-6]}'. The gradient must "
                    "match the tensor's grad_dtype (defaults to the tensor's dtype). You can set "
                    "the tensor's grad_dtype attribute with a specific dtype, or None to allow any "
                    "dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its "
                    "gradient may break downstream systems that assume they match.")
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return self._retains

    def detach(self) -> Tensor:
        """The same values (shared memory and version counter), cut off from the graph."""
        t = Tensor._make(self._data)
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        """Cut this tensor off the graph in place (refused for views, as in PyTorch)."""
        if self._base is not None:
            raise RuntimeError(DETACH_VIEW_MESSAGE)
        self.grad_fn, self._rg, self._output_nr = None, False, 0
        return self

    @property
    def data(self) -> Tensor:
        """The values as a tensor that autograd does not track (even its in-place changes)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        if self._rg and value._data.dtype.kind != "f":
            raise RuntimeError("data set to a tensor that requires gradients must be floating "
                               "point or complex dtype")
        self._data = value._data

    # -- leaving gradlab -------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The values as a numpy array sharing memory (refused while the tensor requires grad)."""
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        arr = self.numpy()
        return arr if dtype is None else arr.astype(dtype, copy=False)

    def item(self) -> Any:
        """The single value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        return self._data.reshape(()).item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def _scalar(self) -> Any:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.reshape(()).item()

    def __float__(self) -> float:
        if self._rg:
            warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to "
                          "unexpected behavior.\nConsider using tensor.detach() first.",
                          UserWarning, stacklevel=2)
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.reshape(()).item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            many = "no values" if not self._data.size else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {many} is ambiguous")
        return bool(self._data.reshape(()).item())

    def __complex__(self) -> complex:
        return complex(self._scalar())

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        fn = self.grad_fn
        return format_tensor(self._data, dtype=self.dtype.name,
                             default_dtype=_dtype.get_default_dtype().name,
                             requires_grad=self._rg,
                             grad_fn=type(fn).__name__ if fn is not None else None)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild, (self._data.copy(), self._rg))

    def __deepcopy__(self, memo: dict) -> Tensor:
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support "
                               "the deepcopy protocol at the moment.  If you were attempting to "
                               "deepcopy a module, this may be because of a "
                               "gradlab.nn.utils.weight_norm "
                               "usage, see https://github.com/pytorch/pytorch/pull/103001")
        new = type(self).__new__(type(self))
        Tensor._init(new, self._data.copy(), self._rg, None)
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = new
        return new

    def __setstate__(self, state: Any) -> None:  # pragma: no cover - pickling goes via _rebuild
        raise RuntimeError("unexpected tensor state")


def _rebuild(data: np.ndarray, rg: bool) -> Tensor:
    t = Tensor._make(data)
    t._rg = rg
    return t


def _wrap_dim(dim: int, ndim: int) -> int:
    """A dimension index in range, negative ones counted from the end, as PyTorch checks it."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


def typename(obj: Any) -> str:
    """A value's type as PyTorch names it in messages (``torch.typename``): ``gradlab.FloatTensor``
    for a tensor, ``int``, ``gradlab.nn.modules.linear.Linear`` (a class's ``_torch_module``)."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    qualname = getattr(obj, "__qualname__", getattr(obj, "__name__", None))
    if qualname is None:
        module, qualname = type(obj).__module__ or "", type(obj).__qualname__
    module = vars(obj if isinstance(obj, type) else type(obj)).get("_torch_module", module)
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"

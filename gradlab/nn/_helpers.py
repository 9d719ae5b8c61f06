"""Small helpers shared by ``gradlab.nn`` and ``gradlab.optim``: type names in messages
(``torch.typename``), the indentation of nested module printouts, resetting gradients, and
reading the dtype out of ``module.to(...)``'s arguments."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gradlab.tensor import Tensor, check_device

__all__ = ["typename", "addindent", "zero_grads", "target_dtype"]


def typename(obj: Any) -> str:
    """How PyTorch names a value's type in messages: ``gradlab.FloatTensor``, ``int``..."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module, qualname = type(obj).__module__ or "", type(obj).__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


def addindent(text: str, spaces: int) -> str:
    """Indent every line but the first (how a child's printout nests in its parent's)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def zero_grads(params: Iterable[Tensor], set_to_none: bool) -> None:
    """``zero_grad``: each ``.grad`` to ``None``, or detached and filled with zeros in place."""
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            if p.grad.grad_fn is not None:
                p.grad.detach_()
            else:
                p.grad.requires_grad_(False)
            p.grad.zero_()


def target_dtype(args: tuple, kwargs: dict[str, Any]) -> Any:
    """The dtype ``module.to(*args, **kwargs)`` asks for (``None`` if only a device is given);
    devices other than the CPU are refused."""
    dtype = kwargs.pop("dtype", None)
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif not isinstance(arg, str) and hasattr(arg, "is_floating_point"):
            dtype = arg
        else:
            check_device(arg)
    check_device(kwargs.get("device"))
    if dtype is not None and not dtype.is_floating_point:
        raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but "
                        f"got desired dtype={dtype}")
    return dtype

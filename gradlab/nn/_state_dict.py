"""Saving and loading a module's state: ``Module.state_dict`` and ``Module.load_state_dict``.

A state dict maps dotted names (``0.weight``, ``linear.bias``) to tensors, in registration
order. Loading walks the module tree the same way, copies matching tensors in place, and
collects every problem (missing keys, unexpected keys, shape mismatches) into one error worded
exactly as PyTorch words it, so a learner can read the same message in both libraries.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict, namedtuple
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gradlab.autograd.grad_mode import no_grad
from gradlab.nn.parameter import Parameter
from gradlab.tensor import Tensor

if TYPE_CHECKING:
    from gradlab.nn.module import Module

__all__ = ["IncompatibleKeys", "save", "load"]


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it could not match, printed as PyTorch does."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return "_IncompatibleKeys" + super().__repr__()[len("IncompatibleKeys"):]

    __str__ = __repr__


def _persistent(module: Module) -> dict[str, Tensor]:
    """The parameters and persistent buffers of one module (not of its children)."""
    buffers = ((k, v) for k, v in module._buffers.items()
               if k not in module._non_persistent_buffers_set)
    return {k: v for k, v in itertools.chain(module._parameters.items(), buffers)
            if v is not None}


def save(module: Module, destination: Any, prefix: str, keep_vars: bool) -> OrderedDict:
    """Fill ``destination`` with ``prefix + name -> tensor`` for the whole tree."""
    if destination is None:
        destination = OrderedDict()
    for name, value in _persistent(module).items():
        destination[prefix + name] = value if keep_vars else value.detach()
    for name, child in module._modules.items():
        if child is not None:
            save(child, destination, prefix + name + ".", keep_vars)
    return destination


def load(module: Module, state_dict: Mapping[str, Any], strict: bool,
         assign: bool) -> IncompatibleKeys:
    """Copy matching tensors in; raise PyTorch's combined error if anything does not fit."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
    missing: list[str] = []
    unexpected: list[str] = []
    errors: list[str] = []

    def visit(mod: Module, local: dict[str, Any], prefix: str) -> None:
        _load_local(mod, local, prefix, assign, missing, unexpected, errors)
        for name, child in mod._modules.items():
            if child is not None:
                sub = prefix + name + "."
                visit(child, {k: v for k, v in local.items() if k.startswith(sub)}, sub)

    visit(module, dict(state_dict), "")
    if strict:
        if unexpected:
            errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                ", ".join(f'"{k}"' for k in unexpected)))
        if missing:
            errors.insert(0, "Missing key(s) in state_dict: {}. ".format(
                ", ".join(f'"{k}"' for k in missing)))
    if errors:
        raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
            type(module).__name__, "\n\t".join(errors)))
    return IncompatibleKeys(missing, unexpected)


def _load_local(module: Module, state_dict: dict[str, Any], prefix: str, assign: bool,
                missing: list[str], unexpected: list[str], errors: list[str]) -> None:
    """Load one module's own tensors (PyTorch's ``_load_from_state_dict``)."""
    local = _persistent(module)
    for name, param in local.items():
        key = prefix + name
        if key not in state_dict:
            missing.append(key)
            continue
        value = state_dict[key]
        if not isinstance(value, Tensor):
            errors.append(f'While copying the parameter named "{key}", expected gradlab.Tensor '
                          f"or Tensor-like object from checkpoint but received {type(value)}")
            continue
        if param.ndim == 0 and value.ndim == 1:
            value = value[0]
        if value.shape != param.shape:
            errors.append(f"size mismatch for {key}: copying a param with shape {value.shape} "
                          f"from checkpoint, the shape in current model is {param.shape}.")
            continue
        with no_grad():
            if assign:
                if isinstance(param, Parameter) and not isinstance(value, Parameter):
                    value = Parameter(value, requires_grad=param.requires_grad)
                setattr(module, name, value)
            else:
                param.copy_(value)
    for key in state_dict:
        if key.startswith(prefix):
            head = key[len(prefix):].split(".", 1)[0]
            if head not in module._modules and head not in local:
                unexpected.append(key)

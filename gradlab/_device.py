"""Where a tensor lives: ``gradlab.device``. Any PyTorch device can be named; gradlab
computes on the CPU only, and refuses the others with PyTorch's CPU-only messages."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["device", "check_device", "CPU"]

_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                 "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                 "privateuseone")
_DEVICE_STRING = re.compile(r"([a-zA-Z_]+)(?::([1-9]\d*|0))?")


class device:
    """Where a tensor lives. Any PyTorch device can be named; gradlab computes on the CPU only."""

    def __init__(self, type: Any = "cpu", index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        if isinstance(type, int):
            raise RuntimeError("Cannot access accelerator device when none is available.")
        match = _DEVICE_STRING.fullmatch(str(type))
        if match is None:
            raise RuntimeError(f"Invalid device string: '{type}'")
        if match[1] not in _DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start "
                               f"of device string: {type}")
        self.type = match[1]
        self.index = int(match[2]) if match[2] is not None else index

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


def check_device(dev: Any) -> None:
    """Refuse to put data on a device other than the CPU, as PyTorch does without CUDA."""
    if dev is None:
        return
    d = device(dev)
    if d.type == "cuda":
        raise AssertionError("Torch not compiled with CUDA enabled\n"
                             "Hint: gradlab runs on the CPU; drop .cuda() / device='cuda'.")
    if d.type == "xpu":
        raise AssertionError("Torch not compiled with XPU enabled\n"
                             "Hint: gradlab runs on the CPU only.")
    if d.type != "cpu":
        raise RuntimeError(f"PyTorch is not linked with support for {d.type} devices\n"
                           "Hint: gradlab runs on the CPU only.")


CPU = device()

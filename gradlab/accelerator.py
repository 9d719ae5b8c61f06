"""``gradlab.accelerator``: what ``torch.accelerator`` answers when no accelerator is present
(PyTorch's CPU-only build): nothing is available, and queries about one raise its error."""

from __future__ import annotations

from typing import Any

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "current_device_idx", "set_device_index", "set_device_idx", "synchronize",
           "current_stream", "empty_cache", "memory_allocated", "max_memory_allocated",
           "memory_reserved", "max_memory_reserved", "memory_stats", "get_memory_info",
           "reset_peak_memory_stats", "reset_accumulated_memory_stats", "get_device_capability"]

NONE_AVAILABLE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    """False: gradlab computes on the CPU, which PyTorch does not count as an accelerator."""
    return False


def current_accelerator(check_available: bool = False) -> None:
    """The accelerator's device type, or None as here: ``device = torch.accelerator.
    current_accelerator() or "cpu"`` picks the CPU."""
    return None


def device_count() -> int:
    return 0


def _none_available(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(NONE_AVAILABLE)


current_device_index = current_device_idx = set_device_index = set_device_idx = _none_available
synchronize = current_stream = empty_cache = memory_stats = get_memory_info = _none_available
memory_allocated = max_memory_allocated = memory_reserved = max_memory_reserved = _none_available
reset_peak_memory_stats = reset_accumulated_memory_stats = _none_available
get_device_capability = _none_available

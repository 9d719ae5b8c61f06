"""``gradlab.cuda``: what ``torch.cuda`` answers on a CPU-only build of PyTorch.

Tutorials open with ``device = "cuda" if torch.cuda.is_available() else "cpu"``; here that line
runs and picks the CPU. Queries that need a GPU raise PyTorch's own error.
"""

from __future__ import annotations

from typing import Any

__all__ = ["is_available", "device_count", "is_initialized", "manual_seed", "manual_seed_all",
           "seed", "seed_all", "empty_cache", "memory_allocated", "max_memory_allocated",
           "memory_reserved", "max_memory_reserved", "is_bf16_supported", "get_arch_list",
           "current_device", "get_device_name", "get_device_properties",
           "get_device_capability", "synchronize", "initial_seed", "get_rng_state",
           "set_rng_state", "mem_get_info", "current_stream", "set_device"]

NOT_COMPILED = "Torch not compiled with CUDA enabled"


def _not_compiled(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError(NOT_COMPILED)


def is_available() -> bool:
    """False: gradlab computes on the CPU only."""
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


def get_arch_list() -> list[str]:
    return []


def _nothing(*args: Any, **kwargs: Any) -> None:
    """Seeding and cache calls are silently ignored without a GPU, as in PyTorch."""
    return None


manual_seed = manual_seed_all = seed = seed_all = empty_cache = _nothing


def _zero_bytes(device: Any = None) -> int:
    return 0


memory_allocated = max_memory_allocated = memory_reserved = max_memory_reserved = _zero_bytes

current_device = get_device_name = get_device_properties = get_device_capability = _not_compiled
synchronize = initial_seed = get_rng_state = set_rng_state = mem_get_info = _not_compiled
current_stream = set_device = _not_compiled

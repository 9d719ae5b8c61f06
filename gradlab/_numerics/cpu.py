"""What this machine's PyTorch would do: its SIMD width and its number of threads.

The order of a float sum depends on both (``gradlab._numerics.summation``), so they are
worked out here the way PyTorch works them out.
"""

from __future__ import annotations

import os
import platform
import re

_GRAIN_SIZE = 32768  # at::internal::GRAIN_SIZE: below this many elements torch stays serial


# -- what this machine's torch would do --------------------------------------------------------


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def cpu_capability() -> str:
    """What ``torch.backends.cpu.get_cpu_capability()`` would report on this machine.

    Like torch: ``ATEN_CPU_CAPABILITY`` (``default``, ``avx2``, ``avx512``) wins, otherwise
    AVX512 needs avx512vl+bw+dq and fma, AVX2 needs avx2 and fma.
    """
    machine = platform.machine().lower()
    wanted = os.environ.get("ATEN_CPU_CAPABILITY", "").lower()
    if machine in ("x86_64", "amd64", "i686", "x86"):
        if wanted in ("default", "avx2", "avx512"):
            return wanted.upper()
        flags = _cpu_flags()
        if {"avx512vl", "avx512bw", "avx512dq", "fma"} <= flags:
            return "AVX512"
        if {"avx2", "fma"} <= flags:
            return "AVX2"
    return "DEFAULT"


def _sum_vector_bytes() -> int:
    """Width of ``Vectorized<float>`` in the kernel torch's ``sum_stub`` dispatches to.

    On x86 it is 32 bytes whatever the capability: the DEFAULT and AVX2 builds use 32-byte
    vectors, and ``SumKernel.cpp`` registers with ``REGISTER_DISPATCH``, which leaves the
    AVX512 slot empty so AVX512 machines fall back to the AVX2 kernel. ARM (NEON) uses 16.
    """
    machine = platform.machine().lower()
    return 16 if machine in ("aarch64", "arm64") else 32


def _physical_cores() -> int:
    """Physical cores, as cpuinfo counts them for torch's default thread count."""
    siblings = set()
    for entry in (
        os.listdir("/sys/devices/system/cpu") if os.path.isdir("/sys/devices/system/cpu") else ()
    ):
        if re.fullmatch(r"cpu\d+", entry):
            path = f"/sys/devices/system/cpu/{entry}/topology/thread_siblings_list"
            try:
                with open(path, encoding="ascii") as f:
                    siblings.add(f.read().strip())
            except OSError:
                pass
    return len(siblings) or os.cpu_count() or 1


def _default_num_threads() -> int:
    """torch's ``intraop_default_num_threads``: OMP/MKL_NUM_THREADS, else physical cores."""
    count = 0
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        match = re.match(r"\s*(\d+)", os.environ.get(var, ""))
        if match and int(match.group(1)) > 0:
            count = int(match.group(1))
    return count or _physical_cores()


_VEC_BYTES = _sum_vector_bytes()
# kernels registered for AVX512 too (softmax's) use its 64-byte vectors on such machines
_WIDE_VEC_BYTES = 64 if cpu_capability() == "AVX512" else _VEC_BYTES
_num_threads = _default_num_threads()


def get_num_threads() -> int:
    """Threads torch would split a large sum over (``torch.get_num_threads()``)."""
    return _num_threads


def set_num_threads(n: int) -> None:
    """Mirror ``torch.set_num_threads(n)``: sums above 32768 elements depend on it."""
    global _num_threads
    if int(n) <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _num_threads = int(n)

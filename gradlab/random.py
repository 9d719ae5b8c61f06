"""Seeded random numbers that are bit-for-bit those of PyTorch's CPU generator.

After ``manual_seed(s)`` every producer here consumes the mt19937 stream exactly as PyTorch's CPU
kernels do (``aten/src/ATen/native/cpu/DistributionTemplates.h``) and rounds exactly as the
compiled kernels round, fused multiply-adds included, so a learner sees PyTorch's numbers.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from gradlab import _mt19937 as _k
from gradlab._mt19937 import MT19937, STATE_BYTES, read_normal_cache, write_normal_cache
from gradlab._numerics.floats import fma64
from gradlab._size import memory_order

DEFAULT_SEED = 67280421310721  # c10::detail::default_rng_seed_val: a new Generator() starts here
_U64 = (1 << 64) - 1
_TORCH_NAMES = {  # how PyTorch names numpy's dtypes in its messages
    "float16": ("Half", "c10::Half"), "float32": ("Float", "float"),
    "float64": ("Double", "double"), "int64": ("Long", "long"), "int32": ("Int", "int"),
    "int16": ("Short", "short"), "int8": ("Char", "signed char"),
    "uint8": ("Byte", "unsigned char"), "bool": ("Bool", "bool"),
}
_FLOATS = ("float16", "float32", "float64")

Shape = int | Sequence[int]


class Generator:
    """A CPU random number generator with ``torch.Generator``'s API, seeds and states."""

    def __init__(self, device: str = "cpu") -> None:
        if str(device) != "cpu":
            raise RuntimeError(f"gradlab only has CPU generators, not '{device}'.")
        self.device = "cpu"
        self._reset(DEFAULT_SEED)

    def _reset(self, seed: int) -> None:
        self._engine = MT19937(seed)
        self._normal_cache: float | None = None  # Box-Muller partner for the serial path
        self._float_normal_cache: float | None = None  # kept only to round-trip states

    def manual_seed(self, seed: int) -> Generator:
        """Seed like ``torch.Generator.manual_seed``: negative seeds wrap modulo 2**64."""
        seed = int(seed)
        if not -(1 << 63) <= seed <= _U64:
            raise ValueError("Overflow when unpacking long long")
        self._reset(seed & _U64)
        return self

    def seed(self) -> int:
        """Re-seed from the operating system's entropy (as torch does) and return the seed."""
        seed = int.from_bytes(os.urandom(8), "little")
        self._reset(seed)
        return seed

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with."""
        return self._engine.seed

    def get_state(self) -> np.ndarray:
        """The state as the 5056 bytes ``torch.Generator.get_state()`` returns."""
        state = np.zeros(STATE_BYTES, dtype=np.uint8)
        self._engine.pack(state)
        write_normal_cache(state, self._normal_cache, self._float_normal_cache)
        return state

    def set_state(self, state: np.ndarray) -> Generator:
        """Restore a state from :meth:`get_state` (or from ``torch.get_rng_state()``)."""
        state = np.asarray(state)
        if state.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        if state.size != STATE_BYTES:
            raise RuntimeError(
                f"Expected a CPUGeneratorImplState of size {STATE_BYTES} but found the input "
                f"RNG state size to be {state.size}"
            )
        state = np.ascontiguousarray(state.reshape(-1))
        self._engine = MT19937.unpack(state)
        self._normal_cache, self._float_normal_cache = read_normal_cache(state)
        return self

    # ---------------------------------------------------------------- producers

    def uniform(self, shape: Shape, low: float, high: float, dtype: np.dtype) -> np.ndarray:
        """``torch.rand`` / ``Tensor.uniform_(low, high)``: one draw per element, in order.

        Each value is ``unit * (high - low) + low`` in the dtype's precision, fused-rounded.
        """
        shape, name = _shape_size(shape), _float_dtype(dtype, "check_uniform_bounds")
        low, high = float(low), float(high)
        _check_uniform_bounds(low, high, name)
        n = math.prod(shape)
        if name == "float64":
            out = fma64(self._unit_doubles(n), high - low, low)
        else:  # float32 arithmetic, then rounded to float16 when asked for
            lo, hi = np.float32(low), np.float32(high)
            out = _k.fma32(self._unit_floats(n), hi - lo, lo).astype(name)
        # PyTorch maps a value rounded up onto the excluded upper bound back to ``low``
        out[out == _cast(high, name)] = _cast(low, name)
        return out.reshape(shape)

    def normal(self, shape: Shape, mean: float, std: float, dtype: np.dtype,
               serial: bool = False) -> np.ndarray:
        """``torch.randn`` / ``Tensor.normal_(mean, std)``, with PyTorch's size-dependent paths.

        16 or more elements: vectorised Box-Muller on blocks of 16 uniforms (the last block is
        redrawn when the size is not a multiple of 16). Fewer: one double Box-Muller pair at a
        time, the partner cached in the generator for the next call (also for any size when
        ``serial``: PyTorch's path for a tensor that is not contiguous). The float32 block kernel
        is x86's (AVX2, also used on AVX-512 CPUs); ARM builds of PyTorch use another one.
        """
        shape, name = _shape_size(shape), _float_dtype(dtype, "normal_kernel_cpu")
        n = math.prod(shape)
        if not std >= 0.0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        if n < 16 or serial:
            return self._normal_serial(n, mean, std, name).reshape(shape)
        if name == "float64":
            fill, draw = _k.box_muller16_double, self._unit_doubles
        else:  # float16 is computed in float32 and rounded at the end
            fill, draw = _k.box_muller16_avx2, self._unit_floats
        full = n - n % 16
        out = np.empty(n, dtype=name)
        # float and double draw all n uniforms first; float16 only the full blocks' ones
        out[:full] = fill(draw(full if name == "float16" else n)[:full], mean, std)
        if full < n:  # PyTorch redraws 16 fresh uniforms for the last 16 slots
            out[n - 16:] = fill(draw(16), mean, std)
        return out.reshape(shape)

    def _unit_floats(self, n: int) -> np.ndarray:
        return _k.unit_float(self._engine.random(n), 24)

    def _unit_doubles(self, n: int) -> np.ndarray:
        return _k.unit_double(self._engine.random64(n))

    def _normal_serial(self, n: int, mean: float, std: float, name: str) -> np.ndarray:
        values = np.empty(n, dtype=np.float64)
        for i in range(n):
            if self._normal_cache is not None:
                values[i], self._normal_cache = self._normal_cache, None
                continue
            u1, u2 = self._unit_doubles(2).tolist()
            radius = math.sqrt(-2.0 * math.log1p(-u2))
            theta = 2.0 * math.pi * u1
            self._normal_cache = radius * math.sin(theta)
            values[i] = radius * math.cos(theta)
        return _cast(fma64(values, std, mean), name)

    def randint(self, low: int, high: int, shape: Shape, dtype: np.dtype = np.int64) -> np.ndarray:
        """``torch.randint`` / ``Tensor.random_(low, high)``: ``word % (high - low) + low``."""
        shape, name = _shape_size(shape), np.dtype(dtype).name
        n = math.prod(shape)
        low, high = int(low), int(high)
        if name not in _TORCH_NAMES:
            raise TypeError(f"randint does not support dtype {name}")
        if not -(1 << 63) <= min(low, high) <= max(low, high) < 1 << 63:
            raise ValueError("Overflow when unpacking long long")
        if low >= high:
            raise RuntimeError(
                f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
            )
        if name in _FLOATS:
            low, high = _exact_float_bounds(low, high, name)
        _check_int_bounds(low, high - 1, name)
        span = high - low
        if span >= 1 << 28:  # PyTorch switches to 64-bit words to keep the modulo bias small
            words = self._engine.random64(n)
        else:
            words = self._engine.random(n).astype(np.uint64)
        values = (words % np.uint64(span) + np.uint64(low & _U64)).view(np.int64)
        return _cast(values, name).reshape(shape)

    def randperm(self, n: int) -> np.ndarray:
        """``torch.randperm(n)`` (int64): PyTorch's Fisher-Yates pass with ``word % (n - i)``."""
        n = int(n)
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
        if n >= (1 << 32) // 20:
            raise NotImplementedError(
                "randperm of 214748364 or more elements is not supported by gradlab."
            )
        offsets = self._engine.random(max(n - 1, 0)) % np.arange(n, 1, -1, dtype=np.int64)
        return _fisher_yates(n, offsets.astype(np.int64))

    def bernoulli(self, p: np.ndarray | float, shape: Shape, dtype: np.dtype) -> np.ndarray:
        """``Tensor.bernoulli_(p)`` / ``torch.bernoulli`` / dropout: 1 where uniform < p.

        A float ``p`` compares a double uniform per element; an array ``p`` is broadcast to
        ``shape`` and compared in its own precision (float64 p: double uniforms, else float).
        """
        shape = _shape_size(shape)
        n = math.prod(shape)
        if np.ndim(p) == 0 and not isinstance(p, np.ndarray):
            if not 0.0 <= p <= 1.0:
                raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
            hits = self._unit_doubles(n) < p
        else:
            p = np.broadcast_to(np.asarray(p), shape).reshape(-1)
            if not ((p >= 0) & (p <= 1)).all():
                raise RuntimeError(
                    "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                    "(Could this error message be improved?  If so, please report an "
                    "enhancement request to PyTorch.)"
                )
            if p.dtype == np.float64:
                hits = self._unit_doubles(n) < p
            else:
                hits = self._unit_floats(n) < p.astype(np.float32)
        return hits.astype(dtype).reshape(shape)


def fill_like(like: np.ndarray, draw: Callable[[tuple[int, ...]], np.ndarray],
              dense: bool = True) -> np.ndarray:
    """``draw(shape)`` for an array shaped like ``like``, the values laid out in the order
    PyTorch's kernels would write them into ``empty_like(like)`` (see :func:`memory_order`)."""
    order = memory_order(like, dense)
    if order is None:
        return draw(like.shape)
    values = draw(tuple(like.shape[d] for d in order))
    return np.transpose(values, np.argsort(order))


def _fisher_yates(n: int, offsets: np.ndarray) -> np.ndarray:
    """``arange(n)`` after the swaps ``perm[i] <-> perm[i + offsets[i]]`` for i = 0 .. n - 2.

    Vectorised: position i is final once step i is done, and what step i finds at a position is
    either the original entry or what the last earlier step wrote there, which is in turn what
    that step found at its own position; so each answer is the root of a chain of writes.
    """
    if n < 2:
        return np.arange(n, dtype=np.int64)
    steps = np.arange(n - 1, dtype=np.int64)
    target = steps + offsets
    keys = np.sort(target * n + steps)  # every write, by position and then by step
    key_pos = keys // n
    key_step = keys - key_pos * n
    same = key_pos[1:] == key_pos[:-1]
    previous = np.full(n - 1, -1, dtype=np.int64)  # last earlier step writing at target[i]
    previous[key_step[1:][same]] = key_step[:-1][same]
    positions = np.arange(n, dtype=np.int64)
    last = np.maximum(np.searchsorted(keys, positions * n + positions) - 1, 0)
    found = np.where(key_pos[last] == positions, key_step[last], positions)
    found = np.where(found < positions, found, positions)  # chains of writes into each position
    while not (found[found] == found).all():
        found = found[found]  # pointer jumping: found[p] becomes the chain's first position
    out = np.empty(n, dtype=np.int64)
    fetched = np.where(previous < 0, target, found[np.maximum(previous, 0)])
    out[:-1] = np.where(target == steps, found[:-1], fetched)
    out[-1] = found[-1]
    return out


def _shape_size(shape: Shape) -> tuple[int, ...]:
    shape = (int(shape),) if np.ndim(shape) == 0 else tuple(int(s) for s in shape)
    for size in shape:
        if size < 0:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {size}: {list(shape)}"
            )
    return shape


def _cast(values, name: str) -> np.ndarray:
    """C++'s static_cast to ``name``; float16 goes through float32 as c10::Half does."""
    values = np.asarray(values)
    if name == "float16":
        values = values.astype(np.float32)
    return values.astype(name)


def _float_dtype(dtype: np.dtype, kernel: str) -> str:
    name = np.dtype(dtype).name
    if name not in _FLOATS:
        torch_name = _TORCH_NAMES.get(name, (name,))[0]
        raise NotImplementedError(f'"{kernel}" not implemented for \'{torch_name}\'')
    return name


def _check_uniform_bounds(low: float, high: float, name: str) -> None:
    """PyTorch's ``check_uniform_bounds``, with its messages."""
    torch_name, cname = _TORCH_NAMES[name]
    limit = float(np.finfo(name).max)
    for value, label in ((low, "from"), (high, "to")):
        if not -limit <= value <= limit:
            raise RuntimeError(f"{label} is out of bounds for {cname}")
    if not low <= high:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={low:g} > to={high:g}"
        )
    if not high - low <= limit:
        raise RuntimeError(
            f"uniform_ expects to-from <= std::numeric_limits<{torch_name}>::max(), but found "
            f"to={high:g} and from={low:g} which result in to-from to exceed the limit"
        )


def _exact_float_bounds(low: int, high: int, name: str) -> tuple[int, int]:
    """PyTorch's ``update_from``/``update_to``: pull bounds inside what the float type holds."""
    digits = np.finfo(name).nmant + 1

    def round_trip(value: int) -> int:  # int64 -> float -> int64; x86 gives INT64_MIN if too big
        as_float = float(_cast(value, name))
        return int(as_float) if abs(as_float) < 2.0**63 else -(1 << 63)

    if (rounded := round_trip(low + 1)) < low:
        low = rounded + (1 << (abs(low + 1).bit_length() - digits))
    if (rounded := round_trip(high - 1)) >= high:
        high = rounded - (1 << (abs(high - 1).bit_length() - digits))
    if low >= high:
        raise RuntimeError(
            "random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, but "
            f"got from={low} >= to={high}"
        )
    return low, high


def _check_int_bounds(low: int, last: int, name: str) -> None:
    """PyTorch's ``check_from_to``: errors outside the dtype, warnings past exact floats."""
    cname = _TORCH_NAMES[name][1]
    if name in _FLOATS:
        info = np.finfo(name)
        lowest, highest = float(info.min), float(info.max)
    else:
        info = np.iinfo(name) if name != "bool" else None
        lowest, highest = (0, 1) if info is None else (info.min, info.max)
    for value, label in ((low, "from"), (last, "to - 1")):
        if not lowest <= value <= highest:
            raise RuntimeError(f"{label} is out of bounds for {cname}")
    if name in _FLOATS:
        digits = np.finfo(name).nmant + 1
        for value, label in ((low, "from"), (last, "to - 1")):
            if not -(1 << digits) <= value <= 1 << digits:
                warnings.warn(
                    f"{label} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision "
                    f"limitations {cname} can support discrete uniform distribution only within "
                    "this range. This warning will become an error in version 1.7 release, "
                    "please fix the code in advance",
                    UserWarning,
                    stacklevel=3,
                )


default_generator = Generator()
default_generator.seed()  # PyTorch seeds its default CPU generator from /dev/urandom at start-up


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (``torch.manual_seed``) and return it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator non-deterministically (``torch.seed``) and return the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The default generator's seed (``torch.initial_seed``)."""
    return default_generator.initial_seed()


def get_rng_state() -> np.ndarray:
    """The default generator's state as uint8 bytes (``torch.get_rng_state``)."""
    return default_generator.get_state()


def set_rng_state(state: np.ndarray) -> None:
    """Restore the default generator's state (``torch.set_rng_state``)."""
    default_generator.set_state(state)

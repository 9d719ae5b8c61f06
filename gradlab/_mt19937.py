"""What lies under ``gradlab.random``: PyTorch's mt19937 stream, its state bytes, and the exact
floating-point arithmetic PyTorch's CPU sampling kernels apply to that stream.

PyTorch's CPU generator (``aten/src/ATen/core/MT19937RNGEngine.h``) is the textbook mt19937
seeded with ``init_genrand(seed & 0xffffffff)``. numpy's ``MT19937`` bit generator runs the very
same recurrence and tempering, so we compute the seeded key ourselves, hand it to numpy and let
numpy's C loop produce the raw 32-bit words quickly.
"""

from __future__ import annotations

import math

import numpy as np

from gradlab._numerics.floats import fma32, fma64

STATE_N = 624  # words in the mt19937 state
STATE_BYTES = 5056  # len(torch.get_rng_state()): sizeof(CPUGeneratorImplState)

# Byte offsets inside torch's CPUGeneratorImplState (x86-64 / arm64 layout, little endian).
_SEED, _LEFT, _SEEDED, _NEXT, _STATE = 0, 8, 12, 16, 24
_NORMAL_Y, _NORMAL_VALID = 5024, 5040
_FLOAT_NORMAL, _FLOAT_NORMAL_VALID = 5048, 5052


def seeded_key(seed: int) -> np.ndarray:
    """The 624-word state ``init_genrand`` builds from the low 32 bits of ``seed``."""
    key = [seed & 0xFFFFFFFF]
    for j in range(1, STATE_N):
        prev = key[-1]
        key.append((1812433253 * (prev ^ (prev >> 30)) + j) & 0xFFFFFFFF)
    return np.array(key, dtype=np.uint32)


class MT19937:
    """A PyTorch-compatible mt19937 engine: seed, draw 32/64-bit words, save and restore.

    ``pos`` counts the words already used from the current block (624 = twist before the next
    draw), exactly like numpy; PyTorch stores the same thing as ``left = 625 - pos``.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._fresh = True  # freshly seeded: torch reports next_ = 0 rather than 624
        self._numpy_bits: np.random.MT19937 | None = None  # made on first use (import time)

    @property
    def _bits(self) -> np.random.MT19937:
        """numpy's MT19937 holding this engine's state, seeded on first use."""
        if self._numpy_bits is None:
            bits = np.random.MT19937()
            bits.state = {
                "bit_generator": "MT19937",
                "state": {"key": seeded_key(self.seed), "pos": STATE_N},
            }
            self._numpy_bits = bits
        return self._numpy_bits

    @_bits.setter
    def _bits(self, bits: np.random.MT19937) -> None:
        self._numpy_bits = bits

    def random(self, n: int) -> np.ndarray:
        """``n`` successive ``generator->random()`` words (uint32)."""
        if n <= 0:
            return np.empty(0, dtype=np.uint32)
        self._fresh = False
        return self._bits.random_raw(n).astype(np.uint32)

    def random64(self, n: int) -> np.ndarray:
        """``n`` successive ``generator->random64()`` values: first word high, second low."""
        words = self.random(2 * n).astype(np.uint64)
        return (words[0::2] << np.uint64(32)) | words[1::2]

    def pack(self, state: np.ndarray) -> None:
        """Write the engine part of torch's ``CPUGeneratorImplState`` into ``state`` (uint8)."""
        raw = self._bits.state["state"]
        pos = int(raw["pos"])
        nxt = 0 if self._fresh else pos
        _put(state, _SEED, np.uint64(self.seed))
        _put(state, _LEFT, np.int32(STATE_N + 1 - pos))
        _put(state, _SEEDED, np.int32(1))
        _put(state, _NEXT, np.uint64(nxt))
        state[_STATE:_STATE + 8 * STATE_N] = raw["key"].astype("<u8").view(np.uint8)

    @classmethod
    def unpack(cls, state: np.ndarray) -> MT19937:
        """Rebuild an engine from torch's state bytes; refuse states torch would refuse."""
        seed = int(_get(state, _SEED, "<u8"))
        left = int(_get(state, _LEFT, "<i4"))
        seeded = int(_get(state, _SEEDED, "<i4")) != 0
        nxt = int(_get(state, _NEXT, "<u8")) & 0xFFFFFFFF
        if not (seeded and 0 < left <= STATE_N and nxt <= STATE_N):
            raise RuntimeError("Invalid mt19937 state")
        if left != 1 and nxt != STATE_N + 1 - left:
            raise RuntimeError(
                f"Invalid mt19937 state: left={left} and next={nxt} do not describe one position"
                " (states saved by get_rng_state always do)"
            )
        key = state[_STATE:_STATE + 8 * STATE_N].view("<u8").astype(np.uint32)
        engine = cls.__new__(cls)
        engine._bits = np.random.MT19937()
        engine.seed = seed
        engine._fresh = left == 1 and nxt == 0
        engine._bits.state = {
            "bit_generator": "MT19937",
            "state": {"key": key, "pos": STATE_N + 1 - left},
        }
        return engine


def read_normal_cache(state: np.ndarray) -> tuple[float | None, float | None]:
    """The cached (double, float) Box-Muller partners stored in torch's state bytes."""
    double = float(_get(state, _NORMAL_Y, "<f8")) if _get(state, _NORMAL_VALID, "<i4") else None
    single = (
        float(_get(state, _FLOAT_NORMAL, "<f4")) if state[_FLOAT_NORMAL_VALID] else None
    )
    return double, single


def write_normal_cache(state: np.ndarray, double: float | None, single: float | None) -> None:
    """Store the cached Box-Muller partners the way ``CPUGeneratorImpl::get_state`` does."""
    if double is not None:
        _put(state, _NORMAL_Y, np.float64(double))
        _put(state, _NORMAL_VALID, np.int32(1))
    if single is not None:
        _put(state, _FLOAT_NORMAL, np.float32(single))
        state[_FLOAT_NORMAL_VALID] = 1


def _put(state: np.ndarray, offset: int, value: np.generic) -> None:
    raw = np.array(value, dtype=value.dtype.newbyteorder("<")).tobytes()
    state[offset:offset + len(raw)] = np.frombuffer(raw, dtype=np.uint8)


def _get(state: np.ndarray, offset: int, dtype: str) -> np.generic:
    size = np.dtype(dtype).itemsize
    return state[offset:offset + size].view(dtype)[0]


# ------------------------------------------------------------------------------------------
# The arithmetic PyTorch's compiled CPU kernels do on those words, reproduced exactly.
# GCC contracts a multiply feeding an add into one fused multiply-add (FMA) in these kernels,
# so a plain numpy a * b + c would differ in the last bit; fma32/fma64 (``_numerics.floats``)
# round only once.


def unit_float(words: np.ndarray, digits: int) -> np.ndarray:
    """``uniform_real(word, 0, 1)`` for a type with ``digits`` mantissa bits (float32: 24)."""
    mask = np.uint32((1 << digits) - 1)
    return (words & mask).astype(np.float32) * np.float32(2.0**-digits)


def unit_double(words: np.ndarray) -> np.ndarray:
    """``uniform_real(random64(), 0, 1)`` for double: the low 53 bits over 2**53."""
    return (words & np.uint64((1 << 53) - 1)).astype(np.float64) * 2.0**-53


_F32 = np.float32
_LOG_POLY = [_F32(c) for c in (
    7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
    -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1)]
_SIN_POLY = [_F32(c) for c in (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)]
_COS_POLY = [_F32(c) for c in (2.443315711809948e-005, -1.388731625493765e-003,
                               4.166664568298827e-002)]
_MINUS_DP = [_F32(c) for c in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8)]


def _log256_ps(x: np.ndarray) -> np.ndarray:
    """``log256_ps`` of ``avx_mathfun.h`` (Cephes logf) for positive float32, as compiled."""
    x = np.maximum(x, np.uint32(0x00800000).view(_F32))
    bits = x.view(np.int32)
    e = ((bits >> 23) - 127).astype(_F32) + _F32(1)
    x = ((bits & ~0x7F800000) | _F32(0.5).view(np.int32)).view(_F32)
    small = x < _F32(0.707106781186547524)
    x = (x - _F32(1)) + np.where(small, x, _F32(0))
    e = e - small.astype(_F32)
    z = x * x
    y = np.full_like(x, _LOG_POLY[0])
    for coef in _LOG_POLY[1:]:
        y = fma32(y, x, coef)
    y = fma32(y * x, z, e * _F32(-2.12194440e-4))
    y = y - z * _F32(0.5)
    return (x + y) + e * _F32(0.693359375)


def _sincos256_ps(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``sincos256_ps`` of ``avx_mathfun.h`` (Cephes sinf/cosf) for float32, as compiled."""
    sin_negative = np.signbit(x)
    x = np.abs(x)
    octant = ((x * _F32(1.27323954473516)).astype(np.int32) + 1) & ~1
    y = octant.astype(_F32)
    sin_negative ^= (octant & 4) != 0
    cos_negative = (~(octant - 2) & 4) != 0
    use_sin_poly = (octant & 2) == 0
    for dp in _MINUS_DP:
        x = fma32(y, dp, x)
    z = x * x
    cos_poly = fma32(fma32(np.full_like(z, _COS_POLY[0]), z, _COS_POLY[1]), z, _COS_POLY[2])
    cos_poly = fma32(cos_poly * z, z, -(z * _F32(0.5))) + _F32(1)
    sin_poly = fma32(fma32(np.full_like(z, _SIN_POLY[0]), z, _SIN_POLY[1]), z, _SIN_POLY[2])
    sin_poly = fma32(sin_poly * z, x, x)
    sin = np.where(use_sin_poly, sin_poly, cos_poly) + _F32(0)
    cos = np.where(use_sin_poly, cos_poly, sin_poly) + _F32(0)
    return np.where(sin_negative, -sin, sin), np.where(cos_negative, -cos, cos)


def box_muller16_avx2(u: np.ndarray, mean: float, std: float) -> np.ndarray:
    """``normal_fill_16_AVX2`` on blocks of 16 float32 uniforms (torch.randn, >= 16 floats)."""
    u = u.reshape(-1, 16)
    radius = np.sqrt(_F32(-2) * _log256_ps(_F32(1) - u[:, :8]))
    sin, cos = _sincos256_ps(_F32(2 * math.pi) * u[:, 8:])
    mean, std = _F32(mean), _F32(std)
    halves = (fma32(radius * cos, std, mean), fma32(radius * sin, std, mean))
    return np.concatenate(halves, axis=1).reshape(-1)


def _libm(func, x: np.ndarray) -> np.ndarray:
    """The platform C library's double ``func`` (what std::log etc. call), element by element."""
    flat = np.array(list(map(func, x.reshape(-1).tolist())), dtype=np.float64)
    return flat.reshape(x.shape)


def box_muller16_double(u: np.ndarray, mean: float, std: float) -> np.ndarray:
    """``normal_fill_16<double>`` on blocks of 16 double uniforms (randn float64, >= 16)."""
    u = u.reshape(-1, 16)
    radius = np.sqrt(-2.0 * _libm(math.log, 1.0 - u[:, :8]))
    theta = 2.0 * math.pi * u[:, 8:]
    halves = (fma64(radius * _libm(math.cos, theta), std, mean),
              fma64(radius * _libm(math.sin, theta), std, mean))
    return np.concatenate(halves, axis=1).reshape(-1)

"""gradlab's float sums add in PyTorch's CPU order, so printed results match PyTorch to the bit.

numpy's pairwise float32 sum gives ``1763.8846`` for the thermometer loss where PyTorch prints
``1763.8848``. ``gradlab._numerics`` replays PyTorch's order (TensorIterator layout, cascade sum,
4 accumulators, 32-byte vectors, thread split above 32768 elements). Expected values below were
produced by torch 2.13 (x86-64, CPU) and written in here; the tests at the bottom compare with
torch itself when it is installed.
"""

from __future__ import annotations

import hashlib
import zlib

import numpy as np
import pytest

from gradlab._numerics import cpu, order, plans
from gradlab._numerics import summation as _sum
from gradlab._numerics.summation import column_sum, torch_mean, torch_sum

F32 = np.float32
T_C = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
T_U = [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4]


def make_data(shape: tuple, key: object, dtype: type = F32) -> np.ndarray:
    """Mixed-magnitude test data from integer arithmetic only: identical on every platform."""
    size = int(np.prod(shape, dtype=np.int64))
    s = np.arange(size, dtype=np.uint64) + np.uint64(zlib.crc32(repr(key).encode()) * 7919)
    s = s * np.uint64(6364136223846793005) + np.uint64(1442695040888963407)
    s ^= s >> np.uint64(29)
    s *= np.uint64(0xBF58476D1CE4E5B9)
    s ^= s >> np.uint64(32)
    mantissa = (s >> np.uint64(11)).astype(np.float64) / 2**53 - 0.5
    exponent = ((s >> np.uint64(8)) % np.uint64(13)).astype(np.int64) * 2 - 12
    return np.ldexp(mantissa, exponent).astype(dtype).reshape(shape)


def make_view(x: np.ndarray, how: str) -> np.ndarray:
    """The same data seen through a transposed, strided or broadcast view."""
    if how == "T":
        return x.T
    if how == "step2":
        return x[..., ::2]
    if how == "bcast":
        return np.broadcast_to(x[:1], x.shape)
    return x


def fingerprint(a: np.ndarray) -> tuple | str:
    """Exact float values (as hex) for small results, a digest of the bytes for large ones."""
    a = np.ascontiguousarray(a)
    if a.size <= 4:
        return tuple(float(v).hex() for v in a.ravel())
    return hashlib.sha256(a.tobytes()).hexdigest()[:20]


def as_hex(values: np.ndarray) -> list[str]:
    return [float(v).hex() for v in np.asarray(values, F32).ravel()]


@pytest.fixture
def set_threads():
    """Let a test pretend torch runs on n threads; restore the detected count afterwards."""
    saved = cpu.get_num_threads()
    yield cpu.set_num_threads
    cpu.set_num_threads(saved)


# -- the course's thermometer numbers -----------------------------------------------------------


def test_thermometer_loss_is_1763_8848_like_pytorch():
    t_c, t_u = np.array(T_C, F32), np.array(T_U, F32)
    loss = torch_mean((F32(1.0) * t_u + F32(0.0) - t_c) ** 2)
    assert loss.dtype == F32 and loss.shape == ()
    assert float(loss).hex() == "0x1.b8f8a00000000p+10"
    assert f"{float(loss):.4f}" == "1763.8848"


def test_thermometer_first_gradient_sums_like_pytorch():
    # what autograd does: MeanBackward0 -> grad / 11, PowBackward0 -> grad * (2 * diff),
    # then the broadcast w and b get their gradient summed back to a scalar
    t_c, t_u = np.array(T_C, F32), np.array(T_U, F32)
    grad = np.full(11, F32(1) / F32(11)) * (F32(2) * (t_u - t_c))
    result = [torch_sum(grad * t_u, (0,), keepdims=True)[0], torch_sum(grad, (0,), True)[0]]
    assert as_hex(result) == ["0x1.1a54c00000000p+12", "0x1.4a66660000000p+6"]  # 4517.2969, 82.6


def test_thermometer_training_loop_ends_on_pytorchs_last_gradient():
    t_c, t_un = np.array(T_C, F32), np.array(T_U, F32) * F32(0.1)
    params = np.array([1.0, 0.0], F32)
    losses = {}
    for epoch in range(1, 5001):
        diff = (params[0] * t_un + params[1]) - t_c
        losses[epoch] = torch_mean(diff * diff)
        grad_diff = np.full(11, F32(1) / F32(11)) * (F32(2) * diff)
        grad = np.array(
            [torch_sum(grad_diff * t_un, (0,), True)[0], torch_sum(grad_diff, (0,), True)[0]], F32
        )
        params = params - F32(1e-2) * grad
    assert [f"{float(losses[e]):f}" for e in (500, 1000, 5000)] == [
        "7.860115",
        "3.828538",
        "2.927647",
    ]
    assert as_hex(grad) == ["-0x1.9800000000000p-14", "0x1.4148000000000p-11"]  # -9.7275e-05
    assert as_hex(params) == ["0x1.577e500000000p+2", "-0x1.14d1b00000000p+4"]  # 5.3671 -17.3012


# -- seeded arrays at every lane, chunk and thread boundary ----------------------------------

# (dtype, shape, view, axis, keepdims, torch threads, torch's result)
GOLDEN = [
    ("f4", (1,), "", None, False, 2, ("-0x1.bf13d20000000p+0",)),
    ("f4", (2,), "", None, False, 2, ("0x1.0cb9340000000p+8",)),
    ("f4", (3,), "", None, False, 2, ("0x1.9a14f40000000p+8",)),
    ("f4", (4,), "", None, False, 2, ("0x1.11cfc00000000p+9",)),
    ("f4", (5,), "", None, False, 2, ("-0x1.b29ab20000000p+0",)),
    ("f4", (7,), "", None, False, 2, ("-0x1.44908c0000000p+6",)),
    ("f4", (8,), "", None, False, 2, ("-0x1.1a055c0000000p+10",)),
    ("f4", (9,), "", None, False, 2, ("-0x1.66810a0000000p+4",)),
    ("f4", (11,), "", None, False, 2, ("0x1.f244ca0000000p+5",)),
    ("f4", (15,), "", None, False, 2, ("0x1.3de9a60000000p+8",)),
    ("f4", (16,), "", None, False, 2, ("-0x1.7608900000000p+10",)),
    ("f4", (17,), "", None, False, 2, ("0x1.19473a0000000p+10",)),
    ("f4", (31,), "", None, False, 2, ("-0x1.e4c7980000000p+9",)),
    ("f4", (32,), "", None, False, 2, ("0x1.209cc40000000p+10",)),
    ("f4", (33,), "", None, False, 2, ("-0x1.1b083c0000000p+9",)),
    ("f4", (63,), "", None, False, 2, ("0x1.c3e9020000000p+10",)),
    ("f4", (64,), "", None, False, 2, ("0x1.0ee1940000000p+10",)),
    ("f4", (65,), "", None, False, 2, ("0x1.bea1200000000p+9",)),
    ("f4", (127,), "", None, False, 2, ("-0x1.bfd3780000000p+11",)),
    ("f4", (128,), "", None, False, 2, ("0x1.cab9300000000p+7",)),
    ("f4", (129,), "", None, False, 2, ("0x1.0547ec0000000p+12",)),
    ("f4", (511,), "", None, False, 2, ("0x1.958c240000000p+10",)),
    ("f4", (512,), "", None, False, 2, ("0x1.17bfe80000000p+13",)),
    ("f4", (513,), "", None, False, 2, ("0x1.67df240000000p+13",)),
    ("f4", (4095,), "", None, False, 2, ("0x1.82734a0000000p+14",)),
    ("f4", (4096,), "", None, False, 2, ("0x1.ff94ac0000000p+13",)),
    ("f4", (4097,), "", None, False, 2, ("0x1.99f8920000000p+13",)),
    ("f4", (8191,), "", None, False, 2, ("-0x1.abe43c0000000p+15",)),
    ("f4", (8192,), "", None, False, 2, ("0x1.8392940000000p+13",)),
    ("f4", (8193,), "", None, False, 2, ("-0x1.b778540000000p+13",)),
    ("f4", (32767,), "", None, False, 2, ("0x1.1611280000000p+16",)),
    ("f4", (32768,), "", None, False, 2, ("0x1.b0bc9a0000000p+14",)),
    ("f4", (32769,), "", None, False, 2, ("-0x1.90a42c0000000p+16",)),
    ("f4", (65537,), "", None, False, 2, ("0x1.a2d4d00000000p+16",)),
    ("f4", (131071,), "", None, False, 2, ("0x1.2501500000000p+17",)),
    ("f4", (131072,), "", None, False, 2, ("-0x1.08f5740000000p+18",)),
    ("f4", (131073,), "", None, False, 2, ("-0x1.2e582e0000000p+16",)),
    ("f4", (1048579,), "", None, False, 2, ("0x1.00dfd00000000p+18",)),
    ("f8", (3,), "", None, False, 2, ("0x1.70d92a41a42c4p+8",)),
    ("f8", (4,), "", None, False, 2, ("-0x1.62b06ed834af6p+10",)),
    ("f8", (5,), "", None, False, 2, ("0x1.0851cd3bae4dcp+10",)),
    ("f8", (15,), "", None, False, 2, ("0x1.b4cb20ea77b98p+10",)),
    ("f8", (16,), "", None, False, 2, ("0x1.fa7b90c7a177dp+7",)),
    ("f8", (17,), "", None, False, 2, ("-0x1.0d3fcf323d495p+12",)),
    ("f8", (255,), "", None, False, 2, ("0x1.db59c9eff4590p+10",)),
    ("f8", (256,), "", None, False, 2, ("-0x1.75361f493fff5p+12",)),
    ("f8", (257,), "", None, False, 2, ("-0x1.2cfa9abb93bdep+13",)),
    ("f8", (32769,), "", None, False, 2, ("0x1.9bd5293a2b614p+14",)),
    ("f8", (100003,), "", None, False, 2, ("0x1.5ad8895ea6387p+16",)),
    ("f4", (11, 2), "", 0, False, 2, ("0x1.e05fd20000000p+10", "0x1.79b1980000000p+8")),
    ("f4", (11, 2), "", 1, True, 2, "6c9a61b8e3a7a1b262bc"),
    ("f4", (11, 2), "T", None, False, 2, ("0x1.3d778e0000000p+10",)),
    ("f4", (33, 40), "", 0, False, 2, "5738fa54126b57981111"),
    ("f4", (33, 40), "", 1, False, 2, "e4af5c2894b426360fcf"),
    ("f4", (33, 40), "T", 0, True, 2, "b2bf5c3ad8ccc0d546cb"),
    ("f4", (257, 100), "", 0, True, 2, "f01490e00cef213e0697"),
    ("f4", (257, 100), "", 1, False, 2, "c6198ed095b69af76c64"),
    ("f4", (257, 100), "T", 0, False, 2, "7809a8324e78e72b1a15"),
    ("f4", (300, 666), "step2", 0, False, 2, "d6c128d909a7fa4dd340"),
    ("f4", (300, 666), "step2", 1, False, 2, "04270ed88a65b7445a6d"),
    ("f4", (5, 7, 9), "", (0, 2), False, 2, "68fdf1cf6f5bfcf41781"),
    ("f4", (5, 7, 9), "", 1, True, 2, "0f975acf7e5316e22137"),
    ("f4", (5, 7, 9), "T", (0, 1), False, 2, "1a184a5ff92331355c2d"),
    ("f4", (40, 50), "bcast", 0, False, 2, "3226f54b4488d49f166f"),
    ("f4", (40, 50), "bcast", None, False, 2, ("-0x1.66a97e0000000p+14",)),
    ("f8", (65, 30), "", 0, False, 2, "18f0205814ec282b151f"),
    ("f8", (65, 30), "T", None, False, 2, ("-0x1.0d423b96e5140p+13",)),
    ("f4", (600, 2002), "step2", 0, False, 1, "f8d22ef983f65c6fef07"),
    ("f4", (5, 40001), "", None, False, 1, ("-0x1.c0bebc0000000p+15",)),
    ("f4", (100003,), "", None, False, 1, ("0x1.14cabc0000000p+17",)),
    ("f4", (70, 1001), "T", 1, False, 1, "6101a75422ccfa262f17"),
    ("f4", (600, 2002), "step2", 0, False, 2, "f5649cae3de14faf8c0f"),
    ("f4", (5, 40001), "", None, False, 2, ("-0x1.c0beb40000000p+15",)),
    ("f4", (100003,), "", None, False, 2, ("0x1.14cabc0000000p+17",)),
    ("f4", (70, 1001), "T", 1, False, 2, "6101a75422ccfa262f17"),
    ("f4", (600, 2002), "step2", 0, False, 3, "a84eb5c5ca3467384c85"),
    ("f4", (5, 40001), "", None, False, 3, ("-0x1.c0beae0000000p+15",)),
    ("f4", (100003,), "", None, False, 3, ("0x1.14cac00000000p+17",)),
    ("f4", (70, 1001), "T", 1, False, 3, "6101a75422ccfa262f17"),
]


def golden_id(case: tuple) -> str:
    dt, shape, how, axis, keepdims, threads, _ = case
    return (
        f"{dt}-{'x'.join(map(str, shape))}{'-' + how if how else ''}-axis{axis}"
        + ("-keep" if keepdims else "")
        + f"-{threads}threads"
    )


@pytest.mark.parametrize("case", GOLDEN, ids=golden_id)
def test_sum_matches_pytorch_golden_value(case, set_threads):
    dt, shape, how, axis, keepdims, threads, expected = case
    set_threads(threads)
    x = make_view(make_data(shape, (dt, shape, how), np.dtype(dt)), how)
    result = torch_sum(x, axis, keepdims)
    assert result.dtype == np.dtype(dt)
    assert fingerprint(result) == expected


def test_thread_count_changes_large_sums_as_in_pytorch(set_threads):
    # torch splits sums above 32768 elements over its threads (see the golden values above)
    x = make_data((5, 40001), ("f4", (5, 40001), ""))
    results = []
    for threads in (1, 2, 3):
        set_threads(threads)
        results.append(float(torch_sum(x)).hex())
    assert results == ["-0x1.c0bebc0000000p+15", "-0x1.c0beb40000000p+15", "-0x1.c0beae0000000p+15"]


def test_recorded_plans_agree_with_the_vectorised_kernels(monkeypatch):
    # small inputs replay a recorded order; large ones run the array kernels: same adds
    rng = np.random.default_rng(0)
    for _ in range(150):
        shape = tuple(rng.integers(1, 40, rng.integers(1, 4)))
        x = make_data(shape, tuple(shape))
        if rng.random() < 0.5:
            x = x.transpose(rng.permutation(x.ndim))
        axis = None if rng.random() < 0.3 else int(rng.integers(x.ndim))
        keep = bool(rng.integers(2))
        plans.forget()
        traced = torch_sum(x, axis, keep)
        plans.forget()
        monkeypatch.setattr(_sum, "_TRACE_LIMIT", 0)
        vectorised = torch_sum(x, axis, keep)
        monkeypatch.undo()
        assert traced.tobytes() == vectorised.tobytes() and traced.shape == vectorised.shape


def test_sequential_sums_add_strictly_left_to_right():
    # the replay relies on numpy's accumulate and in-place adds being plain running sums
    x = make_data((5, 300), "running")
    expected = np.zeros(5, F32)
    for i in range(300):
        expected = expected + x[:, i]
    assert order._seq_last(x).tobytes() == expected.tobytes()
    assert order._seq(x.T.copy()).tobytes() == expected.tobytes()  # accumulate (> 256 rows)
    head = np.zeros(5, F32)
    for i in range(200):
        head = head + x[:, i]
    assert order._seq(x.T[:200].copy()).tobytes() == head.tobytes()  # in-place adds
    assert order._seq_last(x[:, :3].copy()).tobytes() == ((x[:, 0] + x[:, 1]) + x[:, 2]).tobytes()


# -- dtypes, shapes and errors ------------------------------------------------------------------


def test_integer_and_bool_sums_are_exact_int64():
    big = np.array([2**62, 2**62, -(2**62), 5], np.int64)
    assert torch_sum(big).dtype == np.int64 and int(torch_sum(big)) == 2**62 + 5
    assert torch_sum(np.array([True, True, False])).tolist() == 2
    assert torch_sum(np.arange(12, dtype=np.uint8).reshape(3, 4), 1).tolist() == [6, 22, 38]
    assert torch_sum(np.arange(12, dtype=np.int32).reshape(3, 4), 0).dtype == np.int64


def test_dtype_argument_casts_before_summing():
    x = make_data((1000,), "cast")
    assert torch_sum(x, dtype=np.float64).dtype == np.float64
    assert float(torch_sum(x, dtype=np.float64)) == float(torch_sum(x.astype(np.float64)))
    assert torch_sum(np.arange(5), dtype=np.float32).dtype == F32


def test_empty_scalar_and_negative_zero_follow_pytorch():
    assert torch_sum(np.zeros((3, 0), F32), 1).tolist() == [0.0, 0.0, 0.0]
    assert torch_sum(np.zeros((0,), F32)).shape == ()
    assert np.isnan(torch_mean(np.zeros((0,), F32)))
    assert torch_sum(np.array(2.5, F32)).tolist() == 2.5
    assert torch_sum(np.array(2.5, F32), 0, keepdims=True).shape == ()
    for x in (np.array(-0.0, F32), np.array([-0.0, -0.0], F32)):  # output starts at +0.0
        assert np.signbit(torch_sum(x)) == np.False_
    assert torch_sum(np.ones((2, 3), F32), ()).shape == ()  # like torch: () means every dim


def test_out_of_range_and_repeated_dims_raise_pytorchs_errors():
    x = np.ones((3, 4), F32)
    with pytest.raises(IndexError, match=r"expected to be in range of \[-2, 1\], but got 2"):
        torch_sum(x, 2)
    with pytest.raises(RuntimeError, match="dim 1 appears multiple times in the list of dims"):
        torch_sum(x, (1, -1))
    with pytest.raises(IndexError, match=r"range of \[-1, 0\], but got 1"):
        torch_sum(np.array(1.0, F32), 1)


def test_negative_strides_sum_like_the_copy_torch_would_need():
    x = make_data((40, 37), "reversed")
    assert torch_sum(x[::-1], 0).tobytes() == torch_sum(x[::-1].copy(), 0).tobytes()


def test_axis_may_be_a_list_or_a_numpy_integer():
    x = make_data((9, 33, 5), "axes")
    expected = torch_sum(x, (0, 2)).tobytes()
    assert torch_sum(x, [0, 2]).tobytes() == expected
    assert torch_sum(x, [0, 2]).tobytes() == expected  # replayed from the recorded plan
    assert torch_sum(x, np.int64(1)).tobytes() == torch_sum(x, 1).tobytes()


def test_mean_of_integers_raises_pytorchs_error():
    with pytest.raises(
        RuntimeError,
        match="mean\\(\\): could not infer output dtype. Input dtype "
        "must be either a floating point or complex dtype. Got: Long",
    ):
        torch_mean(np.arange(3))


def test_mean_divides_the_torch_sum_once():
    x = make_data((7, 13), "mean")
    assert torch_mean(x, 1).tobytes() == (torch_sum(x, 1) / F32(13)).tobytes()


# -- what this machine's torch would dispatch to -----------------------------------------------


def test_capability_follows_aten_cpu_capability(monkeypatch):
    for value in ("default", "avx2", "avx512"):
        monkeypatch.setenv("ATEN_CPU_CAPABILITY", value)
        expected = (
            value.upper() if cpu.platform.machine().lower() in ("x86_64", "amd64") else "DEFAULT"
        )
        assert cpu.cpu_capability() == expected


def test_sum_kernel_uses_32_byte_vectors_on_x86():
    # SumKernel.cpp registers no AVX512 kernel: AVX512 machines run the AVX2 one
    if cpu.platform.machine().lower() in ("x86_64", "amd64"):
        assert cpu._VEC_BYTES == 32


def test_default_thread_count_follows_omp_num_threads(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert cpu._default_num_threads() == 3
    monkeypatch.delenv("OMP_NUM_THREADS")
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    assert cpu._default_num_threads() == cpu._physical_cores() >= 1


def test_set_num_threads_rejects_zero():
    with pytest.raises(RuntimeError):
        cpu.set_num_threads(0)


# -- against torch itself -----------------------------------------------------------------------


def random_case(rng: np.random.Generator, max_numel: int) -> tuple:
    """A random array view (contiguous, permuted, strided, broadcast, Fortran), dims and flags."""
    while True:
        shape = tuple(
            int(s)
            for s in rng.choice(
                [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 129, 257, 600],
                rng.integers(0, 6),
            )
        )
        if np.prod(shape, dtype=np.int64) <= max_numel:
            break
    dtype = F32 if rng.random() < 0.8 else np.float64
    kind = rng.integers(5)
    if kind == 1 and shape:
        x = make_data(shape, rng.integers(1 << 30), dtype).transpose(rng.permutation(len(shape)))
    elif kind == 2 and shape:
        x = make_data(tuple(2 * s for s in shape), rng.integers(1 << 30), dtype)
        x = x[tuple(slice(None, None, 2) if rng.random() < 0.5 else slice(0, s) for s in shape)]
    elif kind == 3 and shape:
        source = tuple(1 if rng.random() < 0.4 else s for s in shape)
        x = np.broadcast_to(make_data(source, rng.integers(1 << 30), dtype), shape)
    else:
        x = make_data(shape, rng.integers(1 << 30), dtype)
        x = np.asfortranarray(x) if kind == 4 else x
    ndim = x.ndim
    choice = rng.integers(4)
    if choice == 0 or ndim == 0:
        axis = None
    elif choice == 1:
        axis = int(rng.integers(-ndim, ndim))
    else:
        axis = tuple(int(a) for a in rng.choice(ndim, rng.integers(1, ndim + 1), replace=False))
    return x, axis, bool(rng.integers(2)), rng.random() < 0.2


def compare_with_torch(torch, cases) -> list:
    mismatches = []
    for x, axis, keepdims, mean in cases:
        t = torch.from_numpy(x)
        if mean:
            expected, got = t.mean(dim=axis, keepdim=keepdims), torch_mean(x, axis, keepdims)
        else:
            expected, got = t.sum(dim=axis, keepdim=keepdims), torch_sum(x, axis, keepdims)
        expected = expected.numpy()
        if (
            expected.shape != got.shape
            or expected.dtype != got.dtype
            or expected.tobytes() != got.tobytes()
        ):
            mismatches.append((x.shape, x.strides, x.dtype, axis, keepdims, mean))
    return mismatches


@pytest.fixture
def torch(torch, set_threads):
    """PyTorch (the shared fixture), summing with the thread count gradlab is told to use."""
    set_threads(torch.get_num_threads())
    return torch


@pytest.mark.parity
@pytest.mark.filterwarnings("ignore:The given NumPy array is not writable")
@pytest.mark.parametrize("seed", range(4))
def test_matches_pytorch_on_random_views(torch, seed):
    rng = np.random.default_rng(seed)
    cases = [random_case(rng, 20000) for _ in range(600)]
    mismatches = compare_with_torch(torch, cases)
    assert not mismatches, f"{len(mismatches)}/{len(cases)} differ, e.g. {mismatches[:5]}"


@pytest.mark.parity
@pytest.mark.filterwarnings("ignore:The given NumPy array is not writable")
@pytest.mark.parametrize("threads", [1, 2, 3, 4])
def test_matches_pytorch_above_the_parallel_threshold(torch, set_threads, threads):
    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    set_threads(threads)
    try:
        rng = np.random.default_rng(100 + threads)
        cases = []
        for shape, how, axis in [
            ((600, 2002), "step2", 0),
            ((5, 40001), "", None),
            ((3, 5, 4001), "", (0, 2)),
            ((1003, 1001), "T", None),
            ((70, 1001), "T", 1),
            ((33, 3, 2001), "step2", 0),
            ((40, 2000), "bcast", 0),
            (((1 << 17) + 5,), "", None),
        ]:
            for dtype in (F32, np.float64):
                x = make_view(make_data(shape, rng.integers(1 << 30), dtype), how)
                cases.append((x, axis, False, rng.random() < 0.3))
        mismatches = compare_with_torch(torch, cases)
    finally:
        torch.set_num_threads(saved)
    assert not mismatches, f"{len(mismatches)}/{len(cases)} differ, e.g. {mismatches[:5]}"


@pytest.mark.parity
@pytest.mark.filterwarnings("ignore:The given NumPy array is not writable")
def test_dtype_argument_matches_pytorch(torch):
    rng = np.random.default_rng(7)
    names = {F32: torch.float32, np.float64: torch.float64}
    mismatches = []
    for _ in range(200):
        x, axis, keepdims, mean = random_case(rng, 5000)
        dtype = F32 if x.dtype == np.float64 else np.float64
        t = torch.from_numpy(x)
        op, mine = (t.mean, torch_mean) if mean else (t.sum, torch_sum)
        expected = op(dim=axis, keepdim=keepdims, dtype=names[dtype]).numpy()
        got = mine(x, axis, keepdims, dtype)
        if expected.tobytes() != got.tobytes() or expected.shape != got.shape:
            mismatches.append((x.shape, x.strides, x.dtype, axis, keepdims, mean))
    assert not mismatches, f"{len(mismatches)}/200 differ, e.g. {mismatches[:5]}"


COLUMN_SHAPES = [(rows, cols) for rows in (2, 3, 17, 64, 255, 256, 257, 1000, 4100)
                 for cols in (2, 3, 5, 8, 9, 31, 32, 33, 40, 64, 100)]


def test_column_sums_are_the_general_sum_over_rows():
    """The bias-gradient fast path adds in the same order as the general replay."""
    rng = np.random.default_rng(3)
    for rows, cols in COLUMN_SHAPES:
        for dtype in (F32, np.float64):
            x = make_data((rows, cols), rng.integers(1 << 30), dtype)
            assert column_sum(x).tobytes() == torch_sum(x, 0).tobytes(), (rows, cols, dtype)


def test_sequential_sums_never_use_numpys_pairwise_order():
    """numpy adds pairwise when the summed axis is its innermost loop; ``_seq`` must not."""
    rng = np.random.default_rng(4)
    for shape, transpose in [((16, 16, 64), False), ((40, 3), False), ((300, 40), True),
                             ((50, 1), False), ((2, 9, 2), False), ((30, 17), True)]:
        a = make_data(shape, rng.integers(1 << 30), F32)
        a = a.swapaxes(-1, -2) if transpose else a
        expected = a[..., 0, :].copy()
        for i in range(1, a.shape[-2]):
            expected = expected + a[..., i, :]
        assert order._seq(a).tobytes() == expected.tobytes(), (shape, transpose)


@pytest.mark.parity
def test_column_sums_match_pytorch(torch):
    rng = np.random.default_rng(5)
    mismatches = []
    for rows, cols in COLUMN_SHAPES:
        for dtype in (F32, np.float64):
            x = make_data((rows, cols), rng.integers(1 << 30), dtype)
            if column_sum(x).tobytes() != torch.from_numpy(x).sum(0).numpy().tobytes():
                mismatches.append((rows, cols, dtype))
    assert not mismatches


@pytest.mark.parity
def test_detected_capability_and_threads_match_torch(torch):
    assert cpu.cpu_capability() == torch.backends.cpu.get_cpu_capability()
    assert cpu._default_num_threads() == torch.get_num_threads()

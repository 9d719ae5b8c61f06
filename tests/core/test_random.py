"""gradlab.random gives PyTorch 2.13's CPU random numbers bit for bit after the same seed.

Expected values were produced by torch 2.13 (x86-64, CPU) and written in here; the tests at the
bottom re-derive them from torch itself when torch is installed.
"""

from __future__ import annotations

import hashlib
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradlab
from gradlab import _mt19937
from gradlab import random as gr

F32, F64, F16 = np.float32, np.float64, np.float16

# A scenario seeds a generator, then makes calls; each call is (name, *arguments) in gradlab's
# Generator signature, replayed on torch by ``torch_call`` below.
SCENARIOS = {
    "rand_sizes_f32": (0, [("uniform", (n,), 0, 1, F32) for n in (1, 15, 16, 17, 100)]),
    "rand_sizes_f64": (1, [("uniform", (n,), 0, 1, F64) for n in (1, 15, 16, 17, 100)]),
    "randn_sizes_f32": (0, [("normal", (n,), 0, 1, F32) for n in (1, 15, 16, 17, 100)]),
    "randn_sizes_f64": (42, [("normal", (n,), 0, 1, F64) for n in (1, 15, 16, 17, 100)]),
    "uniform_bounds": (7, [("uniform", (3, 17), -0.3, 0.7, F32),
                           ("uniform", (17,), 2.5, 7.25, F64)]),
    "normal_mean_std": (2, [("normal", (5,), 2.0, 0.5, F32), ("normal", (2, 17), -1.5, 3.0, F32),
                            ("normal", (5,), 2.0, 0.5, F64), ("normal", (33,), -1.5, 3.0, F64)]),
    "randint_ranges": (3, [("randint", 0, 10, (5,)), ("randint", -3, 17, (4, 4)),
                           ("randint", 0, 2**28, (6,)), ("randint", -(2**40), 2**40, (6,)),
                           ("randint", 0, 256, (9,), np.uint8), ("randint", 0, 7, (5,), F32)]),
    "randperm_sizes": (4, [("randperm", n) for n in (0, 1, 2, 7, 100)]),
    "interleaved": (0, [("uniform", (3,), 0, 1, F32), ("normal", (20,), 0, 1, F32),
                        ("randint", 0, 10, (5,)), ("randperm", 7),
                        ("uniform", (2, 2), 0, 1, F32)]),
    "normal_cache_carries_over": (5, [("normal", (3,), 0, 1, F32), ("normal", (17,), 0, 1, F32),
                                      ("normal", (1,), 10.0, 2.0, F64),
                                      ("normal", (2,), 0, 1, F32)]),
    "bernoulli": (6, [("bernoulli", 0.75, (3, 7), F32), ("bernoulli", 0.2, (20,), F64)]),
    "half": (8, [("uniform", (17,), 0, 1, F16), ("normal", (5,), 0, 1, F16),
                 ("normal", (33,), 1.0, 2.0, F16), ("uniform", (9,), -2.0, 2.0, F16)]),
    "big_seed": (2**40 + 12345, [("uniform", (4,), 0, 1, F32), ("normal", (18,), 0, 1, F64)]),
    "negative_seed": (-7, [("uniform", (4,), 0, 1, F32), ("randperm", 10)]),
}

# sha256 (first 16 hex digits) of each call's result: dtype, shape and bytes.
GOLDEN = {
    'bernoulli': [
        '6cfdc830091eb4ac', '742cdd5a5a63b28e',
    ],
    'big_seed': [
        '10584896f5f900d0', '8fe22d697940411e',
    ],
    'half': [
        'b3b0717eb4c59327', '9f8b3ee811e70e5b', '00bf5ef02f63dd61', '66c7f2e89b4df9bb',
    ],
    'interleaved': [
        'ba54b85e49ddd765', 'ce2ed702ee1d0e41', '28210cad15e8b743', '653b50377d71d83e',
        '5f09653b55501bd6',
    ],
    'negative_seed': [
        '2bcdf7ecc24f78ab', 'd001edde42bf8c8a',
    ],
    'normal_cache_carries_over': [
        'ac4ce3a4b6f8e2a3', 'ce8019cbb1561e81', '3a4c0e40318de6ff', 'b9f53a8c1dedbfbc',
    ],
    'normal_mean_std': [
        'b006d5e4c489044c', 'f4935d5a694052ef', '1a594a1a1de36416', '2134c568337fc232',
    ],
    'rand_sizes_f32': [
        '65981e795f0f3047', '157230b742267fe5', '195cd97b25747ad6', 'a8d25a7c9c65a5e8',
        'be698426f84bdae3',
    ],
    'rand_sizes_f64': [
        'c659be90e73f8c5b', 'eb1ffd37c7ba22a0', '10b5bf8507e151d4', 'e83006ffde57ded8',
        'e44e320d28a2af23',
    ],
    'randint_ranges': [
        '701e55d18decb7ea', '3982368a0bcbec38', '104301e9ec7d96f6', 'b175587a0b63b017',
        '0c374411c5f2a7d9', '3e9e6f11474ad9dd',
    ],
    'randn_sizes_f32': [
        '40845e7a0e9e2f57', '84fa172d07dcece0', '8ebf6f906217d49d', '51975a0886971f38',
        '2aba199623127d55',
    ],
    'randn_sizes_f64': [
        'be419700bdd20094', 'fc3ca4178e73d5f0', 'eed6128f225eb49d', 'e192642ed54de5b6',
        'fb5d12e783999afc',
    ],
    'randperm_sizes': [
        '55ae42cc1e37a5eb', 'ba553f9413e2fef9', 'e54cef6dddc97f4a', '8b8594fcfa566cc4',
        '34c09ddbeb98de88',
    ],
    'uniform_bounds': [
        'c71076efc9ee3fa1', 'df11d49cdceb3ae4',
    ],
}


def digest(values: np.ndarray) -> str:
    """A short fingerprint of an array's dtype, shape and exact bits."""
    values = np.ascontiguousarray(values)
    key = f"{values.dtype.str}{values.shape}".encode() + values.tobytes()
    return hashlib.sha256(key).hexdigest()[:16]


def gradlab_call(gen: gr.Generator, call: tuple) -> np.ndarray:
    name, *args = call
    return getattr(gen, name)(*args)


def run_scenario(name: str) -> list[np.ndarray]:
    seed, calls = SCENARIOS[name]
    gen = gr.Generator().manual_seed(seed)
    return [gradlab_call(gen, call) for call in calls]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_matches_torch_golden_values(name):
    assert [digest(v) for v in run_scenario(name)] == GOLDEN[name]


# --- replaying the same calls on torch ---------------------------------------------------------


def torch_call(torch, gen, call: tuple) -> np.ndarray:
    """The PyTorch call that a gradlab Generator call stands for, on generator ``gen``."""
    name, *args = call
    dtypes = {F32: torch.float32, F64: torch.float64, F16: torch.float16, np.int64: torch.int64,
              np.int32: torch.int32, np.int16: torch.int16, np.uint8: torch.uint8,
              np.bool_: torch.bool}
    if name == "uniform":
        shape, low, high, dtype = args
        out = torch.empty(shape, dtype=dtypes[dtype]).uniform_(low, high, generator=gen)
    elif name == "normal":
        shape, mean, std, dtype = args
        out = torch.empty(shape, dtype=dtypes[dtype]).normal_(mean, std, generator=gen)
    elif name == "randint":
        low, high, shape, *dtype = args
        out = torch.randint(low, high, shape, generator=gen, dtype=dtypes[(dtype or [np.int64])[0]])
    elif name == "randperm":
        out = torch.randperm(args[0], generator=gen)
    else:
        p, shape, dtype = args
        if isinstance(p, np.ndarray):
            out = torch.bernoulli(torch.from_numpy(p).expand(shape), generator=gen)
            out = out.to(dtypes[dtype])
        else:
            out = torch.empty(shape, dtype=dtypes[dtype]).bernoulli_(p, generator=gen)
    return out.numpy()


# --- values a PyTorch user will recognise -------------------------------------------------------


def test_rand_after_manual_seed_zero_is_pytorchs_famous_first_draw():
    gr.manual_seed(0)
    got = gr.default_generator.uniform((3,), 0, 1, F32)
    assert got.tolist() == [0.49625658988952637, 0.7682217955589294, 0.08847743272781372]


def test_small_randn_uses_serial_double_box_muller():
    gr.manual_seed(0)
    got = gr.default_generator.normal((3,), 0, 1, F32)
    assert got.tolist() == [1.5409960746765137, -0.293428897857666, -2.1787893772125244]


def test_randint_and_randperm_after_seed_zero():
    gr.manual_seed(0)
    assert gr.default_generator.randint(0, 10, (5,)).tolist() == [4, 9, 3, 0, 3]
    gr.manual_seed(0)
    perm = gr.default_generator.randperm(5)
    assert perm.dtype == np.int64 and perm.tolist() == [4, 0, 1, 3, 2]


def test_nn_linear_default_init_draws_weight_then_bias():
    """nn.Linear(3, 2): kaiming_uniform_(a=sqrt(5)) on the weight, then uniform_ on the bias."""
    gen = gr.Generator().manual_seed(0)
    gain = math.sqrt(2.0 / (1 + math.sqrt(5) ** 2))
    bound = math.sqrt(3.0) * (gain / math.sqrt(3))
    weight = gen.uniform((2, 3), -bound, bound, F32)
    bias = gen.uniform((2,), -1 / math.sqrt(3), 1 / math.sqrt(3), F32)
    assert weight.tolist() == [[-0.004322517663240433, 0.3097158372402191, -0.4751853346824646],
                               [-0.4248946011066437, -0.2223689705133438, 0.15482072532176971]]
    assert bias.tolist() == [-0.011439144611358643, 0.45777493715286255]


def test_dropout_mask_is_bernoulli_of_keep_probability():
    gen = gr.Generator().manual_seed(0)
    keep = gen.bernoulli(1 - 0.5, (8,), F32)
    assert (keep / F32(0.5)).tolist() == [0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 2.0, 2.0]


def test_bernoulli_with_probability_array_broadcasts_to_shape():
    gen = gr.Generator().manual_seed(0)
    p = np.array([0.0, 1.0, 0.5], dtype=F32)
    out = gen.bernoulli(p, (4, 3), F64)
    assert out.dtype == F64 and out.shape == (4, 3)
    assert (out[:, 0] == 0).all() and (out[:, 1] == 1).all()


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 300).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.integers(0, 2**32 - 1), min_size=max(n - 1, 0),
                                             max_size=max(n - 1, 0)))))
def test_vectorised_randperm_equals_the_swap_loop(n_and_words):
    n, words = n_and_words
    offsets = [w % (n - i) for i, w in enumerate(words)]
    perm = list(range(n))
    for i, offset in enumerate(offsets):
        perm[i], perm[i + offset] = perm[i + offset], perm[i]
    assert gr._fisher_yates(n, np.array(offsets, dtype=np.int64)).tolist() == perm


# --- seeds ------------------------------------------------------------------------------------


def test_new_generator_starts_from_pytorchs_default_seed():
    gen = gr.Generator()
    assert gen.initial_seed() == 67280421310721
    assert gen.uniform((3,), 0, 1, F32).tolist() == [
        0.267295241355896, 0.8725283145904541, 0.3352888226509094]


def test_seed_reseeds_non_deterministically_and_is_reproducible():
    gen = gr.Generator()
    first, second = gen.seed(), gen.seed()
    assert first != second and 0 <= second < 2**64 and gen.initial_seed() == second
    draws = gen.uniform((4,), 0, 1, F64)
    assert (gr.Generator().manual_seed(second).uniform((4,), 0, 1, F64) == draws).all()


def test_default_generator_module_functions_share_one_state():
    assert gr.manual_seed(123) is gr.default_generator
    assert gr.initial_seed() == 123
    state = gr.get_rng_state()
    a = gr.default_generator.normal((5,), 0, 1, F32)
    gr.set_rng_state(state)
    assert (gr.default_generator.normal((5,), 0, 1, F32) == a).all()
    assert gr.seed() == gr.initial_seed()


@pytest.mark.parametrize(
    ("seed", "stored"), [(-1, 2**64 - 1), (-(2**63), 2**63), (2**64 - 1, 2**64 - 1), (7.9, 7)]
)
def test_manual_seed_wraps_like_torch(seed, stored):
    assert gr.Generator().manual_seed(seed).initial_seed() == stored


def test_seeds_that_differ_only_above_32_bits_give_the_same_stream():
    a = gr.Generator().manual_seed(5).uniform((6,), 0, 1, F32)
    b = gr.Generator().manual_seed(5 + 2**32).uniform((6,), 0, 1, F32)
    assert (a == b).all()


@pytest.mark.parametrize("seed", [2**64, -(2**63) - 1])
def test_manual_seed_out_of_range_raises_torchs_error(seed):
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        gr.manual_seed(seed)


# --- state bytes -------------------------------------------------------------------------------


def test_state_bytes_match_torch_get_rng_state_layout():
    gen = gr.Generator().manual_seed(0)
    state = gen.get_state()
    assert state.dtype == np.uint8 and state.shape == (5056,)
    assert digest_bytes(state) == "1ccf17250133dec5"
    gen.normal((1,), 0, 1, F32)  # caches the Box-Muller partner in the state
    assert digest_bytes(gen.get_state()) == "b490599dab133904"
    gen.manual_seed(0).uniform((624,), 0, 1, F32)  # exactly one mt19937 block used up
    assert digest_bytes(gen.get_state()) == "484720ea4ef85e46"


def test_set_state_round_trips_including_cached_normal():
    gen = gr.Generator().manual_seed(9)
    gen.normal((3,), 0, 1, F64)  # leaves a cached partner
    saved = gen.get_state()
    first = [gen.normal((1,), 0, 1, F64), gen.uniform((700,), 0, 1, F32)]
    gen.manual_seed(1)
    gen.set_state(saved)
    assert (gen.get_state() == saved).all()
    second = [gen.normal((1,), 0, 1, F64), gen.uniform((700,), 0, 1, F32)]
    assert all((a == b).all() for a, b in zip(first, second, strict=True))
    assert gen.initial_seed() == 9


def test_set_state_rejects_bad_states_with_torchs_errors():
    gen = gr.Generator()
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        gen.set_state(np.zeros(5056, dtype=np.float32))
    with pytest.raises(RuntimeError, match="size 5056 but found the input RNG state size to be 10"):
        gen.set_state(np.zeros(10, dtype=np.uint8))
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
        gen.set_state(np.zeros(5056, dtype=np.uint8))


def digest_bytes(state: np.ndarray) -> str:
    return hashlib.sha256(state.tobytes()).hexdigest()[:16]


# --- bad arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize(("call", "error", "message"), [
    (("uniform", (3,), 1, 0, F32), RuntimeError,
     "uniform_ expects to return a [from, to) range, but found from=1 > to=0"),
    (("uniform", (3,), -3e38, 3e38, F32), RuntimeError,
     "uniform_ expects to-from <= std::numeric_limits<Float>::max(), but found to=3e+38 and "
     "from=-3e+38 which result in to-from to exceed the limit"),
    (("uniform", (3,), 0, 1, np.int64), NotImplementedError,
     "\"check_uniform_bounds\" not implemented for 'Long'"),
    (("normal", (3,), 0, -1, F32), RuntimeError, "normal expects std >= 0.0, but found std -1"),
    (("normal", (3,), 0, 1, np.int64), NotImplementedError,
     "\"normal_kernel_cpu\" not implemented for 'Long'"),
    (("randint", 5, 5, (3,)), RuntimeError,
     "random_ expects 'from' to be less than 'to', but got from=5 >= to=5"),
    (("randint", 0, 300, (3,), np.uint8), RuntimeError,
     "to - 1 is out of bounds for unsigned char"),
    (("randint", -200, 2, (3,), np.int8), RuntimeError, "from is out of bounds for signed char"),
    (("randperm", -1), RuntimeError, "Trying to create tensor with negative dimension -1: [-1]"),
    (("bernoulli", 1.5, (3,), F32), RuntimeError,
     "bernoulli_ expects p to be in [0, 1], but got p=1.5"),
])
def test_bad_arguments_raise_torchs_errors(call, error, message):
    with pytest.raises(error) as info:
        gradlab_call(gr.Generator(), call)
    assert str(info.value) == message


def test_randint_beyond_exact_float_integers_warns_like_torch():
    with pytest.warns(UserWarning, match=r"to - 1 is out of bounds \[-\(2\^24\), 2\^24\]"):
        gr.Generator().randint(0, 2**25, (3,), F32)


def test_randint_pulls_float_bounds_inside_what_the_dtype_can_hold():
    """Like torch, ``to - 1`` that rounds up to ``to`` in the dtype shrinks the range."""
    with pytest.warns(UserWarning):
        half = gr.Generator().manual_seed(0).randint(0, 4096, (6,), F16)
    with pytest.warns(UserWarning):
        single = gr.Generator().manual_seed(0).randint(0, 2**30, (4,), F32)
    assert half.tolist() == [3262.0, 1315.0, 3108.0, 1114.0, 3968.0, 2740.0]
    assert single.tolist() == [382722848.0, 784923008.0, 710291712.0, 375180448.0]


def test_bad_argument_leaves_the_stream_untouched():
    gen = gr.Generator().manual_seed(0)
    with pytest.raises(RuntimeError):
        gen.uniform((3,), 1, 0, F32)
    assert gen.uniform((1,), 0, 1, F32).tolist() == [0.49625658988952637]


# --- speed -------------------------------------------------------------------------------------


def test_a_million_float32_normals_are_vectorised(monkeypatch):
    """One vectorised draw of words, not a Python loop per number (about 0.2 s here)."""
    import time

    gen = gr.Generator().manual_seed(0)
    calls = []
    draw = gen._engine.random
    monkeypatch.setattr(gen._engine, "random", lambda n: calls.append(n) or draw(n))
    start = time.perf_counter()
    out = gen.normal((1000, 1000), 0, 1, F32)
    elapsed = time.perf_counter() - start
    assert calls == [1_000_000]
    assert out.shape == (1000, 1000) and abs(float(out.mean())) < 0.01
    assert elapsed < 5.0, f"1e6 normals took {elapsed:.2f}s"


# --- the exact fused multiply-add that PyTorch's compiled kernels use ---------------------------


def nearest_float32(exact: Fraction) -> np.float32:
    """Round an exact rational to float32, ties to even (the reference for fma32)."""
    guess = np.float32(float(exact))
    candidates = [np.nextafter(guess, np.float32(-np.inf)), guess,
                  np.nextafter(guess, np.float32(np.inf))]
    return min(candidates, key=lambda c: (abs(Fraction(float(c)) - exact),
                                          int(np.array(c).view(np.int32)) & 1))


def test_fma32_rounds_once_where_float64_then_float32_would_round_twice():
    a, b = F32(2.0**-12 * (1 + 2.0**-18)), F32(2.0**-12 * (1 - 2.0**-18))
    c = F32(1 + 2.0**-23)
    assert _mt19937.fma32(a, b, c) == F32(1 + 2.0**-23)
    assert F32(float(a) * float(b) + float(c)) == F32(1 + 2.0**-22)  # the double rounding


def test_fma64_keeps_the_product_bits_a_plain_multiply_drops():
    got = _mt19937.fma64(np.array([1 + 2.0**-30]), 1 - 2.0**-30, -1.0)
    assert got.tolist() == [-(2.0**-60)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, width=32), min_size=3, max_size=3))
def test_fma32_is_correctly_rounded(abc):
    a, b, c = (F32(v) for v in abc)
    exact = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    assert _mt19937.fma32(np.array([a]), b, c)[0] == nearest_float32(exact)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e100, 1e100), min_size=3, max_size=3))
def test_fma64_is_correctly_rounded(abc):
    a, b, c = abc
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    assert _mt19937.fma64(np.array([a]), b, c)[0] == float(exact)


# --- parity with torch itself (skipped where torch is not installed) -----------------------------

SIZES = st.one_of(st.sampled_from([0, 1, 2, 15, 16, 17, 31, 32, 33, 48]), st.integers(1, 1500))
SHAPES = st.one_of(SIZES.map(lambda n: (n,)), st.lists(st.integers(0, 6), max_size=3).map(tuple))
FLOATS = st.sampled_from([F32, F64, F16])
CALLS = st.one_of(
    st.tuples(st.just("uniform"), SHAPES, st.just(0), st.just(1), FLOATS),
    st.tuples(st.just("uniform"), SHAPES, st.floats(-10, 0), st.floats(0.01, 10), FLOATS),
    st.tuples(st.just("normal"), SHAPES, st.just(0), st.just(1), FLOATS),
    st.tuples(st.just("normal"), SHAPES, st.floats(-5, 5), st.floats(0, 4), FLOATS),
    st.builds(lambda low, span, shape: ("randint", low, low + span, shape),
              st.integers(-(2**40), 2**40),
              st.sampled_from([1, 2, 10, 2**28 - 1, 2**28, 2**32, 2**45]), SHAPES),
    st.builds(lambda dtype, low, span, shape: ("randint", low, low + span, shape, dtype),
              st.sampled_from([np.int32, np.int16, F16, F32, F64]), st.integers(-100, 100),
              st.integers(1, 150), SHAPES),
    st.builds(lambda low, span, shape: ("randint", low, min(low + span, 256), shape, np.uint8),
              st.integers(0, 255), st.integers(1, 256), SHAPES),
    st.builds(lambda low, shape: ("randint", low, 2, shape, np.bool_), st.integers(0, 1), SHAPES),
    st.tuples(st.just("randperm"), SIZES),
    st.tuples(st.just("bernoulli"), st.floats(0, 1), SHAPES, st.sampled_from([F32, F64])),
    st.builds(lambda dtype, n: ("bernoulli", np.linspace(0, 1, n).astype(dtype), (n,), F32),
              st.sampled_from([F32, F64]), SIZES),
)


@pytest.mark.parity
@settings(max_examples=80, deadline=None)
@given(seed=st.integers(-(2**63), 2**64 - 1), calls=st.lists(CALLS, min_size=1, max_size=6))
def test_any_sequence_of_calls_matches_torch_bit_for_bit(seed, calls, torch):
    theirs = torch.Generator().manual_seed(seed)
    ours = gr.Generator().manual_seed(seed)
    for call in calls:
        expected = torch_call(torch, theirs, call)
        got = gradlab_call(ours, call)
        assert got.dtype == expected.dtype and got.shape == expected.shape, call
        assert got.tobytes() == expected.tobytes(), call
        assert (ours.get_state() == theirs.get_state().numpy()).all(), call


@pytest.mark.parity
def test_golden_values_are_torchs(torch):
    for name, (seed, calls) in SCENARIOS.items():
        gen = torch.Generator().manual_seed(seed)
        assert [digest(torch_call(torch, gen, call)) for call in calls] == GOLDEN[name], name


@pytest.mark.parity
def test_state_moves_between_torch_and_gradlab(torch):
    theirs = torch.Generator().manual_seed(11)
    torch_call(torch, theirs, ("normal", (3,), 0, 1, F32))  # leaves a cached normal behind
    ours = gr.Generator().set_state(theirs.get_state().numpy())
    assert torch_call(torch, theirs, ("normal", (5,), 0, 1, F64)).tobytes() == \
        ours.normal((5,), 0, 1, F64).tobytes()
    ours.uniform((1000,), 0, 1, F32)
    theirs.set_state(torch.from_numpy(ours.get_state()))
    assert torch_call(torch, theirs, ("uniform", (9,), 0, 1, F64)).tobytes() == \
        ours.uniform((9,), 0, 1, F64).tobytes()


@pytest.mark.parity
@pytest.mark.parametrize("dtype", [F32, F64, F16])
def test_large_draws_match_torch(dtype, torch):
    theirs = torch.Generator().manual_seed(2024)
    ours = gr.Generator().manual_seed(2024)
    for call in [("normal", (100_003,), 0.25, 1.5, dtype), ("uniform", (100_003,), -2, 3, dtype),
                 ("randperm", 20_000), ("bernoulli", 0.3, (10_000,), dtype)]:
        assert torch_call(torch, theirs, call).tobytes() == gradlab_call(ours, call).tobytes()


BERNOULLI_SNIPPETS = [
    "lib.bernoulli(lib.full((3, 5), 0.4))",
    "lib.bernoulli(lib.rand(40, dtype=lib.float64))",
    "lib.bernoulli(lib.full((20, 7), 0.3).t())",  # the result is contiguous anyway
    "lib.bernoulli(lib.ones(17), 0.25)",
    "lib.rand(6).bernoulli()",
    "lib.zeros(4, 9).bernoulli_()",
    "lib.zeros(33, dtype=lib.float64).bernoulli_(0.7)",
    "lib.zeros(20, 7).t().bernoulli_(0.5)",  # drawn along the transposed memory
    "lib.zeros(5, 40).t().bernoulli_(lib.full((5, 40), 0.6).t())",
    "lib.zeros(2, 3).bernoulli_(lib.tensor([0.1, 0.9, 0.5]))",
    "lib.zeros(5, dtype=lib.int64).bernoulli_(0.5)",
    "lib.bernoulli(lib.full((3,), 0.5), generator=lib.Generator().manual_seed(3))",
]


def bernoulli_outcome(lib, snippet, seed):
    lib.manual_seed(seed)
    try:
        out = eval(snippet, {"lib": lib})
    except (RuntimeError, NotImplementedError, TypeError) as e:
        return type(e).__name__, str(e).split("\n")[0]
    return out.tolist(), str(out.dtype).split(".")[-1], lib.rand(2).tolist()


def test_bernoulli_is_exposed_with_pytorchs_rules():
    p = gradlab.tensor([0.2, 0.9, 0.5], requires_grad=True)
    out = gradlab.bernoulli(p)
    assert set(out.tolist()) <= {0.0, 1.0} and out.grad_fn.name() == "BernoulliBackward0"
    out.sum().backward()
    assert p.grad.tolist() == [0.0, 0.0, 0.0]
    assert gradlab.bernoulli(p, 0.5).grad_fn.name() == "NotImplemented"
    with pytest.raises(RuntimeError, match=r"^bernoulli_ expects p to be in \[0, 1\], but got "
                                           r"p=1.5$"):
        gradlab.ones(3).bernoulli_(1.5)
    with pytest.raises(RuntimeError, match=r"^Expected p_in >= 0 && p_in <= 1 to be true"):
        gradlab.bernoulli(gradlab.tensor([1.5, 0.2]))
    with pytest.raises(NotImplementedError, match="\"bernoulli_tensor_cpu_p_\" not implemented "
                                                  "for 'Long'"):
        gradlab.bernoulli(gradlab.tensor([1, 0]))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        p.bernoulli_(0.5)
    gradlab.manual_seed(0)
    first = gradlab.zeros(8).bernoulli_()
    gradlab.manual_seed(0)
    assert gradlab.zeros(8).bernoulli_().tolist() == first.tolist()


@pytest.mark.parity
@pytest.mark.parametrize("snippet", BERNOULLI_SNIPPETS)
def test_bernoulli_draws_equal_torchs(snippet, torch):
    for seed in (0, 7):
        assert bernoulli_outcome(gradlab, snippet, seed) == bernoulli_outcome(torch, snippet, seed)

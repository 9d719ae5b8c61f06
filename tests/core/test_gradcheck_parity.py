"""gradcheck / gradgradcheck against torch 2.13 itself: the same verdicts, warnings and
messages (gradlab appends its table after PyTorch's message)."""

from __future__ import annotations

import warnings

import pytest

import gradlab

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.parity


def wrong_square(lib):
    class WrongSquare(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 3 * a * g

    return WrongSquare.apply


def no_mul(lib):
    class NoMul(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return lib.ones_like(g) * 2

    return NoMul.apply


def x64(lib, values=(0.5, -1.0, 2.0)):
    return lib.tensor(list(values), dtype=lib.float64, requires_grad=True)


SCENARIOS = {
    "wrong backward": lambda lib: lib.autograd.gradcheck(wrong_square(lib), (x64(lib),)),
    "not multiplied": lambda lib: lib.autograd.gradcheck(no_mul(lib), (x64(lib),)),
    "detached": lambda lib: lib.autograd.gradcheck(lambda a: a.detach() * 2, (x64(lib),)),
    "no input requires grad": lambda lib: lib.autograd.gradcheck(
        lib.sin, (lib.tensor([1.0], dtype=lib.float64),)),
    "stride zero": lambda lib: lib.autograd.gradcheck(
        lib.sin, (lib.tensor([1.0], dtype=lib.float64).expand(3).requires_grad_(),)),
    "correct, two outputs": lambda lib: lib.autograd.gradcheck(
        lambda a, b: (a * b, a.sum() * 2),
        (x64(lib).reshape(3, 1).detach().requires_grad_(), x64(lib, (3.0,)))),
    "float32 square, loose": lambda lib: lib.autograd.gradcheck(
        lambda a: a * a, (lib.tensor([0.5, -1.0, 2.0], requires_grad=True),), eps=1e-2,
        atol=1e-2),
    "gradgradcheck": lambda lib: lib.autograd.gradgradcheck(
        lambda a: (a.tanh() * a.sigmoid()).softmax(0), (x64(lib),)),
    "no raise": lambda lib: lib.autograd.gradcheck(wrong_square(lib), (x64(lib),),
                                                    raise_exception=False),
    # fast mode: one random direction per input and output, from a fresh torch.Generator
    "fast, wrong backward": lambda lib: lib.autograd.gradcheck(
        wrong_square(lib), (x64(lib, (0.5, -1.0, 2.0, 0.25)).reshape(2, 2),), fast_mode=True),
    "fast, correct, two outputs": lambda lib: lib.autograd.gradcheck(
        lambda a, b: (a * b, a.sum() * 2),
        (x64(lib).reshape(3, 1).detach().requires_grad_(), x64(lib, (3.0,))), fast_mode=True),
    "fast, detached": lambda lib: lib.autograd.gradcheck(lambda a: a.detach() * 2,
                                                         (x64(lib),), fast_mode=True),
    "fast, not multiplied": lambda lib: lib.autograd.gradcheck(no_mul(lib), (x64(lib),),
                                                               fast_mode=True),
    "fast gradgradcheck": lambda lib: lib.autograd.gradgradcheck(
        lambda a: (a.tanh() * a.sigmoid()).softmax(0), (x64(lib),), fast_mode=True),
}


def outcome(lib, scenario):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = ("returned", SCENARIOS[scenario](lib))
        except Exception as e:  # noqa: BLE001  (the error is the outcome compared)
            text = str(e).split("\ngradlab: ")[0].replace("torch.", "gradlab.")
            result = (type(e).__name__, text)
    return result, [str(w.message) for w in caught if w.category is UserWarning]


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_gradcheck_outcome_and_message_equal_pytorchs(scenario):
    assert outcome(gradlab, scenario) == outcome(torch, scenario)


def test_float32_gradcheck_warns_and_fails_as_pytorch():
    results = []
    for lib in (torch, gradlab):
        x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        with pytest.warns(UserWarning, match="^Input #0 requires gradient and is not a double"):
            results.append(lib.autograd.gradcheck(lib.sin, (x,), raise_exception=False))
    assert results == [False, False]


def test_gradgradcheck_consumes_the_generator_as_pytorch():
    for lib in (torch, gradlab):
        lib.manual_seed(3)
        assert lib.autograd.gradgradcheck(lib.sin, (x64(lib),))
    assert gradlab.rand(4).tolist() == pytest.approx(torch.rand(4).tolist(), abs=0)

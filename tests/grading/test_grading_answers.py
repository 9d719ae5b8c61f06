"""Answers as plain data, their comparison, and the diagnosis of autograd mistakes."""

import base64
import io
import json
import pickle

import numpy as np
import pytest

from gradlab.grading.answers import (
    Invalid,
    TensorValue,
    Unsupported,
    capture,
    decode,
    encode,
    to_plain,
)
from gradlab.grading.compare import compare
from gradlab.grading.diagnose import (
    CUSTOM_RULES,
    Context,
    diagnose_error,
    diagnose_values,
    known_factors,
    register_diagnosis,
)


class FakeTensor:
    """Duck-typed like a tensor: detach() and numpy()."""

    def __init__(self, values, requires_grad=False):
        self.values, self.requires_grad = np.asarray(values, dtype=np.float32), requires_grad

    def detach(self):
        return FakeTensor(self.values)

    def numpy(self):
        return self.values


def roundtrip(value):
    return decode(json.loads(json.dumps(encode(to_plain(value)))))


def test_plain_values_survive_the_trip_through_json():
    value = {"a": [1, 2.5, None, True, "s"], "b": float("inf"), "c": (3, 4)}
    assert roundtrip(value) == {"a": [1, 2.5, None, True, "s"], "b": float("inf"), "c": [3, 4]}


def test_arrays_travel_as_npy_and_tensors_keep_requires_grad():
    array = roundtrip(np.arange(6, dtype=np.int32).reshape(2, 3))
    assert array.dtype == np.int32 and array.tolist() == [[0, 1, 2], [3, 4, 5]]
    tensor = roundtrip(FakeTensor([1.5, 2.5], requires_grad=True))
    assert isinstance(tensor, TensorValue) and tensor.requires_grad
    assert tensor.array.tolist() == [1.5, 2.5]


def test_objects_object_arrays_and_generators_are_not_gradable():
    for value in (object(), np.array([object()]), (i for i in range(3)), {1: 2}):
        with pytest.raises(Unsupported):
            to_plain(value)


def test_subclasses_of_float_and_ndarray_lose_their_overrides():
    class Liar(float):
        def __eq__(self, other):
            return True

        def __float__(self):
            return 0.5

    class LyingArray(np.ndarray):
        def __eq__(self, other):
            return True

    assert type(to_plain(Liar(3.0))) is float and to_plain(Liar(3.0)) == 3.0
    plain = to_plain(np.zeros(2).view(LyingArray))
    assert type(plain) is np.ndarray and not compare([1.0, 2.0], plain).passed


def test_decode_refuses_pickles_object_arrays_and_unknown_shapes():
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    for data in ({"$npy": base64.b64encode(buffer.getvalue()).decode()},
                 {"$npy": base64.b64encode(pickle.dumps([1, 2])).decode()},
                 {"$npy": "not base64!"}, {"$npy": 3}, {"__reduce__": 1},
                 {"$tensor": "", "requires_grad": "yes"}, {"$dict": [[1, 2]]}):
        with pytest.raises(Invalid):
            decode(data)


def test_a_forged_npy_header_is_refused_before_anything_is_allocated():
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)})
    honest = io.BytesIO()
    np.save(honest, np.zeros(4))
    for raw, reason in ((header.getvalue() + bytes(32), "gradable size"),
                        (honest.getvalue()[:-8], "does not match its header")):
        with pytest.raises(Invalid, match=reason):
            decode({"$npy": base64.b64encode(raw).decode()})


def test_capture_turns_errors_into_data_and_calls_functions_on_fresh_inputs():
    namespace = {"double_in_place": lambda a: a.__imul__(2)}
    calls = [[np.array([1.0, 2.0])], [np.array([1.0, 2.0])]]
    result = capture("double_in_place", namespace, calls)
    assert [r["value"].tolist() for r in result["calls"]] == [[2.0, 4.0], [2.0, 4.0]]
    assert capture("undefined", {}) == {"error": {"type": "NameError",
                                                  "message": "name 'undefined' is not defined"}}
    assert capture("sys.exit(3)", {"sys": __import__("sys")})["error"]["type"] == "SystemExit"


@pytest.mark.parametrize("expected, actual, passed", [
    (89.0, np.array([89.0]), True),
    ([89.0], np.array(89.0), False),
    ([1.0, 2.0], [np.float32(1.0), np.float32(2.0)], True),
    (None, None, True),
    (None, 0.0, False),
    ("b", "b", True),
    (True, 1, False),
    ({"w": [1.0]}, {"w": [1.0 + 1e-7]}, True),
    ([1.0, "x"], [1.0, "y"], False),
    ([4517.2969, 82.6], np.array([4517.29688, 82.6000], dtype=np.float32), True),
])
def test_compare_follows_the_documented_rules(expected, actual, passed):
    assert compare(expected, to_plain(actual)).passed is passed


@pytest.mark.parametrize("expected, actual", [
    ([1.0, 2.0], np.array([3.0, 4.0])), (6.0, 0.0), ("relu", "tanh"), ([1.0, "x"], [1.0, "y"]),
    ({"a": 1.5}, {"a": 2.5}),
])
def test_feedback_shows_the_answer_never_the_expected_value(expected, actual):
    outcome = compare(expected, to_plain(actual))
    assert not outcome.passed and "not the expected value" in outcome.message
    for shown in ("1.0, 2.0", "[1., 2.]", "6.0", "relu", "'x'", "1.5"):
        assert shown not in outcome.message + str(outcome.hint)


def test_known_mistakes_get_the_authors_message():
    outcome = compare([1.0], np.array([2.0]), mistakes=[([2.0], "you summed twice")])
    assert outcome.hint == "you summed twice"


def hint(expected, actual, **context):
    return diagnose_values(np.asarray(expected, float), np.asarray(actual, float),
                           Context(**context))


@pytest.mark.parametrize("actual, context, words", [
    ([9034.5938, 165.2], {"expr": "w.grad"}, "`w.grad` looks accumulated: gradients add up"),
    ([9034.5938, 165.2], {"expr": "w.grad", "what": "the result of `f(...)`"},
     "the result of `f(...)` looks accumulated: gradients add up in `.grad`"),
    ([-4517.2969, -82.6], {"expr": "params.grad"}, "points the wrong way"),
    ([45.172969, 0.826], {"expr": "step", "lr": 1e-2}, "too small: the gradient itself"),
    ([451729.69, 8260.0], {"expr": "step", "lr": 1e-2}, "forget to multiply by the learning"),
    ([2258.64845, 41.3], {"expr": "w.grad"}, "misses a factor of the chain rule"),
    ([4517.2969, 0.0], {}, "1 of 2 values are right"),
    ([4517.2969, 0.0], {"hidden": True}, "some of the values are right, others are not"),
    ([1505.7656, 27.533333], {"factors": [(1 / 3, "a mean over the 3 chunks")]}, "a mean over"),
])
def test_a_known_mistake_of_the_check_is_named_from_its_numbers(actual, context, words):
    assert words in hint([4517.2969, 82.6], actual, **context)


@pytest.mark.parametrize("context", [
    Context(expr="w.grad", lr=1e-2), Context(expr="w", start=np.zeros(2), lr=0.5)])
def test_a_known_mistake_is_named_by_its_cause_never_by_the_factor_to_undo(context):
    for factor, message in known_factors(context):
        words = message.lower()
        assert not any(w in words for w in ("expected", "twice", "half", "times", "factor 2",
                                            f"{factor:g}", f"{1 / factor:g}")), message


@pytest.mark.parametrize("actual, context", [
    ([22586.48, 413.0], {"expr": "w.grad"}),  # 5 times: no known mistake of this check
    ([16713.998, 305.62], {"expr": "w.grad"}),  # 3.7 times
    ([9034.5938, 165.2], {"expr": "loss"}),  # twice, but not a gradient: nothing accumulates
    ([-4517.2969, -82.6], {"expr": "loss"}),
    ([45.172969, 0.826], {"expr": "w.grad"}),  # 1/100 without an lr
    ([1505.7656, 27.533333], {"expr": "w.grad"}),
    ([1.0, 1.0 / 82.6 * 4517.2969], {"expr": "w.grad"}),
])
def test_a_ratio_that_is_no_known_mistake_of_the_check_gets_no_hint(actual, context):
    assert hint([4517.2969, 82.6], actual, **context) is None


def test_a_wrong_step_is_diagnosed_relative_to_the_start():
    message = hint([1.2, 0.07], [0.8, -0.07], start=np.array([1.0, 0.0]))
    assert "wrong way (gradient ascent)" in message


def test_shape_mismatch_from_broadcasting_is_explained():
    outcome = compare([1.0, 2.0, 3.0], np.ones((3, 3)))
    assert outcome.message == "shape (3, 3), expected (3,)" and "broadcasting" in outcome.hint
    same = compare([[1.0, 2.0]], np.array([1.0, 2.0]))
    assert "values are right but the shape is (2,)" in same.hint


def test_a_none_gradient_gets_the_leaf_explanation():
    assert "leaf" in compare([1.0], None, Context(expr="w.grad")).hint


@pytest.mark.parametrize("message, words", [
    ("a leaf Variable that requires grad is being used in an in-place operation.", "no_grad"),
    ("element 0 of tensors does not require grad and does not have a grad_fn", "requires_grad"),
    ("grad can be implicitly created only for scalar outputs", "scalar"),
])
def test_autograd_errors_get_a_hint(message, words):
    assert words in diagnose_error({"type": "RuntimeError", "message": message})


def test_the_freed_graph_hint_names_detach_for_a_carried_tensor_and_retain_graph_for_two_walks():
    hint = diagnose_error({"type": "RuntimeError", "message": (
        "Trying to backward through the graph a second time (or directly access saved tensors "
        "after they have already been freed).")})
    assert "`.detach()`" in hint and "carried" in hint  # 10.q4's loop: detach the state
    assert "retain_graph=True to the first backward()" in hint  # the same graph, twice
    assert hint.index(".detach()") < hint.index("retain_graph")  # the usual fix comes first


def test_custom_diagnoses_run_first_and_a_broken_one_is_ignored():
    @register_diagnosis
    def broken(expected, actual, context):
        raise ValueError("bug in a rule")

    @register_diagnosis
    def bias(expected, actual, context):
        return "the bias is missing" if actual[-1] == 0 else None

    try:
        assert hint([3.0, 1.0], [3.0, 0.0]) == "the bias is missing"
    finally:
        CUSTOM_RULES.remove(broken)
        CUSTOM_RULES.remove(bias)

"""gradlab.save / gradlab.load: state dicts, optimizer state and tensors round-trip exactly,
through a format that holds only data (JSON + .npy, read with allow_pickle=False); foreign,
corrupt and hostile files get clear errors."""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim


def round_trip(obj):
    buffer = io.BytesIO()
    gradlab.save(obj, buffer)
    buffer.seek(0)
    return gradlab.load(buffer)


@pytest.fixture
def trained():
    """A small model with a BatchNorm buffer and an Adam optimizer after three steps."""
    gradlab.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1))
    opt = optim.Adam(model.parameters(), lr=0.01)
    for _ in range(3):
        opt.zero_grad()
        model(gradlab.randn(5, 3)).sum().backward()
        opt.step()
    return model, opt


def assert_same_tensors(a, b):
    assert type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
    assert np.array_equal(a.numpy(), b.numpy()) and a.requires_grad == b.requires_grad


def test_state_dict_round_trips_exactly(trained, tmp_path):
    model, _ = trained
    path = tmp_path / "model.pt"
    gradlab.save(model.state_dict(), path)
    loaded = gradlab.load(path)
    assert type(loaded) is OrderedDict and list(loaded) == list(model.state_dict())
    for a, b in zip(loaded.values(), model.state_dict().values()):
        assert_same_tensors(a, b)
    assert loaded["1.num_batches_tracked"].dtype == gradlab.int64
    assert loaded["1.num_batches_tracked"].shape == ()
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1))
    assert str(fresh.load_state_dict(loaded)) == "<All keys matched successfully>"
    x = gradlab.randn(2, 3)
    assert gradlab.equal(fresh.eval()(x), model.eval()(x))


def test_optimizer_state_round_trips_with_int_keys_and_tuples(trained):
    model, opt = trained
    loaded = round_trip(opt.state_dict())
    assert list(loaded["state"]) == [0, 1, 2, 3, 4, 5]
    assert loaded["param_groups"] == opt.state_dict()["param_groups"]
    assert loaded["param_groups"][0]["betas"] == (0.9, 0.999)
    for key in ("step", "exp_avg", "exp_avg_sq"):
        assert_same_tensors(loaded["state"][0][key], opt.state_dict()["state"][0][key])
    resumed = optim.Adam(model.parameters(), lr=0.5)
    resumed.load_state_dict(loaded)
    assert resumed.param_groups[0]["lr"] == 0.01


def test_checkpoint_of_plain_values_round_trips():
    checkpoint = {"epoch": 3, "loss": 0.1 + 0.2, "nan": math.nan, "inf": -math.inf,
                  "big": 2**70, "name": "run-1", "flags": (True, None), "ids": [1, 2],
                  "device": gradlab.device("cpu"), 7: "int key", (1, 2): "tuple key"}
    loaded = round_trip(checkpoint)
    assert math.isnan(loaded.pop("nan")) and math.isnan(checkpoint.pop("nan"))
    assert loaded == checkpoint and list(loaded) == list(checkpoint)
    assert type(loaded["flags"]) is tuple


def test_tensors_keep_dtype_parameter_flag_and_identity():
    p = nn.Parameter(gradlab.ones(2))
    frozen = nn.Parameter(gradlab.zeros(1), requires_grad=False)
    x = gradlab.ones(3, requires_grad=True) * 2  # non-leaf: comes back a leaf, as in PyTorch
    ints = gradlab.arange(6).reshape(2, 3).t()  # a non-contiguous view
    half = gradlab.tensor([1.5, -2.0], dtype=gradlab.float16)
    loaded = round_trip([p, p, frozen, x, ints, half, gradlab.tensor(True)])
    assert loaded[0] is loaded[1] and isinstance(loaded[0], nn.Parameter)
    assert isinstance(loaded[2], nn.Parameter) and not loaded[2].requires_grad
    assert loaded[3].requires_grad and loaded[3].is_leaf and loaded[3].tolist() == [2, 2, 2]
    assert loaded[4].tolist() == ints.tolist() and loaded[4].dtype == gradlab.int64
    assert_same_tensors(loaded[5], half)
    assert loaded[6].dtype == gradlab.bool and loaded[6].item() is True


def test_loaded_tensors_own_writable_memory():
    w = round_trip(gradlab.ones(3))
    w += 1
    assert w.tolist() == [2, 2, 2]


def test_saving_a_model_is_refused_with_a_hint(trained):
    model, _ = trained
    with pytest.raises(TypeError, match="not Sequential") as info:
        gradlab.save(model, io.BytesIO())
    assert "Hint: save model.state_dict()" in str(info.value)
    with pytest.raises(TypeError, match="not builtin_function_or_method"):
        gradlab.save({"f": print}, io.BytesIO())
    with pytest.raises(AttributeError, match="expected 'f' to be string, path, or a file-like"):
        gradlab.save(gradlab.ones(2), 5)


def test_the_file_holds_only_json_and_npy_arrays(trained, tmp_path):
    model, _ = trained
    path = tmp_path / "model.pt"
    gradlab.save(model.state_dict(), path)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert names[0] == "gradlab/structure.json"
        assert all(n.startswith("gradlab/arrays/") and n.endswith(".npy") for n in names[1:])
        structure = json.loads(archive.read(names[0]))
    assert structure["format"] == "gradlab.save" and structure["version"] == 1


def _archive(structure: str | None = None, **members) -> io.BytesIO:
    """A zip holding ``structure`` as gradlab's JSON and ``members`` ("a__b" names "a/b",
    "_npy" a ".npy" ending)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if structure is not None:
            archive.writestr("gradlab/structure.json", structure)
        for name, data in members.items():
            name = name.replace("__", "/").replace("_npy", ".npy").replace("_pkl", ".pkl")
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def _structure(obj, arrays=()) -> str:
    return json.dumps({"format": "gradlab.save", "version": 1, "object": obj,
                       "arrays": list(arrays)})


@pytest.mark.parametrize("content, message", [
    (b"hello world, not a zip", "not a zip archive"),
    (_archive(archive__data_pkl=b"\x80\x02}q\x00.").getvalue(), "written by PyTorch's torch.save"),
    (_archive(other=b"x").getvalue(), "no gradlab/structure.json"),
    (_archive(b"{not json").getvalue(), "structure is unreadable"),
    (_archive(_structure({"pickle": "os.system"})).getvalue(),
     "unexpected entry"),
    (_archive(_structure({"tensor": 0})).getvalue(),
     "tensor 0 is not in the file"),
    (_archive(_structure({"tensor": 0, "parameter": False,
                                                   "requires_grad": False},
                                                  [["object", [1]]])).getvalue(),
     "announced as 'object'"),
    (_archive(_structure({"list": []}).replace('"version": 1',
                                                                       '"version": 9')).getvalue(),
     "format version 9"),
])
def test_foreign_or_corrupt_files_are_refused_clearly(content, message):
    with pytest.raises(RuntimeError, match=message):
        gradlab.load(io.BytesIO(content))


def test_truncated_file_is_refused(trained, tmp_path):
    model, _ = trained
    buffer = io.BytesIO()
    gradlab.save(model.state_dict(), buffer)
    with pytest.raises(RuntimeError, match="gradlab.load: the file"):
        gradlab.load(io.BytesIO(buffer.getvalue()[: len(buffer.getvalue()) // 2]))


def test_pickled_arrays_are_never_loaded():
    array = io.BytesIO()
    np.save(array, np.array([print], dtype=object), allow_pickle=True)
    content = _archive(_structure(
        {"tensor": 0, "parameter": False, "requires_grad": False}, [["float32", [1]]]),
        gradlab__arrays__0_npy=array.getvalue())
    with pytest.raises(RuntimeError, match="unreadable|does not hold"):
        gradlab.load(content)


def test_map_location_cpu_is_accepted_and_cuda_refused_as_pytorch():
    buffer = io.BytesIO()
    gradlab.save({"a": gradlab.ones(2)}, buffer)
    for location in ("cpu", gradlab.device("cpu"), None):
        buffer.seek(0)
        assert gradlab.load(buffer, map_location=location)["a"].tolist() == [1, 1]
    buffer.seek(0)
    with pytest.raises(RuntimeError, match="^Attempting to deserialize object on a CUDA device "
                                           "but torch.cuda.is_available"):
        gradlab.load(buffer, map_location="cuda")

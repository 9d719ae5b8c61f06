"""The device boilerplate of tutorials runs as on PyTorch's CPU-only build: gradlab.cuda,
gradlab.accelerator, gradlab.backends, device objects, .to('cpu'), and PyTorch's errors for
'cuda'. Expected answers were given by torch 2.13.0+cpu."""

from __future__ import annotations

import pytest

import gradlab
from gradlab import nn

NOT_COMPILED = "^Torch not compiled with CUDA enabled"
NO_ACCELERATOR = r"^Cannot access accelerator device when none is available\.$"


def test_the_usual_device_line_picks_the_cpu():
    device = gradlab.device("cuda" if gradlab.cuda.is_available() else "cpu")
    assert repr(device) == "device(type='cpu')"
    assert gradlab.accelerator.current_accelerator() is None
    device = gradlab.accelerator.current_accelerator() or gradlab.device("cpu")
    assert str(device) == "cpu"
    fallback = ("cuda" if gradlab.cuda.is_available()
                else "mps" if gradlab.backends.mps.is_available() else "cpu")
    assert fallback == "cpu"


def test_model_and_tensors_move_to_the_cpu_unchanged():
    device = gradlab.device("cpu")
    model = nn.Linear(2, 1).to(device)
    assert model.cpu() is model and model.to("cpu") is model
    x = gradlab.ones(2).to(device)
    assert x.device == device and str(x.device) == "cpu" and not x.is_cuda
    assert x.to("cpu") is x
    assert x.to("cpu", gradlab.float64).dtype == gradlab.float64
    assert model.double().weight.dtype == gradlab.float64
    assert model.float().weight.dtype == gradlab.float32
    assert gradlab.get_default_device() == device


def test_cuda_queries_answer_as_a_cpu_only_build():
    cuda = gradlab.cuda
    assert (cuda.is_available(), cuda.device_count(), cuda.is_initialized()) == (False, 0, False)
    assert cuda.manual_seed(0) is None and cuda.manual_seed_all(0) is None
    assert cuda.empty_cache() is None and cuda.memory_allocated() == 0
    assert cuda.is_bf16_supported() is False and cuda.get_arch_list() == []
    for query in (cuda.current_device, cuda.get_device_name, cuda.synchronize):
        with pytest.raises(AssertionError, match=NOT_COMPILED):
            query()


def test_accelerator_answers_as_a_cpu_only_build():
    acc = gradlab.accelerator
    assert acc.is_available() is False and acc.device_count() == 0
    assert acc.current_accelerator(check_available=True) is None
    for query in (acc.current_device_index, acc.synchronize, acc.memory_allocated):
        with pytest.raises(RuntimeError, match=NO_ACCELERATOR):
            query()
    assert gradlab.backends.cudnn.is_available() is False
    gradlab.backends.cudnn.deterministic = True  # tutorials set it; harmless here


@pytest.mark.parametrize("make", [
    lambda: gradlab.zeros(2).to("cuda"), lambda: gradlab.zeros(2, device="cuda"),
    lambda: gradlab.zeros(2).cuda(), lambda: nn.Linear(1, 1).to("cuda"),
    lambda: nn.Linear(1, 1).cuda(), lambda: gradlab.zeros(2).to("cuda:0"),
])
def test_cuda_is_refused_with_pytorchs_message(make):
    with pytest.raises(AssertionError, match=NOT_COMPILED):
        make()


def test_other_devices_are_refused_with_pytorchs_words():
    for name in ("mps", "xla", "vulkan"):
        with pytest.raises(RuntimeError, match=f"^PyTorch is not linked with support for {name} "
                                               "devices"):
            gradlab.zeros(2).to(name)
    with pytest.raises(AssertionError, match="^Torch not compiled with XPU enabled"):
        gradlab.zeros(2).to("xpu")


def test_cpu_tensor_queries_answer_as_pytorch():
    x = gradlab.zeros(2)
    assert (x.get_device(), x.is_cpu, x.is_cuda, x.is_pinned()) == (-1, True, False, False)
    with pytest.raises(RuntimeError, match=NO_ACCELERATOR):
        x.pin_memory()


def test_pin_memory_in_a_dataloader_warns_as_pytorch_without_an_accelerator():
    from gradlab.utils.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(gradlab.ones(4, 2)), batch_size=2, pin_memory=True)
    with pytest.warns(UserWarning, match="^'pin_memory' argument is set as true but no "
                                         "accelerator is found"):
        batches = list(loader)
    assert len(batches) == 2


def test_integer_devices_need_an_accelerator():
    with pytest.raises(RuntimeError, match=NO_ACCELERATOR):
        gradlab.zeros(2).to(0)


@pytest.mark.parity
def test_device_answers_equal_pytorchs():
    torch = pytest.importorskip("torch")
    assert torch.cuda.is_available() is gradlab.cuda.is_available()
    assert torch.accelerator.is_available() is gradlab.accelerator.is_available()
    assert torch.accelerator.current_accelerator() == gradlab.accelerator.current_accelerator()
    assert torch.backends.mps.is_available() is gradlab.backends.mps.is_available()
    assert repr(torch.device("cuda:0")) == repr(gradlab.device("cuda:0"))
    for lib in (torch, gradlab):
        with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled"):
            lib.zeros(2).to("cuda")
        with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled"):
            lib.nn.Linear(1, 1).cuda()

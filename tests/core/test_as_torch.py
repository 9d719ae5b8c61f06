"""gradlab.install_as_torch() / %load_ext gradlab: `import torch` and its sub-modules give
gradlab in that process, so tutorial code runs unchanged; refused once the real torch is in.
Each scenario runs in a fresh interpreter (this test process may hold the real torch)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120)


def test_a_tutorial_runs_unchanged_after_install_as_torch():
    result = run("""
        import gradlab
        gradlab.install_as_torch()
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.optim as optim
        from torch.utils.data import DataLoader, TensorDataset
        assert torch is gradlab and nn is gradlab.nn and F is gradlab.nn.functional
        assert optim is gradlab.optim and DataLoader is gradlab.utils.data.DataLoader
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Dropout(0.1), nn.Linear(8, 1))
        model = model.to(device)
        opt = optim.SGD(model.parameters(), lr=0.1)
        data = TensorDataset(torch.randn(32, 2), torch.randn(32, 1))
        for epoch in range(2):
            for xb, yb in DataLoader(data, batch_size=8, shuffle=True):
                xb, yb = xb.to(device), yb.to(device)
                loss = F.mse_loss(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
        print(type(loss).__module__, loss.grad_fn.name())
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["gradlab", "MseLossBackward0"]


def test_missing_torch_modules_fail_as_missing_and_never_reach_the_real_torch():
    result = run("""
        import sys, gradlab
        gradlab.install_as_torch()
        try:
            import torch.distributed
        except ModuleNotFoundError as e:
            print(e.name)
        print(any(getattr(m, "__name__", "").startswith("torch") for m in
                  list(sys.modules.values())))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["torch.distributed", "False"]


def test_install_is_idempotent_and_can_be_undone():
    result = run("""
        import sys, gradlab
        gradlab.install_as_torch()
        gradlab.install_as_torch()
        import torch.nn
        gradlab.uninstall_as_torch()
        print("torch" in sys.modules, "torch.nn" in sys.modules)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def test_load_ext_does_the_same_in_ipython():
    pytest.importorskip("IPython")
    result = run("""
        from IPython.testing.globalipapp import start_ipython
        ip = start_ipython()
        ip.run_line_magic("load_ext", "gradlab")
        ip.run_cell("import torch; print(torch.__name__)")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "gradlab"


@pytest.mark.parity  # needs the real torch imported first
def test_refused_with_a_clear_message_when_real_torch_came_first():
    pytest.importorskip("torch")
    result = run("""
        import torch, gradlab
        try:
            gradlab.install_as_torch()
        except RuntimeError as e:
            print(e)
    """)
    assert result.returncode == 0, result.stderr
    assert "the real PyTorch is already imported in this process" in result.stdout
    assert "Hint: restart the kernel" in result.stdout

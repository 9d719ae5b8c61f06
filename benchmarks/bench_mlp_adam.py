"""One Adam training step of a small MLP, in gradlab and (when installed) in PyTorch.

The step is the whole loop body: ``zero_grad``, forward through 32 → 64 → 64 → 1 with ReLU on a
batch of 256, ``MSELoss``, ``backward``, ``optimizer.step()``. Both libraries start from the same
weights and run on one thread (numpy's BLAS is limited with threadpoolctl when it is installed,
else set ``OPENBLAS_NUM_THREADS=1``: a multi-threaded BLAS on a busy machine is many times slower
on matrices this small), and the script prints the time per step and gradlab's ratio to PyTorch.
Run it with ``python benchmarks/bench_mlp_adam.py``; ``benchmarks/run.py`` calls ``main()``.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SIZES = (32, 64, 64, 1)
BATCH = 256


def _step_function(lib: Any, weights: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> Any:
    """Build the model and optimizer in ``lib`` (gradlab or torch) and return one train step."""
    nn = lib.nn
    layers: list[Any] = []
    for i in range(len(SIZES) - 1):
        layers.append(nn.Linear(SIZES[i], SIZES[i + 1]))
        if i < len(SIZES) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    with lib.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(lib.tensor(w))
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    xb, yb = lib.tensor(x), lib.tensor(y)

    def step() -> float:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        return loss

    return step


def time_steps(steps: dict[str, Any], repeats: int = 9, number: int = 30) -> dict[str, float]:
    """For each library, the best over ``repeats`` of the mean CPU time of ``number``
    consecutive steps, in seconds. The libraries take turns, so a busy spell on the shared
    machine hits both alike, and the minimum is the least disturbed by other work."""
    for step in steps.values():
        for _ in range(5):
            step()
    best = {name: float("inf") for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = time.process_time()  # CPU time: on a shared machine wall time measures others
            for _ in range(number):
                step()
            best[name] = min(best[name], (time.process_time() - start) / number)
    return best


def _one_blas_thread() -> Any:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def main() -> dict[str, float]:
    """Time both libraries, print the result and return it (seconds per step and the ratio)."""
    import gradlab

    rng = np.random.default_rng(0)
    weights = []
    for i in range(len(SIZES) - 1):
        bound = 1 / np.sqrt(SIZES[i])
        weights.append(rng.uniform(-bound, bound, (SIZES[i + 1], SIZES[i])).astype(np.float32))
        weights.append(rng.uniform(-bound, bound, SIZES[i + 1]).astype(np.float32))
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.standard_normal((BATCH, 1)).astype(np.float32)

    steps = {"gradlab": _step_function(gradlab, weights, x, y)}
    try:
        torch = importlib.import_module("torch")
        torch.set_num_threads(1)
        steps["torch"] = _step_function(torch, weights, x, y)
    except ImportError:
        torch = None
    with _one_blas_thread():
        best = time_steps(steps)
    result = {f"{name}_s": secs for name, secs in best.items()}
    print(f"MLP {'-'.join(map(str, SIZES))}, batch {BATCH}, one Adam step (CPU time, best of 9 "
          "alternating rounds)")
    print(f"  gradlab: {result['gradlab_s'] * 1e6:9.1f} µs")
    if torch is None:
        print("  torch:   not installed (no ratio)")
        return result
    result["ratio"] = result["gradlab_s"] / result["torch_s"]
    print(f"  torch:   {result['torch_s'] * 1e6:9.1f} µs")
    print(f"  ratio gradlab / torch: {result['ratio']:.2f}x  (target <= 1.00x: "
          f"{'met' if result['ratio'] <= 1.0 else 'NOT met'})")
    return result


if __name__ == "__main__":
    main()

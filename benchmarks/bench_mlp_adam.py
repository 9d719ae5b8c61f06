"""One Adam training step of a small MLP, in gradlab, in hand-written numpy and (when installed) in
PyTorch.

The step is the whole loop body: ``zero_grad``, forward through 32 → 64 → 64 → 1 with ReLU on a
batch of 256, ``MSELoss``, ``backward``, ``optimizer.step()``. All start from the same
weights and run on one thread (numpy's BLAS is limited with threadpoolctl when it is installed,
else set ``OPENBLAS_NUM_THREADS=1``: a multi-threaded BLAS on a busy machine is many times slower
on matrices this small), and the script prints the time per step and gradlab's ratios to PyTorch
and to numpy. Run it with ``python benchmarks/bench_mlp_adam.py``; ``benchmarks/run.py`` calls
``main()``.
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


def _numpy_step_function(weights: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> Any:
    """The same step in plain numpy, gradients and Adam written by hand: the floor any
    framework pays on top of (float32 throughout, same weights)."""
    params = [w.copy() for w in weights]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    lr, beta1, beta2, eps = np.float32(1e-3), np.float32(0.9), np.float32(0.999), np.float32(1e-8)
    count = [0]

    def step() -> float:
        acts, h = [x], x
        for i in range(0, len(params), 2):
            h = h @ params[i].T + params[i + 1]
            if i < len(params) - 2:
                h = np.maximum(h, 0)
            acts.append(h)
        diff = h - y
        loss = float((diff * diff).mean())
        g = diff * np.float32(2 / diff.size)
        grads: list[np.ndarray] = [None] * len(params)  # type: ignore[list-item]
        for i in range(len(params) - 2, -1, -2):
            grads[i], grads[i + 1] = g.T @ acts[i // 2], g.sum(axis=0)
            if i:
                g = (g @ params[i]) * (acts[i // 2] > 0)
        count[0] += 1
        t = count[0]
        for p, grad, (m, v) in zip(params, grads, moments):
            m += (grad - m) * (1 - beta1)
            v *= beta2
            v += (1 - beta2) * grad * grad
            denom = np.sqrt(v) / np.float32(np.sqrt(1 - beta2**t)) + eps
            p -= (lr / np.float32(1 - beta1**t)) * m / denom
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

    steps = {"gradlab": _step_function(gradlab, weights, x, y),
             "numpy": _numpy_step_function(weights, x, y)}
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
    result["numpy_ratio"] = result["gradlab_s"] / result["numpy_s"]
    print(f"  numpy (hand-derived): {result['numpy_s'] * 1e6:9.1f} µs  gradlab is "
          f"{result['numpy_ratio']:.2f}x")
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

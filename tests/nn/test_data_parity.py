"""gradlab.utils.data against PyTorch itself: the same batches after the same seeds.

Skipped without torch (CI); ``test_data.py`` pins the same orders with written-in values.
"""

from __future__ import annotations

import numpy as np
import pytest

import gradlab
import gradlab.utils.data as gdata

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.parity
tdata = torch.utils.data


def epochs(lib, data, seed: int, n: int, epochs: int = 3, private: int | None = None,
           **options) -> tuple[list, list]:
    lib.manual_seed(seed)
    dataset = data.TensorDataset(lib.arange(float(n)).reshape(n, 1), lib.arange(n))
    if private is not None:
        options["generator"] = lib.Generator().manual_seed(private)
    loader = data.DataLoader(dataset, **options)
    batches = [[(x.tolist(), y.tolist()) for x, y in loader] for _ in range(epochs)]
    return batches, lib.rand(4).tolist()


@pytest.mark.parametrize("seed, n, options", [
    (0, 10, {"batch_size": 4, "shuffle": True}),
    (1, 37, {"batch_size": 5, "shuffle": True, "drop_last": True}),
    (2, 100, {"batch_size": 32, "shuffle": True}),
    (3, 7, {"batch_size": 2}),
    (4, 1500, {"batch_size": 64, "shuffle": True}),
    (5, 12, {"batch_size": 3, "shuffle": True, "private": 11}),
    (6, 9, {"batch_size": None, "shuffle": True}),
])
def test_batches_and_generator_state_equal_pytorchs(seed, n, options):
    ours = epochs(gradlab, gdata, seed, n, **options)
    theirs = epochs(torch, tdata, seed, n, **options)
    assert ours[0] == theirs[0]
    np.testing.assert_array_equal(ours[1], theirs[1])  # the global generator moved alike


@pytest.mark.parametrize("lengths", [[0.8, 0.2], [3, 4, 3], [0.5, 0.3, 0.2]])
def test_random_split_equals_pytorchs(lengths):
    splits = []
    for lib, data in ((torch, tdata), (gradlab, gdata)):
        lib.manual_seed(9)
        splits.append([s.indices for s in data.random_split(range(10), lengths)])
        splits.append([s.indices for s in data.random_split(
            range(10), lengths, generator=lib.Generator().manual_seed(4))])
    assert splits[:2] == splits[2:]


def test_random_sampler_equals_pytorchs():
    draws = []
    for lib, data in ((torch, tdata), (gradlab, gdata)):
        lib.manual_seed(2)
        draws.append(list(data.RandomSampler(range(7), num_samples=20)))
        draws.append(list(data.RandomSampler(range(7), replacement=True, num_samples=70)))
    assert draws[:2] == draws[2:]


def test_collated_batches_print_like_pytorchs():
    texts = []
    for lib, data in ((torch, tdata), (gradlab, gdata)):
        samples = [(1.5, 2, lib.ones(2)), (2.5, 3, lib.zeros(2))]
        texts.append(repr(data.default_collate(samples)))
    assert texts[1] == texts[0].replace("torch.", "gradlab.")

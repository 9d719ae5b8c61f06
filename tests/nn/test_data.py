"""Datasets, the DataLoader and the course data: PyTorch's batches after the same seed.

The shuffled orders below were printed by PyTorch 2.13 for the same seeds and written in here;
``test_data_parity.py`` re-derives them from torch when it is installed.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest
from support import prints, pytorch_prints

import gradlab
from gradlab.utils.data import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    SequentialSampler,
    TensorDataset,
    default_collate,
    random_split,
)


@pytest.fixture
def ten_rows() -> TensorDataset:
    return TensorDataset(gradlab.arange(10.0).reshape(10, 1), gradlab.arange(10))


def epoch_labels(loader: DataLoader) -> list[list[int]]:
    return [labels.tolist() for _, labels in loader]


def test_tensor_dataset_gives_rows_and_checks_sizes(ten_rows):
    x, y = ten_rows[3]
    assert x.tolist() == [3.0] and y.item() == 3 and len(ten_rows) == 10
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(gradlab.zeros(3), gradlab.zeros(4))


def test_unshuffled_batches_keep_order_and_the_last_may_be_short(ten_rows):
    loader = DataLoader(ten_rows, batch_size=4)
    assert epoch_labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert len(loader) == 3
    xb, yb = next(iter(loader))
    assert xb.shape == (4, 1) and xb.dtype == gradlab.float32 and yb.dtype == gradlab.int64


def test_drop_last_drops_the_short_batch(ten_rows):
    loader = DataLoader(ten_rows, batch_size=4, drop_last=True)
    assert epoch_labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(loader) == 2


def test_shuffled_batches_are_pytorchs_after_the_same_seed(ten_rows):
    gradlab.manual_seed(3)
    loader = DataLoader(ten_rows, batch_size=4, shuffle=True)
    assert epoch_labels(loader) == [[6, 2, 0, 1], [8, 3, 5, 4], [7, 9]]
    assert epoch_labels(loader) == [[3, 4, 0, 9], [6, 7, 1, 2], [5, 8]]


def test_global_generator_advances_as_in_pytorch(ten_rows):
    gradlab.manual_seed(3)
    loader = DataLoader(ten_rows, batch_size=4, shuffle=True)
    for _ in range(2):
        epoch_labels(loader)
    np.testing.assert_allclose(gradlab.rand(2).numpy(), [0.5944, 0.8879], atol=5e-5)


def test_shuffling_with_a_private_generator(ten_rows):
    generator = gradlab.Generator().manual_seed(7)
    loader = DataLoader(ten_rows, batch_size=3, shuffle=True, generator=generator,
                        drop_last=True)
    assert epoch_labels(loader) == [[1, 3, 5], [7, 9, 4], [6, 2, 8]]


def test_an_unshuffled_epoch_still_draws_pytorchs_base_seed(ten_rows):
    gradlab.manual_seed(3)
    epoch_labels(DataLoader(ten_rows, batch_size=3))
    np.testing.assert_allclose(gradlab.rand(1).numpy(), [0.2858], atol=5e-5)


def test_random_sampler_with_replacement_matches_pytorch():
    sampler = RandomSampler(range(5), replacement=True, num_samples=40,
                            generator=gradlab.Generator().manual_seed(2))
    assert list(sampler) == [3, 2, 1, 4, 3, 4, 2, 0, 0, 1, 0, 1, 4, 0, 0, 3, 4, 2, 1, 0, 0, 2,
                             3, 1, 1, 0, 0, 4, 4, 3, 0, 1, 1, 1, 1, 0, 4, 1, 3, 0]


def test_random_split_by_fraction_and_by_length(ten_rows):
    gradlab.manual_seed(3)
    gradlab.rand(2)
    epoch_labels(DataLoader(ten_rows, batch_size=3))
    train, test = random_split(ten_rows, [0.7, 0.3])
    assert (train.indices, test.indices) == ([0, 4, 2, 7, 5, 9, 8], [3, 1, 6])
    assert len(train) == 7 and train[1][1].item() == 4
    a, b = random_split(range(10), [3, 7], generator=gradlab.Generator().manual_seed(1))
    assert (list(a), list(b)) == ([5, 6, 1], [2, 0, 8, 9, 3, 7, 4])
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of "
                       "the input dataset!"):
        random_split(range(10), [3, 3])


def test_default_collate_keeps_the_structure_of_samples():
    numbers = default_collate([(1.0, 2), (3.0, 4)])
    assert repr(numbers) == "[tensor([1., 3.], dtype=gradlab.float64), tensor([2, 4])]"
    dicts = default_collate([{"a": gradlab.ones(2)}, {"a": gradlab.zeros(2)}])
    assert dicts["a"].tolist() == [[1.0, 1.0], [0.0, 0.0]]
    arrays = default_collate([np.zeros(2, dtype=np.float32), np.ones(2, dtype=np.float32)])
    assert arrays.shape == (2, 2) and arrays.dtype == gradlab.float32


def test_samplers_compose_into_batches():
    batches = BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False)
    assert list(batches) == [[0, 1], [2, 3], [4]] and len(batches) == 3


def test_datasets_requiring_grad_are_stacked_with_history():
    x = gradlab.arange(4.0, requires_grad=True)
    xb, = next(iter(DataLoader(TensorDataset(x), batch_size=2)))
    assert xb.grad_fn.name() == "StackBackward0"


def test_conflicting_loader_options_are_refused(ten_rows):
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(ten_rows, sampler=SequentialSampler(ten_rows), shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive with "
                       "batch_size, shuffle, sampler, and drop_last"):
        DataLoader(ten_rows, batch_size=2, batch_sampler=[[0, 1]])
    with pytest.raises(ValueError, match="batch_size=None option disables auto-batching and "
                       "is mutually exclusive with drop_last"):
        DataLoader(ten_rows, batch_size=None, drop_last=True)


def test_loader_without_batching_yields_single_samples(ten_rows):
    samples = list(DataLoader(ten_rows, batch_size=None))
    assert len(samples) == 10 and samples[4][1].item() == 4


# -- the course's data -------------------------------------------------------------------------


def test_thermometer_readings_are_the_course_values():
    t_c, t_u = gradlab.datasets.thermometer()
    assert t_c.shape == t_u.shape == (11,) and t_c.dtype == t_u.dtype == gradlab.float32
    assert t_c.tolist() == [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
    assert np.array_equal(t_u.numpy(), np.array(
        [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4], dtype=np.float32))
    loss = ((1.0 * t_u + 0.0 - t_c) ** 2).mean()
    assert abs(loss.item() - 1763.8848) < 1e-3  # the course's first loss


def test_make_regression_returns_float32_tensors_and_the_true_coefficient():
    pytest.importorskip("sklearn")
    X, y, coef = gradlab.datasets.make_regression()
    assert X.shape == (1500, 1) and y.shape == (1500,) and coef.shape == (1,)
    assert X.dtype == y.dtype == coef.dtype == gradlab.float32
    assert f"{coef.item():.2f}" == "0.48"  # the course's "True coefficient is 0.48"
    residual = y - X[:, 0] * coef - 2.0
    assert abs(residual.mean().item()) < 0.05 and 0.25 < residual.std().item() < 0.35
    again = gradlab.datasets.make_regression()
    assert again.X.tolist() == X.tolist()
    other = gradlab.datasets.make_regression(n_samples=20, n_features=3, random_state=1)
    assert other.X.shape == (20, 3) and other.coef.shape == (3,)


# -- printed as PyTorch prints it: each snippet's output is pinned, and compared with what the
# same snippet prints under PyTorch when importable (``gradlab`` in names reads ``torch`` there)

PRINTS: dict[str, tuple[str, str]] = {
    "unbatched_loader_turns_tuples_into_lists": (
        """ds = data.TensorDataset(torch.arange(3.))
print(list(data.DataLoader(ds, batch_size=None)))
""",
        """[[tensor(0.)], [tensor(1.)], [tensor(2.)]]
"""),
    "collate_keeps_strings_as_tuples": (
        """print(data.default_collate([(1, 'a'), (2, 'b')]))
""",
        """[tensor([1, 2]), ('a', 'b')]
"""),
    "concat_dataset_and_subset_random_sampler": (
        """ds = data.TensorDataset(torch.arange(3))
both = ds + ds
print(len(both), both[4], both[-1], both.cumulative_sizes)
print(list(data.SubsetRandomSampler([3, 4, 5, 6], generator=torch.Generator().manual_seed(1))))
""",
        """6 (tensor(1),) (tensor(2),) [3, 6]
[4, 6, 5, 3]
"""),
}


@pytest.mark.parity
@pytest.mark.parametrize("name", list(PRINTS))
def test_pinned_printout_is_what_pytorch_prints(name: str, torch: ModuleType) -> None:
    source, expected = PRINTS[name]
    assert pytorch_prints(source, torch) == expected


def test_unbatched_loader_turns_tuples_into_lists() -> None:
    source, expected = PRINTS["unbatched_loader_turns_tuples_into_lists"]
    assert prints(source, gradlab) == expected


def test_collate_keeps_strings_as_tuples() -> None:
    source, expected = PRINTS["collate_keeps_strings_as_tuples"]
    assert prints(source, gradlab) == expected


def test_concat_dataset_and_subset_random_sampler_index_as_pytorch() -> None:
    source, expected = PRINTS["concat_dataset_and_subset_random_sampler"]
    assert prints(source, gradlab) == expected


def test_the_loader_iterator_has_pytorchs_class_name() -> None:
    from gradlab.utils.data import DataLoader
    assert type(iter(DataLoader([1, 2]))).__name__ == "_SingleProcessDataLoaderIter"

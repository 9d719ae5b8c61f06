"""Embedding and one_hot as PyTorch's: N(0, 1) weights from the seed, EmbeddingBackward0 that
adds rows (padding_idx skipped, scale_grad_by_freq), max_norm renormalising in place, reprs and
messages. Written-in values were printed by torch 2.13."""

from __future__ import annotations

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.nn import functional as F


def test_embedding_weights_come_from_the_seed_with_padding_row_zeroed():
    gradlab.manual_seed(0)
    emb = nn.Embedding(4, 3, padding_idx=1)
    np.testing.assert_allclose(emb.weight.detach().numpy(), [
        [1.5410, -0.2934, -2.1788], [0, 0, 0], [0.4033, 0.8380, -0.7193],
        [-0.4033, -0.5966, 0.1820]], atol=1e-4)


def test_embedding_gradient_adds_rows_and_skips_padding():
    gradlab.manual_seed(0)
    emb = nn.Embedding(4, 3, padding_idx=1)
    y = emb(gradlab.tensor([[1, 2], [2, 3]]))
    assert y.shape == (2, 2, 3) and y.grad_fn.name() == "EmbeddingBackward0"
    (y * gradlab.arange(12.).reshape(2, 2, 3)).sum().backward()
    assert emb.weight.grad.tolist() == [[0, 0, 0], [0, 0, 0], [9, 11, 13], [9, 10, 11]]


def test_embedding_scale_grad_by_freq_divides_by_counts():
    emb = nn.Embedding(4, 3, scale_grad_by_freq=True)
    emb(gradlab.tensor([[1, 2], [2, 3]])).sum().backward()
    assert emb.weight.grad.tolist() == [[0, 0, 0], [1, 1, 1], [1, 1, 1], [1, 1, 1]]


def test_embedding_max_norm_renormalises_used_rows_in_place():
    gradlab.manual_seed(0)
    emb = nn.Embedding(4, 3, max_norm=1.0)
    y = emb(gradlab.tensor([0, 2]))
    np.testing.assert_allclose(y.detach().numpy(), [[0.5740, -0.1093, -0.8115],
                                                    [0.3431, 0.7128, -0.6118]], atol=1e-4)
    np.testing.assert_allclose(emb.weight[1].detach().numpy(), [0.5684, -1.0845, -1.3986],
                               atol=1e-4)  # an unused row keeps its norm


def test_embedding_reprs_and_from_pretrained():
    assert repr(nn.Embedding(10, 3)) == "Embedding(10, 3)"
    assert repr(nn.Embedding(10, 3, padding_idx=0)) == "Embedding(10, 3, padding_idx=0)"
    assert repr(nn.Embedding(10, 3, max_norm=1.0)) == "Embedding(10, 3, max_norm=1.0)"
    assert repr(nn.Embedding(5, 2, sparse=True)) == "Embedding(5, 2, sparse=True)"
    assert repr(nn.Embedding(5, 2, scale_grad_by_freq=True)) == (
        "Embedding(5, 2, scale_grad_by_freq=True)")
    frozen = nn.Embedding.from_pretrained(gradlab.ones(3, 2))
    assert repr(frozen) == "Embedding(3, 2)" and not frozen.weight.requires_grad
    assert nn.Embedding.from_pretrained(gradlab.ones(3, 2), freeze=False).weight.requires_grad


def test_embedding_errors_are_pytorchs():
    emb = nn.Embedding(5, 2)
    for bad in (5, -1):
        with pytest.raises(IndexError, match="^index out of range in self$"):
            emb(gradlab.tensor([bad]))
    with pytest.raises(RuntimeError, match=r"^Expected tensor for argument #1 'indices' to have "
                                           r"one of the following scalar types: Long, Int; but "
                                           r"got gradlab.FloatTensor instead \(while checking "
                                           r"arguments for embedding\)$"):
        emb(gradlab.tensor([1.0]))
    assert emb(gradlab.tensor([1], dtype=gradlab.int32)).shape == (1, 2)
    with pytest.raises(AssertionError, match="^Padding_idx must be within num_embeddings$"):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(RuntimeError, match="^'weight' must be 2-D$"):
        F.embedding(gradlab.tensor([1]), gradlab.ones(3))


def test_one_hot_as_pytorch():
    assert F.one_hot(gradlab.tensor([0, 2, 1])).tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert F.one_hot(gradlab.tensor([0, 2]), 4).dtype == gradlab.int64
    assert F.one_hot(gradlab.tensor(2), 3).tolist() == [0, 0, 1]
    assert F.one_hot(gradlab.tensor([[0, 1], [2, 0]])).shape == (2, 2, 3)
    assert F.one_hot(gradlab.tensor([], dtype=gradlab.int64), 3).shape == (0, 3)
    for args, message in [(([0, 3], 3), "Class values must be smaller than num_classes."),
                          (([0, -1],), "Class values must be non-negative.")]:
        with pytest.raises(RuntimeError, match=f"^{message}$"):
            F.one_hot(gradlab.tensor(args[0]), *args[1:])
    with pytest.raises(RuntimeError, match="^one_hot is only applicable to index tensor of type "
                                           "LongTensor.$"):
        F.one_hot(gradlab.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match="^Can not infer total number of classes from empty "
                                           "tensor.$"):
        F.one_hot(gradlab.tensor([], dtype=gradlab.int64))


@pytest.mark.parity
@pytest.mark.parametrize("seed", [0, 3])
def test_embedding_matches_pytorch_forward_and_backward(seed):
    torch = pytest.importorskip("torch")
    idx = np.array([[0, 3, 3], [7, 1, 0]])
    results = []
    for lib in (torch, gradlab):
        lib.manual_seed(seed)
        emb = lib.nn.Embedding(8, 5, padding_idx=3, max_norm=2.0, scale_grad_by_freq=True)
        y = emb(lib.tensor(idx))
        (y * y).sum().backward()
        results.append((y.detach().numpy(), emb.weight.detach().numpy(),
                        emb.weight.grad.numpy()))
    for t, g in zip(*results):
        np.testing.assert_allclose(g, t, rtol=1e-6, atol=1e-6)

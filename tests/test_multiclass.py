"""helpers.multiclass against PyTorch's own softmax, log_softmax and cross_entropy."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

from helpers.multiclass import (
    confusion_matrix,
    cross_entropy,
    log_softmax,
    most_confused,
    multiclass_accuracy,
    pad_crop,
    softmax,
)


def _logits(*shape, scale=3.0, seed=0, dtype=torch.float32):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype) * scale


@pytest.mark.parametrize(("shape", "dim"), [((7, 10), -1), ((7, 10), 0), ((3, 4, 5), 1), ((6,), 0)])
def test_softmax_is_a_distribution_and_matches_torch(shape, dim):
    x = _logits(*shape)
    p = softmax(x, dim=dim)
    assert p.shape == x.shape
    assert (p >= 0).all()
    torch.testing.assert_close(p.sum(dim), torch.ones(p.sum(dim).shape))
    torch.testing.assert_close(p, torch.softmax(x, dim=dim))
    torch.testing.assert_close(log_softmax(x, dim=dim), torch.log_softmax(x, dim=dim))


def test_softmax_is_stable_where_the_textbook_formula_overflows():
    x = torch.tensor([[1000.0, 0.0, -1000.0], [88.0, 89.0, 90.0], [-1e4, -1e4, -1e4]])
    naive = x.exp() / x.exp().sum(-1, keepdim=True)
    assert naive.isnan().any(), "the test must use scores that break exp(x) / sum(exp(x))"
    p = softmax(x)
    assert p.isfinite().all()
    torch.testing.assert_close(p, torch.softmax(x, -1))
    torch.testing.assert_close(p[2], torch.full((3,), 1 / 3))


def test_log_softmax_keeps_tiny_probabilities_finite():
    x = torch.tensor([[0.0, -200.0], [500.0, 0.0]])
    assert torch.log(torch.softmax(x, -1)).isinf().any(), "log of a rounded-off 0 is -inf"
    ls = log_softmax(x)
    assert ls.isfinite().all()
    torch.testing.assert_close(ls, torch.log_softmax(x, -1))
    assert ls[0, 1].item() == pytest.approx(-200.0)


def test_softmax_ignores_a_constant_shift_and_gives_sigmoid_for_two_classes():
    x = _logits(5, 10)
    torch.testing.assert_close(softmax(x + 123.0), softmax(x))
    pair = _logits(8, 2)
    torch.testing.assert_close(softmax(pair)[:, 0], torch.sigmoid(pair[:, 0] - pair[:, 1]))


@pytest.mark.parametrize("scale", [1.0, 30.0, 300.0])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cross_entropy_matches_torch_in_value_and_gradient(scale, dtype):
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {"rtol": 1e-12, "atol": 1e-12}
    ours_x = _logits(64, 10, scale=scale, seed=1, dtype=dtype).requires_grad_()
    torch_x = ours_x.detach().clone().requires_grad_()
    y = torch.randint(0, 10, (64,), generator=torch.Generator().manual_seed(2))
    ours, ref = cross_entropy(ours_x, y), F.cross_entropy(torch_x, y)
    torch.testing.assert_close(ours, ref, **tol)
    ours.backward()
    ref.backward()
    torch.testing.assert_close(ours_x.grad, torch_x.grad, **tol)
    # the gradient has a closed form: (softmax - one-hot) / n
    expected = (torch.softmax(torch_x.detach(), -1) - F.one_hot(y, 10).to(dtype)) / len(y)
    torch.testing.assert_close(ours_x.grad, expected, **tol)


def test_cross_entropy_of_a_perfect_and_a_hopeless_guess():
    y = torch.tensor([0, 1])
    sure_right = torch.tensor([[50.0, -50.0], [-50.0, 50.0]])
    sure_wrong = torch.tensor([[-50.0, 50.0], [50.0, -50.0]])
    assert cross_entropy(sure_right, y).item() == pytest.approx(0.0, abs=1e-6)
    assert cross_entropy(sure_wrong, y).item() == pytest.approx(100.0, rel=1e-6)
    assert cross_entropy(torch.zeros(4, 10), torch.arange(4)).item() == pytest.approx(
        torch.log(torch.tensor(10.0)).item())


@pytest.mark.parametrize(("logits", "targets", "error", "words"), [
    (torch.zeros(10), torch.tensor([1]), ValueError, "shape (n, classes)"),
    (torch.zeros(4, 10), torch.zeros(4, 1, dtype=torch.long), ValueError, "shape (4,)"),
    (torch.zeros(4, 10), torch.zeros(3, dtype=torch.long), ValueError, "shape (4,)"),
    (torch.zeros(4, 10), torch.zeros(4), TypeError, "integer class numbers"),
    (torch.zeros(4, 10), torch.tensor([0, 1, 2, 10]), ValueError, "0..9"),
    (torch.zeros(4, 10), torch.tensor([0, -1, 2, 3]), ValueError, "0..9"),
    (torch.zeros(0, 10), torch.zeros(0, dtype=torch.long), ValueError, "empty"),
])
def test_cross_entropy_rejects_mismatched_inputs(logits, targets, error, words):
    with pytest.raises(error) as info:
        cross_entropy(logits, targets)
    assert words in str(info.value)


def test_multiclass_accuracy():
    logits = torch.tensor([[0.1, 0.9, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 5.0], [1.0, 3.0, 2.0]])
    assert multiclass_accuracy(logits, torch.tensor([1, 0, 2, 2])).item() == pytest.approx(0.75)


def test_pad_crop_shifts_each_image_by_at_most_pad():
    images = torch.rand(200, 2, 6, 5)
    out = pad_crop(images, 2, generator=torch.Generator().manual_seed(0))
    assert out.shape == images.shape
    padded = F.pad(images, (2, 2, 2, 2))
    seen = set()
    for i in range(len(images)):
        offsets = [(dy, dx) for dy, dx in itertools.product(range(5), range(5))
                   if torch.equal(out[i], padded[i, :, dy:dy + 6, dx:dx + 5])]
        assert offsets, f"image {i} is not a window of its padded original"
        seen.add(offsets[0])
    assert len(seen) == 25, "every offset from -2 to +2 in both directions should occur"
    assert torch.equal(pad_crop(images, 0), images)


def test_pad_crop_is_seeded_and_checks_its_input():
    images = torch.rand(8, 1, 28, 28)
    a = pad_crop(images, 3, generator=torch.Generator().manual_seed(5))
    b = pad_crop(images, 3, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b)
    with pytest.raises(ValueError, match="channels"):
        pad_crop(torch.rand(8, 28, 28), 2)
    with pytest.raises(ValueError, match="pad"):
        pad_crop(images, -1)


def test_confusion_matrix_counts_every_pair():
    gen = torch.Generator().manual_seed(3)
    actual = torch.randint(0, 4, (500,), generator=gen)
    predicted = torch.randint(0, 4, (500,), generator=gen)
    cm = confusion_matrix(predicted, actual, 4)
    assert cm.shape == (4, 4) and cm.sum() == 500
    for i, j in itertools.product(range(4), range(4)):
        assert cm[i, j] == ((actual == i) & (predicted == j)).sum()
    assert cm.trace() == (predicted == actual).sum()
    with pytest.raises(ValueError, match=r"0\.\.3"):
        confusion_matrix(torch.tensor([0, 4]), torch.tensor([0, 1]), 4)
    with pytest.raises(ValueError, match="same length"):
        confusion_matrix(torch.tensor([0, 1]), torch.tensor([0]), 4)


def test_most_confused_orders_by_count_and_skips_the_diagonal():
    cm = torch.tensor([[50, 3, 0], [7, 40, 3], [0, 1, 60]])
    assert most_confused(cm, ["a", "b", "c"]) == [
        ("b", "a", 7), ("a", "b", 3), ("b", "c", 3), ("c", "b", 1)]
    assert most_confused(cm, [4, 9, 7], top=1) == [(9, 4, 7)]
    assert most_confused(torch.eye(3, dtype=torch.long) * 5, "abc") == []
    with pytest.raises(ValueError, match="labels"):
        most_confused(cm, ["a", "b"])

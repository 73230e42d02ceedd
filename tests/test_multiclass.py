"""helpers.multiclass against PyTorch's own softmax, log_softmax and cross_entropy; the shift,
the confusion matrix and the CNN's training loop on small cases."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

from helpers.multiclass import (
    confusion_matrix,
    cross_entropy,
    digit_cnn,
    evaluate,
    fit_one_cycle,
    log_softmax,
    multiclass_accuracy,
    random_shift,
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


def test_multiclass_accuracy():
    logits = torch.tensor([[0.1, 0.9, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 5.0], [1.0, 3.0, 2.0]])
    assert multiclass_accuracy(logits, torch.tensor([1, 0, 2, 2])).item() == pytest.approx(0.75)


def test_random_shift_moves_each_image_by_at_most_pad():
    images = torch.rand(200, 1, 6, 5)
    torch.manual_seed(0)
    out = random_shift(images, 2)
    assert out.shape == images.shape
    padded = F.pad(images, (2, 2, 2, 2))
    seen = set()
    for i in range(len(images)):
        offsets = [(dy, dx) for dy, dx in itertools.product(range(5), range(5))
                   if torch.equal(out[i], padded[i, :, dy:dy + 6, dx:dx + 5])]
        assert offsets, f"image {i} is not a window of its padded original"
        seen.add(offsets[0])
    assert len(seen) == 25, "every offset from -2 to +2 in both directions should occur"
    assert torch.equal(random_shift(images, 0), images)


def test_random_shift_is_seeded():
    images = torch.rand(8, 1, 28, 28)
    torch.manual_seed(5)
    a = random_shift(images, 3)
    torch.manual_seed(5)
    assert torch.equal(a, random_shift(images, 3))


def test_confusion_matrix_counts_every_pair():
    gen = torch.Generator().manual_seed(3)
    actual = torch.randint(0, 4, (500,), generator=gen)
    predicted = torch.randint(0, 4, (500,), generator=gen)
    cm = confusion_matrix(predicted, actual, 4)
    assert cm.shape == (4, 4) and cm.sum() == 500
    for i, j in itertools.product(range(4), range(4)):
        assert cm[i, j] == ((actual == i) & (predicted == j)).sum()
    assert cm.trace() == (predicted == actual).sum()
    assert confusion_matrix(torch.tensor([1]), torch.tensor([0]), 2).tolist() == [[0, 1], [0, 0]]


def test_digit_cnn_gives_ten_scores_per_image():
    model = digit_cnn()
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)


def test_fit_one_cycle_learns_a_tiny_problem(capsys):
    """Two kinds of image (a bright top or a bright bottom half) are told apart in a few epochs,
    and evaluate agrees with the figures the loop prints."""
    torch.manual_seed(0)
    images = torch.zeros(512, 1, 28, 28)
    classes = torch.randint(0, 2, (512,))
    images[classes == 0, :, :14] = 1.0
    images[classes == 1, :, 14:] = 1.0
    model = digit_cnn((4, 4, 8, 8))
    history = fit_one_cycle(model, (images, classes), (images[:128], classes[:128]), epochs=3,
                            lr=0.05, batch_size=64, pad=2)
    assert len(history) == 3 and history[-1][1] == 1.0
    assert "valid accuracy 1.0000" in capsys.readouterr().out
    assert evaluate(model, images[:128], classes[:128]) == history[-1]

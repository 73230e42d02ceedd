"""helpers.training, the seven-steps pieces of notebook 03, checked against PyTorch references."""

from __future__ import annotations

from functools import partial

import pytest
import torch
import torch.nn.functional as F
from torch.optim.sgd import sgd as torch_sgd_update  # the update torch.optim.SGD applies
from torch.utils.data import DataLoader, TensorDataset

from helpers.training import (
    batch_accuracy,
    gap_loss,
    linear_model,
    make_loaders,
    random_params,
    to_features,
    train_epoch,
    validate,
)


def close(a: torch.Tensor, b: torch.Tensor) -> bool:
    """float32 equality up to rounding (torch.testing.assert_close costs a second to import)."""
    return a.shape == b.shape and torch.allclose(a, b, rtol=1e-5, atol=1e-6)


def small_problem(n: int = 10, seed: int = 0):
    """n random 'images' (n, 784) with 0/1 column targets, and small parameters."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 784, generator=gen)
    y = (torch.rand(n, 1, generator=gen) > 0.5).float()
    w = (torch.randn(784, 1, generator=gen) * 0.05).requires_grad_()
    b = (torch.randn(1, generator=gen) * 0.05).requires_grad_()
    return x, y, w, b


# to_features

def test_to_features_flattens_rows_and_codes_targets():
    images = torch.rand(5, 28, 28)
    labels = torch.tensor([3, 7, 7, 3, 7])
    x, y = to_features(images, labels, positive=3)
    assert x.shape == (5, 784) and y.shape == (5, 1) and y.dtype == torch.float32
    assert torch.equal(x[1], images[1].flatten())  # row after row, nothing reordered
    assert torch.equal(x[2, 28:56], images[2, 1])  # pixels 28-55 are the second image row
    assert y.flatten().tolist() == [1.0, 0.0, 0.0, 1.0, 0.0]
    _, y7 = to_features(images, labels, positive=7)
    assert torch.equal(y7, 1 - y)


def test_to_features_on_real_data(sample37):
    x, y = to_features(sample37.valid_x, sample37.valid_y, positive=3)
    assert x.shape == (len(sample37.valid_x), 784)
    assert int(y.sum()) == int((sample37.valid_y == 3).sum()) == 1010


# random_params

def test_random_params_is_a_scaled_standard_normal_leaf():
    torch.manual_seed(1)
    p = random_params((784, 1), std=0.01)
    torch.manual_seed(1)
    reference = torch.randn(784, 1) * 0.01
    assert p.shape == (784, 1) and p.requires_grad and p.is_leaf and p.grad_fn is None
    assert torch.equal(p.detach(), reference)
    assert random_params(1).shape == (1,)
    big = random_params(100_000)
    assert abs(big.std().item() - 1.0) < 0.02  # the default std is 1


# linear_model, batch_accuracy, gap_loss

def test_linear_model_equals_f_linear():
    x, _, w, b = small_problem()
    out = linear_model(x, w, b)
    assert out.shape == (10, 1)
    assert close(out, F.linear(x, w.T, b))
    assert close(out[3, 0], (x[3] * w[:, 0]).sum() + b[0])


def test_batch_accuracy_thresholds_scores_at_zero():
    scores = torch.tensor([[2.0], [-1.0], [0.5], [-3.0], [0.0]])
    targets = torch.tensor([[1.0], [0.0], [0.0], [1.0], [0.0]])
    # right, right, wrong, wrong, right (a score of exactly 0 is a vote for the negative class)
    assert batch_accuracy(scores, targets).item() == pytest.approx(3 / 5)
    reference = ((scores.sigmoid() > 0.5).float() == targets).float().mean()
    assert batch_accuracy(scores, targets).item() == reference.item()
    assert not batch_accuracy(scores.requires_grad_(), targets).requires_grad


def test_gap_loss_by_hand_and_as_l1_of_the_sigmoid():
    scores = torch.tensor([[0.2], [8.0], [-5.0], [1.5]])
    targets = torch.tensor([[1.0], [1.0], [0.0], [0.0]])
    sig = [1 / (1 + torch.exp(-s)).item() for s in scores.flatten()]
    by_hand = ((1 - sig[0]) + (1 - sig[1]) + sig[2] + sig[3]) / 4
    loss = gap_loss(scores, targets)
    assert loss.item() == pytest.approx(by_hand, rel=1e-6)
    # with 0/1 targets, the distance of the sigmoid from the target is PyTorch's L1 loss
    assert close(loss, F.l1_loss(scores.sigmoid(), targets))


def test_gap_loss_equals_the_where_form_bit_for_bit():
    """Notebook 03 writes the loss as |sigmoid - target|; fastbook and the stored outputs of later
    notebooks rest on the torch.where form. With 0/1 targets both give identical bits, values and
    gradients, even where the sigmoid saturates to exactly 0 or 1."""
    gen = torch.Generator().manual_seed(0)
    scores = torch.cat([torch.randn(200, 1, generator=gen) * 6,
                        torch.tensor([[40.0], [-40.0], [120.0], [-120.0]])]).requires_grad_()
    targets = torch.cat([(torch.rand(200, 1, generator=gen) > 0.5).float(),
                         torch.tensor([[1.0], [0.0], [0.0], [1.0]])])
    loss = gap_loss(scores, targets)
    (grad,) = torch.autograd.grad(loss, scores)
    probs = scores.sigmoid()
    where = torch.where(targets == 1, 1 - probs, probs).mean()
    (where_grad,) = torch.autograd.grad(where, scores)
    assert torch.equal(loss, where) and torch.equal(grad, where_grad)


def test_gap_loss_gradient_is_the_sigmoid_slope():
    scores = torch.tensor([[0.2], [8.0], [-5.0], [1.5]], requires_grad=True)
    targets = torch.tensor([[1.0], [1.0], [0.0], [0.0]])
    gap_loss(scores, targets).backward()
    s = scores.detach().sigmoid()
    sign = torch.where(targets == 1, -1.0, 1.0)
    assert close(scores.grad, sign * s * (1 - s) / 4)
    assert scores.grad.abs().max() <= 0.25 / 4


def test_gap_loss_is_bounded():
    scores = torch.tensor([[-1e4], [1e4], [0.0]])
    assert gap_loss(scores, torch.tensor([[1.0], [0.0], [1.0]])).item() == pytest.approx(2.5 / 3)
    assert gap_loss(scores[:2], torch.tensor([[0.0], [1.0]])).item() == 0.0


# train_epoch

def test_train_epoch_update_equals_torch_sgd():
    x, y, w, b = small_problem(n=12)
    batches = [(x[:5], y[:5]), (x[5:], y[5:])]  # unequal sizes: 5 and 7
    w_ref, b_ref = w.detach().clone().requires_grad_(), b.detach().clone().requires_grad_()
    lr = 0.5  # a power of two: p - lr*g rounds the same however it is computed
    ref_losses = []
    for xb, yb in batches:
        loss = gap_loss(F.linear(xb, w_ref.T, b_ref), yb)
        grads = torch.autograd.grad(loss, (w_ref, b_ref))
        with torch.no_grad():  # plain SGD: no momentum, no weight decay
            torch_sgd_update([w_ref, b_ref], list(grads), [None, None], weight_decay=0.0,
                             momentum=0.0, lr=lr, dampening=0.0, nesterov=False,
                             maximize=False)
        ref_losses.append(loss.item())
    mean_loss = train_epoch(partial(linear_model, weights=w, bias=b), batches, (w, b), lr)
    assert torch.equal(w.detach(), w_ref.detach()) and torch.equal(b.detach(), b_ref.detach())
    assert mean_loss == pytest.approx((5 * ref_losses[0] + 7 * ref_losses[1]) / 12)
    assert torch.count_nonzero(w.grad) == 0 and torch.count_nonzero(b.grad) == 0  # zeroed


def test_train_epoch_one_step_by_hand_with_another_loss():
    x, y, w, b = small_problem(n=6)
    w0, b0 = w.detach().clone(), b.detach().clone()

    def mse(pred, target):
        return ((pred - target) ** 2).mean()

    train_epoch(partial(linear_model, weights=w, bias=b), [(x, y)], [w, b], 0.1, loss_fn=mse)
    residual = x @ w0 + b0 - y  # d mse / d score = 2 * residual / n
    assert close(w.detach(), w0 - 0.1 * (x.T @ (2 * residual / 6)))
    assert close(b.detach(), b0 - 0.1 * (2 * residual / 6).sum(0))


# make_loaders

def numbered(n: int):
    """'Images' whose first pixel is their index, so a batch says which items it holds."""
    x = torch.arange(n, dtype=torch.float32).unsqueeze(1).repeat(1, 784)
    y = (torch.arange(n) % 2).float().unsqueeze(1)
    return x, y


def epoch_ids(loader) -> list[list[int]]:
    return [xb[:, 0].long().tolist() for xb, _ in loader]


def flat(batches: list[list[int]]) -> list[int]:
    return [i for batch in batches for i in batch]


def test_make_loaders_shuffle_reproducibly_and_cover_every_item_once():
    train, valid = numbered(1000), numbered(300)
    train_dl, _ = make_loaders(train, valid, batch_size=64, seed=5)
    twin_dl, _ = make_loaders(train, valid, batch_size=64, seed=5)
    other_dl, _ = make_loaders(train, valid, batch_size=64, seed=6)
    epochs = [epoch_ids(train_dl) for _ in range(3)]
    assert [len(b) for b in epochs[0]] == [64] * 15 + [40] and len(train_dl) == 16
    for ids in epochs:
        assert sorted(flat(ids)) == list(range(1000))  # each item exactly once per epoch
    assert flat(epochs[0]) != list(range(1000))  # shuffled
    assert epochs[0] != epochs[1] != epochs[2]  # a new order every epoch
    assert [epoch_ids(twin_dl) for _ in range(3)] == epochs  # same seed, same batches
    assert epoch_ids(other_dl) != epochs[0]
    # the targets travel with their images
    xb, yb = next(iter(make_loaders(train, valid, 64, seed=5)[0]))
    assert torch.equal(yb, (xb[:, :1].long() % 2).float())


def test_make_loaders_match_a_plain_shuffled_dataloader():
    """The batch order the notebooks' stored outputs rest on: PyTorch's own shuffled loader."""
    train, valid = numbered(700), numbered(100)
    train_dl, _ = make_loaders(train, valid, batch_size=128, seed=42)
    reference = DataLoader(TensorDataset(*train), batch_size=128, shuffle=True,
                           generator=torch.Generator().manual_seed(42))
    assert [epoch_ids(train_dl) for _ in range(2)] == [epoch_ids(reference) for _ in range(2)]


def test_valid_loader_is_in_order():
    train, valid = numbered(50), numbered(300)
    _, valid_dl = make_loaders(train, valid, batch_size=128)
    assert epoch_ids(valid_dl) == [list(range(0, 128)), list(range(128, 256)),
                                   list(range(256, 300))]
    assert epoch_ids(valid_dl) == epoch_ids(valid_dl)


# validate

def test_validate_weights_batches_by_size():
    scores = torch.tensor([[1.0], [1.0], [1.0], [-1.0]])
    targets = torch.tensor([[1.0], [1.0], [1.0], [1.0]])
    batches = [(scores[:3], targets[:3]), (scores[3:], targets[3:])]  # accuracies 1 and 0

    def identity(xb):
        return xb

    assert validate(identity, batches) == 0.75  # not (1 + 0) / 2
    assert validate(identity, batches) == batch_accuracy(scores, targets).item()
    assert validate(identity, batches, metric=gap_loss) == pytest.approx(
        gap_loss(scores, targets).item(), abs=1e-4)


def test_validate_rounds_and_records_no_gradients():
    x, y, w, b = small_problem(n=7)
    model = partial(linear_model, weights=w, bias=b)
    result = validate(model, [(x[:4], y[:4]), (x[4:], y[4:])])
    assert result == round(batch_accuracy(model(x), y).item(), 4)
    assert result == round(result, 4) and w.grad is None
    assert validate(model, [(x, y)]) == result  # one batch or two: the same figure


# together, on real data

def test_one_epoch_on_3_vs_7_learns(sample37):
    train = to_features(sample37.train_x, sample37.train_y, positive=3)
    valid = to_features(sample37.valid_x, sample37.valid_y, positive=3)
    torch.manual_seed(0)
    w, b = random_params((784, 1), std=0.01), random_params(1, std=0.01)
    model = partial(linear_model, weights=w, bias=b)
    train_dl, valid_dl = make_loaders(train, valid)
    before = validate(model, valid_dl)
    loss = train_epoch(model, train_dl, (w, b), lr=1.0)
    after = validate(model, valid_dl)
    assert 0.3 < before < 0.7 and after > 0.95 and loss < 0.15, (before, after, loss)

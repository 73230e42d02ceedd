"""helpers.learner against the libraries it imitates: PlainSGD must take exactly the steps of
fastai's SGD and torch.optim.SGD, and MiniLearner must report what fastai's Learner reports."""

from __future__ import annotations

import pytest
import torch
from fastai.data.core import DataLoaders
from fastai.data.load import DataLoader as FastaiLoader
from fastai.learner import Learner
from fastai.optimizer import SGD
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from helpers.learner import MiniLearner, PlainSGD
from helpers.repro import set_seed
from helpers.training import batch_accuracy, gap_loss

FIGURES = ("train_loss", "valid_loss", "batch_accuracy")


def toy_data(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Points in 6-D with a 1.0/0.0 target from a noisy linear rule: learnable, not trivial."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, generator=g)
    score = x @ torch.tensor([1.5, -2.0, 0.5, 0.0, 1.0, -0.5]) + 0.8 * torch.randn(n, generator=g)
    return x, (score > 0).float().unsqueeze(1)


def toy_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 1))


def steps_with(opt_func, lr: float, steps: int = 12) -> tuple[list[float], list[torch.Tensor]]:
    """Train the toy model on fixed mini-batches; return each loss and the final parameters."""
    x, y = toy_data(96)
    model = toy_model()
    opt = opt_func(model.parameters(), lr)
    losses = []
    for i in range(steps):
        xb, yb = x[i % 6 * 16:(i % 6 + 1) * 16], y[i % 6 * 16:(i % 6 + 1) * 16]
        loss = nn.functional.binary_cross_entropy_with_logits(model(xb), yb)
        loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(loss.item())
    return losses, [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("lr", [0.1, 0.37, 2.0])
@pytest.mark.parametrize("reference", [SGD, torch.optim.SGD], ids=["fastai", "torch"])
def test_plain_sgd_takes_exactly_the_reference_steps(reference, lr):
    ours_losses, ours = steps_with(PlainSGD, lr)
    ref_losses, ref = steps_with(reference, lr)
    assert ours_losses == ref_losses
    assert all(torch.equal(a, b) for a, b in zip(ours, ref, strict=True))
    assert ours_losses[-1] < ours_losses[0], "the toy model should learn something"


def test_step_moves_against_the_gradient_and_skips_missing_grads():
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    unused = torch.tensor([5.0], requires_grad=True)
    opt = PlainSGD([w, unused], lr=0.5)
    (w**2).sum().backward()  # gradient 2w
    opt.step()
    assert torch.equal(w.detach(), torch.tensor([0.0, 0.0]))
    assert torch.equal(unused.detach(), torch.tensor([5.0])) and unused.grad is None
    opt.zero_grad()
    assert torch.equal(w.grad, torch.zeros(2))


def test_zero_grad_stops_gradients_adding_up():
    w = torch.tensor([3.0], requires_grad=True)
    opt = PlainSGD([w], lr=1e-9)
    for _ in range(3):
        (2 * w).sum().backward()
    assert w.grad.item() == 6.0  # backward accumulates: the reason zero_grad exists
    opt.zero_grad()
    (2 * w).sum().backward()
    assert w.grad.item() == 2.0


def pair(train, valid) -> DataLoaders:
    """PyTorch loaders held as fastai's DataLoaders does: ``.train`` and ``.valid``."""
    return DataLoaders(train, valid)


def toy_dls(seed: int = 0) -> DataLoaders:
    """fastai loaders on toy data; sizes leave a short last batch in both (200 % 32, 70 % 32)."""
    (x, y), (vx, vy) = toy_data(200, seed=1), toy_data(70, seed=2)
    set_seed(seed)
    return DataLoaders(FastaiLoader(list(zip(x, y, strict=True)), bs=32, shuffle=True),
                       FastaiLoader(list(zip(vx, vy, strict=True)), bs=32))


def fastai_history(n_epochs: int, lr: float) -> tuple[list[dict[str, float]], nn.Module]:
    learn = Learner(toy_dls(), toy_model(), loss_func=gap_loss, opt_func=SGD,
                    metrics=batch_accuracy)
    with learn.no_logging():
        learn.fit(n_epochs, lr=lr)
    names = learn.recorder.metric_names[1:-1]
    assert tuple(names) == FIGURES
    return [dict(zip(names, v, strict=True)) for v in learn.recorder.values], learn.model


@pytest.mark.parametrize("opt_func", [PlainSGD, SGD], ids=["PlainSGD", "fastai-SGD"])
def test_mini_learner_reproduces_fastai_learner(opt_func):
    theirs, their_model = fastai_history(4, lr=0.6)
    mini = MiniLearner(toy_dls(), toy_model(), gap_loss, opt_func=opt_func,
                       metric=batch_accuracy)
    ours = mini.fit(4, 0.6)
    assert [row["epoch"] for row in ours] == [1, 2, 3, 4]  # counted as people count
    for mine, ref in zip(ours, theirs, strict=True):
        for k in FIGURES:
            assert round(mine[k], 4) == round(ref[k], 4), (k, mine[k], ref[k])
            assert abs(mine[k] - ref[k]) < 1e-6
    assert all(torch.equal(a, b) for a, b in
               zip(mini.model.parameters(), their_model.parameters(), strict=True))
    assert ours[-1]["valid_loss"] < ours[0]["valid_loss"]


def test_mini_learner_differs_when_batch_order_differs():
    """The match above is not vacuous: other batches give other figures."""
    theirs, _ = fastai_history(2, lr=0.6)
    ours = MiniLearner(toy_dls(seed=1), toy_model(), gap_loss, metric=batch_accuracy).fit(2, 0.6)
    assert any(abs(a["train_loss"] - b["train_loss"]) > 1e-6
               for a, b in zip(ours, theirs, strict=True))


def test_first_reported_train_loss_is_the_first_batch_loss():
    """Debiasing: after one batch the smoothed loss equals that batch's loss."""
    x, y = toy_data(16)
    model = toy_model()
    with torch.no_grad():
        first = gap_loss(model(x), y).item()
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    history = MiniLearner(pair(loader, loader), model, gap_loss).fit(1, 0.1)
    assert history[0]["train_loss"] == pytest.approx(first, rel=1e-5)  # float32 rounding
    assert set(history[0]) == {"epoch", "train_loss", "valid_loss"}


def test_validation_is_weighted_by_batch_size():
    """Batches of 32, 32 and 6: the averages must equal those over the whole set at once."""
    x, y = toy_data(70, seed=3)
    model = toy_model()
    loader = DataLoader(TensorDataset(x, y), batch_size=32)
    row = MiniLearner(pair(loader, loader), model, gap_loss, metric=batch_accuracy).evaluate()
    with torch.no_grad():
        preds = model(x)
    assert row["valid_loss"] == pytest.approx(gap_loss(preds, y).item(), abs=1e-6)
    assert row["batch_accuracy"] == pytest.approx(batch_accuracy(preds, y).item(), abs=1e-6)


def test_mini_learner_trains_with_pytorch_loaders():
    (x, y), (vx, vy) = toy_data(200, seed=1), toy_data(70, seed=2)
    g = torch.Generator().manual_seed(0)
    loaders = (DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=g),
               DataLoader(TensorDataset(vx, vy), batch_size=32))
    history = MiniLearner(pair(*loaders), toy_model(), gap_loss, opt_func=torch.optim.SGD,
                          metric=batch_accuracy).fit(8, 1.0)
    assert len(history) == 8
    assert history[-1]["valid_loss"] < history[0]["valid_loss"]
    assert history[-1]["batch_accuracy"] > 0.8


def test_losses_keep_every_batch_and_the_last_smoothed_value_is_reported():
    x, y = toy_data(64)
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    mini = MiniLearner(pair(loader, loader), toy_model(), gap_loss)
    history = mini.fit(2, 0.5)
    assert len(mini.losses) == 8
    smooth = 0.0
    for loss in mini.losses:
        smooth = 0.98 * smooth + 0.02 * loss
    assert history[-1]["train_loss"] == pytest.approx(smooth / (1 - 0.98**8), rel=1e-5)

"""Notebook 04's exercises: plausible wrong answers fail with the message meant for them, and
right answers written differently pass."""

from __future__ import annotations

import numpy as np
import torch

from helpers.exercises import nb04
from helpers.learner import PlainSGD
from helpers.training import batch_accuracy, gap_loss

# --- MySGD ------------------------------------------------------------------------------------


class NoNoGrad:
    """Updates in place while autograd records."""

    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def step(self):
        for p in self.params:
            p -= self.lr * p.grad

    def zero_grad(self):
        for p in self.params:
            p.grad.zero_()


class NoZero(NoNoGrad):
    def step(self):
        with torch.no_grad():
            for p in self.params:
                p -= self.lr * p.grad

    def zero_grad(self):
        pass


class Rebinds(NoZero):
    def zero_grad(self):
        for p in self.params:
            grad = p.grad
            grad = torch.zeros_like(p)  # noqa: F841 (the mistake under test)


class Uphill(NoNoGrad):
    def step(self):
        with torch.no_grad():
            for p in self.params:
                p += self.lr * p.grad


class Replaces(NoNoGrad):
    def step(self):
        with torch.no_grad():
            self.params = [p - self.lr * p.grad for p in self.params]


class NewNames(NoNoGrad):
    def step(self):
        with torch.no_grad():
            for p in self.params:
                p = p - self.lr * p.grad  # the mistake under test: a new tensor


class NoLr(NoNoGrad):
    def step(self):
        with torch.no_grad():
            for p in self.params:
                p -= p.grad


class FixedLr(NoNoGrad):
    """The learning rate of the notebook's cell typed in, instead of self.lr."""

    def step(self):
        with torch.no_grad():
            for p in self.params:
                p -= 0.1 * p.grad


class ZeroesParams(NoNoGrad):
    def step(self):
        with torch.no_grad():
            for p in self.params:
                p -= self.lr * p.grad

    def zero_grad(self):
        with torch.no_grad():
            for p in self.params:
                p.zero_()


class KeepsGenerator(ZeroesParams):
    def __init__(self, params, lr):
        self.params, self.lr = params, lr

    def zero_grad(self):
        for p in self.params:
            p.grad.zero_()


class WeightOnly(KeepsGenerator):
    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def step(self):
        with torch.no_grad():
            self.params[0] -= self.lr * self.params[0].grad


class StepOnly(WeightOnly):
    def step(self):
        with torch.no_grad():
            for p in self.params:
                p -= self.lr * p.grad

    def zero_grad(self):
        ...


class Misspelt:
    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def steps(self):
        with torch.no_grad():
            for p in self.params:
                p -= self.lr * p.grad

    def zero_grad(self):
        for p in self.params:
            p.grad.zero_()


class NoSkip(NoNoGrad):
    """Right: nothing in the task asks to skip a parameter that has no gradient."""

    def step(self):
        with torch.no_grad():
            for p in self.params:
                p -= self.lr * p.grad


class ToNone(NoSkip):
    def zero_grad(self):
        for p in self.params:
            p.grad = None


class WithData:
    def __init__(self, params, lr):
        self.params = [p for p in params]
        self.lr = lr

    def step(self):
        for i in range(len(self.params)):
            self.params[i].data -= self.lr * self.params[i].grad.data

    def zero_grad(self):
        for p in self.params:
            if p.grad is not None:
                p.grad.data.zero_()


class Decorated(NoNoGrad):
    @torch.no_grad()
    def step(self):
        for p in self.params:
            p.add_(p.grad, alpha=-self.lr)

    def zero_grad(self):
        for p in self.params:
            p.grad *= 0


class Subclass(PlainSGD):
    pass


class NotebookPlaceholder:
    """The cell as the notebook hands it out."""

    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def step(self):
        ...  # your code here

    def zero_grad(self):
        ...  # your code here


# --- one_epoch --------------------------------------------------------------------------------


def _train(model, opt, train_batches):
    model.train()
    for xb, yb in train_batches:
        gap_loss(model(xb), yb).backward()
        opt.step()
        opt.zero_grad()


def _mean_accuracy(model, batches):
    return sum(batch_accuracy(model(xb), yb) for xb, yb in batches) / len(batches)


def no_zero_grad(model, opt, train_batches, valid_batches):
    model.train()
    for xb, yb in train_batches:
        gap_loss(model(xb), yb).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        return _mean_accuracy(model, valid_batches)


def grad_in_validation(model, opt, train_batches, valid_batches):
    _train(model, opt, train_batches)
    model.eval()
    return _mean_accuracy(model, valid_batches)


def train_accuracy(model, opt, train_batches, valid_batches):
    _train(model, opt, train_batches)
    model.eval()
    with torch.no_grad():
        return _mean_accuracy(model, train_batches)


def no_eval(model, opt, train_batches, valid_batches):
    _train(model, opt, train_batches)
    with torch.no_grad():
        return _mean_accuracy(model, valid_batches)


def no_train_mode(model, opt, train_batches, valid_batches):
    for xb, yb in train_batches:
        gap_loss(model(xb), yb).backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    with torch.no_grad():
        return _mean_accuracy(model, valid_batches)


def no_return(model, opt, train_batches, valid_batches):
    _train(model, opt, train_batches)


def validates_first(model, opt, train_batches, valid_batches):
    model.eval()
    with torch.no_grad():
        acc = _mean_accuracy(model, valid_batches)
    _train(model, opt, train_batches)
    return acc


def validates_each_batch(model, opt, train_batches, valid_batches):
    model.train()
    for xb, yb in train_batches:
        gap_loss(model(xb), yb).backward()
        opt.step()
        opt.zero_grad()
        model.eval()
        with torch.no_grad():
            acc = _mean_accuracy(model, valid_batches)
        model.train()
    return acc


def last_batch_only(model, opt, train_batches, valid_batches):
    _train(model, opt, train_batches)
    model.eval()
    with torch.no_grad():
        for xb, yb in valid_batches:
            acc = batch_accuracy(model(xb), yb)
    return acc


def returns_list(model, opt, train_batches, valid_batches):
    _train(model, opt, train_batches)
    model.eval()
    with torch.no_grad():
        return [batch_accuracy(model(xb), yb) for xb, yb in valid_batches]


def sum_not_mean(model, opt, train_batches, valid_batches):
    _train(model, opt, train_batches)
    model.eval()
    with torch.no_grad():
        return sum(batch_accuracy(model(xb), yb) for xb, yb in valid_batches)


def no_step(model, opt, train_batches, valid_batches):
    model.train()
    for xb, yb in train_batches:
        gap_loss(model(xb), yb).backward()
        opt.zero_grad()
    model.eval()
    with torch.no_grad():
        return _mean_accuracy(model, valid_batches)


def swapped(model, opt, train_batches, valid_batches):
    _train(model, opt, valid_batches)
    model.eval()
    with torch.no_grad():
        return _mean_accuracy(model, train_batches)


def returns_loss(model, opt, train_batches, valid_batches):
    _train(model, opt, train_batches)
    model.eval()
    with torch.no_grad():
        return sum(gap_loss(model(xb), yb) for xb, yb in valid_batches) / len(valid_batches)


def trains_under_no_grad(model, opt, train_batches, valid_batches):
    with torch.no_grad():
        _train(model, opt, train_batches)
        model.eval()
        return _mean_accuracy(model, valid_batches)


def steps_before_backward(model, opt, train_batches, valid_batches):
    model.train()
    for xb, yb in train_batches:
        loss = gap_loss(model(xb), yb)
        opt.step()
        loss.backward()
    model.eval()
    with torch.no_grad():
        return _mean_accuracy(model, valid_batches)


def zero_first(model, opt, train_batches, valid_batches):
    model.train()
    for xb, yb in train_batches:
        opt.zero_grad()
        loss = gap_loss(model(xb), yb)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        return _mean_accuracy(model, valid_batches)


def weighted(model, opt, train_batches, valid_batches):
    _train(model, opt, train_batches)
    model.eval()
    total = n = 0
    with torch.no_grad():
        for xb, yb in valid_batches:
            total += batch_accuracy(model(xb), yb).item() * len(xb)
            n += len(xb)
    return total / n


def all_at_once(model, opt, train_batches, valid_batches):
    for xb, yb in train_batches:
        model.train()
        loss = gap_loss(model(xb), yb)
        model.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    xs = torch.cat([xb for xb, _ in valid_batches])
    ys = torch.cat([yb for _, yb in valid_batches])
    with torch.inference_mode():
        return np.float64(batch_accuracy(model(xs), ys).item())


def by_index(model, opt, train_batches, valid_batches):
    model.train()
    for i in range(len(train_batches)):
        xb, yb = train_batches[i]
        preds = model(xb)
        gap_loss(preds, yb).backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    accs = []
    with torch.no_grad():
        for xb, yb in valid_batches:
            accs.append(((model(xb) > 0).float() == yb).float().mean().item())
    return torch.tensor(accs).mean()


WRONG_ANSWERS = {
    "linear_params": [
        (7840, "counts the weights only"),
        (7841, "one bias per output"),
        (785, "every one of the 10 outputs"),
        (794, "every one of the 10 outputs"),
        (784 * 784, "(10, 784), not 784 by 784"),
        (784 * 784 + 10, "(10, 784), not 784 by 784"),
        (784 * 10 + 784, "one bias per input"),
        (7850.5, "a count is a whole number"),
        ("7850", "without quotes"),
        (torch.tensor(7860), "too many"),
        (True, "should be a number"),
    ],
    "MySGD": [
        (NoNoGrad, "inside `with torch.no_grad():`"),
        (NoZero, "zero_grad() does nothing yet"),
        (Rebinds, "left the old gradients in place"),
        (Uphill, "moved the parameters uphill"),
        (Replaces, "new tensors the model never sees"),
        (NewNames, "new tensors the model never sees"),
        (NoLr, "multiply by the learning rate"),
        (FixedLr, "use the learning rate it was given, self.lr"),
        (ZeroesParams, "changed the parameters themselves"),
        (KeepsGenerator, "a generator"),
        (WeightOnly, "left the bias unchanged"),
        (StepOnly, "zero_grad() does nothing yet"),
        (Misspelt, "it has no step"),
        (NoNoGrad(torch.zeros(1, requires_grad=True)[None], 0.1), "pass the class itself"),
    ],
    "one_epoch": [
        (no_zero_grad, "without opt.zero_grad()"),
        (grad_in_validation, "gradient tracking on"),
        (train_accuracy, "accuracy on the training batches"),
        (no_eval, "still in training mode during validation"),
        (no_train_mode, "call model.train()"),
        (no_return, "returned None"),
        (validates_first, "before training had finished"),
        (validates_each_batch, "before training had finished"),
        (last_batch_only, "last validation batch only"),
        (returns_list, "return one number"),
        (sum_not_mean, "divide it by the number of batches"),
        (no_step, "never called opt.step()"),
        (swapped, "trained on the validation batches"),
        (returns_loss, "validation loss"),
        (trains_under_no_grad, "under torch.no_grad()"),
        (steps_before_backward, "opt.step() came before loss.backward()"),
    ],
}

RIGHT_ANSWERS = {
    "linear_params": [torch.tensor(7850), np.int64(7850), 7850.0, torch.tensor([7850.0])],
    "MySGD": [NoSkip, ToNone, WithData, Decorated, Subclass],
    "one_epoch": [zero_first, weighted, all_at_once, by_index],
}


def test_mysgd_with_the_learning_rate_hard_coded_fails_naming_it():
    result = nb04.MySGD.verdict(FixedLr)
    assert result.status == "incorrect"
    assert "lr=0.3" in result.message and "learning rate" in result.message, result.message


def test_one_epoch_that_validates_first_fails_naming_the_order():
    result = nb04.one_epoch.verdict(validates_first)
    assert result.status == "incorrect"
    assert "validation batches before training" in result.message, result.message


def test_mysgd_that_does_not_skip_parameters_without_a_gradient_passes():
    result = nb04.MySGD.verdict(NoSkip)
    assert result.status == "correct", result.message


def test_linear_params_accepts_a_tensor():
    result = nb04.linear_params.verdict(torch.tensor(7850))
    assert result.status == "correct", result.message


def test_the_notebooks_mysgd_cell_is_not_attempted_yet():
    assert nb04.MySGD.verdict(NotebookPlaceholder).status == "unattempted"

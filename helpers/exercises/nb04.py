"""Exercises of notebook 04 (nn.Linear, an optimiser and a Learner, written by hand)."""

from __future__ import annotations

import inspect

import torch
from torch import nn

from helpers.exercises import (
    Exercise,
    NotAttempted,
    Wrong,
    call,
    expect_close,
    expect_tensor,
    is_placeholder,
    raised,
)
from helpers.training import batch_accuracy, gap_loss

# --- 1. How many parameters? (predict, then run) -----------------------------------------------


def _check_param_count(answer) -> str:
    if isinstance(answer, float) and answer.is_integer():
        answer = int(answer)
    if isinstance(answer, bool) or not isinstance(answer, int):
        raise Wrong(f"give a whole number, such as 123, not {type(answer).__name__}")
    if answer == 7840:
        raise Wrong("7840 counts the weights only: each of the 10 outputs has a bias too")
    if answer == 7841:
        raise Wrong("7841 gives the layer a single bias; it has one bias per output, 10 in all")
    if answer in (794, 785):
        raise Wrong(f"{answer} is about one output's worth: every one of the 10 outputs has its "
                    "own 784 weights (a weight matrix of shape (10, 784)) and its own bias")
    if answer == 784 * 784 or answer == 784 * 784 + 10:
        raise Wrong("the weight matrix is (out_features, in_features) = (10, 784), not 784 by 784")
    expect_close(answer, 7850, "your count", tol=0)
    return "784 x 10 weights plus 10 biases. Run the cell below to confirm it."


linear_params = Exercise(
    "04", "linear_params",
    "How many numbers does `nn.Linear(784, 10)` learn (weights and biases together)?",
    _check_param_count,
    "The weight has shape (out_features, in_features); the bias has one number per output.",
    "answer = 784 * 10 + 10  # = 7850\n"
    "# check: sum(p.numel() for p in nn.Linear(784, 10).parameters())",
    7850,
)

# --- 2. An optimiser's step and zero_grad -------------------------------------------------------


class _ReferenceSGD:
    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def step(self):
        with torch.no_grad():
            for p in self.params:
                if p.grad is not None:
                    p -= self.lr * p.grad

    def zero_grad(self):
        for p in self.params:
            if p.grad is not None:
                p.grad.zero_()


def _run(what: str, method) -> None:
    try:
        method()
    except Exception as err:  # the learner's code, not the checker's
        raise raised(err, what) from None


def _toy_model() -> tuple[nn.Linear, torch.Tensor]:
    model = nn.Linear(3, 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.5, -1.0, 2.0]]))
        model.bias.fill_(0.25)
    return model, torch.tensor([[1.0, 2.0, -1.0], [0.0, 1.0, 1.0]])


def _check_optimiser(cls) -> None:
    if not isinstance(cls, type):
        raise Wrong("pass the class itself, `MySGD`, not an instance or a function")
    if is_placeholder(getattr(cls, "step", None)) and is_placeholder(
            getattr(cls, "zero_grad", None)):
        raise NotAttempted
    model, x = _toy_model()
    try:
        opt = cls(model.parameters(), 0.1)
    except Exception as err:
        raise raised(err, "MySGD(model.parameters(), 0.1)") from None
    before = model(x).detach().clone()
    loss = model(x).pow(2).mean()
    loss.backward()
    grads = [p.grad.clone() for p in model.parameters()]
    _run("step()", opt.step)
    after = model(x).detach()
    if torch.equal(after, before):
        raise Wrong("after step() the model computes exactly what it did before: its parameters "
                    "did not change. `p = p - lr * p.grad` (or putting new tensors into "
                    "self.params) makes new tensors the model never sees; update in place "
                    "instead: `p -= lr * p.grad` (inside torch.no_grad())")
    start = _toy_model()[0]
    for p, p0, g in zip(model.parameters(), start.parameters(), grads, strict=True):
        if torch.allclose(p, p0 + 0.1 * g):
            raise Wrong("step() moved the parameters uphill: the loss went up. Subtract "
                        "lr * grad, do not add it")
        if torch.allclose(p, p0 - g):
            raise Wrong("step() moved each parameter by its whole gradient: multiply by the "
                        "learning rate, self.lr")
        expect_tensor(p.detach(), p0.detach() - 0.1 * g, "a parameter after one step",
                      requires_grad=None)
    if any(not p.requires_grad for p in model.parameters()):
        raise Wrong("after step() the parameters no longer track gradients; do not detach them")
    _run("zero_grad()", opt.zero_grad)
    for p, g in zip(model.parameters(), grads, strict=True):
        if p.grad is not None and torch.equal(p.grad, g) and g.abs().sum() > 0:
            raise Wrong("zero_grad() left the old gradients in place. backward() adds to .grad, "
                        "so the next step would use the old and new gradients summed; set them "
                        "to zero with p.grad.zero_()")
        if p.grad is not None and p.grad.abs().sum() > 0:
            raise Wrong("after zero_grad() some gradients are not zero")
    # A second round must end where two rounds of the reference optimiser end.
    ref_model, _ = _toy_model()
    ref = _ReferenceSGD(ref_model.parameters(), 0.1)
    for _ in range(2):
        ref_model(x).pow(2).mean().backward()
        ref.step()
        ref.zero_grad()
    model(x).pow(2).mean().backward()
    _run("step() (second round)", opt.step)
    for p, q in zip(model.parameters(), ref_model.parameters(), strict=True):
        expect_tensor(p.detach(), q.detach(), "a parameter after two rounds", requires_grad=None)
    # A parameter that the loss did not use has no gradient at all: skip it.
    used, unused = torch.tensor([1.0], requires_grad=True), torch.tensor([5.0], requires_grad=True)
    opt = cls([used, unused], 0.1)
    (used * 2).sum().backward()
    for what, method in (("step()", opt.step), ("zero_grad()", opt.zero_grad)):
        try:
            method()
        except (TypeError, AttributeError):
            raise Wrong(f"{what} failed on a parameter whose .grad is None (the loss did not use "
                        "it); skip such parameters with `if p.grad is not None`") from None


_OPT_SOLUTION = '''\
class MySGD:
    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def step(self):
        with torch.no_grad():            # the update is not part of the model
            for p in self.params:
                if p.grad is not None:
                    p -= self.lr * p.grad  # in place: the model holds these very tensors

    def zero_grad(self):
        for p in self.params:
            if p.grad is not None:
                p.grad.zero_()'''

optimiser = Exercise(
    "04", "optimiser",
    "Complete `MySGD`: `step()` moves every parameter by -lr * its gradient, in place; "
    "`zero_grad()` sets every gradient to zero.",
    _check_optimiser,
    "In step: `with torch.no_grad():` and then, for each p in self.params, `p -= self.lr * "
    "p.grad`. In zero_grad: `p.grad.zero_()`. Skip parameters whose p.grad is None.",
    _OPT_SOLUTION,
    _ReferenceSGD,
)

# --- 3. One epoch: train, then validate ---------------------------------------------------------


class _Spy(nn.Module):
    """nn.Linear(2, 1) that remembers, for every call, its input, grad mode and train/eval mode."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 1)
        with torch.no_grad():
            self.lin.weight.copy_(torch.tensor([[0.3, -0.2]]))
            self.lin.bias.fill_(-0.1)
        self.calls: list[tuple[torch.Tensor, bool, bool]] = []

    def forward(self, x):
        self.calls.append((x.detach().clone(), torch.is_grad_enabled(), self.training))
        return self.lin(x)


def _epoch_data():
    t = torch.tensor
    train = [(t([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0]]), t([[1.0], [0.0], [1.0]])),
             (t([[0.5, 2.0], [1.5, -1.0], [-1.0, 1.0]]), t([[0.0], [1.0], [0.0]]))]
    valid = [(t([[1.0, 1.0], [-1.0, -1.0]]), t([[0.0], [1.0]])),
             (t([[2.0, 0.0], [0.0, 2.0]]), t([[1.0], [1.0]]))]
    return train, valid


def one_epoch(model, opt, train_batches, valid_batches):
    model.train()
    for xb, yb in train_batches:
        loss = gap_loss(model(xb), yb)
        loss.backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    with torch.no_grad():
        accs = [batch_accuracy(model(xb), yb) for xb, yb in valid_batches]
    return sum(accs) / len(accs)   # the batches here are all the same size


def _what_if(zero: bool):
    """Final weights of the reference epoch, with or without zero_grad."""
    from helpers.learner import PlainSGD

    model = _Spy()
    opt = PlainSGD(model.parameters(), 2.0)
    model.train()
    for xb, yb in _epoch_data()[0]:
        gap_loss(model(xb), yb).backward()
        opt.step()
        if zero:
            opt.zero_grad()
    return model


def _accuracy(model, batches) -> float:
    with torch.no_grad():
        return sum(batch_accuracy(model.lin(xb), yb).item() for xb, yb in batches) / len(batches)


def _check_epoch(fn) -> None:
    from helpers.learner import PlainSGD

    train, valid = _epoch_data()
    model = _Spy()
    model.eval()  # as a previous epoch's validation would have left it
    opt = PlainSGD(model.parameters(), 2.0)
    got = call(fn, model, opt, train, valid, name="one_epoch")
    is_valid = [any(torch.equal(x, xb) for xb, _ in valid) for x, _, _ in model.calls]
    train_calls = [c for c, v in zip(model.calls, is_valid, strict=True) if not v]
    valid_calls = [c for c, v in zip(model.calls, is_valid, strict=True) if v]
    if not any(grad_on for _, grad_on, _ in train_calls):
        raise Wrong("one_epoch never trained on the training batches (no prediction with "
                    "gradients on): predict, loss, backward, step for each batch")
    if any(grad_on and not training for _, grad_on, training in train_calls):
        raise Wrong("the model was in evaluation mode while it trained: call model.train() "
                    "before the training batches")
    good, no_zero = _what_if(zero=True), _what_if(zero=False)
    if torch.allclose(model.lin.weight, no_zero.lin.weight) and torch.allclose(
            model.lin.bias, no_zero.lin.bias):
        raise Wrong("the weights after your epoch are those of a loop without opt.zero_grad(): "
                    "backward adds to .grad, so each step used the sum of all gradients so far")
    if not (torch.allclose(model.lin.weight, good.lin.weight) and torch.allclose(
            model.lin.bias, good.lin.bias)):
        raise Wrong("after your epoch the weights differ from one pass of predict, loss "
                    "(gap_loss), backward, opt.step(), opt.zero_grad() over each training batch")
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.item()
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        raise Wrong(f"one_epoch should return the validation accuracy, one number, not "
                    f"{type(got).__name__}")
    train_acc, valid_acc = _accuracy(model, train), _accuracy(model, valid)
    if abs(got - train_acc) < 1e-6 and abs(got - valid_acc) > 1e-6:
        raise Wrong(f"you returned {got:.4g}, the accuracy on the training batches; measure it "
                    "on the validation batches, images the model did not train on")
    if not valid_calls:
        raise Wrong("one_epoch never called the model on the validation batches")
    if any(grad_on for _, grad_on, _ in valid_calls):
        raise Wrong("you validated with gradient tracking on; wrap validation in "
                    "`with torch.no_grad():` (autograd would record every validation batch)")
    if any(training for _, _, training in valid_calls):
        raise Wrong("the model was still in training mode during validation: call model.eval() "
                    "first")
    expect_close(got, valid_acc, "the validation accuracy you returned", tol=1e-6)


fit_epoch = Exercise(
    "04", "fit_epoch",
    "Write `one_epoch(model, opt, train_batches, valid_batches)`: one pass of training with "
    "gap_loss over the training batches, then return the mean batch_accuracy over the "
    "validation batches.",
    _check_epoch,
    "Training: model.train(), then for each (xb, yb): loss, backward, opt.step(), "
    "opt.zero_grad(). Validation: model.eval() and `with torch.no_grad():` around the "
    "predictions.",
    inspect.getsource(one_epoch),  # the worked solution is the reference itself
    one_epoch,
)

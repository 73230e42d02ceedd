"""Exercises of notebook 04 (nn.Linear, an optimiser and a fit loop, written by hand): a count
to predict, an optimiser to complete, and one epoch of training and validation to write."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from helpers.exercises import (
    NotAttempted,
    Wrong,
    as_count,
    as_number,
    close,
    describe,
    exercise,
    is_placeholder,
    raised,
)
from helpers.learner import PlainSGD
from helpers.training import batch_accuracy, gap_loss


def _values(t: torch.Tensor) -> list[float]:
    """A tensor's values, rounded for a message."""
    return [round(v, 4) for v in t.detach().double().flatten().tolist()]


def _count(answer: Any, name: str) -> int:
    """as_count, with a word for a shape given instead of a count."""
    if isinstance(answer, (tuple, list, torch.Size)) and tuple(answer) in ((10, 784), (784, 10)):
        raise Wrong(f"{tuple(answer)} is a shape, the weight's; the question asks how many "
                    "numbers the layer learns: the weight's and the bias's, one number in all")
    return as_count(answer, name)


# --- 1. How many parameters? (predict, then run) -----------------------------------------------

_ONE_OUTPUT = ("every one of the 10 outputs has its own 784 weights (a weight matrix of shape "
               "(10, 784)) and its own bias")
_LINEAR_MISTAKES = {
    7840: "7840 counts the weights only: each of the 10 outputs has a bias too",
    7841: "7841 gives the layer a single bias; it has one bias per output, 10 in all",
    785: f"785 is one output's weights and bias (the model of notebook 03), but {_ONE_OUTPUT}",
    794: f"794 adds the two sizes, 784 + 10, but {_ONE_OUTPUT}",
    784: f"784 counts the inputs, but {_ONE_OUTPUT}",
    10: f"10 counts the outputs, but {_ONE_OUTPUT}",
    784 * 10 + 784: "that gives the layer one bias per input; it has one bias per output, 10",
    784 * 784: "the weight matrix is (out_features, in_features) = (10, 784), not 784 by 784",
    784 * 784 + 10: "the weight matrix is (out_features, in_features) = (10, 784), not 784 by "
                    "784",
    784 * 784 + 784: "the weight matrix is (out_features, in_features) = (10, 784), not 784 by "
                     "784",
}


@exercise(
    task="How many numbers does `nn.Linear(784, 10)` learn (weights and biases together)?",
    hint="The weight has shape (out_features, in_features); the bias has one number per output.",
    solution="answer = 784 * 10 + 10  # = 7850\n"
             "# check: sum(p.numel() for p in nn.Linear(784, 10).parameters())",
    value=True)
def linear_params():
    return 784 * 10 + 10


@linear_params.checker
def _check_linear_params(answer: Any) -> str:
    count = _count(answer, "your count")
    if count in _LINEAR_MISTAKES:
        raise Wrong(_LINEAR_MISTAKES[count])
    if count != linear_params.reference:
        raise Wrong(f"{count} is {'too many' if count > linear_params.reference else 'too few'}: "
                    "nn.Linear(784, 10) holds a weight of shape (out_features, in_features) and "
                    "one bias per output; count both and add them")
    return "784 x 10 weights plus 10 biases. Run the cell below to confirm it."


# --- 2. An optimiser's step and zero_grad -------------------------------------------------------

@exercise(
    task="Complete `MySGD`: `step()` moves every parameter by -lr * its gradient, in place; "
         "`zero_grad()` sets every gradient to zero.",
    hint="In step: `with torch.no_grad():` and then, for each p in self.params, "
         "`p -= self.lr * p.grad`. In zero_grad: `p.grad.zero_()` for each p.")
class MySGD:
    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def step(self):
        with torch.no_grad():  # the update is bookkeeping: autograd must not record it
            for p in self.params:
                p -= self.lr * p.grad  # in place: the model holds these very tensors

    def zero_grad(self):
        for p in self.params:
            p.grad.zero_()  # backward adds to .grad, so reset it before the next one


_LRS = (0.1, 0.3)  # two learning rates, so that a number typed into step() shows


def _toy() -> tuple[nn.Linear, torch.Tensor]:
    """A fresh nn.Linear(3, 1) and a batch for it; every gradient of its loss is non-zero."""
    model = nn.Linear(3, 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.5, -1.0, 2.0]]))
        model.bias.fill_(0.25)
    return model, torch.tensor([[1.0, 2.0, -1.0], [0.0, 1.0, 1.0]])


def _backward(model: nn.Linear, x: torch.Tensor) -> None:
    model(x).pow(2).mean().backward()


def _labelled(model: nn.Linear) -> list[tuple[str, torch.Tensor]]:
    return [("the weight", model.weight), ("the bias", model.bias)]


def _run(what: str, method: Any) -> None:
    try:
        method()
    except Exception as err:  # the learner's code, not the checker's
        raise raised(err, what) from None


def _check_step(model: nn.Linear, start: list[torch.Tensor], grads: list[torch.Tensor],
                lr: float) -> None:
    """One step() must have moved every parameter by -lr * its gradient, in place."""
    for (label, p), s in zip(_labelled(model), start, strict=True):
        if p.shape != s.shape or p.dtype != s.dtype:
            raise Wrong(f"step() changed {label} from a tensor of shape {tuple(s.shape)} "
                        f"({s.dtype}) to one of shape {tuple(p.shape)} ({p.dtype}); change "
                        "only its values: `p -= self.lr * p.grad`")
    moved = [p.detach().double() - s.double() for p, s in zip(model.parameters(), start,
                                                              strict=True)]
    flat_m = torch.cat([m.flatten() for m in moved])
    flat_g = torch.cat([g.double().flatten() for g in grads])
    if not flat_m.abs().max() > 0:
        raise Wrong("after step() the model computes exactly what it did before: its parameters "
                    "did not change. `p = p - lr * p.grad` (or putting new tensors into "
                    "self.params) makes new tensors the model never sees; update in place "
                    "instead: `p -= self.lr * p.grad` (inside torch.no_grad())")
    c = -float(flat_m @ flat_g / (flat_g @ flat_g))  # the step as a multiple of -grad
    if close(flat_m, -c * flat_g, atol=1e-6, rtol=1e-4) and abs(c - lr) > 1e-4:
        if c < 0:
            raise Wrong(f"step() moved the parameters uphill, by +{-c:g} x their gradient, so "
                        "the loss went up. Subtract lr * grad, do not add it")
        if abs(c - 1) < 1e-4:
            raise Wrong(f"step() moved each parameter by its whole gradient, but this optimiser "
                        f"was made with lr={lr}: multiply by the learning rate, self.lr")
        raise Wrong(f"step() moved each parameter by -{c:g} x its gradient, but this optimiser "
                    f"was made with lr={lr}, which asks for -{lr:g} x the gradient: use the "
                    "learning rate it was given, self.lr, not a number of your own")
    for (label, p), s, g in zip(_labelled(model), start, grads, strict=True):
        if torch.equal(p.detach(), s):
            raise Wrong(f"step() left {label} unchanged; update every parameter in self.params")
        if not close(p, s - lr * g):
            raise Wrong(f"after one step() with lr={lr}, {label} is {_values(p)}; it should be "
                        f"{_values(s - lr * g)} (it was {_values(s)}, and its gradient "
                        f"{_values(g)})")


def _check_tracked(model: nn.Linear, after: str) -> None:
    if any(not p.requires_grad for p in model.parameters()):
        raise Wrong(f"after {after} the parameters no longer track gradients "
                    "(requires_grad=False), so the next backward() has nothing to fill in; "
                    "update them in place and do not detach them")


def _check_optimiser(cls: type, lr: float) -> None:
    """Step, zero_grad, then a second round, on a fresh toy model with learning rate lr."""
    made = f"MySGD(model.parameters(), {lr})"
    model, x = _toy()
    start = [p.detach().clone() for p in model.parameters()]
    try:
        opt = cls(model.parameters(), lr)
    except Exception as err:  # the learner's code
        raise raised(err, made) from None
    if isinstance(getattr(opt, "params", None), Iterator):
        raise Wrong("self.params keeps `model.parameters()` itself, a generator that hands out "
                    "the parameters only once: the first loop over it uses them up. Keep a "
                    "list: `self.params = list(params)`")
    _backward(model, x)
    grads = [p.grad.clone() for p in model.parameters()]
    _run(f"step() of {made}", opt.step)
    _check_step(model, start, grads, lr)
    _check_tracked(model, "step()")
    # zero_grad on its own: every parameter gets its gradient back, whatever step() did with it
    for p, g in zip(model.parameters(), grads, strict=True):
        if p.grad is None or not torch.equal(p.grad, g):
            p.grad = g.clone()
    stepped = [p.detach().clone() for p in model.parameters()]
    _run(f"zero_grad() of {made}", opt.zero_grad)
    for (label, p), s, g in zip(_labelled(model), stepped, grads, strict=True):
        if not torch.equal(p.detach(), s):
            raise Wrong(f"zero_grad() changed the parameters themselves ({label} went from "
                        f"{_values(s)} to {_values(p)}); it should reset only their gradients, "
                        "p.grad")
        if p.grad is None:
            continue  # fine: the next backward() starts a new .grad
        if torch.equal(p.grad, g):
            raise Wrong("zero_grad() left the old gradients in place. backward() adds to .grad, "
                        "so the next step would use the old and new gradients summed; set them "
                        "to zero with p.grad.zero_()")
        if p.grad.abs().sum() > 0:
            raise Wrong(f"after zero_grad() the gradient of {label} is {_values(p.grad)}; it "
                        "should be all zeros")
    _check_tracked(model, "zero_grad()")
    # A second round must end where two rounds of the reference end.
    _backward(model, x)
    _run(f"step() of {made}, called a second time", opt.step)
    ref_model, _ = _toy()
    ref = MySGD.reference(ref_model.parameters(), lr)
    for _ in range(2):
        _backward(ref_model, x)
        ref.step()
        ref.zero_grad()
    if all(torch.equal(p.detach(), s) for p, s in zip(model.parameters(), stepped, strict=True)):
        raise Wrong("the second step() changed nothing: step() must work every time it is "
                    "called, on the gradients backward() has just filled in")
    for (label, p), q in zip(_labelled(model), ref_model.parameters(), strict=True):
        if not close(p, q):
            raise Wrong(f"after two rounds of backward() and step() with lr={lr} (zero_grad() "
                        f"between them), {label} is {_values(p)}; {_values(q)} was expected")


@MySGD.checker
def _check_sgd(cls: Any) -> str:
    if not isinstance(cls, type):
        if hasattr(cls, "step") and hasattr(cls, "zero_grad"):
            raise Wrong("that is an optimiser made from the class; pass the class itself, "
                        "`MySGD`, with no brackets: the check makes its own")
        raise Wrong(f"pass the class itself, `MySGD`, not an instance or a function; you gave "
                    f"{describe(cls)}")
    step, zero = getattr(cls, "step", None), getattr(cls, "zero_grad", None)
    missing = [name for name, method in (("step", step), ("zero_grad", zero))
               if not callable(method)]
    if missing:
        raise Wrong(f"`{cls.__name__}` needs two methods, step(self) and zero_grad(self); it "
                    f"has no {' and no '.join(missing)}")
    if is_placeholder(step) and is_placeholder(zero):
        raise NotAttempted
    if is_placeholder(step):
        raise Wrong("step() does nothing yet (its body is only `...` or `pass`): write it too")
    if is_placeholder(zero):
        raise Wrong("zero_grad() does nothing yet (its body is only `...` or `pass`), so the "
                    "gradients would pile up: backward() adds to .grad. Write it too")
    for lr in _LRS:
        _check_optimiser(cls, lr)
    return "It steps downhill by lr x the gradient, in place, and resets the gradients."


# --- 3. One epoch: train, then validate ---------------------------------------------------------

@exercise(
    task="Write `one_epoch(model, opt, train_batches, valid_batches)`: one pass of training with "
         "gap_loss over the training batches, then return the mean batch_accuracy over the "
         "validation batches.",
    hint="Training: model.train(), then for each (xb, yb): loss, backward, opt.step(), "
         "opt.zero_grad(). Validation: model.eval() and `with torch.no_grad():` around the "
         "predictions.")
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
    return sum(accs) / len(accs)  # the batches here are all the same size


def _epoch_data() -> tuple[list, list]:
    """Fresh batches, two of four rows each. After the epoch the model gets 0.25 and 1.0 of the
    validation batches right (mean 0.625) and 0.75 of the training rows; before it, 0.375."""
    t = torch.tensor
    train = [(t([[-0.5, 2.0], [0.5, 0.5], [0.5, -1.5], [2.0, 0.0]]),
              t([[1.0], [1.0], [0.0], [0.0]])),
             (t([[2.0, 0.5], [-1.5, 0.0], [-1.0, 0.5], [-0.5, -2.0]]),
              t([[1.0], [1.0], [0.0], [0.0]]))]
    valid = [(t([[1.5, -1.5], [2.0, -2.0], [1.5, 0.0], [-1.5, 0.5]]),
              t([[1.0], [0.0], [0.0], [1.0]])),
             (t([[1.0, -1.5], [-1.0, 1.0], [1.0, 0.5], [-2.0, -2.0]]),
              t([[0.0], [1.0], [1.0], [0.0]]))]
    return train, valid


_LR = 2.0


def _linear() -> nn.Linear:
    lin = nn.Linear(2, 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[0.3, -0.2]]))
        lin.bias.fill_(-0.1)
    return lin


class _Spy(nn.Module):
    """nn.Linear(2, 1) that logs every call (its input, grad mode, train/eval mode) and every
    backward pass, in order, in ``log``."""

    def __init__(self, log: list) -> None:
        super().__init__()
        self.lin, self.log = _linear(), log
        self.lin.weight.register_hook(lambda g: log.append(("backward",)))

    def forward(self, x):
        self.log.append(("model", x.detach().clone(), torch.is_grad_enabled(), self.training))
        return self.lin(x)


class _SpyOpt(PlainSGD):
    """PlainSGD that logs its steps and resets."""

    def __init__(self, params, lr, log: list) -> None:
        super().__init__(params, lr)
        self.log = log

    def step(self):
        self.log.append(("step",))
        super().step()

    def zero_grad(self):
        self.log.append(("zero_grad",))
        super().zero_grad()


def _trained(batches: list, zero: bool = True) -> tuple[nn.Linear, list[float]]:
    """The weights after one pass over batches (with or without zero_grad), and the losses."""
    lin, losses = _linear(), []
    opt = PlainSGD(lin.parameters(), _LR)
    for xb, yb in batches:
        loss = gap_loss(lin(xb), yb)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if zero:
            opt.zero_grad()
    return lin, losses


def _same_weights(a: nn.Linear, b: nn.Linear) -> bool:
    return close(a.weight, b.weight) and close(a.bias, b.bias)


def _rows(batches: list) -> set[tuple[float, ...]]:
    return {tuple(row) for xb, _ in batches for row in xb.tolist()}


def _calls(log: list, train: list, valid: list) -> list[tuple[str, bool, bool, int]]:
    """Every model call in the log: on which batches ("train", "valid" or "other"), with
    gradients on or not, in training mode or not, and its place in the log."""
    train_rows, valid_rows = _rows(train), _rows(valid)

    def kind(x: torch.Tensor) -> str:
        rows = {tuple(row) for row in x.tolist()} if x.dim() == 2 else set()
        return ("train" if rows and rows <= train_rows else
                "valid" if rows and rows <= valid_rows else "other")

    return [(kind(e[1]), e[2], e[3], i) for i, e in enumerate(log) if e[0] == "model"]


def _check_training(model: _Spy, log: list, train: list, valid: list) -> None:
    """The model calls, their order and modes, and the weights after the epoch."""
    calls = _calls(log, train, valid)
    fitted = [c for c in calls if c[0] == "train" and c[1]]
    backwards = [i for i, e in enumerate(log) if e[0] == "backward"]
    steps = [i for i, e in enumerate(log) if e[0] == "step"]
    if not fitted:
        if any(k == "valid" and grad_on for k, grad_on, _, _ in calls) and backwards:
            raise Wrong("one_epoch trained on the validation batches: train on train_batches, "
                        "and only measure the accuracy on valid_batches")
        raise Wrong("one_epoch never trained on the training batches (no prediction with "
                    "gradients on): for each batch of train_batches, predict, loss, backward, "
                    "step")
    first_valid = next((i for k, _, _, i in calls if k == "valid"), None)
    if calls[0][0] == "valid" or (first_valid is not None and first_valid < fitted[-1][3]):
        raise Wrong("one_epoch called the model on the validation batches before training had "
                    "finished: train first, one pass over train_batches, then validate, so that "
                    "the accuracy is the trained model's")
    if any(not training for _, _, training, _ in fitted):
        raise Wrong("the model was in evaluation mode while it trained: call model.train() "
                    "before the training batches (the last validation left it in eval mode)")
    good = _trained(train)[0]
    if _same_weights(model.lin, good):
        return
    if _same_weights(model.lin, _linear()):
        if not steps:
            raise Wrong("the weights did not change: one_epoch never called opt.step()")
        if not backwards:
            raise Wrong("the weights did not change: one_epoch never called loss.backward(), "
                        "so opt.step() had no gradients to follow")
        raise Wrong("the weights did not change during your epoch: for each training batch, "
                    "loss.backward() then opt.step()")
    if _same_weights(model.lin, _trained(train, zero=False)[0]):
        raise Wrong("the weights after your epoch are those of a loop without opt.zero_grad(): "
                    "backward adds to .grad, so each step used the sum of all gradients so far")
    if _same_weights(model.lin, _trained(train + valid)[0]):
        raise Wrong("one_epoch trained on the validation batches too: train on train_batches "
                    "only; validation only measures")
    if not steps:
        raise Wrong("one_epoch never called opt.step() on the optimiser it was given: step with "
                    "`opt`, the argument, rather than an optimiser of your own")
    if len(steps) != len(train):
        raise Wrong(f"one_epoch called opt.step() {len(steps)} times for {len(train)} training "
                    "batches: step once per training batch, after its loss.backward()")
    if backwards and steps[0] < backwards[0]:
        raise Wrong("opt.step() came before loss.backward(): each step must follow the "
                    "backward pass of its own batch")
    raise Wrong(f"after your epoch the weight is {_values(model.lin.weight)} and the bias "
                f"{_values(model.lin.bias)}; one pass of predict, loss = gap_loss(model(xb), yb), "
                "loss.backward(), opt.step(), opt.zero_grad() over each training batch gives "
                f"{_values(good.weight)} and {_values(good.bias)}")


def _accuracies(lin: nn.Linear, batches: list) -> list[float]:
    with torch.no_grad():
        return [batch_accuracy(lin(xb), yb).item() for xb, yb in batches]


def _check_result(got: Any, lin: nn.Linear, train: list, valid: list) -> float:
    """The number returned; a word for the other numbers a loop like this can return."""
    accs = _accuracies(lin, valid)
    if isinstance(got, (list, tuple)):
        raise Wrong(f"one_epoch returned a {type(got).__name__} of {len(got)}; return one "
                    "number, the mean of the validation batches' accuracies: "
                    "sum(accs) / len(accs)")
    value = as_number(got, "the validation accuracy one_epoch returned")
    if abs(value - sum(accs) / len(accs)) < 1e-6:
        return value
    train_accs = _accuracies(lin, train)
    with torch.no_grad():
        valid_loss = sum(gap_loss(lin(xb), yb).item() for xb, yb in valid) / len(valid)
    train_loss = sum(_trained(train)[1]) / len(train)
    others = [
        (sum(train_accs) / len(train_accs), "that is the accuracy on the training batches; "
         "measure it on the validation batches, images the model did not train on"),
        (accs[-1], "that is the accuracy of the last validation batch only; return the mean "
         "over all of them"),
        (accs[0], "that is the accuracy of the first validation batch only; return the mean "
         "over all of them"),
        (sum(accs), "that is the sum of the validation batches' accuracies; divide it by the "
         "number of batches"),
        (100 * sum(accs) / len(accs), "that is the accuracy as a percentage; return it as a "
         "fraction between 0 and 1, as batch_accuracy gives it"),
        (1 - sum(accs) / len(accs), "that is the error rate, 1 - accuracy; return the accuracy"),
        (valid_loss, "that is the validation loss (gap_loss); return the accuracy, "
         "batch_accuracy"),
        (train_loss, "that is the mean training loss; return the validation accuracy, "
         "batch_accuracy over valid_batches"),
    ]
    for other, why in others:
        if abs(value - other) < 1e-6:
            raise Wrong(f"you returned {value:.4g}: {why}")
    return value


@one_epoch.checker
def _check_epoch(fn: Any) -> None:
    if not callable(fn):
        raise Wrong(f"this exercise wants a function, one_epoch; you gave {describe(fn)}")
    log: list = []
    model = _Spy(log)
    model.eval()  # as a previous epoch's validation would have left it
    opt = _SpyOpt(model.parameters(), _LR, log)
    train, valid = _epoch_data()  # the learner gets copies of its own; the check keeps these
    try:
        got = fn(model, opt, *_epoch_data())
    except Exception as err:  # the learner's code, not the checker's
        if "does not require grad" in str(err):
            raise Wrong("loss.backward() failed: the loss was computed under torch.no_grad() "
                        "(or from detached predictions), so it has no gradient. Train with "
                        "gradients on; only validation goes inside `with torch.no_grad():`"
                        ) from None
        raise raised(err, "one_epoch", "(called with a model, an optimiser, and lists of two "
                                       "training and two validation batches)") from None
    if got is None:
        if is_placeholder(fn):
            raise NotAttempted
        raise Wrong("one_epoch returned None: did you forget to `return` the validation "
                    "accuracy?")
    _check_training(model, log, train, valid)
    value = _check_result(got, model.lin, train, valid)
    valid_calls = [(grad_on, training) for kind, grad_on, training, _ in
                   _calls(log, train, valid) if kind == "valid"]
    if not valid_calls:
        raise Wrong("one_epoch never called the model on the validation batches")
    if any(grad_on for grad_on, _ in valid_calls):
        raise Wrong("you validated with gradient tracking on; wrap validation in "
                    "`with torch.no_grad():` (autograd would record every validation batch)")
    if any(training for _, training in valid_calls):
        raise Wrong("the model was still in training mode during validation: call model.eval() "
                    "first")
    accs = _accuracies(model.lin, valid)
    mean = sum(accs) / len(accs)
    if abs(value - mean) > 1e-6:
        raise Wrong(f"one_epoch returned {value:.4g}; after this epoch the validation batches' "
                    f"accuracies are {[round(a, 4) for a in accs]}, so their mean, {mean:.4g}, "
                    "was expected")

"""Exercises of notebook 03 (the seven steps on MNIST): a loss, an accuracy, one SGD step."""

from __future__ import annotations

import torch

from helpers.exercises import (
    Exercise,
    Wrong,
    call,
    expect_close,
    expect_tensor,
    raised,
)

# --- 1. the loss, written with torch.where --------------------------------------------------

_SCORES = torch.tensor([[0.3], [6.0], [-4.0], [-0.5], [2.0]])
_TARGETS = torch.tensor([[1.0], [1.0], [0.0], [1.0], [0.0]])


def _reference_where_loss(scores, targets):
    probs = scores.sigmoid()
    return torch.where(targets == 1, 1 - probs, probs).mean()


def _check_where_loss(fn):
    scores = _SCORES.clone().requires_grad_()
    got = call(fn, scores, _TARGETS, name="where_loss")
    if not isinstance(got, torch.Tensor):
        raise Wrong(f"where_loss should return a tensor (so that autograd can follow it), not "
                    f"{type(got).__name__}; leave out `.item()`")
    if got.numel() == 1 and got.detach().item() < 0:
        raise Wrong(f"your loss is negative ({got.detach().item():.3f}) for these scores: did "
                    "you squash them into (0, 1) with `.sigmoid()` first? A gap can't be "
                    "negative.")
    raw = torch.where(_TARGETS == 1, 1 - _SCORES, _SCORES)
    probs = _SCORES.sigmoid()
    gaps = torch.where(_TARGETS == 1, 1 - probs, probs)
    if got.shape == (5, 1) or got.shape == (5,):
        raise Wrong(f"where_loss returned one gap per image, shape {tuple(got.shape)}; the "
                    "loss is one number: average the gaps with `.mean()`")
    if got.numel() == 1:
        value = got.detach().item()
        if abs(value - raw.mean().item()) < 1e-4:
            raise Wrong("you measured the gaps of the raw scores: apply `.sigmoid()` first")
        if abs(value - gaps.sum().item()) < 1e-4:
            raise Wrong("you added the gaps up (`.sum()`): the loss would grow with the batch "
                        "size; average them with `.mean()`")
        if abs(value - (1 - gaps).mean().item()) < 1e-4:
            raise Wrong("the two branches of `torch.where` are swapped: a target of 1 should "
                        "give 1 - p, a target of 0 should give p")
    flat = torch.where(_TARGETS.flatten() == 1, 1 - probs, probs).mean()
    if got.numel() == 1 and abs(got.detach().item() - flat.item()) < 1e-4:
        raise Wrong("your loss mixes every score with every target: targets of shape (n,) "
                    "against scores of shape (n, 1) broadcast to an (n, n) table; keep both "
                    "as (n, 1) columns")
    expect_tensor(got, gaps.mean(), "where_loss(scores, targets)", requires_grad=True)
    got.backward()
    if scores.grad is None:
        raise Wrong("no gradient reached the scores: keep the loss connected to them "
                    "(no `.detach()`, no `torch.no_grad()`)")
    # a batch of one, confidently wrong: the loss is close to 1
    one = call(fn, torch.tensor([[-8.0]]), torch.tensor([[1.0]]), name="where_loss")
    expect_tensor(one, _reference_where_loss(torch.tensor([[-8.0]]), torch.tensor([[1.0]])),
                  "where_loss on a batch of one image", requires_grad=None)
    return ("The same numbers as `gap_loss`: with 0/1 targets, picking 1 - p or p is the gap "
            "|p - target|.")


where_loss = Exercise(
    "03", "where_loss",
    "Write `where_loss(scores, targets)`: the same loss as `gap_loss`, but pick each image's "
    "gap with `torch.where` (1 - p for a target of 1, p for a target of 0, p = sigmoid).",
    _check_where_loss,
    "Squash first: `probs = scores.sigmoid()`. Then `torch.where(targets == 1, 1 - probs, "
    "probs)` gives one gap per image; finish with `.mean()`.",
    "def where_loss(scores, targets):\n"
    "    probs = scores.sigmoid()\n"
    "    return torch.where(targets == 1, 1 - probs, probs).mean()",
    _reference_where_loss,
)


# --- 2. accuracy from sigmoid outputs ---------------------------------------------------------

def _reference_prob_accuracy(probs, targets):
    return ((probs > 0.5).float() == targets).float().mean()


def _check_prob_accuracy(fn):
    probs = torch.tensor([[0.9], [0.3], [0.6], [0.05], [0.45], [0.8], [0.7]])
    targets = torch.tensor([[1.0], [0.0], [0.0], [0.0], [1.0], [1.0], [1.0]])
    # right, right, wrong, right, wrong, right, right: 5 of 7
    got = call(fn, probs, targets, name="prob_accuracy")
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        value = got.float().item()
        if abs(value - 4 / 7) < 1e-6:
            raise Wrong("you called every image positive: sigmoid outputs are all above 0, so "
                        "the boundary for them is 0.5, not 0 (and don't apply `.sigmoid()` "
                        "again: they are already squashed)")
        if abs(value - 5) < 1e-6:
            raise Wrong("you counted the right answers (5); accuracy is the share: use "
                        "`.mean()` rather than `.sum()`")
        flat = ((probs > 0.5).float() == targets.flatten()).float().mean().item()
        if abs(value - flat) < 1e-6:
            raise Wrong("your comparison mixes every prediction with every target: shape (n,) "
                        "against (n, 1) broadcasts to an (n, n) table; keep both as columns")
    expect_close(got, 5 / 7, "prob_accuracy on seven images (five right)", tol=1e-6)
    if isinstance(got, torch.Tensor) and got.dtype != torch.float32:
        raise Wrong(f"your accuracy has dtype {got.dtype}; turn the true/false values into "
                    "floats with `.float()` before averaging")
    # a batch of one, right at the boundary: 0.5 is not above 0.5, so it votes for 0
    edge = call(fn, torch.tensor([[0.5]]), torch.tensor([[0.0]]), name="prob_accuracy")
    if isinstance(edge, torch.Tensor) and edge.numel() == 1 and edge.float().item() == 0:
        raise Wrong("right on the seven images, but an output of exactly 0.5 counted as a vote "
                    "for the positive digit; like `batch_accuracy`, where a score of exactly 0 "
                    "is not above 0, it is a vote for the negative one: use `> 0.5`, not "
                    "`>= 0.5`")
    expect_close(edge, 1.0, "prob_accuracy of one image with p = 0.5 and target 0 (p > 0.5 "
                 "means positive, so 0.5 is a vote for 0)", tol=1e-6)
    return None


prob_accuracy = Exercise(
    "03", "prob_accuracy",
    "Write `prob_accuracy(probs, targets)`: the share of images classified right, when the "
    "model hands you sigmoid outputs `probs` (between 0 and 1) instead of scores.",
    _check_prob_accuracy,
    "A probability above 0.5 is a vote for the positive digit (target 1). Compare that vote, "
    "as a float, with the targets, and average the matches.",
    "def prob_accuracy(probs, targets):\n"
    "    return ((probs > 0.5).float() == targets).float().mean()",
    _reference_prob_accuracy,
)


# --- 3. one SGD step over a batch -------------------------------------------------------------

def _reference_sgd_step(weights, bias, xb, yb, lr):
    probs = (xb @ weights + bias).sigmoid()
    loss = (probs - yb).abs().mean()
    loss.backward()
    with torch.no_grad():
        for p in (weights, bias):
            p -= lr * p.grad
            p.grad.zero_()
    return loss


def _problem(seed: int = 3):
    gen = torch.Generator().manual_seed(seed)
    xb = torch.rand(8, 6, generator=gen)
    yb = (torch.rand(8, 1, generator=gen) > 0.5).float()
    w = (torch.randn(6, 1, generator=gen) * 0.1).requires_grad_()
    b = (torch.randn(1, generator=gen) * 0.1).requires_grad_()
    return w, b, xb, yb


def _expected_after(steps: int, lr: float, *, accumulate: bool = False, sign: float = 1.0):
    """Parameters after ``steps`` steps: right, with gradients left to pile up, or uphill."""
    w, b, xb, yb = _problem()
    total = [torch.zeros_like(w), torch.zeros_like(b)]
    for _ in range(steps):
        loss = ((xb @ w + b).sigmoid() - yb).abs().mean()
        grads = torch.autograd.grad(loss, (w, b))
        with torch.no_grad():
            for i, (p, g) in enumerate(zip((w, b), grads, strict=True)):
                total[i] = total[i] + g if accumulate else g
                p -= sign * lr * total[i]
    return w.detach(), b.detach()


def _check_sgd_step(fn):
    if not callable(fn):
        raise Wrong("this exercise wants a function")
    lr = 0.5
    w, b, xb, yb = _problem()
    w0, b0 = w.detach().clone(), b.detach().clone()
    try:
        fn(w, b, xb, yb, lr)
        fn(w, b, xb, yb, lr)
    except TypeError as err:
        if "NoneType" in str(err):
            raise Wrong(f"a gradient was None ({err}): call `loss.backward()` before the "
                        "update") from None
        raise raised(err, "sgd_step") from None
    except Exception as err:  # the learner's code
        raise raised(err, "sgd_step") from None
    if torch.equal(w.detach(), w0):
        raise Wrong("the weights did not change. Either the step used a gradient that was "
                    "already zero (zero `.grad` *after* the step, not before it), or "
                    "`weights = weights - ...` made a new local tensor; change the parameter "
                    "itself with `-=` (inside `torch.no_grad()`)")
    if torch.equal(b.detach(), b0):
        raise Wrong("the weights moved but the bias did not: step every parameter, the bias "
                    "as well as the weights")
    if not (w.requires_grad and w.is_leaf):
        raise Wrong("the weights no longer are a parameter that autograd tracks (a leaf with "
                    "requires_grad=True): update them in place under `torch.no_grad()`")
    up_w, _ = _expected_after(2, lr, sign=-1.0)
    if torch.allclose(w.detach(), up_w, atol=1e-6):
        raise Wrong("the loss went up: you stepped along the gradient; step against it "
                    "(`p -= lr * p.grad`)")
    piled_w, _ = _expected_after(2, lr, accumulate=True)
    if torch.allclose(w.detach(), piled_w, atol=1e-6):
        raise Wrong("your second step used the sum of both gradients: `backward()` adds to "
                    "`.grad`, so zero it after each step (`p.grad.zero_()`)")
    right_w, right_b = _expected_after(2, lr)
    expect_tensor(w, right_w, "the weights after two calls", requires_grad=None)
    expect_tensor(b, right_b, "the bias after two calls", requires_grad=None)
    if w.grad is not None and torch.count_nonzero(w.grad) > 0:
        raise Wrong("the steps are right, but `.grad` is not zero afterwards; the next "
                    "batch's gradient would pile onto it: finish with `p.grad.zero_()`")
    return None


sgd_step = Exercise(
    "03", "sgd_step",
    "Write `sgd_step(weights, bias, xb, yb, lr)`: one SGD step on one batch with the linear "
    "model and `gap_loss` (predict, loss, gradient, step, zero the gradients).",
    _check_sgd_step,
    "Four lines: `loss = gap_loss(linear_model(xb, weights, bias), yb)`, `loss.backward()`, "
    "then, inside `with torch.no_grad():`, for each parameter `p -= lr * p.grad` and "
    "`p.grad.zero_()`.",
    "def sgd_step(weights, bias, xb, yb, lr):\n"
    "    loss = gap_loss(linear_model(xb, weights, bias), yb)\n"
    "    loss.backward()\n"
    "    with torch.no_grad():\n"
    "        for p in (weights, bias):\n"
    "            p -= lr * p.grad\n"
    "            p.grad.zero_()\n"
    "    return loss",
    _reference_sgd_step,
)

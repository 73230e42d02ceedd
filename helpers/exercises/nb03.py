"""Exercises of notebook 03 (the seven steps on MNIST): a loss, an accuracy, one SGD step."""

from __future__ import annotations

from typing import Any

import torch

from helpers.exercises import (
    Wrong,
    as_number,
    call,
    close,
    describe,
    exercise,
    expect_tensor,
    raised,
)
from helpers.training import gap_loss, linear_model


def _listed(t: torch.Tensor) -> list[float]:
    return [round(v, 4) for v in t.detach().flatten().tolist()]


# --- where_loss: the gap loss, written with torch.where ----------------------------------------


def _where_data() -> tuple[torch.Tensor, torch.Tensor]:
    """New example scores (tracked by autograd) and 0/1 targets, both columns of shape (5, 1),
    for every call: an answer that scribbles on its inputs cannot change a later check."""
    scores = torch.tensor([[0.3], [6.0], [-4.0], [-0.5], [2.0]], requires_grad=True)
    targets = torch.tensor([[1.0], [1.0], [0.0], [1.0], [0.0]])
    return scores, targets


def _where_slips(scores: torch.Tensor, targets: torch.Tensor) -> list[tuple[torch.Tensor, str]]:
    """What the usual slips give on these scores and targets, each with the sentence for it."""
    s, t = scores.detach(), targets
    p = s.sigmoid()
    gaps = torch.where(t == 1, 1 - p, p)
    return [
        (torch.where(t == 1, 1 - s, s).mean(), "you measured the gaps of the raw scores: squash "
         "them into (0, 1) with `.sigmoid()` first"),
        (torch.where(t == 1, p, 1 - p).mean(), "the two branches of `torch.where` are swapped: "
         "a target of 1 should give 1 - p, a target of 0 should give p"),
        (gaps.sum(), "you added the gaps up (`.sum()`): the loss would grow with the batch "
         "size; average them with `.mean()`"),
        # either way round, (n,) against (n, 1) gives the same mean over the table
        (torch.where(t.flatten() == 1, 1 - p, p).mean(), "your loss mixes every score with "
         "every target: a shape (n,) against a shape (n, 1) (targets flattened or squeezed, "
         "or the scores) broadcasts to an (n, n) table; keep both as (n, 1) columns"),
        ((gaps**2).mean(), "you squared the gaps; this loss is the gap itself, 1 - p or p"),
        (-torch.where(t == 1, p.log(), (1 - p).log()).mean(), "that is the binary "
         "cross-entropy (the log of p); this loss is the gap itself, 1 - p or p"),
        (torch.where(t == 1, p - 1, p).mean(), "for a target of 1 you took p - 1, which is "
         "negative; the gap is 1 - p"),
        ((1 - p).mean(), "you took 1 - p for every image; a target of 0 should give p: pick "
         "with `torch.where(targets == 1, 1 - probs, probs)`"),
    ]


@exercise(
    task="Write `where_loss(scores, targets)`: the same loss as `gap_loss`, but pick each "
         "image's gap with `torch.where` (1 - p for a target of 1, p for a target of 0, "
         "p = sigmoid).",
    hint="Squash first: `probs = scores.sigmoid()`. Then `torch.where(targets == 1, 1 - probs, "
         "probs)` gives one gap per image; finish with `.mean()`.")
def where_loss(scores, targets):
    probs = scores.sigmoid()
    return torch.where(targets == 1, 1 - probs, probs).mean()


def _call_where_loss(fn: Any, scores: torch.Tensor, targets: torch.Tensor) -> Any:
    try:
        return call(fn, scores, targets, name="where_loss")
    except Wrong as err:
        text = str(err)
        if "numpy()" in text:
            raise Wrong("where_loss turned a tensor that autograd tracks into NumPy, which "
                        "PyTorch refuses (it could not follow the gradient there); stay with "
                        "torch: `scores.sigmoid()`, `torch.where`, `.mean()`") from None
        if "leaf Variable" in text:
            raise Wrong("where_loss changed `scores` in place (with `sigmoid_()`, `-=` or the "
                        "like), which PyTorch refuses for a tensor that autograd tracks; "
                        "compute new tensors instead: `probs = scores.sigmoid()`") from None
        if "condition" in text and "bool" in text.lower():
            raise Wrong(f"{text}. The first argument of `torch.where` is a condition, True or "
                        "False per image: `targets == 1`") from None
        raise


@where_loss.checker
def _check_where_loss(fn: Any) -> str | None:
    scores, targets = _where_data()
    shown = f"scores {_listed(scores)} and targets {_listed(targets)} (both of shape (5, 1))"
    got = _call_where_loss(fn, scores, targets)
    right = where_loss.reference(scores, targets).detach()
    if not isinstance(got, torch.Tensor):
        try:
            value = as_number(got)
        except Wrong:
            raise Wrong(f"where_loss should return the loss as a tensor holding one number, "
                        f"not {describe(got)}") from None
        said = f"where_loss returned the {type(got).__name__} {value:.6g} for {shown}"
        if abs(value - right.item()) < 1e-4:
            raise Wrong(f"{said}: the right number, but a loss must stay a tensor so that "
                        "autograd can follow it back to the scores; leave out `.item()` "
                        "(and `float(...)`)")
        raise Wrong(f"{said}, where the tensor {right.item():.6g} is expected; leave out "
                    "`.item()`, and return the tensor itself")
    if got.shape in ((5, 1), (5,)):
        raise Wrong(f"where_loss returned one gap per image, shape {tuple(got.shape)}; the "
                    "loss is one number: average the gaps with `.mean()`")
    if got.shape == (5, 5):
        raise Wrong("where_loss returned a (5, 5) table: targets of shape (n,) against scores "
                    "of shape (n, 1) (or the other way round) broadcast to every pair; keep both "
                    "as (n, 1) columns, and average with `.mean()`")
    if got.numel() == 1 and not got.is_complex():
        value = got.detach().double().item()
        if abs(value - right.item()) > 1e-5:
            said = f"for {shown} your loss is {value:.6g}, where {right.item():.6g} is expected"
            for slip, message in _where_slips(scores, targets):
                if abs(value - slip.item()) < 1e-5:
                    raise Wrong(f"{said}: {message}")
            if value < 0:
                raise Wrong(f"{said}. A gap cannot be negative: did you squash the scores into "
                            "(0, 1) with `.sigmoid()` first?")
            raise Wrong(f"{said}. This check cannot name the slip; each image's gap is "
                        "1 - p for a target of 1 and p for a target of 0 (p = sigmoid of its "
                        "score), and the loss is their mean")
    remark = None
    if got.numel() == 1 and got.shape != ():
        remark = (f"(Yours has shape {tuple(got.shape)}; `.mean()` with no axis gives a 0-d "
                  "tensor, a plain single number.)")
        got = got.reshape(())
    if got.numel() == 1 and not got.requires_grad:
        raise Wrong(f"where_loss for {shown} does not track gradients, so `backward` could not "
                    "reach the scores: keep the loss connected to them (no `.detach()`, "
                    "`.data`, `torch.no_grad()` or NumPy on the way)")
    expect_tensor(got, right, f"where_loss for {shown}", requires_grad=True)
    # The gradient reaches the scores and is the right one (a fresh batch, held by this check).
    scores, targets = _where_data()
    try:
        loss = fn(scores, targets)
        (grad,) = torch.autograd.grad(loss.reshape(()), scores, allow_unused=True)
    except Exception as err:  # the learner's code
        raise raised(err, "where_loss", "(when the check took the loss's gradient)") from None
    scores_ref, _ = _where_data()
    where_loss.reference(scores_ref, targets).backward()
    if grad is None:
        raise Wrong("no gradient reached the scores: keep the loss connected to them "
                    "(no `.detach()`, no `.data`, no `torch.no_grad()`)")
    if not close(grad, scores_ref.grad, atol=1e-6, rtol=1e-4):
        raise Wrong(f"your loss has the right value for {shown}, but not the right gradient "
                    f"with respect to the scores: {_listed(grad)}, where "
                    f"{_listed(scores_ref.grad)} is expected. Compute it from "
                    "`scores.sigmoid()` alone, without `.detach()` or `.data` on the way")
    # a batch of one, confidently wrong (the loss is close to 1), and a batch of three
    for s, t in ((torch.tensor([[-8.0]]), torch.tensor([[1.0]])),
                 (torch.tensor([[1.0], [-1.0], [3.0]]), torch.tensor([[0.0], [0.0], [1.0]]))):
        one = _call_where_loss(fn, s, t)
        label = f"where_loss for scores {_listed(s)} and targets {_listed(t)}"
        if isinstance(one, torch.Tensor) and one.numel() == 1:
            one = one.reshape(())
        expect_tensor(one, where_loss.reference(s, t), label, requires_grad=None)
    return remark or ("The same numbers as `gap_loss`: with 0/1 targets, picking 1 - p or p is "
                      "the gap |p - target|.")


# --- prob_accuracy: the accuracy, from sigmoid outputs ----------------------------------------


def _accuracy_data() -> tuple[torch.Tensor, torch.Tensor]:
    # right, right, wrong, right, wrong, right, right: 5 of 7
    probs = torch.tensor([[0.9], [0.3], [0.6], [0.05], [0.45], [0.8], [0.7]])
    targets = torch.tensor([[1.0], [0.0], [0.0], [0.0], [1.0], [1.0], [1.0]])
    return probs, targets


@exercise(
    task="Write `prob_accuracy(probs, targets)`: the share of images classified right, when the "
         "model hands you sigmoid outputs `probs` (between 0 and 1) instead of scores.",
    hint="A probability above 0.5 is a vote for the positive digit (target 1). Compare that "
         "vote, as a float, with the targets, and average the matches.")
def prob_accuracy(probs, targets):
    return ((probs > 0.5).float() == targets).float().mean()


def _call_accuracy(fn: Any, probs: torch.Tensor, targets: torch.Tensor) -> Any:
    try:
        return call(fn, probs, targets, name="prob_accuracy")
    except Wrong as err:
        if "dtype" in str(err) and ("mean" in str(err) or "Bool" in str(err)):
            raise Wrong(f"{err}. The mean of True/False values needs numbers first: "
                        "`.float()` before `.mean()`") from None
        raise


@prob_accuracy.checker
def _check_prob_accuracy(fn: Any) -> str | None:
    probs, targets = _accuracy_data()
    shown = f"probs {_listed(probs)} and targets {_listed(targets)} (both of shape (7, 1))"
    got = _call_accuracy(fn, probs, targets)
    if isinstance(got, torch.Tensor) and got.numel() > 1:
        if got.shape in ((7, 1), (7,)):
            raise Wrong(f"prob_accuracy returned one value per image, shape {tuple(got.shape)}; "
                        "the accuracy is one number, the share of right ones: "
                        "`.float().mean()`")
        if got.shape == (7, 7):
            raise Wrong("prob_accuracy returned a (7, 7) table: shape (n,) against (n, 1) "
                        "broadcasts to every pair; keep both as (n, 1) columns, then average")
    value = as_number(got, f"prob_accuracy for {shown}")
    said = f"for {shown} your accuracy is {value:.6g}, where 5/7 = {5 / 7:.6g} is expected"
    if abs(value - 5 / 7) > 1e-6:
        p, t = probs, targets
        slips = [
            (4 / 7, "you called every image positive: sigmoid outputs are all above 0, so the "
             "boundary for them is 0.5, not 0 (and don't apply `.sigmoid()` again: they are "
             "already squashed)"),
            (5, "you counted the right answers (5); accuracy is the share: use `.mean()` "
             "rather than `.sum()`"),
            (((p > 0.5).float() == t.flatten()).float().mean().item(), "your comparison mixes "
             "every prediction with every target: shape (n,) against (n, 1) broadcasts to an "
             "(n, n) table; keep both as columns"),
            (2 / 7, "that is the share classified WRONG; the accuracy is the share right"),
            (100 * 5 / 7, "that is a percentage; the accuracy here is a share between 0 and 1 "
             "(leave out the `* 100`)"),
            (0, "no image matched: compare each image's vote, `probs > 0.5`, with its target, "
             "not the probability itself"),
        ]
        for slip, message in slips:
            if abs(value - slip) < 1e-6 * max(1.0, abs(slip)):
                raise Wrong(f"{said}: {message}")
        raise Wrong(f"{said}. This check cannot name the slip; an image is right when its vote "
                    "(p > 0.5 means the positive digit, target 1) equals its target")
    # a batch of one, right at the boundary: 0.5 is not above 0.5, so it votes for 0
    edge_p, edge_t = torch.tensor([[0.5]]), torch.tensor([[0.0]])
    edge = as_number(_call_accuracy(fn, edge_p, edge_t),
                     "prob_accuracy for probs [0.5] and targets [0.0]")
    if abs(edge) < 1e-6:
        raise Wrong("right on the seven images, but an output of exactly 0.5 counted as a vote "
                    "for the positive digit; like `batch_accuracy`, where a score of exactly 0 "
                    "is not above 0, it is a vote for the negative one: use `> 0.5`, not "
                    "`>= 0.5`")
    if abs(edge - 1) > 1e-6:
        raise Wrong(f"for probs [0.5] and targets [0.0] (one image, a vote for 0, so right) "
                    f"your accuracy is {edge:.6g}, where 1 is expected")
    # another batch, of another size, so that a number written into the function shows
    more_p = torch.tensor([[0.51], [0.49], [0.99], [0.2]])
    more_t = torch.tensor([[1.0], [1.0], [0.0], [0.0]])
    more = as_number(_call_accuracy(fn, more_p, more_t), "prob_accuracy on four images")
    want = prob_accuracy.reference(more_p, more_t).item()
    if abs(more - want) > 1e-6:
        raise Wrong(f"right on the seven images, but for probs {_listed(more_p)} and targets "
                    f"{_listed(more_t)} your accuracy is {more:.6g}, where {want:.6g} (two of "
                    "four) is expected")
    return None


# --- sgd_step: one SGD step on a batch ---------------------------------------------------------


@exercise(
    task="Write `sgd_step(weights, bias, xb, yb, lr)`: one SGD step on one batch with the linear "
         "model and `gap_loss` (predict, loss, gradient, step, zero the gradients).",
    hint="Four lines: `loss = gap_loss(linear_model(xb, weights, bias), yb)`, "
         "`loss.backward()`, then, inside `with torch.no_grad():`, for each parameter "
         "`p -= lr * p.grad` and `p.grad.zero_()`.")
def sgd_step(weights, bias, xb, yb, lr):
    loss = gap_loss(linear_model(xb, weights, bias), yb)
    loss.backward()
    with torch.no_grad():
        for p in (weights, bias):
            p -= lr * p.grad
            p.grad.zero_()  # after the step: the next batch's backward starts from zero
    return loss


_N = 8  # images in the example batch


def _problem(seed: int = 5) -> tuple[torch.Tensor, ...]:
    """A new batch and new parameters (grad None, as at the start of training) for each call.
    Its scores spread over -1.7 to 0.1, where the sigmoid's slope varies, so that the gradients
    of the other losses a learner may write point in other directions than `gap_loss`'s."""
    gen = torch.Generator().manual_seed(seed)
    xb = torch.rand(_N, 6, generator=gen)
    yb = (torch.rand(_N, 1, generator=gen) > 0.5).float()
    w = (torch.randn(6, 1, generator=gen) * 0.5).requires_grad_()
    b = (torch.randn(1, generator=gen) * 0.5).requires_grad_()
    return w, b, xb, yb


def _gradient(loss_fn: Any, w: torch.Tensor, b: torch.Tensor, xb: torch.Tensor,
              yb: torch.Tensor) -> torch.Tensor:
    """The gradient of ``loss_fn(scores, yb)`` with respect to (w, b), flattened, float64."""
    w, b = w.detach().requires_grad_(), b.detach().requires_grad_()
    grads = torch.autograd.grad(loss_fn(xb @ w + b, yb), (w, b))
    return torch.cat([g.flatten() for g in grads]).double()


_OTHER_LOSSES = [
    (lambda s, y: ((s.sigmoid() - y) ** 2).mean(), "you squared the gaps (a mean squared "
     "error); the task's loss is `gap_loss`, the mean of the plain gaps"),
    (lambda s, y: (s - y).abs().mean(), "your loss forgot the sigmoid: it measured the gaps of "
     "the raw scores. Use `gap_loss(linear_model(xb, weights, bias), yb)`, which squashes them"),
    (lambda s, y: ((s - y) ** 2).mean(), "your loss is the mean squared error of the raw "
     "scores; the task's loss is `gap_loss`, the gaps after the sigmoid"),
    (lambda s, y: torch.nn.functional.binary_cross_entropy_with_logits(s, y), "your loss is the "
     "binary cross-entropy; the task's loss is `gap_loss`"),
]


def _sgd_call(fn: Any, args: tuple[torch.Tensor, ...], lr: float, when: str) -> None:
    try:
        fn(*args, lr)
    except TypeError as err:
        if "NoneType" in str(err):
            raise Wrong(f"a gradient was None when the update used it ({err}, {when}): call "
                        "`loss.backward()` before the update, and clear the gradients only "
                        "after it") from None
        raise raised(err, "sgd_step", f"({when})") from None
    except AttributeError as err:
        if "NoneType" in str(err) and "zero_" in str(err):
            raise Wrong(f"sgd_step called `.zero_()` on a `.grad` that is still None ({when}): "
                        "before the first `backward` there is no gradient to zero. Zero the "
                        "gradients at the end, after the step") from None
        raise raised(err, "sgd_step", f"({when})") from None
    except RuntimeError as err:
        if "does not require grad" in str(err):
            raise Wrong(f"`backward` found no gradient to follow ({when}): the loss is not "
                        "connected to the parameters. Compute it with `gap_loss` from "
                        "`linear_model(xb, weights, bias)`, without `.detach()`, `.item()`, "
                        "`torch.no_grad()` or a comparison such as `> 0` (none of them has a "
                        "gradient)") from None
        raise raised(err, "sgd_step", f"({when})") from None
    except Exception as err:  # the learner's code
        raise raised(err, "sgd_step", f"({when})") from None


def _cleared(p: torch.Tensor) -> bool:
    return p.grad is None or torch.count_nonzero(p.grad) == 0


def _one_sgd_step(fn: Any, lr: float, other: float | None) -> None:
    """Call ``fn`` once on new parameters and name what is wrong with the step it made;
    ``other`` is the rate of a call that passed before."""
    w, b, xb, yb = _problem()
    w0, b0 = w.detach().clone(), b.detach().clone()
    _sgd_call(fn, (w, b, xb, yb), lr, f"with lr = {lr}")
    if not (w.requires_grad and w.is_leaf and b.requires_grad and b.is_leaf):
        raise Wrong("the parameters no longer are tensors that autograd tracks (leaves with "
                    "requires_grad=True): update them in place under `torch.no_grad()`")
    moved_w = not torch.equal(w.detach(), w0)
    moved_b = not torch.equal(b.detach(), b0)
    if not moved_w and not moved_b:
        if w.grad is None and b.grad is None:
            raise Wrong("the parameters did not change, and they have no gradient (`.grad` is "
                        "None): compute the loss, call `loss.backward()`, then step each "
                        "parameter in place, `p -= lr * p.grad` inside `torch.no_grad()`")
        if _cleared(w) and _cleared(b):
            raise Wrong("the parameters did not change, and their gradients are zero: the step "
                        "used a gradient that was already zero. Zero `.grad` *after* the step, "
                        "not before it (or, if you wrote `weights = weights - ...`, change the "
                        "parameter itself with `-=` inside `torch.no_grad()`)")
        raise Wrong("the parameters did not change. `weights = weights - lr * weights.grad` "
                    "makes a new local tensor and leaves the parameter as it was; change it "
                    "in place with `-=` (inside `torch.no_grad()`)")
    if not moved_b:
        raise Wrong("the weights moved but the bias did not: step every parameter, the bias "
                    "as well as the weights")
    if not moved_w:
        raise Wrong("the bias moved but the weights did not: step every parameter, the "
                    "weights as well as the bias")
    step = torch.cat([(w0 - w.detach()).flatten(), (b0 - b.detach()).flatten()]).double()
    grad = _gradient(gap_loss, w0, b0, xb, yb)
    if not close(step, lr * grad, atol=1e-7, rtol=1e-4):
        said = f"with lr = {lr}"
        if close(step, -lr * grad, atol=1e-7, rtol=1e-4):
            raise Wrong(f"{said} the loss went up: you stepped along the gradient; step "
                        "against it (`p -= lr * p.grad`)")
        if close(step, _N * lr * grad, atol=1e-7, rtol=1e-4):
            raise Wrong(f"{said} your step is {_N} times too long, as many times as there are "
                        "images: the loss adds the gaps up; `gap_loss` takes their mean")
        for loss_fn, message in _OTHER_LOSSES:
            if close(step, lr * _gradient(loss_fn, w0, b0, xb, yb), atol=1e-7, rtol=1e-4):
                raise Wrong(f"{said} your step follows the gradient of another loss: {message}")
        ratio = step / grad
        rate = ratio.mean().item()
        if close(ratio, torch.full_like(ratio, rate), atol=1e-6, rtol=1e-3):
            if abs(rate - 1) < 1e-4:
                raise Wrong(f"{said} you subtracted the whole gradient: scale it by the "
                            "learning rate, `p -= lr * p.grad`")
            hard = (f"; with lr = {other} it made the same step"
                    if other and abs(rate - other) < 1e-3 * other else "")
            raise Wrong(f"{said} your step moved the parameters by {rate:.4g} times the "
                        f"gradient, where the learning rate asks for {lr} times it{hard}. Is a "
                        "rate written into the function? Use its argument `lr`: `p -= lr * p.grad`")
        raise Wrong(f"{said} the parameters moved, but not by -lr * gradient of `gap_loss`, "
                    "and this check cannot name the slip: the bias went from "
                    f"{b0.item():.6g} to {b.item():.6g}, where "
                    f"{b0.item() - lr * grad[-1].item():.6g} is expected")
    if not (_cleared(w) and _cleared(b)):
        raise Wrong("the step is right, but `.grad` is not zero afterwards; the next "
                    "batch's `backward` would add its gradient to it: finish with "
                    "`p.grad.zero_()`, after the step")


def _after(steps: int, lr: float, *, accumulate: bool = False) -> tuple[torch.Tensor, ...]:
    """The parameters after ``steps`` right steps, or steps whose gradients pile up."""
    w, b, xb, yb = _problem()
    total = [torch.zeros_like(w), torch.zeros_like(b)]
    for _ in range(steps):
        grads = torch.autograd.grad(gap_loss(linear_model(xb, w, b), yb), (w, b))
        with torch.no_grad():
            for i, (p, g) in enumerate(zip((w, b), grads, strict=True)):
                total[i] = total[i] + g if accumulate else g
                p -= lr * total[i]
    return w.detach(), b.detach()


@sgd_step.checker
def _check_sgd_step(fn: Any) -> None:
    if not callable(fn):
        raise Wrong(f"this exercise wants a function; you gave {describe(fn)}")
    _one_sgd_step(fn, 0.5, None)
    _one_sgd_step(fn, 0.1, 0.5)  # a second rate, so a rate written into the function shows
    # two calls in a row, as training makes them
    lr = 0.5
    w, b, xb, yb = _problem()
    _sgd_call(fn, (w, b, xb, yb), lr, "at the first of two calls in a row")
    _sgd_call(fn, (w, b, xb, yb), lr, "at the second of two calls in a row")
    piled_w, _ = _after(2, lr, accumulate=True)
    if close(w, piled_w, atol=1e-6) and not close(w, _after(2, lr)[0], atol=1e-6):
        raise Wrong("your second step used the sum of both gradients: `backward()` adds to "
                    "`.grad`, so zero it after each step (`p.grad.zero_()`)")
    right_w, right_b = _after(2, lr)
    expect_tensor(w, right_w, "the weights after two calls in a row with lr = 0.5",
                  requires_grad=None)
    expect_tensor(b, right_b, "the bias after two calls in a row with lr = 0.5",
                  requires_grad=None)
    return None

"""From one output to ten: softmax, cross-entropy, a small CNN for all ten digits and its training.

Each function here is defined, and explained, in a notebook 07 cell tagged
``saved:helpers.multiclass`` (``make export`` writes it here); tests/test_shared_code.py checks
the two are the same code, tests/test_multiclass.py checks them against PyTorch's own functions,
and benchmarks/all_digits.py times the CNN recipe.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from helpers.models import conv_block

__all__ = [
    "confusion_matrix",
    "cross_entropy",
    "digit_cnn",
    "evaluate",
    "fit_one_cycle",
    "log_softmax",
    "multiclass_accuracy",
    "predict_shifted",
    "random_shift",
    "softmax",
]


def softmax(logits, dim=-1):
    """Scores to probabilities along ``dim``: subtract the largest, exponentiate, divide."""
    exps = (logits - logits.amax(dim=dim, keepdim=True)).exp()
    return exps / exps.sum(dim=dim, keepdim=True)


def log_softmax(logits, dim=-1):
    """log(softmax(logits)), computed without taking the log of a probability rounded to 0."""
    shifted = logits - logits.amax(dim=dim, keepdim=True)
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


def cross_entropy(logits, targets):
    """Mean over the batch of -log(probability given to the right class).

    logits: (n, classes) scores; targets: (n,) class numbers.
    """
    log_probs = log_softmax(logits, dim=1)
    picked = log_probs[torch.arange(len(targets)), targets]
    return -picked.mean()


def multiclass_accuracy(logits, targets):
    """Share of items whose highest score is at the right class."""
    return (logits.argmax(dim=1) == targets).float().mean()


def random_shift(images, pad=2):
    """Move each image of a batch (n, 1, 28, 28) by up to ``pad`` pixels in each direction."""
    n, _, h, w = images.shape
    padded = F.pad(images, (pad, pad, pad, pad))  # a blank border on all four sides
    dy, dx = torch.randint(0, 2 * pad + 1, (2, n)).tolist()  # each image's window corner
    return torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])


def digit_cnn(channels=(16, 32, 64, 128)):
    """A 5x5 stride-2 first layer, two conv_blocks and a 2x2 stride-2 last layer
    (28 -> 14 -> 7 -> 4 -> 2 pixels), then a linear layer: ten scores."""
    c1, c2, c3, c4 = channels
    first = nn.Sequential(nn.Conv2d(1, c1, kernel_size=5, stride=2, padding=2, bias=False),
                          nn.BatchNorm2d(c1), nn.ReLU())
    last = nn.Sequential(nn.Conv2d(c3, c4, kernel_size=2, stride=2, bias=False),
                         nn.BatchNorm2d(c4), nn.ReLU())
    return nn.Sequential(first, conv_block(c1, c2), conv_block(c2, c3), last,
                         nn.Flatten(), nn.Linear(c4 * 2 * 2, 10))


def evaluate(model, images, classes, batch_size=1000):
    """Cross-entropy and accuracy of ``model`` on images it is not trained on."""
    model.eval()  # batchnorm: use the running averages, not the batch's own
    with torch.no_grad():
        logits = torch.cat([model(images[i:i + batch_size])
                            for i in range(0, len(images), batch_size)])
    return cross_entropy(logits, classes).item(), multiclass_accuracy(logits, classes).item()


def fit_one_cycle(model, train, valid, epochs, lr, batch_size=256, pad=2):
    """Train ``model`` on shifted images: SGD with momentum, one-cycle schedule, label smoothing.

    ``train`` and ``valid`` are (images, classes); prints and returns (validation loss,
    validation accuracy) after each epoch.
    """
    model.to(memory_format=torch.channels_last)  # a pixel layout CPU convolutions run faster in
    images, classes = train
    steps = len(images) // batch_size  # whole batches only
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True,
                          weight_decay=5e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps)
    history = []
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(images))  # a new shuffle every epoch
        total = 0.0
        for step in range(steps):
            idx = order[step * batch_size:(step + 1) * batch_size]
            logits = model(random_shift(images[idx], pad))  # predict
            loss = F.cross_entropy(logits, classes[idx], label_smoothing=0.1)  # loss
            loss.backward()  # gradient
            opt.step()  # step
            opt.zero_grad()
            schedule.step()  # the learning rate for the next step
            total += loss.item()
        history.append(evaluate(model, *valid))
        print(f"epoch {epoch + 1:>2}  train loss {total / steps:.4f}  "
              f"valid loss {history[-1][0]:.4f}  valid accuracy {history[-1][1]:.4f}")
    return history


def confusion_matrix(predicted, actual, n_classes):
    """Counts (n_classes, n_classes): row = actual class, column = predicted class."""
    cm = torch.zeros(n_classes, n_classes, dtype=torch.long)
    for a, p in zip(actual.tolist(), predicted.tolist(), strict=True):
        cm[a, p] += 1
    return cm


def predict_shifted(model, images, batch_size=1000):
    """Probabilities (n, classes), averaged over each image and its four copies moved by one
    pixel: test-time augmentation."""
    model.eval()
    h, w = images.shape[-2:]
    padded = F.pad(images, (1, 1, 1, 1))
    total = 0
    with torch.no_grad():
        for dy, dx in [(1, 1), (0, 1), (2, 1), (1, 0), (1, 2)]:  # (1, 1) is the image itself
            moved = padded[..., dy:dy + h, dx:dx + w]
            total = total + torch.cat([softmax(model(moved[i:i + batch_size]))
                                       for i in range(0, len(images), batch_size)])
    return total / 5

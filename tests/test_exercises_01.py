"""Notebook 01's exercises: plausible wrong answers fail, each with the message meant for it."""

from __future__ import annotations

import numpy as np
import torch


def _overall(preds, labels, digit):
    return (preds == labels).float().mean()


def _precision(preds, labels, digit):
    return (preds == labels)[preds == digit].float().mean()


def _divided_by_all(preds, labels, digit):
    return ((preds == labels) & (labels == digit)).float().mean()


def _bool_mean(preds, labels, digit):
    return (preds == labels)[labels == digit].mean()


def _count(preds, labels, digit):
    return (preds == labels)[labels == digit].sum()


WRONG_ANSWERS = {
    "reshape": [
        ((3, 784), "a view keeps every value"),
        ((6, 784), "each image flattened"),
        ((3, 28, 56), "exactly two axes"),
        ("error", "it runs without an error"),
    ],
    "broadcast": [
        ((5, 2, 28, 28), "shapes line up from the RIGHT"),
        ((2, 1, 28, 28), "a size-1 axis stretches"),
        ((5, 28, 28), "keeps every axis of either tensor"),
        ("error", "it does broadcast"),
        (2, "a shape is a tuple"),
    ],
    "max_distance": [
        (lambda images, ideal: (images - ideal).abs().max(), "over all images at once"),
        (lambda images, ideal: (images - ideal).amax((-1, -2)), "forgot the absolute value"),
        (lambda images, ideal: (ideal - images).amax((-1, -2)), "forgot the absolute value"),
        (lambda images, ideal: (images - ideal).abs().amin((-1, -2)), "the smallest"),
        (lambda images, ideal: (images - ideal).abs().mean((-1, -2)), "that is the L1 distance"),
        (lambda images, ideal: (images - ideal).abs().amax(-1), "reduced only one axis"),
        (lambda images, ideal: (images - ideal).abs().flatten(1).max(-1),
         "returns the values AND their positions"),
        (lambda images, ideal: (images - ideal).abs().max((-1, -2)),
         "takes only one axis at a time"),
        (lambda images, ideal: (images - ideal).abs().amax((-1, -2)).squeeze(),
         "a batch of one image"),
    ],
    "per_class_accuracy": [
        (_overall, "accuracy over ALL images"),
        (_precision, "PREDICTED as `digit`"),
        (_divided_by_all, "divided by the number of all images"),
        (_bool_mean, "`.float()` before `.mean()`"),
        (_count, "a count"),
    ],
}


def _loop_per_class(preds, labels, digit):
    right = total = 0
    for p, y in zip(preds.tolist(), labels.tolist(), strict=True):
        if y == digit:
            total += 1
            right += p == y
    return right / total


RIGHT_ANSWERS = {
    "reshape": [torch.Size([3, 1568]), [3, 1568], (np.int64(3), np.int64(1568))],
    "broadcast": [[2, 5, 28, 28], torch.Size([2, 5, 28, 28])],
    "max_distance": [
        lambda images, ideal: (images.double() - ideal.double()).abs().amax((-1, -2)),
        lambda images, ideal: (ideal - images).abs().flatten(1).max(dim=1).values,
        lambda images, ideal: torch.stack([(im - ideal).abs().max() for im in images]),
    ],
    "per_class_accuracy": [
        lambda p, y, d: ((p == y) & (y == d)).sum().item() / (y == d).sum().item(),
        _loop_per_class,
        lambda p, y, d: (p[y == d] == d).double().mean(),
        lambda p, y, d: np.float64((p == y)[y == d].float().mean().item()),
    ],
}

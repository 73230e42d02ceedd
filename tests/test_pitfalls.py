"""Notebook 08's training loop with bug switches: off, it must be notebook 03's ``train_epoch``;
each switch, on, must put back exactly the bug the notebook says it does.

The loop (``new_params`` and ``fit``) is taken from the notebook's code cells and run on small
synthetic data, so these tests need no MNIST.
"""

from __future__ import annotations

import ast
from functools import partial

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from helpers.repro import set_seed
from helpers.training import (
    batch_accuracy,
    gap_loss,
    linear_model,
    make_loaders,
    random_params,
    train_epoch,
    validate,
)
from tests.conftest import ROOT, code_cells, read_notebook

NOTEBOOK = ROOT / "notebooks" / "08_pitfalls.ipynb"
SEED = 42


@pytest.fixture(scope="module")
def nb():
    """The notebook's ``new_params`` and ``fit``, defined in a namespace of their own."""
    if not NOTEBOOK.exists():
        pytest.skip("notebooks/08_pitfalls.ipynb is not there")
    wanted = {"new_params", "fit"}
    found = {}
    for source in code_cells(read_notebook(NOTEBOOK)):
        if "def fit(" not in source:
            continue
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef) and node.name in wanted:
                found[node.name] = ast.get_source_segment(source, node)
    assert set(found) == wanted, f"notebook 08 lacks {wanted - set(found)}"
    namespace = {
        "torch": torch, "DataLoader": DataLoader, "TensorDataset": TensorDataset,
        "partial": partial, "set_seed": set_seed, "random_params": random_params,
        "linear_model": linear_model, "make_loaders": make_loaders, "gap_loss": gap_loss,
        "batch_accuracy": batch_accuracy, "validate": validate,
        "SEED": SEED, "LR": 1.0, "device": torch.device("cpu"),
    }
    for name in ("new_params", "fit"):
        exec(compile(found[name], str(NOTEBOOK), "exec"), namespace)
    return namespace


def _data(n: int, seed: int = 0):
    """``n`` fake 784-pixel images in [0, 1], sorted as on disk: the positive half first.

    Faint noise everywhere; a positive has extra ink on pixels 0-99, a negative on 100-199.
    """
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 784, generator=g) * 0.3
    y = (torch.arange(n) < n // 2).float().unsqueeze(1)
    x[: n // 2, :100] += 0.5
    x[n // 2:, 100:200] += 0.5
    return x, y


def test_no_switch_is_train_epoch(nb):
    train, valid = _data(700), _data(200, seed=1)
    (w, b), history = nb["fit"](train, valid, 3, lr=0.5)
    set_seed(SEED)
    w_ref, b_ref = nb["new_params"]()
    train_dl, valid_dl = make_loaders(train, valid)
    for _ in range(3):
        train_epoch(partial(linear_model, weights=w_ref, bias=b_ref), train_dl, [w_ref, b_ref], 0.5)
    assert torch.equal(w, w_ref.detach()) and torch.equal(b, b_ref.detach())
    model = partial(linear_model, weights=w_ref, bias=b_ref)
    assert history["valid"][-1] == validate(model, valid_dl)
    assert len(history["loss"]) == 3 * 3 and len(history["valid"]) == 3


def test_params_start_small_and_seeded(nb):
    set_seed(SEED)
    w1, b1 = nb["new_params"]()
    set_seed(SEED)
    w2, _ = nb["new_params"]()
    assert w1.shape == (784, 1) and b1.shape == (1,) and w1.requires_grad and w1.is_leaf
    assert torch.equal(w1, w2) and 0.005 < w1.std().item() < 0.02


def test_unzeroed_gradients_add_up(nb):
    train = _data(200)  # one batch per epoch, so every step sees the same gradient
    _, zeroed = nb["fit"](train, train, 4, lr=0.0)
    _, summed = nb["fit"](train, train, 4, lr=0.0, zero_grads=False)
    g = zeroed["grad_norm"][0]
    assert zeroed["grad_norm"] == pytest.approx([g] * 4, rel=1e-6)
    assert summed["grad_norm"] == pytest.approx([g * k for k in (1, 2, 3, 4)], rel=1e-5)


def test_unsorted_switch_reads_batches_in_file_order(nb):
    train = _data(700)
    _, history = nb["fit"](train, train, 1, lr=0.0, shuffle=False)
    set_seed(SEED)
    w, b = nb["new_params"]()
    with torch.no_grad():
        expected = [gap_loss(linear_model(train[0][i:i + 256], w, b), train[1][i:i + 256]).item()
                    for i in range(0, 700, 256)]
    assert history["loss"] == pytest.approx(expected, rel=1e-6)
    _, shuffled = nb["fit"](train, train, 1, lr=0.0)
    assert shuffled["loss"] != pytest.approx(expected, rel=1e-3)


def test_redrawn_parameters_never_learn(nb):
    train = _data(700)
    _, fixed = nb["fit"](train, train, 5)
    _, redrawn = nb["fit"](train, train, 5, redraw=True)
    assert min(redrawn["loss"]) > 0.45 and max(redrawn["loss"]) < 0.55
    assert fixed["loss"][-1] < 0.3 and fixed["valid"][-1] > 0.8

import random

import numpy as np
import pytest
import torch

from helpers.repro import get_device, set_seed


def test_seed_reproduces_every_generator():
    set_seed(7)
    first = (random.random(), np.random.rand(), torch.randn(3))
    set_seed(7)
    second = (random.random(), np.random.rand(), torch.randn(3))
    assert first[:2] == second[:2] and torch.equal(first[2], second[2])
    set_seed(8)
    assert not torch.equal(torch.randn(3), first[2])


def test_seed_leaves_the_hash_seed_alone(monkeypatch):
    """PYTHONHASHSEED is read once, at start-up: set_seed does not pretend to fix it."""
    import os

    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    set_seed(3)
    assert "PYTHONHASHSEED" not in os.environ


@pytest.mark.parametrize("bad", [-1, 1.5, "42", True])
def test_bad_seed(bad):
    with pytest.raises(ValueError, match="seed"):
        set_seed(bad)


def test_device(monkeypatch):
    monkeypatch.delenv("HELPERS_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert get_device().type == expected
    monkeypatch.setenv("HELPERS_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    if not torch.cuda.is_available():
        monkeypatch.setenv("HELPERS_DEVICE", "cuda")
        with pytest.raises(RuntimeError, match="unset it"):
            get_device()

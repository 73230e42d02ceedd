"""helpers.data on the real MNIST (via FASTAI_HOME) and on small fake folders for every fault."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from PIL import Image

import helpers.data as hd
from helpers.course import parse_digits
from helpers.data import MNIST_COUNTS, SAMPLE_COUNTS, DataError, load_digits


def test_default_pair_is_mnist_sample(sample37):
    d = sample37
    assert d.digits == (3, 7) and d.source.name == "mnist_sample"
    assert d.train_x.shape == (6131 + 6265, 28, 28) and d.valid_x.shape == (1010 + 1028, 28, 28)
    assert d.train_x.dtype == torch.float32 and d.train_y.dtype == torch.int64
    assert d.train_x.min() >= 0 and d.train_x.max() == 1 and d.valid_x.max() == 1
    for split, counts in SAMPLE_COUNTS.items():
        for digit, n in counts.items():
            assert len(d.images(split, digit)) == n
    # grouped by digit, in the order asked for
    assert (d.train_y[:6131] == 3).all() and (d.train_y[6131:] == 7).all()


def test_pixels_equal_the_png(sample37):
    folder = sample37.source / "valid" / "7"
    first = min(folder.glob("*.png"), key=lambda p: int(p.stem))
    png = torch.tensor(np.asarray(Image.open(first)), dtype=torch.float32) / 255
    assert torch.equal(sample37.images("valid", 7)[0], png)


def test_reversed_pair_keeps_the_order():
    d = load_digits("7,3")
    assert d.digits == (7, 3) and (d.valid_y[:1028] == 7).all()


def test_other_pair_comes_from_full_mnist():
    d = load_digits((2, 9))
    assert d.source.name == "mnist_png"
    assert len(d.train_x) == MNIST_COUNTS["training"][2] + MNIST_COUNTS["training"][9]
    assert len(d.valid_x) == MNIST_COUNTS["testing"][2] + MNIST_COUNTS["testing"][9]
    assert set(d.valid_y.tolist()) == {2, 9}


def test_all_ten_digits():
    d = hd.load_all_digits()
    assert d.train_x.shape == (60000, 28, 28) and d.valid_x.shape == (10000, 28, 28)
    assert torch.bincount(d.train_y).tolist() == list(MNIST_COUNTS["training"].values())


def test_data_dir_is_fastais():
    from fastai.data.external import fastai_path

    assert hd.fastai_data_dir() == fastai_path("data")


@pytest.mark.parametrize("bad", [(3, 3), (3, 10), (-1, 2), (1, 2, 3), "a,b", (True, 2), (2.0, 3)])
def test_bad_digits_name_the_fix(bad):
    with pytest.raises(ValueError, match=r"digit|two|differ"):
        parse_digits(bad)


def test_digits_accept_strings_and_numpy():
    assert parse_digits(" 2, 9") == (2, 9)
    assert parse_digits(np.array([4, 1])) == (4, 1)


def test_images_rejects_unloaded_digit(sample37):
    with pytest.raises(ValueError, match="not loaded"):
        sample37.images("valid", 5)
    with pytest.raises(ValueError, match="split"):
        sample37.images("test", 3)


def test_binary_targets():
    y = torch.tensor([3, 7, 3])
    assert hd.binary_targets(y, 3).tolist() == [[1.0], [0.0], [1.0]]


# ---- faults, on a small fake mnist_sample in a temporary FASTAI_HOME ----------------------

FAKE_COUNTS = {"train": {3: 3, 7: 2}, "valid": {3: 2, 7: 2}}


def _png(path, value, size=28):
    Image.fromarray(np.full((size, size), value, dtype=np.uint8)).save(path)


@pytest.fixture
def fake_home(tmp_path, monkeypatch):
    root = tmp_path / "data" / "mnist_sample"
    for split, counts in FAKE_COUNTS.items():
        for digit, n in counts.items():
            (root / split / str(digit)).mkdir(parents=True)
            for i in range(n):
                _png(root / split / str(digit) / f"{i}.png", 10 * i + digit)
    monkeypatch.setenv("FASTAI_HOME", str(tmp_path))
    monkeypatch.setattr(hd, "SAMPLE_COUNTS", FAKE_COUNTS)
    return root


def test_fake_load_builds_then_uses_the_cache(fake_home, monkeypatch):
    d = load_digits()
    assert (fake_home / hd.CACHE_NAME).exists()
    assert d.train_x.shape == (5, 28, 28)
    assert float(d.images("train", 3)[2, 0, 0]) == pytest.approx(23 / 255)

    def no_decoding(folder):
        raise AssertionError(f"decoded {folder} although the cache matches")

    monkeypatch.setattr(hd, "_decode", no_decoding)
    again = load_digits()
    assert torch.equal(again.train_x, d.train_x)


def test_cache_is_rebuilt_when_a_file_changes(fake_home):
    load_digits()
    target = fake_home / "valid" / "7" / "1.png"
    _png(target, 200)
    os.utime(target, ns=(1, 10**18))  # a clearly different modification time
    d = load_digits()
    assert float(d.images("valid", 7)[1, 0, 0]) == pytest.approx(200 / 255)


def test_partial_folder_names_the_fix(fake_home):
    (fake_home / "train" / "3" / "0.png").unlink()
    with pytest.raises(DataError, match=r"holds 2 images.*expected|complete download has 3"):
        load_digits()


def test_missing_folder_names_the_fix(fake_home):
    for p in (fake_home / "valid" / "3").iterdir():
        p.unlink()
    (fake_home / "valid" / "3").rmdir()
    with pytest.raises(DataError, match=r"missing.*delete it"):
        load_digits()


def test_corrupt_png_names_the_file(fake_home):
    (fake_home / "train" / "7" / "1.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"cannot decode .*1\.png.*delete"):
        load_digits()


def test_wrong_size_png(fake_home):
    _png(fake_home / "valid" / "3" / "0.png", 5, size=32)
    with pytest.raises(DataError, match="not a 28x28"):
        load_digits()


def test_unreadable_cache_is_rebuilt(fake_home):
    first = load_digits()
    (fake_home / hd.CACHE_NAME).write_bytes(b"garbage")
    with pytest.warns(UserWarning, match=r"cannot be read.*rebuilding"):
        again = load_digits()
    assert torch.equal(first.train_x, again.train_x)
    with np.load(fake_home / hd.CACHE_NAME) as npz:  # written anew, readable again
        assert "fingerprints" in npz.files


def test_cache_that_does_not_match_its_record(fake_home):
    load_digits()
    cache = fake_home / hd.CACHE_NAME
    with np.load(cache) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["train_3"] = arrays["train_3"][:1]
    np.savez(cache, **arrays)
    with pytest.warns(UserWarning, match="does not match its own record.*rebuilding"):
        data = load_digits()
    assert len(data.train_x) == len(load_digits().train_x) > 1


def test_no_data_and_no_network(tmp_path, monkeypatch):
    """fastai cannot download, nor can the second source (a local port nobody listens on; see
    tests/test_data_fallback.py for both sources served for real)."""
    import fastai.data.external as fe

    from tests.test_data_fallback import closed_port

    def offline(url, *args, **kwargs):
        raise ConnectionError("network unreachable")

    monkeypatch.setenv("FASTAI_HOME", str(tmp_path))
    monkeypatch.setenv("MNIST_MIRROR", f"http://127.0.0.1:{closed_port()}/")
    monkeypatch.setattr(fe, "untar_data", offline)
    with pytest.raises(DataError, match=r"FASTAI_HOME=.*mnist_sample\.tgz|mnist_sample.tgz"):
        load_digits()

"""helpers.data's two sources, both served from a local HTTP server on 127.0.0.1: fastai's
archive, and MNIST's own IDX files from the mirror when fastai's download fails or is damaged.

The real download code runs (fastai's ``untar_data``, then urllib for the mirror); only the
addresses (``MNIST_SAMPLE_URL``, ``MNIST_PNG_URL``, ``MNIST_MIRROR``), the MD5 sums and the
image counts are the test's: tiny archives and IDX files built here.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import socket
import tarfile
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import helpers.data as hd
from helpers.data import DataError, load_digits

# MNIST in miniature: the labels of the training and test sets, in MNIST's order.
TRAIN_LABELS = [3, 1, 7, 3, 5, 7, 3, 0, 2, 2]
TEST_LABELS = [7, 3, 2, 3, 7, 1, 2]
RNG = np.random.default_rng(0)
TRAIN_IMAGES = RNG.integers(1, 256, (len(TRAIN_LABELS), 28, 28), dtype=np.uint8)
TEST_IMAGES = RNG.integers(1, 256, (len(TEST_LABELS), 28, 28), dtype=np.uint8)
SAMPLE = {"train": {3: 3, 7: 2}, "valid": {3: 2, 7: 2}}
FULL = {"training": {d: Counter(TRAIN_LABELS)[d] for d in range(10)},
        "testing": {d: Counter(TEST_LABELS)[d] for d in range(10)}}


def idx(array: np.ndarray) -> bytes:
    """An array as a gzipped IDX file of unsigned bytes, as MNIST publishes them."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return gzip.compress(header + array.tobytes())


def fastai_archive(name: str, splits: dict[str, str], digits, drop: str | None = None) -> bytes:
    """``name``.tgz in fastai's layout, ``name/{split}/{digit}/{index}.png``; ``drop`` leaves one
    digit folder out."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for folder, (images, labels) in splits.items():
            for i, (img, label) in enumerate(zip(images, labels, strict=True)):
                path = f"{name}/{folder}/{label}/{i}.png"
                if label not in digits or f"{folder}/{label}" == drop:
                    continue
                png = io.BytesIO()
                Image.fromarray(img).save(png, format="PNG")
                info = tarfile.TarInfo(path)
                info.size = png.tell()
                tar.addfile(info, io.BytesIO(png.getvalue()))
    return buf.getvalue()


SAMPLE_TGZ = fastai_archive("mnist_sample", {"train": (TRAIN_IMAGES, TRAIN_LABELS),
                                             "valid": (TEST_IMAGES, TEST_LABELS)}, {3, 7})
MIRROR = {
    "train-images-idx3-ubyte.gz": idx(TRAIN_IMAGES),
    "train-labels-idx1-ubyte.gz": idx(np.array(TRAIN_LABELS, dtype=np.uint8)),
    "t10k-images-idx3-ubyte.gz": idx(TEST_IMAGES),
    "t10k-labels-idx1-ubyte.gz": idx(np.array(TEST_LABELS, dtype=np.uint8)),
}


def expected(split: str, digit: int) -> torch.Tensor:
    images, labels = (TRAIN_IMAGES, TRAIN_LABELS) if split == "train" else (TEST_IMAGES,
                                                                           TEST_LABELS)
    return torch.from_numpy(images[np.array(labels) == digit]).float() / 255


@dataclass
class Sources:
    url: str
    www: Path
    home: Path
    requests: list[str] = field(default_factory=list)

    def put(self, path: str, data: bytes) -> None:
        (self.www / path).write_bytes(data)

    def remove(self, path: str) -> None:
        (self.www / path).unlink()

    def md5(self, name: str, value: str | None = None) -> None:
        """Give the mirror's file ``name`` the MD5 it has now (or ``value``)."""
        hd.MIRROR_FILES[name] = value or hashlib.md5((self.www / "mirror" / name).read_bytes(),
                                                     usedforsecurity=False).hexdigest()

    def leftovers(self) -> list[str]:
        data = self.home / "data"
        return sorted(p.name for p in data.iterdir()) if data.is_dir() else []


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sources(tmp_path, monkeypatch):
    """fastai's sample archive at MNIST_SAMPLE_URL and the four IDX files at MNIST_MIRROR, both
    on a local server, an empty FASTAI_HOME, and the miniature's counts and MD5 sums."""
    www = tmp_path / "www"
    (www / "fastai").mkdir(parents=True)
    (www / "mirror").mkdir()
    seen: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_GET(self):
            seen.append(self.path)
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            functools.partial(Handler, directory=str(www)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    src = Sources(url, www, tmp_path / "home", seen)
    src.put("fastai/mnist_sample.tgz", SAMPLE_TGZ)
    for name, data in MIRROR.items():
        src.put(f"mirror/{name}", data)
    for var in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(var, "127.0.0.1,localhost")
    monkeypatch.setenv("FASTAI_HOME", str(src.home))
    monkeypatch.setenv("MNIST_SAMPLE_URL", f"{url}/fastai/mnist_sample.tgz")
    monkeypatch.setenv("MNIST_PNG_URL", f"{url}/fastai/mnist_png.tgz")
    monkeypatch.setenv("MNIST_MIRROR", f"{url}/mirror/")
    monkeypatch.setattr(hd, "SAMPLE_COUNTS", SAMPLE)
    monkeypatch.setattr(hd, "MNIST_COUNTS", FULL)
    monkeypatch.setattr(hd, "MIRROR_FILES", dict.fromkeys(MIRROR, ""))
    for name in MIRROR:
        src.md5(name)
    yield src
    httpd.shutdown()
    httpd.server_close()


def assert_is_the_miniature(data, pair=(3, 7)) -> None:
    for split in ("train", "valid"):
        for d in pair:
            assert torch.equal(data.images(split, d), expected(split, d)), (split, d)


def test_good_download_comes_from_fastai(sources, recwarn):
    data = load_digits()
    assert data.origin == "fastai" and data.source == sources.home / "data" / "mnist_sample"
    assert_is_the_miniature(data)
    assert sources.requests == ["/fastai/mnist_sample.tgz"]  # the mirror was not asked
    assert not [w for w in recwarn if "built instead" in str(w.message)]


def test_failed_download_falls_back_to_the_mirror(sources):
    sources.remove("fastai/mnist_sample.tgz")  # fastai gets a 404
    with pytest.warns(UserWarning, match=r"fastai's download of mnist_sample failed \(HTTP\w*Error"
                      r".*built instead from MNIST's own files at http://127\.0\.0\.1.*MD5"):
        data = load_digits()
    assert data.origin == f"mirror {sources.url}/mirror/"
    assert_is_the_miniature(data)
    labels = (data.source / "labels.csv").read_text().splitlines()
    assert labels[0] == "name,label" and "train/7/2.png,1" in labels and "valid/3/1.png,0" in labels
    assert sorted(p.name for p in data.source.iterdir() if not p.name.startswith(".")) == [
        "labels.csv", "train", "valid"]  # fastai's layout (notebook 01 globs "train*")
    asked = len(sources.requests)
    again = load_digits()  # from disk now: no network, same tensors, still says where from
    assert len(sources.requests) == asked and again.origin == data.origin
    assert torch.equal(again.train_x, data.train_x) and torch.equal(again.valid_y, data.valid_y)


@pytest.mark.parametrize("damage", ["truncated", "a digit missing"])
def test_damaged_archive_falls_back_and_is_removed(sources, damage):
    if damage == "truncated":
        sources.put("fastai/mnist_sample.tgz", SAMPLE_TGZ[: len(SAMPLE_TGZ) // 2])
    else:
        sources.put("fastai/mnist_sample.tgz", fastai_archive(
            "mnist_sample", {"train": (TRAIN_IMAGES, TRAIN_LABELS),
                             "valid": (TEST_IMAGES, TEST_LABELS)}, {3, 7}, drop="valid/7"))
    with pytest.warns(UserWarning, match="built instead from MNIST's own files"):
        data = load_digits()
    assert data.origin.startswith("mirror ")
    assert_is_the_miniature(data)
    assert not (sources.home / "archive" / "mnist_sample.tgz").exists(), "the bad archive stays"
    assert sources.leftovers() == ["mnist_sample"]


def test_checksum_mismatch_stops_and_leaves_nothing(sources):
    sources.remove("fastai/mnist_sample.tgz")
    sources.md5("t10k-labels-idx1-ubyte.gz", "0" * 32)
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz has MD5 [0-9a-f]{32}, not "
                       r"MNIST's 0{32}.*mnist_sample\.tgz"):
        load_digits()
    assert sources.leftovers() == []
    kept = sources.home / "archive" / "mnist-idx"
    assert sorted(p.name for p in kept.iterdir()) == [  # the good ones are kept for next time
        "t10k-images-idx3-ubyte.gz", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]


@pytest.mark.parametrize(("data", "message"), [
    (gzip.compress(gzip.decompress(MIRROR["t10k-images-idx3-ubyte.gz"])[:-100]), "truncated"),
    (MIRROR["t10k-images-idx3-ubyte.gz"][:-20], "cannot decompress"),
    (idx(np.zeros((7, 28), dtype=np.uint8)), "not an IDX file"),
])
def test_damaged_idx_file_with_a_matching_checksum(sources, data, message):
    """The MD5 sum matches what was served, so the decoding's own checks must catch it."""
    sources.remove("fastai/mnist_sample.tgz")
    sources.put("mirror/t10k-images-idx3-ubyte.gz", data)
    sources.md5("t10k-images-idx3-ubyte.gz")
    with pytest.raises(DataError, match=message):
        load_digits()
    assert sources.leftovers() == []


def test_no_network_at_all(sources, monkeypatch):
    nowhere = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("MNIST_SAMPLE_URL", f"{nowhere}/fastai/mnist_sample.tgz")
    monkeypatch.setenv("MNIST_MIRROR", f"{nowhere}/mirror/")
    with pytest.raises(DataError) as stop:
        load_digits()
    text = str(stop.value)
    assert f"fastai downloads it from {nowhere}/fastai/mnist_sample.tgz" in text
    assert f"MNIST's own files at {nowhere}/mirror/" in text and "URLError" in text
    assert f"FASTAI_HOME={sources.home}" in text and "Connect to the internet" in text
    assert sources.leftovers() == [] and sources.requests == []


def test_other_pairs_fall_back_to_full_mnist_and_reuse_the_files(sources):
    """Full MNIST (training/testing, all ten digits) from the same four files, which are
    downloaded once for both folders."""
    sources.remove("fastai/mnist_sample.tgz")
    with pytest.warns(UserWarning, match="mnist_sample"):
        load_digits()
    with pytest.warns(UserWarning, match=r"fastai's download of mnist_png failed"):
        data = load_digits((2, 3))
    assert data.source.name == "mnist_png" and data.origin.startswith("mirror ")
    assert_is_the_miniature(data, (2, 3))
    assert sorted(p.name for p in (data.source / "training").iterdir()) == list("0123456789")
    assert not (data.source / "labels.csv").exists()  # fastai's full archive has none
    assert sum(r.startswith("/mirror/") for r in sources.requests) == 4
    everything = hd.load_all_digits()
    assert torch.equal(everything.train_y, torch.tensor(sorted(TRAIN_LABELS)))

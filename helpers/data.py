"""MNIST as ready tensors: fetched through fastai, decoded once, cached, and checked.

The default pair (3, 7) comes from fastai's ``URLs.MNIST_SAMPLE``; any other pair, and all ten
digits, come from the full ``URLs.MNIST``. Both are fetched by fastai's ``untar_data`` (so
``FASTAI_HOME`` is respected). The decoded pixels are cached as ``uint8`` arrays in an ``.npz``
file next to the images and rebuilt whenever the image folders change.
"""

from __future__ import annotations

import json
import os
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from helpers.course import parse_digits

__all__ = [
    "MNIST_COUNTS",
    "SAMPLE_COUNTS",
    "DataError",
    "DigitData",
    "binary_targets",
    "fastai_data_dir",
    "load_all_digits",
    "load_digits",
    "parse_digits",
]

SAMPLE_URL = "https://s3.amazonaws.com/fast-ai-sample/mnist_sample.tgz"
MNIST_URL = "https://s3.amazonaws.com/fast-ai-imageclas/mnist_png.tgz"
CACHE_NAME = ".helpers-cache-v1.npz"
SIDE = 28

# Images per digit in each split: what a complete download holds.
SAMPLE_COUNTS = {"train": {3: 6131, 7: 6265}, "valid": {3: 1010, 7: 1028}}
MNIST_COUNTS = {
    "training": dict(enumerate([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])),
    "testing": dict(enumerate([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])),
}


class DataError(RuntimeError):
    """The data could not be fetched, is incomplete or corrupt, or its cache does not match."""


@dataclass(frozen=True)
class DigitData:
    """Images as float32 in [0, 1] with shape (n, 28, 28); labels are the digits themselves.

    Images are grouped by digit (all of ``digits[0]`` first), exactly as they lie on disk:
    shuffling is the data loader's job.
    """

    digits: tuple[int, ...]
    train_x: torch.Tensor
    train_y: torch.Tensor
    valid_x: torch.Tensor
    valid_y: torch.Tensor
    source: Path

    def images(self, split: str, digit: int) -> torch.Tensor:
        """All images of one digit in ``split`` ('train' or 'valid')."""
        if split not in ("train", "valid"):
            raise ValueError(f"split must be 'train' or 'valid', not {split!r}")
        if digit not in self.digits:
            raise ValueError(f"digit {digit} is not loaded; this data holds {self.digits}")
        x, y = (self.train_x, self.train_y) if split == "train" else (self.valid_x, self.valid_y)
        return x[y == digit]

    def __repr__(self) -> str:
        return (
            f"DigitData(digits={self.digits}, train={tuple(self.train_x.shape)}, "
            f"valid={tuple(self.valid_x.shape)}, source={self.source.name!r})"
        )


def binary_targets(y: torch.Tensor, positive: int) -> torch.Tensor:
    """1.0 where the label is ``positive``, 0.0 elsewhere, as a column (n, 1)."""
    return (y == positive).float().unsqueeze(1)


def fastai_data_dir() -> Path:
    """Where fastai's ``untar_data`` extracts datasets (``FASTAI_HOME``'s ``data`` folder).

    Read from fastai's own ``config.ini`` through fastcore, so a warm load does not pay for
    importing fastai (seconds) only to learn a path.
    """
    from fastcore.xtras import Config

    home = Path(os.getenv("FASTAI_HOME", "~/.fastai")).expanduser()
    cfg = Config(home, "config.ini", create=dict(
        data="data", archive="archive", storage="tmp", model="models"))
    return cfg.path("data")


def _fetch(url: str, name: str) -> Path:
    """The extracted folder for ``url``: on disk already, or downloaded by fastai."""
    folder = fastai_data_dir() / name
    if folder.is_dir():
        return folder
    try:
        from fastai.data.external import untar_data

        return Path(untar_data(url))
    except Exception as err:  # network errors come in many types
        home = os.getenv("FASTAI_HOME", "~/.fastai")
        raise DataError(
            f"could not get {name} ({type(err).__name__}: {err}). fastai downloads it from "
            f"{url} into FASTAI_HOME={home}. Connect to the internet and run again, or download "
            f"and extract that archive into {folder.parent} yourself (set FASTAI_HOME to use "
            "another folder)."
        ) from err


def _fingerprint(folder: Path) -> list[int]:
    """Count, total size and newest modification time of the PNG files in ``folder``."""
    count = size = newest = 0
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.endswith(".png"):
                st = entry.stat()
                count += 1
                size += st.st_size
                newest = max(newest, st.st_mtime_ns)
    return [count, size, newest]


def _decode(folder: Path) -> np.ndarray:
    """Decode every PNG in ``folder`` (ordered by file name) into one uint8 array."""
    files = sorted(folder.glob("*.png"), key=lambda p: (len(p.stem), p.stem))
    out = np.empty((len(files), SIDE, SIDE), dtype=np.uint8)
    for i, path in enumerate(files):
        try:
            with Image.open(path) as img:
                arr = np.asarray(img)
        except Exception as err:
            raise DataError(
                f"cannot decode {path} ({err}); the data folder is damaged: delete "
                f"{folder.parent.parent} and run again so fastai fetches it anew"
            ) from err
        if arr.shape != (SIDE, SIDE) or arr.dtype != np.uint8:
            raise DataError(
                f"{path} is {arr.dtype} {arr.shape}, not a 28x28 greyscale image: delete "
                f"{folder.parent.parent} and run again so fastai fetches it anew"
            )
        out[i] = arr
    return out


class _Cache:
    """Decoded folders in one .npz beside the data, each stored with its folder's fingerprint."""

    def __init__(self, root: Path):
        self.path = root / CACHE_NAME
        self.arrays: dict[str, np.ndarray] = {}
        self.prints: dict[str, list[int]] = {}
        self.dirty = False
        if self.path.exists():
            self._read()

    def _read(self) -> None:
        """Load the cache; a damaged one is derived data, so it is rebuilt with a warning."""
        try:
            with np.load(self.path, allow_pickle=False) as npz:
                prints = json.loads(str(npz["fingerprints"]))
                arrays = {key: npz[key] for key in prints}
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
            return self._rebuild(f"cannot be read ({err})")
        for key, arr in arrays.items():
            if arr.dtype != np.uint8 or arr.shape != (prints[key][0], SIDE, SIDE):
                return self._rebuild(f"does not match its own record for {key} ({arr.dtype} "
                                     f"{arr.shape}, {prints[key][0]} images recorded)")
        self.arrays, self.prints = arrays, prints
        return None

    def _rebuild(self, why: str) -> None:
        warnings.warn(f"the cache {self.path} {why}; rebuilding it from the image files",
                      stacklevel=4)
        self.arrays, self.prints, self.dirty = {}, {}, True

    def get(self, key: str, folder: Path) -> np.ndarray:
        """The pixels of ``folder``: from the cache if it still matches, else decoded anew."""
        if not folder.is_dir():
            raise DataError(
                f"{folder} is missing: the data folder {folder.parent.parent} is incomplete; "
                "delete it and run again so fastai fetches it anew"
            )
        fp = _fingerprint(folder)
        if self.prints.get(key) != fp:
            self.arrays[key], self.prints[key] = _decode(folder), fp
            self.dirty = True
        return self.arrays[key]

    def save(self) -> None:
        if not self.dirty:
            return
        tmp = self.path.with_name(f".tmp-{os.getpid()}-{self.path.name}")
        try:
            with open(tmp, "wb") as f:
                np.savez(f, fingerprints=np.array(json.dumps(self.prints)), **self.arrays)
            os.replace(tmp, self.path)
        except OSError as err:
            tmp.unlink(missing_ok=True)
            warnings.warn(f"could not write the cache {self.path} ({err}); loads stay slow",
                          stacklevel=3)
        self.dirty = False


def _check_counts(arr: np.ndarray, folder: Path, expected: int) -> None:
    if len(arr) != expected:
        raise DataError(
            f"{folder} holds {len(arr)} images where a complete download has {expected}: the "
            f"data is partial or damaged; delete {folder.parent.parent} and run again so fastai "
            "fetches it anew"
        )


def _assemble(digits: Iterable[int], parts: dict[str, dict[int, np.ndarray]], source: Path,
              ) -> DigitData:
    digits = tuple(digits)
    tensors = {}
    for split, by_digit in parts.items():
        x = torch.from_numpy(np.concatenate([by_digit[d] for d in digits])).float().div_(255)
        y = torch.cat([torch.full((len(by_digit[d]),), d, dtype=torch.int64) for d in digits])
        tensors[split] = (x, y)
    data = DigitData(digits, *tensors["train"], *tensors["valid"], source)
    for name, x in (("train", data.train_x), ("valid", data.valid_x)):
        if x.ndim != 3 or x.shape[1:] != (SIDE, SIDE) or not 0 <= float(x.min()) <= float(
                x.max()) <= 1 or float(x.max()) == 0:
            raise DataError(f"{name} images failed the shape/range check: {tuple(x.shape)}")
    return data


def _load(url: str, name: str, splits: dict[str, str], counts: dict[str, dict[int, int]],
          digits: tuple[int, ...]) -> DigitData:
    root = _fetch(url, name)
    cache = _Cache(root)
    parts: dict[str, dict[int, np.ndarray]] = {}
    for split, folder_name in splits.items():
        parts[split] = {}
        for d in digits:
            folder = root / folder_name / str(d)
            arr = cache.get(f"{folder_name}_{d}", folder)
            _check_counts(arr, folder, counts[folder_name][d])
            parts[split][d] = arr
    cache.save()
    return _assemble(digits, parts, root)


def load_digits(digits: str | Sequence[int] = (3, 7)) -> DigitData:
    """Train and valid images of two digits.

    (3, 7) comes from fastai's MNIST_SAMPLE (train 6131 + 6265, valid 1010 + 1028); any other
    pair from full MNIST, whose training and testing sets become train and valid.
    """
    pair = parse_digits(digits)
    if set(pair) == {3, 7}:
        return _load(SAMPLE_URL, "mnist_sample", {"train": "train", "valid": "valid"},
                     SAMPLE_COUNTS, pair)
    return _load(MNIST_URL, "mnist_png", {"train": "training", "valid": "testing"},
                 MNIST_COUNTS, pair)


def load_all_digits() -> DigitData:
    """All ten digits of full MNIST: 60,000 training images (train) and 10,000 test (valid)."""
    return _load(MNIST_URL, "mnist_png", {"train": "training", "valid": "testing"},
                 MNIST_COUNTS, tuple(range(10)))

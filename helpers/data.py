"""MNIST as ready tensors: fetched through fastai, decoded once, cached, and checked.

The default pair (3, 7) comes from fastai's ``URLs.MNIST_SAMPLE``; any other pair, and all ten
digits, come from the full ``URLs.MNIST``. Both are fetched by fastai's ``untar_data`` (so
``FASTAI_HOME`` is respected). The decoded pixels are cached as ``uint8`` arrays in an ``.npz``
file next to the images and rebuilt whenever the image folders change.

When fastai's download fails, or gives an archive that does not extract or lacks images, the
folder is built instead from the four original MNIST files (IDX format) of a second source,
:data:`MIRROR_URL` (the mirror torchvision downloads MNIST from), each checked against its MD5
sum: the same PNG files in fastai's layout, named by their index in MNIST as fastai's are, with
the same pixels. A warning says so, and ``DigitData.origin`` tells which source a folder came
from. The environment variables ``MNIST_SAMPLE_URL``, ``MNIST_PNG_URL`` and ``MNIST_MIRROR``
point the two sources elsewhere (a local mirror, the tests' server); the archive's file name must
stay ``mnist_sample.tgz`` / ``mnist_png.tgz``, which fastai names the folder after.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from helpers.course import parse_digits

__all__ = [
    "MIRROR_URL",
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
# The second source: MNIST's four original files, from the first of torchvision's mirrors
# (torchvision.datasets.MNIST.mirrors), with the MD5 sums torchvision checks them against.
MIRROR_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MIRROR_FILES = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
DOWNLOAD_TIMEOUT = 60  # seconds without data before a download from the mirror gives up
CACHE_NAME = ".helpers-cache-v1.npz"
SOURCE_NAME = ".helpers-source"  # in a folder built from the mirror: where it came from
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
    origin: str = "fastai"  # "mirror <url>" when the folder was built from MNIST's own files

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
    return _fastai_path("data")


def _fastai_path(key: str) -> Path:
    """A folder of fastai's ``config.ini``: ``data`` (extracted datasets) or ``archive``."""
    from fastcore.xtras import Config

    home = Path(os.getenv("FASTAI_HOME", "~/.fastai")).expanduser()
    cfg = Config(home, "config.ini", create=dict(
        data="data", archive="archive", storage="tmp", model="models"))
    return cfg.path(key)


def _count_complete(root: Path, counts: dict[str, dict[int, int]]) -> None:
    """Raise DataError unless every digit folder under ``root`` holds its number of PNG files."""
    for folder_name, by_digit in counts.items():
        for d, expected in by_digit.items():
            folder = root / folder_name / str(d)
            n = _fingerprint(folder)[0] if folder.is_dir() else 0
            if n != expected:
                raise DataError(f"{folder} holds {n} images where a complete download has "
                                f"{expected}")


def _from_fastai(url: str, folder: Path, counts: dict[str, dict[int, int]]) -> Path:
    """fastai's download of ``url``, extracted into ``folder`` and checked to be complete; on any
    failure, what it left (the archive, the folder) is removed and the error raised."""
    try:
        from fastai.data.external import untar_data

        # base: the config.ini of FASTAI_HOME as it is now, which fastai_data_dir has just
        # read (and written, when new); fastai's own fastai_cfg() keeps the first one it read.
        home = Path(os.getenv("FASTAI_HOME", "~/.fastai")).expanduser()
        root = Path(untar_data(url, base=str(home)))
        if root != folder:
            raise DataError(f"fastai extracted {url} to {root}, not {folder}: the archive must "
                            f"be named {folder.name}.tgz")
        _count_complete(root, counts)
        return root
    except BaseException:
        from urllib.parse import urlparse

        (_fastai_path("archive") / Path(urlparse(url).path).name).unlink(missing_ok=True)
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
        raise


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _mirror_file(mirror: str, name: str, keep: Path) -> Path:
    """MNIST file ``name`` in the folder ``keep``: there already with the right MD5, or
    downloaded from ``mirror`` and checked."""
    import urllib.request

    expected = MIRROR_FILES[name]
    path = keep / name
    if path.is_file() and _md5(path) == expected:
        return path
    url = mirror.rstrip("/") + "/" + name
    keep.mkdir(parents=True, exist_ok=True)
    part = keep / f".{name}.{os.getpid()}.part"
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response, \
                open(part, "wb") as out:
            shutil.copyfileobj(response, out)
        got = _md5(part)
        if got != expected:
            raise DataError(f"{url} has MD5 {got}, not MNIST's {expected}: the file is damaged "
                            "or not MNIST's")
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    return path


def _read_idx(path: Path, ndim: int) -> np.ndarray:
    """An IDX file (gzipped) as a uint8 array: a 0x08 0x0N header, N big-endian sizes, the data."""
    try:
        raw = gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"cannot decompress {path} ({err})") from err
    head = 4 + 4 * ndim
    if len(raw) < head or raw[:4] != bytes([0, 0, 8, ndim]):
        raise DataError(f"{path} is not an IDX file of unsigned bytes with {ndim} dimensions")
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    if len(raw) - head != int(np.prod(shape)):
        raise DataError(f"{path} holds {len(raw) - head} bytes of data where its header "
                        f"{shape} promises {int(np.prod(shape))}: it is truncated")
    return np.frombuffer(raw, dtype=np.uint8, offset=head).reshape(shape)


def _from_mirror(mirror: str, folder: Path, splits: dict[str, str],
                 counts: dict[str, dict[int, int]]) -> Path:
    """Build ``folder`` in fastai's layout from MNIST's IDX files: ``{split}/{digit}/{i}.png``,
    ``i`` being the image's index in MNIST's training or test set (as in fastai's archives)."""
    keep = _fastai_path("archive") / "mnist-idx"
    tmp = folder.parent / f".{folder.name}.{os.getpid()}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    sample = folder.name == "mnist_sample"  # fastai's sample lists its files: 3 as 0, 7 as 1
    rows = ["name,label"]
    try:
        for split, folder_name in splits.items():
            prefix = "train" if split == "train" else "t10k"
            images = _read_idx(_mirror_file(mirror, f"{prefix}-images-idx3-ubyte.gz", keep), 3)
            labels = _read_idx(_mirror_file(mirror, f"{prefix}-labels-idx1-ubyte.gz", keep), 1)
            if images.shape[1:] != (SIDE, SIDE) or len(images) != len(labels):
                raise DataError(f"MNIST's {prefix} files hold images {images.shape} and labels "
                                f"{labels.shape}, not one 28x28 image per label")
            for d in counts[folder_name]:
                out = tmp / folder_name / str(d)
                out.mkdir(parents=True)
                for i in np.flatnonzero(labels == d):
                    Image.fromarray(images[i]).save(out / f"{i}.png")
                    if sample:
                        rows.append(f"{folder_name}/{d}/{i}.png,{int(d == 7)}")
        if sample:
            (tmp / "labels.csv").write_text("\n".join(rows) + "\n")
        (tmp / SOURCE_NAME).write_text(f"mirror {mirror}\n")
        _count_complete(tmp, counts)
        try:
            tmp.rename(folder)
        except OSError:
            if not folder.is_dir():  # unless another process has just built it
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def _brief(err: BaseException) -> str:
    """An error as one short line: its type and the first line of its message."""
    text = str(err).strip().splitlines()
    line = text[0] if text else ""
    return f"{type(err).__name__}: {line[:200]}"


def _origin(root: Path) -> str:
    record = root / SOURCE_NAME
    return record.read_text().strip() if record.is_file() else "fastai"


def _fetch(url: str, name: str, splits: dict[str, str], counts: dict[str, dict[int, int]],
           ) -> Path:
    """The extracted folder for ``url``: on disk already, downloaded by fastai, or else built
    from MNIST's own files on the mirror."""
    folder = fastai_data_dir() / name
    if folder.is_dir():
        return folder
    try:
        return _from_fastai(url, folder, counts)
    except Exception as err:  # network errors come in many types
        first = err
    mirror = os.getenv("MNIST_MIRROR") or MIRROR_URL
    try:
        root = _from_mirror(mirror, folder, splits, counts)
    except Exception as err:
        home = os.getenv("FASTAI_HOME", "~/.fastai")
        raise DataError(
            f"could not get {name} ({_brief(first)}; and from the second source, MNIST's own "
            f"files at {mirror}: {_brief(err)}). fastai downloads it "
            f"from {url} into FASTAI_HOME={home}. Connect to the internet and run again, or "
            f"download and extract that archive into {folder.parent} yourself (set FASTAI_HOME "
            "to use another folder)."
        ) from err
    warnings.warn(f"fastai's download of {name} failed ({_brief(first)}); "
                  f"{folder} was built instead from MNIST's own files at {mirror}, each checked "
                  "against its MD5 sum", stacklevel=4)
    return root


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
              origin: str = "fastai") -> DigitData:
    digits = tuple(digits)
    tensors = {}
    for split, by_digit in parts.items():
        x = torch.from_numpy(np.concatenate([by_digit[d] for d in digits])).float().div_(255)
        y = torch.cat([torch.full((len(by_digit[d]),), d, dtype=torch.int64) for d in digits])
        tensors[split] = (x, y)
    data = DigitData(digits, *tensors["train"], *tensors["valid"], source, origin)
    for name, x in (("train", data.train_x), ("valid", data.valid_x)):
        if x.ndim != 3 or x.shape[1:] != (SIDE, SIDE) or not 0 <= float(x.min()) <= float(
                x.max()) <= 1 or float(x.max()) == 0:
            raise DataError(f"{name} images failed the shape/range check: {tuple(x.shape)}")
    return data


def _load(url: str, name: str, splits: dict[str, str], counts: dict[str, dict[int, int]],
          digits: tuple[int, ...]) -> DigitData:
    root = _fetch(url, name, splits, counts)
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
    return _assemble(digits, parts, root, _origin(root))


def load_digits(digits: str | Sequence[int] = (3, 7)) -> DigitData:
    """Train and valid images of two digits.

    (3, 7) comes from fastai's MNIST_SAMPLE (train 6131 + 6265, valid 1010 + 1028); any other
    pair from full MNIST, whose training and testing sets become train and valid.
    """
    pair = parse_digits(digits)
    if set(pair) == {3, 7}:
        return _load(os.getenv("MNIST_SAMPLE_URL") or SAMPLE_URL, "mnist_sample",
                     {"train": "train", "valid": "valid"}, SAMPLE_COUNTS, pair)
    return _load(os.getenv("MNIST_PNG_URL") or MNIST_URL, "mnist_png",
                 {"train": "training", "valid": "testing"}, MNIST_COUNTS, pair)


def load_all_digits() -> DigitData:
    """All ten digits of full MNIST: 60,000 training images (train) and 10,000 test (valid)."""
    return _load(os.getenv("MNIST_PNG_URL") or MNIST_URL, "mnist_png",
                 {"train": "training", "valid": "testing"}, MNIST_COUNTS, tuple(range(10)))

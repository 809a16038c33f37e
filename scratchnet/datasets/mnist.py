"""MNIST and Fashion-MNIST: found on disk or downloaded, checksummed, read from IDX files.

Search order for each file (the first directory holding it wins; ``.gz`` or uncompressed):

1. ``$SCRATCHNET_DATA/<name>/`` when the environment variable is set;
2. the user cache ``$XDG_CACHE_HOME/scratchnet/<name>/`` (default ``~/.cache/scratchnet/<name>/``);
3. ``/usr/share/datasets/<name>/`` (Debian's ``dataset-fashion-mnist`` package);
4. otherwise it is downloaded from the official source or a mirror into the user cache.

With ``root=`` (torchvision's argument), the folders are torchvision's ``root/<Folder>/raw/``
(``root/FashionMNIST/raw/``, ``root/MNIST/raw/``), then ``root/<name>/``, ``root``, then the system
copy; a download goes to the first of them, as torchvision's.

``<name>`` is ``mnist`` or ``fashion-mnist``. Every file, found or downloaded, is checked against a
known SHA-256 digest before use; see ``FileSpec`` for which bytes are hashed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scratchnet.backend import xp
from scratchnet.data.dataset import Dataset
from scratchnet.datasets.download import ChecksumError, DownloadError, download, verify_sha256
from scratchnet.datasets.idx import IMAGES_MAGIC, LABELS_MAGIC, decompress, parse_idx

SYSTEM_DATA_DIR = Path("/usr/share/datasets")
"""Where distributions install data sets (Debian's ``dataset-fashion-mnist``)."""


class DatasetNotFoundError(FileNotFoundError, RuntimeError):
    """A data set file that is on no search path and could not be downloaded (a ``RuntimeError`` too,
    what torchvision raises for "Dataset not found")."""


@dataclass(frozen=True)
class FileSpec:
    """One IDX file of a data set and its known digest.

    ``sha256`` is the digest of the *decompressed* IDX bytes, so that any faithful copy passes,
    however it was compressed (Debian's ``.gz`` files differ byte-wise from the official ones).
    Where only the digest of the official ``.gz`` file is known (``gz_sha256``), the file must be
    that official ``.gz`` byte for byte.
    """

    filename: str
    magic: int
    sha256: str | None = None
    gz_sha256: str | None = None


@dataclass(frozen=True)
class IDXDatasetSpec:
    """Where a data set of four IDX files lives and how to check it."""

    name: str
    title: str
    mirrors: tuple[str, ...]
    train_images: FileSpec
    train_labels: FileSpec
    test_images: FileSpec
    test_labels: FileSpec

    @property
    def files(self) -> tuple[FileSpec, FileSpec, FileSpec, FileSpec]:
        """The four files in the order train images, train labels, test images, test labels."""
        return (self.train_images, self.train_labels, self.test_images, self.test_labels)


FASHION_MNIST = IDXDatasetSpec(
    name="fashion-mnist",
    title="Fashion-MNIST",
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
             "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
    # SHA-256 of the decompressed IDX bytes, computed from Debian's dataset-fashion-mnist files.
    train_images=FileSpec("train-images-idx3-ubyte.gz", IMAGES_MAGIC,
                          "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
    train_labels=FileSpec("train-labels-idx1-ubyte.gz", LABELS_MAGIC,
                          "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
    test_images=FileSpec("t10k-images-idx3-ubyte.gz", IMAGES_MAGIC,
                         "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
    test_labels=FileSpec("t10k-labels-idx1-ubyte.gz", LABELS_MAGIC,
                         "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
)

MNIST_SPEC = IDXDatasetSpec(
    name="mnist",
    title="MNIST",
    mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
             "https://storage.googleapis.com/cvdf-datasets/mnist/",
             "http://yann.lecun.com/exdb/mnist/"),
    # SHA-256 of the official .gz files as published in TensorFlow Datasets' url_checksums/mnist.txt.
    # They could not be re-verified where this was written (no MNIST copy, no network); the
    # decompressed digests are unknown, so only the official .gz files are accepted.
    train_images=FileSpec("train-images-idx3-ubyte.gz", IMAGES_MAGIC,
                          gz_sha256="440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    train_labels=FileSpec("train-labels-idx1-ubyte.gz", LABELS_MAGIC,
                          gz_sha256="3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    test_images=FileSpec("t10k-images-idx3-ubyte.gz", IMAGES_MAGIC,
                         gz_sha256="8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    test_labels=FileSpec("t10k-labels-idx1-ubyte.gz", LABELS_MAGIC,
                         gz_sha256="f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
)


def cache_dir(name: str) -> Path:
    """The user cache directory of data set ``name``: ``$XDG_CACHE_HOME/scratchnet/<name>``
    (``~/.cache/scratchnet/<name>`` when ``XDG_CACHE_HOME`` is unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "scratchnet" / name


TORCHVISION_FOLDERS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}
"""torchvision's folder under ``root`` for each data set; its files are in ``root/<folder>/raw/``."""


def search_dirs(name: str, root: str | Path | None = None) -> list[Path]:
    """The directories searched for data set ``name``, in order. With a ``root`` (torchvision's
    ``root=``): torchvision's ``root/<Folder>/raw``, ``root/<name>``, ``root``, then the system copy."""
    if root is not None:
        root = Path(root).expanduser()
        torchvision = [root / TORCHVISION_FOLDERS[name] / "raw"] if name in TORCHVISION_FOLDERS else []
        return torchvision + [root / name, root, SYSTEM_DATA_DIR / name]
    dirs = []
    if os.environ.get("SCRATCHNET_DATA"):
        dirs.append(Path(os.environ["SCRATCHNET_DATA"]).expanduser() / name)
    return dirs + [cache_dir(name), SYSTEM_DATA_DIR / name]


def _candidates(directory: Path, spec: FileSpec) -> list[Path]:
    names = [spec.filename, spec.filename.removesuffix(".gz")]
    return [directory / n for n in dict.fromkeys(names)]


def _verified_bytes(path: Path, spec: FileSpec) -> bytes:
    """The decompressed IDX bytes of ``path`` after checking them against ``spec``'s digest."""
    raw = path.read_bytes()
    if spec.sha256 is None and spec.gz_sha256 is not None:
        verify_sha256(raw, spec.gz_sha256, str(path))
    data = decompress(raw, str(path))
    if spec.sha256 is not None:
        verify_sha256(data, spec.sha256, str(path))
    elif spec.gz_sha256 is None:
        raise ChecksumError(f"no known SHA-256 digest for {path.name}; refusing an unverified file")
    return data


def _where_to_put(spec: IDXDatasetSpec, dirs: list[Path]) -> str:
    files = ", ".join(f.filename for f in spec.files)
    places = "\n  ".join(str(d) for d in dirs)
    hint = " (set SCRATCHNET_DATA=/some/dir to use /some/dir/" + spec.name + "/)"
    debian = (" On Debian/Ubuntu, `apt-get install dataset-fashion-mnist` installs them in "
              f"{SYSTEM_DATA_DIR / spec.name}." if spec.name == "fashion-mnist" else "")
    return f"Put the files {files} in one of:\n  {places}\n{hint}.{debian}"


def locate(spec: IDXDatasetSpec, file: FileSpec, root: str | Path | None = None, fetch: bool = True,
           progress: bool = True, timeout: float = 30.0) -> Path:
    """The path of ``file``: the first copy on the search path, else a fresh verified download."""
    dirs = search_dirs(spec.name, root)
    for directory in dirs:
        for path in _candidates(directory, file):
            if path.is_file():
                return path
    where = _where_to_put(spec, dirs)
    if not fetch:
        raise DatasetNotFoundError("Dataset not found. You can use download=True to download it "
                                   f"({spec.title}: {file.filename} is in no folder searched and "
                                   f"download=False). {where}")
    destination = (dirs[0] if root is not None else cache_dir(spec.name)) / file.filename
    urls = [mirror.rstrip("/") + "/" + file.filename for mirror in spec.mirrors]
    try:
        return download(urls, destination, lambda path: _check_download(path, file), timeout, progress)
    except DownloadError as error:
        raise DatasetNotFoundError(f"{spec.title}: {file.filename} is not on disk and could not be "
                                   f"downloaded (offline?).\n{error}\n{where}") from error


def _check_download(path: Path, file: FileSpec) -> None:
    parse_idx(_verified_bytes(path, file), str(path), file.magic)


def load_file(spec: IDXDatasetSpec, file: FileSpec, **options: Any) -> xp.ndarray:
    """The verified array of one file of ``spec`` (options as for ``locate``)."""
    path = locate(spec, file, **options)
    return parse_idx(_verified_bytes(path, file), str(path), file.magic)


def load_idx_dataset(spec: IDXDatasetSpec, root: str | Path | None = None, download: bool = True,
                     progress: bool = True, timeout: float = 30.0) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """``((x_train, y_train), (x_test, y_test))`` of an IDX data set, found or downloaded, verified."""
    options = {"root": root, "fetch": download, "progress": progress, "timeout": timeout}
    x_train, y_train, x_test, y_test = (load_file(spec, f, **options) for f in spec.files)
    for split, (x, y) in (("train", (x_train, y_train)), ("test", (x_test, y_test))):
        if len(x) != len(y):
            raise ValueError(f"{spec.title} {split}: {len(x)} images but {len(y)} labels")
    return (x_train, y_train), (x_test, y_test)


def load_mnist(root: str | Path | None = None, download: bool = True,
               progress: bool = True) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """MNIST digits as ``((x_train, y_train), (x_test, y_test))``, like ``keras.datasets.mnist.load_data``.

    Images are uint8 ``(N, 28, 28)`` with N = 60,000 / 10,000; labels are uint8 class indices 0-9
    (Keras's dtype). See the module docstring for where the files are looked for.
    """
    return load_idx_dataset(MNIST_SPEC, root, download, progress)


def load_fashion_mnist(root: str | Path | None = None, download: bool = True,
                       progress: bool = True) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Fashion-MNIST as ``((x_train, y_train), (x_test, y_test))``, like
    ``keras.datasets.fashion_mnist.load_data``: uint8 images ``(N, 28, 28)``, uint8 labels 0-9."""
    return load_idx_dataset(FASHION_MNIST, root, download, progress)


class _IDXImageDataset(Dataset):
    """A PyTorch-style data set over one split of an IDX image data set (torchvision's ``MNIST``).

    ``dataset[i]`` is ``(transform(image), target_transform(label))``; the image is a uint8
    ``(28, 28)`` array and the label a Python int when no transform is given. Without transforms,
    ``__getitems__`` gathers whole batches at once (images uint8, labels int64).
    """

    spec: IDXDatasetSpec
    classes: list[str]

    def __init__(self, root: str | Path | None = None, train: bool = True,
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None, download: bool = True) -> None:
        files = (self.spec.train_images, self.spec.train_labels) if train else (
            self.spec.test_images, self.spec.test_labels)
        self.data, labels = (load_file(self.spec, f, root=root, fetch=download) for f in files)
        self.targets = labels.astype(xp.int64)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image, target = self.data[index], int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __getitems__(self, indices: Any) -> Any:
        """A collated ``(images, labels)`` batch without transforms; a list of samples with them."""
        if self.transform is None and self.target_transform is None:
            indices = xp.asarray(indices, dtype=xp.intp)
            return self.data[indices], self.targets[indices]
        return [self[int(i)] for i in indices]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(split={'train' if self.train else 'test'}, samples={len(self)})"


class MNIST(_IDXImageDataset):
    """The MNIST handwritten digits (torchvision's ``datasets.MNIST``): 60,000 train, 10,000 test."""

    spec = MNIST_SPEC
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]


class FashionMNIST(_IDXImageDataset):
    """Zalando's Fashion-MNIST (torchvision's ``datasets.FashionMNIST``): 60,000 train, 10,000 test."""

    spec = FASHION_MNIST
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
               "Bag", "Ankle boot"]


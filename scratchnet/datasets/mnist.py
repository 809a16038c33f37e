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

import hashlib
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scratchnet.backend import xp
from scratchnet.data.dataset import Dataset
from scratchnet.datasets.download import (
    CHUNK_SIZE,
    ChecksumError,
    DownloadError,
    check_digest,
    download,
    file_sha256,
)
from scratchnet.datasets.idx import (
    IMAGES_MAGIC,
    LABELS_MAGIC,
    IDXError,
    is_gzip,
    load_idx,
    max_idx_bytes,
    open_idx,
    refuse_html,
)

SYSTEM_DATA_DIR = Path("/usr/share/datasets")
"""Where distributions install data sets (Debian's ``dataset-fashion-mnist``)."""


DEFAULT_MAX_DOWNLOAD = 256 << 20
"""The size cap (bytes) of a downloaded data file whose shape is not known."""


class DatasetNotFoundError(FileNotFoundError, RuntimeError):
    """A data set file that is on no search path and could not be downloaded (a ``RuntimeError`` too,
    what torchvision raises for "Dataset not found")."""


@dataclass(frozen=True)
class FileSpec:
    """One IDX file of a data set, its known digests and the shape its header must announce.

    ``gz_sha256`` is the digest (or a tuple of digests) of the files *as stored*: the official
    ``.gz`` and known re-packagings (Debian's ``.gz`` files differ byte-wise from the official ones).
    A file is hashed as stored first, streamed; when that digest is not known, ``sha256``, the digest
    of the *decompressed* IDX bytes, still accepts any faithful copy however it was compressed (or a
    raw one): the copy is inflated in chunks, at most the bytes that ``shape`` implies, into the hash
    only. A file is then read with that bound (see ``idx.load_idx``), so a gzip bomb is refused
    without being inflated into memory.
    """

    filename: str
    magic: int
    sha256: str | None = None
    gz_sha256: str | tuple[str, ...] | None = None
    shape: tuple[int, ...] | None = None

    @property
    def stored_digests(self) -> tuple[str, ...]:
        """The accepted SHA-256 digests of the file as stored (``gz_sha256`` as a tuple)."""
        if self.gz_sha256 is None:
            return ()
        return (self.gz_sha256,) if isinstance(self.gz_sha256, str) else tuple(self.gz_sha256)

    @property
    def size(self) -> int | None:
        """The bytes of an IDX file of uint8 values of ``shape`` (header included); None if unknown."""
        return None if self.shape is None else 4 + 4 * len(self.shape) + math.prod(self.shape)

    def idx_size(self, path: Path) -> int:
        """The most IDX bytes a faithful copy holds: ``size`` when known, else what the file at
        ``path`` can hold."""
        return max_idx_bytes(path) if self.size is None else self.size

    def max_download_bytes(self) -> int:
        """The size cap of a download of this file: ``size`` plus 1% and 64 KiB (gzip never grows
        data by more) when known, else ``DEFAULT_MAX_DOWNLOAD``."""
        return DEFAULT_MAX_DOWNLOAD if self.size is None else self.size + self.size // 100 + (1 << 16)


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
    mirrors=("https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
             "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
    # sha256: of the decompressed IDX bytes, computed from Debian's dataset-fashion-mnist files.
    # gz_sha256: the official .gz files (as in TensorFlow Datasets and the data set's README MD5s),
    # then Debian's .gz files (computed from its dataset-fashion-mnist package).
    train_images=FileSpec("train-images-idx3-ubyte.gz", IMAGES_MAGIC,
                          "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                          ("3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                           "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"),
                          (60000, 28, 28)),
    train_labels=FileSpec("train-labels-idx1-ubyte.gz", LABELS_MAGIC,
                          "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                          ("a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                           "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"), (60000,)),
    test_images=FileSpec("t10k-images-idx3-ubyte.gz", IMAGES_MAGIC,
                         "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                         ("346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                          "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"),
                         (10000, 28, 28)),
    test_labels=FileSpec("t10k-labels-idx1-ubyte.gz", LABELS_MAGIC,
                         "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
                         ("67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                          "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"), (10000,)),
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
                          gz_sha256="440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                          shape=(60000, 28, 28)),
    train_labels=FileSpec("train-labels-idx1-ubyte.gz", LABELS_MAGIC,
                          gz_sha256="3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                          shape=(60000,)),
    test_images=FileSpec("t10k-images-idx3-ubyte.gz", IMAGES_MAGIC,
                         gz_sha256="8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                         shape=(10000, 28, 28)),
    test_labels=FileSpec("t10k-labels-idx1-ubyte.gz", LABELS_MAGIC,
                         gz_sha256="f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                         shape=(10000,)),
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


def _inflated_sha256(path: Path, limit: int) -> str:
    """The SHA-256 of the IDX bytes of ``path`` (gunzipped on the fly), inflating at most ``limit``
    bytes in chunks that only feed the hash (``IDXError`` past the limit: a gzip bomb)."""
    digest, total = hashlib.sha256(), 0
    with open_idx(path) as stream:
        while chunk := stream.read(CHUNK_SIZE):
            total += len(chunk)
            if total > limit:
                raise IDXError(f"{path} inflates to more than {limit:,} bytes, more than a faithful copy "
                               "holds (a gzip bomb?); refused")
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path: Path, spec: FileSpec) -> None:
    """Check the file at ``path`` against ``spec``'s digests, streamed (see ``FileSpec``); raises
    ``ChecksumError`` (or ``IDXError`` for a stream that inflates too far) naming the file."""
    stored = file_sha256(path)
    if stored in spec.stored_digests:
        return
    refuse_html(path)
    if spec.sha256 is None:
        if not spec.stored_digests:
            raise ChecksumError(f"no known SHA-256 digest for {path.name}; refusing an unverified file")
        check_digest(stored, spec.stored_digests, str(path))
    check_digest(_inflated_sha256(path, spec.idx_size(path)) if is_gzip(path) else stored, spec.sha256,
                 str(path))


def read_verified(path: Path, spec: FileSpec) -> xp.ndarray:
    """The array of the IDX file at ``path`` once it passed ``verify_file``, read with its header
    checked against ``spec`` (magic number, shape) before anything is allocated."""
    verify_file(path, spec)
    return load_idx(path, spec.magic, spec.shape)


def _where_to_put(spec: IDXDatasetSpec, dirs: list[Path]) -> str:
    files = ", ".join(f.filename for f in spec.files)
    places = "\n  ".join(str(d) for d in dirs)
    hint = " (set SCRATCHNET_DATA=/some/dir to use /some/dir/" + spec.name + "/)"
    debian = (" On Debian/Ubuntu, `apt-get install dataset-fashion-mnist` installs them in "
              f"{SYSTEM_DATA_DIR / spec.name}." if spec.name == "fashion-mnist" else "")
    return f"Put the files {files} in one of:\n  {places}\n{hint}.{debian}"


def locate(spec: IDXDatasetSpec, file: FileSpec, root: str | Path | None = None, fetch: bool = True,
           progress: bool = True, timeout: float = 30.0, deadline: float = 900.0) -> Path:
    """The path of ``file``: the first copy on the search path, else a fresh verified download
    (``timeout`` seconds per network read, ``deadline`` seconds in all, ``file.max_download_bytes()``)."""
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
        return download(urls, destination, lambda path: read_verified(path, file), timeout, progress,
                        max_bytes=file.max_download_bytes(), deadline=deadline)
    except DownloadError as error:
        raise DatasetNotFoundError(f"{spec.title}: {file.filename} is not on disk and could not be "
                                   f"downloaded (offline?).\n{error}\n{where}") from error


def load_file(spec: IDXDatasetSpec, file: FileSpec, **options: Any) -> xp.ndarray:
    """The verified array of one file of ``spec`` (options as for ``locate``)."""
    return read_verified(locate(spec, file, **options), file)


def load_idx_dataset(spec: IDXDatasetSpec, root: str | Path | None = None, download: bool = True,
                     progress: bool = True, timeout: float = 30.0,
                     deadline: float = 900.0) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """``((x_train, y_train), (x_test, y_test))`` of an IDX data set, found or downloaded, verified
    (``timeout`` and ``deadline`` in seconds, for each file, as for ``locate``)."""
    options = {"root": root, "fetch": download, "progress": progress, "timeout": timeout,
               "deadline": deadline}
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


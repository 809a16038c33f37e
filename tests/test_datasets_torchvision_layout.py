"""datasets.MNIST / FashionMNIST with torchvision's root= layout, the system copy as fallback before
any download, and torchvision's kind of error when nothing is found."""

import gzip
import shutil

import numpy as np
import pytest

from scratchnet import datasets
from scratchnet.datasets import mnist
from scratchnet.datasets.mnist import FASHION_MNIST, SYSTEM_DATA_DIR, locate

DEBIAN_DIR = SYSTEM_DATA_DIR / "fashion-mnist"
needs_fashion = pytest.mark.skipif(
    not (DEBIAN_DIR / "t10k-labels-idx1-ubyte.gz").exists(),
    reason="Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")


@pytest.fixture
def no_download(monkeypatch):
    """Any download attempt fails the test; it records the destinations asked for."""
    asked = []

    def refuse(urls, destination, *args, **kwargs):
        asked.append(destination)
        raise datasets.DownloadError("no network in this test")

    monkeypatch.setattr(mnist, "download", refuse)
    return asked


def test_search_dirs_with_root_are_torchvisions_then_the_system_copy(tmp_path):
    assert datasets.search_dirs("fashion-mnist", tmp_path) == [
        tmp_path / "FashionMNIST" / "raw", tmp_path / "fashion-mnist", tmp_path,
        SYSTEM_DATA_DIR / "fashion-mnist"]
    assert datasets.search_dirs("mnist", tmp_path)[0] == tmp_path / "MNIST" / "raw"


@needs_fashion
@pytest.mark.parametrize("compressed", [True, False])
def test_torchvision_raw_folder_is_found(tmp_path, monkeypatch, no_download, compressed):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        if compressed:
            shutil.copy(DEBIAN_DIR / name, raw / name)
        else:  # torchvision keeps the extracted files in raw/
            (raw / name.removesuffix(".gz")).write_bytes(gzip.decompress((DEBIAN_DIR / name).read_bytes()))
    monkeypatch.setattr(mnist, "SYSTEM_DATA_DIR", tmp_path / "nowhere")
    found = locate(FASHION_MNIST, FASHION_MNIST.test_labels, root=tmp_path, fetch=False)
    assert found.parent == raw
    test_set = datasets.FashionMNIST(root=tmp_path, train=False, download=True)
    assert len(test_set) == 10000 and np.bincount(test_set.targets).tolist() == [1000] * 10
    assert no_download == []


@needs_fashion
def test_system_copy_is_used_before_downloading(tmp_path, no_download):
    test_set = datasets.FashionMNIST(root=tmp_path / "data", train=False, download=True)
    assert len(test_set) == 10000 and no_download == []
    assert locate(FASHION_MNIST, FASHION_MNIST.test_images, root=tmp_path / "data").parent == DEBIAN_DIR


def test_nothing_found_without_download_is_torchvisions_error(tmp_path, monkeypatch, no_download):
    monkeypatch.setattr(mnist, "SYSTEM_DATA_DIR", tmp_path / "nowhere")
    expected = "^Dataset not found. You can use download=True to download it"
    with pytest.raises(RuntimeError, match=expected) as error:
        datasets.FashionMNIST(root=tmp_path / "data", train=False, download=False)
    assert isinstance(error.value, datasets.DatasetNotFoundError)  # a FileNotFoundError too
    assert str(tmp_path / "data" / "FashionMNIST" / "raw") in str(error.value)
    assert no_download == []


def test_download_goes_to_torchvisions_raw_folder(tmp_path, monkeypatch, no_download):
    monkeypatch.setattr(mnist, "SYSTEM_DATA_DIR", tmp_path / "nowhere")
    with pytest.raises(datasets.DatasetNotFoundError, match="could not be downloaded"):
        datasets.MNIST(root=tmp_path / "data", train=True, download=True)
    assert no_download == [tmp_path / "data" / "MNIST" / "raw" / "train-images-idx3-ubyte.gz"]

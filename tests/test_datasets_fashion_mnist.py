"""The real Fashion-MNIST from Debian's dataset-fashion-mnist package (CI installs it)."""

import gzip

import numpy as np
import pytest

from scratchnet import data, datasets
from scratchnet.datasets.mnist import FASHION_MNIST, SYSTEM_DATA_DIR, load_file

DEBIAN_DIR = SYSTEM_DATA_DIR / "fashion-mnist"
pytestmark = pytest.mark.skipif(not (DEBIAN_DIR / "train-images-idx3-ubyte.gz").exists(),
                                reason="Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")


@pytest.fixture(scope="module")
def fashion():
    with pytest.MonkeyPatch.context() as patch:  # only the system copy may be found
        patch.delenv("SCRATCHNET_DATA", raising=False)
        patch.setenv("XDG_CACHE_HOME", "/nonexistent/scratchnet-test-cache")
        return datasets.load_fashion_mnist(download=False)


def test_real_fashion_mnist_loads_verified(fashion):
    (x_train, y_train), (x_test, y_test) = fashion
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert np.bincount(y_train, minlength=10).tolist() == [6000] * 10
    assert np.bincount(y_test, minlength=10).tolist() == [1000] * 10
    assert 0 < x_train.mean() < 255 and x_train.max() == 255


def test_modified_copy_is_rejected(tmp_path):
    labels = gzip.decompress((DEBIAN_DIR / "t10k-labels-idx1-ubyte.gz").read_bytes())
    (tmp_path / "fashion-mnist").mkdir()
    target = tmp_path / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz"
    target.write_bytes(gzip.compress(labels[:-1] + bytes([(labels[-1] + 1) % 10])))
    with pytest.raises(datasets.ChecksumError, match=f"{target}.*{FASHION_MNIST.test_labels.sha256}"):
        load_file(FASHION_MNIST, FASHION_MNIST.test_labels, root=tmp_path, fetch=False)
    target.write_bytes(labels)  # the same bytes, uncompressed: accepted
    assert len(load_file(FASHION_MNIST, FASHION_MNIST.test_labels, root=tmp_path, fetch=False)) == 10000


def test_dataset_class_with_loader_and_transform(fashion, monkeypatch):
    monkeypatch.delenv("SCRATCHNET_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/nonexistent/scratchnet-test-cache")
    test_set = datasets.FashionMNIST(train=False, download=False)
    (_, _), (x_test, y_test) = fashion
    assert len(test_set) == 10000 and test_set.classes[9] == "Ankle boot"
    image, label = test_set[3]
    np.testing.assert_array_equal(image, x_test[3])
    assert label == int(y_test[3]) and isinstance(label, int)
    images, labels = next(iter(data.DataLoader(test_set, batch_size=64)))
    assert images.shape == (64, 28, 28) and labels.dtype == np.int64
    np.testing.assert_array_equal(labels.numpy(), y_test[:64])
    transforms = data.transforms
    test_set.transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize(0.5, 0.5)])
    images, labels = next(iter(data.DataLoader(test_set, batch_size=8)))
    assert images.shape == (8, 1, 28, 28) and images.dtype == np.float32
    np.testing.assert_allclose(images.numpy()[:, 0], (x_test[:8] / 255.0 - 0.5) / 0.5, rtol=1e-5, atol=1e-6)

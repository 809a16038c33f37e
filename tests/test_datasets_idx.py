"""The IDX reader: round trips, gzip or raw, and clear errors on corrupt files."""

import gzip

import numpy as np
import pytest

from scratchnet.datasets import idx


def test_round_trip_gzip_and_raw(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (5, 4, 3), dtype=np.uint8)
    labels = np.arange(5, dtype=np.uint8)
    for name, compress in (("a.gz", True), ("a", False)):
        path = idx.write_idx(images, tmp_path / name, compress=compress)
        parsed = idx.parse_idx(idx.read_bytes(path), expected_magic=idx.IMAGES_MAGIC)
        np.testing.assert_array_equal(parsed, images)
    data = idx.encode_idx(labels)
    assert int.from_bytes(data[:4], "big") == idx.LABELS_MAGIC == 2049
    assert int.from_bytes(idx.encode_idx(images)[:4], "big") == idx.IMAGES_MAGIC == 2051
    floats = np.linspace(0, 1, 6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(idx.parse_idx(idx.encode_idx(floats)), floats)


def test_wrong_magic():
    labels = idx.encode_idx(np.arange(5, dtype=np.uint8))
    with pytest.raises(idx.IDXError, match="magic number 2049, expected 2051"):
        idx.parse_idx(labels, "labels.idx", expected_magic=idx.IMAGES_MAGIC)
    with pytest.raises(idx.IDXError, match="bad magic number"):
        idx.parse_idx(b"\x12\x34\x08\x01" + bytes(8), "junk")


def test_truncated_payload_and_header():
    data = idx.encode_idx(np.zeros((10, 4, 4), dtype=np.uint8))
    with pytest.raises(idx.IDXError, match=r"truncated: .*\(10, 4, 4\).*176 bytes, found 100"):
        idx.parse_idx(data[:100], "x.idx")
    with pytest.raises(idx.IDXError, match="truncated inside its header"):
        idx.parse_idx(data[:9], "x.idx")
    with pytest.raises(idx.IDXError, match="too long"):
        idx.parse_idx(data + b"\x00", "x.idx")


def test_truncated_gzip(tmp_path):
    packed = gzip.compress(idx.encode_idx(np.zeros((50, 8, 8), dtype=np.uint8)))
    path = tmp_path / "t.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(idx.IDXError, match=f"{path}.*corrupt or truncated gzip"):
        idx.read_bytes(path)


def test_html_page_saved_as_gz(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(b"<!DOCTYPE html><html><body>403 Forbidden</body></html>")
    with pytest.raises(idx.IDXError, match="train-images-idx3-ubyte.gz is an HTML page"):
        idx.read_bytes(path)
    with pytest.raises(ValueError):  # IDXError is a ValueError
        idx.parse_idx(path.read_bytes(), str(path))

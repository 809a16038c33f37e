"""Toy data sets: XOR and spirals."""

import numpy as np

import scratchnet as sn
from scratchnet import datasets


def test_xor_truth_table():
    x, y = datasets.xor()
    np.testing.assert_array_equal(x, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    assert x.dtype == np.float32
    xn, yn = datasets.xor(40, noise=0.1, seed=0)
    assert xn.shape == (40, 2) and np.abs(xn - x[np.arange(40) % 4]).max() < 0.6
    np.testing.assert_array_equal(yn, np.logical_xor(*np.round(x[np.arange(40) % 4]).T.astype(bool)))


def test_spirals_geometry_and_seed():
    x, y = datasets.spirals(n_samples=300, n_classes=3, noise=0.0)
    assert x.shape == (300, 2) and x.dtype == np.float32 and np.bincount(y).tolist() == [100, 100, 100]
    radius = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(radius[:100], np.linspace(0, 1, 100), atol=1e-6)
    angle = np.arctan2(x[:, 0], x[:, 1])  # x = (r sin t, r cos t)
    expected = 4.0 * y + 4.0 * radius
    np.testing.assert_allclose(np.cos(angle[radius > 0.05]), np.cos(expected[radius > 0.05]), atol=1e-4)
    a, b = datasets.spirals(seed=3), datasets.spirals(seed=3)
    np.testing.assert_array_equal(a[0], b[0])
    sn.manual_seed(1)
    c = datasets.spirals()
    sn.manual_seed(1)
    np.testing.assert_array_equal(datasets.spirals()[0], c[0])

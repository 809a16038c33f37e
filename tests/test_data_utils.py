"""utils.to_categorical (Keras) and utils.train_test_split (scikit-learn semantics)."""

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import utils


def test_to_categorical_matches_eye():
    y = np.array([2, 0, 1, 2])
    out = utils.to_categorical(y)
    np.testing.assert_array_equal(out, np.eye(3)[y])
    assert out.dtype == np.float32
    assert utils.to_categorical(y[:, None], num_classes=5).shape == (4, 5)
    assert utils.to_categorical(np.array([[1, 0], [0, 1]]), 2).shape == (2, 2, 2)
    np.testing.assert_array_equal(utils.to_categorical(sn.tensor([1, 0]), 2), [[0, 1], [1, 0]])


def test_to_categorical_out_of_range():
    y = np.zeros(5, dtype=np.int64)
    y[3] = 10
    with pytest.raises(ValueError, match=r"label 10 out of range \[0, 10\) at index 3"):
        utils.to_categorical(y, 10)
    with pytest.raises(ValueError, match="label -1"):
        utils.to_categorical(np.array([0, -1]), 3)


def test_split_sizes_alignment_and_seed():
    x = np.arange(40).reshape(20, 2)
    y = np.arange(20)
    x_train, x_test, y_train, y_test = utils.train_test_split(x, y, test_size=0.33, random_state=0)
    assert len(x_test) == 7 and len(x_train) == 13  # test rounded up, as scikit-learn
    np.testing.assert_array_equal(x_train[:, 0] // 2, y_train)
    assert sorted(np.concatenate([y_train, y_test])) == list(range(20))
    again = utils.train_test_split(x, y, test_size=0.33, random_state=0)
    np.testing.assert_array_equal(again[3], y_test)
    assert len(utils.train_test_split(y)[1]) == 5  # default test_size 0.25
    train, test = utils.train_test_split(y, test_size=4, shuffle=False)
    np.testing.assert_array_equal(train, np.arange(16))
    np.testing.assert_array_equal(test, np.arange(16, 20))


def test_split_stratified_keeps_proportions():
    y = np.array([0] * 70 + [1] * 20 + [2] * 10)
    x = np.arange(100)
    x_train, x_test, y_train, y_test = utils.train_test_split(x, y, test_size=0.2, stratify=y, random_state=1)
    assert np.bincount(y_test).tolist() == [14, 4, 2]
    assert np.bincount(y_train).tolist() == [56, 16, 8]
    np.testing.assert_array_equal(y[x_test], y_test)
    onehot = np.eye(3)[y]
    *_, yo_test = utils.train_test_split(x, onehot, test_size=0.2, stratify=onehot, random_state=1)
    assert yo_test.sum(axis=0).tolist() == [14, 4, 2]


def test_split_errors():
    with pytest.raises(ValueError, match="Data cardinality is ambiguous"):
        utils.train_test_split(np.zeros(5), np.zeros(6))
    with pytest.raises(ValueError, match="only 1 member"):
        utils.train_test_split(np.arange(5), stratify=np.array([0, 0, 0, 0, 1]))
    with pytest.raises(ValueError, match="test_size"):
        utils.train_test_split(np.arange(5), test_size=1.5)
    with pytest.raises(ValueError, match="empty"):
        utils.train_test_split(np.arange(3), test_size=0.01, train_size=0.01)
    with pytest.raises(ValueError, match="non-empty"):
        utils.train_test_split(np.zeros(0))

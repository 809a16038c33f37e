"""Validators of training data: the messages name the problem, counts and the first bad index."""

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.data import validation as v


def test_same_length_keras_message():
    with pytest.raises(ValueError) as info:
        v.check_same_length(np.zeros((30000, 1)), np.zeros(50000))
    assert str(info.value) == ("Data cardinality is ambiguous: x sizes: 30000 y sizes: 50000 "
                               "Make sure all arrays contain the same number of samples.")
    assert v.check_same_length(np.zeros((4, 2)), sn.zeros(4), names=["a", "b"]) == 4


def test_not_empty():
    with pytest.raises(ValueError, match="Expect x to be a non-empty array or dataset"):
        v.check_not_empty(np.zeros((0, 3)))
    v.check_not_empty(np.zeros((1, 3)))


def test_finite_counts_and_first_index():
    x = np.zeros((100, 3), dtype=np.float32)
    x[57, 2] = np.nan
    x[80, 0] = np.inf
    x[90, 1] = np.nan
    with pytest.raises(ValueError, match=r"3 non-finite values \(2 NaN, 1 inf\).*sample 57") as info:
        v.check_finite(x, "x_train")
    assert "x_train" in str(info.value)
    with pytest.raises(ValueError, match="sample 1234"):
        v.check_finite(x[55:60], indices=np.arange(1232, 1237))
    v.check_finite(np.ones((3, 3)))
    v.check_finite(np.array([1, 2], dtype=np.int64))


@pytest.mark.parametrize("bad, dtype", [(np.array(["a", "b"]), "<U1"),
                                        (np.array([1, "x"], dtype=object), "object"),
                                        (np.array([1 + 2j]), "complex128")])
def test_numeric_names_dtype(bad, dtype):
    with pytest.raises(TypeError, match=dtype):
        v.check_numeric(bad, "x")
    with pytest.raises(ValueError):  # the error is both a TypeError and a ValueError
        v.check_numeric(bad, "x")


def test_numeric_ragged_list():
    with pytest.raises(v.NonNumericDataError, match="x cannot be converted"):
        v.check_numeric([[1, 2], [3]], "x")


def test_labels_out_of_range_message():
    y = np.zeros(600, dtype=np.int64)
    y[523] = 10
    with pytest.raises(ValueError, match=r"^label 10 out of range \[0, 10\) at index 523$"):
        v.check_labels(y, 10)
    y[523] = -1
    with pytest.raises(ValueError, match=r"label -1 out of range \[0, 10\) at index 523"):
        v.check_labels(y, 10)
    v.check_labels(y, 10, ignore_index=-1)
    with pytest.raises(ValueError, match="whole numbers"):
        v.check_labels(np.array([0.0, 1.5]), 3)
    assert v.check_labels(np.array([0.0, 2.0]), 3).dtype == np.int64

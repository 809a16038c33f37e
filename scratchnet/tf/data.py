"""``tf.data``: scratchnet's pipelines under TensorFlow's names (``tf.data.Dataset`` is
``scratchnet.data.Dataset``, whose ``from_tensor_slices`` starts a pipeline)."""

from scratchnet.data import AUTOTUNE, INFINITE, UNKNOWN, Dataset

INFINITE_CARDINALITY = INFINITE
UNKNOWN_CARDINALITY = UNKNOWN


class experimental:  # noqa: N801 - TensorFlow's namespace
    """``tf.data.experimental``: the constants that moved from it to ``tf.data``."""

    AUTOTUNE = AUTOTUNE
    INFINITE_CARDINALITY = INFINITE
    UNKNOWN_CARDINALITY = UNKNOWN


__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "Dataset", "experimental"]

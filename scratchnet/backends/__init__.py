"""``sn.backends``: PyTorch's per-backend flags and queries (``mps``, ``cudnn``)."""

from scratchnet.backends import cudnn, mps

__all__ = ["cudnn", "mps"]

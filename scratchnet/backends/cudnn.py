"""``sn.backends.cudnn``: cuDNN's flags, which programs set for reproducibility; without a GPU
they change nothing (the CPU kernels are deterministic already)."""

enabled = True
deterministic = False
benchmark = False


def is_available() -> bool:
    """Whether cuDNN can be used: never."""
    return False

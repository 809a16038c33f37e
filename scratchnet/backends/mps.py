"""``sn.backends.mps``: Apple's Metal backend, absent from this build."""


def is_available() -> bool:
    """Whether an MPS device can be used: never."""
    return False


def is_built() -> bool:
    """Whether this build includes MPS support: no."""
    return False

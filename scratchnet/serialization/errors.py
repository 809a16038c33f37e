"""The one error every unreadable, corrupted, foreign or unsafe file raises."""

from __future__ import annotations

import os


class SerializationError(ValueError):
    """A file cannot be saved or loaded: truncated, corrupted, foreign, unsafe or mismatched.

    The message starts with the file's path and says what is wrong, e.g.
    ``model.safetensors: truncated (expected 1,234,567 bytes, found 1,000,000)``.
    """


def file_error(path: str | os.PathLike[str], problem: str) -> SerializationError:
    """A ``SerializationError`` whose message names the file and the problem."""
    return SerializationError(f"{os.fspath(path)}: {problem}")

"""Removable handles for the forward hooks a Module holds."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

_next_id = itertools.count()


class RemovableHandle:
    """Returned by ``register_forward_hook`` / ``register_forward_pre_hook``: ``handle.remove()``
    takes the hook out again (calling it twice is harmless). Also a context manager."""

    def __init__(self, hooks: dict[int, Callable[..., Any]]) -> None:
        self.hooks = hooks
        self.id = next(_next_id)

    def remove(self) -> None:
        """Unregister the hook."""
        self.hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()

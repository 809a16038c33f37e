"""Session state of the Keras front end: the counters behind default layer and model names.

Keras names layers after their class in snake case, numbered per session: the first ``Dense`` is
``dense``, the next ``dense_1``, and so on across every model built in the process (a global
counter, as Keras does). ``clear_session()`` starts the numbering again.
"""

from __future__ import annotations

import re
from collections import defaultdict

_name_counts: defaultdict[str, int] = defaultdict(int)


def snake_case(class_name: str) -> str:
    """``"MaxPooling2D"`` -> ``"max_pooling2d"``, Keras's default-name rule."""
    words = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", words).lower()


def unique_name(prefix: str) -> str:
    """``prefix`` the first time, then ``prefix_1``, ``prefix_2``, ... (per session)."""
    count = _name_counts[prefix]
    _name_counts[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def clear_session() -> None:
    """Forget the default-name counters (as ``keras.backend.clear_session``)."""
    _name_counts.clear()

"""Keras objects given by name, by ``{"class_name", "config"}`` dict, or as objects.

Initializers and regularizers are small objects with a ``get_config()``; a layer stores their
serialised form among its constructor arguments, so that a saved model can be rebuilt from JSON.
"""

from __future__ import annotations

from typing import Any

from scratchnet.keras.backend import snake_case


class Configurable:
    """An object rebuilt from ``type(self)(**self.get_config())``."""

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON values)."""
        return dict(vars(self))

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


def serialize(obj: Any) -> Any:
    """``{"class_name", "config"}`` for a ``Configurable``; anything else unchanged."""
    if isinstance(obj, Configurable):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    return obj


def deserialize(identifier: Any, classes: dict[str, type], aliases: dict[str, Any], kind: str) -> Any:
    """The object for a name (CamelCase or snake_case), a config dict, or an object / callable."""
    lookup = {snake_case(name): cls for name, cls in classes.items()}
    if isinstance(identifier, dict):
        if set(identifier) != {"class_name", "config"} or identifier["class_name"] not in classes:
            raise ValueError(f"unknown {kind} config {identifier!r}")
        return classes[identifier["class_name"]](**identifier["config"])
    if isinstance(identifier, str):
        key = snake_case(identifier) if identifier not in aliases else identifier
        if key in aliases:
            return aliases[key]()
        if key in lookup:
            return lookup[key]()
        known = sorted({*aliases, *lookup})
        raise ValueError(f"unknown {kind} {identifier!r}; known: {', '.join(known)}")
    if callable(identifier):
        return identifier
    raise TypeError(f"{kind} must be a name, a config dict or a callable, got {type(identifier).__name__}")

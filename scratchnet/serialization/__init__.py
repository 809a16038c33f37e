"""Saving and loading models, state dicts and training checkpoints, safely.

``save(obj, path)`` writes one safetensors file (weights as tensors, structure as JSON in the
metadata) atomically; ``load(path)`` reads it back without executing anything from the file.
Modules are rebuilt only from allow-listed classes: scratchnet's own, and the ones given to
``register_module``.
"""

from scratchnet.serialization.checkpoint import load, save
from scratchnet.serialization.errors import SerializationError
from scratchnet.serialization.registry import allowed_classes, register_module

__all__ = ["SerializationError", "allowed_classes", "load", "register_module", "save"]

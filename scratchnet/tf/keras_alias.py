"""``scratchnet.tf.keras`` is ``scratchnet.keras``: an import hook that answers
``import scratchnet.tf.keras.layers`` (and any ``scratchnet.tf.keras.*``) with the very module
object of ``scratchnet.keras.*``, so classes are never loaded twice."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType
from typing import Any

ALIAS = "scratchnet.tf.keras"
TARGET = "scratchnet.keras"


class KerasAliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``scratchnet.tf.keras[.x]`` and loads it as ``scratchnet.keras[.x]``."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname == ALIAS or fullname.startswith(ALIAS + "."):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec: Any) -> ModuleType:
        module = importlib.import_module(TARGET + spec.name[len(ALIAS):])
        spec.loader_state = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run (the module is ``scratchnet.keras``'s); the import machinery has just
        given it the alias's spec, so its own is put back."""
        module.__spec__ = module.__spec__.loader_state


def install() -> None:
    """Register the hook once."""
    if not any(isinstance(finder, KerasAliasFinder) for finder in sys.meta_path):
        sys.meta_path.append(KerasAliasFinder())

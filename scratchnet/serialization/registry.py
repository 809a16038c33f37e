"""The allow-list of Module classes a file may name, and rebuilding a Module from its JSON.

A model file stores its architecture as ``{"class": "Conv2d", "module": "scratchnet.nn.conv",
"args": {...}}``: the constructor arguments recorded in ``module._init_args``. Loading looks the
class name up in an allow-list and calls that constructor with those arguments; nothing else
from the file is ever imported, evaluated or called. The allow-list holds every ``Module``
subclass defined inside the ``scratchnet`` package and the classes a user registers with
``register_module``.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, TypeVar

from scratchnet import backend
from scratchnet.nn.module import Module
from scratchnet.serialization.errors import SerializationError

ModuleType = TypeVar("ModuleType", bound=type)

_registered: dict[str, list[type]] = {}

_LAYER_PACKAGES = ("scratchnet.nn", "scratchnet.keras")
"""Fixed packages imported before a lookup, so that their layers are known (never a name from a file)."""


def register_module(cls: ModuleType) -> ModuleType:
    """Allow ``sn.load`` to rebuild ``cls`` (a Module subclass of your own); usable as a decorator.

    >>> @sn.register_module
    ... class Net(sn.nn.Module):
    ...     def __init__(self, hidden=3):
    ...         super().__init__()
    ...         self.fc = sn.nn.Linear(2, hidden)
    >>> sn.save(Net(hidden=5), "net.safetensors")
    >>> sn.load("net.safetensors").fc
    Linear(in_features=2, out_features=5, bias=True)
    """
    if not (inspect.isclass(cls) and issubclass(cls, Module)):
        raise TypeError(f"register_module expects a Module subclass, got {cls!r}")
    classes = _registered.setdefault(cls.__name__, [])
    if cls not in classes:
        classes.append(cls)
    return cls


def _subclasses(cls: type) -> list[type]:
    """Every subclass of ``cls``, recursively."""
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _import_layer_packages() -> None:
    """Import the fixed packages that define layers, so that their classes are subclasses of Module."""
    for package in _LAYER_PACKAGES:
        try:
            importlib.import_module(package)
        except ImportError:
            continue


def allowed_classes(import_layers: bool = True) -> dict[str, list[type]]:
    """Class name -> the allow-listed classes of that name: every Module subclass defined in the
    scratchnet package, then the registered ones."""
    if import_layers:
        _import_layer_packages()
    allowed: dict[str, list[type]] = {}
    for cls in [Module, *_subclasses(Module)]:
        if cls.__module__.startswith("scratchnet.") and cls not in allowed.get(cls.__name__, []):
            allowed.setdefault(cls.__name__, []).append(cls)
    for name, classes in _registered.items():
        allowed.setdefault(name, []).extend(cls for cls in classes if cls not in allowed.get(name, []))
    return allowed


def resolve(name: Any, module_name: Any) -> type:
    """The allow-listed class called ``name`` (``module_name`` settles a clash of names);
    ``SerializationError`` listing the allow-list otherwise."""
    name = name if isinstance(name, str) else repr(name)
    allowed = allowed_classes(import_layers=False)
    if not any(cls.__module__ == module_name for cls in allowed.get(name, [])):
        allowed = allowed_classes()  # the layer packages define it, or another class of that name
    candidates = allowed.get(name, [])
    if len(candidates) > 1:
        candidates = [cls for cls in candidates if cls.__module__ == module_name] or candidates[:1]
    if not candidates:
        raise SerializationError(
            f"refusing to build unknown class {name!r}: a file may only name Module classes of scratchnet "
            f"or ones registered with sn.register_module. Allowed: {', '.join(sorted(allowed))}")
    return candidates[0]


def check_savable(module: Module) -> None:
    """Raise ``SerializationError`` if ``module``'s class could not be rebuilt by ``load``."""
    cls = type(module)
    if not cls.__module__.startswith("scratchnet.") and cls not in _registered.get(cls.__name__, []):
        raise SerializationError(
            f"cannot save {cls.__module__}.{cls.__qualname__}: it is not a scratchnet Module, so loading "
            "could not rebuild it; decorate the class with @sn.register_module (or save model.state_dict())")


def construct(cls: type, arguments: dict[str, Any]) -> Module:
    """Call ``cls``'s constructor with ``arguments`` bound by parameter name (var-positional
    ones given as a tuple, var-keyword ones as a dict), leaving the global generator untouched
    (the fresh weights it draws are overwritten by the saved ones)."""
    try:
        signature = inspect.signature(cls)
        unknown = [name for name in arguments if name not in signature.parameters]
        if unknown:
            raise TypeError(f"unexpected argument(s) {', '.join(map(repr, unknown))}")
        bound = inspect.BoundArguments(signature, {name: arguments[name] for name in signature.parameters
                                                   if name in arguments})
        state = backend.get_rng_state()
        try:
            return cls(*bound.args, **bound.kwargs)
        finally:
            backend.set_rng_state(state)
    except Exception as error:  # a constructor refusing the saved arguments, whatever it raises
        raise SerializationError(f"cannot rebuild {cls.__name__} from the saved arguments: {error}") from None

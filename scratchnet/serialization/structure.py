"""Turning a Python object into JSON plus a table of arrays, and back.

The JSON keeps every type ``load`` must give back; each value other than null, booleans,
integers (of any size: JSON has no limit), finite floats, strings and lists is an object with one
tag key:

=====================================  ==========================================================
``{"$dict": [[key, value], ...]}``     a dict; keys stay ``str`` or ``int`` (optimizer states use
                                       int keys), in order
``{"$tuple": [...]}``                  a tuple
``{"$float": "nan" | "inf" | "-inf"}`` a non-finite float
``{"$array": key}``                    a NumPy array, stored as tensor ``key`` of the file
``{"$tensor": key, "requires_grad"}``  a Tensor (loaded as ``sn.Tensor``, Parameters included)
``{"$scalar": key}``                   a NumPy scalar (``np.float32(1.5)``), stored as a 0-d tensor
``{"$dtype": name}``                   a NumPy dtype (a constructor argument)
``{"$module": arch, "state": [...],``  a Module: its architecture (class and constructor
``"eval": [...]}``                     arguments), state-dict key -> tensor key, and the names of
                                       submodules in evaluation mode
=====================================  ==========================================================

Tensor keys are the dotted path of the value (``"model.0.weight"``), so the tensors of a saved
state dict are named exactly by its keys and PyTorch can load them by name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.nn.module import Module
from scratchnet.serialization import registry
from scratchnet.serialization.errors import SerializationError
from scratchnet.serialization.format import DTYPE_CODES, dtype_code

_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


class Encoder:
    """Collects the arrays of an object into ``self.arrays`` while turning it into JSON."""

    def __init__(self) -> None:
        self.arrays: dict[str, xp.ndarray] = {}

    def _store(self, path: str, array: xp.ndarray) -> str:
        """Add ``array`` under ``path`` (made unique with a ``#n`` suffix) and return its key."""
        dtype_code(array)
        key, count = path or "tensor", 0
        while key in self.arrays or key == "__metadata__":
            count += 1
            key = f"{path or 'tensor'}#{count}"
        self.arrays[key] = array
        return key

    def encode(self, value: Any, path: str = "") -> Any:
        """The JSON form of ``value``; arrays go to ``self.arrays`` under keys derived from ``path``."""
        if value is None or type(value) in (bool, int, str):
            return value
        if isinstance(value, str):
            return str(value)
        if isinstance(value, xp.generic):
            return {"$scalar": self._store(path, xp.asarray(value))}
        if isinstance(value, (bool, int)):
            return bool(value) if isinstance(value, bool) else int(value)
        if isinstance(value, float):
            return float(value) if math.isfinite(value) else {"$float": repr(float(value))}
        if isinstance(value, xp.ndarray):
            return {"$array": self._store(path, value)}
        if isinstance(value, Tensor):
            return {"$tensor": self._store(path, value.array), "requires_grad": value.requires_grad}
        if isinstance(value, xp.dtype) or (isinstance(value, type) and issubclass(value, xp.generic)):
            return {"$dtype": _dtype_name(value)}
        if isinstance(value, Module):
            return self.encode_module(value, path)
        if isinstance(value, list):
            return [self.encode(item, _join(path, i)) for i, item in enumerate(value)]
        if isinstance(value, tuple):
            return {"$tuple": [self.encode(item, _join(path, i)) for i, item in enumerate(value)]}
        if isinstance(value, Mapping):
            return {"$dict": [[_key(key), self.encode(item, _join(path, key))]
                              for key, item in value.items()]}
        raise TypeError(f"cannot save {type(value).__name__} at {path or 'the top level'!r}: only Modules, "
                        "dicts, lists, tuples, arrays, Tensors, numbers, strings, booleans and None")

    def encode_module(self, module: Module, path: str) -> dict[str, Any]:
        """A Module: architecture, its state dict's tensors (keys = state-dict keys under ``path``)
        and the submodules in evaluation mode."""
        state = [[key, self._store(_join(path, key), tensor.array)]
                 for key, tensor in module.state_dict().items()]
        in_eval = [name for name, sub in module.named_modules() if not sub.training]
        architecture = self.architecture(module, _join(path, "@args"))
        _check_rebuilds(module, Decoder(self.arrays).build(architecture))
        return {"$module": architecture, "state": state, "eval": in_eval}

    def architecture(self, module: Module, path: str) -> dict[str, Any]:
        """``{"class", "module", "args"}`` of ``module``; Modules among the arguments nest."""
        registry.check_savable(module)
        arguments = getattr(module, "_init_args", None)
        if not isinstance(arguments, dict):
            raise SerializationError(f"cannot save {type(module).__name__}: it has no recorded constructor "
                                     "arguments (_init_args); did its __init__ call super().__init__()?")
        args = {name: self._encode_argument(value, _join(path, name)) for name, value in arguments.items()}
        return {"class": type(module).__name__, "module": type(module).__module__, "args": args}

    def _encode_argument(self, value: Any, path: str) -> Any:
        """A constructor argument: as ``encode``, but Modules contribute only their architecture."""
        if isinstance(value, Module):
            return {"$module": self.architecture(value, path)}
        if isinstance(value, (list, tuple)):
            items = [self._encode_argument(item, _join(path, i)) for i, item in enumerate(value)]
            return items if isinstance(value, list) else {"$tuple": items}
        if isinstance(value, Mapping):
            return {"$dict": [[_key(k), self._encode_argument(v, _join(path, k))] for k, v in value.items()]}
        try:
            return self.encode(value, path)
        except TypeError as error:
            raise SerializationError(f"cannot save constructor argument {path!r}: {error}") from None


def _key(key: Any) -> str | int:
    """A dict key as JSON can hold it: ``str`` or ``int`` (NumPy integers become ``int``)."""
    if isinstance(key, str):
        return str(key)
    if isinstance(key, (int, xp.integer)) and not isinstance(key, (bool, xp.bool_)):
        return int(key)
    raise TypeError(f"cannot save a dict key of type {type(key).__name__} ({key!r}): keys must be str or int")


def _dtype_name(value: Any) -> str:
    name = xp.dtype(value).name
    if name not in DTYPE_CODES:
        raise TypeError(f"cannot save dtype {name}")
    return name


# ---- decoding --------------------------------------------------------------------------
MAX_MODULES = 10_000
"""The most modules one file may rebuild (a ResNet-152 has about 500); ``"$module"`` tags are
counted in the JSON text before it is even parsed."""

ALLOCATION_ALLOWANCE = 2 ** 16
"""Elements that rebuilding may create beyond those the file's tensors hold (a Keras model's
sample input, a weightless layer's constants): 256 KiB of float32."""


class Decoder:
    """Rebuilds the object ``Encoder`` described, from JSON and the arrays read from the file.
    Everything is checked: a malformed structure raises ``SerializationError``."""

    def __init__(self, arrays: Mapping[str, xp.ndarray]) -> None:
        self.arrays = arrays

    def budget(self) -> int:
        """The elements rebuilding may create: those of the file's tensors plus a small allowance
        (see ``scratchnet.nn.allocation``)."""
        return sum(array.size for array in self.arrays.values()) + ALLOCATION_ALLOWANCE

    def _array(self, key: Any) -> xp.ndarray:
        if not isinstance(key, str) or key not in self.arrays:
            raise SerializationError(f"corrupted structure (refers to missing tensor {key!r})")
        return self.arrays[key]

    def decode(self, node: Any) -> Any:
        """The value ``node`` describes."""
        if node is None or type(node) in (bool, int, float, str):
            return node
        if isinstance(node, list):
            return [self.decode(item) for item in node]
        tag = _tag(node)
        if tag == "$module":
            return self.decode_module(node)
        return self._decode_tagged(tag, node[tag], node, self.decode)

    def _decode_tagged(self, tag: str, body: Any, node: dict[str, Any], decode: Any) -> Any:
        """The tags shared by values and constructor arguments."""
        if set(node) != ({tag, "requires_grad"} if tag == "$tensor" else {tag}):
            raise SerializationError(f"corrupted structure (unexpected keys in {tag} entry)")
        if tag == "$dict" and isinstance(body, list) and all(_is_pair(pair) for pair in body):
            return {key: decode(item) for key, item in body}
        if tag == "$tuple" and isinstance(body, list):
            return tuple(decode(item) for item in body)
        if tag == "$float" and isinstance(body, str) and body in _NON_FINITE:
            return _NON_FINITE[body]
        if tag == "$array":
            return self._array(body)
        if tag == "$scalar" and self._array(body).ndim == 0:
            return self._array(body)[()]
        if tag == "$tensor" and isinstance(node.get("requires_grad"), bool):
            array = self._array(body)
            return Tensor(array, requires_grad=node["requires_grad"] and array.dtype.kind == "f")
        if tag == "$dtype" and isinstance(body, str) and body in DTYPE_CODES:
            return xp.dtype(body)
        raise SerializationError(f"corrupted structure (bad {tag} entry)")

    def decode_module(self, node: dict[str, Any]) -> Module:
        """Build the Module from its architecture, load its state dict (strict), restore modes."""
        if (set(node) != {"$module", "state", "eval"} or not isinstance(node["state"], list)
                or not all(_is_pair(pair, str) for pair in node["state"])
                or not isinstance(node["eval"], list)):
            raise SerializationError("corrupted structure (bad $module entry)")
        module = self.build(node["$module"])
        state = {key: self._array(tensor_key) for key, tensor_key in node["state"]}
        _match_float_dtype(module, state)
        try:
            module.load_state_dict(state, strict=True)
        except (RuntimeError, ValueError) as error:
            raise SerializationError(
                f"saved weights do not fit the rebuilt {type(module).__name__}: {error}") from None
        modules = dict(module.named_modules())
        for name in node["eval"]:
            if name not in modules:
                raise SerializationError(f"corrupted structure (no submodule {name!r} to put in eval mode)")
            object.__setattr__(modules[name], "training", False)
        return module

    def build(self, arch: Any) -> Module:
        """A fresh Module from ``{"class", "module", "args"}`` (allow-listed classes only)."""
        if not isinstance(arch, dict) or set(arch) != {"class", "module", "args"} \
                or not isinstance(arch["args"], dict):
            raise SerializationError("corrupted structure (bad module architecture)")
        cls = registry.resolve(arch["class"], arch["module"])
        return registry.construct(cls, {name: self._decode_argument(v) for name, v in arch["args"].items()})

    def _decode_argument(self, node: Any) -> Any:
        if node is None or type(node) in (bool, int, float, str):
            return node
        if isinstance(node, list):
            return [self._decode_argument(item) for item in node]
        tag = _tag(node)
        if tag == "$module":
            if set(node) != {"$module"}:
                raise SerializationError("corrupted structure (bad module argument)")
            return self.build(node["$module"])
        return self._decode_tagged(tag, node[tag], node, self._decode_argument)


def _tag(node: Any) -> str:
    """The tag key of a tagged JSON object."""
    tags = [key for key in node if key.startswith("$")] if isinstance(node, dict) else []
    if len(tags) != 1:
        raise SerializationError(f"corrupted structure (unexpected JSON value {str(node)[:80]})")
    return tags[0]


def _is_pair(pair: Any, key_type: type | tuple[type, ...] = (str, int)) -> bool:
    """``[key, value]`` with a str or int key (never a bool)."""
    return isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], key_type) \
        and not isinstance(pair[0], bool)


def _match_float_dtype(module: Module, state: Mapping[str, xp.ndarray]) -> None:
    """Convert a freshly built (float32) module to the float dtype its saved weights have, so
    that a float64 model comes back float64 instead of being rounded."""
    dtypes = {array.dtype for array in state.values() if array.dtype.kind == "f"}
    if len(dtypes) == 1:
        module.to(dtypes.pop())


def _signature(module: Module) -> list[tuple[str, ...]]:
    """What a rebuilt module must reproduce: submodule names and classes, state keys and shapes."""
    return [*((name, type(sub).__qualname__) for name, sub in module.named_modules()),
            *((key, str(tensor.shape)) for key, tensor in module.state_dict().items())]


def _check_rebuilds(module: Module, rebuilt: Module) -> None:
    """Refuse to save a module that its constructor arguments no longer describe (a layer
    replaced or added after construction), instead of writing a file that cannot be loaded."""
    ours, theirs = _signature(module), _signature(rebuilt)
    if ours != theirs:
        differences = [f"{entry}" for entry in ours if entry not in theirs]
        differences += [f"{entry} (rebuilt only)" for entry in theirs if entry not in ours]
        raise SerializationError(
            f"cannot save {type(module).__name__}: rebuilding it from its constructor arguments gives a "
            f"different model ({'; '.join(differences[:8]) or 'different order'}); was a submodule replaced "
            "or added after construction? Save model.state_dict() instead, or build the model in __init__")

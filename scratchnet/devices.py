"""Devices as PyTorch names them, on a build that computes on the CPU only.

``sn.device("cpu")`` is the one device every tensor lives on. Accelerator devices (``"cuda"``,
``"mps"``, ...) can be named, as in PyTorch, but using one for a tensor, a module or a loaded file
raises the error PyTorch raises on a CPU-only build: ``AssertionError`` for CUDA, ``RuntimeError``
for the others.
"""

from __future__ import annotations

from typing import Any

from scratchnet.backend import resolve_dtype, resolve_dtype_name

DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "xla", "meta", "hip", "mtia", "hpu", "ipu", "vulkan")
"""The device types a device string may start with (a subset of PyTorch's list)."""


class device:  # noqa: N801 - PyTorch's name
    """A device: ``type`` (``"cpu"``, ``"cuda"``, ...) and an optional ``index``.

    Built from ``device("cpu")``, ``device("cuda:1")``, ``device("cuda", 1)`` or another device.
    Equal devices have the same type and index; a device also equals its string (``"cpu"``).

    >>> sn.device("cpu")
    device(type='cpu')
    """

    __slots__ = ("type", "index")

    def __init__(self, spec: Any, index: int | None = None) -> None:
        if isinstance(spec, device):
            spec, index = spec.type, spec.index if index is None else index
        if isinstance(spec, int) and not isinstance(spec, bool):
            spec, index = "cuda", spec  # PyTorch reads a bare index as an accelerator ordinal
        if not isinstance(spec, str):
            raise TypeError(f"device() expects a string such as 'cpu', got {type(spec).__name__}")
        kind, _, ordinal = spec.partition(":")
        if kind not in DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of "
                               f"device string: {spec}")
        if ordinal:
            if index is not None or not ordinal.isdigit():
                raise RuntimeError(f"Invalid device string: '{spec}'")
            index = int(ordinal)
        if index is not None and (not isinstance(index, int) or index < 0):
            raise RuntimeError(f"Device index must not be negative, got {index!r}")
        self.type, self.index = kind, index

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except RuntimeError:
                return False
        if not isinstance(other, device):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")
"""The device every tensor lives on."""


def resolve_device(spec: Any, what: str = "device") -> device:
    """``spec`` (a device, a string such as ``"cpu"``, or None for the CPU) as an available device.

    An accelerator raises as PyTorch does on a CPU-only build, naming the device and ``what``
    asked for it.
    """
    if spec is None:
        return CPU
    requested = device(spec)
    if requested.type == "cpu":
        return CPU
    if requested.type == "cuda":
        raise AssertionError(f"scratchnet is not compiled with CUDA enabled: it computes on the CPU "
                             f"only, so {what} '{requested}' is not available (use 'cpu')")
    raise RuntimeError(f"scratchnet is not linked with support for {requested.type} devices: "
                       f"{what} '{requested}' is not available (use 'cpu')")


def check_map_location(map_location: Any) -> None:
    """Accept a ``map_location`` of ``torch.load``'s kinds when it maps onto the CPU: None, a device
    or its name, a dict from saved device names to available devices, or a function (whose result
    is not needed: every tensor is loaded onto the CPU). An accelerator raises, naming it."""
    if callable(map_location):
        return
    targets = map_location.values() if isinstance(map_location, dict) else [map_location]
    for target in targets:
        resolve_device(target, "map_location")


def parse_to(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[device, Any, bool]:
    """The ``(device, dtype, copy)`` that ``to(...)`` asks for, from any of PyTorch's forms:
    ``to(dtype)``, ``to(device, dtype=None)``, ``to(other_tensor)``, each followed by
    ``non_blocking`` and ``copy``, positionally or by keyword."""
    unknown = set(kwargs) - {"device", "dtype", "non_blocking", "copy", "memory_format"}
    if unknown:
        raise TypeError(f"to() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    target_device, dtype = kwargs.get("device"), kwargs.get("dtype")
    rest = list(args)
    if rest and hasattr(rest[0], "device") and hasattr(rest[0], "dtype"):  # another tensor
        other = rest.pop(0)
        target_device, dtype = other.device, other.dtype
    elif rest and _names_device(rest[0]):
        target_device = rest.pop(0)
        if rest and not isinstance(rest[0], bool):
            dtype = rest.pop(0)
    elif rest and not isinstance(rest[0], bool):
        dtype = rest.pop(0)
    flags = dict(zip(("non_blocking", "copy"), rest))
    if len(rest) > 2 or not all(isinstance(flag, bool) for flag in flags.values()):
        raise TypeError(f"to() received an invalid combination of arguments: {args!r}")
    copy = bool(kwargs.get("copy", flags.get("copy", False)))
    return resolve_device(target_device, "to()"), resolve_dtype(dtype), copy


def _names_device(spec: Any) -> bool:
    """Whether a positional argument of ``to`` names a device (a dtype name such as
    ``"float64"`` is read as a dtype, as scratchnet always has)."""
    if isinstance(spec, str):
        return spec.partition(":")[0] in DEVICE_TYPES or resolve_dtype_name(spec) is None
    return isinstance(spec, (device, int)) and not isinstance(spec, bool)

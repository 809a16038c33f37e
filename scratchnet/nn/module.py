"""``Module``: the base class of every layer and network, in PyTorch's shape.

A Module registers the Parameters, buffers and sub-Modules assigned to its attributes, in
insertion order, so that ``named_parameters()`` and ``state_dict()`` produce PyTorch's names
(``"features.3.running_mean"``) and weights move between scratchnet and PyTorch by name.
"""

from __future__ import annotations

import functools
import inspect
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from scratchnet.autograd.config import no_grad
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import is_floating, resolve_dtype, xp
from scratchnet.devices import parse_to, resolve_device
from scratchnet.nn.allocation import claim
from scratchnet.nn.casting import cast_input, check_dtype, is_cast
from scratchnet.nn.hooks import BackwardHook, RemovableHandle
from scratchnet.nn.parameter import Parameter


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` returns: keys the model wanted but did not get,
    and keys it got but does not have."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class StateDictError(RuntimeError, ValueError):
    """A state dict that does not fit the model. A ``RuntimeError`` as in PyTorch, and a
    ``ValueError`` like every other bad input in scratchnet."""


def _record_init_args(init: Callable[..., None]) -> Callable[..., None]:
    """Wrap a subclass ``__init__`` so that the outermost call stores its arguments, bound by
    parameter name, in ``self._init_args`` (defaults filled in)."""
    signature = inspect.signature(init)

    @functools.wraps(init)
    def wrapper(self: Module, *args: Any, **kwargs: Any) -> None:
        if "_init_args" not in self.__dict__:
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            arguments = dict(bound.arguments)
            arguments.pop(next(iter(signature.parameters)))
            object.__setattr__(self, "_init_args", arguments)
        init(self, *args, **kwargs)

    return wrapper


def _addindent(text: str, spaces: int) -> str:
    """Indent every line of ``text`` but the first."""
    lines = text.split("\n")
    return "\n".join([lines[0]] + [" " * spaces + line for line in lines[1:]])


class Module:
    """Base class of layers and networks: subclasses assign Parameters, buffers and Modules
    in ``__init__`` and compute in ``forward``; call the module (``model(x)``), not ``forward``.

    ``__call__`` runs the forward pre-hooks, ``forward`` and the forward hooks. It also turns
    NumPy arrays into Tensors and casts floating-point inputs of another dtype to the dtype of the
    module's parameters (float64 -> float32 included, which PyTorch refuses); integer inputs (images
    as uint8) are cast by the layers that own parameters (Linear, Conv2d, ...), not by containers,
    so that ``Embedding`` still gets its indices. Object, string or complex arrays raise
    ``TypeError`` naming the dtype.

    Every Module records the arguments its constructor was called with, bound by parameter name
    and with defaults filled in, in ``self._init_args`` (a dict; a var-positional parameter such
    as ``Sequential(*modules)`` is stored as a tuple under its name, a var-keyword one as a
    dict). Only the outermost ``__init__`` call of a class hierarchy records, so a subclass that
    calls ``super().__init__(...)`` keeps its own arguments. Serialisation rebuilds a model from it.

    >>> from scratchnet import nn
    >>> class Net(nn.Module):
    ...     def __init__(self, hidden=32):
    ...         super().__init__()
    ...         self.fc = nn.Linear(4, hidden)
    ...     def forward(self, x):
    ...         return self.fc(x).relu()
    >>> Net()._init_args
    {'hidden': 32}
    """

    accepts_integer_input = False
    """Whether integer inputs are passed through uncast (True for ``Embedding``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _record_init_args(cls.__dict__["__init__"])

    def __init__(self) -> None:
        self.__dict__.setdefault("_init_args", {})
        for name in ("_parameters", "_buffers", "_modules", "_forward_hooks", "_forward_pre_hooks"):
            object.__setattr__(self, name, OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "training", True)

    # ---- computing --------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of this module; subclasses override it."""
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        float_dtype = self._float_dtype()
        if not is_cast(args, float_dtype):
            args = cast_input(args, float_dtype, self._keeps_integer_input())
        if self._forward_pre_hooks:
            args = self._run_forward_pre_hooks(args)
        backward_hook = BackwardHook(self, self._backward_hooks) if self._backward_hooks else None
        if backward_hook is not None:
            args = backward_hook.setup_inputs(args)
        output = self.forward(*args, **kwargs)
        if self._forward_hooks:
            output = self._run_forward_hooks(args, output)
        if backward_hook is not None:
            output = backward_hook.setup_outputs(output)
        return output

    def _run_forward_pre_hooks(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        """The positional arguments after every forward pre-hook (a hook may replace them)."""
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        return args

    def _run_forward_hooks(self, args: tuple[Any, ...], output: Any) -> Any:
        """The output after every forward hook (a hook may replace it)."""
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def _keeps_integer_input(self) -> bool:
        """Integer inputs are cast to float only by layers that own parameters and compute with
        them (Linear, Conv2d, ...), never by containers, which may start with an ``Embedding``."""
        return self.accepts_integer_input or all(p is None for p in self._parameters.values())

    def _float_dtype(self) -> xp.dtype | None:
        """The dtype of the first floating-point parameter in ``parameters()`` order (None
        without one). Looked up on every call, by a plain walk of the registries (cheap next to
        ``parameters()``), so that parameters replaced or cast since the last call are seen."""
        for parameter in self._parameters.values():
            if parameter is not None and parameter.array.dtype.kind == "f":
                return parameter.array.dtype
        for child in self._modules.values():
            if child is not None:
                dtype = child._float_dtype()
                if dtype is not None:
                    return dtype
        return None

    # ---- registration -----------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__ and isinstance(value, (Parameter, Module)):
            raise AttributeError(
                f"cannot assign {type(value).__name__} '{name}' before Module.__init__() is called")
        if isinstance(value, Parameter):
            self._claim(name, value)
            self._forget(name)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._forget(name)
            self._modules[name] = value
        elif "_parameters" in self.__dict__ and name in self._parameters:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter '{name}' "
                                "(a Parameter or None is expected)")
            self._parameters[name] = None
        elif "_buffers" in self.__dict__ and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer '{name}' "
                                "(a Tensor or None is expected)")
            self._claim(name, value)
            self._buffers[name] = value
        elif "_modules" in self.__dict__ and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module '{name}' "
                                "(a Module or None is expected)")
            self._modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def _claim(self, name: str, tensor: Tensor | None) -> None:
        """Count a new parameter or buffer against the allocation budget in force (see
        ``scratchnet.nn.allocation``): a loaded file may not make us allocate more than it holds."""
        if tensor is not None:
            claim(tensor.shape, f"{type(self).__name__}.{name}", tensor.array)

    def _forget(self, name: str) -> None:
        """Remove ``name`` from every registry and from the plain attributes."""
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self._non_persistent_buffers.discard(name)
        self.__dict__.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        if any(name in registry for registry in (self._parameters, self._buffers, self._modules)):
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def _check_name(self, name: str, kind: str) -> None:
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"{kind} name must be a non-empty string without '.', got {name!r}")
        if name in self.__dict__ and not any(
                name in registry for registry in (self._parameters, self._buffers, self._modules)):
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (a Parameter, or None for an absent one such as ``bias=False``)."""
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot register {type(param).__name__} as parameter '{name}' "
                            "(wrap it in nn.Parameter)")
        self._claim(name, param)
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register a Tensor that is state but not a parameter (BatchNorm's running mean).
        Persistent buffers appear in ``state_dict()``."""
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot register {type(tensor).__name__} as buffer '{name}' "
                            "(a Tensor is expected)")
        self._claim(name, tensor)
        self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a child called ``name``."""
        self._check_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module")
        self._forget(name)
        self._modules[name] = module

    register_module = add_module

    # ---- traversal --------------------------------------------------------------------
    def named_modules(self, memo: set[int] | None = None, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(name, module) for this module and every descendant, each module once."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        """This module and every descendant."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for the direct children."""
        seen: set[int] = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        """The direct children."""
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, recurse: bool) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        owners = self.named_modules() if recurse else [("", self)]
        for prefix, module in owners:
            for name, member in getattr(module, registry).items():
                if member is not None and id(member) not in seen:
                    seen.add(id(member))
                    yield (f"{prefix}.{name}" if prefix else name), member

    def named_parameters(self, recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(name, parameter) in registration order, each shared parameter once."""
        return self._named_members("_parameters", recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter, each once (what an optimizer takes)."""
        for _, parameter in self.named_parameters(recurse):
            yield parameter

    def named_buffers(self, recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(name, buffer) in registration order."""
        return self._named_members("_buffers", recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer."""
        for _, buffer in self.named_buffers(recurse):
            yield buffer

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every descendant, children first, then on this module; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ---- modes and gradients ----------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (True) or evaluation mode (False) here and in every descendant."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be a bool, got {type(mode).__name__}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (``train(False)``): Dropout is the identity, BatchNorm uses running stats."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` of every parameter (freeze with False)."""
        for parameter in self.parameters():
            parameter.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``None`` (default, as PyTorch 2), or new zero Tensors."""
        for parameter in self.parameters():
            if set_to_none or parameter.grad is None:
                parameter.grad = None
            else:
                parameter.grad = Tensor.wrap(xp.zeros_like(parameter.array))

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Move to a device and/or convert every floating-point parameter and buffer to a floating
        dtype, in place; returns self. Takes PyTorch's forms: ``to(device)``, ``to(dtype)``,
        ``to(device, dtype)``, ``to(tensor)``, ``to(device=..., dtype=...)``; only the CPU is
        available (an accelerator raises, naming it)."""
        _, dtype, _ = parse_to(args, kwargs)
        if dtype is None:
            return self
        if not is_floating(dtype):
            raise TypeError(f"Module.to only accepts floating point dtypes, but got desired dtype={dtype}")
        return self._cast(dtype)

    def _cast(self, dtype: Any) -> Module:
        """Convert every floating-point parameter and buffer to ``dtype`` in place; returns self."""
        dtype = resolve_dtype(dtype)
        for tensor in [*self.parameters(), *self.buffers()]:
            if is_floating(tensor.dtype):
                tensor.array = tensor.array.astype(dtype)
                tensor.grad = None
        return self

    def float(self) -> Module:
        """Parameters and floating buffers as float32."""
        return self._cast(xp.float32)

    def double(self) -> Module:
        """Parameters and floating buffers as float64 (for finite-difference checks)."""
        return self._cast(xp.float64)

    def cpu(self) -> Module:
        """This module on the CPU: itself, since every tensor lives there."""
        return self

    def cuda(self, device: Any = None) -> Module:
        """This module on a CUDA GPU: raises, since scratchnet computes on the CPU only."""
        resolve_device("cuda" if device is None else device, "Module.cuda()")
        return self  # unreachable: resolve_device raises for CUDA

    # ---- hooks ------------------------------------------------------------------------
    _backward_hooks: dict[int, Callable[..., Any]] | None = None  # made by the first registration

    def register_full_backward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs in each backward pass through a call of
        this module, once the gradients with respect to its tensor inputs are known: both are
        tuples of Tensors, one per tensor input / output (None where no gradient flows).
        Returning a tuple replaces ``grad_input`` for the rest of the pass (PyTorch's
        ``register_full_backward_hook``).

        >>> layer = sn.nn.Linear(2, 1)
        >>> seen = []
        >>> handle = layer.register_full_backward_hook(lambda m, gi, go: seen.append(go[0].shape))
        >>> layer(sn.ones(4, 2, requires_grad=True)).sum().backward()
        >>> seen
        [(4, 1)]
        """
        if self._backward_hooks is None:
            object.__setattr__(self, "_backward_hooks", OrderedDict())
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        return handle

    def register_forward_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, args)`` runs before ``forward``; returning a value replaces the
        positional arguments (a tuple, or one value)."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, args, output)`` runs after ``forward``; returning a value replaces the output."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # ---- state dict -------------------------------------------------------------------
    def _state_entries(self) -> Iterator[tuple[str, Tensor]]:
        """(key, parameter or buffer) for every entry of the state dict, in PyTorch's order:
        per module (pre-order), its parameters, then its persistent buffers."""
        for prefix, module in self.named_modules():
            head = f"{prefix}." if prefix else ""
            for name, parameter in module._parameters.items():
                if parameter is not None:
                    yield head + name, parameter
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent_buffers:
                    yield head + name, buffer

    def state_dict(self) -> OrderedDict[str, Tensor]:
        """Every parameter and persistent buffer by its dotted name (``"features.0.weight"``),
        as Tensors detached from the graph that share memory with the model."""
        return OrderedDict((key, tensor.detach()) for key, tensor in self._state_entries())

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> IncompatibleKeys:
        """Copy values (Tensors or NumPy arrays) into the parameters and buffers by name.

        Everything is checked before anything is written: a shape mismatch, and with ``strict``
        a missing or unexpected key, raises one ``StateDictError`` listing every problem (as
        PyTorch's "Error(s) in loading state_dict"), and the model is left unchanged.
        Returns ``(missing_keys, unexpected_keys)``.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError("load_state_dict expects a mapping of names to arrays, "
                            f"got {type(state_dict).__name__}")
        targets = OrderedDict(self._state_entries())
        missing = [key for key in targets if key not in state_dict]
        unexpected = [key for key in state_dict if key not in targets]
        arrays, problems = {}, []
        for key, target in targets.items():
            if key in state_dict:
                array, problem = _checked_value(key, state_dict[key], target)
                arrays[key] = array
                if problem:
                    problems.append(problem)
        header = []
        if strict and missing:
            header.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        if strict and unexpected:
            header.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
        problems = header + problems
        if problems:
            raise StateDictError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                                 + "\n\t".join(problems))
        with no_grad():
            for key, array in arrays.items():
                targets[key].array[...] = array
        return IncompatibleKeys(missing, unexpected)

    # ---- repr -------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The hyper-parameters shown inside the parentheses of ``repr``; layers override it."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(child), 2) for name, child in self._modules.items()]
        head = type(self).__name__ + "("
        if len(extra_lines) == 1 and not child_lines:
            return head + extra_lines[0] + ")"
        if not extra_lines and not child_lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(extra_lines + child_lines) + "\n)"


def _checked_value(key: str, value: Any, target: Tensor) -> tuple[Any, str | None]:
    """The array to copy into ``target`` and a problem description (None when it fits)."""
    array = value.array if isinstance(value, Tensor) else xp.asarray(value)
    try:
        check_dtype(array)
    except TypeError as error:
        return None, f"bad value for {key}: {error}"
    if array.shape != target.shape:
        return None, (f"size mismatch for {key}: copying a param with shape {tuple(array.shape)} from "
                      f"checkpoint, the shape in current model is {tuple(target.shape)}.")
    return array.astype(target.dtype, copy=False), None

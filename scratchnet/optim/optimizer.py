"""The optimiser base class: parameter groups, per-parameter state, ``step`` and state dicts.

As in PyTorch, an optimiser holds ``param_groups`` (a list of dicts: ``"params"`` plus the options
of that group) and ``state`` (a dict from parameter to its buffers). Subclasses say how to make a
parameter's state (``_init_state``) and how to update one parameter in place (``_update``).
Updates write into ``param.array`` and the preallocated state arrays with NumPy ``out=`` and
in-place operators; the few temporaries go to a reusable workspace, so a step allocates no arrays.
Every ``_update`` is elementwise, so ``step`` splits all parameters' updates, laid end to end as one
flat range, over scratchnet's threads (as PyTorch's foreach kernels): the same bits at any thread
count.
"""

from __future__ import annotations

import bisect
import itertools
import math
import threading
from collections.abc import Callable, Iterable
from typing import Any

from scratchnet import parallel
from scratchnet.autograd.config import enable_grad
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import is_floating, xp

_LABELS = {"lr": "learning rate", "eps": "epsilon value"}


def require(condition: bool, message: str) -> None:
    """Raise ``ValueError(message)`` unless ``condition`` holds (constructor validation)."""
    if not condition:
        raise ValueError(message)


def check_non_negative(options: dict[str, Any], *names: str) -> None:
    """Each named option must be a number >= 0 (NaN fails): ``ValueError("Invalid learning rate: -0.1")``."""
    for name in names:
        value = options[name]
        if isinstance(value, bool) or not isinstance(value, (int, float, xp.number)):
            raise TypeError(f"{name} must be a number, got {type(value).__name__}")
        require(value >= 0.0, f"Invalid {_LABELS.get(name, name + ' value')}: {value}")


def scaled_square(grad: xp.ndarray, scale: float, out: xp.ndarray) -> xp.ndarray:
    """scale·g² computed as (√scale·g)² into ``out`` (two passes, each reading one array): scaling
    before squaring, as PyTorch's ``addcmul(g, g, value=scale)`` does, keeps 1e-3·(1e20)² = 1e37
    finite in float32 where squaring first overflows to inf; equal to it up to float32 rounding."""
    xp.multiply(grad, math.sqrt(scale), out=out)
    return xp.square(out, out=out)


class Workspace:
    """Reusable scratch arrays: ``get(slot, like)`` is a view of ``like``'s shape and dtype into a
    flat buffer that grows to the largest parameter once and is then reused on every step. Each
    thread has its own buffers, so updates of different parameters can run at once."""

    def __init__(self) -> None:
        self._buffers: dict[tuple[int, int, xp.dtype], xp.ndarray] = {}

    def get(self, slot: int, like: xp.ndarray) -> xp.ndarray:
        """A scratch array shaped like ``like`` (contents undefined); distinct slots never overlap."""
        key = (threading.get_ident(), slot, like.dtype)
        buffer = self._buffers.get(key)
        if buffer is None or buffer.size < like.size:
            buffer = self._buffers[key] = xp.empty(like.size, dtype=like.dtype)
        return buffer[:like.size].reshape(like.shape)


def _as_groups(params: Any) -> list[dict[str, Any]]:
    """Normalise ``params`` (an iterable of Tensors or of group dicts) to a list of group dicts."""
    if isinstance(params, Tensor):
        raise TypeError("params must be an iterable of Tensors or dicts, got a single Tensor "
                        "(wrap it in a list)")
    if isinstance(params, (set, frozenset)):
        raise TypeError("params must be an ordered iterable of Tensors or dicts, got a set "
                        "(its order changes between runs)")
    groups = list(params)
    if not groups:
        raise ValueError("optimizer got an empty parameter list")
    if not isinstance(groups[0], dict):
        groups = [{"params": groups}]
    return groups


def _checked_params(params: Any, existing: list[Tensor]) -> list[Tensor]:
    """The group's parameters as a list: floating-point Tensors, each in no other group."""
    params = [params] if isinstance(params, Tensor) else list(params)
    for position, param in enumerate(params):
        if not isinstance(param, Tensor):
            raise TypeError(f"optimizer can only optimize Tensors, parameter {position} of the group "
                            f"is a {type(param).__name__}")
        if not is_floating(param.dtype):
            raise TypeError(f"optimizer can only optimize floating-point Tensors, parameter {position} "
                            f"of the group is {param.dtype}")
    if len({id(param) for param in params}) != len(params):
        raise ValueError("a parameter group contains the same parameter twice")
    seen = {id(param) for param in existing}
    if any(id(param) in seen for param in params):
        raise ValueError("some parameters appear in more than one parameter group")
    return params


class Optimizer:
    """Base class of all optimisers (PyTorch's ``torch.optim.Optimizer`` contract).

    ``param_groups``: list of dicts, each with ``"params"`` (a list of Tensors) and every option
    (missing options take the constructor's defaults). ``state``: dict parameter -> dict of its
    buffers. ``step()`` updates every parameter whose ``.grad`` is not None, in place.
    """

    state_keys: tuple[str, ...] = ()
    """The names that may appear in one parameter's state (checked by ``load_state_dict``)."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], defaults: dict[str, Any]) -> None:
        self._validate(defaults)
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Tensor, dict[str, Any]] = {}
        self._workspace = Workspace()
        for group in _as_groups(params):
            self.add_param_group(group)

    # ---- what subclasses provide -------------------------------------------------------
    def _validate(self, options: dict[str, Any]) -> None:
        """Raise ``ValueError`` naming the first invalid option of a group (or of the defaults)."""
        raise NotImplementedError

    def _init_state(self, param: xp.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        """A fresh state for a parameter (arrays of the parameter's shape and dtype)."""
        raise NotImplementedError

    def _update(self, param: xp.ndarray, grad: xp.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        """Update ``param`` in place from its gradient ``grad`` (never written) and its state."""
        raise NotImplementedError

    # ---- groups ------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing options take the defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a parameter group must be a dict, got {type(param_group).__name__}")
        params = param_group.get("params")
        if params is None:
            raise ValueError("a parameter group needs a 'params' entry")
        params = _checked_params(params, self._indexed_params())
        group = {**self.defaults, **param_group, "params": params}
        self._validate(group)
        self.param_groups.append(group)

    # ---- training ----------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``p.grad = None`` (or a new zero Tensor when ``set_to_none=False``)."""
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    param.grad = None if set_to_none else Tensor.wrap(xp.zeros_like(param.array))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, in place; returns ``closure()`` if given
        (the closure re-evaluates the loss with gradients enabled, as in PyTorch)."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._apply(self._pending_updates())
        return loss

    def _pending_updates(self) -> list[tuple[xp.ndarray, xp.ndarray, dict[str, Any], dict[str, Any]]]:
        """``(param, grad, state, group)`` for every parameter that has a gradient, its state made
        on its first step."""
        updates = []
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = param.grad.array
                if grad.shape != param.shape:
                    raise ValueError(f"gradient of shape {grad.shape} for a parameter of shape {param.shape}")
                state = self.state.get(param)
                if state is None:
                    state = self.state[param] = self._init_state(param.array, group)
                updates.append((param.array, grad, state, group))
        return updates

    split_cost_per_element = 2
    """The work per parameter element that ``_apply`` gives ``parallel.chunk_bounds``: the update
    is split over the threads from ``MIN_CHUNK_COST / 2`` (about half a million) elements.

    Lower than the update's dozen elementwise passes, because what a split costs is not the
    passes but waking a worker that has been idle through the forward and backward passes of a
    small model. Measured on the 2-core development machine, quiet: Adam over 200,000 elements
    in a hot loop is 0.27 ms on one thread and 0.23 ms split in two, but in the seed CNN's step
    (Adam, 197,210 parameters, nothing else split) the split made the step 0.7-0.9 ms slower
    (3.4-3.6 ms against 2.7-3.1 ms); SGD with momentum is slower split at 400,000 elements even
    in the hot loop (0.19 against 0.14 ms). Adam over 800,000 elements gains 0.3 ms, 1.6 million
    0.9 ms."""

    def _apply(self, updates: list[tuple[xp.ndarray, xp.ndarray, dict[str, Any], dict[str, Any]]]) -> None:
        """Run ``_update`` on every parameter, the parameters laid end to end as one flat range
        split over scratchnet's threads; a parameter cut by a chunk boundary is updated piece by
        piece on flat views of it, its gradient and its state (its scalar state, such as the step
        count, taken from the first piece; state arrays a piece made, gathered in order)."""
        offsets = list(itertools.accumulate((update[0].size for update in updates), initial=0))
        if parallel.runs_whole(offsets[-1], self.split_cost_per_element):
            for update in updates:
                self._update(*update)
            return
        updates = [(param, xp.ascontiguousarray(grad), state, group) for param, grad, state, group in updates]
        for update in updates:
            if not update[0].size:  # nothing to split, but its step count goes on
                self._update(*update)
        pieces: dict[tuple[int, int], dict[str, Any]] = {}

        def work(start: int, stop: int) -> None:
            for index in range(bisect.bisect_right(offsets, start) - 1, len(updates)):
                begin, end = offsets[index], offsets[index + 1]
                if begin >= stop:
                    break
                if begin == end:
                    continue
                low, high = max(start, begin) - begin, min(stop, end) - begin
                if (low, high) == (0, end - begin) or (low == 0 and not _splittable(*updates[index])):
                    self._update(*updates[index])
                elif _splittable(*updates[index]):
                    pieces[index, low] = self._update_piece(updates[index], low, high)

        parallel.parallel_for(offsets[-1], work, item_cost=self.split_cost_per_element)
        for index, group_pieces in itertools.groupby(sorted(pieces.items()), key=lambda item: item[0][0]):
            _gather_state(updates[index], [piece for _, piece in group_pieces])

    def _update_piece(self, update: tuple[xp.ndarray, xp.ndarray, dict[str, Any], dict[str, Any]],
                      low: int, high: int) -> dict[str, Any]:
        """``_update`` on elements ``low:high`` of a parameter; returns the piece's state dict."""
        param, grad, state, group = update
        piece = {key: _flat(value)[low:high] if _shaped_like(value, param) else value
                 for key, value in state.items()}
        self._update(_flat(param)[low:high], _flat(grad)[low:high], piece, group)
        return piece

    def _effective_grad(self, param: xp.ndarray, grad: xp.ndarray, group: dict[str, Any],
                        weight_decay: float) -> xp.ndarray:
        """``±grad + weight_decay·param`` (minus when ``maximize``), in workspace slot 0; ``grad``
        itself when there is nothing to add (L2 regularisation as PyTorch's ``weight_decay``)."""
        maximize = group.get("maximize", False)
        if weight_decay == 0 and not maximize:
            return grad
        out = self._workspace.get(0, param)
        if weight_decay == 0:
            return xp.negative(grad, out=out)
        xp.multiply(param, weight_decay, out=out)
        return xp.subtract(out, grad, out=out) if maximize else xp.add(out, grad, out=out)

    def _scratch(self, slot: int, like: xp.ndarray) -> xp.ndarray:
        """Workspace slot ``slot`` (>= 1; slot 0 holds the effective gradient) shaped like ``like``."""
        return self._workspace.get(slot, like)

    # ---- state dicts -------------------------------------------------------------------
    def _indexed_params(self) -> list[Tensor]:
        """All parameters in group order: their position is their index in a state dict."""
        return [param for group in self.param_groups for param in group["params"]]

    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {name: array or number}}, "param_groups": [{options..., "params":
        [indices]}]}`` as PyTorch, parameters numbered across groups in order. Arrays are copies."""
        index = {id(param): position for position, param in enumerate(self._indexed_params())}
        groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            packed["params"] = [index[id(param)] for param in group["params"]]
            groups.append(packed)
        state = {}
        for param in self._indexed_params():
            entry = self.state.get(param)
            if entry:
                state[index[id(param)]] = {key: value.copy() if isinstance(value, xp.ndarray) else value
                                           for key, value in entry.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and state saved by ``state_dict`` (ours or PyTorch's converted to arrays).

        Group and parameter counts and every array's shape are checked before anything changes;
        arrays are copied into the existing state arrays (cast to each parameter's dtype), and
        parameters without saved state start afresh, as in PyTorch. Options missing from a saved
        group (a PyTorch state dict has no ``epsilon_hat``) take the constructor's defaults.
        """
        try:
            new_groups, new_state = self._loaded(state_dict)
        except (TypeError, LookupError, ArithmeticError, AttributeError) as error:
            raise ValueError(f"malformed optimizer state dict ({type(error).__name__}: {error})") from None
        self.state = {param: self._merge_state(self.state.get(param), loaded)
                      for param, loaded in new_state.items()}
        self.param_groups = new_groups

    def _loaded(self, state_dict: Any) -> tuple[list[dict[str, Any]], dict[Tensor, dict[str, Any]]]:
        """The groups and per-parameter states ``state_dict`` describes, checked; nothing changes."""
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict) \
                or not isinstance(state_dict["state"], dict) \
                or not isinstance(state_dict["param_groups"], list):
            raise ValueError("an optimizer state dict needs 'state' and 'param_groups' entries "
                             "(a dict, a list)")
        new_groups, owner = self._loaded_groups(state_dict["param_groups"])
        new_state = {}
        for index, saved in state_dict["state"].items():
            if not _is_index(index) or int(index) not in owner:
                raise ValueError(f"loaded state dict has state for parameter {index!r}, "
                                 f"which is in none of its parameter groups")
            if not isinstance(saved, dict):
                raise ValueError(f"state of parameter {index} is a {type(saved).__name__}, not a dict")
            param, group = owner[int(index)]
            new_state[param] = self._loaded_state(int(index), param, group, saved)
        return new_groups, new_state

    def _loaded_groups(self, saved_groups: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict]:
        """The groups to install (saved options, current parameters) and, for each saved parameter
        index, its ``(parameter, new group)``; counts are checked and options validated."""
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, "
                             f"this optimizer has {len(self.param_groups)}")
        new_groups, owner = [], {}
        for number, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            indices = saved.get("params") if isinstance(saved, dict) else None
            if not isinstance(indices, list) or not all(map(_is_index, indices)) \
                    or len(set(map(int, indices))) != len(indices):
                raise ValueError(f"parameter group {number} of the loaded state dict has no list of "
                                 "distinct parameter indices under 'params'")
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"parameter group {number}: loaded state dict has {len(saved['params'])} "
                                 f"parameters, this optimizer's group has {len(group['params'])}")
            new_group = {**self.defaults, **saved, "params": group["params"]}
            self._validate(new_group)
            new_groups.append(new_group)
            owner.update({int(index): (param, new_group)
                          for index, param in zip(saved["params"], group["params"])})
        return new_groups, owner

    def _loaded_state(self, index: int, param: Tensor, group: dict[str, Any],
                      saved: dict[str, Any]) -> dict[str, Any]:
        """Check one saved parameter state against a fresh one and convert its values."""
        unknown = sorted(set(saved) - set(self.state_keys))
        if unknown:
            raise ValueError(f"state of parameter {index} has unknown entries {unknown} for "
                             f"{type(self).__name__} (expected some of {list(self.state_keys)})")
        state = self._init_state(param.array, group)
        missing = sorted(set(state) - set(saved))
        if missing:
            raise ValueError(f"state of parameter {index} lacks {missing} (saved by another optimizer "
                             f"or with other options?)")
        for key, value in saved.items():
            if key == "step":
                state[key] = int(xp.asarray(value).item())
            elif value is None:
                state[key] = None
            else:
                array = xp.asarray(value)
                if array.shape != param.shape:
                    raise ValueError(f"state '{key}' of parameter {index} has shape {array.shape}, "
                                     f"the parameter has shape {param.shape}")
                state[key] = xp.array(array, dtype=param.dtype)
        return state

    @staticmethod
    def _merge_state(current: dict[str, Any] | None, loaded: dict[str, Any]) -> dict[str, Any]:
        """The loaded state, written into ``current``'s arrays where they exist (no reallocation)."""
        if current is None:
            return loaded
        for key, value in loaded.items():
            target = current.get(key)
            if isinstance(value, xp.ndarray) and isinstance(target, xp.ndarray) \
                    and target.shape == value.shape:
                xp.copyto(target, value)
                loaded[key] = target
        current.clear()
        current.update(loaded)
        return current

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {number}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join([*lines, ")"])


def _flat(array: xp.ndarray) -> xp.ndarray:
    """A C-contiguous array as a 1-D view."""
    return array.reshape(-1)


def _shaped_like(value: Any, param: xp.ndarray) -> bool:
    """Whether a state entry is an array of the parameter's shape (updated elementwise with it)."""
    return isinstance(value, xp.ndarray) and value.shape == param.shape


def _splittable(param: xp.ndarray, grad: xp.ndarray, state: dict[str, Any], group: dict[str, Any]) -> bool:
    """Whether flat views of the parameter and its state arrays are views, not copies."""
    return param.flags.c_contiguous and all(value.flags.c_contiguous for value in state.values()
                                            if _shaped_like(value, param))


def _gather_state(update: tuple[xp.ndarray, xp.ndarray, dict[str, Any], dict[str, Any]],
                  pieces: list[dict[str, Any]]) -> None:
    """Write back what the pieces of a split update changed in the parameter's state: scalars
    from the first piece (every piece computed the same), arrays a piece replaced or added
    joined in piece order (arrays updated in place through views need nothing)."""
    param, _, state, _ = update
    for key, value in pieces[0].items():
        if not isinstance(value, xp.ndarray):
            state[key] = value
        elif not (_shaped_like(state.get(key), param) and xp.shares_memory(value, state[key])):
            state[key] = xp.concatenate([piece[key] for piece in pieces]).reshape(param.shape)


def _is_index(value: Any) -> bool:
    """A parameter index as a state dict holds it: an int (not a bool), or a string of digits."""
    return (isinstance(value, int) and not isinstance(value, bool) and value >= 0) or \
        (isinstance(value, str) and value.isascii() and value.isdigit())

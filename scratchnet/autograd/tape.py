"""``GradientTape``: TensorFlow's way of asking for gradients, on top of the same engine: the walk
(``engine.walk``) delivers the gradients of the chosen sources to a table (``SourceGradients``)
instead of ``.grad``."""

from __future__ import annotations

import weakref
from typing import Any

from scratchnet.autograd.config import Config
from scratchnet.autograd.engine import initial_grad, walk
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp


class SourceGradients:
    """The destination of a tape's backward pass: the gradient of each source (a leaf or an
    intermediate tensor), summed over the paths that reach it; ``.grad`` is not touched."""

    def __init__(self, sources: list[Tensor]) -> None:
        self.watched = {id(s) for s in sources}
        self.found: dict[int, Any] = {}

    def deliver(self, x: Tensor, grad: Any) -> None:
        """Add ``grad`` to the gradient of ``x`` when it is a source."""
        if id(x) in self.watched:
            current = self.found.get(id(x))
            self.found[id(x)] = grad if current is None else current + grad

    def result(self, sources: list[Tensor]) -> list[Tensor | None]:
        """The gradient of each source as a Tensor (``None`` where the target does not depend on it)."""
        grads = [self.found.get(id(s)) for s in sources]
        return [g if g is None or isinstance(g, Tensor) else Tensor.wrap(g) for g in grads]


def source_gradients(target: Tensor, seed: Any, sources: list[Tensor], *, retain_graph: bool,
                     create_graph: bool) -> list[Tensor | None]:
    """d(target)/d(source) for each source, from the gradient ``seed`` of ``target`` (None: ones
    for a one-element target)."""
    target._check_can_backward()
    table = SourceGradients(sources)
    walk(target, initial_grad(target, seed), table, retain_graph=retain_graph, create_graph=create_graph)
    return table.result(sources)


class GradientTape:
    """Record operations inside ``with`` and differentiate them afterwards.

    >>> x = sn.Variable(3.0)
    >>> with sn.GradientTape() as tape:
    ...     y = x * x
    >>> tape.gradient(y, x)   # 2x
    tensor(6.)

    Trainable ``sn.Variable``s (and any tensor that requires grad) are watched automatically;
    ``tape.watch(t)`` watches a constant for the duration of the tape. ``gradient`` returns the
    gradients in the structure of ``sources``, with ``None`` for a source the target does not depend
    on, and does not touch ``.grad``. A tape can be asked once unless ``persistent=True``.
    As in TensorFlow, ``gradient`` called while a tape is recording (inside its own ``with`` block,
    or inside an outer tape's) records the gradient computation, so it can be differentiated again.
    Several tapes over one computation (TensorFlow's GAN loop: ``with tf.GradientTape() as g_tape,
    tf.GradientTape() as d_tape``) each get their gradient: the graph is kept while another
    entered tape has not been asked yet.
    """

    _recording = 0  # how many tapes are inside their ``with`` block right now
    _unanswered: weakref.WeakSet[GradientTape] = weakref.WeakSet()  # entered, gradient not yet asked

    def __init__(self, persistent: bool = False) -> None:
        self.persistent = persistent
        self._watched: list[Tensor] = []
        self._used = False
        self._previous_grad_mode = True

    def __enter__(self) -> GradientTape:
        self._previous_grad_mode = Config.grad_enabled
        Config.grad_enabled = True
        GradientTape._recording += 1
        GradientTape._unanswered.add(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        Config.grad_enabled = self._previous_grad_mode
        GradientTape._recording -= 1
        for tensor in self._watched:
            tensor.requires_grad = False

    def watch(self, tensor: Any) -> None:
        """Track gradients for ``tensor`` (or each tensor in a list) from now on."""
        for item in tensor if isinstance(tensor, (list, tuple)) else [tensor]:
            if not item.requires_grad:
                item.requires_grad = True
                self._watched.append(item)

    def gradient(self, target: Tensor, sources: Any, output_gradients: Any = None) -> Any:
        """d(target)/d(source) for each source, in the structure of ``sources``.

        A non-scalar target is summed first, as TensorFlow does (or weighted by
        ``output_gradients``).
        """
        if self._used and not self.persistent:
            raise RuntimeError("a non-persistent GradientTape can compute gradients only once; "
                               "use GradientTape(persistent=True)")
        self._used = True
        GradientTape._unanswered.discard(self)
        others_waiting = len(GradientTape._unanswered) > 0
        flat = list(sources) if isinstance(sources, (list, tuple)) else [sources]
        if not target.requires_grad:
            grads: list[Tensor | None] = [None] * len(flat)
        else:
            seed = output_gradients
            if seed is None and target.array.size != 1:
                seed = Tensor.wrap(xp.ones(target.shape, dtype=target.dtype))
            record = GradientTape._recording > 0
            keep = self.persistent or record or others_waiting
            grads = source_gradients(target, seed, flat, retain_graph=keep, create_graph=record)
        if isinstance(sources, tuple):
            return tuple(grads)
        return grads if isinstance(sources, list) else grads[0]


"""Keras's progress output, drawn with tqdm.

On a terminal (``verbose=1``), a live bar per epoch in Keras's format::

    Epoch 1/2
    750/750 [==============================] - 2s 2ms/step - loss: 0.5648 - accuracy: 0.8473

showing ``- ETA: 12s`` while the epoch runs. Otherwise (``verbose=2``, or stdout not a terminal)
one line per epoch: ``750/750 - 2s - 2ms/step - loss: 0.5648 - accuracy: 0.8473``.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import Any, TextIO

from tqdm import tqdm


def format_value(value: float) -> str:
    """A log value as Keras prints it: 4 decimals, or scientific notation below 1e-3."""
    return f"{value:.4f}" if abs(value) > 1e-3 or value == 0 else f"{value:.4e}"


def format_logs(logs: dict[str, float]) -> str:
    """`` - loss: 0.5648 - accuracy: 0.8473`` (in the order of ``logs``)."""
    return "".join(f" - {key}: {format_value(value)}" for key, value in logs.items()
                   if isinstance(value, (int, float)))


def format_duration(seconds: float) -> str:
    """Keras's ETA format: ``12s``, ``1:05`` or ``1:02:03``."""
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if seconds >= 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


def format_per_step(seconds: float) -> str:
    """``2ms/step``, ``350us/step`` or ``1s/step``."""
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


class _KerasTqdm(tqdm):
    """tqdm with a ``{keras}`` field: the ETA (or time per step when done) and the logs."""

    logs: dict[str, float] = {}

    @property
    def format_dict(self) -> dict[str, Any]:
        values = super().format_dict
        n, total, elapsed = values["n"], values["total"], values["elapsed"]
        if total is not None and n < total:
            rate = elapsed / n if n else 0.0
            timing = f" - ETA: {format_duration(rate * (total - n))}"
        else:
            timing = f" - {elapsed:.0f}s {format_per_step(elapsed / max(n, 1))}"
        values["keras"] = timing + format_logs(self.logs)
        return values


class Progbar:
    """One epoch's progress: ``update(step, logs)`` after each batch, ``close(logs)`` at the end.

    ``live`` draws the tqdm bar; otherwise only ``close`` prints (one line).
    """

    def __init__(self, total: int | None, live: bool, file: TextIO | None = None) -> None:
        self.total = total
        self.live = live
        self.file = file or sys.stdout
        self.start = time.monotonic()
        self.seen = 0
        self.bar: _KerasTqdm | None = None
        if live:
            size = shutil.get_terminal_size((120, 24))
            self.bar = _KerasTqdm(total=total, file=self.file, ascii=".>=", leave=True,
                                  ncols=size.columns or 120, nrows=size.lines or 24,
                                  bar_format="{n_fmt}/{total_fmt} [{bar:30}]{keras}" if total else
                                  "{n_fmt}/Unknown{keras}", mininterval=0.1)

    def update(self, steps_done: int, logs: dict[str, float]) -> None:
        """``steps_done`` batches are finished; ``logs`` are the running means."""
        if self.bar is not None:
            self.bar.logs = logs
            self.bar.update(steps_done - self.bar.n)
        self.seen = steps_done

    def close(self, logs: dict[str, float]) -> None:
        """Finish the epoch: the final bar, or the one summary line."""
        if self.bar is not None:
            self.bar.logs = logs
            self.bar.total = self.bar.n
            self.bar.refresh()
            self.bar.close()
            return
        elapsed = time.monotonic() - self.start
        steps = self.total or self.seen
        print(f"{steps}/{steps} - {elapsed:.0f}s - {format_per_step(elapsed / max(self.seen, 1))}"
              f"{format_logs(logs)}", file=self.file, flush=True)

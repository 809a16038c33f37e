"""Every ``>>>`` example in scratchnet's docstrings runs and shows what it says it shows.

Each module whose source holds an example is one test: its examples run with ``sn`` (scratchnet)
and ``np`` (NumPy) defined, the global generator seeded with 0 before each docstring, in a
temporary folder (for examples that write files). A module that needs an optional extra which is
not installed (``onnx``, ``mpi4py``, ``matplotlib``...) is skipped with the extra named.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import scratchnet as sn

PACKAGE = Path(sn.__file__).resolve().parent
OPTIONAL = {"onnx", "onnxruntime", "mpi4py", "matplotlib", "h5py", "tensorboard", "safetensors", "tqdm",
            "threadpoolctl", "torch", "PIL"}
"""Third-party modules that only an optional extra installs."""

EXAMPLES_NEED = {"scratchnet.onnx": "onnx", "scratchnet.utils.tensorboard": "tensorboard"}
"""Modules that import without their optional extra but whose examples run it."""

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def modules_with_examples() -> list[str]:
    """Dotted names of the package's modules whose source holds a ``>>>`` example."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name != "__main__.py" and ">>> " in path.read_text(encoding="utf-8"):
            parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def import_or_skip(name: str):
    """The module, or a skip naming the optional extra it (or its examples) needs."""
    needed = EXAMPLES_NEED.get(name)
    if needed is not None and importlib.util.find_spec(needed) is None:
        pytest.skip(f"the examples of {name} need the optional {needed!r} package")
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name and error.name.split(".")[0] in OPTIONAL:
            pytest.skip(f"{name} needs the optional {error.name.split('.')[0]!r} package")
        raise


@pytest.mark.parametrize("name", modules_with_examples())
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    module = import_or_skip(name)
    monkeypatch.chdir(tmp_path)
    tests = [test for test in doctest.DocTestFinder().find(module, extraglobs={"sn": sn, "np": np})
             if test.examples and test.name.startswith(name)]
    assert tests, f"{name}: a '>>> ' in the source but no docstring example found"
    report: list[str] = []
    for test in tests:
        sn.manual_seed(0)
        runner = doctest.DocTestRunner(optionflags=FLAGS)
        runner.run(test, out=report.append)
    assert not report, "".join(report)


def test_the_examples_are_found():
    """The collection sees the package's examples (a broken search would pass vacuously)."""
    names = modules_with_examples()
    assert len(names) > 25 and {"scratchnet.training", "scratchnet.data.batching"} <= set(names)

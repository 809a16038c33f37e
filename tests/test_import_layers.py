"""Imports point downward, at package level: the graph of scratchnet's top-level packages and
modules, read from the source with ``ast`` (every import statement, lazy ones inside functions
included), has no cycle, and every edge goes to the same layer or a lower one in ``LAYERS``.
Run with ``-s`` to see the graph."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "scratchnet"

LAYERS: list[tuple[str, ...]] = [  # bottom first: DESIGN.md's layers, with the packages it does not name
    ("backend", "version"),
    ("devices", "parallel", "layout"),  # the device objects; who runs a routine where; memory order
    ("accelerator", "backends", "cuda"),  # PyTorch's device namespaces over ``devices``
    ("autograd", "reference"),  # Tensor, Function, engine; beside it the book formulas on arrays
    ("ops",),
    ("functional",),
    # ``distributed`` (MPI collectives on arrays) needs only autograd: ``data``'s DistributedSampler
    # asks it for the rank; ``training`` is the one step every front end calls.
    ("optim", "data", "utils", "distributed", "training"),
    ("nn", "datasets", "serialization"),  # serialization saves modules; datasets yield data sets
    ("onnx",),  # exports nn modules; Keras's export calls it
    ("keras",),
    # front ends over Keras (``models`` holds the seed tutorials' Keras networks beside the nn ones)
    ("tf", "classic", "viz", "runs", "models"),
    ("cli", "__main__", "__init__"),
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def units(package: Path) -> set[str]:
    """The top-level modules and subpackages of ``package`` (``__init__`` for the package itself)."""
    return {path.stem if path.is_file() else path.name for path in package.iterdir()
            if (path.suffix == ".py") or (path / "__init__.py").is_file()}


def unit_of(module: str, package: Path) -> str:
    """The top-level unit a dotted module name (``pkg.a.b``) or a name imported from ``pkg`` is in."""
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__"
    return parts[1] if parts[1] in units(package) else "__init__"


def imported_modules(tree: ast.AST, module: str, is_package: bool) -> list[str]:
    """The dotted names every import statement in ``tree`` reaches (relative ones resolved)."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            names += [f"{base}.{alias.name}" for alias in node.names]
    return names


def import_graph(package: Path) -> dict[str, set[str]]:
    """unit -> the other units of ``package`` it imports."""
    name = package.name
    graph: dict[str, set[str]] = {unit: set() for unit in units(package)}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        source = unit_of(module, package) if module != name else "__init__"
        for target in imported_modules(ast.parse(path.read_text(encoding="utf-8")), module, is_package):
            if target == name or target.startswith(name + "."):
                graph[source].add(unit_of(target, package))
    return {unit: targets - {unit} for unit, targets in graph.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Some cycle through each strongly connected part of ``graph`` that has one (empty: acyclic)."""
    found, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                found.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def upward_imports(graph: dict[str, set[str]], rank: dict[str, int]) -> list[str]:
    """Each edge from a unit to one in a higher layer, as ``"a -> b"``."""
    return [f"{source} -> {target}" for source, targets in sorted(graph.items())
            for target in sorted(targets) if rank[target] > rank[source]]


def test_scratchnet_import_graph_is_acyclic_and_points_downward():
    graph = import_graph(PACKAGE)
    unplaced = sorted(set(graph) - set(RANK))
    assert not unplaced, f"packages without a layer (add them to LAYERS): {unplaced}"
    for layer, names in reversed(list(enumerate(LAYERS))):
        for name in names:
            if name in graph:
                print(f"{layer:2d} {name:14s} -> {', '.join(sorted(graph[name], key=RANK.get)) or '-'}")
    assert not cycles(graph), f"import cycles: {cycles(graph)}"
    assert not upward_imports(graph, RANK), f"upward imports: {upward_imports(graph, RANK)}"
    assert {"ops", "autograd", "functional"} <= graph["nn"] and "ops" not in graph["autograd"]


@pytest.fixture
def toy_package(tmp_path):
    """A package with backend < autograd < ops < nn, written as files."""
    package = tmp_path / "toy"
    for name in ("autograd", "ops", "nn"):
        (package / name).mkdir(parents=True)
    (package / "__init__.py").write_text("from toy import nn\n")
    (package / "backend.py").write_text("import math\n")
    (package / "autograd" / "__init__.py").write_text("from toy.backend import math\n")
    (package / "ops" / "__init__.py").write_text("from toy.autograd import engine\n")
    (package / "nn" / "__init__.py").write_text("from . import layers\n")
    (package / "nn" / "layers.py").write_text("from ..ops import add\nfrom toy import autograd\n")
    return package


TOY_RANK = {"backend": 0, "autograd": 1, "ops": 2, "nn": 3, "__init__": 4}


def test_the_graph_reads_absolute_relative_and_lazy_imports(toy_package):
    assert import_graph(toy_package) == {"__init__": {"nn"}, "backend": set(), "autograd": {"backend"},
                                         "ops": {"autograd"}, "nn": {"ops", "autograd"}}
    assert not upward_imports(import_graph(toy_package), TOY_RANK) and not cycles(import_graph(toy_package))


def test_a_deliberate_upward_import_fails(toy_package):
    """The engine importing an op (the import this layering removed) is caught twice: it points
    upward, and it closes a cycle with the ops that import autograd."""
    (toy_package / "autograd" / "engine.py").write_text("def walk():\n    from toy.ops import sum_to\n")
    graph = import_graph(toy_package)
    assert upward_imports(graph, TOY_RANK) == ["autograd -> ops"]
    assert cycles(graph) == [["autograd", "ops", "autograd"]]

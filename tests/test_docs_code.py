"""Every code block of the documentation site runs, page by page, in a fresh folder.

A page's blocks run in order, as a reader would type them: ``python`` blocks share one namespace
(a later block uses what an earlier one made), and ``console`` blocks run their ``$ `` commands
in a shell. What a page says a command prints is checked against what it printed:

- ``print(...)  # X``, or a comment line ``# X`` right after such a line: X appears in the output;
- the lines under a ``$`` command: each piece between ``...`` appears in the command's output,
  and ``[exit status N]`` is its exit status (0 otherwise).

Whitespace is compared loosely (runs of spaces and newlines are one space). ``sh`` blocks are
set-up instructions (apt-get, pip, mpirun over several processes) and are not run here; the
README's and the MPI tests cover them. Blocks in other languages are refused, so that a new block
is either run or declared set-up.
"""

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

import scratchnet as sn
from tests.test_examples import HAVE_FASHION_MNIST

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")
               if "_build" not in path.parts and path.name != "README.md")
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```", re.S | re.M)
SETUP_LANGUAGES = {"sh"}


def blocks(page):
    """The ``(language, code)`` of each fenced code block of ``page``, in order (MyST directives
    such as ``{toctree}`` and ``{figure}`` are not code)."""
    text = (DOCS / page).read_text(encoding="utf-8")
    return [(language.strip(), code) for language, code in FENCE.findall(text)
            if not language.startswith("{")]


def loose(text):
    return " ".join(text.split())


def printed_expectations(code):
    """What the block's ``print`` lines say they print (the comment after them)."""
    expected, lines = [], code.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("print("):
            continue
        if "  # " in line:
            expected.append(line.split("  # ", 1)[1])
        elif i + 1 < len(lines) and lines[i + 1].startswith("# "):
            expected.append(lines[i + 1][2:])
    return expected


def run_python(code, namespace, page):
    """Execute one block in the page's namespace; return what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"docs/{page}", "exec"), namespace)  # the docs' own code, from this repo
    return out.getvalue()


def run_console(code, page):
    """Run each ``$`` command of a console block and check the output the page shows under it."""
    commands = re.split(r"^\$ ", code, flags=re.M)[1:]
    assert commands, f"docs/{page}: a console block without a $ command"
    for text in commands:
        command, *shown = text.rstrip("\n").split("\n")
        assert command.startswith("python -m scratchnet"), f"docs/{page}: run only the CLI here: {command}"
        status = 0
        if shown and (match := re.fullmatch(r"\[exit status (\d+)\]", shown[-1])):
            status, shown = int(match.group(1)), shown[:-1]
        result = subprocess.run([sys.executable, *command.split()[1:]], capture_output=True, text=True,
                                timeout=300)
        output = loose(result.stdout + result.stderr)
        assert result.returncode == status, f"docs/{page}: `{command}` exited {result.returncode}:\n{output}"
        for line in shown:
            for piece in filter(None, (loose(part) for part in line.split("..."))):
                assert piece in output, f"docs/{page}: `{command}` did not print {piece!r}:\n{output}"


def test_every_page_is_collected():
    assert {"index.md", "guides/pytorch.md", "guides/cli.md", "tutorial/en/index.md",
            "tutorial/ko/index.md"} <= set(PAGES)
    assert sum(len(blocks(page)) for page in PAGES) > 30


@pytest.mark.parametrize("page", PAGES)
def test_page_code_runs(page, tmp_path, monkeypatch):
    if "load_fashion_mnist" in (DOCS / page).read_text(encoding="utf-8") and not HAVE_FASHION_MNIST:
        pytest.skip("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    state = sn.get_rng_state()
    namespace = {"__name__": "__docs__"}
    try:
        for language, code in blocks(page):
            if language == "python":
                output = loose(run_python(code, namespace, page))
                for expected in printed_expectations(code):
                    assert loose(expected) in output, f"docs/{page}: expected {expected!r} in:\n{output}"
            elif language == "console":
                run_console(code, page)
            else:
                assert language in SETUP_LANGUAGES, f"docs/{page}: ```{language} is neither run nor set-up"
    finally:
        sn.set_rng_state(state)

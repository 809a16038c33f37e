"""Sphinx configuration of scratchnet's documentation site (``make -C docs html``).

The API reference is generated from the docstrings (autodoc, napoleon); formulas render with
MathJax; the guides and tutorials are Markdown (myst-parser). The figures of the tutorial are not
kept in git: ``make_figures`` runs the examples' short modes into ``_figures/`` at the start of
every build, so the pictures always show what the current code draws.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(ROOT))  # document this checkout, not another installed copy

project = "scratchnet"
author = "the scratchnet developers"
copyright = "2026, the scratchnet developers"  # noqa: A001 - Sphinx's name
release = version = "0.1.0"

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.mathjax", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "_figures", "README.md"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

autodoc_default_options = {"members": True, "member-order": "bysource", "exclude-members": "extra_repr"}
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
# a short type name in a signature (Optimizer) may name several classes (optim, keras, classic):
# Sphinx then links the first; that ambiguity is not an error of the docs
suppress_warnings = ["ref.python"]
napoleon_google_docstring = True
napoleon_numpy_docstring = False

# Debian's libjs-mathjax (MathJax 2), when installed, renders the formulas without a network; the
# default is MathJax 3 from its CDN
LOCAL_MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js")
if LOCAL_MATHJAX.exists():
    mathjax_path = LOCAL_MATHJAX.as_uri() + "?config=TeX-AMS_CHTML"
    mathjax3_config = None  # MathJax 2 reads its settings from mathjax2_config, only in math spans
    mathjax2_config = {"tex2jax": {"processClass": "math", "ignoreClass": "document"}}

html_theme = "alabaster"
html_title = "scratchnet"
html_static_path: list[str] = []
html_theme_options = {"description": "deep learning from scratch on NumPy", "fixed_sidebar": True,
                      "page_width": "1180px", "sidebar_width": "240px"}

# (script, arguments): the examples' short runs whose PNGs the tutorial shows
FIGURES = [
    ("xor.py", []),
    ("optimizer_comparison.py", ["--epochs", "1", "--limit", "1000", "--test-limit", "200"]),
    ("overfitting.py", ["--epochs", "20", "--samples", "100", "--eval-every", "10", "--test-limit", "300"]),
    ("bn_cnn.py", ["--epochs", "1", "--limit", "256", "--test-limit", "100", "--batch-size", "64"]),
]


def make_figures(app) -> None:
    """Run the examples of ``FIGURES`` side by side into a fresh folder, then move their PNGs into
    ``_figures/`` one atomic rename each (two builds at once never read a half-written figure);
    any failure stops the build with the example's own error output."""
    figures = Path(app.srcdir) / "_figures"
    figures.mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    pipes = {"env": env, "stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True}
    with tempfile.TemporaryDirectory(dir=figures) as out:
        runs = [(script, subprocess.Popen([sys.executable, EXAMPLES / script, *args, "--out", out], **pipes))
                for script, args in FIGURES]
        for script, process in runs:
            output = process.communicate()[0]
            if process.returncode != 0:
                raise RuntimeError(f"docs figures: examples/{script} failed:\n{output}")
        for png in Path(out).glob("*.png"):
            os.replace(png, figures / png.name)


def setup(app) -> None:
    app.connect("builder-inited", make_figures)

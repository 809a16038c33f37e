"""The documentation site (docs/): it builds from the sources with warnings as errors, its API
reference holds every name of the API contract, its figures are the examples' PNGs, and a headless
Chromium renders its home page and an API page to pictures that are not blank.

The build runs once for this module, fresh (``-E``: no saved environment), into a temporary folder.
"""

import os
import re
import shutil
import subprocess
import sys
import types
from importlib import import_module
from pathlib import Path

import pytest

from tests.test_api_contract import CLASSIC, CONTRACT, TENSOR_MEMBERS
from tests.test_examples import HAVE_FASHION_MNIST

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """``(html folder, build output)`` of ``python -m sphinx -W -E -b html docs ...``."""
    pytest.importorskip("sphinx", reason="the docs extra is not installed (pip install -e '.[docs]')")
    pytest.importorskip("myst_parser", reason="the docs extra is not installed (pip install -e '.[docs]')")
    if not HAVE_FASHION_MNIST:  # the build runs examples on it for the figures
        pytest.skip("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-b", "html", str(DOCS),
         str(out / "html"), "-d", str(out / "doctrees")],
        cwd=ROOT, capture_output=True, text=True, env=build_env())
    return out / "html", result


def build_env():
    """The environment with this checkout first on the path (the examples run in subprocesses)."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def html_ids(html):
    """Every ``id="..."`` anchor of the built pages: autodoc gives each documented object one,
    named by its full dotted path."""
    ids = set()
    for page in html.rglob("*.html"):
        ids |= set(re.findall(r'id="([^"]+)"', page.read_text(encoding="utf-8")))
    return ids


def test_site_builds_without_warnings(site):
    html, result = site
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr and "ERROR" not in result.stderr, result.stderr
    for page in ["index.html", "api/index.html", "api/nn.html", "guides/pytorch.html", "guides/keras.html",
                 "guides/how_it_works.html", "guides/cli.html", "guides/distributed.html",
                 "tutorial/en/index.html", "tutorial/ko/index.html"]:
        assert (html / page).stat().st_size > 2000, page


def test_reference_has_every_contract_name(site):
    """Each name of tests/test_api_contract.py (shared/API.md's names) has its entry in the
    reference: an object description (or a module section for the subpackages)."""
    html, result = site
    assert result.returncode == 0, result.stderr
    ids = html_ids(html)
    expected = []
    for module_name, names in CONTRACT.items():
        module = import_module(module_name)
        for name in names.split():
            value = getattr(module, name)
            expected.append(f"module-{value.__name__}" if isinstance(value, types.ModuleType)
                            else f"{module_name}.{name}")
    for namespace, names in CLASSIC.items():
        module_name = import_module("scratchnet.classic").__dict__[namespace].__name__
        expected += [f"{module_name}.{name}" for name in names.split()]
    expected += [f"scratchnet.Tensor.{name}" for name in TENSOR_MEMBERS]
    missing = [name for name in expected if name not in ids]
    assert not missing, f"not in the API reference: {missing}"
    assert len(expected) > 250


DOCUMENTED_PACKAGES = """nn nn.functional optim data datasets utils keras keras.layers keras.utils classic
    distributed models""".split()
DOCUMENTED_ELSEWHERE = {"scratchnet.keras.layers.Layer": "scratchnet.keras.Layer"}


def test_reference_has_every_class_and_function_of_the_packages(site):
    """Beyond the contract: every class and function a package exports (its ``__all__``) has its
    entry in the reference under the package's name (constants are described in the text)."""
    html, _ = site
    ids = html_ids(html)
    missing = []
    for module_name in DOCUMENTED_PACKAGES:
        module = import_module(f"scratchnet.{module_name}")
        for name in module.__all__:
            if callable(getattr(module, name)) and not isinstance(getattr(module, name), types.ModuleType):
                full = f"scratchnet.{module_name}.{name}"
                if DOCUMENTED_ELSEWHERE.get(full, full) not in ids:
                    missing.append(full)
    assert not missing, f"not in the API reference: {missing}"


def test_formulas_are_rendered_by_mathjax(site):
    """A real browser typesets every formula of a page (MathJax's output elements, one per
    ``math`` span or block), from Debian's MathJax when installed: no network needed."""
    html, _ = site
    page = html / "guides" / "how_it_works.html"
    source = page.read_text(encoding="utf-8")
    formulas = source.count('class="math notranslate nohighlight"')
    assert formulas > 0 and r"\frac" in source
    if not LOCAL_MATHJAX.exists():
        pytest.skip("Debian's MathJax is not installed (apt-get install libjs-mathjax)")
    dom = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                          "--allow-file-access-from-files", "--virtual-time-budget=15000", "--dump-dom",
                          page.as_uri()], capture_output=True, text=True, timeout=120, check=True).stdout
    assert len(re.findall(r'id="MathJax-Element-\d+-Frame" class="mjx-chtml', dom)) == formulas


def test_figures_are_the_examples_pngs(site):
    """The tutorial's pictures are PNGs the examples drew during this build (none is in git)."""
    html, _ = site
    tracked = subprocess.run(["git", "ls-files", "docs"], cwd=ROOT, capture_output=True, text=True).stdout
    assert ".png" not in tracked
    images = {path.name: path for path in (html / "_images").glob("*.png")}
    for name in ["xor.png", "optimizer_comparison.png", "overfitting.png", "bn_cnn_filters.png",
                 "bn_cnn_feature_maps.png"]:
        content = images[name].read_bytes()
        assert content.startswith(PNG_SIGNATURE) and len(content) > 5000, name
        assert f"_images/{name}" in "".join(p.read_text(encoding="utf-8") for p in html.rglob("*.html"))


LOCAL_MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js")


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no headless browser (apt-get install chromium)")


@pytest.mark.parametrize("page", ["index.html", "api/nn.html"])
def test_chromium_renders_the_page(site, page, tmp_path):
    """The page, rendered by a real browser, is a picture with text on it: not blank (pixel
    variance), dark text on the light page (a fair share of dark pixels)."""
    from matplotlib.image import imread

    html, result = site
    assert result.returncode == 0, result.stderr
    shot = tmp_path / "page.png"
    subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1280,900", f"--screenshot={shot}", (html / page).as_uri()],
                   capture_output=True, timeout=120, check=True)
    pixels = imread(shot)[..., :3]
    assert pixels.shape[:2] == (900, 1280)
    gray = pixels.mean(axis=-1)
    assert gray.std() > 0.05
    assert 0.005 < (gray < 0.5).mean() < 0.5  # text, and not a dark error page


def test_readme_links_the_site_and_keeps_two_setup_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/_build/html/index.html" in readme and "make -C docs html" in readme
    setup = readme.split("## Set-up commands", 1)[1].split("\n## ", 1)[0]
    assert len(re.findall(r"```sh\n(.+?)\n```", setup, re.S)) == 2
    assert all(len(block.strip().splitlines()) == 1 for block in re.findall(r"```sh\n(.+?)```", setup, re.S))

#!/usr/bin/env bash
# The test suite: install scratchnet with its test extras and the real data set, then run pytest.
# pytest fails on a failing test and exits 5 when no test ran, which fails this script too.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d /usr/share/datasets/fashion-mnist ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist
fi
# Open MPI for the data-parallel tests (they run mpirun -n 2 and -n 3 over TCP, as root in CI)
if ! command -v mpirun >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && apt-get install -y -qq openmpi-bin libopenmpi-dev
fi
# Chromium renders the built documentation site to PNG in tests/test_docs.py (headless; Nanum for the Korean pages)
if { ! command -v chromium >/dev/null 2>&1 || [ ! -e /usr/share/javascript/mathjax/MathJax.js ]; } && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && apt-get install -y -qq chromium fonts-nanum libjs-mathjax
fi
python3 -m pip install -q -e '.[dev]'
# scratchnet's kernels on two threads (its pool; NumPy's BLAS stays at one), as a user's 2-core machine;
# SCRATCHNET_NUM_THREADS=1 bash scripts/test.sh runs the suite on one
export SCRATCHNET_NUM_THREADS="${SCRATCHNET_NUM_THREADS:-2}"
python3 -m pytest "$@"

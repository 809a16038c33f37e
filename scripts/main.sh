#!/usr/bin/env bash
# The main job: install scratchnet, get Fashion-MNIST, train the seed CNN and report test accuracy.
# Extra arguments go to `scratchnet train` (e.g. --model mlp --epochs 5).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d /usr/share/datasets/fashion-mnist ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  # Debian ships the real data set; elsewhere scratchnet downloads it from the official mirrors.
  (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist) \
    || echo "apt-get could not install dataset-fashion-mnist; scratchnet will download the data"
fi
python3 -m pip install -q -e '.[plot]'
python3 -m scratchnet train "$@"

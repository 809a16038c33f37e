"""The backend: the one seeded generator and the allocator setting."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

import scratchnet as sn
from scratchnet import backend


def test_manual_seed_reseeds_the_one_generator_in_place():
    generator = backend.generator()
    sn.manual_seed(5)
    first = generator.random(3)
    sn.manual_seed(5)
    assert backend.generator() is generator
    np.testing.assert_array_equal(generator.random(3), first)


def test_rng_state_is_json_and_restores_the_stream():
    sn.manual_seed(1)
    state = json.loads(json.dumps(sn.get_rng_state()))
    expected = sn.randn(4).numpy()
    sn.set_rng_state(state)
    np.testing.assert_array_equal(sn.randn(4).numpy(), expected)


def _keeps_freed_memory(setting: str | None) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "SCRATCHNET_KEEP_FREED_MEMORY"}
    if setting is not None:
        environment["SCRATCHNET_KEEP_FREED_MEMORY"] = setting
    code = "import scratchnet.backend as b; print(b.KEEPS_FREED_MEMORY)"
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_allocator_setting_applies_on_linux_and_can_be_turned_off():
    assert _keeps_freed_memory("0") == "False"
    assert _keeps_freed_memory(None) == str(sys.platform.startswith("linux"))

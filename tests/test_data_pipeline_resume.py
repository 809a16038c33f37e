"""A seeded pipeline resumes bitwise: its state saved after k epochs and restored into the same
pipeline built in a new process gives the epochs an uninterrupted run gives; a malformed state is
refused before anything changes."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import data

REPO = Path(__file__).resolve().parents[1]

RUN = textwrap.dedent("""
    import json, sys
    import numpy as np
    import scratchnet as sn
    from scratchnet import data

    first, last, state_in, state_out, record = sys.argv[1:6]
    x = np.arange(90, dtype=np.float32).reshape(45, 2) / 7
    y = np.arange(45) % 4
    sn.manual_seed(5)
    pipeline = (data.Dataset.from_tensor_slices((x, y)).shuffle(16, seed=11).cache()
                .shuffle(7).map(lambda a, b: (a * 3, b)).batch(6).prefetch(2))
    if state_in != "-":
        saved = json.load(open(state_in))
        pipeline.load_state_dict(saved["pipeline"])
        sn.set_rng_state(saved["rng"])
    epochs = []
    for epoch in range(int(first), int(last)):
        epochs.append([[a.tobytes().hex(), b.tolist()] for a, b in pipeline])
    json.dump(epochs, open(record, "w"))
    json.dump({"pipeline": pipeline.state_dict(), "rng": sn.get_rng_state()}, open(state_out, "w"))
""")


def _run(tmp_path: Path, name: str, first: int, last: int, state_in: str = "-") -> list:
    record, state_out = tmp_path / f"{name}.json", tmp_path / f"{name}.state.json"
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", RUN, str(first), str(last), state_in, str(state_out), str(record)],
                   check=True, env=environment, timeout=120)
    return json.loads(record.read_text())


def test_seeded_pipeline_resumes_bitwise_in_a_new_process(tmp_path):
    uninterrupted = _run(tmp_path, "whole", 0, 5)
    head = _run(tmp_path, "head", 0, 2)
    tail = _run(tmp_path, "tail", 2, 5, state_in=str(tmp_path / "head.state.json"))
    assert head + tail == uninterrupted
    assert uninterrupted[2] != uninterrupted[3]  # the order does change from epoch to epoch
    restarted = _run(tmp_path, "restart", 2, 5)  # without the state: what resume used to give
    assert restarted != tail


def _pipeline():
    return (data.Dataset.from_tensor_slices(np.arange(30)).shuffle(8, seed=2).cache().repeat(2)
            .batch(4))


def test_state_is_json_and_a_restored_pipeline_continues_in_process():
    sn.manual_seed(0)
    pipeline = _pipeline()
    list(pipeline)
    state = json.loads(json.dumps(pipeline.state_dict()))
    expected = [batch.tolist() for batch in pipeline]
    fresh = _pipeline()
    fresh.load_state_dict(state)
    assert [batch.tolist() for batch in fresh] == expected
    assert state["stages"] == ["TensorSlices", "Shuffle", "Cache", "Repeat", "Batch"]


def _malformed(state):
    bad_rng = copy.deepcopy(state)
    bad_rng["states"][1]["rng"]["bit_generator"] = "MT19937"
    text_rng = copy.deepcopy(state)
    text_rng["states"][1]["rng"]["state"]["state"] = "12"
    missing = copy.deepcopy(state)
    del missing["states"][1]["rng"]["state"]
    out_of_range = copy.deepcopy(state)
    out_of_range["states"][2] = {"indices": [0, 1, 30]}
    not_ints = copy.deepcopy(state)
    not_ints["states"][2] = {"indices": [0.0, 1]}
    other = copy.deepcopy(state)
    other["stages"][1] = "Map"
    short = copy.deepcopy(state)
    short["states"].pop()
    return [("not a dict", [1, 2], "must be the dict"),
            ("other stages", other, "is for the stages"),
            ("short", short, "is for the stages"),
            ("bit generator", bad_rng, "Shuffle.*malformed"),
            ("text", text_rng, "Shuffle.*malformed"),
            ("missing", missing, "Shuffle.*malformed"),
            ("no rng", {**state, "states": [None, None, None, None, None]}, "Shuffle.*malformed"),
            ("cache range", out_of_range, r"Cache.*ints in \[0, 30\)"),
            ("cache floats", not_ints, "Cache"),
            ("state for a stateless stage", {**state, "states": [{"x": 1}, *state["states"][1:]]},
             "TensorSlices has no state")]


def test_malformed_state_raises_before_anything_changes():
    pipeline = _pipeline()
    list(pipeline)
    state = pipeline.state_dict()
    for what, malformed, message in _malformed(state):
        target = _pipeline()
        list(target)
        list(target)  # another position than ``state``'s
        before = json.dumps(target.state_dict())
        with pytest.raises(ValueError, match=message):
            target.load_state_dict(malformed)
        assert json.dumps(target.state_dict()) == before, what


def test_a_cache_of_mapped_elements_says_it_cannot_be_saved():
    pipeline = data.Dataset.from_tensor_slices(np.arange(5)).map(lambda v: v * 2).cache()
    assert pipeline.state_dict()["states"] == [None, None, None]  # nothing cached yet
    list(pipeline)
    with pytest.raises(ValueError, match="cache\\(\\) of mapped elements"):
        pipeline.state_dict()

"""sn.load never executes anything, refuses every broken or foreign file with one named error,
and a crash while saving leaves the old file or the new one."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import scratchnet as sn
from scratchnet import nn
from scratchnet.serialization import SerializationError, checkpoint, load, save
from scratchnet.serialization.format import data_blobs, layout, read_header, write_container
from tests.test_serialization_roundtrip import assert_same

ROOT = Path(__file__).resolve().parents[1]


def write_raw(path: Path, header: dict, data: bytes = b"") -> None:
    """A safetensors-shaped file with any header at all."""
    text = json.dumps(header).encode()
    path.write_bytes(len(text).to_bytes(8, "little") + text + data)


def write_signed(path: Path, structure: object, arrays: dict | None = None) -> None:
    """A file with a hand-written structure (JSON text, or an object to dump) and a *valid* digest:
    what an attacker who knows the format would write (the digest detects corruption, not malice)."""
    arrays = arrays or {}
    text = structure if isinstance(structure, str) else json.dumps(structure, separators=(",", ":"))
    entries = layout(arrays)
    blobs = data_blobs(arrays, entries)
    digest = checkpoint._new_digest(text, checkpoint._descriptions(entries))
    for blob in blobs:
        digest.update(blob)
    metadata = {"format": "scratchnet", "version": "1", "structure": text,
                "digest": f"sha256:{digest.hexdigest()}"}
    with open(path, "wb") as file:
        write_container(file, metadata, entries, blobs)


def sample_checkpoint() -> dict:
    return {"model": {"0.weight": np.arange(6, dtype=np.float32).reshape(2, 3),
                      "0.bias": np.zeros(2, np.float64)},
            "optimizer": {"state": {0: {"step": 2, "mask": np.array([True, False])}},
                          "param_groups": [{"lr": 0.1}]},
            "epoch": 3, "rng": {"state": 2 ** 100 + 7}, "history": {"loss": [0.5, float("nan")]},
            "name": "run"}


@pytest.fixture()
def valid_file(tmp_path: Path) -> Path:
    path = tmp_path / "valid.safetensors"
    save(sample_checkpoint(), path)
    return path


# ---- missing, empty, truncated, foreign -------------------------------------------------
def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.safetensors")


def test_empty_file(tmp_path):
    (tmp_path / "empty.safetensors").write_bytes(b"")
    with pytest.raises(SerializationError, match=r"empty\.safetensors: empty file"):
        load(tmp_path / "empty.safetensors")


def test_truncated_data_reports_expected_and_found_sizes(valid_file):
    content = valid_file.read_bytes()
    valid_file.write_bytes(content[:-5])
    expected = f"truncated (expected {len(content):,} bytes, found {len(content) - 5:,})"
    with pytest.raises(SerializationError) as error:
        load(valid_file)
    assert str(error.value) == f"{valid_file}: {expected}"


def test_every_truncation_raises_the_named_error(valid_file):
    content = valid_file.read_bytes()
    for length in [*range(64), *range(64, len(content), 5)]:
        valid_file.write_bytes(content[:length])
        with pytest.raises(SerializationError, match="valid.safetensors"):
            load(valid_file)


def test_trailing_bytes_are_corruption(valid_file):
    valid_file.write_bytes(valid_file.read_bytes() + b"\0")
    with pytest.raises(SerializationError, match="1 unexpected bytes"):
        load(valid_file)


class MakesSentinel:
    """A pickle payload whose loading would create a file (``__reduce__`` calls ``open``)."""

    def __init__(self, sentinel: Path) -> None:
        self.sentinel = sentinel

    def __reduce__(self):
        return (open, (str(self.sentinel), "w"))


def foreign_files(tmp_path: Path) -> dict[str, bytes]:
    sentinel = tmp_path / "sentinel"
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w") as zf:  # what torch.save writes
        zf.writestr("archive/data.pkl", pickle.dumps(MakesSentinel(sentinel)))
    np.save(tmp_path / "objects.npy", np.array([MakesSentinel(sentinel)], dtype=object), allow_pickle=True)
    return {
        "pickle": pickle.dumps(MakesSentinel(sentinel)),
        "zip": archive.read_bytes(),
        "npy with objects": (tmp_path / "objects.npy").read_bytes(),
        "html": b"<!DOCTYPE html><html><body>404 Not Found</body></html>\n",
        "text": b"Linear(784, 10)\nReLU()\n",
        "short": b"\x01\x02",
        "gzip": b"\x1f\x8b\x08\x00" + bytes(60),
        "json": b'{"format": "scratchnet"}',
    }


FOREIGN_KINDS = ["pickle", "zip", "npy with objects", "html", "text", "short", "gzip", "json"]


@pytest.mark.parametrize("kind", FOREIGN_KINDS)
def test_foreign_files_are_refused_without_side_effects(tmp_path, kind):
    path = tmp_path / f"{kind}.safetensors"
    path.write_bytes(foreign_files(tmp_path)[kind])
    with pytest.raises(SerializationError, match="not a scratchnet file") as error:
        load(path)
    assert str(path) in str(error.value)
    assert not (tmp_path / "sentinel").exists()


def test_the_pickle_payload_really_is_live(tmp_path):
    """Guard for the test above: unpickling the payload does create the sentinel."""
    pickle.loads(foreign_files(tmp_path)["pickle"]).close()
    assert (tmp_path / "sentinel").exists()


# ---- hostile headers -------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["O", "object", "|O", "U8_", "complex64", "BF16", "F8_E4M3", 3])
def test_object_and_unknown_dtypes_are_refused(tmp_path, dtype):
    path = tmp_path / "obj.safetensors"
    write_raw(path, {"x": {"dtype": dtype, "shape": [1], "data_offsets": [0, 8]}}, bytes(8))
    with pytest.raises(SerializationError, match="unsupported dtype"):
        load(path)


@pytest.mark.parametrize("entry, fragment", [
    ({"dtype": "F32", "shape": [2], "data_offsets": [0, 12]}, "needs 8 bytes, offsets give 12"),
    ({"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}, "shape"),
    ({"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}, "shape"),
    ({"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}, "data_offsets"),
    ({"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}, "starts at byte 4"),
    ({"dtype": "F32", "shape": [1]}, "not a tensor description"),
    ("F32", "not a tensor description"),
])
def test_inconsistent_tensor_entries_are_refused(tmp_path, entry, fragment):
    path = tmp_path / "bad.safetensors"
    write_raw(path, {"x": entry}, bytes(12))
    with pytest.raises(SerializationError, match="bad.safetensors") as error:
        load(path)
    assert fragment in str(error.value)


def test_huge_declared_tensor_is_refused_before_any_allocation(tmp_path):
    path = tmp_path / "huge.safetensors"
    size = 10 ** 10
    write_raw(path, {"x": {"dtype": "F64", "shape": [size // 8], "data_offsets": [0, size]}}, bytes(16))
    tracemalloc.start()
    try:
        with pytest.raises(SerializationError, match=r"truncated \(expected 10,000,000,"):
            load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


def test_huge_declared_header_is_refused(tmp_path):
    path = tmp_path / "header.safetensors"
    path.write_bytes((2 ** 40).to_bytes(8, "little") + b"{}")
    with pytest.raises(SerializationError, match="not a scratchnet file"):
        load(path)
    path.write_bytes((1000).to_bytes(8, "little") + b'{"__metadata__":{}}')
    with pytest.raises(SerializationError, match=r"truncated \(header needs 1,008 bytes, found 27\)"):
        load(path)


def test_duplicate_keys_and_nan_in_header_json_are_refused(tmp_path):
    path = tmp_path / "dup.safetensors"
    entry = b'{"dtype":"U8","shape":[1],"data_offsets":[0,1]}'
    text = b'{"x":' + entry + b',"x":' + entry + b"}"
    path.write_bytes(len(text).to_bytes(8, "little") + text + b"\0")
    with pytest.raises(SerializationError, match="duplicate key"):
        load(path)
    text = b'{"x":{"dtype":"U8","shape":[NaN],"data_offsets":[0,1]}}'
    path.write_bytes(len(text).to_bytes(8, "little") + text + b"\0")
    with pytest.raises(SerializationError, match="invalid JSON"):
        load(path)


# ---- hostile structures (valid digest) --------------------------------------------------
@pytest.mark.parametrize("name, module", [
    ("system", "os"), ("os.system", "os"), ("eval", "builtins"), ("builtins.eval", "builtins"),
    ("exec", "builtins"), ("Popen", "subprocess"), ("__import__", "builtins"), ("Tensor", "scratchnet"),
    ("object", "builtins"), (["Linear"], "scratchnet.nn.linear"),
])
def test_classes_outside_the_allow_list_are_refused_and_never_called(tmp_path, name, module):
    sentinel = tmp_path / "sentinel"
    command = f"touch {sentinel}"
    architecture = {"class": name, "module": module, "args": {"command": command, "source": command}}
    path = tmp_path / "evil.safetensors"
    write_signed(path, {"$module": architecture, "state": [], "eval": []})
    with pytest.raises(SerializationError, match="refusing to build unknown class") as error:
        load(path)
    message = str(error.value)
    assert str(path) in message and "Allowed:" in message and "Linear" in message and "Conv2d" in message
    assert not sentinel.exists()


def test_allow_listed_class_nested_as_an_argument_is_checked_too(tmp_path):
    inner = {"$module": {"class": "system", "module": "os", "args": {}}}
    outer = {"class": "Sequential", "module": "scratchnet.nn.containers",
             "args": {"args": {"$tuple": [inner]}}}
    path = tmp_path / "evil.safetensors"
    write_signed(path, {"$module": outer, "state": [], "eval": []})
    with pytest.raises(SerializationError, match="refusing to build unknown class 'system'"):
        load(path)


@pytest.mark.parametrize("structure, fragment", [
    ({"$array": "missing"}, "missing tensor"),
    ({"$eval": "print(1)"}, "bad $eval entry"),
    ({"$dict": [[1.5, 2]]}, "bad $dict entry"),
    ({"$dict": [[True, 2]]}, "bad $dict entry"),
    ({"$float": "1e999"}, "bad $float entry"),
    ({"$array": "x", "extra": 1}, "unexpected keys"),
    ({"plain": "object"}, "unexpected JSON value"),
    ({"$dtype": "object"}, "bad $dtype entry"),
    ({"$module": {"class": "Linear", "module": "scratchnet.nn.linear",
                  "args": {"in_features": 2, "out_features": 2, "bias": True}}, "state": [], "eval": []},
     "Missing key(s)"),
    ({"$module": {"class": "Linear", "module": "scratchnet.nn.linear", "args": {"in_features": -2}},
      "state": [], "eval": []}, "cannot rebuild Linear"),
    ({"$module": {"class": "Linear", "module": "x", "args": {"evil": 1}}, "state": [], "eval": []},
     "unexpected argument(s) 'evil'"),
])
def test_malformed_structures_are_refused(tmp_path, structure, fragment):
    path = tmp_path / "bad.safetensors"
    write_signed(path, structure, {"x": np.zeros(1)})
    with pytest.raises(SerializationError, match="bad.safetensors") as error:
        load(path)
    assert fragment in str(error.value)


def test_deeply_nested_structure_is_refused_not_crashing(tmp_path):
    path = tmp_path / "deep.safetensors"
    write_signed(path, "[" * 100_000 + "]" * 100_000)
    with pytest.raises(SerializationError, match="corrupted structure"):
        load(path)


def test_state_for_another_architecture_reports_every_key(tmp_path):
    sn.manual_seed(0)
    path = tmp_path / "model.safetensors"
    save(nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)), path)
    with open(path, "rb") as file:
        structure = json.loads(read_header(str(path), file).metadata["structure"])
    structure["$module"]["args"]["args"]["$tuple"][2]["$module"]["args"]["out_features"] = 5
    arrays = {key: value.numpy() for key, value in load(path).state_dict().items()}
    write_signed(path, {**structure, "state": [[k, k] for k in arrays]}, arrays)
    with pytest.raises(SerializationError, match="size mismatch for 2.weight") as error:
        load(path)
    assert "2.bias" in str(error.value)


# ---- random corruption ----------------------------------------------------------------
@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory) -> tuple[Path, bytes]:
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.safetensors"
    save({**sample_checkpoint(), "model": nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))}, path)
    return path, path.read_bytes()


mutation = st.tuples(st.integers(0, 10 ** 6), st.integers(0, 255))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(mutation, min_size=1, max_size=4),
       cut=st.one_of(st.none(), st.integers(0, 10 ** 6)))
@example(mutations=[(3, 1)], cut=None)
@example(mutations=[(20, ord(" "))], cut=None)
def test_random_byte_mutations_only_raise_the_named_error(fuzz_target, mutations, cut):
    path, original = fuzz_target
    content = bytearray(original)
    for position, value in mutations:
        content[position % len(content)] = value
    if cut is not None:
        content = content[:cut % (len(content) + 1)]
    corrupted = path.with_name("corrupted.safetensors")
    corrupted.write_bytes(bytes(content))
    try:
        loaded = load(corrupted)
    except SerializationError as error:
        assert "corrupted.safetensors" in str(error)
        return
    reference = load(path)  # the mutation hit padding (a space turned into other JSON whitespace)
    model, reference_model = loaded.pop("model"), reference.pop("model")
    assert_same(loaded, reference)
    assert {k: v.numpy().tobytes() for k, v in model.state_dict().items()} == \
        {k: v.numpy().tobytes() for k, v in reference_model.state_dict().items()}


# ---- atomic writes ----------------------------------------------------------------------
def test_failure_while_writing_keeps_the_old_file(valid_file, monkeypatch):
    before = valid_file.read_bytes()

    def crash_half_way(file, metadata, entries, blobs):
        file.write(b"partial data")
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint, "write_container", crash_half_way)
    with pytest.raises(KeyboardInterrupt):
        save({"new": np.ones(3)}, valid_file)
    assert valid_file.read_bytes() == before
    assert [p.name for p in valid_file.parent.iterdir()] == [valid_file.name]


def test_failure_before_the_rename_keeps_the_old_file(valid_file, monkeypatch):
    before = valid_file.read_bytes()

    def no_replace(source, destination):
        raise OSError("disk pulled out")

    monkeypatch.setattr(os, "replace", no_replace)
    with pytest.raises(OSError, match="disk pulled out"):
        save({"new": np.ones(3)}, valid_file)
    assert valid_file.read_bytes() == before
    assert [p.name for p in valid_file.parent.iterdir()] == [valid_file.name]


def test_overwrite_keeps_the_file_mode(valid_file):
    valid_file.chmod(0o640)
    save({"new": 1}, valid_file)
    assert valid_file.stat().st_mode & 0o777 == 0o640


WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from scratchnet.serialization import load, save
    path = sys.argv[1]
    step = load(path)["step"]
    print("ready", flush=True)
    while True:
        step += 1
        weights = np.full((500, 500), step, np.float64)
        save({"step": step, "weights": weights, "history": list(range(step))}, path)
        print("saved", flush=True)
""")


def kill_writer(path: Path, delay: float, wait_for_a_save: bool) -> None:
    """Start a process that overwrites ``path`` in a loop; SIGKILL it ``delay`` s after it starts
    writing (after its first completed save when ``wait_for_a_save``)."""
    import time

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, env=env)
    try:
        assert child.stdout.readline().strip() == b"ready"
        if wait_for_a_save:
            assert child.stdout.readline().strip() == b"saved"
        time.sleep(delay)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()


def test_sigkill_during_overwrites_always_leaves_a_loadable_file(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    save({"step": 0, "weights": np.full((500, 500), 0, np.float64), "history": []}, path)
    last_step = 0
    for delay, wait_for_a_save in [(0.0, False), (0.002, False), (0.01, False), (0.03, False),
                                   (0.08, False), (0.0, True), (0.001, True), (0.005, True)]:
        kill_writer(path, delay, wait_for_a_save)
        loaded = load(path)  # old or new, never broken
        step = loaded["step"]
        assert step >= last_step
        assert np.all(loaded["weights"] == step) and loaded["history"] == list(range(step))
        last_step = step
    assert last_step > 0
    stale = [p.name for p in tmp_path.iterdir() if p.name != path.name]
    assert all(name.startswith(".ckpt.safetensors.") and name.endswith(".tmp") for name in stale)

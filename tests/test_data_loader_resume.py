"""DataLoader.state_dict / load_state_dict: a run stopped anywhere and resumed in a new process
yields bitwise the batches of the uninterrupted run; malformed states are refused, nothing changed."""

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

EPOCHS = 3
ROOT = Path(__file__).resolve().parents[1]

RUN = textwrap.dedent('''
    import json, sys
    import numpy as np
    import scratchnet as sn
    from scratchnet import data

    def make_loader(mode):
        """The loader of one test case; the global generator is seeded by the caller."""
        x = np.random.default_rng(0).random((50, 3)).astype(np.float32)
        dataset = data.TensorDataset(x, np.arange(50))
        options = {"batch_size": 6}
        if mode == "seed":
            options.update(shuffle=True, seed=11)
        elif mode == "generator":
            options.update(shuffle=True, generator=sn.Generator().manual_seed(11))
        elif mode == "global":
            options.update(shuffle=True)
        elif mode == "weighted":
            weights = np.linspace(0.1, 1.0, 50)
            generator = sn.Generator().manual_seed(4)
            options.update(sampler=data.WeightedRandomSampler(weights, 40, generator=generator))
        elif mode == "workers":
            options.update(shuffle=True, seed=11, num_workers=2)
        elif mode == "subset":
            options.update(sampler=data.SubsetRandomSampler(np.arange(0, 50, 2)))
        return data.DataLoader(dataset, **options)

    def batches(loader, epochs, stop=None):
        """Batches of `epochs` epochs as lists; with stop=(epoch, batch) or (epoch, None), the state then."""
        seen = []
        for epoch in range(epochs):
            for index, (x, y) in enumerate(loader):
                seen.append([x.numpy().tolist(), y.numpy().tolist()])
                if stop == (epoch, index):
                    return seen, {"loader": loader.state_dict(), "rng": sn.get_rng_state(), "epoch": epoch}
            if stop == (epoch, None):
                return seen, {"loader": loader.state_dict(), "rng": sn.get_rng_state(), "epoch": epoch + 1}
        return seen, None

    if __name__ == "__main__":  # resume: mode, state file, number of epochs in all; prints the batches
        mode, state_file, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
        sn.manual_seed(12345)  # another process, another global state: the checkpoint restores it
        saved = json.load(open(state_file))
        loader = make_loader(mode)
        sn.set_rng_state(saved["rng"])
        loader.load_state_dict(saved["loader"])
        print(json.dumps(batches(loader, epochs - saved["epoch"])[0]))
''')


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The test-case module, importable here and runnable as a script in a new process."""
    path = tmp_path_factory.mktemp("resume") / "resume_run.py"
    path.write_text(RUN)
    namespace = {"__name__": "resume_run"}
    exec(compile(RUN, str(path), "exec"), namespace)
    return path, namespace


def _resumed(path, mode, state, tmp_path):
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(state))  # the state survives JSON: plain values only
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, str(path), mode, str(state_file), str(EPOCHS)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("mode, stop", [
    ("seed", (1, 3)), ("seed", (0, None)), ("seed", (1, 8)), ("generator", (1, 2)), ("generator", (0, None)),
    ("global", (1, 4)), ("global", (0, None)), ("weighted", (1, 2)), ("workers", (1, 5)), ("subset", (2, 1))])
def test_resumed_in_a_new_process_is_bitwise_the_uninterrupted_run(run, tmp_path, mode, stop):
    path, module = run
    sn.manual_seed(0)
    full, _ = module["batches"](module["make_loader"](mode), EPOCHS)
    sn.manual_seed(0)
    first, state = module["batches"](module["make_loader"](mode), EPOCHS, stop)
    assert state is not None and 0 < len(first) < len(full)
    assert first + _resumed(path, mode, state, tmp_path) == full


def test_resumed_twice_and_checkpointed_before_the_first_batch(run):
    _, module = run
    full, _ = module["batches"](module["make_loader"]("seed"), EPOCHS)
    first, state = module["batches"](module["make_loader"]("seed"), EPOCHS, (0, 4))
    resumed = module["make_loader"]("seed")
    resumed.load_state_dict(state["loader"])
    assert resumed.state_dict() == state["loader"]  # not begun yet: the state it was given
    second, state2 = module["batches"](resumed, EPOCHS, (0, 2))  # 3 more batches of epoch 0
    assert state2["loader"]["epoch"]["batches_yielded"] == 5 + 3
    again = module["make_loader"]("seed")
    again.load_state_dict(state2["loader"])
    rest, _ = module["batches"](again, EPOCHS)  # the rest of epoch 0, then epochs 1 and 2
    assert first + second + rest == full


def test_fresh_loader_state_and_resume_at_start():
    loader = data.DataLoader(data.TensorDataset(np.arange(20)), batch_size=3, shuffle=True, seed=1)
    state = loader.state_dict()
    assert state["epoch"] is None and json.loads(json.dumps(state)) == state
    first = [b[0].numpy().tolist() for b in loader]
    loader.load_state_dict(state)
    assert [b[0].numpy().tolist() for b in loader] == first


def _valid_state():
    loader = data.DataLoader(data.TensorDataset(np.arange(30)), batch_size=4, shuffle=True, seed=2)
    iterator = iter(loader)
    next(iterator), next(iterator)
    return loader.state_dict()


def _mutate(state, path, value):
    state = json.loads(json.dumps(state))
    target = state
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return state


@pytest.mark.parametrize("path, value, message", [
    (("format",), "torch", "format"), (("version",), 2, "version"), (("epoch",), KeyError, "keys"),
    (("epoch",), [1, 2], "epoch must be"), (("epoch", "batches_yielded"), -1, "batches_yielded"),
    (("epoch", "batches_yielded"), 9, r"batches_yielded must be an int in \[0, 8\]"),
    (("epoch", "batches_yielded"), 1.5, "batches_yielded"), (("epoch", "base_seed"), 2**64, "base_seed"),
    (("epoch", "base_seed"), "x", "base_seed"), (("generator",), None, "generator"),
    (("generator", "state", "state"), -1, "generator"), (("generator", "bit_generator"), "MT19937", "PCG64"),
    (("sampler",), None, "sampler"), (("sampler", "epoch_start"), {"seed": 3}, "seed"),
    (("sampler", "epoch_start"), {"other": 1}, "epoch_start"), (("sampler", "generator"), None, "generator"),
    (("sampler", "generator", "state"), [1], "generator")])
def test_malformed_state_raises_before_any_change(path, value, message):
    bad = _mutate(_valid_state(), path, value)
    loader = data.DataLoader(data.TensorDataset(np.arange(30)), batch_size=4, shuffle=True, seed=2)
    twin = data.DataLoader(data.TensorDataset(np.arange(30)), batch_size=4, shuffle=True, seed=2)
    with pytest.raises(data.DataLoaderStateError, match=message) as error:
        loader.load_state_dict(bad)
    assert isinstance(error.value, ValueError) and str(error.value).startswith("DataLoader state:")
    for _ in range(2):  # the loader, its sampler and its generator are as they were
        assert [b[0].numpy().tolist() for b in loader] == [b[0].numpy().tolist() for b in twin]


def test_state_of_another_kind_of_loader_is_refused():
    state = _valid_state()  # a loader with a generator
    plain = data.DataLoader(data.TensorDataset(np.arange(30)), batch_size=4, shuffle=True)
    with pytest.raises(data.DataLoaderStateError, match="generator"):
        plain.load_state_dict(state)
    for bad in (None, [], "state", {"format": "scratchnet.DataLoader"}):
        with pytest.raises(data.DataLoaderStateError, match="expected a dict"):
            plain.load_state_dict(bad)

"""Saving that fails: temporary files are recognisable, removed on any failure and cleaned up at
the next save after a kill; errors name the target and the cause (issue 17, item 4)."""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from scratchnet.serialization import atomic, checkpoint, load, save


@pytest.fixture()
def saved(tmp_path):
    path = tmp_path / "model.safetensors"
    save({"w": np.arange(4.0)}, path)
    return path


def test_temporary_files_are_named_after_the_target_and_the_writer(saved, monkeypatch):
    names = []

    def spy(file, metadata, entries, blobs):
        names.extend(os.listdir(saved.parent))
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint, "write_container", spy)
    with pytest.raises(KeyboardInterrupt):
        save({"w": 1}, saved)
    temporary = [name for name in names if name != saved.name]
    assert len(temporary) == 1
    assert temporary[0].startswith(f".model.safetensors.scratchnet-{os.getpid()}-")
    assert temporary[0].endswith(".tmp")
    assert sorted(os.listdir(saved.parent)) == [saved.name]


def test_disk_full_names_the_target_and_removes_the_temporary_file(saved, monkeypatch):
    before = saved.read_bytes()

    def full(file, metadata, entries, blobs):
        file.write(b"x" * 100)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint, "write_container", full)
    with pytest.raises(OSError) as error:
        save({"w": np.ones(10)}, saved)
    assert error.value.errno == errno.ENOSPC
    assert f"cannot save {saved}: the disk is full" in str(error.value)
    assert ".tmp" not in str(error.value)
    assert saved.read_bytes() == before and sorted(os.listdir(saved.parent)) == [saved.name]


def test_fsync_failure_is_reported_the_same_way(saved, monkeypatch):
    def failing_fsync(descriptor):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match=re.escape(f"cannot save {saved}: Input/output error")) as error:
        save({"w": 2}, saved)
    assert error.value.errno == errno.EIO and ".tmp" not in str(error.value)
    assert sorted(os.listdir(saved.parent)) == [saved.name]


@pytest.mark.parametrize("code, cause", [(errno.EACCES, "permission denied"),
                                         (errno.EROFS, "read-only file system")])
def test_read_only_folder_names_the_target_not_the_temporary_file(saved, monkeypatch, code, cause):
    real_open = os.open

    def refuse_new_files(name, flags, *args):
        if flags & os.O_CREAT:
            raise OSError(code, os.strerror(code), name)  # what the kernel reports: the temporary file
        return real_open(name, flags, *args)

    monkeypatch.setattr(os, "open", refuse_new_files)
    with pytest.raises(OSError) as error:
        save({"w": 3}, saved)
    assert error.value.errno == code
    assert str(saved) in str(error.value) and cause in str(error.value)
    assert ".tmp" not in str(error.value)


def test_parent_that_is_a_file_or_missing_is_named(tmp_path):
    plain = tmp_path / "notes.txt"
    plain.write_text("not a folder")
    expected = f"cannot save {plain}/model.safetensors: {plain} is not a folder"
    with pytest.raises(NotADirectoryError, match=re.escape(expected)):
        save({"w": 1}, plain / "model.safetensors")
    missing = tmp_path / "missing" / "model.safetensors"
    with pytest.raises(FileNotFoundError, match=re.escape(f"the folder {missing.parent} does not exist")):
        save({"w": 1}, missing)
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]


def dead_pid() -> int:
    """The id of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_temporary_files_of_killed_writers_are_removed_at_the_next_save(saved):
    stale = saved.parent / f".model.safetensors.scratchnet-{dead_pid()}-0123456789ab.tmp"
    other_target = saved.parent / f".other.safetensors.scratchnet-{dead_pid()}-abcdef012345.tmp"
    live = saved.parent / f".model.safetensors.scratchnet-{os.getpid()}-0123456789ab.tmp"
    unrelated = saved.parent / ".model.safetensors.notes.tmp"
    for path in (stale, other_target, live, unrelated):
        path.write_bytes(b"partial")
    save({"w": 4}, saved)
    assert sorted(os.listdir(saved.parent)) == sorted([saved.name, live.name, unrelated.name])
    assert load(saved) == {"w": 4}


def test_the_cleaner_keeps_files_it_cannot_judge(tmp_path):
    (tmp_path / ".a.scratchnet-1-0123456789ab.tmp").write_bytes(b"")  # pid 1 is always running
    assert atomic.remove_stale_temporaries(str(tmp_path)) == []
    assert atomic.remove_stale_temporaries(str(tmp_path / "missing")) == []

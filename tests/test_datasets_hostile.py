"""Hostile data files and hostile download servers: every one ends in a clear error naming the file
or the mirror, with bounded memory and time, and leaves nothing in the cache."""

from __future__ import annotations

import gzip
import http.server
import io
import json
import os
import re
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from scratchnet.datasets import download as dl
from scratchnet.datasets import idx
from scratchnet.datasets.mnist import FASHION_MNIST, MNIST_SPEC, FileSpec, read_verified

REPO = Path(__file__).resolve().parents[1]
TRAIN_IMAGES = FASHION_MNIST.train_images


# --- the IDX reader on hostile headers ---------------------------------------------------------

def _header(code: int, shape: tuple[int, ...]) -> bytes:
    return bytes([0, 0, code, len(shape)]) + b"".join(n.to_bytes(4, "big") for n in shape)


@pytest.mark.parametrize("data,message", [
    (_header(0x08, (0, 2**32 - 1, 2**32 - 1)) + b"\x00" * 8, r"\(0, 4294967295, 4294967295\), too large"),
    (_header(0x08, (2**32 - 1,) * 3), r"shape \(4294967295, 4294967295, 4294967295\), too large"),
    (_header(0x0E, (2**31, 2**31)), "too large for any array"),
    (_header(0x08, (0, 2**31)) + b"\x00", "too long"),
    (_header(0x0C, (2**20, 2**20)), r"truncated: .*\(1048576, 1048576\), i.e. 4,398,046,511,116 bytes"),
    (_header(0x08, (1,) * 65), "65 dimensions"),
    (_header(0x08, (3, 4))[:9], "truncated inside its header"),
    (_header(0x08, (3, 4)) + bytes(11), r"truncated: .*\(3, 4\), i.e. 24 bytes, found 23"),
    (b"\x00\x00", "shorter than the 4-byte IDX header"),
    (b"\x00\x00\x42\x01" + bytes(8), "bad magic number"),
], ids=["zero-times-huge", "overflowing-shape", "float64-2^62", "empty-too-long", "int32-2^40", "65-dims",
        "cut-header", "cut-values", "4-bytes", "bad-dtype"])
def test_hostile_headers_give_the_documented_error_naming_the_file(data, message):
    with pytest.raises(idx.IDXError, match=message) as info:
        idx.parse_idx(data, "hostile.idx")
    assert "hostile.idx" in str(info.value)


def test_header_of_an_unexpected_shape_is_refused_before_reading_values(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(_header(0x08, (60001, 28, 28))))
    with pytest.raises(idx.IDXError, match=rf"{path}: the header announces shape \(60001, 28, 28\), "
                                           r"expected \(60000, 28, 28\)"):
        idx.load_idx(path, idx.IMAGES_MAGIC, TRAIN_IMAGES.shape)


def _mutations(rng: np.random.Generator, valid: bytes):
    """Seeded mutations of a valid IDX file: flipped bytes, cuts, extensions, random headers."""
    data = bytearray(valid)
    kind = rng.integers(6)
    if kind == 0:
        for position in rng.integers(0, len(data), rng.integers(1, 4)):
            data[position] = rng.integers(256)
    elif kind == 1:
        data = data[: rng.integers(0, len(data))]
    elif kind == 2:
        data += bytes(rng.integers(0, 256, rng.integers(1, 9), dtype=np.uint8))
    elif kind == 3:  # a random number of dimensions and random sizes
        ndim = int(rng.integers(0, 70))
        sizes = rng.integers(0, 2**32, ndim, dtype=np.uint64) >> rng.integers(0, 33, ndim).astype(np.uint64)
        data = bytearray(_header(int(rng.choice([8, 9, 11, 12, 13, 14])), tuple(int(n) for n in sizes)))
        data += bytes(rng.integers(0, 256, rng.integers(0, 64), dtype=np.uint8))
    elif kind == 4:
        data[:4] = bytes(rng.integers(0, 256, 4, dtype=np.uint8))
    else:
        data[4 + 4 * int(rng.integers(0, 3))] = rng.integers(256)
    return bytes(data)


def test_fuzz_idx_reader_only_raises_idx_error(tmp_path):
    """4,000 mutated files: raw bytes through ``parse_idx``, gzip files through ``load_idx`` (the
    path the data sets take) and ``read_bytes``; nothing but a parsed array or ``IDXError``."""
    rng = np.random.default_rng(1717)
    valid = idx.encode_idx(rng.integers(0, 256, (5, 3, 4), dtype=np.uint8))
    outcomes = {"parsed": 0, "refused": 0}
    for case in range(4000):
        mutated = _mutations(rng, valid)
        try:
            if case % 4:
                idx.parse_idx(mutated, "fuzz.idx")
            else:
                path = tmp_path / "fuzz.gz"
                packed = bytearray(gzip.compress(mutated, mtime=0))
                if case % 8 == 0:  # corrupt the compressed stream too
                    packed[rng.integers(0, len(packed))] = rng.integers(256)
                path.write_bytes(bytes(packed))
                idx.load_idx(path)
                idx.read_bytes(path)
            outcomes["parsed"] += 1
        except idx.IDXError as error:
            assert "fuzz" in str(error)
            outcomes["refused"] += 1
    assert outcomes["refused"] > 3000 and outcomes["parsed"] > 50, outcomes


# --- a gzip bomb named like the real file --------------------------------------------------------

def _write_bomb(path: Path, with_header: bool) -> int:
    """A ~2 MiB multi-member gzip file that inflates to 2 GiB (one 64 MiB member, repeated)."""
    block = 64 << 20
    member = gzip.compress(bytes(block), compresslevel=9, mtime=0)
    first = gzip.compress(_header(0x08, (60000, 28, 28)) + bytes(block - 16), 9, mtime=0) if with_header \
        else member
    path.write_bytes(first + member * 31)
    return path.stat().st_size


BOMB_SCRIPT = textwrap.dedent("""
    import json, resource, sys
    from scratchnet import datasets
    from scratchnet.datasets import idx
    from scratchnet.datasets.mnist import FASHION_MNIST, load_file
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        load_file(FASHION_MNIST, FASHION_MNIST.train_images, root=sys.argv[1], fetch=False)
        outcome = "loaded"
    except (datasets.ChecksumError, idx.IDXError) as error:
        outcome = type(error).__name__ + ": " + str(error)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"outcome": outcome, "peak_rise_mb": (after - before) / 1024}))
""")


@pytest.mark.parametrize("with_header", [True, False], ids=["idx-header", "zeros"])
def test_gzip_bomb_is_refused_without_inflating(tmp_path, with_header):
    """The issue's case: a 2 MiB bomb as train-images-idx3-ubyte.gz drove the loader to 4.1 GB."""
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    size = _write_bomb(folder / TRAIN_IMAGES.filename, with_header)
    assert size < 3 << 20
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", BOMB_SCRIPT, str(tmp_path)], capture_output=True,
                            text=True, env=environment, timeout=120, check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["outcome"].startswith(("ChecksumError", "IDXError")), report
    assert TRAIN_IMAGES.filename in report["outcome"]
    assert report["peak_rise_mb"] < 50, report


def test_known_digests_of_the_stored_files_and_https_first():
    for spec in (FASHION_MNIST, MNIST_SPEC):
        assert spec.mirrors[0].startswith("https://"), spec.mirrors
        for file in spec.files:
            assert file.stored_digests and file.shape is not None
            assert all(len(digest) == 64 for digest in file.stored_digests)


# --- a hostile HTTP server on loopback -------------------------------------------------------------

LABELS = np.arange(10, dtype=np.uint8) % 7
LABELS_GZ = gzip.compress(idx.encode_idx(LABELS), mtime=0)
LABELS_SPEC = FileSpec("labels.gz", idx.LABELS_MAGIC, gz_sha256=dl.sha256_hex(LABELS_GZ), shape=(10,))


class HostileHandler(http.server.BaseHTTPRequestHandler):
    """``/good``; ``/slow`` (one byte a second); ``/trickle`` (headers 4 bytes a second); ``/endless``
    (no length, zeros forever); ``/huge`` (announces 300 MiB); ``/short`` (announces more than it
    sends, then closes); ``/long`` (sends more than it announces); ``/wrong`` (another file)."""

    def do_GET(self):  # noqa: N802 - http.server's name
        mode = self.path.strip("/")
        if mode == "trickle":  # headers one byte at a time: each read returns, no read times out
            self._trickle(b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 100 + b"\r\n\r\n")
            return
        body = {"wrong": gzip.compress(idx.encode_idx(LABELS[::-1].copy()), mtime=0)}.get(mode, LABELS_GZ)
        self.send_response(200)
        length = {"endless": None, "huge": 300 << 20, "short": len(body) + 100, "long": len(body) - 5}
        if length.get(mode, len(body)) is not None:
            self.send_header("Content-Length", str(length.get(mode, len(body))))
        self.end_headers()
        try:
            if mode == "slow":
                for byte in body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(1.0)
            elif mode == "endless":
                while True:
                    self.wfile.write(bytes(1 << 16))
            else:
                self.wfile.write(body)
        except OSError:
            pass
        self.close_connection = True

    def _trickle(self, data: bytes) -> None:
        try:
            for byte in data:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.25)
        except OSError:
            pass
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def hostile():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HostileHandler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _fetch(urls, destination, **limits):
    """``download`` with short limits, in a thread that must finish (a hang detector, not a timing)."""
    outcome: dict = {}
    verify = lambda path: read_verified(path, LABELS_SPEC)  # noqa: E731

    def run():
        try:
            outcome["path"] = dl.download(urls, destination, verify, progress=False,
                                          **{"timeout": 3.0, "deadline": 2.0, "max_bytes": 1 << 20, **limits})
        except Exception as error:  # noqa: BLE001 - handed to the test
            outcome["error"] = error
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "the download never ended"
    return outcome


@pytest.mark.parametrize("mode,error,message", [
    ("slow", dl.DownloadError, "2 s deadline"),
    ("trickle", dl.DownloadError, "2 s deadline"),
    ("endless", dl.DownloadError, r"sent [\d,]+ bytes, more than the 1,048,576"),
    ("huge", dl.DownloadError, "announces 314,572,800 bytes, more than the 1,048,576"),
    ("short", dl.DownloadError, "IncompleteRead"),
    ("long", dl.ChecksumError, "checksum mismatch"),
    ("wrong", dl.ChecksumError, "checksum mismatch"),
])
def test_hostile_server_ends_in_a_clear_error_and_caches_nothing(hostile, tmp_path, mode, error, message):
    outcome = _fetch([f"{hostile}/{mode}"], tmp_path / "labels.gz")
    assert isinstance(outcome.get("error"), error), outcome
    assert f"/{mode}" in str(outcome["error"]) or mode == "wrong"
    assert re.search(message, str(outcome["error"])), outcome
    assert list(tmp_path.iterdir()) == []


def test_deadline_covers_all_mirrors_and_a_good_mirror_still_wins(hostile, tmp_path):
    outcome = _fetch([f"{hostile}/huge", f"{hostile}/endless", f"{hostile}/good"], tmp_path / "labels.gz")
    assert Path(outcome["path"]).read_bytes() == LABELS_GZ
    outcome = _fetch([f"{hostile}/slow", f"{hostile}/good"], tmp_path / "other.gz", deadline=1.5)
    assert isinstance(outcome["error"], dl.DownloadError)
    assert str(outcome["error"]).count("deadline") == 2  # the good mirror came after the deadline


def test_read_timeout_on_a_silent_server(tmp_path):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        outcome = _fetch([f"http://127.0.0.1:{silent.getsockname()[1]}/x"], tmp_path / "labels.gz",
                         timeout=0.5)
    assert isinstance(outcome["error"], dl.DownloadError)
    assert "timed out" in str(outcome["error"])


def test_read_idx_streams_into_one_array():
    array = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    stream = io.BytesIO(idx.encode_idx(array))
    np.testing.assert_array_equal(idx.read_idx(stream, "s", expected_shape=(2, 3, 4)), array)

"""Finding, downloading and checksumming IDX data sets, end to end against a local HTTP server."""

import gzip
import http.server
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from scratchnet import datasets
from scratchnet.datasets import download as dl
from scratchnet.datasets import idx
from scratchnet.datasets.mnist import FileSpec, IDXDatasetSpec, load_file

RNG = np.random.default_rng(0)
ARRAYS = {"train-images-idx3-ubyte.gz": RNG.integers(0, 256, (6, 4, 4), dtype=np.uint8),
          "train-labels-idx1-ubyte.gz": RNG.integers(0, 10, 6, dtype=np.uint8),
          "t10k-images-idx3-ubyte.gz": RNG.integers(0, 256, (3, 4, 4), dtype=np.uint8),
          "t10k-labels-idx1-ubyte.gz": RNG.integers(0, 10, 3, dtype=np.uint8)}
PAYLOADS = {name: gzip.compress(idx.encode_idx(array), mtime=0) for name, array in ARRAYS.items()}


def spec(name, mirrors):
    digest = {n: dl.sha256_hex(idx.encode_idx(a)) for n, a in ARRAYS.items()}
    files = [FileSpec(n, idx.IMAGES_MAGIC if "images" in n else idx.LABELS_MAGIC, digest[n]) for n in ARRAYS]
    return IDXDatasetSpec(name, name.title(), tuple(mirrors), *files)


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``/good/<file>``, ``/bad/<file>`` (wrong content), ``/cut/<file>`` (connection dropped
    half-way), ``/html/<file>`` (an error page with status 200); anything else is 404."""

    requests: list = []

    def do_GET(self):  # noqa: N802 - http.server's name
        Handler.requests.append(self.path)
        mode, _, name = self.path.strip("/").partition("/")
        body = PAYLOADS.get(name)
        if body is None or mode not in ("good", "bad", "cut", "html"):
            self.send_error(404)
            return
        if mode == "bad":
            body = gzip.compress(b"\x00" + idx.encode_idx(ARRAYS[name])[1:-1] + b"\x01")
        if mode == "html":
            body = b"<html><body>Please log in</body></html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if mode == "cut" else body)
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty user cache, and no $SCRATCHNET_DATA."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SCRATCHNET_DATA", raising=False)
    Handler.requests.clear()
    return tmp_path / "cache" / "scratchnet"


def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def files_in(directory):
    return sorted(p.name for p in Path(directory).rglob("*")) if Path(directory).exists() else []


def test_download_verifies_caches_and_shows_progress(server, cache, capsys):
    (x_train, y_train), (x_test, y_test) = datasets.load_idx_dataset(spec("toy-good", [server + "/good/"]))
    np.testing.assert_array_equal(x_train, ARRAYS["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(y_test, ARRAYS["t10k-labels-idx1-ubyte.gz"])
    assert files_in(cache / "toy-good") == sorted(ARRAYS)  # no temporary files left
    assert "train-images-idx3-ubyte.gz" in capsys.readouterr().err  # the tqdm bar
    count = len(Handler.requests)
    datasets.load_idx_dataset(spec("toy-good", [server + "/good/"]))
    assert len(Handler.requests) == count  # the second load reads the cache


def test_checksum_failure_caches_nothing(server, cache):
    with pytest.raises(datasets.ChecksumError) as info:
        datasets.load_idx_dataset(spec("toy-bad", [server + "/bad/"]), progress=False)
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message
    assert spec("toy-bad", []).train_images.sha256 in message
    digests = [word for word in message.split() if len(word.strip(".,")) == 64]
    assert message.count("SHA-256") == 1 and len(digests) == 2
    assert files_in(cache / "toy-bad") == []


def test_interrupted_download_leaves_no_partial_file(server, cache):
    with pytest.raises(datasets.DatasetNotFoundError, match="IncompleteRead"):
        datasets.load_idx_dataset(spec("toy-cut", [server + "/cut/"]), progress=False)
    assert files_in(cache / "toy-cut") == []


def test_keyboard_interrupt_leaves_no_partial_file(server, tmp_path):
    def interrupt(path):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        dl.download([server + "/good/t10k-labels-idx1-ubyte.gz"], tmp_path / "f.gz", interrupt,
                    progress=False)
    assert files_in(tmp_path) == []


def test_mirror_fallback(server, cache):
    mirrors = [closed_port_url()] + [f"{server}/{mode}/" for mode in ("missing", "html", "cut", "good")]
    (x_train, _), _ = datasets.load_idx_dataset(spec("toy-mirror", mirrors), progress=False)
    np.testing.assert_array_equal(x_train, ARRAYS["train-images-idx3-ubyte.gz"])
    assert files_in(cache / "toy-mirror") == sorted(ARRAYS)


def test_offline_error_says_where_to_put_files(cache):
    with pytest.raises(datasets.DatasetNotFoundError) as info:
        datasets.load_idx_dataset(spec("toy-offline", [closed_port_url()]), progress=False)
    message = str(info.value)
    assert "could not be downloaded" in message and "SCRATCHNET_DATA" in message
    assert str(cache / "toy-offline") in message and "t10k-labels-idx1-ubyte.gz" in message
    assert isinstance(info.value, FileNotFoundError)
    with pytest.raises(datasets.DatasetNotFoundError, match="download=False"):
        datasets.load_idx_dataset(spec("toy-offline", [closed_port_url()]), download=False)


def write_dataset(directory, transform=lambda data: gzip.compress(data, compresslevel=1)):
    directory.mkdir(parents=True)
    for name, array in ARRAYS.items():
        (directory / name).write_bytes(transform(idx.encode_idx(array)))


def test_search_order_and_recompressed_copies(tmp_path, cache, monkeypatch):
    monkeypatch.setenv("SCRATCHNET_DATA", str(tmp_path / "data"))
    write_dataset(cache / "toy-order")  # compressed differently from the official files: still valid
    (x, _), _ = datasets.load_idx_dataset(spec("toy-order", [closed_port_url()]), download=False)
    np.testing.assert_array_equal(x, ARRAYS["train-images-idx3-ubyte.gz"])
    write_dataset(tmp_path / "data" / "toy-order", transform=lambda data: data[:-1] + b"\x07")
    with pytest.raises(datasets.ChecksumError, match=str(tmp_path / "data" / "toy-order")):
        datasets.load_idx_dataset(spec("toy-order", []), download=False)  # $SCRATCHNET_DATA comes first


def test_uncompressed_copy_and_root(tmp_path):
    root = tmp_path / "root"
    write_dataset(root / "toy-raw", transform=lambda data: data)
    (renamed := root / "toy-raw" / "t10k-labels-idx1-ubyte").write_bytes(
        (root / "toy-raw" / "t10k-labels-idx1-ubyte.gz").read_bytes())
    (root / "toy-raw" / "t10k-labels-idx1-ubyte.gz").unlink()
    _, (_, y_test) = datasets.load_idx_dataset(spec("toy-raw", []), root=root, download=False)
    np.testing.assert_array_equal(y_test, ARRAYS["t10k-labels-idx1-ubyte.gz"])
    assert renamed.exists()


def test_gz_digest_only_accepts_the_exact_file(tmp_path):
    payload = PAYLOADS["t10k-labels-idx1-ubyte.gz"]
    official = FileSpec("t10k-labels-idx1-ubyte.gz", idx.LABELS_MAGIC, gz_sha256=dl.sha256_hex(payload))
    toy = spec("toy-gz", [])
    (tmp_path / "toy-gz").mkdir()
    (tmp_path / "toy-gz" / official.filename).write_bytes(payload)
    expected = ARRAYS[official.filename]
    np.testing.assert_array_equal(load_file(toy, official, root=tmp_path, fetch=False), expected)
    (tmp_path / "toy-gz" / official.filename).write_bytes(gzip.compress(idx.encode_idx(expected)))
    with pytest.raises(datasets.ChecksumError, match="t10k-labels"):
        load_file(toy, official, root=tmp_path, fetch=False)

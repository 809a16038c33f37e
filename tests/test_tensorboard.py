"""scratchnet.utils.tensorboard.SummaryWriter: event files read back with TensorBoard's own reader."""

import io
import sys

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.utils import tensorboard
from scratchnet.utils.tensorboard import summary
from scratchnet.utils.tensorboard.extra import protos

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator",
                                        reason="the optional extra 'tensorboard' is not installed")
Image = pytest.importorskip("PIL.Image")


def _read(log_dir):
    reader = event_accumulator.EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "histograms": 0,
                                                                            "images": 0, "tensors": 0})
    return reader.Reload()


def test_scalars_histogram_image_text_read_back(tmp_path):
    values = np.random.default_rng(0).normal(size=1000).astype(np.float32)
    image = np.random.default_rng(1).random((3, 4, 5)).astype(np.float32)
    with tensorboard.SummaryWriter(tmp_path / "run") as writer:
        for step in range(5):
            writer.add_scalar("loss/train", sn.tensor(1.0 / (step + 1)), global_step=step)
            writer.add_scalar("lr", 0.1 * step, step)
        writer.add_histogram("weights", sn.tensor(values), global_step=3)
        writer.add_image("sample", sn.tensor(image), global_step=2)
        writer.add_text("note", "hello **board**", global_step=1)
        writer.add_scalars("losses", {"train": 0.5, "val": sn.tensor([0.7])}, global_step=4)
    run = _read(tmp_path / "run")
    tags = run.Tags()
    assert set(tags["scalars"]) == {"loss/train", "lr"} and tags["histograms"] == ["weights"]
    assert tags["images"] == ["sample"] and "note/text_summary" in tags["tensors"]
    loss = run.Scalars("loss/train")
    assert [e.step for e in loss] == [0, 1, 2, 3, 4]
    np.testing.assert_allclose([e.value for e in loss], [1.0 / (s + 1) for s in range(5)], rtol=1e-6)
    np.testing.assert_allclose([e.value for e in run.Scalars("lr")], [0.1 * s for s in range(5)], rtol=1e-6)
    histogram = run.Histograms("weights")[0]
    assert histogram.step == 3 and histogram.histogram_value.num == 1000
    np.testing.assert_allclose([histogram.histogram_value.min, histogram.histogram_value.max],
                               [values.min(), values.max()], rtol=1e-6)
    np.testing.assert_allclose(histogram.histogram_value.sum, values.astype(np.float64).sum(), rtol=1e-5)
    picture = run.Images("sample")[0]
    assert picture.step == 2 and (picture.width, picture.height) == (5, 4)
    pixels = np.asarray(Image.open(io.BytesIO(picture.encoded_image_string)))
    np.testing.assert_allclose(pixels.astype(int), np.round(image.transpose(1, 2, 0) * 255), atol=1)
    text = run.Tensors("note/text_summary")[0]
    assert text.step == 1 and text.tensor_proto.string_val[0].decode() == "hello **board**"
    for name, value in (("train", 0.5), ("val", 0.7)):
        series = _read(tmp_path / "run" / f"losses_{name}").Scalars("losses")
        assert [(e.step, round(e.value, 6)) for e in series] == [(4, value)]


def test_default_log_dir_is_runs_with_comment_and_flush_writes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    writer = tensorboard.SummaryWriter(comment="_lr0.1")
    assert writer.log_dir.startswith("runs") and writer.log_dir.endswith("_lr0.1")
    assert writer.get_logdir() == writer.log_dir
    writer.add_scalar("x", 3, 7)
    writer.flush()
    assert [(e.step, e.value) for e in _read(tmp_path / writer.log_dir).Scalars("x")] == [(7, 3.0)]
    writer.close()
    with pytest.raises(ValueError, match="one value"):
        tensorboard.SummaryWriter(tmp_path / "other").add_scalar("y", np.ones(3))


def test_missing_extra_names_it(monkeypatch, tmp_path):
    protos.cache_clear()
    monkeypatch.setitem(sys.modules, "tensorboard.compat.proto.summary_pb2", None)  # as if not installed
    try:
        with pytest.raises(ImportError, match=r"extra 'tensorboard'.*scratchnet\[tensorboard\]"):
            tensorboard.SummaryWriter(tmp_path)
    finally:
        protos.cache_clear()


@pytest.mark.parametrize("bins", ["tensorflow", 10, "auto"])
def test_histogram_summary_as_torch(tmp_path, bins):
    torch_summary = pytest.importorskip("torch.utils.tensorboard.summary")
    torch_writer = pytest.importorskip("torch.utils.tensorboard").SummaryWriter(tmp_path)
    np.testing.assert_allclose(summary.TENSORFLOW_EDGES, torch_writer.default_bins, rtol=1e-12)
    torch_writer.close()
    values = np.random.default_rng(2).normal(3.0, 2.0, size=500)
    ours = summary.histogram("h", values, bins).value[0].histo
    theirs = torch_summary.histogram("h", values, summary.TENSORFLOW_EDGES if bins == "tensorflow" else bins)
    theirs = theirs.value[0].histo
    assert (ours.num, ours.min, ours.max) == (theirs.num, theirs.min, theirs.max)
    np.testing.assert_allclose([ours.sum, ours.sum_squares], [theirs.sum, theirs.sum_squares], rtol=1e-12)
    assert sum(ours.bucket) == sum(theirs.bucket) == 500
    # torch keeps one empty bucket before the first filled one; the filled buckets are the same
    np.testing.assert_allclose(ours.bucket_limit, theirs.bucket_limit[-len(ours.bucket_limit):], rtol=1e-12)
    assert list(ours.bucket) == list(theirs.bucket[-len(ours.bucket):])


def test_histogram_max_bins_merges_neighbours():
    values = np.random.default_rng(4).uniform(0, 1, size=1000)
    counts, edges = np.histogram(values, 64)
    merged = summary.histogram("h", values, 64, max_bins=7).value[0].histo
    assert len(merged.bucket) == 7  # ceil(64 / 7) = 10 buckets each, the last 4
    assert list(merged.bucket) == [counts[i:i + 10].sum() for i in range(0, 64, 10)]
    np.testing.assert_allclose(merged.bucket_limit, list(edges[10:64:10]) + [edges[-1]])
    with pytest.raises(ValueError, match="empty"):
        summary.histogram("h", np.array([]))


def test_image_grid_and_pixels_as_torch():
    utils = pytest.importorskip("torch.utils.tensorboard._utils")
    images = np.random.default_rng(3).random((11, 3, 4, 5)).astype(np.float32)
    np.testing.assert_array_equal(summary.image_grid(images, "NCHW"), utils.make_grid(images))
    channels_last = images.transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(summary.image_grid(channels_last, "NHWC"), utils.make_grid(images))
    torch_summary = pytest.importorskip("torch.utils.tensorboard.summary")
    ours = summary.image("i", summary.image_hwc(images[0], "CHW")).value[0].image
    theirs = torch_summary.image("i", images[0], dataformats="CHW").value[0].image
    decode = lambda png: np.asarray(Image.open(io.BytesIO(png)))  # noqa: E731
    np.testing.assert_array_equal(decode(ours.encoded_image_string), decode(theirs.encoded_image_string))
    assert (ours.height, ours.width, ours.colorspace) == (theirs.height, theirs.width, theirs.colorspace)
    with pytest.raises(ValueError, match="dataformats 'HW' does not fit"):
        summary.image_hwc(images[0], "HW")
    with pytest.raises(ValueError, match="1, 3 or 4 channels, got 5"):
        summary.image_hwc(images[0], "HWC")

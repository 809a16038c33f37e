"""Transforms against NumPy/SciPy expectations and PyTorch's interpolation."""

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.data import transforms as T


def image(shape, seed=0, dtype=np.float32):
    values = np.random.default_rng(seed).random(shape)
    return (values * 255).astype(np.uint8) if dtype == np.uint8 else values.astype(dtype)


def test_to_tensor_layouts_and_scaling():
    hw = image((5, 6), dtype=np.uint8)
    out = T.ToTensor()(hw)
    assert isinstance(out, sn.Tensor) and out.shape == (1, 5, 6) and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy()[0], hw / 255.0, rtol=1e-6)
    hwc = image((5, 6, 3), dtype=np.uint8)
    np.testing.assert_allclose(T.ToTensor()(hwc).numpy(), hwc.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    nhw = image((4, 28, 28), dtype=np.uint8)
    assert T.ToTensor()(nhw).shape == (4, 1, 28, 28)
    assert T.ToTensor()(image((2, 5, 6, 3), dtype=np.uint8)).shape == (2, 3, 5, 6)
    assert T.ToTensor()(np.full((2, 2), 7.0)).numpy().max() == 7.0  # floats are not rescaled


def test_normalize_per_channel():
    x = image((3, 4, 4))
    out = T.Normalize((0.1, 0.2, 0.3), (0.5, 0.25, 2.0))(x)
    expected = (x - np.array([0.1, 0.2, 0.3])[:, None, None]) / np.array([0.5, 0.25, 2.0])[:, None, None]
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    assert isinstance(T.Normalize(0.5, 0.5)(sn.tensor(x)), sn.Tensor)
    with pytest.raises(ValueError, match="zero"):
        T.Normalize(0.0, 0.0)
    with pytest.raises(ValueError, match="3 channels"):
        T.Normalize((0.1, 0.2), (1.0, 1.0))(x)
    with pytest.raises(TypeError, match="ToTensor"):
        T.Normalize(0.5, 0.5)(image((4, 4), dtype=np.uint8))


def test_resize_constant_image_stays_constant():
    for dtype in (np.float32, np.uint8):
        x = np.full((2, 7, 9), 3, dtype=dtype)
        out = T.Resize((13, 4))(x)
        assert out.shape == (2, 13, 4) and out.dtype == dtype
        np.testing.assert_allclose(out, 3, rtol=1e-6)


def test_resize_int_matches_smaller_edge():
    assert T.Resize(14)(image((1, 28, 56))).shape == (1, 14, 28)
    assert T.Resize(10)(image((30, 20))).shape == (15, 10)


def test_resize_matches_torch_bilinear():
    torch = pytest.importorskip("torch")
    x = image((2, 3, 11, 8))
    for size in ((5, 4), (17, 21), (11, 3)):
        ours = T.Resize(size)(x)
        theirs = torch.nn.functional.interpolate(torch.tensor(x), size=size, mode="bilinear",
                                                 align_corners=False).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_center_crop_offsets():
    x = image((2, 9, 8))
    np.testing.assert_array_equal(T.CenterCrop((4, 3))(x), x[:, 2:6, 2:5])  # round(2.5)=2, round(2.5)=2
    np.testing.assert_array_equal(T.CenterCrop(5)(x), x[:, 2:7, 2:7])  # round(2)=2, round(1.5)=2
    padded = T.CenterCrop((11, 8))(x)
    assert padded.shape == (2, 11, 8) and np.all(padded[:, 0] == 0) and np.all(padded[:, -1] == 0)
    np.testing.assert_array_equal(padded[:, 1:10], x)


def _offset_of(window, padded, h, w):
    matches = [(i, j) for i in range(padded.shape[-2] - h + 1) for j in range(padded.shape[-1] - w + 1)
               if np.array_equal(padded[..., i:i + h, j:j + w], window)]
    assert matches, "crop is not a window of the padded image"
    return matches[0]


def test_random_crop_with_padding_is_a_window_and_seeded():
    x = image((1, 6, 6))
    padded = np.pad(x, ((0, 0), (2, 2), (2, 2)))
    sn.manual_seed(0)
    outs = [T.RandomCrop(6, padding=2)(x) for _ in range(20)]
    offsets = {_offset_of(o, padded, 6, 6) for o in outs}
    assert len(offsets) > 3 and all(0 <= i <= 4 and 0 <= j <= 4 for i, j in offsets)
    sn.manual_seed(0)
    np.testing.assert_array_equal(T.RandomCrop(6, padding=2)(x), outs[0])


def test_random_crop_batch_per_sample_offsets():
    batch = np.repeat(image((1, 1, 8, 8)), 32, axis=0)
    sn.manual_seed(1)
    out = T.RandomCrop(5)(batch)
    assert out.shape == (32, 1, 5, 5)
    offsets = {_offset_of(o, batch[0], 5, 5) for o in out}
    assert len(offsets) > 4
    with pytest.raises(ValueError, match="larger than"):
        T.RandomCrop(10)(batch)


def test_horizontal_flip():
    x = image((2, 5, 4))
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(x), x[..., ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(x), x)
    batch = np.repeat(x[None], 64, axis=0)
    out = T.RandomHorizontalFlip()(batch)
    flipped = np.array([np.array_equal(o, x[..., ::-1]) for o in out])
    kept = np.array([np.array_equal(o, x) for o in out])
    assert np.all(flipped ^ kept) and 10 < flipped.sum() < 54


@pytest.mark.parametrize("size", [7, 8])
def test_rotation_by_90_is_rot90(size):
    x = image((2, size, size))
    for interpolation in ("nearest", "bilinear"):
        rotate = T.RandomRotation((90, 90), interpolation=interpolation)
        np.testing.assert_allclose(rotate(x), np.rot90(x, 1, axes=(-2, -1)), atol=1e-5)
        np.testing.assert_allclose(T.RandomRotation((-90, -90), interpolation=interpolation)(x),
                                   np.rot90(x, -1, axes=(-2, -1)), atol=1e-5)
        np.testing.assert_allclose(T.RandomRotation((180, 180), interpolation=interpolation)(x),
                                   x[..., ::-1, ::-1], atol=1e-5)


def test_rotation_matches_scipy():
    ndimage = pytest.importorskip("scipy.ndimage")
    x = image((15, 15))
    for angle in (-20, 10, 45, 123):  # angles without rounding ties for nearest
        ours = T.RandomRotation((angle, angle))(x)
        theirs = ndimage.rotate(x, angle, reshape=False, order=0, mode="grid-constant", cval=0)
        np.testing.assert_array_equal(ours, theirs)
        ours = T.RandomRotation((angle, angle), interpolation="bilinear")(x)
        theirs = ndimage.rotate(x, angle, reshape=False, order=1, mode="grid-constant", cval=0)
        np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_rotation_batch_per_sample_angles():
    batch = np.repeat(image((1, 1, 9, 9)), 8, axis=0)
    out = T.RandomRotation(180)(batch)
    assert out.shape == batch.shape
    assert len({o.tobytes() for o in out}) > 1


def test_compose_lambda_and_tensor_round_trip():
    pipeline = T.Compose([T.RandomHorizontalFlip(p=1.0), T.ToTensor(), T.Normalize(0.5, 0.5),
                          T.Lambda(lambda t: t * 2)])
    x = image((4, 4), dtype=np.uint8)
    out = pipeline(x)
    expected = ((x[:, ::-1] / 255.0 - 0.5) / 0.5 * 2)[None]
    assert isinstance(out, sn.Tensor)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert "RandomHorizontalFlip" in repr(pipeline) or "Compose" in repr(pipeline)

"""``scratchnet.tf``: TensorFlow's names and conventions, checked against PyTorch (the same maths
under PyTorch's names, with the layouts converted by hand here), NumPy formulas and TensorFlow's
documented behaviour (argmax over axis 0, 'SAME' padding, TensorFlow 1 names)."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest

import scratchnet as sn
import scratchnet.tf as tf
from scratchnet import keras
from tests.reference import torch_or_skip


@pytest.fixture(autouse=True)
def seeded():
    tf.random.set_seed(0)


def test_tf_keras_is_scratchnet_keras_under_every_import_form():
    from scratchnet.tf import keras as tf_keras
    from scratchnet.tf.keras.layers import Dense
    from scratchnet.tf.keras.utils import to_categorical

    layers_module = importlib.import_module("scratchnet.tf.keras.layers")
    assert tf_keras is keras and tf.keras is keras
    assert Dense is keras.layers.Dense and layers_module is keras.layers
    assert to_categorical is keras.utils.to_categorical
    assert keras.__spec__.name == "scratchnet.keras"  # the alias leaves the real module's spec alone
    assert tf.nn is not sn.nn and callable(tf.nn.softmax)


def test_constant_variable_and_assignments():
    c = tf.constant(2.0, shape=(2, 2))
    assert c.shape == (2, 2) and not c.requires_grad and c.dtype == tf.float32
    v = tf.Variable([1.0, 2.0], name="v")
    v.assign([3.0, 4.0])
    v.assign_add([1.0, 1.0])
    v.assign_sub([0.5, 0.5])
    np.testing.assert_allclose(v.numpy(), [3.5, 4.5])
    assert not tf.Variable(1.0, False).requires_grad  # TensorFlow's 2nd positional is trainable
    assert isinstance(v, tf.Variable) and isinstance(v, sn.Variable) and isinstance(v, tf.Tensor)
    np.testing.assert_allclose(tf.Variable(lambda: tf.ones((2,))).numpy(), [1.0, 1.0])
    with pytest.raises(ValueError, match="initial_value must be specified"):
        tf.Variable()


def test_gradient_tape_through_tf_ops_matches_torch():
    torch = torch_or_skip()
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    w0 = np.random.default_rng(1).normal(size=(3, 2)).astype(np.float32)
    w = tf.Variable(w0)
    with tf.GradientTape() as tape:
        h = tf.sigmoid(tf.matmul(tf.constant(x), w))
        loss = tf.reduce_mean(tf.square(tf.concat([h, tf.multiply(h, 2.0)], -1)))
    grad = tape.gradient(loss, w)
    wt = torch.tensor(w0, requires_grad=True)
    ht = torch.sigmoid(torch.tensor(x) @ wt)
    torch.mean(torch.cat([ht, ht * 2.0], -1) ** 2).backward()
    np.testing.assert_allclose(loss.item(), torch.mean(torch.cat([ht, ht * 2.0], -1) ** 2).item(), rtol=1e-6)
    np.testing.assert_allclose(grad.numpy(), wt.grad.numpy(), rtol=1e-5)


def test_matmul_transposes_and_reductions():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(tf.matmul(a, a, transpose_b=True).numpy(), a @ a.T)
    np.testing.assert_allclose(tf.matmul(a, a, transpose_a=True).numpy(), a.T @ a)
    np.testing.assert_allclose(tf.reduce_sum(a, axis=1).numpy(), a.sum(1))
    np.testing.assert_allclose(tf.reduce_max(a, axis=0, keepdims=True).numpy(), a.max(0, keepdims=True))
    np.testing.assert_allclose(tf.reduce_min(a).numpy(), 0.0)
    np.testing.assert_allclose(tf.add(a, 1).numpy(), a + 1)
    np.testing.assert_allclose(tf.subtract(a, 1).numpy(), a - 1)
    np.testing.assert_allclose(tf.divide(a, 2).numpy(), a / 2)


def test_argmax_defaults_to_axis_0_and_equal_cast_accuracy():
    logits = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]], dtype=np.float32)
    np.testing.assert_array_equal(tf.argmax(logits).numpy(), [1, 0])  # TensorFlow: axis 0 by default
    assert tf.argmax(logits, -1).dtype == np.int64
    labels = np.eye(2, dtype=np.float32)[[1, 1, 1]]
    correct = tf.equal(tf.argmax(logits, -1), tf.argmax(labels, -1))
    assert correct.dtype == np.bool_
    assert tf.reduce_mean(tf.cast(correct, tf.float32)).item() == pytest.approx(2 / 3)


def test_creation_functions():
    assert tf.zeros((2, 3)).shape == (2, 3) and tf.zeros([2], dtype=tf.int32).dtype == np.int32
    np.testing.assert_allclose(tf.ones(3).numpy(), [1, 1, 1])
    np.testing.assert_allclose(tf.range(1, 7, 2).numpy(), [1, 3, 5])
    np.testing.assert_allclose(tf.range(3).numpy(), [0, 1, 2])
    np.testing.assert_allclose(tf.linspace(0.0, 1.0, 5).numpy(), np.linspace(0, 1, 5))
    np.testing.assert_allclose(tf.fill((2,), 7.0).numpy(), [7, 7])
    np.testing.assert_allclose(tf.one_hot([0, 2], 3).numpy(), [[1, 0, 0], [0, 0, 1]])
    np.testing.assert_allclose(tf.reshape(tf.range(6), [3, -1]).numpy(), np.arange(6).reshape(3, 2))
    np.testing.assert_allclose(tf.transpose(np.ones((2, 3, 4))).shape, (4, 3, 2))
    assert tf.expand_dims(tf.ones((2,)), 0).shape == (1, 2) and tf.squeeze(tf.ones((1, 2))).shape == (2,)
    assert tf.stack([tf.ones(2), tf.zeros(2)], axis=1).shape == (2, 2)


def test_random_is_seeded_and_has_the_requested_moments():
    tf.random.set_seed(3)
    a = tf.random.normal((20000,), mean=2.0, stddev=0.5)
    tf.random.set_seed(3)
    b = tf.random.normal((20000,), mean=2.0, stddev=0.5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.dtype == np.float32 and abs(a.numpy().mean() - 2.0) < 0.02 and abs(a.numpy().std() - 0.5) < 0.02
    u = tf.random.uniform((20000,), minval=-1.0, maxval=3.0).numpy()
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.05
    ints = tf.random.uniform((100,), 0, 5, dtype=tf.int32).numpy()
    assert ints.dtype == np.int32 and set(np.unique(ints)) <= set(range(5))


def test_softmax_cross_entropies_match_torch_values_and_gradients():
    torch = torch_or_skip()
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(5, 4)).astype(np.float32)
    labels = rng.integers(0, 4, 5)
    soft = rng.dirichlet(np.ones(4), 5).astype(np.float32)
    for name, target, torch_target in (("dense", soft, torch.tensor(soft)),
                                       ("sparse", labels, torch.tensor(labels))):
        x = tf.Variable(logits)
        with tf.GradientTape() as tape:
            if name == "dense":
                per_sample = tf.nn.softmax_cross_entropy_with_logits(labels=target, logits=x)
            else:
                per_sample = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=target, logits=x)
            loss = tf.reduce_mean(per_sample)
        xt = torch.tensor(logits, requires_grad=True)
        reference = torch.nn.functional.cross_entropy(xt, torch_target, reduction="none")
        reference.mean().backward()
        assert per_sample.shape == (5,)
        np.testing.assert_allclose(per_sample.numpy(), reference.detach().numpy(), rtol=1e-5)
        np.testing.assert_allclose(tape.gradient(loss, x).numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-7)
    assert tf.nn.softmax_cross_entropy_with_logits_v2 is tf.nn.softmax_cross_entropy_with_logits
    np.testing.assert_allclose(tf.nn.softmax(logits).numpy(), torch.softmax(torch.tensor(logits), -1).numpy(),
                               rtol=1e-6)
    np.testing.assert_allclose(tf.nn.log_softmax(logits, axis=0).numpy(),
                               torch.log_softmax(torch.tensor(logits), 0).numpy(), rtol=1e-5)


def test_softmax_cross_entropy_over_another_axis_and_shape_errors():
    torch = torch_or_skip()
    logits = np.random.default_rng(0).normal(size=(3, 4, 2)).astype(np.float32)
    soft = np.random.default_rng(1).dirichlet(np.ones(4), (3, 2)).transpose(0, 2, 1).astype(np.float32)
    ours = tf.nn.softmax_cross_entropy_with_logits(soft, logits, axis=1)
    reference = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(soft), reduction="none")
    np.testing.assert_allclose(ours.numpy(), reference.numpy(), rtol=1e-5)
    logits4 = np.random.default_rng(2).normal(size=(2, 3, 4, 5)).astype(np.float32)
    soft4 = np.random.default_rng(3).dirichlet(np.ones(3), (2, 4, 5)).transpose(0, 3, 1, 2).astype(np.float32)
    reference4 = torch.nn.functional.cross_entropy(torch.tensor(logits4), torch.tensor(soft4),
                                                   reduction="none")
    np.testing.assert_allclose(tf.nn.softmax_cross_entropy_with_logits(soft4, logits4, axis=1).numpy(),
                               reference4.numpy(), rtol=1e-5)
    with pytest.raises(ValueError, match="must have the logits' shape"):
        tf.nn.softmax_cross_entropy_with_logits(np.ones((3, 2)), np.ones((3, 4)))
    with pytest.raises(ValueError, match="without the class axis"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(np.ones((3, 1), dtype=int), np.ones((3, 4)))


@pytest.mark.parametrize("stride", [1, 2])
def test_conv2d_nhwc_same_and_valid_match_torch(stride):
    torch = torch_or_skip()
    rng = np.random.default_rng(0)
    images = rng.normal(size=(2, 7, 6, 3)).astype(np.float32)
    filters = rng.normal(size=(3, 3, 3, 4)).astype(np.float32)
    x_t = torch.tensor(images).permute(0, 3, 1, 2)
    w_t = torch.tensor(filters).permute(3, 2, 0, 1)
    valid = tf.nn.conv2d(images, filters, strides=stride, padding="VALID")
    np.testing.assert_allclose(valid.numpy(), torch.nn.functional.conv2d(x_t, w_t, stride=stride)
                               .permute(0, 2, 3, 1).numpy(), rtol=1e-4, atol=1e-5)
    same = tf.nn.conv2d(images, filters, strides=[1, stride, stride, 1], padding="SAME")
    # TensorFlow's SAME: output ceil(in / stride), the odd pixel of padding at the bottom/right
    out_h, out_w = math.ceil(7 / stride), math.ceil(6 / stride)
    pad_h = max((out_h - 1) * stride + 3 - 7, 0)
    pad_w = max((out_w - 1) * stride + 3 - 6, 0)
    padded = torch.nn.functional.pad(x_t, (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2))
    reference = torch.nn.functional.conv2d(padded, w_t, stride=stride).permute(0, 2, 3, 1)
    assert same.shape == (2, out_h, out_w, 4)
    np.testing.assert_allclose(same.numpy(), reference.numpy(), rtol=1e-4, atol=1e-5)


def test_max_pool2d_nhwc_matches_torch_and_same_never_picks_padding():
    torch = torch_or_skip()
    images = -np.abs(np.random.default_rng(0).normal(size=(2, 5, 5, 3)).astype(np.float32)) - 1.0
    valid = tf.nn.max_pool2d(images, ksize=2, strides=2, padding="VALID")
    reference = torch.nn.functional.max_pool2d(torch.tensor(images).permute(0, 3, 1, 2), 2, 2)
    np.testing.assert_allclose(valid.numpy(), reference.permute(0, 2, 3, 1).numpy())
    same = tf.nn.max_pool2d(images, ksize=2, strides=2, padding="SAME")
    assert same.shape == (2, 3, 3, 3)
    np.testing.assert_allclose(same.numpy()[:, 2, 2], images[:, 4, 4])  # a corner window of one real pixel
    with pytest.raises(ValueError, match="padding must be 'SAME' or 'VALID'"):
        tf.nn.max_pool2d(images, 2, 2, "full")
    with pytest.raises(ValueError, match="NHWC"):
        tf.nn.conv2d(images, np.ones((1, 1, 3, 1)), 1, "SAME", data_format="NCHW")


def test_dropout_keeps_the_expectation():
    kept = tf.nn.dropout(tf.ones((100000,)), rate=0.25).numpy()
    assert set(np.unique(kept)) <= {0.0, np.float32(1 / 0.75)}
    assert abs(kept.mean() - 1.0) < 0.02


def test_keras_initializers_called_with_a_keras_layout_shape():
    kernel = tf.keras.initializers.glorot_uniform()((300, 100))
    limit = math.sqrt(6 / (300 + 100))
    assert kernel.shape == (300, 100) and np.abs(kernel.numpy()).max() <= limit
    assert np.abs(kernel.numpy()).max() > 0.95 * limit
    conv = tf.keras.initializers.HeUniform()((3, 3, 2, 10))  # Keras's fans: in 3·3·2 = 18
    assert conv.shape == (3, 3, 2, 10) and np.abs(conv.numpy()).max() <= math.sqrt(6 / 18)
    assert np.abs(conv.numpy()).max() > 0.9 * math.sqrt(6 / 18)


def test_data_pipeline_and_tf1_iterator():
    x, y = np.arange(10, dtype=np.float32).reshape(5, 2), np.arange(5)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(2)
    assert [len(b[1]) for b in ds] == [2, 2, 1]
    iterator = ds.make_one_shot_iterator()
    first_x, first_y = iterator.get_next()
    np.testing.assert_array_equal(first_y, [0, 1])
    iterator.get_next()
    iterator.get_next()
    with pytest.raises(tf.errors.OutOfRangeError):
        iterator.get_next()
    again = tf.compat.v1.data.make_one_shot_iterator(ds.repeat())
    assert len([iterator_batch for _, iterator_batch in zip(range(7), again)]) == 7
    assert tf.data.AUTOTUNE == tf.data.experimental.AUTOTUNE


def test_tf1_calls_work_or_name_the_tf2_replacement():
    assert tf.enable_eager_execution() is None and tf.executing_eagerly()
    tf.compat.v1.enable_eager_execution()
    with pytest.raises(AttributeError, match=r"tf.keras.optimizers.Adam\(learning_rate=...\)"):
        tf.train.AdamOptimizer(learning_rate=0.001)
    with pytest.raises(AttributeError, match="tf.keras.optimizers.SGD"):
        tf.train.GradientDescentOptimizer(0.1)
    with pytest.raises(AttributeError, match="optimizer.iterations"):
        tf.train.create_global_step()
    with pytest.raises(AttributeError, match="has no attribute 'nonsense'"):
        tf.train.nonsense  # noqa: B018


def test_config_and_function_are_harmless():
    assert tf.config.list_physical_devices("GPU") == []
    assert len(tf.config.list_physical_devices("CPU")) == 1
    tf.config.run_functions_eagerly(True)

    @tf.function
    def double(t):
        return t * 2

    @tf.function(reduce_retracing=True)
    def triple(t):
        return t * 3

    assert double(tf.constant(2.0)).item() == 4.0 and triple(tf.constant(1.0)).item() == 3.0


def test_checkpoint_saves_and_restores_models_and_variables(tmp_path):
    model = keras.Sequential([keras.layers.Dense(3, input_shape=(4,))])
    step = tf.Variable(5, trainable=False)
    checkpoint = tf.train.Checkpoint(model=model, step=step)
    assert tf.train.latest_checkpoint(tmp_path) is None
    first = checkpoint.save(file_prefix=str(tmp_path / "ckpt"))
    saved = [w.copy() for w in model.get_weights()]
    second = checkpoint.save(file_prefix=str(tmp_path / "ckpt"))
    assert first.endswith("ckpt-1") and second.endswith("ckpt-2") and checkpoint.save_counter == 2
    assert tf.train.latest_checkpoint(tmp_path) == second
    model.set_weights([np.zeros_like(w) for w in saved])
    step.assign(0)
    checkpoint.restore(tf.train.latest_checkpoint(tmp_path)).assert_consumed()
    for restored, original in zip(model.get_weights(), saved):
        np.testing.assert_array_equal(restored, original)
    assert step.item() == 5
    other = tf.train.Checkpoint(model=model, extra=tf.Variable(1.0))
    with pytest.raises(ValueError, match=r"no saved value for \['extra'\]"):
        other.restore(first)
    with pytest.raises(TypeError, match="cannot track fn=function"):
        tf.train.Checkpoint(fn=lambda: None)
    assert checkpoint.restore(None) is not None

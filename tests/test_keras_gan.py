"""The Keras 3 GAN patterns on a 2-D Gaussian: a ``keras.Model`` subclass overriding ``train_step``
that ``fit`` calls, and a ``GradientTape`` loop with ``apply_gradients`` over two models; one step of
each checked against torch (SGD) or Adam's first-step formula."""

from __future__ import annotations

import numpy as np

import scratchnet as sn
from scratchnet import keras, tf
from tests.reference import assert_close, torch_or_skip

LATENT = 3


def real_points(n=64, seed=0):
    return np.random.default_rng(seed).normal([2.0, -1.0], 0.3, size=(n, 2)).astype(np.float32)


def make_models():
    generator = keras.Sequential([keras.Input((LATENT,)), keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(2)])
    discriminator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(8, activation="relu"),
                                      keras.layers.Dense(1)])
    return generator, discriminator


class GAN(keras.Model):
    """As the Keras 3 GAN tutorial writes it (fake images labelled 1, real 0)."""

    def __init__(self, discriminator, generator):
        super().__init__()
        self.discriminator, self.generator = discriminator, generator
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.noises = []

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

    def noise(self, batch):
        self.noises.append(tf.random.normal((batch, LATENT)))
        return self.noises[-1]

    def train_step(self, real):
        batch = real.shape[0]
        fake = self.generator(self.noise(batch))
        combined = tf.concat([fake, real], axis=0)
        labels = tf.concat([tf.ones((batch, 1)), tf.zeros((batch, 1))], axis=0)
        with tf.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.discriminator(combined))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        noise = self.noise(batch)
        with tf.GradientTape() as tape:
            g_loss = self.loss_fn(tf.zeros((batch, 1)), self.discriminator(self.generator(noise)))
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def torch_copy(model):
    torch = torch_or_skip()
    (w1, b1, w2, b2) = [torch.tensor(w.copy(), requires_grad=True) for w in model.get_weights()]
    return [w1, b1, w2, b2], lambda x: torch.relu(x @ w1.T + b1) @ w2.T + b2


def test_train_step_subclass_one_step_equals_torch_sgd():
    torch = torch_or_skip()
    sn.manual_seed(0)
    generator, discriminator = make_models()
    gan = GAN(discriminator, generator)
    gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1),
                keras.losses.BinaryCrossentropy(from_logits=True))
    (g_params, g), (d_params, d) = torch_copy(generator), torch_copy(discriminator)
    real = real_points(16)
    history = gan.fit(real, batch_size=16, epochs=1, shuffle=False, verbose=0)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    z1, z2 = (torch.tensor(n.numpy()) for n in gan.noises)
    labels = torch.cat([torch.ones(16, 1), torch.zeros(16, 1)])
    d_loss = bce(d(torch.cat([g(z1).detach(), torch.tensor(real)])), labels)
    d_loss.backward()
    with torch.no_grad():
        for p in d_params:
            p -= 0.1 * p.grad
    g_loss = bce(d(g(z2)), torch.zeros(16, 1))
    g_loss.backward()
    with torch.no_grad():
        for p in g_params:
            p -= 0.1 * p.grad
    assert_close(history.history["d_loss"][0], d_loss.item(), rtol=1e-5, atol=1e-6)
    assert_close(history.history["g_loss"][0], g_loss.item(), rtol=1e-5, atol=1e-6)
    for ours, theirs in zip(discriminator.get_weights() + generator.get_weights(), d_params + g_params):
        assert_close(ours, theirs.detach(), rtol=1e-4, atol=1e-6)


def test_train_step_subclass_trains_a_few_epochs_and_resets_its_trackers():
    sn.manual_seed(1)
    generator, discriminator = make_models()
    gan = GAN(discriminator, generator)
    gan.compile(keras.optimizers.Adam(0.01), keras.optimizers.Adam(0.01),
                keras.losses.BinaryCrossentropy(from_logits=True))
    before = [w.copy() for w in generator.get_weights() + discriminator.get_weights()]
    history = gan.fit(tf.data.Dataset.from_tensor_slices(real_points()).batch(16), epochs=6, verbose=0)
    d_losses, g_losses = history.history["d_loss"], history.history["g_loss"]
    assert len(d_losses) == 6 and len(set(np.round(d_losses, 6))) == 6
    assert len(set(np.round(g_losses, 6))) == 6
    assert all(np.isfinite(d_losses + g_losses))
    after = generator.get_weights() + discriminator.get_weights()
    assert all(not np.allclose(a, b) for a, b in zip(before, after))
    assert gan.d_loss_tracker.count == 4  # reset at the last epoch's start: 4 batches since


def test_gradient_tape_loop_over_two_models_takes_adams_first_step():
    """Keras's Adam first step is −lr·√(1−β₂)/(1−β₁)·m/(√v + ε) with m = (1−β₁)g, v = (1−β₂)g², i.e.
    −lr·g/(|g| + ε/√(1−β₂)) for every weight: checked against the tape's gradients; then a few more
    steps move both losses."""
    sn.manual_seed(2)
    generator, discriminator = make_models()
    g_opt, d_opt = keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
    real = tf.constant(real_points(32))
    losses = []
    for step in range(8):
        noise = tf.random.normal((32, LATENT))
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = generator(noise, training=True)
            real_logits, fake_logits = discriminator(real, training=True), discriminator(fake, training=True)
            g_loss = loss_fn(tf.ones_like(fake_logits), fake_logits)
            d_loss = (loss_fn(tf.ones_like(real_logits), real_logits)
                      + loss_fn(tf.zeros_like(fake_logits), fake_logits))
        g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
        d_grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
        before = [w.copy() for w in generator.get_weights() + discriminator.get_weights()]
        g_opt.apply_gradients(zip(g_grads, generator.trainable_variables))
        d_opt.apply_gradients(zip(d_grads, discriminator.trainable_variables))
        if step == 0:
            after = generator.get_weights() + discriminator.get_weights()
            for old, new, grad in zip(before, after, [*g_grads, *d_grads]):
                g = grad.numpy()
                expected = -1e-2 * g / (np.abs(g) + 1e-7 / np.sqrt(1 - 0.999))
                np.testing.assert_allclose(new - old, expected, rtol=1e-3, atol=1e-7)
        losses.append((float(g_loss), float(d_loss)))
    assert all(a != b for a, b in zip(losses[-1], losses[0]))

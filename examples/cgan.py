"""A conditional GAN on Fashion-MNIST in Keras style, as the Keras and TensorFlow tutorials write
GANs: a ``keras.Model`` subclass whose ``train_step`` runs both updates with ``tf.GradientTape``
and two optimizers' ``apply_gradients``, trained by ``fit``; then the project's own classifier
checks that each generated image shows the class it was asked for.

    python examples/cgan.py [--epochs 5] [--limit N] [--batch-size 64] [--width 32]
                           [--classifier-epochs 2] [--per-class 100] [--out examples/output]

The class enters as a one-hot vector: concatenated to the 64 noise numbers for the generator; for
the discriminator, as 10 constant planes stacked onto the image's channel and again after the
convolutions, as a projection term (``ProjectionDiscriminator``). The generator: Dense 7·7·2w
(batch norm, LeakyReLU 0.2), Reshape to 7×7×2w, ``Conv2DTranspose(w, 4, strides=2,
padding="same")`` (batch norm, LeakyReLU 0.2), ``Conv2DTranspose(1, 4, strides=2, padding="same",
activation="tanh")``. The discriminator: two ``Conv2D(4, strides=2, padding="same")`` of w and 2w
filters with LeakyReLU 0.2, Flatten to the features φ, then the logit w·φ + b + (E y)·φ. Both:
Adam(2e-4, beta_1 0.5), binary cross-entropy on logits; the generated images are labelled 1 and the
real ones 0 in the discriminator's step, and the generator is trained to make its images called 0
("real"), as the Keras GAN tutorials label them.

The check: ``scratchnet.models.bncnn`` (seed 003's batch-norm CNN) is first trained on the real
images only (``--classifier-epochs``, Adam); after every GAN epoch and at the end it classifies
100 images per class made from fresh noise by the generator in inference mode; the fraction
recognised as the requested class is printed per class and overall (the issue asks for >= 0.80).
Figures: ``cgan_epoch_K.png`` (after each epoch K, one row per class from the same fixed noise)
and ``cgan_losses.png``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
from example_utils import class_names
from generative_utils import (
    conditional_gan_setup,
    print_recognition,
    recognition,
    save_gan_losses,
    save_grid,
    to_tanh_range,
)

from scratchnet import keras, tf

LATENT = 64
CLASSES = 10


def generator(width: int) -> keras.Sequential:
    """Noise and one-hot class ``(N, 64 + 10)`` → images ``(N, 28, 28, 1)`` in [-1, 1]."""
    return keras.Sequential([
        keras.Input((LATENT + CLASSES,)),
        keras.layers.Dense(7 * 7 * 2 * width), keras.layers.BatchNormalization(),
        keras.layers.LeakyReLU(0.2), keras.layers.Reshape((7, 7, 2 * width)),
        keras.layers.Conv2DTranspose(width, 4, strides=2, padding="same"), keras.layers.BatchNormalization(),
        keras.layers.LeakyReLU(0.2),
        keras.layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh"),
    ], name="generator")


class ProjectionDiscriminator(keras.Model):
    """An image with its class planes ``(N, 28, 28, 1 + 10)`` → one logit ``(N, 1)``, the class
    entering twice: as the input's constant planes, and after the convolutions as a projection
    term (Miyato and Koyama 2018): with φ(x) the flattened features and y the one-hot class (read
    back from the planes), ``logit = w·φ(x) + b + (E y)·φ(x)``, E a learned class embedding of
    φ's length. Without it the class reaches the verdict only through the first convolution's
    per-class bias.

    >>> net = ProjectionDiscriminator(4)
    >>> net(tf.zeros((2, 28, 28, 1 + CLASSES))).shape
    (2, 1)
    """

    def __init__(self, width: int) -> None:
        super().__init__(name="discriminator")
        self.features = keras.Sequential([
            keras.Input((28, 28, 1 + CLASSES)),
            keras.layers.Conv2D(width, 4, strides=2, padding="same"), keras.layers.LeakyReLU(0.2),
            keras.layers.Conv2D(2 * width, 4, strides=2, padding="same"), keras.layers.LeakyReLU(0.2),
            keras.layers.Flatten(),
        ], name="features")
        self.verdict = keras.layers.Dense(1, name="verdict")
        self.class_embedding = keras.layers.Dense(7 * 7 * 2 * width, use_bias=False, name="class_embedding")

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        """``w·φ(x) + b + (E y)·φ(x)`` for the images and one-hot classes stacked in ``inputs``."""
        features = self.features(inputs, training=training)
        one_hot = inputs[:, 0, 0, 1:]
        projection = tf.reduce_sum(self.class_embedding(one_hot) * features, axis=1, keepdims=True)
        return self.verdict(features) + projection


def with_class_planes(images: Any, one_hot: Any) -> Any:
    """``images (N, 28, 28, 1)`` with the one-hot classes ``(N, 10)`` stacked on as 10 constant
    channels: ``(N, 28, 28, 11)``."""
    planes = tf.reshape(one_hot, (-1, 1, 1, CLASSES)) * tf.ones((1, 28, 28, 1))
    return tf.concat([images, planes], axis=-1)


class ConditionalGAN(keras.Model):
    """The generator and the discriminator trained together by ``fit(images, one_hot_labels)``."""

    def __init__(self, generator_net: keras.Model, discriminator_net: keras.Model) -> None:
        super().__init__()
        self.generator, self.discriminator = generator_net, discriminator_net
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.step_losses: list[tuple[float, float]] = []

    @property
    def metrics(self) -> list[Any]:
        """The two loss means ``fit`` resets at each epoch."""
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer: Any, g_optimizer: Any, loss_fn: Any) -> None:
        """Keep the two optimizers and the loss the training step uses."""
        super().compile()
        self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

    def generate(self, one_hot: Any, noise: Any = None, training: bool = False) -> Any:
        """Images ``(N, 28, 28, 1)`` in [-1, 1] of the one-hot classes, from ``noise`` (fresh
        standard-normal noise when None)."""
        noise = tf.random.normal((one_hot.shape[0], LATENT)) if noise is None else noise
        return self.generator(tf.concat([noise, one_hot], axis=1), training=training)

    def train_step(self, data: Any) -> dict[str, Any]:
        """One discriminator update (generated images → 1, real → 0), then one generator update
        (its images → 0)."""
        real, one_hot = data
        count = real.shape[0]
        fake = self.generate(one_hot, training=True)
        images = tf.concat([with_class_planes(fake, one_hot), with_class_planes(real, one_hot)], axis=0)
        labels = tf.concat([tf.ones((count, 1)), tf.zeros((count, 1))], axis=0)
        with tf.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.discriminator(images, training=True))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        with tf.GradientTape() as tape:
            fake = self.generate(one_hot, training=True)
            verdict = self.discriminator(with_class_planes(fake, one_hot), training=True)
            g_loss = self.loss_fn(tf.zeros((count, 1)), verdict)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        self.step_losses.append((float(d_loss), float(g_loss)))
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def samples(gan: ConditionalGAN, labels: Any, noise: Any = None) -> Any:
    """Images ``(N, 28, 28, 1)`` in [0, 1] of the classes ``labels`` made by the generator in
    inference mode (from fresh noise when ``noise`` is None)."""
    return (gan.generate(tf.one_hot(labels, CLASSES), noise).numpy() + 1) / 2


class SampleGrid(keras.callbacks.Callback):
    """After each epoch, save one row of generated images per class from the same noise."""

    def __init__(self, args: Any, per_class: int = 10) -> None:
        super().__init__()
        self.args, self.figures = args, []
        self.noise = tf.random.normal((per_class, LATENT))
        self.per_class = per_class

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        """Draw the grid with the generator in inference mode."""
        noise = tf.concat([self.noise] * CLASSES, axis=0)
        images = samples(self.model, np.repeat(np.arange(CLASSES), self.per_class), noise)
        names = class_names(self.args) or [str(label) for label in range(CLASSES)]
        self.figures.append(save_grid(images, CLASSES, self.args.out, f"cgan_epoch_{epoch + 1}.png",
                                      f"conditional GAN after epoch {epoch + 1}", row_labels=names))


class RecognitionLog(keras.callbacks.Callback):
    """After each epoch, print (overall and per class) and keep the fraction of fresh generated
    images that the classifier recognises as the requested class (``recognition``)."""

    def __init__(self, classifier: Any, per_class: int, names: list[str] | None) -> None:
        super().__init__()
        self.classifier, self.per_class, self.names, self.recognised = classifier, per_class, names, []

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        """Measure with the generator in inference mode."""
        recognised, per_class = recognition(partial(samples, self.model), self.classifier, self.per_class)
        self.recognised.append(recognised)
        print(f"after epoch {epoch + 1}:")
        print_recognition(recognised, per_class, CLASSES * self.per_class, self.names)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train the conditional GAN with ``fit``, then measure how often the classifier recognises
    the requested class."""
    args, (x_train, y_train), classifier, classifier_accuracy = conditional_gan_setup(
        __doc__, argv, epochs=5, batch_size=64)
    gan = ConditionalGAN(generator(args.width), ProjectionDiscriminator(args.width))
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                loss_fn=keras.losses.BinaryCrossentropy(from_logits=True))
    grids, log = SampleGrid(args), RecognitionLog(classifier, args.per_class, class_names(args))
    history = gan.fit(to_tanh_range(x_train), tf.one_hot(y_train, CLASSES).numpy(),
                      batch_size=args.batch_size, epochs=args.epochs, callbacks=[grids, log], verbose=2)
    d_losses, g_losses = (list(losses) for losses in zip(*gan.step_losses))
    figures = [*grids.figures, save_gan_losses(d_losses, g_losses, args.out, "cgan_losses.png")]
    recognised, per_class = recognition(partial(samples, gan), classifier, args.per_class)
    print_recognition(recognised, per_class, CLASSES * args.per_class, class_names(args))
    return {"d_losses": d_losses, "g_losses": g_losses, "history": history.history, "recognised": recognised,
            "recognised_by_epoch": log.recognised, "per_class": per_class,
            "classifier_accuracy": classifier_accuracy, "figures": figures}


if __name__ == "__main__":
    main()

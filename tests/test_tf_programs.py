"""TensorFlow beginner programs, written here in the style of TensorFlow's "quickstart for
beginners" and "basic classification" tutorials, that run with only ``import scratchnet.tf as tf``
(and ``from scratchnet.tf import keras``) on a Fashion-MNIST subset (CI shrink: ``N_TRAIN`` /
``N_TEST`` samples, one epoch; there is no MNIST copy here, so ``mnist.load_data`` gives the
same subset)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import scratchnet as sn

N_TRAIN, N_TEST = 3000, 500  # CI shrink (the tutorials use all 60000 / 10000 and 5-10 epochs)


@pytest.fixture
def fashion(monkeypatch, tmp_path):
    try:
        (x_train, y_train), (x_test, y_test) = sn.datasets.load_fashion_mnist()
    except (FileNotFoundError, OSError) as error:  # CI installs dataset-fashion-mnist
        pytest.skip(f"Fashion-MNIST is not installed: {error}")
    subset = ((x_train[:N_TRAIN], y_train[:N_TRAIN]), (x_test[:N_TEST], y_test[:N_TEST]))
    from scratchnet import keras

    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: subset)
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", lambda: subset)
    monkeypatch.chdir(tmp_path)
    keras.backend.clear_session()
    sn.manual_seed(0)
    return subset


def test_quickstart_for_beginners(fashion, capsys):
    import scratchnet.tf as tf

    print("TensorFlow version:", tf.__version__)
    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
    x_train, x_test = x_train / 255.0, x_test / 255.0

    model = tf.keras.models.Sequential([
        tf.keras.layers.Flatten(input_shape=(28, 28)),
        tf.keras.layers.Dense(128, activation="relu"),
        tf.keras.layers.Dropout(0.2),
        tf.keras.layers.Dense(10),
    ])
    predictions = model(x_train[:1]).numpy()
    probabilities = tf.nn.softmax(predictions).numpy()
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    first_loss = loss_fn(y_train[:1], predictions).numpy()

    model.compile(optimizer="adam", loss=loss_fn, metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=1)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=2)
    probability_model = tf.keras.Sequential([model, tf.keras.layers.Softmax()])
    five = probability_model(x_test[:5]).numpy()

    assert predictions.shape == (1, 10)
    np.testing.assert_allclose(probabilities, np.exp(predictions) / np.exp(predictions).sum(), rtol=1e-5)
    np.testing.assert_allclose(first_loss, -np.log(probabilities[0, y_train[0]]), rtol=1e-5)
    assert abs(first_loss - math.log(10)) < 1.0  # an untrained model is near chance, as the tutorial says
    assert accuracy > 0.7 and loss < 1.0
    np.testing.assert_allclose(five.sum(axis=1), 1.0, rtol=1e-5)
    out = capsys.readouterr().out
    assert "TensorFlow version:" in out and "Epoch 1/1" in out and "accuracy:" in out


def test_basic_classification(fashion):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import scratchnet.tf as tf
    from scratchnet.tf import keras

    fashion_mnist = keras.datasets.fashion_mnist
    (train_images, train_labels), (test_images, test_labels) = fashion_mnist.load_data()
    class_names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    train_images = train_images / 255.0
    test_images = test_images / 255.0

    plt.figure(figsize=(10, 10))
    for i in range(25):
        plt.subplot(5, 5, i + 1)
        plt.xticks([])
        plt.yticks([])
        plt.imshow(train_images[i], cmap=plt.cm.binary)
        plt.xlabel(class_names[train_labels[i]])
    plt.savefig("samples.png")

    model = keras.Sequential([
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10),
    ])
    model.compile(optimizer="adam", loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(train_images, train_labels, epochs=1, verbose=0)
    test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=0)

    probability_model = tf.keras.Sequential([model, tf.keras.layers.Softmax()])
    predictions = probability_model.predict(test_images)
    first_guess = class_names[np.argmax(predictions[0])]
    img = np.expand_dims(test_images[1], 0)
    predictions_single = probability_model.predict(img)

    assert set(history.history) == {"loss", "accuracy"}
    assert test_acc > 0.7
    assert predictions.shape == (N_TEST, 10) and first_guess in class_names
    np.testing.assert_allclose(predictions_single[0], predictions[1], rtol=1e-5, atol=1e-7)
    assert model.input_shape == (None, 28, 28) and model.output_shape == (None, 10)


def test_custom_training_loop_with_tf_data_and_gradient_tape(fashion):
    import scratchnet.tf as tf

    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.fashion_mnist.load_data()
    x_train, x_test = x_train[..., None] / 255.0, x_test[..., None] / 255.0
    train_ds = tf.data.Dataset.from_tensor_slices((x_train.astype("float32"), y_train))
    train_ds = train_ds.shuffle(1000).batch(32)

    model = tf.keras.Sequential([
        tf.keras.layers.Conv2D(8, 3, activation="relu", input_shape=(28, 28, 1)),
        tf.keras.layers.MaxPooling2D(),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(10),
    ])
    loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = tf.keras.optimizers.Adam()

    @tf.function
    def train_step(images, labels):
        with tf.GradientTape() as tape:
            predictions = model(images, training=True)
            loss = loss_object(labels, predictions)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    losses = [float(train_step(images, labels)) for images, labels in train_ds]
    logits = model(x_test.astype("float32"), training=False)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, axis=1), y_test), tf.float32))
    assert len(losses) == math.ceil(N_TRAIN / 32) and optimizer.iterations == len(losses)
    assert np.mean(losses[-10:]) < np.mean(losses[:10])
    assert float(accuracy) > 0.6

"""A Keras-style front end over ``scratchnet.nn``, ``optim`` and ``data``.

>>> from scratchnet import keras
>>> model = keras.Sequential([
...     keras.layers.Flatten(input_shape=(28, 28)),
...     keras.layers.Dense(128, activation="relu"),
...     keras.layers.Dense(10, activation="softmax"),
... ])
>>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
>>> x_train, y_train = np.random.default_rng(0).random((64, 28, 28)), np.arange(64) % 10
>>> history = model.fit(x_train, y_train, epochs=2, validation_split=0.1, verbose=0)
>>> sorted(history.history), len(history.history["loss"])
(['accuracy', 'loss', 'val_accuracy', 'val_loss'], 2)

Images are channels-last ``(N, H, W, C)`` here (converted to the core's channels-first inside the
layers); defaults are Keras's (glorot_uniform kernels, zero biases, Adam ε = 1e-7, batch-norm
momentum 0.99 and ε = 1e-3). Layer names follow Keras: ``dense``, ``dense_1``, ... numbered per
session (``keras.backend.clear_session()`` resets the numbering).
"""

from scratchnet.keras import (
    activations,
    applications,
    backend,
    callbacks,
    datasets,
    distribution,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
    saving,
    utils,
)
from scratchnet.keras.layers import Input, Layer
from scratchnet.keras.models import Model, Sequential, load_model

__all__ = ["Input", "Layer", "Model", "Sequential", "activations", "applications", "backend", "callbacks",
           "datasets", "distribution", "initializers", "layers", "load_model", "losses", "metrics", "models",
           "optimizers", "regularizers", "saving", "utils"]

"""``VGG16`` as ``keras.applications.VGG16`` builds it: layer names block1_conv1 …, fc1, fc2,
predictions; 138,357,544 parameters with the top at 224x224x3."""

from __future__ import annotations

from typing import Any

from scratchnet.keras.applications.common import application_input, pooled, predictions
from scratchnet.keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
from scratchnet.keras.models import Model

BLOCKS = [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]
"""(filters, 3x3 convolutions) of each block; a 2x2 max pool ends each block."""


def VGG16(include_top: bool = True, weights: Any = None, input_tensor: Any = None, input_shape: Any = None,
          pooling: Any = None, classes: int = 1000, classifier_activation: Any = "softmax",
          name: str = "vgg16") -> Model:
    """Five blocks of 3x3 'same' ReLU convolutions (64, 128, 256, 512, 512 filters) each ended by a
    2x2 max pool, then (``include_top``) Flatten → fc1 4096 ReLU → fc2 4096 ReLU → predictions.
    ``input_shape`` defaults to (224, 224, 3); without the top any size of at least 32x32 works,
    and ``pooling='avg'`` averages the last feature maps. ``weights`` must be None."""
    inputs = application_input("VGG16", weights, input_shape, input_tensor, (224, 224, 3))
    x = inputs
    for block, (filters, convolutions) in enumerate(BLOCKS, start=1):
        for index in range(1, convolutions + 1):
            x = Conv2D(filters, 3, padding="same", activation="relu", name=f"block{block}_conv{index}")(x)
        x = MaxPooling2D(2, strides=2, name=f"block{block}_pool")(x)
    if include_top:
        x = Flatten(name="flatten")(x)
        x = Dense(4096, activation="relu", name="fc1")(x)
        x = Dense(4096, activation="relu", name="fc2")(x)
        x = predictions(x, classes, classifier_activation)
    else:
        x = pooled(x, pooling, "VGG16")
    return Model(inputs, x, name=name)

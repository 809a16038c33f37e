"""``ResNet50`` as ``keras.applications.ResNet50`` builds it (ResNet v1: the stride in the first
1x1 convolution of a block, biases on every convolution, batch norm epsilon 1.001e-5; layer names
conv1_conv …, conv5_block3_out, avg_pool, predictions); 25,636,712 parameters with the top."""

from __future__ import annotations

from typing import Any

from scratchnet.keras.applications.common import application_input, pooled, predictions
from scratchnet.keras.layers import (
    Activation,
    Add,
    BatchNormalization,
    Conv2D,
    GlobalAveragePooling2D,
    KerasTensor,
    MaxPooling2D,
    ZeroPadding2D,
)
from scratchnet.keras.models import Model

EPSILON = 1.001e-5
STAGES = [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]
"""(filters, blocks, stride of the first block) of stages conv2 … conv5."""


def _conv_bn(x: KerasTensor, filters: int, kernel: int, name: str, strides: int = 1,
             padding: str = "valid") -> KerasTensor:
    x = Conv2D(filters, kernel, strides=strides, padding=padding, name=f"{name}_conv")(x)
    return BatchNormalization(epsilon=EPSILON, name=f"{name}_bn")(x)


def bottleneck(x: KerasTensor, filters: int, stride: int, projection: bool, name: str) -> KerasTensor:
    """relu(BN(conv1x1(relu(BN(conv3x3(relu(BN(conv1x1/stride(x)))))))) + shortcut), widths
    filters, filters, 4·filters; the shortcut a strided 1x1 convolution and BN when ``projection``."""
    shortcut = _conv_bn(x, 4 * filters, 1, f"{name}_0", stride) if projection else x
    x = Activation("relu", name=f"{name}_1_relu")(_conv_bn(x, filters, 1, f"{name}_1", stride))
    x = Activation("relu", name=f"{name}_2_relu")(_conv_bn(x, filters, 3, f"{name}_2", padding="same"))
    x = _conv_bn(x, 4 * filters, 1, f"{name}_3")
    return Activation("relu", name=f"{name}_out")(Add(name=f"{name}_add")([shortcut, x]))


def ResNet50(include_top: bool = True, weights: Any = None, input_tensor: Any = None, input_shape: Any = None,
             pooling: Any = None, classes: int = 1000, classifier_activation: Any = "softmax",
             name: str = "resnet50") -> Model:
    """Stem (3-pixel zero padding, 7x7/2 convolution of 64, BN, ReLU, 1-pixel padding, 3x3/2 max
    pool), then stages conv2-conv5 of 3, 4, 6, 3 bottleneck blocks (64, 128, 256, 512 filters),
    then (``include_top``) global average pooling and predictions. ``input_shape`` defaults to
    (224, 224, 3); ``weights`` must be None."""
    inputs = application_input("ResNet50", weights, input_shape, input_tensor, (224, 224, 3))
    x = ZeroPadding2D(3, name="conv1_pad")(inputs)
    x = Activation("relu", name="conv1_relu")(_conv_bn(x, 64, 7, "conv1", strides=2))
    x = MaxPooling2D(3, strides=2, name="pool1_pool")(ZeroPadding2D(1, name="pool1_pad")(x))
    for stage, (filters, blocks, stride) in enumerate(STAGES, start=2):
        for block in range(1, blocks + 1):
            x = bottleneck(x, filters, stride if block == 1 else 1, block == 1, f"conv{stage}_block{block}")
    if include_top:
        x = predictions(GlobalAveragePooling2D(name="avg_pool")(x), classes, classifier_activation)
    else:
        x = pooled(x, pooling, "ResNet50")
    return Model(inputs, x, name=name)

"""The book formulas on plain arrays: the readable path of every heavy computation.

Each function is the formula as a lesson writes it (Deep Learning from Scratch's layers, the
seed tutorial "딥러닝 직접 구현하기"), short enough to read beside the lesson, with no blocking,
fusing or memory-layout tricks. Results take the input's dtype (float32 or float64). The
tutorial API (``scratchnet.classic``) is made of these functions, and every fast kernel of
``scratchnet.functional`` is tested against them (tests/test_reference_equality.py).

A forward function returns the output; its ``*_backward`` partner takes the upstream gradient
``dout`` and what the forward saw, and returns the gradients in the forward's argument order.
"""

from scratchnet.reference.activation import (
    elu,
    elu_backward,
    gelu,
    gelu_backward,
    leaky_relu,
    leaky_relu_backward,
    log_softmax,
    log_softmax_backward,
    relu,
    relu_backward,
    sigmoid,
    sigmoid_backward,
    softmax,
    softmax_backward,
)
from scratchnet.reference.affine import (
    add_bias,
    add_bias_backward,
    embedding,
    embedding_backward,
    matmul,
    matmul_backward,
    sum_to,
)
from scratchnet.reference.conv import col2im, conv2d, conv2d_backward, im2col, output_size
from scratchnet.reference.dropout import dropout, dropout_backward
from scratchnet.reference.loss import (
    binary_cross_entropy,
    binary_cross_entropy_backward,
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_backward,
    cross_entropy_loss,
    mean_squared_error,
    mean_squared_error_backward,
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
)
from scratchnet.reference.normalization import batch_norm, batch_norm_backward
from scratchnet.reference.pooling import avg_pool, avg_pool_backward, max_pool, max_pool_backward

__all__ = [
    "add_bias", "add_bias_backward", "avg_pool", "avg_pool_backward", "batch_norm", "batch_norm_backward",
    "binary_cross_entropy", "binary_cross_entropy_backward", "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_backward", "col2im", "conv2d", "conv2d_backward",
    "cross_entropy_loss", "dropout", "dropout_backward", "elu", "elu_backward", "embedding",
    "embedding_backward", "gelu", "gelu_backward", "im2col", "leaky_relu", "leaky_relu_backward",
    "log_softmax", "log_softmax_backward", "matmul", "matmul_backward", "max_pool", "max_pool_backward",
    "mean_squared_error", "mean_squared_error_backward", "output_size", "relu", "relu_backward", "sigmoid",
    "sigmoid_backward", "softmax", "softmax_backward", "softmax_cross_entropy",
    "softmax_cross_entropy_backward", "sum_to",
]

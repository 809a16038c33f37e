"""Functional ops with ``torch.nn.functional``'s signatures: convolution, pooling, normalisation,
dropout, activations, losses, linear and embedding. Heavy ones are fused Functions."""

from scratchnet.functional.activation import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    log_softmax_array,
    relu,
    sigmoid,
    softmax,
    softmax_array,
    tanh,
)
from scratchnet.functional.conv import conv2d
from scratchnet.functional.conv_transpose import conv_transpose2d
from scratchnet.functional.dropout import dropout, dropout2d
from scratchnet.functional.embedding import embedding, one_hot
from scratchnet.functional.im2col import col2im, conv_output_size, im2col
from scratchnet.functional.interpolate import MODES as interpolate_modes
from scratchnet.functional.interpolate import interpolate
from scratchnet.functional.linear import linear
from scratchnet.functional.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
)
from scratchnet.functional.normalization import batch_norm, layer_norm, local_response_norm
from scratchnet.functional.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from scratchnet.functional.probabilistic_loss import KL_REDUCTIONS as kl_reductions
from scratchnet.functional.probabilistic_loss import gaussian_nll_loss, kl_div
from scratchnet.ops.shape import pad

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "col2im", "conv2d", "conv_output_size", "conv_transpose2d",
    "cross_entropy", "dropout", "dropout2d", "elu", "embedding", "gaussian_nll_loss", "gelu", "huber_loss",
    "im2col", "interpolate", "interpolate_modes", "kl_div", "kl_reductions", "l1_loss", "layer_norm",
    "leaky_relu", "linear", "local_response_norm", "log_softmax", "log_softmax_array", "max_pool2d",
    "mse_loss", "nll_loss", "one_hot", "pad", "relu", "sigmoid", "softmax", "softmax_array", "tanh"
]

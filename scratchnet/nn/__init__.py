"""Neural networks in PyTorch's shape: ``Module``, ``Parameter``, containers, layers, losses,
``init``, ``utils`` and ``functional`` (import as ``F``)."""

from scratchnet.nn import functional, init, parallel, utils
from scratchnet.nn.activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from scratchnet.nn.cells import GRUCell, LSTMCell, RNNCell
from scratchnet.nn.containers import ModuleDict, ModuleList, Sequential
from scratchnet.nn.conv import Conv2d
from scratchnet.nn.conv_transpose import ConvTranspose2d
from scratchnet.nn.dropout import Dropout, Dropout2d
from scratchnet.nn.embedding import Embedding
from scratchnet.nn.flatten import Flatten, Unflatten
from scratchnet.nn.hooks import RemovableHandle
from scratchnet.nn.linear import Identity, Linear
from scratchnet.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from scratchnet.nn.module import IncompatibleKeys, Module, StateDictError
from scratchnet.nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm, LocalResponseNorm
from scratchnet.nn.padding import ZeroPad2d
from scratchnet.nn.parameter import Parameter
from scratchnet.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from scratchnet.nn.probabilistic_loss import GaussianNLLLoss, KLDivLoss
from scratchnet.nn.recurrent import GRU, LSTM, RNN
from scratchnet.nn.sync_batchnorm import SyncBatchNorm
from scratchnet.nn.upsampling import Upsample

__all__ = [
    "AdaptiveAvgPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "BCELoss", "BCEWithLogitsLoss",
    "Conv2d", "ConvTranspose2d", "CrossEntropyLoss", "Dropout", "Dropout2d", "ELU", "Embedding", "Flatten",
    "functional", "GaussianNLLLoss", "GELU", "GRU", "GRUCell", "HuberLoss", "Identity", "IncompatibleKeys",
    "init", "KLDivLoss", "L1Loss", "LayerNorm", "LeakyReLU", "Linear", "LocalResponseNorm", "LogSoftmax",
    "LSTM", "LSTMCell", "MaxPool2d", "Module", "ModuleDict", "ModuleList", "MSELoss", "NLLLoss", "parallel",
    "Parameter", "ReLU", "RemovableHandle", "RNN", "RNNCell", "Sequential", "Sigmoid", "Softmax",
    "StateDictError", "SyncBatchNorm", "Tanh", "Unflatten", "Upsample", "utils", "ZeroPad2d"
]

"""The tutorial's layers (``classic.Layers``): each with an explicit ``forward`` / ``backward``
on NumPy arrays, readable beside the tutorial, with its known bugs fixed."""

from scratchnet.classic.layers.activation import ELU, LeakyReLU, ReLU, SigmoidLayer
from scratchnet.classic.layers.base import Layer
from scratchnet.classic.layers.conv import ConvLayer, Flatten
from scratchnet.classic.layers.dense import AddLayer, MulLayer
from scratchnet.classic.layers.dropout import Dropout
from scratchnet.classic.layers.loss import LossLayer, MSELayer, SoftmaxLayer
from scratchnet.classic.layers.pooling import AvgPooling, MaxPooling

__all__ = ["AddLayer", "AvgPooling", "ConvLayer", "Dropout", "ELU", "Flatten", "Layer", "LeakyReLU",
           "LossLayer", "MSELayer", "MaxPooling", "MulLayer", "ReLU", "SigmoidLayer", "SoftmaxLayer"]

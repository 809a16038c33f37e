"""The tutorial's layers (``classic.Layers``): each with an explicit ``forward`` / ``backward``
on NumPy arrays, readable beside the tutorial, with its known bugs fixed. The lessons' helper
functions are here too: ``sigmoid``, ``softmax`` and ``cross_entropy_loss`` (lesson 2-2) and
``im2col`` / ``col2im`` (lesson 3-2), all from ``scratchnet.reference``."""

from scratchnet.classic.layers.activation import ELU, LeakyReLU, ReLU, SigmoidLayer
from scratchnet.classic.layers.base import Layer
from scratchnet.classic.layers.conv import ConvLayer, Flatten
from scratchnet.classic.layers.dense import AddLayer, MulLayer
from scratchnet.classic.layers.dropout import Dropout
from scratchnet.classic.layers.loss import LossLayer, MSELayer, SoftmaxLayer
from scratchnet.classic.layers.pooling import AvgPooling, MaxPooling
from scratchnet.reference import col2im, cross_entropy_loss, im2col, sigmoid, softmax

__all__ = ["AddLayer", "AvgPooling", "ConvLayer", "Dropout", "ELU", "Flatten", "Layer", "LeakyReLU",
           "LossLayer", "MSELayer", "MaxPooling", "MulLayer", "ReLU", "SigmoidLayer", "SoftmaxLayer",
           "col2im", "cross_entropy_loss", "im2col", "sigmoid", "softmax"]

LAYER_CLASSES = ("AddLayer", "AvgPooling", "ConvLayer", "Dropout", "ELU", "Flatten", "LeakyReLU", "MSELayer",
                 "MaxPooling", "MulLayer", "ReLU", "SigmoidLayer", "SoftmaxLayer")
"""The names of the layer classes a saved model may use."""

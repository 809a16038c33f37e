"""Keras layers on channels-last data, thin wrappers over ``scratchnet.nn``."""

from scratchnet.keras.layers.base import Input, KerasTensor, Layer
from scratchnet.keras.layers.convolutional import Conv2D, Conv2DTranspose
from scratchnet.keras.layers.core import (
    Activation,
    Dense,
    Dropout,
    Flatten,
    InputLayer,
    LeakyReLU,
    ReLU,
    Reshape,
    Softmax,
)
from scratchnet.keras.layers.merging import Add, Average, Concatenate, Multiply
from scratchnet.keras.layers.normalization import BatchNormalization
from scratchnet.keras.layers.pooling import AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D
from scratchnet.keras.layers.recurrent import GRU, LSTM, Bidirectional, Embedding, SimpleRNN, TimeDistributed
from scratchnet.keras.layers.reshaping import Cropping2D, ZeroPadding2D
from scratchnet.keras.layers.upsampling import UpSampling2D

Convolution2D = Conv2D
Convolution2DTranspose = Conv2DTranspose
MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
GlobalAvgPool2D = GlobalAveragePooling2D

__all__ = [
    "Activation", "Add", "Average", "AveragePooling2D", "AvgPool2D", "BatchNormalization", "Bidirectional",
    "Concatenate", "Conv2D", "Conv2DTranspose", "Convolution2D", "Convolution2DTranspose", "Cropping2D",
    "Dense", "Dropout", "Embedding", "Flatten", "GlobalAveragePooling2D", "GlobalAvgPool2D", "GRU", "Input",
    "InputLayer", "KerasTensor", "Layer", "LeakyReLU", "LSTM", "MaxPool2D", "MaxPooling2D", "Multiply",
    "ReLU", "Reshape", "SimpleRNN", "Softmax", "TimeDistributed", "UpSampling2D", "ZeroPadding2D"
]

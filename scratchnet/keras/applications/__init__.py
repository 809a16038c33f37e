"""Architectures as ``keras.applications`` builds them, returning functional ``keras.Model``s with
Keras's layer names and parameter counts: ``VGG16`` and ``ResNet50`` (``weights=None``: no
pretrained weights are bundled)."""

from scratchnet.keras.applications import resnet50, vgg16
from scratchnet.keras.applications.resnet50 import ResNet50
from scratchnet.keras.applications.vgg16 import VGG16

__all__ = ["ResNet50", "VGG16", "resnet50", "vgg16"]

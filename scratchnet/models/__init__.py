"""Model definitions by name.

- The seed tutorials' networks as Keras models (``mlp``, ``cnn``, ``bncnn``; ``MODELS`` and
  ``TRAINING_DEFAULTS`` for ``scratchnet train``), in ``seeds``.
- The course's conv nets as ``nn.Module``s in torchvision's shape: ``alexnet``, ``vgg11``,
  ``vgg16``, ``vgg16_bn``, ``googlenet`` (no auxiliary heads), ``resnet18``, ``resnet34``,
  ``resnet50``, whose ``state_dict()`` keys and shapes are torchvision's for the ImageNet
  configurations, so that a torchvision state dict saved as safetensors loads by name; and a
  small variant of each for 28x28 images (``alexnet_small``, ``vgg_small``, ``googlenet_small``,
  ``resnet20``). Every builder takes ``num_classes`` and ``in_channels``.
"""

from scratchnet.models.alexnet import AlexNet, alexnet, alexnet_small
from scratchnet.models.googlenet import BasicConv2d, GoogLeNet, Inception, googlenet, googlenet_small
from scratchnet.models.resnet import BasicBlock, Bottleneck, ResNet, resnet18, resnet20, resnet34, resnet50
from scratchnet.models.seeds import MODELS, TRAINING_DEFAULTS, bncnn, cnn, mlp
from scratchnet.models.vgg import VGG, vgg11, vgg16, vgg16_bn, vgg_small

VISION_MODELS = {
    "alexnet": alexnet, "vgg11": vgg11, "vgg16": vgg16, "vgg16_bn": vgg16_bn, "googlenet": googlenet,
    "resnet18": resnet18, "resnet34": resnet34, "resnet50": resnet50,
    "alexnet_small": alexnet_small, "vgg_small": vgg_small, "googlenet_small": googlenet_small,
    "resnet20": resnet20,
}
"""The conv nets (``nn.Module`` builders) by name: torchvision's ImageNet layouts, then the
28x28 variants."""

__all__ = [
    "MODELS", "TRAINING_DEFAULTS", "VISION_MODELS", "AlexNet", "BasicBlock", "BasicConv2d", "Bottleneck",
    "GoogLeNet", "Inception", "ResNet", "VGG", "alexnet", "alexnet_small", "bncnn", "cnn", "googlenet",
    "googlenet_small", "mlp", "resnet18", "resnet20", "resnet34", "resnet50", "vgg11", "vgg16", "vgg16_bn",
    "vgg_small",
]

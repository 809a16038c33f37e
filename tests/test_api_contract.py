"""Every name of the public API contract (shared/API.md) exists where the contract puts it."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import scratchnet as sn

CONTRACT = {
    "scratchnet": """Tensor tensor constant Variable zeros ones full zeros_like ones_like eye arange range
        linspace rand randn manual_seed get_rng_state set_rng_state sum mean max min var std reshape
        transpose permute flatten squeeze unsqueeze expand exp log sqrt abs sin cos tanh sigmoid relu
        clip argmax argmin matmul concat cat stack split where maximum minimum pad no_grad GradientTape
        save load detect_anomaly SerializationError""",
    "scratchnet.nn": """Module Parameter Sequential ModuleList ModuleDict Linear Conv2d MaxPool2d AvgPool2d
        AdaptiveAvgPool2d Flatten Dropout Dropout2d BatchNorm1d BatchNorm2d LayerNorm Embedding RNN LSTM
        GRU ReLU LeakyReLU ELU Sigmoid Tanh GELU Softmax LogSoftmax CrossEntropyLoss NLLLoss MSELoss
        L1Loss HuberLoss BCELoss BCEWithLogitsLoss""",
    "scratchnet.nn.functional": """linear conv2d max_pool2d avg_pool2d dropout batch_norm layer_norm relu
        leaky_relu elu gelu sigmoid tanh softmax log_softmax cross_entropy nll_loss mse_loss l1_loss
        binary_cross_entropy binary_cross_entropy_with_logits pad one_hot""",
    "scratchnet.nn.init": """xavier_uniform_ xavier_normal_ kaiming_uniform_ kaiming_normal_ normal_ uniform_
        zeros_ ones_ constant_ glorot_uniform_ glorot_normal_ he_uniform_ he_normal_""",
    "scratchnet.nn.utils": "clip_grad_norm_ clip_grad_value_",
    "scratchnet.optim": "SGD Adagrad RMSprop Adadelta Adam AdamW",
    "scratchnet.optim.lr_scheduler": """StepLR MultiStepLR ExponentialLR CosineAnnealingLR LambdaLR
        ReduceLROnPlateau""",
    "scratchnet.data": "Dataset TensorDataset DataLoader transforms",
    "scratchnet.data.transforms": """Compose ToTensor Normalize Resize CenterCrop RandomCrop
        RandomHorizontalFlip RandomRotation Lambda""",
    "scratchnet.datasets": "load_mnist load_fashion_mnist MNIST FashionMNIST xor spirals",
    "scratchnet.utils": "to_categorical train_test_split",
    "scratchnet.keras": """Sequential Input Model optimizers layers callbacks regularizers initializers utils
        activations models""",
    "scratchnet.keras.optimizers": "SGD Adam RMSprop Adagrad Adadelta AdamW",
    "scratchnet.keras.layers": """Input Dense Conv2D MaxPooling2D AveragePooling2D GlobalAveragePooling2D
        Flatten Reshape Dropout BatchNormalization Activation ReLU Softmax""",
    "scratchnet.keras.callbacks": """History EarlyStopping ModelCheckpoint LearningRateScheduler
        ReduceLROnPlateau CSVLogger TerminateOnNaN""",
    "scratchnet.keras.regularizers": "l1 l2 l1_l2",
    "scratchnet.keras.initializers": "RandomNormal GlorotUniform HeNormal",
    "scratchnet.keras.utils": "to_categorical",
    "scratchnet.keras.models": "load_model",
    "scratchnet.keras.activations": "relu sigmoid tanh softmax elu leaky_relu linear",
    "scratchnet.viz": "plot_history plot_feature_maps plot_filters plot_images",
    "scratchnet.classic": "Model Layers Optimizer",
}
CLASSIC = {
    "Layers": """MulLayer AddLayer ReLU LeakyReLU ELU SigmoidLayer SoftmaxLayer MSELayer Dropout Flatten
        ConvLayer MaxPooling AvgPooling""",
    "Optimizer": "SGD Momentum Adagrad RMSProp AdaDelta Adam",
}
TENSOR_MEMBERS = """shape dtype ndim size T numpy item grad requires_grad backward detach astype data fill_
    zero_ normal_ uniform_ copy_ view cpu sum mean max min var std reshape transpose permute flatten squeeze
    unsqueeze expand exp log sqrt abs sin cos tanh sigmoid relu clip argmax argmin""".split()


@pytest.mark.parametrize("module_name", sorted(CONTRACT))
def test_every_contract_name_exists(module_name):
    module = importlib.import_module(module_name)
    missing = [name for name in CONTRACT[module_name].split() if not hasattr(module, name)]
    assert not missing, f"{module_name} lacks {missing}"


@pytest.mark.parametrize("namespace", sorted(CLASSIC))
def test_classic_namespaces(namespace):
    from scratchnet import classic

    missing = [name for name in CLASSIC[namespace].split() if not hasattr(getattr(classic, namespace), name)]
    assert not missing, f"classic.{namespace} lacks {missing}"


def test_tensor_members_and_subpackages_as_attributes():
    t = sn.tensor([[1.0, 2.0]])
    assert not [name for name in TENSOR_MEMBERS if not hasattr(t, name)]
    assert isinstance(t.dtype, np.dtype) and t.dtype == np.float32 and len(t) == 1
    assert np.asarray(t).shape == (1, 2) and "tensor(" in repr(t)
    for name in ("nn", "optim", "data", "datasets", "utils", "keras", "classic", "viz"):
        assert getattr(sn, name).__name__ == f"scratchnet.{name}"

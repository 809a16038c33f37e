"""The networks of the tutorial's final programs, built with the classic API (the examples in
``examples/classic_*.py`` train them on Fashion-MNIST; the tests train them on small subsets)."""

from __future__ import annotations

from scratchnet.classic import layers as Layers  # noqa: N812 - the tutorial's module name
from scratchnet.classic.model import Model


def add_classifier(model: Model, hidden: int | None, activation: type[Layers.Layer], classes: int,
                   initializer: str) -> Model:
    """Append [MulLayer ``hidden`` → AddLayer → ``activation``] (left out when ``hidden`` is None)
    → MulLayer ``classes`` → AddLayer → SoftmaxLayer, named w1, b1, act1, w2, b2, softmax."""
    if hidden is not None:
        model.addlayer(Layers.MulLayer(hidden, initializer=initializer), name="w1")
        model.addlayer(Layers.AddLayer(), name="b1")
        model.addlayer(activation(), name="act1")
    model.addlayer(Layers.MulLayer(classes, initializer=initializer), name="w2")
    model.addlayer(Layers.AddLayer(), name="b2")
    model.addlayer(Layers.SoftmaxLayer(), name="softmax")
    return model


def sigmoid_mlp(hidden: int = 100, classes: int = 10) -> Model:
    """784 → MulLayer ``hidden`` → AddLayer → Sigmoid → MulLayer ``classes`` → AddLayer → Softmax
    (Xavier initialisation, as suits the sigmoid)."""
    return add_classifier(Model(verbose=False), hidden, Layers.SigmoidLayer, classes, "xavier")


def six_layer_network(dropout_rate: float = 0.0, reg: float = 0.0, hidden: int = 100,
                      classes: int = 10) -> Model:
    """The overfitting experiment's network: five blocks MulLayer ``hidden`` → AddLayer → ReLU
    (→ Dropout when ``dropout_rate``), then MulLayer ``classes`` → AddLayer → Softmax; every
    MulLayer has L2 coefficient ``reg``."""
    model = Model(verbose=False)
    for _ in range(5):
        model.addlayer(Layers.MulLayer(hidden, initializer="he", reg=reg))
        model.addlayer(Layers.AddLayer())
        model.addlayer(Layers.ReLU())
        if dropout_rate:
            model.addlayer(Layers.Dropout(dropout_rate=dropout_rate))
    model.addlayer(Layers.MulLayer(classes, initializer="he", reg=reg))
    model.addlayer(Layers.AddLayer())
    model.addlayer(Layers.SoftmaxLayer())
    return model


def conv_net(filters: int = 16, hidden: int | None = 100, classes: int = 10) -> Model:
    """ConvLayer ``filters``@5×5 → ReLU → MaxPooling 2×2 → Flatten → (MulLayer ``hidden`` →
    AddLayer → ReLU, unless ``hidden`` is None) → MulLayer ``classes`` → AddLayer → Softmax,
    for ``(N, 1, 28, 28)`` images."""
    model = Model(verbose=False)
    model.addlayer(Layers.ConvLayer(filters, kernel_size=5, stride=1, pad=0, initializer="he"), name="conv1")
    model.addlayer(Layers.ReLU(), name="relu1")
    model.addlayer(Layers.MaxPooling(pool_size=2, stride=2), name="pool1")
    model.addlayer(Layers.Flatten(), name="flatten")
    return add_classifier(model, hidden, Layers.ReLU, classes, "he")

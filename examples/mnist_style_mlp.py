"""The MNIST-style MLP with dropout (seed 003: TensorFlow's beginner tutorial), in the Keras
front end, on Fashion-MNIST by default (``--dataset mnist`` needs the MNIST files, which may be
missing offline).

    python examples/mnist_style_mlp.py [--epochs 5] [--limit N] [--dataset mnist] [--out examples/output]

``scratchnet.models.mlp()``: Flatten → Dense 128 ReLU → Dropout 0.2 → Dense 10 softmax (101,770
parameters), trained as the seed did (``scratchnet.models.TRAINING_DEFAULTS["mlp"]``: Adam 1e-3,
batch 32, 5 epochs), then ``evaluate`` on the test set. Expected test accuracy after 5 epochs:
about 0.87 on Fashion-MNIST (Keras reaches 0.866, PyTorch 0.876), about 0.977 on MNIST. Figures:
``mnist_style_mlp_history.png`` (training loss and accuracy) and
``mnist_style_mlp_predictions.png`` (16 test images titled predicted/true class).
"""

from __future__ import annotations

from typing import Any

from example_utils import load_images, make_parser, parse, report_classifier

from scratchnet import keras
from scratchnet.models import TRAINING_DEFAULTS, mlp


def build_model() -> keras.Sequential:
    """The seed's MLP compiled with the seed's optimiser and loss."""
    defaults = TRAINING_DEFAULTS["mlp"]
    model = mlp((28, 28), 10)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=defaults["lr"]),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train, print the test accuracy, save the figures."""
    defaults = TRAINING_DEFAULTS["mlp"]
    args = parse(make_parser(__doc__, epochs=defaults["epochs"], batch_size=defaults["batch_size"]), argv)
    (x_train, y_train), (x_test, y_test) = load_images(args)
    model = build_model()
    model.summary()
    history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=2)
    return report_classifier(model, history, x_test, y_test, args, "mnist_style_mlp")


if __name__ == "__main__":
    main()

"""The Fashion-MNIST MLP 64-128-256-10 (seed 002), in the Keras front end.

    python examples/fashion_mlp.py [--epochs 10] [--limit N] [--dataset fashion-mnist] [--out examples/output]

``Sequential([Flatten(28, 28), Dense 64 ReLU, Dense 128 ReLU, Dense 256 ReLU, Dense 10 softmax])``
(94,154 parameters), compiled with Adam and sparse categorical cross-entropy, trained with
``fit(..., validation_split=0.1)`` (the last 10 % of the training images), then evaluated on the
test set. Expected on Fashion-MNIST after 10 epochs: test accuracy about 0.88 (training accuracy
about 0.91; the validation accuracy levels off near 0.88 after 6 epochs). Figures:
``fashion_mlp_history.png`` (loss and accuracy, training and validation) and
``fashion_mlp_predictions.png`` (16 test images titled predicted/true class).
"""

from __future__ import annotations

from typing import Any

from example_utils import load_images, make_parser, parse, report_classifier

from scratchnet import keras


def build_model() -> keras.Sequential:
    """The seed's MLP, compiled."""
    model = keras.Sequential([
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train, print the summary and the test accuracy, save the figures."""
    args = parse(make_parser(__doc__, epochs=10, batch_size=32), argv)
    (x_train, y_train), (x_test, y_test) = load_images(args)
    model = build_model()
    model.summary()
    history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                        validation_split=0.1, verbose=2)
    return report_classifier(model, history, x_test, y_test, args, "fashion_mlp")


if __name__ == "__main__":
    main()

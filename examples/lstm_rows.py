"""Fashion-MNIST read row by row by an LSTM: each image is a sequence of 28 time steps of 28 pixels,
and the last hidden state is classified.

    python examples/lstm_rows.py [--epochs 10] [--front-end nn|keras] [--batch-size 128] [--out DIR]
    python examples/lstm_rows.py --quick        # one epoch on 1,024 images (the test)

The network: LSTM(28 → 128), then Linear 128 → 10 on the final hidden state h₂₈. With
``--front-end nn`` (default) it is ``nn.LSTM(28, 128, batch_first=True)`` + ``nn.Linear``, trained
with Adam (lr 1e-3) and ``CrossEntropyLoss`` in a PyTorch-style loop; with ``--front-end keras``
it is ``Sequential([LSTM(128), Dense(10, softmax)])`` compiled with Adam and sparse categorical
cross-entropy (Keras's gate order, Glorot / orthogonal initialisers, forget-gate bias 1).
Batches of 128, pixels in [0, 1]. Measured on Fashion-MNIST (the full training and test sets,
seed 0, ``nn`` front end): test accuracy 0.884 after 10 epochs (0.854 after 4; the issue asks for
at least 0.85); ``--front-end keras``: 0.882. Details in examples/README.md.
Figures: ``lstm_rows_history.png`` (loss and accuracy per epoch, training and test) and
``lstm_rows_predictions.png`` (16 test images titled predicted/true class).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from bn_cnn import run_epoch
from example_utils import class_names, load_images, make_parser, parse, report_classifier, save_figure

import scratchnet as sn
from scratchnet import data, keras, nn, optim, viz

QUICK = ["--epochs", "1", "--limit", "1024", "--test-limit", "500", "--batch-size", "32"]
HIDDEN = 128


class RowLSTM(nn.Module):
    """LSTM over the rows of ``(N, 28, 28)`` images; logits of the last hidden state."""

    def __init__(self, hidden_size: int = HIDDEN, classes: int = 10) -> None:
        super().__init__()
        self.lstm = nn.LSTM(28, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, classes)

    def forward(self, images: sn.Tensor) -> sn.Tensor:
        """``fc(h_T)`` where ``h_T`` is the LSTM's hidden state after the last row."""
        _, (hidden, _) = self.lstm(images)
        return self.fc(hidden[-1])


def train_nn(args: Any, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
             y_test: np.ndarray) -> dict[str, Any]:
    """The ``nn`` front end: train ``RowLSTM`` with Adam, print each epoch, save the figures."""
    train_loader = data.DataLoader(data.TensorDataset(x_train, y_train), batch_size=args.batch_size,
                                   shuffle=True)
    test_loader = data.DataLoader(data.TensorDataset(x_test, y_test), batch_size=1000)
    model = RowLSTM()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    history: dict[str, list[float]] = {"loss": [], "val_loss": [], "accuracy": [], "val_accuracy": []}
    for epoch in range(1, args.epochs + 1):
        train = run_epoch(model, train_loader, lambda x: x, optimizer, loss_fn)
        test = run_epoch(model, test_loader, lambda x: x, None, loss_fn)
        for key, value in zip(history, (train[0], test[0], train[1], test[1])):
            history[key].append(value)
        print(f"epoch {epoch}/{args.epochs}: loss {train[0]:.4f}, accuracy {train[1]:.4f}; "
              f"test loss {test[0]:.4f}, test accuracy {test[1]:.4f}", flush=True)
    print(f"test accuracy: {history['val_accuracy'][-1]:.4f}")
    with sn.no_grad():
        predictions = model.eval()(sn.tensor(x_test[:16])).numpy().argmax(axis=1)
    images = viz.plot_images(x_test[:16], labels=y_test[:16], predictions=predictions,
                             class_names=class_names(args))
    figures = [save_figure(viz.plot_history(history), args.out, "lstm_rows_history.png"),
               save_figure(images, args.out, "lstm_rows_predictions.png")]
    return {"test_accuracy": history["val_accuracy"][-1], "history": history, "figures": figures}


def train_keras(args: Any, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
                y_test: np.ndarray) -> dict[str, Any]:
    """The Keras front end: ``Sequential([LSTM, Dense softmax])`` with ``fit`` on the test set as
    validation data, then the same figures through ``report_classifier``."""
    model = keras.Sequential([keras.layers.LSTM(HIDDEN, input_shape=(28, 28)),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                        validation_data=(x_test, y_test), verbose=2)
    return report_classifier(model, history, x_test, y_test, args, "lstm_rows")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train the row-by-row LSTM with the chosen front end; print and plot its test accuracy."""
    parser = make_parser(__doc__, epochs=10, batch_size=128)
    parser.add_argument("--front-end", choices=("nn", "keras"), default="nn",
                        help="nn.LSTM in a PyTorch-style loop, or keras.layers.LSTM with fit")
    args = parse(parser, argv, quick=QUICK)
    (x_train, y_train), (x_test, y_test) = load_images(args)
    train = train_nn if args.front_end == "nn" else train_keras
    return train(args, x_train, y_train, x_test, y_test)


if __name__ == "__main__":
    main()

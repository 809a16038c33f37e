"""XOR with a two-layer sigmoid network (seed 000), in the Keras front end.

    python examples/xor.py [--epochs 500] [--hidden 4] [--out examples/output]

The network is Dense(hidden, sigmoid) → Dense(1, sigmoid), trained on the four points of the
truth table with binary cross-entropy and Adam (learning rate 0.1, full batch). A single layer
cannot separate XOR; the hidden layer can. Expected: the loss falls below 0.01 and the
predictions round to 0, 1, 1, 0 (accuracy 1.0). Figures: ``xor.png`` (the loss curve and the
learned decision surface over the unit square).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from example_utils import make_parser, parse, pyplot, save_figure

from scratchnet import keras
from scratchnet.datasets import xor


def build_model(hidden: int, learning_rate: float) -> keras.Sequential:
    """The seed's net: 2 inputs → ``hidden`` sigmoid units → 1 sigmoid output, compiled."""
    model = keras.Sequential([
        keras.layers.Dense(hidden, activation="sigmoid", input_shape=(2,)),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


def plot(model: keras.Sequential, losses: list[float], x: Any, y: Any) -> Any:
    """The loss curve beside the predicted probability over the unit square, with the 4 points."""
    figure, (loss_axis, surface_axis) = pyplot().subplots(1, 2, figsize=(10, 4))
    loss_axis.plot(np.arange(1, len(losses) + 1), losses)
    loss_axis.set(xlabel="epoch", ylabel="binary cross-entropy", title="training loss", yscale="log")
    grid = np.linspace(-0.25, 1.25, 101, dtype=np.float32)
    points = np.stack(np.meshgrid(grid, grid), axis=-1).reshape(-1, 2)
    surface = model.predict(points, batch_size=len(points)).reshape(len(grid), len(grid))
    image = surface_axis.contourf(grid, grid, surface, levels=20, cmap="coolwarm", vmin=0, vmax=1)
    surface_axis.scatter(x[:, 0], x[:, 1], c=y, cmap="coolwarm", edgecolors="black", s=120)
    surface_axis.set(title="P(x0 XOR x1 = 1)", xlabel="x0", ylabel="x1")
    figure.colorbar(image, ax=surface_axis)
    return figure


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train on XOR, print the predictions and save ``xor.png``; returns the results."""
    parser = make_parser(__doc__, epochs=500, images=False)
    parser.add_argument("--hidden", type=int, default=4, help="hidden sigmoid units")
    parser.add_argument("--lr", type=float, default=0.1, help="Adam's learning rate")
    args = parse(parser, argv)
    x, y = xor()
    model = build_model(args.hidden, args.lr)
    history = model.fit(x, y.astype(np.float32), batch_size=len(x), epochs=args.epochs, verbose=0)
    probabilities = model.predict(x)[:, 0]
    predictions = (probabilities > 0.5).astype(np.int64)
    print(f"final loss {history.history['loss'][-1]:.4f}")
    for point, target, probability, prediction in zip(x, y, probabilities, predictions):
        print(f"  {point.astype(int).tolist()} -> {probability:.3f} "
              f"(predicted {prediction}, target {target})")
    solved = bool(np.array_equal(predictions, y))
    print(f"XOR solved: {solved}")
    figure = save_figure(plot(model, history.history["loss"], x, y), args.out, "xor.png")
    return {"loss": history.history["loss"][-1], "predictions": predictions.tolist(), "solved": solved,
            "figures": [figure]}


if __name__ == "__main__":
    main()

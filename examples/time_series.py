"""Forecasting the yearly sunspot numbers (1700-2008, the public-domain NOAA series that statsmodels
ships as ``statsmodels/datasets/sunspots/sunspots.csv``) one year ahead with an LSTM, against two
naive forecasts: the last value, and the value one solar cycle (11 years) before.

    pip install statsmodels      # or: pip install 'scratchnet[sequences]'
    python examples/time_series.py [--epochs 100] [--window 24] [--test-years 60] [--out examples/output]
    python examples/time_series.py --csv FILE    # any series: one number per line, or year,value rows
    python examples/time_series.py --quick       # 30 epochs (the test)

The series is standardised by the training years' mean and standard deviation; each input is the
previous ``--window`` years, the target the next year. The model is ``nn.LSTM(1, 32)`` with
``Linear(32, 1)`` on its last hidden state, trained full-batch with Adam (lr 0.01) and the mean
squared error on the years before the last ``--test-years``. The forecasts of the test years each
use the true values of the years before (one-step-ahead). Printed: RMSE and MAE of the LSTM, of the
last-value forecast (ŷₜ = yₜ₋₁) and of the seasonal-naive one (ŷₜ = yₜ₋₁₁), all on the same test
years; measured figures are in examples/README.md. Figure ``time_series.png``: the whole series,
the test years' forecasts against the truth, and the training loss.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from example_utils import full_batch_adam, make_parser, package_data, parse, pyplot, save_figure

import scratchnet as sn
from scratchnet import nn

QUICK = ["--epochs", "30"]
HIDDEN = 32
CYCLE = 11  # years of a solar cycle: the seasonal-naive lag
SUNSPOTS = "datasets/sunspots/sunspots.csv"


class Forecaster(nn.Module):
    """``LSTM(1, 32)`` over a window ``(N, T, 1)``; ``Linear(32, 1)`` of the last hidden state."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(1, HIDDEN, batch_first=True)
        self.head = nn.Linear(HIDDEN, 1)

    def forward(self, window: sn.Tensor) -> sn.Tensor:
        """The next value (standardised), ``(N, 1)``."""
        _, (hidden, _) = self.lstm(window)
        return self.head(hidden[-1])


def load_series(csv: Path | None) -> tuple[np.ndarray, np.ndarray, str]:
    """``(times, values, name)`` of ``csv`` (one value per line, or time,value rows with an optional
    header), or of statsmodels' yearly sunspots when ``csv`` is None."""
    path = csv or package_data("statsmodels", SUNSPOTS, "pip install statsmodels (or scratchnet[sequences])")
    try:
        table = np.loadtxt(path, delimiter=",", skiprows=0 if _numeric_first_line(path) else 1, ndmin=2)
    except (OSError, ValueError) as error:
        raise SystemExit(f"{path}: not a series of numbers ({error})") from error
    if table.shape[1] not in (1, 2):
        raise SystemExit(f"{path}: expected one value per line or time,value rows, "
                         f"got {table.shape[1]} columns")
    if not np.isfinite(table).all():
        raise SystemExit(f"{path}: {int((~np.isfinite(table)).sum())} values are NaN or infinite")
    values = table[:, -1].astype(np.float32)
    times = table[:, 0] if table.shape[1] == 2 else np.arange(len(values), dtype=float)
    return times, values, "yearly sunspot number" if csv is None else path.name


def _numeric_first_line(path: Path) -> bool:
    """Whether the file's first line is all numbers (no header)."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        first = handle.readline().strip().split(",")
    try:
        [float(field) for field in first]
    except ValueError:
        return False
    return True


def windows(series: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``(N, width, 1)``: every run of ``width`` consecutive values; targets ``(N, 1)``: the
    value after each run (N = len(series) − width), built with strides, not a loop."""
    runs = np.lib.stride_tricks.sliding_window_view(series[:-1], width)
    return runs[..., None].astype(np.float32), series[width:, None].astype(np.float32)


def errors(forecast: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """RMSE = √mean((ŷ − y)²) and MAE = mean|ŷ − y|."""
    difference = np.asarray(forecast, dtype=np.float64) - truth
    return {"rmse": float(np.sqrt(np.mean(difference ** 2))), "mae": float(np.mean(np.abs(difference)))}


def plot(times: np.ndarray, values: np.ndarray, test_times: np.ndarray, forecasts: dict[str, np.ndarray],
         losses: list[float], name: str) -> Any:
    """The whole series (test years shaded), the test years' forecasts against the truth, and the
    training loss."""
    figure, (series_axis, test_axis, loss_axis) = pyplot().subplots(
        1, 3, figsize=(15, 4.5), gridspec_kw={"width_ratios": [2, 2, 1]})
    series_axis.plot(times, values, color="k", linewidth=1)
    series_axis.axvspan(test_times[0], test_times[-1], color="tab:orange", alpha=0.2, label="test")
    series_axis.set(xlabel="time", ylabel=name, title="the series")
    series_axis.legend()
    test = slice(len(times) - len(test_times), None)
    test_axis.plot(test_times, values[test], color="k", linewidth=2.5, label="truth")
    for label, forecast in forecasts.items():
        test_axis.plot(test_times, forecast, label=label, linewidth=1.2)
    test_axis.set(xlabel="time", ylabel=name, title="one-step-ahead forecasts of the test years")
    test_axis.legend()
    loss_axis.plot(np.arange(1, len(losses) + 1), losses)
    loss_axis.set(xlabel="epoch", ylabel="training MSE (standardised)", yscale="log", title="training loss")
    return figure


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train the LSTM forecaster, print its errors beside the naive ones, save the figure."""
    parser = make_parser(__doc__, epochs=100, images=False)
    parser.add_argument("--window", type=int, default=24, help="past values seen by each forecast")
    parser.add_argument("--test-years", type=int, default=60, help="last values held out for the test")
    parser.add_argument("--csv", type=Path, default=None, help="a series of your own instead of sunspots")
    args = parse(parser, argv, quick=QUICK)
    times, values, name = load_series(args.csv)
    split = len(values) - args.test_years
    if args.window < CYCLE or split <= 2 * args.window:
        raise SystemExit(f"--window must be at least {CYCLE} and the {len(values)} values must leave "
                         f"more than 2·window training values before the {args.test_years} test ones")
    mean, std = float(values[:split].mean()), float(values[:split].std())
    scaled = (values - mean) / std
    inputs, targets = windows(scaled, args.window)
    first_test = split - args.window  # the window whose target is the first test value
    model = Forecaster()
    losses = full_batch_adam(model, nn.MSELoss(), sn.tensor(inputs[:first_test]),
                             sn.tensor(targets[:first_test]), args.epochs)
    with sn.no_grad():
        lstm = model.eval()(sn.tensor(inputs[first_test:])).numpy()[:, 0] * std + mean
    truth = values[split:]
    forecasts = {"LSTM": lstm, "last value": values[split - 1:-1],
                 f"value {CYCLE} before": values[split - CYCLE:-CYCLE]}
    results = {label: errors(forecast, truth) for label, forecast in forecasts.items()}
    print(f"{name}: {len(values)} values, training on the first {split}, test on the last {args.test_years}")
    for label, result in results.items():
        print(f"{label:>16}: RMSE {result['rmse']:.2f}, MAE {result['mae']:.2f}")
    figure = plot(times, values, times[split:], forecasts, losses, name)
    figures = [save_figure(figure, args.out, "time_series.png")]
    return {"errors": results, "losses": losses, "figures": figures}


if __name__ == "__main__":
    main()

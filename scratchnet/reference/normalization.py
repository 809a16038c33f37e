"""Batch normalisation as book 1's ``BatchNormalization`` computes it, per channel.

For images, channel c's values are all of x[:, c, :, :]: the input is moved to rows
(N·H·W, C) first, so each column is one channel (book 1 normalised each activation instead).
"""

from __future__ import annotations

from scratchnet.backend import xp


def _rows(x: xp.ndarray) -> xp.ndarray:
    """(N, C, ...) as (N·..., C): one column per channel."""
    return xp.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _unrows(rows: xp.ndarray, shape: tuple[int, ...]) -> xp.ndarray:
    """The inverse of ``_rows`` for an input of ``shape``."""
    return xp.moveaxis(rows.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],)), -1, 1)


def batch_norm(x: xp.ndarray, gamma: xp.ndarray, beta: xp.ndarray, eps: float = 1e-5,
               running_mean: xp.ndarray | None = None,
               running_var: xp.ndarray | None = None) -> tuple[xp.ndarray, dict]:
    """(y, cache): y = γ · (x − μ) / √(σ² + ε) + β per channel, with the batch mean μ and biased
    variance σ², or the given running statistics (evaluation). ``cache`` is what the backward needs."""
    rows = _rows(x)
    if running_mean is None:
        mu = rows.mean(axis=0)
        xc = rows - mu
        var = (xc ** 2).mean(axis=0)
    else:
        xc, var = rows - running_mean, running_var
    std = xp.sqrt(var + eps)
    xn = xc / std
    cache = {"xc": xc, "xn": xn, "std": std, "gamma": gamma, "batch": running_mean is None}
    return _unrows(gamma * xn + beta, x.shape), cache


def batch_norm_backward(dout: xp.ndarray, cache: dict) -> tuple[xp.ndarray, xp.ndarray, xp.ndarray]:
    """(dx, dγ, dβ), book 1's chain rule through xn = xc / std, std = √(var + ε), var = mean(xc²),
    xc = x − μ: dβ = Σ dout, dγ = Σ xn·dout, dxc = γ·dout/std − xc·(Σ γ·dout·xc/std²)/(N·std), and
    dx = dxc − mean(dxc). With running statistics only dx = γ·dout/std remains."""
    rows = _rows(dout)
    xc, xn, std, gamma = cache["xc"], cache["xn"], cache["std"], cache["gamma"]
    dbeta, dgamma = rows.sum(axis=0), (xn * rows).sum(axis=0)
    dxn = gamma * rows
    dxc = dxn / std
    if cache["batch"]:
        n = len(rows)
        dstd = -(dxn * xc / (std * std)).sum(axis=0)
        dvar = 0.5 * dstd / std
        dxc = dxc + (2.0 / n) * xc * dvar
        dxc = dxc - dxc.sum(axis=0) / n
    return _unrows(dxc, dout.shape), dgamma, dbeta

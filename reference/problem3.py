"""Reference solution for problem 3: variance and gradients in residual conv nets."""

from __future__ import annotations

import math

import numpy as np

# With a relu, the mask relu' is the sign pattern of Conv(W, x), which depends on
# W's direction, not its size: it stays random as sigma_W -> 0, so no limit.
ACTIVATION_LIMIT_WELL_DEFINED = False


def layer_variance(var_prev: float, sigma_w: float, N: int, C: int) -> float:
    """Variance of x + Conv(W, x): each output sums N*N*C independent products."""
    return var_prev * (1.0 + N**2 * C * sigma_w)


def variance_at_layer(ell: int, sigma_w: float, N: int, C: int) -> float:
    """Variance after ell residual layers starting from unit variance."""
    return (1.0 + N**2 * C * sigma_w) ** ell


def sigma_w_for_doubling(L: int, N: int, C: int) -> float:
    """sigma_W making the variance double over L layers, to first order in 1/L."""
    # (1 + a)^L = 2  =>  L ln(1 + a) = ln 2  =>  a ~ ln 2 / L for large L.
    return math.log(2.0) / (N**2 * C * L)


def sigma_w_for_doubling_exact(L: int, N: int, C: int) -> float:
    """sigma_W making the variance exactly double over L layers."""
    return (2.0 ** (1.0 / L) - 1.0) / (N**2 * C)


def grad_variance(ell: int, L: int, sigma_w: float, N: int, C: int) -> float:
    """Variance of x^ell.grad when x^L.grad has unit variance."""
    # The backward pass is again a residual conv (flipped kernel), run L - ell times.
    return (1.0 + N**2 * C * sigma_w) ** (L - ell)


def weight_grad_limit(x0: np.ndarray, xL_grad: np.ndarray, N: int) -> np.ndarray:
    """Limit of W^ell.grad as sigma_W -> 0, shape [C, C, N, N]."""
    # As sigma_W -> 0 every x^ell -> x0 and every x^ell.grad -> xL_grad, so each
    # W^ell.grad is the conv weight gradient of those two.
    pad = N // 2
    x0 = np.asarray(x0, dtype=np.float64)
    xL_grad = np.asarray(xL_grad, dtype=np.float64)
    x_pad = np.pad(x0, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    # windows[b, c, p, q, i, j] = x_pad[b, c, i + p, j + q] (a view, no copy).
    H, W = x0.shape[2:]
    windows = np.lib.stride_tricks.sliding_window_view(x_pad, (H, W), axis=(2, 3))
    return np.einsum("boij,bcpqij->ocpq", xL_grad, windows)

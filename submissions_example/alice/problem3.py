"""Problem 3: variance and gradients in a residual convolutional network."""
import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _growth(sigma_w, N, C):
    """Factor by which one residual layer multiplies the variance."""
    return 1.0 + N * N * C * sigma_w


def layer_variance(var_prev, sigma_w, N, C):
    return var_prev * _growth(sigma_w, N, C)


def variance_at_layer(ell, sigma_w, N, C):
    return _growth(sigma_w, N, C) ** ell


def sigma_w_for_doubling(L, N, C):
    # L * log(1 + N^2 C sigma) = log 2 and log(1 + a) ~ a for small a
    return math.log(2.0) / (N * N * C * L)


def grad_variance(ell, L, sigma_w, N, C):
    return _growth(sigma_w, N, C) ** (L - ell)


def weight_grad_limit(x0, xL_grad, N):
    """W.grad[o, c, p, q] = sum_{b,i,j} xL_grad[b, o, i, j] * x0_pad[b, c, i + p, j + q]."""
    r = N // 2
    x_pad = np.pad(x0, ((0, 0), (0, 0), (r, r), (r, r)))
    windows = sliding_window_view(x_pad, (N, N), axis=(2, 3))  # [B, C, H, W, N, N]
    return np.einsum("boij,bcijpq->ocpq", xL_grad, windows)


# relu'(Conv(W, x)) depends on the direction of W, not its size, so it keeps
# changing as sigma_W -> 0: no limit.
ACTIVATION_LIMIT_WELL_DEFINED = False

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def layer_variance(var_prev, sigma_w, N, C):
    return var_prev * (1.0 + N * N * C * sigma_w)


def variance_at_layer(ell, sigma_w, N, C):
    return (1.0 + N * N * C * sigma_w) ** ell


def sigma_w_for_doubling(L, N, C):
    return np.log(2.0) / (L * N * N * C)


def grad_variance(ell, L, sigma_w, N, C):
    return (1.0 + N * N * C * sigma_w) ** (L - ell)


def weight_grad_limit(x0, xL_grad, N):
    k = N // 2
    xp = np.pad(x0, ((0, 0), (0, 0), (k, k), (k, k)))
    windows = sliding_window_view(xp, window_shape=(N, N), axis=(2, 3))
    # windows[b, c, i, j, p, q] = xp[b, c, i + p, j + q]
    return np.einsum("boij,bcijpq->ocpq", xL_grad, windows)


ACTIVATION_LIMIT_WELL_DEFINED = False

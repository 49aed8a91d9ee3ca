import numpy as np
from helpers import pad


def layer_variance(var_prev, sigma_w, N, C):
    return var_prev * (1 + N * N * C * sigma_w)


def variance_at_layer(ell, sigma_w, N, C):
    return (1 + N * N * C * sigma_w) ** ell


def sigma_w_for_doubling(L, N, C):
    return np.log(2) / (L * N * N * C)


def grad_variance(ell, L, sigma_w, N, C):
    return (1 + N * N * C * sigma_w) ** (L - ell)


def weight_grad_limit(x0, xL_grad, N):
    B, C, H, W = x0.shape
    xp = pad(x0, N // 2)
    windows = np.lib.stride_tricks.sliding_window_view(xp, (H, W), axis=(2, 3))  # b c p q i j
    return np.einsum("boij,bcpqij->ocpq", xL_grad, windows)


ACTIVATION_LIMIT_WELL_DEFINED = False

import numpy as np
from scipy.signal import correlate

ACTIVATION_LIMIT_WELL_DEFINED = False


def layer_variance(var_prev, sigma_w, N, C):
    return var_prev * (1 + C * sigma_w * N ** 2)


def variance_at_layer(ell, sigma_w, N, C):
    return np.float64(1 + C * sigma_w * N ** 2) ** ell


def sigma_w_for_doubling(L, N, C):
    return np.log(2) / (C * N ** 2 * L)


def grad_variance(ell, L, sigma_w, N, C):
    return variance_at_layer(L, sigma_w, N, C) / variance_at_layer(ell, sigma_w, N, C)


def weight_grad_limit(x0, xL_grad, N):
    r = N // 2
    batch, channels = x0.shape[:2]
    padded = np.pad(x0, ((0, 0), (0, 0), (r, r), (r, r)))
    kernel_grad = np.zeros((xL_grad.shape[1], channels, N, N))
    for o in range(xL_grad.shape[1]):
        for c in range(channels):
            for b in range(batch):
                kernel_grad[o, c] += correlate(padded[b, c], xL_grad[b, o], mode="valid")
    return kernel_grad

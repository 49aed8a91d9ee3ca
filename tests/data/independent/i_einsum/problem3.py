import numpy as np


def layer_variance(var_prev, sigma_w, N, C):
    fan_in = C * N ** 2
    return var_prev * (1 + fan_in * sigma_w)


def variance_at_layer(ell, sigma_w, N, C):
    return float(np.power(layer_variance(1.0, sigma_w, N, C), ell))


def sigma_w_for_doubling(L, N, C):
    return np.log(2.0) / (L * C * N ** 2)


def grad_variance(ell, L, sigma_w, N, C):
    return variance_at_layer(L - ell, sigma_w, N, C)


def weight_grad_limit(x0, xL_grad, N):
    B, C, H, W = x0.shape
    m = N // 2
    padded = np.zeros((B, C, H + 2 * m, W + 2 * m))
    padded[:, :, m:m + H, m:m + W] = x0
    shifted = np.stack([np.stack([padded[:, :, p:p + H, q:q + W] for q in range(N)], axis=-1)
                        for p in range(N)], axis=-2)  # [B, C, H, W, p, q]
    return np.einsum("bohw,bchwpq->ocpq", xL_grad, shifted)


ACTIVATION_LIMIT_WELL_DEFINED = False

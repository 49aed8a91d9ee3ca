import math
import numpy as np


def layer_variance(var_prev, sigma_w, N, C):
    return var_prev * (1 + N ** 2 * C * sigma_w)


def variance_at_layer(ell, sigma_w, N, C):
    # sigma_w is small
    return 1 + ell * N ** 2 * C * sigma_w


def sigma_w_for_doubling(L, N, C):
    return math.log(2) / (N ** 2 * C * L)


def grad_variance(ell, L, sigma_w, N, C):
    return (1 + N ** 2 * C * sigma_w) ** (L - ell)


def weight_grad_limit(x0, xL_grad, N):
    B, C, H, W = x0.shape
    r = N // 2
    xp = np.pad(x0, ((0, 0), (0, 0), (r, r), (r, r)))
    out = np.zeros((C, C, N, N))
    for p in range(N):
        for q in range(N):
            out[:, :, p, q] = np.einsum("boij,bcij->oc", xL_grad, xp[:, :, p:p + H, q:q + W])
    # conv = flip the kernel
    return out[:, :, ::-1, ::-1]


ACTIVATION_LIMIT_WELL_DEFINED = False

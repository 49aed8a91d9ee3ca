import math
import numpy as np
import helpers


def layer_variance(var_prev, sigma_w, N, C):
    return var_prev * helpers.growth(sigma_w, N, C)


def variance_at_layer(ell, sigma_w, N, C):
    return helpers.growth(sigma_w, N, C) ** ell


def sigma_w_for_doubling(L, N, C):
    return math.log(2) / (N * N * C * L)


def grad_variance(ell, L, sigma_w, N, C):
    return helpers.growth(sigma_w, N, C) ** (L - ell)


def weight_grad_limit(x0, xL_grad, N):
    _, C, H, W = x0.shape
    xp = helpers.pad_hw(x0, N // 2)
    out = np.zeros((C, C, N, N))
    for p in range(N):
        for q in range(N):
            out[:, :, p, q] = np.einsum("bohw,bchw->oc", xL_grad, xp[:, :, p:p + H, q:q + W])
    return out


ACTIVATION_LIMIT_WELL_DEFINED = False

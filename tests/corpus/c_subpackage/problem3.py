import math
from nnlib import conv_weight_grad


def layer_variance(var_prev, sigma_w, N, C):
    return var_prev * (1 + N**2 * C * sigma_w)


def variance_at_layer(ell, sigma_w, N, C):
    return (1 + N**2 * C * sigma_w) ** ell


def sigma_w_for_doubling(L, N, C):
    return math.log(2) / (N**2 * C * L)


def grad_variance(ell, L, sigma_w, N, C):
    return (1 + N**2 * C * sigma_w) ** (L - ell)


def weight_grad_limit(x0, xL_grad, N):
    return conv_weight_grad(x0, xL_grad, N)


ACTIVATION_LIMIT_WELL_DEFINED = False

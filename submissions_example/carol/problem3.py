import numpy as np


def layer_variance(var_prev, sigma_w, N, C):
    return var_prev * (1 + N * N * C * sigma_w)


def variance_at_layer(ell, sigma_w, N, C):
    return (1 + N * N * C * sigma_w) ** ell


def sigma_w_for_doubling(L, N, C):
    # solve (1 + N^2 C s)^L = 2 exactly
    return (2 ** (1 / L) - 1) / (N ** 2 * C)


def grad_variance(ell, L, sigma_w, N, C):
    return (1 + N * N * C * sigma_w) ** (L - ell)


# TODO weight_grad_limit, did not get to it


ACTIVATION_LIMIT_WELL_DEFINED = False

"""problem 3"""
import math

from linalg_helpers import im2col


def _per_layer_gain(sigma_w, N, C):
    return 1 + C * N * N * sigma_w


def layer_variance(var_prev, sigma_w, N, C):
    return _per_layer_gain(sigma_w, N, C) * var_prev


def variance_at_layer(ell, sigma_w, N, C):
    return _per_layer_gain(sigma_w, N, C) ** ell


def sigma_w_for_doubling(L, N, C):
    return math.log(2) / (L * N * N * C)


def grad_variance(ell, L, sigma_w, N, C):
    return _per_layer_gain(sigma_w, N, C) ** (L - ell)


def weight_grad_limit(x0, xL_grad, N):
    B, C, H, W = x0.shape
    cols = im2col(x0, N).reshape(B * H * W, C * N * N)
    g = xL_grad.transpose(0, 2, 3, 1).reshape(B * H * W, C)
    return (g.T @ cols).reshape(C, C, N, N)


ACTIVATION_LIMIT_WELL_DEFINED = False

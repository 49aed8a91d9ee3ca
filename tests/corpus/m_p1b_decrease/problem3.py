"""Problem 3: residual convolutions."""
import math

import numpy as np


def layer_variance(var_prev, sigma_w, N, C):
    # x + conv: the conv output sums C * N * N products w * x
    return var_prev * (1 + N**2 * C * sigma_w)


def variance_at_layer(ell, sigma_w, N, C):
    return (1 + N**2 * C * sigma_w) ** ell


def sigma_w_for_doubling(L, N, C):
    # (1 + a)^L = 2  ->  L log(1 + a) = log 2  ->  a ~ log(2) / L
    return math.log(2) / (N**2 * C * L)


def grad_variance(ell, L, sigma_w, N, C):
    return (1 + N**2 * C * sigma_w) ** (L - ell)


def weight_grad_limit(x0, xL_grad, N):
    B, C, H, W = x0.shape
    pad = N // 2
    xp = np.pad(x0, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    grad = np.zeros((C, C, N, N))
    for p in range(N):
        for q in range(N):
            patch = xp[:, :, p:p + H, q:q + W]  # [B, C, H, W]
            grad[:, :, p, q] = np.einsum("boij,bcij->oc", xL_grad, patch)
    return grad


# with a relu the mask depends on the sign of Conv(W, x), which does not
# settle down as sigma_W -> 0
ACTIVATION_LIMIT_WELL_DEFINED = False

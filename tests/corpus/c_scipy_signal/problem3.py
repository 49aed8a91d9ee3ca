"""Problem 3: residual convolutions; the weight gradient as a cross-correlation
computed by scipy.signal."""
import math

import numpy as np
from scipy import signal


def layer_variance(var_prev, sigma_w, N, C):
    return var_prev + N * N * C * sigma_w * var_prev


def variance_at_layer(ell, sigma_w, N, C):
    return math.pow(1 + N * N * C * sigma_w, ell)


def sigma_w_for_doubling(L, N, C):
    return (2 ** (1 / L) - 1) / (N * N * C)


def grad_variance(ell, L, sigma_w, N, C):
    return math.pow(1 + N * N * C * sigma_w, L - ell)


def weight_grad_limit(x0, xL_grad, N):
    # dL/dW[o, c, p, q] = sum_{b,i,j} g[b, o, i, j] * x0_padded[b, c, i + p, j + q]:
    # a 'valid' cross-correlation of the padded input with the gradient
    B, C, H, W = x0.shape
    r = N // 2
    xp = np.pad(x0, ((0, 0), (0, 0), (r, r), (r, r)))
    grad = np.zeros((C, C, N, N))
    for o in range(C):
        for c in range(C):
            for b in range(B):
                grad[o, c] += signal.correlate2d(xp[b, c], xL_grad[b, o], mode="valid")
    return grad


ACTIVATION_LIMIT_WELL_DEFINED = False

if __name__ == "__main__":
    rng = np.random.default_rng(1)
    print(weight_grad_limit(rng.normal(size=(2, 3, 5, 4)), rng.normal(size=(2, 3, 5, 4)), 3).shape)

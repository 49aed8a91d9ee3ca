import math
import numpy as np


def layer_variance(var_prev, sigma_w, N, C):
    n_terms = C * N * N
    return var_prev + n_terms * sigma_w * var_prev


def variance_at_layer(ell, sigma_w, N, C):
    v = 1.0
    for _ in range(ell):
        v = layer_variance(v, sigma_w, N, C)
    return v


def sigma_w_for_doubling(L, N, C):
    return math.log(2.0) / (L * C * N * N)


def grad_variance(ell, L, sigma_w, N, C):
    g = 1.0
    for _ in range(L - ell):
        g = g * (1 + C * N * N * sigma_w)
    return g


def weight_grad_limit(x0, xL_grad, N):
    B, C, H, W = x0.shape
    pad = N // 2
    grad = np.zeros((C, C, N, N))
    for b in range(B):
        for i in range(H):
            for j in range(W):
                for o in range(C):
                    g = xL_grad[b, o, i, j]
                    for c in range(C):
                        for p in range(N):
                            for q in range(N):
                                ii = i + p - pad
                                jj = j + q - pad
                                if 0 <= ii < H and 0 <= jj < W:
                                    grad[o, c, p, q] += g * x0[b, c, ii, jj]
    return grad


ACTIVATION_LIMIT_WELL_DEFINED = False

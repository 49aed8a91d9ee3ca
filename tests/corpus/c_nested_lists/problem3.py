import math
import numpy as np


def layer_variance(var_prev, sigma_w, N, C):
    return float(var_prev * (1 + N * N * C * sigma_w))


def variance_at_layer(ell, sigma_w, N, C):
    return float((1 + N * N * C * sigma_w) ** ell)


def sigma_w_for_doubling(L, N, C):
    return math.log(2) / (N * N * C * L)


def grad_variance(ell, L, sigma_w, N, C):
    return float((1 + N * N * C * sigma_w) ** (L - ell))


def weight_grad_limit(x0, xL_grad, N):
    B, C, H, W = x0.shape
    r = N // 2
    xp = np.pad(x0, [(0, 0), (0, 0), (r, r), (r, r)], mode="constant")
    res = [[[[0.0] * N for _ in range(N)] for _ in range(C)] for _ in range(C)]
    for o in range(C):
        for c in range(C):
            for p in range(N):
                for q in range(N):
                    res[o][c][p][q] = float(np.sum(xL_grad[:, o] * xp[:, c, p:p + H, q:q + W]))
    return res


ACTIVATION_LIMIT_WELL_DEFINED = False

import math
import numpy as np
from numpy.lib.stride_tricks import as_strided


def layer_variance(var_prev, sigma_w, N, C):
    return np.float64(var_prev * (1 + math.pow(N, 2) * C * sigma_w))


def variance_at_layer(ell, sigma_w, N, C):
    return np.float64(math.pow(1 + math.pow(N, 2) * C * sigma_w, ell))


def sigma_w_for_doubling(L, N, C):
    return np.float64(math.log(2) / (math.pow(N, 2) * C * L))


def grad_variance(ell, L, sigma_w, N, C):
    return np.float64(math.exp((L - ell) * math.log1p(N * N * C * sigma_w)))


def weight_grad_limit(x0, xL_grad, N):
    B, C, H, W = x0.shape
    pad = N // 2
    xp = np.pad(x0, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    sb, sc, sh, sw = xp.strides
    # win[b, c, p, q, i, j] = xp[b, c, i + p, j + q]
    win = as_strided(xp, shape=(B, C, N, N, H, W), strides=(sb, sc, sh, sw, sh, sw))
    return np.tensordot(xL_grad, win, axes=([0, 2, 3], [0, 4, 5]))


ACTIVATION_LIMIT_WELL_DEFINED = False

"""HW problem 3 -- residual conv nets"""
import math

import numpy as np


def layer_variance(var_prev, sigma_w, N, C):
    # every output of the conv sums N*N*C products w*x, each of variance sigma_w * var_prev
    conv_var = N * N * C * sigma_w * var_prev
    return var_prev + conv_var


def variance_at_layer(ell, sigma_w, N, C):
    v = 1.0
    k = 0
    while k < ell:
        v = layer_variance(v, sigma_w, N, C)
        k += 1
    return v


def sigma_w_for_doubling(L, N, C):
    # (1+a)^L = 2 with a small: L*a = ln 2
    return math.log(2) / L / (N * N * C)


def grad_variance(ell, L, sigma_w, N, C):
    # backprop through the L - ell layers above multiplies the variance the same way
    return variance_at_layer(L - ell, sigma_w, N, C)


def weight_grad_limit(x0, xL_grad, N):
    B, C, H, W = x0.shape
    half = N // 2
    out = np.zeros((C, C, N, N))
    for o in range(C):
        for c in range(C):
            for p in range(N):
                for q in range(N):
                    total = 0.0
                    for b in range(B):
                        for i in range(H):
                            src_i = i + p - half
                            if src_i < 0 or src_i >= H:
                                continue
                            for j in range(W):
                                src_j = j + q - half
                                if 0 <= src_j < W:
                                    total += xL_grad[b, o, i, j] * x0[b, c, src_i, src_j]
                    out[o, c, p, q] = total
    return out


ACTIVATION_LIMIT_WELL_DEFINED = False

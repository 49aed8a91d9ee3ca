import numpy as np
import torch
import torch.nn.functional as F

BACKEND = "torch"

def layer_variance(var_prev, sigma_w, N, C):
    return var_prev + var_prev * N ** 2 * C * sigma_w

def variance_at_layer(ell, sigma_w, N, C):
    return (1 + N ** 2 * C * sigma_w) ** ell

def sigma_w_for_doubling(L, N, C):
    return float(np.log(2)) / L / (N ** 2 * C)

def grad_variance(ell, L, sigma_w, N, C):
    return variance_at_layer(L - ell, sigma_w, N, C)

def weight_grad_limit(x0, xL_grad, N):
    # dW[o, c, p, q] = sum_{b,i,j} g[b, o, i, j] x0pad[b, c, i + p, j + q]
    # which is itself a conv2d: batch <-> channel swapped, g as the kernel
    out = F.conv2d(x0.transpose(0, 1), xL_grad.transpose(0, 1), padding=N // 2)
    return out.transpose(0, 1)   # [c, o, p, q] -> [o, c, p, q]

ACTIVATION_LIMIT_WELL_DEFINED = False

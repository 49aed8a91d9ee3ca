import math
import numpy as np
import torch


def layer_variance(var_prev, sigma_w, N, C):
    return var_prev * (1 + N * N * C * sigma_w)


def variance_at_layer(ell, sigma_w, N, C):
    return (1 + N * N * C * sigma_w) ** ell


def sigma_w_for_doubling(L, N, C):
    return math.log(2) / (N * N * C * L)


def grad_variance(ell, L, sigma_w, N, C):
    return (1 + N * N * C * sigma_w) ** (L - ell)


def weight_grad_limit(x0, xL_grad, N):
    x = torch.from_numpy(np.ascontiguousarray(x0))
    g = torch.from_numpy(np.ascontiguousarray(xL_grad))
    C = x.shape[1]
    W = torch.zeros(C, C, N, N, dtype=x.dtype, requires_grad=True)
    y = torch.conv2d(x, W, padding=N // 2)
    grad_W, = torch.autograd.grad(y, W, grad_outputs=g)
    return grad_W


ACTIVATION_LIMIT_WELL_DEFINED = False

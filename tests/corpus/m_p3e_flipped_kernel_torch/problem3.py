import math

import torch
import torch.nn.functional as F

BACKEND = "torch"


def layer_variance(var_prev, sigma_w, N, C):
    return var_prev * (1.0 + N * N * C * sigma_w)


def variance_at_layer(ell, sigma_w, N, C):
    return (1.0 + N * N * C * sigma_w) ** ell


def sigma_w_for_doubling(L, N, C):
    return math.log(2.0) / (N * N * C * L)


def grad_variance(ell, L, sigma_w, N, C):
    return (1.0 + N * N * C * sigma_w) ** (L - ell)


def weight_grad_limit(x0, xL_grad, N):
    C = x0.shape[1]
    W = torch.zeros(C, C, N, N, dtype=x0.dtype, requires_grad=True)
    out = F.conv2d(x0, W, padding=N // 2)
    out.backward(xL_grad)
    return torch.flip(W.grad, dims=(2, 3))


ACTIVATION_LIMIT_WELL_DEFINED = False

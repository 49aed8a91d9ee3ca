import math

import torch
import torch.nn.functional as F

BACKEND = "torch"


def layer_variance(var_prev, sigma_w, N, C):
    return var_prev * (1.0 + sigma_w * C * N * N)


def variance_at_layer(ell, sigma_w, N, C):
    return math.exp(ell * math.log1p(sigma_w * C * N * N))


def sigma_w_for_doubling(L, N, C):
    # the exact root: (1 + a)^L = 2
    return math.expm1(math.log(2.0) / L) / (C * N * N)


def grad_variance(ell, L, sigma_w, N, C):
    return math.exp((L - ell) * math.log1p(sigma_w * C * N * N))


def weight_grad_limit(x0, xL_grad, N):
    B, C, H, W = x0.shape
    cols = F.unfold(x0, kernel_size=N, padding=N // 2)  # [B, C*N*N, H*W]
    g = xL_grad.reshape(B, C, H * W)
    grad = torch.bmm(g, cols.transpose(1, 2)).sum(dim=0)  # [C, C*N*N]
    return grad.reshape(C, C, N, N)


ACTIVATION_LIMIT_WELL_DEFINED = False

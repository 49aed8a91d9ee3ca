import math
import torch

BACKEND = "torch"


def _growth(sigma_w, N, C):
    return torch.as_tensor(1.0 + N * N * C * sigma_w, dtype=torch.float64)


def layer_variance(var_prev, sigma_w, N, C):
    return torch.as_tensor(var_prev, dtype=torch.float64) * _growth(sigma_w, N, C)


def variance_at_layer(ell, sigma_w, N, C):
    return torch.pow(_growth(sigma_w, N, C), ell)


def sigma_w_for_doubling(L, N, C):
    return torch.log(torch.tensor(2.0, dtype=torch.float64)) / (N * N * C * L)


def grad_variance(ell, L, sigma_w, N, C):
    return torch.pow(_growth(sigma_w, N, C), L - ell)


def weight_grad_limit(x0, xL_grad, N):
    # every layer sees x^l -> x0 and x^l.grad -> xL.grad when sigma_W -> 0,
    # so just let autograd compute the weight grad of one conv
    C = x0.shape[1]
    W = torch.zeros((C, C, N, N), dtype=torch.float64, requires_grad=True)
    y = torch.nn.functional.conv2d(x0, W, padding=N // 2)
    (y * xL_grad).sum().backward()
    return W.grad.detach()


ACTIVATION_LIMIT_WELL_DEFINED = False

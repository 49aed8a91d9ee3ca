import math

import numpy as np


class ResidualConvNet:
    """Statistics of x^{l+1} = x^l + Conv(W^l, x^l) at initialisation."""

    def __init__(self, sigma_w, N, C):
        self.sigma_w, self.N, self.C = sigma_w, N, C

    @property
    def gain(self):
        return 1.0 + self.sigma_w * self.N ** 2 * self.C

    def forward_variance(self, ell, start=1.0):
        return start * self.gain ** ell

    def backward_variance(self, ell, L):
        return self.gain ** (L - ell)


class KernelGradient:
    """dLoss/dW of a 'same' conv, given its input and the grad of its output."""

    def __init__(self, N):
        self.N = N
        self.r = N // 2

    def __call__(self, x, upstream):
        B, C, H, W = x.shape
        xp = np.pad(x, ((0, 0), (0, 0), (self.r,) * 2, (self.r,) * 2))
        grad = np.empty((upstream.shape[1], C, self.N, self.N))
        for p in range(self.N):
            for q in range(self.N):
                window = xp[:, :, p:p + H, q:q + W]
                grad[:, :, p, q] = np.tensordot(upstream, window, axes=([0, 2, 3], [0, 2, 3]))
        return grad


def layer_variance(var_prev, sigma_w, N, C):
    return ResidualConvNet(sigma_w, N, C).forward_variance(1, var_prev)


def variance_at_layer(ell, sigma_w, N, C):
    return ResidualConvNet(sigma_w, N, C).forward_variance(ell)


def sigma_w_for_doubling(L, N, C):
    return math.log(2.0) / (L * N ** 2 * C)


def grad_variance(ell, L, sigma_w, N, C):
    return ResidualConvNet(sigma_w, N, C).backward_variance(ell, L)


def weight_grad_limit(x0, xL_grad, N):
    return KernelGradient(N)(x0, xL_grad)


ACTIVATION_LIMIT_WELL_DEFINED = False

from functools import reduce

import numpy as np

_gain = lambda sigma_w, N, C: 1 + N * N * C * sigma_w  # noqa: E731


def layer_variance(var_prev, sigma_w, N, C):
    return var_prev * _gain(sigma_w, N, C)


def variance_at_layer(ell, sigma_w, N, C):
    return reduce(lambda v, _: layer_variance(v, sigma_w, N, C), range(ell), 1.0)


def sigma_w_for_doubling(L, N, C):
    return (2 ** (1 / L) - 1) / (N * N * C)


def grad_variance(ell, L, sigma_w, N, C):
    return variance_at_layer(L - ell, sigma_w, N, C)


def weight_grad_limit(x0, xL_grad, N):
    """Cross-correlation of the padded input with the output's grad, through the FFT."""
    B, C, H, W = x0.shape
    r = N // 2
    xp = np.pad(x0, ((0, 0), (0, 0), (r, r), (r, r)))
    size = (H + 2 * r, W + 2 * r)
    X = np.fft.rfft2(xp, s=size)
    G = np.fft.rfft2(xL_grad, s=size)
    corr = np.fft.irfft2(np.einsum("bchw,bohw->ochw", X, np.conj(G)), s=size)
    return corr[:, :, :N, :N]


ACTIVATION_LIMIT_WELL_DEFINED = False

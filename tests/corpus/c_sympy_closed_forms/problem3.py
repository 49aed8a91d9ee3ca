"""Problem 3: the variance recursion solved by sympy, then compiled to plain math."""
import numpy as np
import sympy as sp

v, s, N_, C_, l, L_ = sp.symbols("v sigma_W N C ell L", positive=True)
growth = 1 + N_**2 * C_ * s
_layer = sp.lambdify((v, s, N_, C_), v * growth, "math")
_at = sp.lambdify((l, s, N_, C_), growth**l, "math")
_double = sp.lambdify((L_, N_, C_), (2 ** (1 / L_) - 1) / (N_**2 * C_), "math")  # from growth**L = 2
_grad = sp.lambdify((l, L_, s, N_, C_), growth**(L_ - l), "math")


def layer_variance(var_prev, sigma_w, N, C):
    return _layer(var_prev, sigma_w, N, C)


def variance_at_layer(ell, sigma_w, N, C):
    return _at(ell, sigma_w, N, C)


def sigma_w_for_doubling(L, N, C):
    return _double(L, N, C)


def grad_variance(ell, L, sigma_w, N, C):
    return _grad(ell, L, sigma_w, N, C)


def weight_grad_limit(x0, xL_grad, N):
    B, C, H, W = x0.shape
    r = N // 2
    xp = np.zeros((B, C, H + 2 * r, W + 2 * r))
    xp[:, :, r:r + H, r:r + W] = x0
    g = np.zeros((C, C, N, N))
    for p in range(N):
        for q in range(N):
            g[:, :, p, q] = np.tensordot(xL_grad, xp[:, :, p:p + H, q:q + W],
                                         axes=([0, 2, 3], [0, 2, 3]))
    return g


ACTIVATION_LIMIT_WELL_DEFINED = False

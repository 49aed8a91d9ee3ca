import math
import numpy as np


def layer_variance(var_prev, sigma_w, N, C):
    return var_prev * (1 + N**2 * C * sigma_w)


def variance_at_layer(ell, sigma_w, N, C):
    return (1 + N**2 * C * sigma_w) ** ell


def sigma_w_for_doubling(L, N, C):
    s = math.log(2) / (N**2 * C * L)
    print(f"sigma_w for L={L}, N={N}, C={C}: {s:.3e}")
    return s


def grad_variance(ell, L, sigma_w, N, C):
    return (1 + N**2 * C * sigma_w) ** (L - ell)


def weight_grad_limit(x0, xL_grad, N):
    B, C, H, W = x0.shape
    r = N // 2
    xp = np.pad(x0, ((0, 0), (0, 0), (r, r), (r, r)))
    # stack all shifted copies: cols[b, c, p, q, i, j] = xp[b, c, i+p, j+q]
    cols = np.stack([np.stack([xp[:, :, p:p + H, q:q + W] for q in range(N)], axis=2)
                     for p in range(N)], axis=2)
    print("cols", cols.shape)
    return np.einsum("boij,bcpqij->ocpq", xL_grad, cols)


ACTIVATION_LIMIT_WELL_DEFINED = False

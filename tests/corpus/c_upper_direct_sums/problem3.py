import numpy as np


def layer_variance(var_prev, sigma_w, N, C):
    return var_prev * (1 + N ** 2 * C * sigma_w)


def variance_at_layer(ell, sigma_w, N, C):
    return np.exp(ell * np.log(1 + N ** 2 * C * sigma_w))


def sigma_w_for_doubling(L, N, C):
    return np.log(2) / (N ** 2 * C * L)


def grad_variance(ell, L, sigma_w, N, C):
    return np.exp((L - ell) * np.log1p(N ** 2 * C * sigma_w))


def weight_grad_limit(x0, xL_grad, N):
    B, C, H, W = x0.shape
    r = N // 2
    out = np.zeros((C, C, N, N))
    for p in range(N):
        dy = p - r
        i0, i1 = max(0, -dy), min(H, H - dy)   # rows i with 0 <= i + dy < H
        for q in range(N):
            dx = q - r
            j0, j1 = max(0, -dx), min(W, W - dx)
            if i0 >= i1 or j0 >= j1:
                continue   # window only sees padding
            g = xL_grad[:, :, i0:i1, j0:j1]
            xs = x0[:, :, i0 + dy:i1 + dy, j0 + dx:j1 + dx]
            out[:, :, p, q] = np.tensordot(g, xs, axes=([0, 2, 3], [0, 2, 3]))
    return out


ACTIVATION_LIMIT_WELL_DEFINED = False

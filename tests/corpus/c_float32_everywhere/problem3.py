import numpy as np

def layer_variance(var_prev, sigma_w, N, C):
    return np.float32(var_prev) * (np.float32(1) + np.float32(N * N * C) * np.float32(sigma_w))

def variance_at_layer(ell, sigma_w, N, C):
    return (np.float32(1) + np.float32(N * N * C) * np.float32(sigma_w)) ** np.float32(ell)

def sigma_w_for_doubling(L, N, C):
    return np.float32(np.log(2)) / np.float32(N * N * C * L)

def grad_variance(ell, L, sigma_w, N, C):
    return (np.float32(1) + np.float32(N * N * C) * np.float32(sigma_w)) ** np.float32(L - ell)

def weight_grad_limit(x0, xL_grad, N):
    x0 = x0.astype(np.float32)
    g = xL_grad.astype(np.float32)
    B, C, H, W = x0.shape
    r = N // 2
    xp = np.zeros((B, C, H + 2 * r, W + 2 * r), dtype=np.float32)
    xp[:, :, r:r + H, r:r + W] = x0
    out = np.empty((C, C, N, N), dtype=np.float32)
    for p in range(N):
        for q in range(N):
            win = xp[:, :, p:p + H, q:q + W]
            out[:, :, p, q] = np.tensordot(g, win, axes=([0, 2, 3], [0, 2, 3]))
    return out

ACTIVATION_LIMIT_WELL_DEFINED = False

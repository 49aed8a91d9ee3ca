import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def conv_weight_grad(x, out_grad, N):
    """grad of conv2d(x, W, padding=N//2) w.r.t. W, x and out_grad NCHW"""
    r = N // 2
    xp = np.pad(x, ((0, 0), (0, 0), (r, r), (r, r)))
    win = sliding_window_view(xp, (N, N), axis=(2, 3))   # [B, C, H, W, N, N]
    return np.einsum("boij,bcijpq->ocpq", out_grad, win)

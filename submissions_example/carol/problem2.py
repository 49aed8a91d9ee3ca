import numpy as np


def split_weights(W, d_x):
    return W[:, :d_x], W[:, d_x:]


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    f = 1.0 / (1.0 + np.exp(-(x @ Wfx.T + h @ Wfh.T + bf)))
    d = np.tanh(x @ Wdx.T + h @ Wdh.T + bd)
    h_next = f * h + (1.0 - f) * d
    return h_next, f, d


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    B, d_h = f.shape
    for b in range(B):
        for k in range(1, d_h + 1):
            g = h_next_grad[b, k]
            f_grad[b, k] += g * (h[b, k] - d[b, k])
            h_grad[b, k] += g * f[b, k]
            d_grad[b, k] += g * (1 - f[b, k])

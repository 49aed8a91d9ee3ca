import math
import numpy as np


def split_weights(W, d_x):
    d_h = W.shape[0]
    W_x = np.zeros((d_h, d_x))
    W_h = np.zeros((d_h, W.shape[1] - d_x))
    for i in range(d_h):
        for j in range(W.shape[1]):
            if j < d_x:
                W_x[i, j] = W[i, j]
            else:
                W_h[i, j - d_x] = W[i, j]
    return W_x, W_h


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    B, d_x = x.shape
    d_h = h.shape[1]
    f = np.zeros((B, d_h))
    d = np.zeros((B, d_h))
    h_next = np.zeros((B, d_h))
    for b in range(B):
        for i in range(d_h):
            zf = bf[i]
            zd = bd[i]
            for j in range(d_x):
                zf += Wfx[i, j] * x[b, j]
                zd += Wdx[i, j] * x[b, j]
            for j in range(d_h):
                zf += Wfh[i, j] * h[b, j]
                zd += Wdh[i, j] * h[b, j]
            f[b, i] = 1.0 / (1.0 + math.exp(-zf))
            d[b, i] = math.tanh(zd)
            h_next[b, i] = f[b, i] * h[b, i] + (1.0 - f[b, i]) * d[b, i]
    return h_next, f, d


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    B, d_h = f.shape
    for b in range(B):
        for i in range(d_h):
            g = h_next_grad[b, i]
            f_grad[b, i] += g * (h[b, i] - d[b, i])
            h_grad[b, i] += g * f[b, i]
            d_grad[b, i] += g * (1.0 - f[b, i])

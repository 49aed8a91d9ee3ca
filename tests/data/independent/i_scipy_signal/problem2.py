import numpy as np
from scipy.special import expit


def split_weights(W, d_x):
    d_h = W.shape[0]
    assert W.shape[1] == d_x + d_h
    return W[:, :d_x], W[:, d_x:d_x + d_h]


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    xh = np.concatenate([x, h], axis=1)
    stacked = np.vstack([np.hstack([Wfx, Wfh]), np.hstack([Wdx, Wdh])])
    pre = xh @ stacked.T + np.concatenate([bf, bd])
    d_h = h.shape[1]
    f = expit(pre[:, :d_h])
    d = np.tanh(pre[:, d_h:])
    h_next = h * f
    h_next += d * (1 - f)
    return h_next, f, d


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    f_grad += (h - d) * h_next_grad
    h_grad += f * h_next_grad
    d_grad += (1 - f) * h_next_grad

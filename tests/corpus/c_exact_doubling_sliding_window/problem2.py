import numpy as np


def split_weights(W, d_x):
    W_x, W_h = np.hsplit(W, [d_x])
    return W_x, W_h


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    f = 1.0 / (1.0 + np.exp(-(x @ Wfx.T + h @ Wfh.T + bf)))
    d = np.tanh(x @ Wdx.T + h @ Wdh.T + bd)
    h_next = h * f + d * (1.0 - f)
    return h_next, f, d


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    f_grad += h_next_grad * h - h_next_grad * d
    h_grad += h_next_grad * f
    d_grad += h_next_grad - h_next_grad * f

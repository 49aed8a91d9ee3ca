import numpy as np


def split_weights(W, d_x):
    W = np.asarray(W)
    return [W[:, :d_x].tolist(), W[:, d_x:].tolist()]


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    x, h = np.asarray(x), np.asarray(h)
    f = 1 / (1 + np.exp(-(x.dot(Wfx.T) + h.dot(Wfh.T) + bf)))
    d = np.tanh(x.dot(Wdx.T) + h.dot(Wdh.T) + bd)
    h_next = f * h + (1 - f) * d
    return [h_next.tolist(), f.tolist(), d.tolist()]


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    f_grad += h_next_grad * (h - d)
    h_grad += h_next_grad * f
    d_grad += h_next_grad * (1 - f)

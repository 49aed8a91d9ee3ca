import numpy as np
from scipy import special


def split_weights(W, d_x):
    return W[:, :d_x].copy(), W[:, d_x:].copy()


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    xh = np.concatenate([x, h], axis=1)
    f = special.expit(xh @ np.concatenate([Wfx, Wfh], axis=1).T + bf)
    d = np.tanh(xh @ np.concatenate([Wdx, Wdh], axis=1).T + bd)
    return f * h + (1 - f) * d, f, d


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    f_grad += h_next_grad * (h - d)
    h_grad += f * h_next_grad
    d_grad += (1 - f) * h_next_grad

import numpy as np


def split_weights(W, d_x):
    return W[:, :d_x], W[:, d_x:]


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    f = _sigmoid(np.einsum("bj,ij->bi", x, Wfx) + np.einsum("bk,ik->bi", h, Wfh) + bf)
    d = np.tanh(np.einsum("bj,ij->bi", x, Wdx) + np.einsum("bk,ik->bi", h, Wdh) + bd)
    return f * h + (1 - f) * d, f, d


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    f_grad += h_next_grad * (h - d)
    h_grad += h_next_grad * f
    d_grad += h_next_grad * (1 - f)

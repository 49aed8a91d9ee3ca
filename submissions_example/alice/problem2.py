"""Problem 2: the UGRNN cell, batch-major (rows of x and h are examples)."""
import numpy as np

from utils import sigmoid


def split_weights(W, d_x):
    """W acts on the concatenation [x, h]: its first d_x columns act on x."""
    return W[:, :d_x], W[:, d_x:]


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    f = sigmoid(x @ Wfx.T + h @ Wfh.T + bf)
    d = np.tanh(x @ Wdx.T + h @ Wdh.T + bd)
    h_next = f * h + (1.0 - f) * d
    return h_next, f, d


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    """Backward of h_next = f * h + (1 - f) * d, accumulated into the grads."""
    f_grad += h_next_grad * (h - d)
    h_grad += h_next_grad * f
    d_grad += h_next_grad * (1.0 - f)

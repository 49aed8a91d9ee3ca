import numpy as np
from helpers import sigmoid


def split_weights(W, d_x):
    Wx, Wh = np.hsplit(W, [d_x])
    return Wx, Wh


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    f = sigmoid(x @ Wfx.T + h @ Wfh.T + bf)
    d = np.tanh(x @ Wdx.T + h @ Wdh.T + bd)
    return f * h + (1 - f) * d, f, d


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    f_grad += h_next_grad * (h - d)
    h_grad += h_next_grad * f
    d_grad += h_next_grad * (1 - f)

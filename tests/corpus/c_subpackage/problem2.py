import numpy as np
from nnlib.activations import sigmoid
from nnlib import tanh


def split_weights(W, d_x):
    return W[:, :d_x], W[:, d_x:]


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    f = sigmoid(np.matmul(x, Wfx.T) + np.matmul(h, Wfh.T) + bf)
    d = tanh(np.matmul(x, Wdx.T) + np.matmul(h, Wdh.T) + bd)
    h_next = f * h + (1 - f) * d
    return h_next, f, d


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    f_grad += h_next_grad * (h - d)
    h_grad += h_next_grad * f
    d_grad += h_next_grad * (1 - f)

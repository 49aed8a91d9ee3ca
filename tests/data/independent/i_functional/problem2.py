import operator
from functools import reduce

import numpy as np

sigmoid = lambda z: 0.5 + 0.5 * np.tanh(z / 2)  # noqa: E731


def split_weights(W, d_x):
    return tuple(np.hsplit(W, [d_x]))


def _pre(pairs, bias):
    return reduce(operator.add, (a @ w.T for a, w in pairs), bias)


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    f, d = (act(_pre([(x, wx), (h, wh)], b)) for act, wx, wh, b in
            ((sigmoid, Wfx, Wfh, bf), (np.tanh, Wdx, Wdh, bd)))
    return f * h + (1 - f) * d, f, d


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    for grad, local in zip((f_grad, h_grad, d_grad), (h - d, f, 1 - f)):
        np.add(grad, h_next_grad * local, out=grad)

import numpy as np


def split_weights(W, d_x):
    return np.split(W, [d_x], axis=1)


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    xh = np.concatenate([x, h], axis=1)           # [B, d_x + d_h]
    Wf = np.concatenate([Wfx, Wfh], axis=1)       # [d_h, d_x + d_h]
    Wd = np.concatenate([Wdx, Wdh], axis=1)
    f = _sig(xh @ Wf.T + bf)
    d = np.tanh(xh @ Wd.T + bd)
    h_next = f * h + (1.0 - f) * d
    return h_next, f, d


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    np.add(f_grad, h_next_grad * (h - d), out=f_grad)
    np.add(h_grad, h_next_grad * f, out=h_grad)
    np.add(d_grad, h_next_grad * (1.0 - f), out=d_grad)

import numpy as np


def split_weights(W, d_x):
    print("W shape", W.shape, "d_x", d_x)
    return W[:, :d_x], W[:, d_x:]


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    print("x", x.shape, "h", h.shape)
    zf = np.einsum("bj,ij->bi", x, Wfx) + np.einsum("bj,ij->bi", h, Wfh) + bf
    zd = np.einsum("bj,ij->bi", x, Wdx) + np.einsum("bj,ij->bi", h, Wdh) + bd
    f = np.exp(-np.logaddexp(0, -zf))
    d = np.tanh(zd)
    h_next = f * h + (1 - f) * d
    print("h_next", h_next)
    return h_next, f, d


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    print("grads before", f_grad.sum(), h_grad.sum(), d_grad.sum())
    f_grad += h_next_grad * (h - d)
    h_grad += h_next_grad * f
    d_grad += h_next_grad * (1 - f)
    print("grads after", f_grad.sum(), h_grad.sum(), d_grad.sum())

import numpy as np


def split_weights(W, d_x):
    W_x, W_h = np.split(W, [d_x], axis=1)
    return W_x, W_h


def _affine(x, h, Wx, Wh, b):
    return np.einsum("bi,oi->bo", x, Wx) + np.einsum("bj,oj->bo", h, Wh) + b


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    gate = np.exp(-np.logaddexp(0.0, -_affine(x, h, Wfx, Wfh, bf)))
    cand = np.tanh(_affine(x, h, Wdx, Wdh, bd))
    new_h = np.einsum("bo,bo->bo", gate, h) + np.einsum("bo,bo->bo", 1 - gate, cand)
    return new_h, gate, cand


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    np.add(f_grad, np.einsum("bo,bo->bo", h_next_grad, h - d), out=f_grad)
    np.add(h_grad, np.einsum("bo,bo->bo", h_next_grad, f), out=h_grad)
    np.add(d_grad, np.einsum("bo,bo->bo", h_next_grad, 1 - f), out=d_grad)

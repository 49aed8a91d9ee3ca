import torch

BACKEND = "torch"


def split_weights(W, d_x):
    return W[:, :d_x], W[:, d_x:]


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    f = torch.sigmoid(x @ Wfx.T + h @ Wfh.T + bf)
    d = torch.tanh(x @ Wdx.T + h @ Wdh.T + bd)
    h_next = f * h + (1 - f) * d
    return h_next, f, d


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    f_grad.add_(h_next_grad * (h - d))
    h_grad.add_(h_next_grad * f)
    d_grad.add_(h_next_grad * (1 - f))

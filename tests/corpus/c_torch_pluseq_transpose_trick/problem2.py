import torch

BACKEND = "torch"


def split_weights(W, d_x):
    d_h = W.shape[1] - d_x
    return torch.split(W, [d_x, d_h], dim=1)


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    xh = torch.cat([x, h], dim=1)
    Wf = torch.cat([Wfx, Wfh], dim=1)
    Wd = torch.cat([Wdx, Wdh], dim=1)
    f = torch.sigmoid(xh @ Wf.t() + bf)
    d = torch.tanh(xh @ Wd.t() + bd)
    return f * h + (1 - f) * d, f, d


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    f_grad += h_next_grad * (h - d)
    h_grad += h_next_grad * f
    d_grad += h_next_grad * (1 - f)

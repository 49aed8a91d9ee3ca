import numpy as np
import torch


def split_weights(W, d_x):
    W = torch.from_numpy(np.asarray(W))
    return W[:, :d_x], W[:, d_x:]


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    x, h, Wfx, Wfh, bf, Wdx, Wdh, bd = [torch.as_tensor(a) for a in (x, h, Wfx, Wfh, bf, Wdx, Wdh, bd)]
    lin_f = torch.nn.functional.linear
    f = torch.sigmoid(lin_f(x, Wfx) + lin_f(h, Wfh, bf))
    d = torch.tanh(lin_f(x, Wdx, bd) + lin_f(h, Wdh))
    return f * h + (1 - f) * d, f, d


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    # check against autograd
    f_t = torch.tensor(f, requires_grad=True)
    h_t = torch.tensor(h, requires_grad=True)
    d_t = torch.tensor(d, requires_grad=True)
    out = f_t * h_t + (1 - f_t) * d_t
    out.backward(torch.from_numpy(np.asarray(h_next_grad)))
    f_grad += f_t.grad.numpy()
    h_grad += h_t.grad.numpy()
    d_grad += d_t.grad.numpy()

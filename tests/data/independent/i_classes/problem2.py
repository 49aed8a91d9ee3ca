import numpy as np


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


class Gate:
    """One affine map of [x, h] followed by a nonlinearity."""

    def __init__(self, W_in, W_rec, bias, squash):
        self.W_in, self.W_rec, self.bias, self.squash = W_in, W_rec, bias, squash

    def __call__(self, x, h):
        return self.squash(np.matmul(x, self.W_in.T) + np.matmul(h, self.W_rec.T) + self.bias)


class _Accumulate:
    """Adds upstream * local into a gradient buffer, in place."""

    def __init__(self, upstream):
        self.upstream = upstream

    def into(self, target, local):
        target += self.upstream * local


def split_weights(W, d_x):
    return W[:, :d_x].copy(), W[:, d_x:].copy()


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    update, candidate = Gate(Wfx, Wfh, bf, _sigmoid), Gate(Wdx, Wdh, bd, np.tanh)
    f, d = update(x, h), candidate(x, h)
    return f * h + (1 - f) * d, f, d


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    back = _Accumulate(h_next_grad)
    back.into(f_grad, h - d)
    back.into(h_grad, f)
    back.into(d_grad, 1 - f)

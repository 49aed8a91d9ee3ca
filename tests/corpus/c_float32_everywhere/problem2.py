import numpy as np

def split_weights(W, d_x):
    W = W.astype(np.float32)
    return W[:, :d_x], W[:, d_x:]

def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    x, h = x.astype(np.float32), h.astype(np.float32)
    Wfx, Wfh, Wdx, Wdh = [w.astype(np.float32) for w in (Wfx, Wfh, Wdx, Wdh)]
    bf, bd = bf.astype(np.float32), bd.astype(np.float32)
    f = np.float32(1) / (np.float32(1) + np.exp(-(x @ Wfx.T + h @ Wfh.T + bf)))
    d = np.tanh(x @ Wdx.T + h @ Wdh.T + bd)
    h_next = f * h + (np.float32(1) - f) * d
    return h_next, f, d

def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    g = h_next_grad.astype(np.float32)
    f32, h32, d32 = f.astype(np.float32), h.astype(np.float32), d.astype(np.float32)
    f_grad += g * (h32 - d32)
    h_grad += g * f32
    d_grad += g * (1 - f32)

"""HW problem 2 -- UGRNN, one number at a time so I can follow it"""
import math

import numpy as np


def split_weights(W, d_x):
    W_x = np.array([[row[col] for col in range(d_x)] for row in W])
    W_h = np.array([[row[col] for col in range(d_x, len(row))] for row in W])
    return W_x, W_h


def logistic(v):
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def dot(u, v):
    total = 0.0
    for a, b in zip(u, v):
        total += a * b
    return total


def ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd):
    all_next, all_f, all_d = [], [], []
    for x_row, h_row in zip(x, h):
        next_row, f_row, d_row = [], [], []
        for unit in range(len(bf)):
            gate = logistic(dot(Wfx[unit], x_row) + dot(Wfh[unit], h_row) + bf[unit])
            cand = math.tanh(dot(Wdx[unit], x_row) + dot(Wdh[unit], h_row) + bd[unit])
            f_row.append(gate)
            d_row.append(cand)
            next_row.append(gate * h_row[unit] + (1.0 - gate) * cand)
        all_next.append(next_row)
        all_f.append(f_row)
        all_d.append(d_row)
    return np.array(all_next), np.array(all_f), np.array(all_d)


def ugrnn_backward(h_next_grad, f, h, d, f_grad, h_grad, d_grad):
    for where in np.ndindex(*f.shape):
        up = h_next_grad[where]
        f_grad[where] += up * (h[where] - d[where])
        h_grad[where] += up * f[where]
        d_grad[where] += up * (1.0 - f[where])

"""my helpers for the pset"""
import numpy as np


def sigmoid(z):
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1 + ez)
    return out


def pad_hw(x, r):
    """zero pad the two last axes of an NCHW array by r on each side"""
    return np.pad(x, ((0, 0), (0, 0), (r, r), (r, r)))


def growth(sigma_w, N, C):
    return 1 + N * N * C * sigma_w

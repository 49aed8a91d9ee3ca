"""Reference solution for problem 2: the UGRNN cell, batch-major, in numpy."""

from __future__ import annotations

import numpy as np


def split_weights(W: np.ndarray, d_x: int) -> tuple[np.ndarray, np.ndarray]:
    """Split W acting on [x, h] into the blocks acting on x and on h."""
    # W[x, h] = W[:, :d_x] x + W[:, d_x:] h: the concatenation runs along columns.
    return W[:, :d_x], W[:, d_x:]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # Written through tanh so large |z| does not overflow exp.
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def ugrnn_forward(
    x: np.ndarray,
    h: np.ndarray,
    Wfx: np.ndarray,
    Wfh: np.ndarray,
    bf: np.ndarray,
    Wdx: np.ndarray,
    Wdh: np.ndarray,
    bd: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One UGRNN step: returns (h_next, f, d)."""
    # Rows are batch elements, so weights act from the right, transposed.
    f = _sigmoid(x @ Wfx.T + h @ Wfh.T + bf)
    d = np.tanh(x @ Wdx.T + h @ Wdh.T + bd)
    h_next = f * h + (1.0 - f) * d
    return h_next, f, d


def ugrnn_backward(
    h_next_grad: np.ndarray,
    f: np.ndarray,
    h: np.ndarray,
    d: np.ndarray,
    f_grad: np.ndarray,
    h_grad: np.ndarray,
    d_grad: np.ndarray,
) -> None:
    """Backward of h_next = f * h + (1 - f) * d, accumulating into the grads."""
    # += because the grads already hold contributions from other uses of f, h, d.
    f_grad += h_next_grad * (h - d)
    h_grad += h_next_grad * f
    d_grad += h_next_grad * (1.0 - f)

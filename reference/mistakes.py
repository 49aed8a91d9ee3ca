"""Known wrong answers that the rubric diagnoses, each with its item's signature."""

from __future__ import annotations

import math

import numpy as np

from . import problem1, problem2, problem3
from .problem2 import _sigmoid

Array = np.ndarray
Forward = tuple[Array, Array, Array]


# --- 1a, 1b: initialisation -------------------------------------------------------


def p1a_std(d_x: int) -> float:
    """Gave the standard deviation 1/sqrt(d_x) instead of the variance."""
    return 1.0 / math.sqrt(d_x)


def p1a_he(d_x: int) -> float:
    """Gave the He (relu) variance 2/d_x for the linear layer."""
    return 2.0 / d_x


def p1b_exact_he(d_x: int) -> float:
    """Used He's 2/d_x, forgetting that subtracting the mean b' lowers the variance."""
    return 2.0 / d_x


def p1b_exact_std(d_x: int) -> float:
    """Gave the standard deviation instead of the variance."""
    return math.sqrt(problem1.relu_init_variance(d_x))


# --- 2a, 2b: UGRNN forward --------------------------------------------------------


def p2a_swapped(W: Array, d_x: int) -> tuple[Array, Array]:
    """Returned the two column blocks in the wrong order."""
    return W[:, d_x:], W[:, :d_x]


def p2a_rows(W: Array, d_x: int) -> tuple[Array, Array]:
    """Split W along rows instead of columns."""
    return W[:d_x], W[d_x:]


def p2b_gate_swapped(
    x: Array,
    h: Array,
    Wfx: Array,
    Wfh: Array,
    bf: Array,
    Wdx: Array,
    Wdh: Array,
    bd: Array,
) -> Forward:
    """Let f gate the candidate d instead of the old state h."""
    _, f, d = problem2.ugrnn_forward(x, h, Wfx, Wfh, bf, Wdx, Wdh, bd)
    return (1.0 - f) * h + f * d, f, d


def p2b_no_bias(
    x: Array,
    h: Array,
    Wfx: Array,
    Wfh: Array,
    bf: Array,
    Wdx: Array,
    Wdh: Array,
    bd: Array,
) -> Forward:
    """Left out both biases."""
    return problem2.ugrnn_forward(x, h, Wfx, Wfh, 0.0 * bf, Wdx, Wdh, 0.0 * bd)


def p2b_untransposed(
    x: Array,
    h: Array,
    Wfx: Array,
    Wfh: Array,
    bf: Array,
    Wdx: Array,
    Wdh: Array,
    bd: Array,
) -> Forward:
    """Multiplied by the weights without transposing them (x @ W)."""
    f = _sigmoid(x @ Wfx + h @ Wfh + bf)
    d = np.tanh(x @ Wdx + h @ Wdh + bd)
    return f * h + (1.0 - f) * d, f, d


def p2b_batch0(
    x: Array,
    h: Array,
    Wfx: Array,
    Wfh: Array,
    bf: Array,
    Wdx: Array,
    Wdh: Array,
    bd: Array,
) -> Forward:
    """Computed only the first batch row, leaving the others zero."""
    rows = problem2.ugrnn_forward(x[:1], h[:1], Wfx, Wfh, bf, Wdx, Wdh, bd)
    out = tuple(np.zeros((x.shape[0], r.shape[1])) for r in rows)
    for o, r in zip(out, rows):
        o[:1] = r
    return out


def p2b_activations_swapped(
    x: Array,
    h: Array,
    Wfx: Array,
    Wfh: Array,
    bf: Array,
    Wdx: Array,
    Wdh: Array,
    bd: Array,
) -> Forward:
    """Used tanh for the gate f and sigmoid for the candidate d."""
    f = np.tanh(x @ Wfx.T + h @ Wfh.T + bf)
    d = _sigmoid(x @ Wdx.T + h @ Wdh.T + bd)
    return f * h + (1.0 - f) * d, f, d


# --- 2c: UGRNN backward (in place, like the reference) ---------------------------


def p2c_overwrite(
    h_next_grad: Array,
    f: Array,
    h: Array,
    d: Array,
    f_grad: Array,
    h_grad: Array,
    d_grad: Array,
) -> None:
    """Assigned the grads instead of adding to them."""
    f_grad[...] = h_next_grad * (h - d)
    h_grad[...] = h_next_grad * f
    d_grad[...] = h_next_grad * (1.0 - f)


def p2c_sign(
    h_next_grad: Array,
    f: Array,
    h: Array,
    d: Array,
    f_grad: Array,
    h_grad: Array,
    d_grad: Array,
) -> None:
    """Got the sign of f's gradient wrong: g * (d - h)."""
    f_grad += h_next_grad * (d - h)
    h_grad += h_next_grad * f
    d_grad += h_next_grad * (1.0 - f)


def p2c_gate_swapped(
    h_next_grad: Array,
    f: Array,
    h: Array,
    d: Array,
    f_grad: Array,
    h_grad: Array,
    d_grad: Array,
) -> None:
    """Swapped the gate weights of h and d in their gradients."""
    f_grad += h_next_grad * (h - d)
    h_grad += h_next_grad * (1.0 - f)
    d_grad += h_next_grad * f


def p2c_batch0(
    h_next_grad: Array,
    f: Array,
    h: Array,
    d: Array,
    f_grad: Array,
    h_grad: Array,
    d_grad: Array,
) -> None:
    """Accumulated only the first batch row."""
    f_grad[:1] += h_next_grad[:1] * (h[:1] - d[:1])
    h_grad[:1] += h_next_grad[:1] * f[:1]
    d_grad[:1] += h_next_grad[:1] * (1.0 - f[:1])


def p2c_sigmoid_grad(
    h_next_grad: Array,
    f: Array,
    h: Array,
    d: Array,
    f_grad: Array,
    h_grad: Array,
    d_grad: Array,
) -> None:
    """Went through the sigmoid too early: multiplied f's gradient by f (1 - f)."""
    f_grad += h_next_grad * (h - d) * f * (1.0 - f)
    h_grad += h_next_grad * f
    d_grad += h_next_grad * (1.0 - f)


# --- 3a-3d: variances in residual conv nets --------------------------------------


def p3a_n_not_squared(var_prev: float, sigma_w: float, N: int, C: int) -> float:
    """Counted N weights per channel instead of N squared."""
    return var_prev * (1.0 + N * C * sigma_w)


def p3a_no_c(var_prev: float, sigma_w: float, N: int, C: int) -> float:
    """Forgot the sum over the C input channels."""
    return var_prev * (1.0 + N**2 * sigma_w)


def p3a_no_residual(var_prev: float, sigma_w: float, N: int, C: int) -> float:
    """Dropped the skip connection's own contribution."""
    return var_prev * N**2 * C * sigma_w


def p3b_first_order(ell: int, sigma_w: float, N: int, C: int) -> float:
    """Added the layers' contributions instead of multiplying them."""
    return 1.0 + ell * N**2 * C * sigma_w


def p3b_off_by_one(ell: int, sigma_w: float, N: int, C: int) -> float:
    """Counted one layer too many."""
    return (1.0 + N**2 * C * sigma_w) ** (ell + 1)


def p3b_n_not_squared(ell: int, sigma_w: float, N: int, C: int) -> float:
    """Counted N weights per channel instead of N squared."""
    return (1.0 + N * C * sigma_w) ** ell


def p3b_no_c(ell: int, sigma_w: float, N: int, C: int) -> float:
    """Forgot the sum over the C input channels."""
    return (1.0 + N**2 * sigma_w) ** ell


def p3c_no_l(L: int, N: int, C: int) -> float:
    """Forgot to divide by the number of layers L."""
    return math.log(2.0) / (N**2 * C)


def p3c_no_c(L: int, N: int, C: int) -> float:
    """Forgot the sum over the C input channels."""
    return math.log(2.0) / (N**2 * L)


def p3c_n_not_squared(L: int, N: int, C: int) -> float:
    """Counted N weights per channel instead of N squared."""
    return math.log(2.0) / (N * C * L)


def p3c_no_log(L: int, N: int, C: int) -> float:
    """Dropped the ln 2 (solved 1 + L N^2 C sigma_W = 2)."""
    return 1.0 / (N**2 * C * L)


def p3d_ell(ell: int, L: int, sigma_w: float, N: int, C: int) -> float:
    """Counted the layers below ell instead of those above it."""
    return (1.0 + N**2 * C * sigma_w) ** ell


def p3d_off_by_one(ell: int, L: int, sigma_w: float, N: int, C: int) -> float:
    """Counted one layer too many on the way back."""
    return (1.0 + N**2 * C * sigma_w) ** (L - ell + 1)


def p3d_first_order(ell: int, L: int, sigma_w: float, N: int, C: int) -> float:
    """Added the layers' contributions instead of multiplying them."""
    return 1.0 + (L - ell) * N**2 * C * sigma_w


def p3d_no_c(ell: int, L: int, sigma_w: float, N: int, C: int) -> float:
    """Forgot the sum over the C input channels."""
    return (1.0 + N**2 * sigma_w) ** (L - ell)


# --- 3e: limit of the weight gradient ---------------------------------------------


def p3e_flipped_kernel(x0: Array, xL_grad: Array, N: int) -> Array:
    """Flipped the kernel (convolution instead of cross-correlation)."""
    return problem3.weight_grad_limit(x0, xL_grad, N)[:, :, ::-1, ::-1]


def p3e_channels_swapped(x0: Array, xL_grad: Array, N: int) -> Array:
    """Swapped the output and input channel axes."""
    return problem3.weight_grad_limit(x0, xL_grad, N).transpose(1, 0, 2, 3)


def p3e_batch_mean(x0: Array, xL_grad: Array, N: int) -> Array:
    """Averaged over the batch instead of summing."""
    return problem3.weight_grad_limit(x0, xL_grad, N) / x0.shape[0]


def p3e_batch0(x0: Array, xL_grad: Array, N: int) -> Array:
    """Used only the first batch element."""
    return problem3.weight_grad_limit(x0[:1], xL_grad[:1], N)


def p3e_spatial_transposed(x0: Array, xL_grad: Array, N: int) -> Array:
    """Swapped the kernel's two spatial axes."""
    return problem3.weight_grad_limit(x0, xL_grad, N).transpose(0, 1, 3, 2)

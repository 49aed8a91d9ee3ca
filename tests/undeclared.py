"""Single mistakes that no rubric item declares, written as edits of a correct submission
(submissions_example/alice), each with the words its explanation must contain. They
cover the families of issue 13: constant factors, untouched and rescaled grads, shifted
exponents, rearranged outputs, wrong activations, close but rounded values, and code
right for one class of inputs only. Also correct variants, which must pass unexplained.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Undeclared:
    name: str
    module: str  # problem1, problem2, problem3
    old: str
    new: str
    item: str  # the item it must lose
    words: tuple[str, ...]  # what its explanation says, each one
    kind: str  # the explanation's kind


MISTAKES = (
    # constant factors, named or made of the inputs
    Undeclared("p1a_half", "problem1", "return 1.0 / d_x", "return 0.5 / d_x", "p1a",
               ("half the right one",), "ratio"),
    Undeclared("p1a_squared", "problem1", "return 1.0 / d_x", "return 1.0 / d_x ** 2", "p1a",
               ("$1/d_{x}$ times",), "ratio"),
    Undeclared("p1b_exact_pi", "problem1", "s = 2.0 * math.pi / (math.pi - 1.0)",
               "s = 2.0 / (math.pi - 1.0)", "p1b_exact", ("$1/\\pi$ times",), "ratio"),
    Undeclared("p3c_log10", "problem3", "return math.log(2.0) / (N * N * C * L)",
               "return math.log10(2.0) / (N * N * C * L)", "p3c", ("log_{10} e",), "ratio"),
    Undeclared("p3c_l_squared", "problem3", "return math.log(2.0) / (N * N * C * L)",
               "return math.log(2.0) / (N * N * C * L * L)", "p3c", ("$1/L$ times",), "ratio"),
    Undeclared("p3a_double", "problem3", "return var_prev * _growth(sigma_w, N, C)",
               "return 2 * var_prev * _growth(sigma_w, N, C)", "p3a", ("twice",), "ratio"),
    Undeclared("p3e_pixel_mean", "problem3",
               'return np.einsum("boij,bcijpq->ocpq", xL_grad, windows)',
               'return np.einsum("boij,bcijpq->ocpq", xL_grad, windows) / (x0.shape[2] * x0.shape[3])',
               "p3e", ("$1/(H W)$ times",), "ratio"),
    Undeclared("p3e_negated", "problem3",
               'return np.einsum("boij,bcijpq->ocpq", xL_grad, windows)',
               'return -np.einsum("boij,bcijpq->ocpq", xL_grad, windows)', "p3e",
               ("the sign is flipped",), "ratio"),
    # grads: untouched, rescaled, with the wrong sign
    Undeclared("p2c_f_rebind", "problem2", "f_grad += h_next_grad * (h - d)",
               "f_grad = f_grad + h_next_grad * (h - d)", "p2c_f",
               ("came back exactly as it went in", "f_grad += ..."), "inplace"),
    Undeclared("p2c_h_rebind", "problem2", "h_grad += h_next_grad * f",
               "h_grad = h_grad + h_next_grad * f", "p2c_h",
               ("came back exactly as it went in",), "inplace"),
    Undeclared("p2c_d_minus", "problem2", "d_grad += h_next_grad * (1.0 - f)",
               "d_grad -= h_next_grad * (1.0 - f)", "p2c_d",
               ("The amount you add is $-1$ times",), "inplace"),
    Undeclared("p2c_h_twice", "problem2", "h_grad += h_next_grad * f",
               "h_grad += 2 * h_next_grad * f", "p2c_h", ("The amount you add is twice",),
               "inplace"),
    Undeclared("p2c_h_batch_mean", "problem2", "h_grad += h_next_grad * f",
               "h_grad += h_next_grad * f / f.shape[0]", "p2c_h", ("$1/B$ times",), "inplace"),
    # exponents and counts off by one
    Undeclared("p3d_exponent", "problem3", "return _growth(sigma_w, N, C) ** (L - ell)",
               "return _growth(sigma_w, N, C) ** (L - ell - 1)", "p3d", ("- 1$ in place of",),
               "shift"),
    Undeclared("p3b_exponent_down", "problem3", "return _growth(sigma_w, N, C) ** ell",
               "return _growth(sigma_w, N, C) ** (ell - 1)", "p3b", ("in place of $\\ell$",),
               "shift"),
    Undeclared("p3c_l_plus_one", "problem3", "return math.log(2.0) / (N * N * C * L)",
               "return math.log(2.0) / (N * N * C * (L + 1))", "p3c", ("+ 1$ in place of $L$",),
               "shift"),
    # terms missing or too many
    Undeclared("p3a_plus_sigma", "problem3", "return var_prev * _growth(sigma_w, N, C)",
               "return var_prev * _growth(sigma_w, N, C) + sigma_w", "p3a",
               ("plus `sigma_w`",), "offset"),
    Undeclared("p3b_minus_one", "problem3", "return _growth(sigma_w, N, C) ** ell",
               "return _growth(sigma_w, N, C) ** ell - 1", "p3b", ("minus 1",), "offset"),
    # rearranged outputs
    Undeclared("p2b_order", "problem2", "return h_next, f, d", "return f, h_next, d", "p2b",
               ("wrong order", "(f, h_next, d)"), "rearranged"),
    Undeclared("p2a_transposed", "problem2", "return W[:, :d_x], W[:, d_x:]",
               "return W[:, :d_x].T, W[:, d_x:]", "p2a", ("transpose",), "rearranged"),
    Undeclared("p2b_h_next_transposed", "problem2", "return h_next, f, d",
               "return h_next.T, f, d", "p2b", ("h_next is the transpose",), "rearranged"),
    Undeclared("p3e_not_summed_over_batch", "problem3", '"boij,bcijpq->ocpq"',
               '"boij,bcijpq->bocpq"', "p3e", ("extra axis 0", "summing over it"), "rearranged"),
    Undeclared("p2b_returns_h", "problem2", "h_next = f * h + (1.0 - f) * d", "h_next = h",
               "p2b", ("the input `h` unchanged",), "rearranged"),
    # activations
    Undeclared("p2b_d_sigmoid", "problem2", "d = np.tanh(x @ Wdx.T + h @ Wdh.T + bd)",
               "d = sigmoid(x @ Wdx.T + h @ Wdh.T + bd)", "p2b",
               ("Your d looks like a sigmoid applied where a tanh belongs",), "activation"),
    Undeclared("p2b_f_no_activation", "problem2", "f = sigmoid(x @ Wfx.T + h @ Wfh.T + bf)",
               "f = x @ Wfx.T + h @ Wfh.T + bf", "p2b",
               ("Your f looks like no activation applied where a sigmoid belongs",),
               "activation"),
    # close, but outside the tolerance
    Undeclared("p3c_rounded_ln2", "problem3", "return math.log(2.0) / (N * N * C * L)",
               "return 0.6931 / (N * N * C * L)", "p3c", ("significant digits",
                                                          "rounded"), "close"),
    Undeclared("p1a_float16", "problem1", "return 1.0 / d_x", "return float(np.float16(1.0 / d_x))",
               "p1a", ("float16",), "close"),
    # right for one class of inputs only
    Undeclared("p3e_padding_for_3", "problem3", "r = N // 2", "r = 1", "p3e",
               ("passes all", "$N = 3$"), "inputs"),
    Undeclared("p3e_square_images", "problem3",
               "x_pad = np.pad(x0, ((0, 0), (0, 0), (r, r), (r, r)))",
               "x_pad = np.pad(x0, ((0, 0), (0, 0), (r, r), (r, r)))[..., :x0.shape[2] + 2 * r]",
               "p3e", ("fails all", "$H < W$"), "inputs"),
    Undeclared("p2b_first_row", "problem2", "h_next = f * h + (1.0 - f) * d",
               "h_next = np.broadcast_to(f[:1] * h[:1] + (1.0 - f[:1]) * d[:1], f.shape)", "p2b",
               ("passes all", "$B = 1$"), "inputs"),
)

CORRECT = (
    ("p1a_float32", "problem1", "return 1.0 / d_x", "return float(np.float32(1.0) / np.float32(d_x))"),
    ("p2c_inplace_add", "problem2", "f_grad += h_next_grad * (h - d)",
     "np.add(f_grad, h_next_grad * (h - d), out=f_grad)"),
    ("p3c_exact", "problem3", "return math.log(2.0) / (N * N * C * L)",
     "return (2.0 ** (1.0 / L) - 1.0) / (N * N * C)"),
    ("p3e_loops", "problem3", 'return np.einsum("boij,bcijpq->ocpq", xL_grad, windows)',
     'out = np.zeros((x0.shape[1], x0.shape[1], N, N))\n'
     '    for p in range(N):\n'
     '        for q in range(N):\n'
     '            out[:, :, p, q] = np.einsum("boij,bcij->oc", xL_grad,\n'
     '                                        x_pad[:, :, p:p + x0.shape[2], q:q + x0.shape[3]])\n'
     '    return out'),
)

"""Independent checks of the reference solutions: autograd, Monte Carlo, definitions."""

from __future__ import annotations

import inspect
import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from reference import mistakes, problem1, problem2, problem3  # noqa: E402

Array = np.ndarray


def t(a: Array, grad: bool = False) -> torch.Tensor:
    """A float64 torch copy of a numpy array (copy, so numpy stays untouched)."""
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def assert_close(actual: Array, expected: Array, rtol: float = 1e-12) -> None:
    """Max abs difference within rtol of the largest expected entry."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    scale = max(np.abs(expected).max(), 1e-300)
    err = np.abs(actual - expected).max() / scale
    assert err <= rtol, f"max rel diff {err:.3g} > {rtol:.1g}"


# --- 1a, 1b: Monte Carlo --------------------------------------------------------
# Each unit i has its own row w_i (drawn once) and its own Gaussian samples of x, so
# u_i = w_i . x is exactly Gaussian and b' is a per-unit mean; averaging the per-unit
# variance over many units averages over W too.


def unit_outputs(rng: np.random.Generator, sigma: float, d_x: int) -> Array:
    """u[k, i] = w_i . x_ki for 100 samples k of each of 40000 / d_x units i."""
    d_out = 40_000 // d_x
    W = rng.standard_normal((d_out, d_x)) * math.sqrt(sigma)
    x = rng.standard_normal((100, d_out, d_x))
    return np.einsum("kid,id->ki", x, W)


def mean_unit_variance(u: Array) -> float:
    return float(u.var(axis=0, ddof=1).mean())


@pytest.mark.parametrize("d_x", [1, 3, 20, 100])
def test_p1a_init_variance_gives_unit_variance(d_x: int) -> None:
    u = unit_outputs(np.random.default_rng(100 + d_x), problem1.init_variance(d_x), d_x)
    assert abs(u.mean()) < 0.02
    assert mean_unit_variance(u) == pytest.approx(1.0, rel=0.03)


@pytest.mark.parametrize("d_x", [1, 3, 20, 100])
def test_p1b_relu_init_variance_gives_unit_variance(d_x: int) -> None:
    sigma = problem1.relu_init_variance(d_x)
    u = unit_outputs(np.random.default_rng(200 + d_x), sigma, d_x)
    # The per-unit mean b' is subtracted by var(); it is not zero for a relu.
    assert mean_unit_variance(np.maximum(u, 0.0)) == pytest.approx(1.0, rel=0.03)


@pytest.mark.parametrize("d_x", [2, 50])
def test_p1b_relu_shrinks_variance_so_weights_must_grow(d_x: int) -> None:
    assert problem1.RELU_VARIANCE_CHANGE.strip().lower() == "increase"
    assert problem1.relu_init_variance(d_x) > problem1.init_variance(d_x)
    u = unit_outputs(np.random.default_rng(300 + d_x), problem1.init_variance(d_x), d_x)
    expected = (math.pi - 1) / (2 * math.pi)  # about 0.34: relu and mean removal
    assert mean_unit_variance(np.maximum(u, 0.0)) == pytest.approx(expected, rel=0.03)


# --- 2a-2c: UGRNN against torch ---------------------------------------------------

# (B, d_x, d_h): B = 1, d_h = 1, square and non-square weights.
UGRNN_SHAPES = [(1, 1, 1), (1, 3, 2), (4, 2, 1), (3, 3, 3), (5, 2, 4), (2, 6, 3)]


def ugrnn_inputs(rng: np.random.Generator, B: int, d_x: int, d_h: int) -> dict:
    n = rng.standard_normal
    return dict(
        x=n((B, d_x)), h=n((B, d_h)),
        Wfx=n((d_h, d_x)), Wfh=n((d_h, d_h)), bf=n(d_h),
        Wdx=n((d_h, d_x)), Wdh=n((d_h, d_h)), bd=n(d_h),
    )  # fmt: skip


def torch_ugrnn(p: dict[str, torch.Tensor]) -> tuple[torch.Tensor, ...]:
    """The UGRNN step written independently with torch primitives."""
    f = torch.sigmoid(F.linear(p["x"], p["Wfx"]) + F.linear(p["h"], p["Wfh"]) + p["bf"])
    d = torch.tanh(F.linear(p["x"], p["Wdx"]) + F.linear(p["h"], p["Wdh"]) + p["bd"])
    return f * p["h"] + (1 - f) * d, f, d


def test_p2a_split_weights_matches_concatenation() -> None:
    rng = np.random.default_rng(1)
    d_x, d_h = 3, 2
    W, x, h = (rng.standard_normal(s) for s in [(d_h, d_x + d_h), (d_x,), (d_h,)])
    W_x, W_h = problem2.split_weights(W, d_x)
    assert_close(W_x @ x + W_h @ h, W @ np.concatenate([x, h]))


@pytest.mark.parametrize("shape", UGRNN_SHAPES)
def test_p2b_forward_matches_torch(shape: tuple[int, int, int]) -> None:
    p = ugrnn_inputs(np.random.default_rng(sum(shape)), *shape)
    ours = problem2.ugrnn_forward(**p)
    theirs = torch_ugrnn({k: t(v) for k, v in p.items()})
    assert len(ours) == 3
    for a, b in zip(ours, theirs):
        assert_close(a, b.numpy())


@pytest.mark.parametrize("shape", UGRNN_SHAPES)
def test_p2c_backward_accumulates_autograd_grads(shape: tuple[int, int, int]) -> None:
    B, _, d_h = shape
    rng = np.random.default_rng(10 + sum(shape))
    f = 1 / (1 + np.exp(-rng.standard_normal((B, d_h))))
    h, d, g = (rng.standard_normal((B, d_h)) for _ in range(3))
    prefill = [rng.standard_normal((B, d_h)) for _ in range(3)]
    grads = [p.copy() for p in prefill]
    inputs = [a.copy() for a in (g, f, h, d)]

    assert problem2.ugrnn_backward(*inputs, *grads) is None
    leaves = [t(a, grad=True) for a in (f, h, d)]
    ft, ht, dt = leaves
    (ft * ht + (1 - ft) * dt).backward(t(g))
    for got, before, leaf in zip(grads, prefill, leaves):
        assert_close(got, before + leaf.grad.numpy())
    for after, before in zip(inputs, (g, f, h, d)):
        assert np.array_equal(after, before), "backward changed an input"


@pytest.mark.parametrize("shape", UGRNN_SHAPES)
def test_p2c_chained_through_forward_matches_autograd(
    shape: tuple[int, int, int],
) -> None:
    """Backward, then the gates' sigmoid/tanh by hand, gives autograd's x, h grads."""
    p = ugrnn_inputs(np.random.default_rng(20 + sum(shape)), *shape)
    _, f, d = problem2.ugrnn_forward(**p)
    g = np.random.default_rng(30 + sum(shape)).standard_normal(f.shape)
    f_grad, h_grad, d_grad = np.zeros_like(f), np.zeros_like(f), np.zeros_like(f)
    problem2.ugrnn_backward(g, f, p["h"], d, f_grad, h_grad, d_grad)
    zf_grad, zd_grad = f_grad * f * (1 - f), d_grad * (1 - d**2)
    h_grad += zf_grad @ p["Wfh"] + zd_grad @ p["Wdh"]  # h also feeds both gates
    x_grad = zf_grad @ p["Wfx"] + zd_grad @ p["Wdx"]

    tp = {k: t(v, grad=True) for k, v in p.items()}
    h_next, ft, dt = torch_ugrnn(tp)
    ft.retain_grad()  # f and d are not leaves
    dt.retain_grad()
    h_next.backward(t(g))
    assert_close(f_grad, ft.grad.numpy())
    assert_close(d_grad, dt.grad.numpy())
    assert_close(h_grad, tp["h"].grad.numpy())
    assert_close(x_grad, tp["x"].grad.numpy())


# --- 3a-3d: against their definitions and Monte Carlo ----------------------------

NC = [(1, 1), (1, 16), (3, 1), (3, 4), (5, 2)]


@pytest.mark.parametrize("N, C", NC)
def test_p3b_is_p3a_composed(N: int, C: int) -> None:
    sigma_w, var = 0.37 / (N**2 * C), 1.0
    for ell in range(1, 8):
        var = problem3.layer_variance(var, sigma_w, N, C)
        assert problem3.variance_at_layer(ell, sigma_w, N, C) == pytest.approx(var)
    assert problem3.variance_at_layer(0, sigma_w, N, C) == 1.0


@pytest.mark.parametrize("N, C", NC)
def test_p3c_doubles_the_variance(N: int, C: int) -> None:
    errors = []
    for L in [1, 10, 100, 1000]:
        exact = problem3.sigma_w_for_doubling_exact(L, N, C)
        assert problem3.variance_at_layer(L, exact, N, C) == pytest.approx(2.0)
        approx = problem3.sigma_w_for_doubling(L, N, C)
        errors.append(abs(problem3.variance_at_layer(L, approx, N, C) - 2.0) / 2.0)
    assert errors[-1] < 0.01
    assert errors == sorted(errors, reverse=True)  # converges as L grows


@pytest.mark.parametrize("N, C", NC)
def test_p3d_is_p3b_over_the_layers_above(N: int, C: int) -> None:
    sigma_w, L = 0.2 / (N**2 * C), 6
    for ell in range(L + 1):
        expected = problem3.variance_at_layer(L - ell, sigma_w, N, C)
        assert problem3.grad_variance(ell, L, sigma_w, N, C) == pytest.approx(expected)


def random_weights(rng: np.random.Generator, sigma_w: float, C: int, N: int) -> Array:
    return rng.standard_normal((C, C, N, N)) * math.sqrt(sigma_w)


def interior(a: torch.Tensor, border: int) -> torch.Tensor:
    """Pixels whose receptive field never reaches the zero padding."""
    H, W = a.shape[2:]
    return a[:, :, border : H - border, border : W - border]


# The variance is over fresh weights and inputs alike: each net draws its own W, and
# the number of nets is chosen so that about 32k weights are drawn per layer.


def residual_layer(
    x: torch.Tensor, rng: np.random.Generator, sigma_w: float, N: int
) -> torch.Tensor:
    """x + conv2d(x, W) with a fresh W of elementwise variance sigma_w."""
    W = t(random_weights(rng, sigma_w, x.shape[1], N))
    return x + F.conv2d(x, W, padding=N // 2)


def nets_for(N: int, C: int) -> int:
    return max(1, 2**15 // (N * N * C * C))


@pytest.mark.parametrize("N, C", [(1, 64), (3, 16), (5, 4)])
def test_p3a_monte_carlo_real_conv(N: int, C: int) -> None:
    rng = np.random.default_rng(40 + N + C)
    sigma_w, var_prev, samples = 1.0 / (N**2 * C), 2.5, []
    for _ in range(nets_for(N, C)):
        x = t(rng.standard_normal((2, C, 16, 16)) * math.sqrt(var_prev))
        samples.append(interior(residual_layer(x, rng, sigma_w, N), N // 2).flatten())
    empirical = torch.cat(samples).var().item()
    expected = problem3.layer_variance(var_prev, sigma_w, N, C)
    assert empirical == pytest.approx(expected, rel=0.04)  # seed spread: sd 1%


@pytest.mark.parametrize("N, C", [(1, 64), (3, 16), (5, 8)])
def test_p3d_monte_carlo_backward_through_real_net(N: int, C: int) -> None:
    rng = np.random.default_rng(50 + N + C)
    L, sigma_w, size = 3, 0.5 / (N**2 * C), 12 + 2 * 3 * (N // 2)
    samples = []
    for _ in range(nets_for(N, C)):
        x = x0 = t(rng.standard_normal((2, C, size, size)), grad=True)
        for _ in range(L):
            x = residual_layer(x, rng, sigma_w, N)
        x.backward(t(rng.standard_normal(x.shape)))
        samples.append(interior(x0.grad, L * (N // 2)).flatten())
    empirical = torch.cat(samples).var().item()
    expected = problem3.grad_variance(0, L, sigma_w, N, C)
    assert empirical == pytest.approx(expected, rel=0.06)  # seed spread: sd 1.5%


# --- 3e: the limit of W.grad --------------------------------------------------------

# (B, C, H, W, N): N = 1, C = 1, B = 1, H != W.
CONV_SHAPES = [
    (1, 1, 4, 4, 1), (2, 3, 5, 7, 1), (1, 1, 6, 3, 3), (2, 3, 5, 6, 3), (3, 2, 4, 7, 5)
]


def residual_net_weight_grads(
    x0: Array, xL_grad: Array, N: int, L: int, sigma_w: float, rng: np.random.Generator
) -> list[Array]:
    """W^ell.grad for every layer of x^{ell+1} = x^ell + conv2d(x^ell, W^ell)."""
    C = x0.shape[1]
    Ws = [t(random_weights(rng, sigma_w, C, N), grad=True) for _ in range(L)]
    x = t(x0)
    for W in Ws:
        x = x + F.conv2d(x, W, padding=N // 2)
    (x * t(xL_grad)).sum().backward()
    return [W.grad.numpy() for W in Ws]


def conv_inputs(seed: int, shape: tuple[int, ...]) -> tuple[Array, Array]:
    rng = np.random.default_rng(seed)
    B, C, H, W, _ = shape
    return rng.standard_normal((B, C, H, W)), rng.standard_normal((B, C, H, W))


@pytest.mark.parametrize("sigma_w, rtol", [(1e-9, 2e-3), (1e-18, 1e-5)])
@pytest.mark.parametrize("L", [1, 3, 5])
@pytest.mark.parametrize("shape", CONV_SHAPES)
def test_p3e_matches_autograd_through_residual_net(shape: tuple, L: int, sigma_w: float,
                                                   rtol: float) -> None:
    x0, xL_grad = conv_inputs(60 + sum(shape), shape)
    N = shape[-1]
    expected = problem3.weight_grad_limit(x0, xL_grad, N)
    # Deviation from the limit is O(sqrt(sigma_w)): ~1e-4 of the max at 1e-9, ~1e-8 at 1e-18.
    rng = np.random.default_rng(L)
    for grad in residual_net_weight_grads(x0, xL_grad, N, L, sigma_w, rng):
        assert_close(expected, grad, rtol=rtol)


def test_p3e_error_shrinks_like_sqrt_sigma_w() -> None:
    """The reference is the limit, not the grad at one sigma_W."""
    shape, L = (2, 3, 5, 6, 3), 5
    x0, xL_grad = conv_inputs(7, shape)
    limit = problem3.weight_grad_limit(x0, xL_grad, 3)
    errors = []
    for sigma_w in [1e-6, 1e-10]:
        rng = np.random.default_rng(3)
        grads = residual_net_weight_grads(x0, xL_grad, 3, L, sigma_w, rng)
        errors.append(max(np.abs(g - limit).max() for g in grads) / np.abs(limit).max())
    assert errors[0] > 1e-3  # visibly off at a finite sigma_W ...
    assert errors[1] / errors[0] == pytest.approx(1e-2, rel=0.5)  # ... and ~ sqrt


@pytest.mark.parametrize("shape", CONV_SHAPES)
def test_p3e_matches_finite_differences(shape: tuple) -> None:
    """sum(xL_grad * conv2d(x0, W)) is linear in W: central differences are exact."""
    x0, xL_grad = conv_inputs(70 + sum(shape), shape)
    N, C = shape[-1], shape[1]
    W0 = random_weights(np.random.default_rng(5), 1.0, C, N)

    def loss(W: Array) -> float:
        return float((t(xL_grad) * F.conv2d(t(x0), t(W), padding=N // 2)).sum())

    fd = np.empty_like(W0)
    for idx in np.ndindex(*W0.shape):
        e = np.zeros_like(W0)
        e[idx] = 0.5
        fd[idx] = loss(W0 + e) - loss(W0 - e)
    assert_close(problem3.weight_grad_limit(x0, xL_grad, N), fd, rtol=1e-10)


def test_p3e_matches_formula_written_as_loops() -> None:
    B, C, H, W, N = 2, 2, 3, 4, 3
    x0, xL_grad = conv_inputs(8, (B, C, H, W, N))
    x_pad = np.zeros((B, C, H + 2, W + 2))
    x_pad[:, :, 1:-1, 1:-1] = x0
    expected = np.zeros((C, C, N, N))
    for o, c, p, q, b, i, j in np.ndindex(C, C, N, N, B, H, W):
        expected[o, c, p, q] += xL_grad[b, o, i, j] * x_pad[b, c, i + p, j + q]
    assert_close(problem3.weight_grad_limit(x0, xL_grad, N), expected)


def test_p3e_activation_limit_not_well_defined() -> None:
    assert problem3.ACTIVATION_LIMIT_WELL_DEFINED is False


# --- return types ---------------------------------------------------------------


def test_scalar_answers_are_python_floats() -> None:
    values = [
        problem1.init_variance(3),
        problem1.relu_init_variance(3),
        problem3.layer_variance(1, 0.1, 3, 2),
        problem3.variance_at_layer(2, 0.1, 3, 2),
        problem3.sigma_w_for_doubling(4, 3, 2),
        problem3.sigma_w_for_doubling_exact(4, 3, 2),
        problem3.grad_variance(1, 4, 0.1, 3, 2),
    ]
    assert all(type(v) is float for v in values)


# --- mistakes: each one is distinguishable from its reference -------------------


def p2a_args() -> list:
    return [np.random.default_rng(83).standard_normal((3, 5)), 2]  # d_h 3, d_x 2


def p2b_args() -> dict:
    return ugrnn_inputs(np.random.default_rng(80), 3, 3, 3)  # square: untransposed runs


def p2c_args() -> list[Array]:
    """h_next_grad, f, h, d, then non-zero grads, so overwriting them shows."""
    rng = np.random.default_rng(81)
    g, z, h, d, *grads = (rng.standard_normal((3, 4)) for _ in range(7))
    return [g, 1 / (1 + np.exp(-z)), h, d, *grads]


def p3e_args() -> list:
    return [*conv_inputs(82, (3, 2, 5, 4, 3)), 3]


# mistake prefix -> (reference function, factory of generic random inputs)
REFERENCES: dict[str, tuple[Callable, Callable[[], list | dict]]] = {
    "p1a_": (problem1.init_variance, lambda: [7]),
    "p1b_exact_": (problem1.relu_init_variance, lambda: [7]),
    "p2a_": (problem2.split_weights, p2a_args),
    "p2b_": (problem2.ugrnn_forward, p2b_args),
    "p2c_": (problem2.ugrnn_backward, p2c_args),
    "p3a_": (problem3.layer_variance, lambda: [1.3, 0.05, 3, 4]),
    "p3b_": (problem3.variance_at_layer, lambda: [2, 0.05, 3, 4]),
    "p3c_": (problem3.sigma_w_for_doubling, lambda: [5, 3, 4]),
    "p3d_": (problem3.grad_variance, lambda: [2, 5, 0.05, 3, 4]),
    "p3e_": (problem3.weight_grad_limit, p3e_args),
}

MISTAKES = """
    p1a_std p1a_he p1b_exact_he p1b_exact_std p2a_swapped p2a_rows
    p2b_gate_swapped p2b_no_bias p2b_untransposed p2b_batch0 p2b_activations_swapped
    p2c_overwrite p2c_sign p2c_gate_swapped p2c_batch0 p2c_sigmoid_grad
    p3a_n_not_squared p3a_no_c p3a_no_residual
    p3b_first_order p3b_off_by_one p3b_n_not_squared p3b_no_c
    p3c_no_l p3c_no_c p3c_n_not_squared p3c_no_log
    p3d_ell p3d_off_by_one p3d_first_order p3d_no_c
    p3e_flipped_kernel p3e_channels_swapped p3e_batch_mean p3e_batch0
    p3e_spatial_transposed
""".split()


def reference_for(name: str) -> tuple[Callable, Callable[[], list | dict]]:
    (prefix,) = [p for p in REFERENCES if name.startswith(p)]
    return REFERENCES[prefix]


def call(fn: Callable, args: list | dict) -> list[Array]:
    """The answer as a list of arrays; for in-place functions, the updated grads."""
    out = fn(**args) if isinstance(args, dict) else fn(*args)
    if fn.__name__ == "ugrnn_backward" or fn.__name__.startswith("p2c_"):
        out = args[4:]
    parts = out if isinstance(out, tuple) else (out,)
    return [np.asarray(p, dtype=np.float64) for p in parts]


def test_mistakes_module_defines_exactly_the_listed_mistakes() -> None:
    functions = inspect.getmembers(mistakes, inspect.isfunction)
    public = {n for n, f in functions if f.__module__ == mistakes.__name__}
    assert public == set(MISTAKES)


@pytest.mark.parametrize("name", MISTAKES)
def test_mistake_has_reference_signature_and_docstring(name: str) -> None:
    fn, ref = getattr(mistakes, name), reference_for(name)[0]
    params = [list(inspect.signature(f).parameters) for f in (fn, ref)]
    assert params[0] == params[1]
    assert fn.__doc__ and "\n" not in fn.__doc__.strip()


@pytest.mark.parametrize("name", MISTAKES)
def test_mistake_differs_from_reference(name: str) -> None:
    ref, make_args = reference_for(name)
    wrong, right = call(getattr(mistakes, name), make_args()), call(ref, make_args())
    assert len(wrong) == len(right)
    shapes_differ = any(w.shape != r.shape for w, r in zip(wrong, right))
    if not shapes_differ:
        assert all(np.isfinite(w).all() for w in wrong)
        rel = max(np.abs(w - r).max() / np.abs(r).max() for w, r in zip(wrong, right))
        assert rel > 1e-2, f"{name} is within {rel:.2g} of the reference"


@pytest.mark.parametrize("name", [n for n in MISTAKES if n.startswith("p2c_")])
def test_p2c_mistakes_update_grads_in_place(name: str) -> None:
    args = p2c_args()
    before = [a.copy() for a in args]
    getattr(mistakes, name)(*args)
    assert all(np.array_equal(a, b) for a, b in zip(args[:4], before[:4]))
    assert any(not np.array_equal(a, b) for a, b in zip(args[4:], before[4:]))
